// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SPDM: wire checks, DSR constants and retry schedule, request table bounds, replies, signatures. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <unistd.h>

#include "modules/spdm.h"
#include "modules/srum.h"
#include "modules/tlfm.h"
#include "sim/scen_routing.h"
#include "sim/sim.h"

#include "routing_sim.h"

static void set_id(struct node_id *id, int v)
{
	memset(id->b, 0, ID_LEN);
	id->b[0] = (uint8_t)v;
	id->b[15] = (uint8_t)(v >> 8);
	id->b[1] = 0x5a;
}

Test(spdm, dsr_constants)
{
	cr_assert_eq(SR_HOPS_MAX, 16);
	cr_assert_eq(DP_PATH_MAX, 16);
	cr_assert_eq(SPDM_REQ_IDS, 16);
	cr_assert_eq(SPDM_REQ_INITIATORS, 64);
	cr_assert_eq(SPDM_TARGET_REPLIES, 3);
	cr_assert_eq(SPDM_NONPROP_MS, 30);
	cr_assert_eq(SPDM_BACKOFF_MS, 500);
	cr_assert_eq(SPDM_BACKOFF_MAX_MS, 10000);
	cr_assert_eq(SPDM_MAX_TRIES, 16);
}

/* An unreachable target: 1 non-propagating try + 15 floods, on the DSR schedule, then failure. */
Test(spdm, retry_schedule_to_an_unreachable_target, .timeout = 30)
{
	char path[] = "/tmp/spdm-edges-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct sim *s;
	struct module *sp;
	struct node_id far;
	uint64_t want_ms = 30;

	cr_assert_not_null(f);
	fprintf(f, "0 1\n1 2\n2 3\n3 0\n4 5\n"); /* {0,1,2,3} and {4,5} */
	fclose(f);
	s = rtsim_new(GRAPH_FILE, 0, path, NULL);
	unlink(path);
	sp = mod(s, 0, SPDM_NAME);
	far = sim_node(s, 5)->id;
	cr_assert_eq(spdm_discover(sp, &far), 0);
	cr_assert_eq(spdm_discover(sp, &far), -EALREADY);
	cr_assert_eq(spdm_discover(sp, &sim_node(s, 0)->id), -EINVAL);
	cr_assert(spdm_pending(sp, &far));
	for (int k = 0; k < SPDM_MAX_TRIES - 1; k++) {
		uint64_t b = (uint64_t)SPDM_BACKOFF_MS << k;

		want_ms += b > SPDM_BACKOFF_MAX_MS ? SPDM_BACKOFF_MAX_MS : b;
	}
	sim_set_until(s, want_ms * 1000000ULL - 1);
	sim_run(s);
	cr_assert(spdm_pending(sp, &far), "still trying 1 ns before %lu ms",
		  (unsigned long)want_ms);
	cr_assert_eq(sp->ctr[SPDM_C_FAILED], 0);
	sim_set_until(s, want_ms * 1000000ULL);
	sim_run(s);
	cr_assert_not(spdm_pending(sp, &far));
	cr_assert_eq(sp->ctr[SPDM_C_NONPROP_SENT], 2, "both neighbours asked once");
	cr_assert_eq(sp->ctr[SPDM_C_FLOODS], SPDM_MAX_TRIES - 1);
	cr_assert_eq(sp->ctr[SPDM_C_FAILED], 1);
	cr_assert_eq(sp->ctr[SPDM_C_DISCOVERED], 0);
	sim_free(s);
}

static void deliver_rreq(struct sim *s, uint32_t at, int init, uint32_t id)
{
	struct spdm_msg q = { .type = SPDM_T_RREQ, .flags = SPDM_F_NONPROP, .req_id = id };
	uint8_t buf[SPDM_MSG_MAX];
	struct mod_msg m = { .type = ICC_T_DATA, .data = buf };
	int n;

	set_id(&q.initiator, init);
	set_id(&q.target, 9999);
	n = spdm_msg_encode(&q, buf, sizeof(buf), NULL);
	cr_assert_gt(n, 0);
	m.len = (size_t)n;
	m.src = sim_node(s, (at + 1) % sim_nnodes(s))->id;
	cr_assert_eq(node_deliver(sim_node(s, at), SPDM_NAME, &m), 0);
}

