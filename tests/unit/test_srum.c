// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SRUM: cache LRU/timeout/preference, invalidation, send buffer, delivery, churn, datapath, wire. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "modules/echo.h"
#include "modules/spdm.h"
#include "modules/srum.h"
#include "sim/scen_routing.h"
#include "sim/sim.h"

#include "routing_sim.h"

static struct node_id nid(struct sim *s, uint32_t i)
{
	return sim_node(s, i)->id;
}

#define NIDP(s, i) (&sim_node(s, i)->id)

/* Advance the virtual clock to t (an empty app event; no scenario hooks). */
static void run_to(struct sim *s, uint64_t t)
{
	sim_schedule_app(s, t, 0, 0);
	sim_set_until(s, t);
	sim_run(s);
	cr_assert_eq(sim_now(s), t);
}

Test(srum, cache_lru_timeout_and_preference)
{
	struct sim *s =
		rtsim_new(GRAPH_RING, 12, NULL,
			  json_pack("{s:i, s:i}", "cache_size", 3, "cache_timeout_ms", 1000));
	struct module *m = mod(s, 0, SRUM_NAME);
	struct node_id p1[1] = { nid(s, 1) }, p2[2] = { nid(s, 1), nid(s, 2) },
		       p3[3] = { nid(s, 1), nid(s, 2), nid(s, 3) },
		       q2[2] = { nid(s, 11), nid(s, 2) }, hop[SR_HOPS_MAX];

	srum_learn(m, p3, NULL, 3);
	run_to(s, 100000000);
	srum_learn(m, p2, NULL, 2);
	cr_assert_eq(srum_best(m, &p2[1], hop), 2);
	run_to(s, 200000000);
	srum_learn(m, q2, NULL, 2); /* as short and fresher: preferred */
	cr_assert_eq(srum_best(m, &p2[1], hop), 2);
	cr_assert(node_id_eq(&hop[0], &q2[0]));
	cr_assert_eq(srum_cache_count(m), 3);
	srum_learn(m, p1, NULL, 1); /* full: the least recently used (p3) goes */
	cr_assert_eq(srum_cache_count(m), 3);
	cr_assert_eq(m->ctr[SRUM_C_PATHS_EVICTED], 1);
	cr_assert_eq(srum_best(m, &p3[2], NULL), 0);
	srum_learn(m, p1, NULL, 1); /* known: refreshed, not added */
	cr_assert_eq(m->ctr[SRUM_C_PATHS_LEARNED], 4);
	run_to(s, 1150000000); /* p2 (learned at 0.1 s) is past 1 s, q2 and p1 (0.2 s) not */
	cr_assert_eq(srum_best(m, &p2[1], hop), 2);
	cr_assert(node_id_eq(&hop[0], &q2[0]));
	cr_assert_eq(m->ctr[SRUM_C_PATHS_EXPIRED], 1);
	cr_assert_eq(srum_best(m, &p1[0], NULL), 1);
	run_to(s, 1250000000);
	cr_assert_eq(srum_best(m, &p2[1], NULL), 0);
	cr_assert_eq(srum_best(m, &p1[0], NULL), 0);
	cr_assert_eq(m->ctr[SRUM_C_PATHS_EXPIRED], 3);
	sim_free(s);
}