Test(spdm, request_table_keeps_16_ids_of_64_initiators_lru)
{
	struct sim *s = rtsim_new(GRAPH_RING, 10, NULL, NULL);
	struct module *sp = mod(s, 3, SPDM_NAME);

	deliver_rreq(s, 3, 1, 100);
	deliver_rreq(s, 3, 1, 100);
	cr_assert_eq(sp->ctr[SPDM_C_REQ_DUPLICATE], 1);
	for (uint32_t id = 101; id <= 116; id++) /* 16 more: 100 falls out */
		deliver_rreq(s, 3, 1, id);
	deliver_rreq(s, 3, 1, 116);
	cr_assert_eq(sp->ctr[SPDM_C_REQ_DUPLICATE], 2);
	deliver_rreq(s, 3, 1, 100);
	cr_assert_eq(sp->ctr[SPDM_C_REQ_DUPLICATE], 2, "the 17th-newest ID is forgotten");
	/* 64 initiators: 1 is the least recently used once 2..65 came after it */
	for (int i = 2; i <= 65; i++)
		deliver_rreq(s, 3, i, 7);
	cr_assert_eq(sp->ctr[SPDM_C_TABLE_EVICTED], 1);
	deliver_rreq(s, 3, 65, 7);
	cr_assert_eq(sp->ctr[SPDM_C_REQ_DUPLICATE], 3);
	deliver_rreq(s, 3, 1, 116);
	cr_assert_eq(sp->ctr[SPDM_C_REQ_DUPLICATE], 3, "initiator 1 was evicted");
	sim_free(s);
}

Test(spdm, reply_along_the_reverse_path_and_sub_paths_learned)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	struct node_id hop[SR_HOPS_MAX];
	int n;

	cr_assert_eq(spdm_discover(mod(s, 0, SPDM_NAME), &sim_node(s, 5)->id), 0);
	sim_run(s);
	cr_assert_eq(mod(s, 0, SPDM_NAME)->ctr[SPDM_C_DISCOVERED], 1);
	n = srum_best(mod(s, 0, SRUM_NAME), &sim_node(s, 5)->id, hop);
	cr_assert_eq(n, 5, "the ring's short side");
	for (int i = 0; i < 5; i++)
		cr_assert(node_id_eq(&hop[i], &sim_node(s, (uint32_t)i + 1)->id), "hop %d", i);
	/* a node on the way knows both directions */
	cr_assert_eq(srum_best(mod(s, 2, SRUM_NAME), &sim_node(s, 5)->id, NULL), 3);
	cr_assert_eq(srum_best(mod(s, 2, SRUM_NAME), &sim_node(s, 0)->id, NULL), 2);
	cr_assert_eq(srum_best(mod(s, 5, SRUM_NAME), &sim_node(s, 0)->id, NULL), 5);
	cr_assert_leq(mod(s, 5, SPDM_NAME)->ctr[SPDM_C_REPLIES_SENT], SPDM_TARGET_REPLIES);
	cr_assert_eq(mod(s, 4, SPDM_NAME)->ctr[SPDM_C_REPLIES_FORWARDED] +
			     mod(s, 6, SPDM_NAME)->ctr[SPDM_C_REPLIES_FORWARDED],
		     mod(s, 5, SPDM_NAME)->ctr[SPDM_C_REPLIES_SENT],
		     "each reply passes one neighbour of the target");
	sim_free(s);
}

/* The simulator's made-up link label: v's position in u's adjacency list, plus one. */
static uint8_t sim_label(struct sim *s, const struct node_id *u, const struct node_id *v)
{
	const struct graph *g = sim_graph(s);
	int64_t a = sim_node_index(s, u), b = sim_node_index(s, v);

	cr_assert(a >= 0 && b >= 0);
	for (uint64_t k = g->off[a]; k < g->off[a + 1]; k++)
		if (g->adj[k] == (uint32_t)b)
			return (uint8_t)(k - g->off[a] + 1);
	cr_assert_fail("not a link");
	return 0;
}

/* e (a path from node `from`) has every label its links have in the simulator. */
static void assert_labels(struct sim *s, uint32_t from, const struct dp_entry *e, int known)
{
	cr_assert_eq(e->first_label, sim_label(s, &sim_node(s, from)->id, &e->path[0]));
	for (int i = 0; i + 1 < e->hops; i++)
		if (i < known)
			cr_assert_eq(e->labels[i], sim_label(s, &e->path[i], &e->path[i + 1]),
				     "hop %d", i);
		else
			cr_assert_eq(e->labels[i], DP_LABEL_NONE, "hop %d", i);
	cr_assert_eq(e->labels[e->hops - 1], DP_LABEL_NONE);
}

Test(spdm, replies_collect_link_labels_end_to_end)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	struct dp_entry e;

	rtsim_watch_dp(s, 0);
	cr_assert_eq(spdm_discover(mod(s, 0, SPDM_NAME), &sim_node(s, 5)->id), 0);
	sim_run(s);
	cr_assert_eq(srum_best_entry(mod(s, 0, SRUM_NAME), &sim_node(s, 5)->id, &e), 5);
	assert_labels(s, 0, &e, 5);
	/* the datapath got the preferred path to 5 with them */
	cr_assert_geq(rtsim_dp.installs, 1);
	cr_assert_eq(srum_best_entry(mod(s, 0, SRUM_NAME), &rtsim_dp.last.dst, &e),
		     rtsim_dp.last.hops);
	cr_assert_eq(memcmp(&e, &rtsim_dp.last, sizeof(e)), 0);
	cr_assert_eq(srum_best_entry(mod(s, 0, SRUM_NAME), &sim_node(s, 5)->id, &e), 5);
	/* a node on the way: towards the target every label, towards the initiator its own */
	cr_assert_eq(srum_best_entry(mod(s, 2, SRUM_NAME), &sim_node(s, 5)->id, &e), 3);
	assert_labels(s, 2, &e, 3);
	cr_assert_eq(srum_best_entry(mod(s, 2, SRUM_NAME), &sim_node(s, 0)->id, &e), 2);
	assert_labels(s, 2, &e, 0);
	/* the target learned the way back from the request's record: its own label only */
	cr_assert_eq(srum_best_entry(mod(s, 5, SRUM_NAME), &sim_node(s, 0)->id, &e), 5);
	assert_labels(s, 5, &e, 0);
	/* 11 asks its neighbours; 0 answers from its cache with its labels */
	cr_assert_eq(spdm_discover(mod(s, 11, SPDM_NAME), &sim_node(s, 5)->id), 0);
	sim_run(s);
	cr_assert_geq(mod(s, 0, SPDM_NAME)->ctr[SPDM_C_REPLIES_CACHED], 1);
	cr_assert_eq(srum_best_entry(mod(s, 11, SRUM_NAME), &sim_node(s, 5)->id, &e), 6);
	assert_labels(s, 11, &e, 6);
	sim_free(s);
}

Test(spdm, neighbour_answers_the_non_propagating_request)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);

	cr_assert_eq(spdm_discover(mod(s, 0, SPDM_NAME), &sim_node(s, 1)->id), 0);
	sim_run(s);
	cr_assert_eq(mod(s, 0, SPDM_NAME)->ctr[SPDM_C_DISCOVERED], 1);
	cr_assert_eq(mod(s, 0, SPDM_NAME)->ctr[SPDM_C_FLOODS], 0);
	cr_assert_lt(spdm_last_latency(mod(s, 0, SPDM_NAME)), SPDM_NONPROP_MS * 1000000ULL);
	sim_free(s);
}

Test(spdm, every_pair_discovered_within_16_hops, .timeout = 60)
{
	const enum graph_kind kinds[] = { GRAPH_BA, GRAPH_ER, GRAPH_WS };

	for (int g = 0; g < 3; g++) {
		struct routing_args a;
		char err[256] = "";
		json_t *o;

		routing_args_defaults(&a);
		a.graph = kinds[g];
		a.nodes = 1000;
		a.pairs = 30;
		a.seed = 3 + (uint64_t)g;
		o = sim_spdm_run(&a, err, sizeof(err));
		cr_assert_not_null(o, "%s", err);
		cr_assert_eq(json_integer_value(json_object_get(o, "discovered")),
			     json_integer_value(json_object_get(o, "reachable")), "graph %d", g);
		cr_assert_leq(json_integer_value(json_object_get(o, "max_hops")), SR_HOPS_MAX);
		cr_assert_leq(json_number_value(json_object_get(o, "stretch_median")), 1.25);
		cr_assert_leq(json_number_value(json_object_get(o, "stretch_p95")), 2.0);
		json_decref(o);
	}
}

/* ---- signatures: a runtime with identities (a keyed hash stands in for Ed25519) ---- */

static struct rt_ops signed_ops;