/* The index by destination agrees with the whole cache through learning, eviction and removal. */
Test(srum, cache_index_agrees_with_the_cache)
{
	struct sim *s = rtsim_new(GRAPH_RING, 40, NULL, json_pack("{s:i}", "cache_size", 16));
	struct module *m = mod(s, 0, SRUM_NAME);
	char hex[ID_HEX_LEN + 1];

	for (uint32_t k = 0; k < 120; k++) {
		uint32_t len = 1 + k % 7, dir = (k / 7) % 2;
		struct node_id hop[SR_HOPS_MAX];
		json_t *paths, *p;
		size_t i;

		for (uint32_t j = 0; j < len; j++)
			hop[j] = nid(s, dir ? 39 - j : j + 1);
		srum_learn(m, hop, NULL, (int)len);
		if (k % 11 == 10) /* a link down: every path over it goes */
			node_link(sim_node(s, 0), NIDP(s, dir ? 39 : 1), false);
		cr_assert_leq(srum_cache_count(m), 16);
		paths = srum_paths_json(m);
		cr_assert_eq(json_array_size(paths), srum_cache_count(m));
		json_array_foreach(paths, i, p) {
			int want = 99;
			struct dp_entry e;
			size_t q;
			json_t *o;

			json_array_foreach(paths, q, o)
				if (!strcmp(json_string_value(json_object_get(o, "dst")),
					    json_string_value(json_object_get(p, "dst"))) &&
				    json_integer_value(json_object_get(o, "hops")) < want)
					want = (int)json_integer_value(json_object_get(o, "hops"));
			for (uint32_t v = 1; v < 40; v++) {
				id_fmt(sim_node(s, v)->id.b, hex);
				if (!strcmp(hex, json_string_value(json_object_get(p, "dst"))))
					cr_assert_eq(srum_best_entry(m, NIDP(s, v), &e), want,
						     "step %u dst %u", k, v);
			}
		}
		json_decref(paths);
	}
	sim_free(s);
}

static void deliver_rerr(struct sim *s, uint32_t at, uint32_t origin, uint32_t broken)
{
	struct srum_rerr e = { .nback = 1 };
	uint8_t buf[SRUM_RERR_MAX];
	struct mod_msg m = { .type = ICC_T_DATA, .data = buf };
	int n;

	e.origin = nid(s, origin);
	e.broken = nid(s, broken);
	e.src = e.back[0] = nid(s, at);
	n = srum_rerr_encode(&e, buf, sizeof(buf), NULL);
	cr_assert_gt(n, 0);
	m.len = (size_t)n;
	m.src = e.origin;
	cr_assert_eq(node_deliver(sim_node(s, at), SRUM_NAME, &m), 0);
}

Test(srum, route_error_removes_every_path_through_the_link)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	struct module *m = mod(s, 0, SRUM_NAME);
	struct node_id a[3] = { nid(s, 1), nid(s, 2), nid(s, 3) },	/* uses 2-3 */
		b[4] = { nid(s, 11), nid(s, 3), nid(s, 2), nid(s, 5) }, /* uses 3-2 */
		c[2] = { nid(s, 1), nid(s, 2) },			/* does not */
		d[3] = { nid(s, 11), nid(s, 10), nid(s, 3) };		/* does not */

	srum_learn(m, a, NULL, 3);
	srum_learn(m, b, NULL, 4);
	srum_learn(m, c, NULL, 2);
	srum_learn(m, d, NULL, 3);
	deliver_rerr(s, 0, 2, 3);
	cr_assert_eq(m->ctr[SRUM_C_RERR_RECEIVED], 1);
	cr_assert_eq(m->ctr[SRUM_C_PATHS_INVALIDATED], 2);
	cr_assert_eq(srum_cache_count(m), 2);
	cr_assert_eq(srum_best(m, NIDP(s, 3), NULL), 3, "the path avoiding 2-3 is left");
	cr_assert_eq(srum_best(m, NIDP(s, 5), NULL), 0);
	/* a link down at this node removes the paths through it */
	node_link(sim_node(s, 0), NIDP(s, 11), false);
	cr_assert_eq(srum_best(m, NIDP(s, 3), NULL), 0);
	cr_assert_eq(srum_best(m, NIDP(s, 2), NULL), 2);
	sim_free(s);
}