static void fake_sig(const struct node_id *who, const void *data, size_t len,
		     uint8_t sig[RT_SIG_LEN])
{
	crypto_generichash(sig, RT_SIG_LEN, data, len, who->b, ID_LEN);
}

static int fake_sign(struct node *n, const void *data, size_t len, uint8_t sig[RT_SIG_LEN],
		     uint8_t pub[RT_PUB_LEN])
{
	memset(pub, 0, RT_PUB_LEN);
	memcpy(pub, n->id.b, ID_LEN);
	fake_sig(&n->id, data, len, sig);
	return 0;
}

static int fake_verify(struct node *n, const struct node_id *origin, const uint8_t pub[RT_PUB_LEN],
		       const void *data, size_t len, const uint8_t sig[RT_SIG_LEN])
{
	uint8_t want[RT_SIG_LEN];

	(void)n;
	if (memcmp(pub, origin->b, ID_LEN))
		return -EBADMSG;
	fake_sig(origin, data, len, want);
	return memcmp(want, sig, RT_SIG_LEN) ? -EBADMSG : 0;
}

static void use_identities(struct sim *s)
{
	signed_ops = *sim_node(s, 0)->rt;
	signed_ops.sign = fake_sign;
	signed_ops.verify = fake_verify;
	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		sim_node(s, i)->rt = &signed_ops;
}

Test(spdm, signed_replies_verified_forged_and_unsigned_dropped)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	struct spdm_msg p = { .type = SPDM_T_RREP, .req_id = 9, .nrec = 3, .replier = 2, .pos = 1 };
	uint8_t buf[SPDM_MSG_MAX];
	struct mod_msg m = { .type = ICC_T_DATA, .data = buf };
	size_t bl;
	uint64_t fwd0;
	int n;

	cr_assert(sodium_init() >= 0);
	use_identities(s);
	cr_assert_eq(spdm_discover(mod(s, 0, SPDM_NAME), &sim_node(s, 4)->id), 0);
	sim_run(s);
	cr_assert_eq(mod(s, 0, SPDM_NAME)->ctr[SPDM_C_DISCOVERED], 1);
	for (uint32_t i = 0; i < 12; i++)
		cr_assert_eq(mod(s, i, SPDM_NAME)->ctr[SPDM_C_DROP_BAD_SIG], 0);
	/* a reply for 0 -> 3 arriving at node 1, claimed by node 3 */
	p.initiator = sim_node(s, 0)->id;
	p.target = sim_node(s, 3)->id;
	for (int i = 0; i < 3; i++)
		p.rec[i] = sim_node(s, (uint32_t)i + 1)->id;
	n = spdm_msg_encode(&p, buf, sizeof(buf), &bl);
	m.len = (size_t)n;
	fwd0 = mod(s, 1, SPDM_NAME)->ctr[SPDM_C_REPLIES_FORWARDED];
	cr_assert_eq(node_deliver(sim_node(s, 1), SPDM_NAME, &m), 0);
	cr_assert_eq(mod(s, 1, SPDM_NAME)->ctr[SPDM_C_DROP_BAD_SIG], 1,
		     "unsigned, verifier present");
	p.auth.signed_ = 1;
	fake_sign(sim_node(s, 2), buf, bl, p.auth.sig, p.auth.pub); /* signed by the wrong node */
	m.len = (size_t)spdm_msg_encode(&p, buf, sizeof(buf), NULL);
	cr_assert_eq(node_deliver(sim_node(s, 1), SPDM_NAME, &m), 0);
	cr_assert_eq(mod(s, 1, SPDM_NAME)->ctr[SPDM_C_DROP_BAD_SIG], 2, "forged");
	fake_sign(sim_node(s, 3), buf, bl, p.auth.sig, p.auth.pub);
	m.len = (size_t)spdm_msg_encode(&p, buf, sizeof(buf), NULL);
	cr_assert_eq(node_deliver(sim_node(s, 1), SPDM_NAME, &m), 0);
	cr_assert_eq(mod(s, 1, SPDM_NAME)->ctr[SPDM_C_DROP_BAD_SIG], 2);
	cr_assert_eq(mod(s, 1, SPDM_NAME)->ctr[SPDM_C_REPLIES_FORWARDED], fwd0 + 1,
		     "the genuine one");
	sim_free(s);
}

/* ---- wire ---- */