Test(srum, discovery_then_delivery_then_cache_hit)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	struct module *m = mod(s, 0, SRUM_NAME);
	struct node_id dst = nid(s, 6);

	cr_assert_eq(srum_send(m, &dst, "echo", "one", 3), 0, "buffered while discovering");
	cr_assert_eq(srum_send(m, &dst, "echo", "two", 3), 0);
	cr_assert_eq(m->ctr[SRUM_C_DISCOVERIES], 1, "one discovery per destination");
	sim_run(s);
	cr_assert_eq(m->ctr[SRUM_C_BUF_FLUSHED], 2);
	cr_assert_eq(mod(s, 6, "echo")->ctr[ECHO_C_RECEIVED], 2);
	cr_assert_eq(srum_send(m, &dst, "echo", "three", 5), 1, "a cache hit");
	sim_run(s);
	cr_assert_eq(mod(s, 6, "echo")->ctr[ECHO_C_RECEIVED], 3);
	cr_assert_eq(mod(s, 6, SRUM_NAME)->ctr[SRUM_C_DELIVERED], 3);
	cr_assert_eq(m->ctr[SRUM_C_CACHE_HITS], 1);
	/* the destination learned the way back */
	cr_assert_eq(srum_best(mod(s, 6, SRUM_NAME), NIDP(s, 0), NULL), 6);
	/* a neighbour needs no discovery */
	cr_assert_eq(srum_send(m, NIDP(s, 1), "echo", "n", 1), 1);
	cr_assert_eq(srum_send(m, &dst, "No Such", "x", 1), -EINVAL);
	sim_free(s);
}

Test(srum, send_buffer_is_bounded_and_expires)
{
	char path[] = "/tmp/srum-edges-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct sim *s;
	struct module *m;

	cr_assert_not_null(f);
	fprintf(f, "0 1\n1 2\n2 0\n3 4\n");
	fclose(f);
	s = rtsim_new(GRAPH_FILE, 0, path, json_pack("{s:i}", "buffer_messages", 4));
	unlink(path);
	m = mod(s, 0, SRUM_NAME);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(srum_send(m, NIDP(s, 4), "echo", "x", 1), 0);
	cr_assert_eq(m->ctr[SRUM_C_BUFFERED], 6);
	cr_assert_eq(m->ctr[SRUM_C_BUF_DROPPED_FULL], 2, "oldest dropped first");
	run_to(s, 29000000000ULL);
	cr_assert_eq(m->ctr[SRUM_C_BUF_EXPIRED], 0);
	run_to(s, 31000000000ULL);
	cr_assert_eq(m->ctr[SRUM_C_BUF_EXPIRED], 4, "30 s in the buffer");
	sim_set_until(s, 0);
	sim_run(s);
	cr_assert_eq(mod(s, 0, SPDM_NAME)->ctr[SPDM_C_FAILED], 1);
	cr_assert_eq(mod(s, 4, "echo")->ctr[ECHO_C_RECEIVED], 0);
	sim_free(s);
}

Test(srum, preferred_path_in_the_datapath)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	struct module *m = mod(s, 0, SRUM_NAME);
	struct node_id p3[3] = { nid(s, 1), nid(s, 2), nid(s, 3) },
		       p4[4] = { nid(s, 11), nid(s, 10), nid(s, 9), nid(s, 3) };

	rtsim_watch_dp(s, 0);
	srum_learn(m, p4, NULL, 4);
	cr_assert_eq(rtsim_dp.installs, 1);
	cr_assert_eq(rtsim_dp.last.kind, SRUM_DP_KIND);
	cr_assert_eq(rtsim_dp.last.hops, 4);
	srum_learn(m, p3, NULL, 3); /* shorter: replaces it */
	cr_assert_eq(rtsim_dp.installs, 2);
	cr_assert_eq(rtsim_dp.last.hops, 3);
	cr_assert(node_id_eq(&rtsim_dp.last.dst, &p3[2]));
	node_link(sim_node(s, 0), NIDP(s, 1), false); /* the 3-hop path goes: back to 4 */
	cr_assert_eq(rtsim_dp.installs, 3);
	cr_assert_eq(rtsim_dp.last.hops, 4);
	node_link(sim_node(s, 0), NIDP(s, 11), false); /* none left: removed */
	cr_assert_eq(rtsim_dp.removes, 1);
	cr_assert_eq(srum_cache_count(m), 0);
	sim_free(s);
}

/*
 * A link notice (another node's link 2 - 3 is down), through the module
 * API's link_notice hook: every path over it goes at once, the paths not in
 * the datapath first (a destination's next path is installed once, and does
 * not cross the link), and a destination left without a path is
 * rediscovered now.
 */
Test(srum, link_notice_invalidates_and_rediscovers)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	struct module *m = mod(s, 0, SRUM_NAME), *spdm = mod(s, 0, SPDM_NAME);
	struct node_id p3[3] = { nid(s, 1), nid(s, 2), nid(s, 3) },	  /* crosses 2-3 */
		q4[4] = { nid(s, 11), nid(s, 10), nid(s, 2), nid(s, 3) }, /* crosses 3-2 */
		p5[5] = { nid(s, 11), nid(s, 10), nid(s, 9), nid(s, 8), nid(s, 3) }, /* not */
		to5[5] = { nid(s, 1), nid(s, 2), nid(s, 3), nid(s, 4), nid(s, 5) },  /* crosses */
		to2[2] = { nid(s, 1), nid(s, 2) };				     /* not */
	int ins, rem;

	rtsim_watch_dp(s, 0);
	srum_learn(m, p5, NULL, 5);
	srum_learn(m, q4, NULL, 4);
	srum_learn(m, p3, NULL, 3);
	srum_learn(m, to5, NULL, 5);
	srum_learn(m, to2, NULL, 2);
	ins = rtsim_dp.installs;
	rem = rtsim_dp.removes;
	/* an "up" notice changes nothing; a notice about an unrelated link neither */
	rt_link_notice(mod(s, 0, "echo"), NIDP(s, 2), NIDP(s, 3), true);
	rt_link_notice(mod(s, 0, "echo"), NIDP(s, 6), NIDP(s, 7), false);
	cr_assert_eq(srum_cache_count(m), 5);
	cr_assert_eq(m->ctr[SRUM_C_LINK_NOTICES], 1);
	cr_assert_eq(rtsim_dp.installs, ins);
	/* node 3 says 3 - 2 is down (either direction counts) */
	rt_link_notice(mod(s, 0, "echo"), NIDP(s, 3), NIDP(s, 2), false);
	cr_assert_eq(m->ctr[SRUM_C_PATHS_INVALIDATED], 3);
	cr_assert_eq(srum_cache_count(m), 2);
	cr_assert_eq(rtsim_dp.installs, ins + 1,
		     "one install: the 5-hop path, never the 4-hop one");
	cr_assert_eq(rtsim_dp.last.hops, 5);
	cr_assert(node_id_eq(&rtsim_dp.last.dst, NIDP(s, 3)));
	cr_assert_eq(rtsim_dp.removes, rem + 1, "node 5 lost its only path");
	cr_assert_eq(srum_best(m, NIDP(s, 2), NULL), 2, "a path not over the link stays");
	cr_assert_eq(m->ctr[SRUM_C_REDISCOVERED], 1, "node 5 is rediscovered at once");
	cr_assert(spdm_pending(spdm, NIDP(s, 5)));
	sim_run(s);
	cr_assert_gt(srum_best(m, NIDP(s, 5), NULL), 0, "and found again");
	sim_free(s);
}

Test(srum, want_path_discovers_without_sending)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	struct module *m = mod(s, 0, SRUM_NAME);

	cr_assert_eq(srum_want_path(m, NIDP(s, 0)), -EINVAL);
	cr_assert_eq(srum_want_path(m, NIDP(s, 1)), 1, "a neighbour is a path");
	cr_assert_eq(srum_want_path(m, NIDP(s, 6)), 0);
	cr_assert_eq(srum_want_path(m, NIDP(s, 6)), 0, "already discovering");
	cr_assert_eq(m->ctr[SRUM_C_DISCOVERIES], 1);
	cr_assert_eq(m->ctr[SRUM_C_SENT], 0, "nothing sent");
	sim_run(s);
	cr_assert_eq(srum_want_path(m, NIDP(s, 6)), 1);
	cr_assert_eq(srum_best(m, NIDP(s, 6), NULL), 6);
	sim_free(s);
}

/* ---- salvage ---- */