Test(spdm_wire, request_and_reply_round_trip_and_bounds)
{
	struct spdm_msg q = { .type = SPDM_T_RREQ, .req_id = 0x01020304, .nrec = 4 }, d;
	uint8_t buf[SPDM_MSG_MAX + 8];
	size_t bl;
	int n;

	set_id(&q.initiator, 1);
	set_id(&q.target, 2);
	for (int i = 0; i < 4; i++)
		set_id(&q.rec[i], 10 + i);
	n = spdm_msg_encode(&q, buf, sizeof(buf), &bl);
	cr_assert_eq(n, (int)SPDM_BODY_LEN(4));
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), 0);
	cr_assert_eq(d.req_id, q.req_id);
	cr_assert_eq(d.nrec, 4);
	for (int len = 0; len < n; len++)
		cr_assert_eq(spdm_msg_decode(buf, (size_t)len, &d, NULL), -EBADMSG, "len %d", len);
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n + 1, &d, NULL), -EBADMSG, "trailing byte");
	buf[3] = SR_HOPS_MAX + 1;
	cr_assert_eq(spdm_msg_decode(buf, sizeof(buf), &d, NULL), -EBADMSG, "record too long");
	q.rec[3] = q.rec[1]; /* a loop */
	n = spdm_msg_encode(&q, buf, sizeof(buf), NULL);
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), -EBADMSG);
	q.rec[3] = q.initiator;
	n = spdm_msg_encode(&q, buf, sizeof(buf), NULL);
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), -EBADMSG);
	/* a reply */
	set_id(&q.rec[3], 2); /* ends at the target */
	q.type = SPDM_T_RREP;
	q.replier = 3;
	q.pos = 2;
	q.auth.signed_ = 1;
	memset(q.auth.sig, 7, RT_SIG_LEN);
	q.labels[0] = 9; /* rec[2]'s label (rec[3] = the target has none) left unknown */
	q.labels[1] = 200;
	n = spdm_msg_encode(&q, buf, sizeof(buf), &bl);
	cr_assert_eq(n, (int)(SPDM_BODY_LEN(4) + 2 + 4 + SR_AUTH_LEN));
	cr_assert_eq(n, (int)SPDM_RREP_LEN(4, SR_AUTH_LEN));
	cr_assert_eq(bl, SPDM_BODY_LEN(4) + 1, "the labels are not signed");
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, &bl), 0);
	cr_assert_eq(d.pos, 2);
	cr_assert_eq(d.replier, 3);
	cr_assert_eq(memcmp(d.labels, "\x09\xc8\x00\x00", 4), 0);
	buf[SPDM_BODY_LEN(4) + 2 + 3] = 1; /* a label for the target */
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), -EBADMSG);
	buf[SPDM_BODY_LEN(4) + 2 + 3] = 0;
	q.labels[3] = 1;
	cr_assert_eq(spdm_msg_encode(&q, buf, sizeof(buf), NULL), -EINVAL);
	q.labels[3] = 0;
	n = spdm_msg_encode(&q, buf, sizeof(buf), NULL);
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), 0);
	cr_assert_eq(d.auth.signed_, 1);
	cr_assert_eq(memcmp(d.auth.sig, q.auth.sig, RT_SIG_LEN), 0);
	for (int len = 0; len < n; len++)
		cr_assert_eq(spdm_msg_decode(buf, (size_t)len, &d, NULL), -EBADMSG, "len %d", len);
	buf[SPDM_BODY_LEN(4) + 1] = 4; /* pos past the replier */
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), -EBADMSG);
	buf[SPDM_BODY_LEN(4) + 1] = 2;
	buf[SPDM_BODY_LEN(4) + 2 + 4] = 2; /* signed flag not 0/1 */
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), -EBADMSG);
	q.auth.signed_ = 0;
	n = spdm_msg_encode(&q, buf, sizeof(buf), NULL);
	cr_assert_eq(n, (int)(SPDM_BODY_LEN(4) + 3 + 4));
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), 0);
	set_id(&q.rec[3], 5); /* not ending at the target */
	n = spdm_msg_encode(&q, buf, sizeof(buf), NULL);
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), -EBADMSG);
	buf[0] = 9;
	cr_assert_eq(spdm_msg_decode(buf, (size_t)n, &d, NULL), -EBADMSG, "version");
	q.nrec = SR_HOPS_MAX + 1;
	cr_assert_eq(spdm_msg_encode(&q, buf, sizeof(buf), NULL), -EINVAL);
}