/*
 * 0 - 1 - 2 - 3 (preferred, 3 hops) and 0 - 4 - 5 - 6 - 3 (4 hops): when
 * node 1 cannot reach 2, the only way round goes back through the source.
 */
static struct sim *ladder_sim(json_t *srum_params)
{
	char path[] = "/tmp/srum-salv-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct sim *s;

	cr_assert_not_null(f);
	fprintf(f, "0 1\n1 2\n2 3\n0 4\n4 5\n5 6\n6 3\n");
	fclose(f);
	s = rtsim_new(GRAPH_FILE, 0, path, srum_params);
	unlink(path);
	return s;
}

/* The link cut_from -> cut_to fails (sends refused, the neighbour listed down). */
static const struct rt_ops *cut_orig;
static struct node_id cut_to;

static int cut_send(struct node *n, const struct node_id *to, const char *module,
		    const struct mod_msg *msg)
{
	if (node_id_eq(to, &cut_to))
		return -EHOSTUNREACH;
	return cut_orig->send(n, to, module, msg);
}

static int cut_neighbours(struct node *n, struct nbr_info *out, int max)
{
	int k = cut_orig->neighbours(n, out, max);

	for (int i = 0; i < k && i < max; i++)
		if (node_id_eq(&out[i].id, &cut_to))
			out[i].up = false;
	return k;
}

static void cut_link(struct sim *s, uint32_t from, uint32_t to)
{
	static struct rt_ops ops;

	cut_orig = sim_node(s, from)->rt;
	ops = *cut_orig;
	ops.send = cut_send;
	ops.neighbours = cut_neighbours;
	cut_to = nid(s, to);
	sim_node(s, from)->rt = &ops;
}

static void learn_ids(struct sim *s, uint32_t at, const uint32_t *v, int n)
{
	struct node_id hop[SR_HOPS_MAX];

	for (int i = 0; i < n; i++)
		hop[i] = nid(s, v[i]);
	srum_learn(mod(s, at, SRUM_NAME), hop, NULL, n);
}

static uint64_t ctr_sum(struct sim *s, unsigned int c)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		t += mod(s, i, SRUM_NAME)->ctr[c];
	return t;
}

Test(srum, salvage_back_through_the_source_by_cached_path)
{
	struct sim *s = ladder_sim(NULL);
	struct module *m0 = mod(s, 0, SRUM_NAME), *m1 = mod(s, 1, SRUM_NAME);
	static const uint32_t a[] = { 1, 2, 3 }, b[] = { 4, 5, 6, 3 }, c[] = { 0, 4, 5, 6, 3 };

	learn_ids(s, 0, a, 3);
	learn_ids(s, 0, b, 4);
	learn_ids(s, 1, c, 5); /* node 1's only way to 3 once 1 - 2 fails */
	cut_link(s, 1, 2);
	cr_assert_eq(srum_send(m0, NIDP(s, 3), "echo", "x", 1), 1, "sent on 0 1 2 3");
	sim_run(s);
	cr_assert_eq(m1->ctr[SRUM_C_SALVAGED], 1);
	cr_assert_eq(mod(s, 3, "echo")->ctr[ECHO_C_RECEIVED], 1,
		     "salvaged on a new route from node 1: 1 0 4 5 6 3");
	cr_assert_eq(m0->ctr[SRUM_C_FORWARDED], 1, "the source relayed it once");
	cr_assert_eq(m1->ctr[SRUM_C_RERR_SENT], 1);
	cr_assert_eq(m0->ctr[SRUM_C_RERR_RECEIVED], 1);
	cr_assert_eq(srum_best(m0, NIDP(s, 3), NULL), 4, "the source dropped 0 1 2 3");
	/* the destination learned the way back to the route's start (node 1) */
	cr_assert_eq(srum_best(mod(s, 3, SRUM_NAME), NIDP(s, 1), NULL), 5);
	cr_assert_eq(ctr_sum(s, SRUM_C_DROP_BROKEN), 0);
	cr_assert_eq(ctr_sum(s, SRUM_C_DROP_TTL) + ctr_sum(s, SRUM_C_DROP_NOT_ON_PATH) +
			     ctr_sum(s, SRUM_C_DROP_MALFORMED),
		     0);
	sim_free(s);
}

Test(srum, salvage_back_through_the_source_after_discovery)
{
	struct sim *s = ladder_sim(NULL);
	struct module *m0 = mod(s, 0, SRUM_NAME), *m1 = mod(s, 1, SRUM_NAME);
	static const uint32_t a[] = { 1, 2, 3 }, b[] = { 4, 5, 6, 3 };

	learn_ids(s, 0, a, 3);
	learn_ids(s, 0, b, 4);
	cut_link(s, 1, 2); /* node 1 has no path to 3: it buffers and discovers */
	cr_assert_eq(srum_send(m0, NIDP(s, 3), "echo", "x", 1), 1);
	sim_run(s);
	cr_assert_eq(m1->ctr[SRUM_C_SALVAGED], 1);
	cr_assert_eq(m1->ctr[SRUM_C_BUFFERED], 1);
	cr_assert_geq(mod(s, 1, SPDM_NAME)->ctr[SPDM_C_DISCOVERED], 1);
	cr_assert_eq(m1->ctr[SRUM_C_BUF_FLUSHED], 1);
	cr_assert_eq(m1->ctr[SRUM_C_BUF_NO_ROUTE], 0);
	cr_assert_eq(mod(s, 3, "echo")->ctr[ECHO_C_RECEIVED], 1);
	cr_assert_eq(ctr_sum(s, SRUM_C_DROP_BROKEN), 0);
	sim_free(s);
}

Test(srum, salvage_is_bounded)
{
	struct sim *s = ladder_sim(json_pack("{s:i}", "salvage_max", 0));
	static const uint32_t a[] = { 1, 2, 3 }, c[] = { 0, 4, 5, 6, 3 };

	learn_ids(s, 0, a, 3);
	learn_ids(s, 1, c, 5);
	cut_link(s, 1, 2);
	cr_assert_eq(srum_send(mod(s, 0, SRUM_NAME), NIDP(s, 3), "echo", "x", 1), 1);
	sim_run(s);
	cr_assert_eq(mod(s, 1, SRUM_NAME)->ctr[SRUM_C_SALVAGED], 0);
	cr_assert_eq(mod(s, 1, SRUM_NAME)->ctr[SRUM_C_DROP_BROKEN], 1);
	cr_assert_eq(mod(s, 3, "echo")->ctr[ECHO_C_RECEIVED], 0);
	sim_free(s);
}

/* Link churn: route errors, salvage, rediscovery; delivery and no loops (the targets' shape). */
Test(srum, delivery_under_link_churn, .timeout = 120)
{
	struct routing_args a;
	char err[256] = "";
	json_t *o;

	routing_args_defaults(&a);
	a.graph = GRAPH_BA;
	a.nodes = 300;
	a.messages = 600;
	a.churn = 0.05;
	a.seed = 2;
	o = sim_srum_run(&a, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	cr_assert_geq(json_number_value(json_object_get(o, "delivery_ratio")), 0.99);
	cr_assert_eq(json_integer_value(json_object_get(o, "loops")), 0);
	cr_assert_eq(json_integer_value(json_object_get(o, "duplicates")), 0);
	cr_assert_gt(json_integer_value(json_object_get(o, "route_errors")), 0);
	cr_assert_gt(json_integer_value(json_object_get(o, "salvaged")), 0);
	cr_assert_gt(json_integer_value(json_object_get(o, "cache_hits")), 0);
	json_decref(o);
}

/* ---- wire ---- */

Test(srum_wire, data_round_trip_and_checks)
{
	struct srum_data_hdr h = { .npath = 3, .pos = 1, .ttl = 20, .salvage = 1 }, d;
	uint8_t buf[ICC_MAX_PAYLOAD];
	int n;

	memset(h.src.b, 1, ID_LEN);
	memset(h.start.b, 2, ID_LEN);
	for (int i = 0; i < 3; i++)
		memset(h.path[i].b, 10 + i, ID_LEN);
	h.dst = h.path[2];
	strcpy(h.dmm, "echo");
	n = srum_data_encode(&h, buf, sizeof(buf));
	cr_assert_eq(n, (int)SRUM_DATA_HDR(3, 1));
	cr_assert_eq(srum_data_decode(buf, (size_t)n, &d), n);
	cr_assert_eq(d.pos, 1);
	cr_assert_eq(d.ttl, 20);
	cr_assert_eq(d.salvage, 1);
	cr_assert(node_id_eq(&d.start, &h.start), "a salvaged message carries its route's start");
	cr_assert(node_id_eq(&d.src, &h.src));
	cr_assert_str_eq(d.dmm, "echo");
	for (int len = 0; len < n; len++)
		cr_assert_lt(srum_data_decode(buf, (size_t)len, &d), 0, "len %d", len);
	buf[3] = 3; /* pos past the path */
	cr_assert_eq(srum_data_decode(buf, (size_t)n, &d), -EBADMSG);
	buf[3] = 1;
	buf[2] = SR_HOPS_MAX + 1;
	cr_assert_eq(srum_data_decode(buf, sizeof(buf), &d), -EBADMSG);
	h.path[1] = h.start; /* a loop through the route's start */
	n = srum_data_encode(&h, buf, sizeof(buf));
	cr_assert_eq(srum_data_decode(buf, (size_t)n, &d), -EBADMSG);
	h.path[1] = h.src; /* through the source, after a salvage: a route, not a loop */
	n = srum_data_encode(&h, buf, sizeof(buf));
	cr_assert_eq(srum_data_decode(buf, (size_t)n, &d), n);
	h.salvage = 0; /* unsalvaged: the route starts at src, no start field */
	n = srum_data_encode(&h, buf, sizeof(buf));
	cr_assert_eq(n, (int)SRUM_DATA_HDR(3, 0));
	cr_assert_eq(srum_data_decode(buf, (size_t)n, &d), -EBADMSG, "now a loop through src");
	memset(h.path[1].b, 11, ID_LEN);
	n = srum_data_encode(&h, buf, sizeof(buf));
	cr_assert_eq(srum_data_decode(buf, (size_t)n, &d), n);
	cr_assert(node_id_eq(&d.start, &h.src));
	for (int len = 0; len < n; len++)
		cr_assert_lt(srum_data_decode(buf, (size_t)len, &d), 0, "len %d", len);
	memset(h.dst.b, 99, ID_LEN); /* path not ending at dst */
	n = srum_data_encode(&h, buf, sizeof(buf));
	cr_assert_eq(srum_data_decode(buf, (size_t)n, &d), -EBADMSG);
	h.dst = h.path[2];
	n = srum_data_encode(&h, buf, sizeof(buf));
	buf[8 + 2 * ID_LEN + 6] = 'x'; /* after the module name's NUL */
	cr_assert_eq(srum_data_decode(buf, (size_t)n, &d), -EBADMSG);
	h.npath = 0;
	cr_assert_eq(srum_data_encode(&h, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(srum_msg_type((const uint8_t *)"\x01\x01", 2), -EBADMSG, "version 1");
}

Test(srum_wire, route_error_round_trip_and_checks)
{
	struct srum_rerr e = { .nback = 2, .pos = 1 }, d;
	uint8_t buf[SRUM_RERR_MAX + 4];
	size_t bl;
	int n;

	memset(e.origin.b, 1, ID_LEN);
	memset(e.broken.b, 2, ID_LEN);
	memset(e.back[0].b, 3, ID_LEN);
	memset(e.back[1].b, 4, ID_LEN);
	e.src = e.back[1];
	e.auth.signed_ = 1;
	memset(e.auth.pub, 5, RT_PUB_LEN);
	n = srum_rerr_encode(&e, buf, sizeof(buf), &bl);
	cr_assert_eq(n, (int)(SRUM_RERR_BODY(2) + SR_AUTH_LEN));
	cr_assert_eq(bl, SRUM_RERR_BODY(2));
	cr_assert_eq(srum_rerr_decode(buf, (size_t)n, &d, NULL), 0);
	cr_assert_eq(d.pos, 1);
	cr_assert(node_id_eq(&d.broken, &e.broken));
	cr_assert_eq(memcmp(d.auth.pub, e.auth.pub, RT_PUB_LEN), 0);
	for (int len = 0; len < n; len++)
		cr_assert_lt(srum_rerr_decode(buf, (size_t)len, &d, NULL), 0, "len %d", len);
	cr_assert_lt(srum_rerr_decode(buf, (size_t)n + 1, &d, NULL), 0, "trailing byte");
	e.broken = e.origin;
	n = srum_rerr_encode(&e, buf, sizeof(buf), NULL);
	cr_assert_lt(srum_rerr_decode(buf, (size_t)n, &d, NULL), 0, "a link to itself");
	memset(e.broken.b, 2, ID_LEN);
	e.src = e.back[0];
	n = srum_rerr_encode(&e, buf, sizeof(buf), NULL);
	cr_assert_lt(srum_rerr_decode(buf, (size_t)n, &d, NULL), 0, "not ending at src");
	e.nback = SR_HOPS_MAX + 1;
	cr_assert_eq(srum_rerr_encode(&e, buf, sizeof(buf), NULL), -EINVAL);
}

static json_t *call_op(struct module *m, const char *name, json_t *req, char *err, size_t errlen)
{
	for (const struct module_ctl_op *op = m->ops->ctl_ops; op && op->name; op++)
		if (!strcmp(op->name, name)) {
			json_t *r = op->fn(m, req, err, errlen);

			json_decref(req);
			return r;
		}
	cr_assert_fail("no op %s", name);
	return NULL;
}

Test(srum, control_ops)
{
	struct sim *s = rtsim_new(GRAPH_RING, 12, NULL, NULL);
	char hex[ID_HEX_LEN + 1], err[128] = "";
	json_t *r;

	id_fmt(sim_node(s, 6)->id.b, hex);
	r = call_op(mod(s, 0, SRUM_NAME), "srum_send",
		    json_pack("{s:s, s:s, s:s}", "to", hex, "module", "echo", "payload", "hi"), err,
		    sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_assert(json_is_false(json_object_get(r, "sent")), "buffered: no path yet");
	json_decref(r);
	sim_run(s);
	cr_assert_eq(mod(s, 6, "echo")->ctr[ECHO_C_RECEIVED], 1);
	r = call_op(mod(s, 0, SRUM_NAME), "srum_paths", json_object(), err, sizeof(err));
	cr_assert_not_null(r);
	cr_assert_geq(json_array_size(json_object_get(r, "paths")), 1);
	json_decref(r);
	cr_assert_null(call_op(
		mod(s, 0, SRUM_NAME), "srum_send",
		json_pack("{s:s, s:s, s:s}", "to", "xyz", "module", "echo", "payload", "hi"), err,
		sizeof(err)));
	cr_assert(strstr(err, "'to'"), "%s", err);
	id_fmt(sim_node(s, 9)->id.b, hex);
	r = call_op(mod(s, 0, SPDM_NAME), "spdm_discover", json_pack("{s:s}", "to", hex), err,
		    sizeof(err));
	cr_assert(json_is_true(json_object_get(r, "started")));
	json_decref(r);
	r = call_op(mod(s, 0, SPDM_NAME), "spdm_discover", json_pack("{s:s}", "to", hex), err,
		    sizeof(err));
	cr_assert(json_is_false(json_object_get(r, "started")), "already running");
	json_decref(r);
	r = call_op(mod(s, 0, "tlfm"), "tlfm_send",
		    json_pack("{s:s, s:s, s:i}", "module", "echo", "payload", "x", "tokens", 3),
		    err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(json_integer_value(json_object_get(r, "sent")), 2);
	json_decref(r);
	cr_assert_null(call_op(mod(s, 0, "tlfm"), "tlfm_send",
			       json_pack("{s:s, s:s}", "module", "echo", "payload", "x"), err,
			       sizeof(err)),
		       "tokens required unless plain");
	sim_run(s);
	sim_free(s);
}
