// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TLFM: the token bound, tokens passed on, plain-flood count, state bounds, wire checks. */
#include <criterion/criterion.h>
#include <errno.h>

#include "modules/echo.h"
#include "modules/tlfm.h"
#include "sim/rng.h"
#include "sim/scen_routing.h"
#include "sim/sim.h"

static json_t *tlfmt_run(enum graph_kind g, uint32_t n, uint32_t deg, uint64_t seed,
			 uint64_t tokens, bool plain)
{
	struct routing_args a;
	char err[256] = "";
	json_t *o;

	routing_args_defaults(&a);
	a.graph = g;
	a.nodes = n;
	a.degree = deg;
	a.seed = seed;
	a.tokens = tokens;
	a.plain = plain;
	o = sim_tlfm_run(&a, err, sizeof(err));
	cr_assert_not_null(o, "sim_tlfm_run: %s", err);
	return o;
}

static uint64_t jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	cr_assert(json_is_integer(v), "%s", k);
	return (uint64_t)json_integer_value(v);
}

static double jreal(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	cr_assert(json_is_number(v), "%s", k);
	return json_number_value(v);
}

/* The hard rule as a property: B - 1 transmissions exactly on any graph where the source has a neighbour. */
Test(tlfm, token_bound_over_random_graphs_and_budgets, .timeout = 60)
{
	const enum graph_kind kinds[] = { GRAPH_BA, GRAPH_ER, GRAPH_WS };
	struct rng r;

	rng_seed(&r, 4242);
	for (int run = 0; run < 120; run++) {
		enum graph_kind g = kinds[run % 3];
		uint32_t n = 20 + (uint32_t)rng_below(&r, 300);
		uint64_t b = 1 + rng_below(&r, 4 * n);
		json_t *o = tlfmt_run(g, n, 4 + 2 * (uint32_t)rng_below(&r, 3),
				      1 + rng_below(&r, 1000), b, false);
		uint64_t sent = jint(o, "messages"), dropped = jint(o, "tokens_dropped");

		cr_assert_leq(sent + 1, b, "run %d: %lu transmissions for budget %lu", run,
			      (unsigned long)sent, (unsigned long)b);
		/* a token is only dropped with no up neighbour (an isolated ER source) */
		cr_assert_eq(sent + dropped, b - 1, "run %d: tokens lost", run);
		cr_assert_leq(jint(o, "reached"), sent + 1);
		json_decref(o);
	}
}

Test(tlfm, one_token_sends_nothing_two_tokens_send_one)
{
	json_t *o = tlfmt_run(GRAPH_BA, 50, 6, 3, 1, false);

	cr_assert_eq(jint(o, "messages"), 0);
	cr_assert_eq(jint(o, "reached"), 1);
	json_decref(o);
	o = tlfmt_run(GRAPH_BA, 50, 6, 3, 2, false);
	cr_assert_eq(jint(o, "messages"), 1);
	cr_assert_eq(jint(o, "reached"), 2);
	json_decref(o);
}

Test(tlfm, plain_flood_is_exactly_2e_minus_n_minus_1)
{
	const enum graph_kind kinds[] = { GRAPH_BA, GRAPH_WS, GRAPH_BA };

	for (int i = 0; i < 3; i++) {
		json_t *o =
			tlfmt_run(kinds[i], 500 + 100 * (uint32_t)i, 6, 10 + (uint64_t)i, 0, true);
		uint64_t n = jint(o, "nodes"), e = jint(o, "edges");

		cr_assert_eq(jint(o, "reached"), n, "BA/WS graphs are connected");
		cr_assert_eq(jint(o, "messages"), 2 * e - (n - 1));
		cr_assert_eq(jint(o, "duplicates"), 2 * e - (n - 1) - (n - 1));
		json_decref(o);
	}
}

/* The targets' shapes at 1,000 nodes (mean over 3 seeds; the bench runs 10,000 x 5). */
Test(tlfm, coverage_targets_at_1000_nodes, .timeout = 60)
{
	const enum graph_kind kinds[] = { GRAPH_BA, GRAPH_ER, GRAPH_WS };
	const double want[3][3] = { { 0.60, 0.85, 0.99 },
				    { 0.60, 0.85, 0.99 },
				    { 0.40, 0.70, 0.95 } };

	for (int g = 0; g < 3; g++)
		for (int b = 0; b < 3; b++) {
			double sum = 0;

			for (uint64_t seed = 1; seed <= 3; seed++) {
				json_t *o = tlfmt_run(kinds[g], 1000, 6, seed, 1000u << b, false);

				cr_assert_eq(jint(o, "messages"), (1000u << b) - 1);
				sum += jreal(o, "coverage");
				json_decref(o);
			}
			cr_assert_geq(sum / 3, want[g][b], "graph %d budget %dN: coverage %.3f", g,
				      1 << b, sum / 3);
		}
}

static struct sim *tlfmt_sim(enum graph_kind g, uint32_t n, json_t *tlfm_params)
{
	struct sim_cfg c;
	char err[256] = "";
	json_t *mods = json_pack("{s:{}, s:{s:[s]}, s:o}", "cmm", "echo", "dependencies", "cmm",
				 "tlfm", tlfm_params);
	struct sim *s;

	json_object_set_new(json_object_get(mods, "tlfm"), "dependencies", json_pack("[s]", "cmm"));
	sim_cfg_defaults(&c);
	c.graph.kind = g;
	c.graph.n = n;
	c.graph.degree = 4;
	s = sim_new(&c, mods, NULL, NULL, err, sizeof(err));
	json_decref(mods);
	cr_assert_not_null(s, "sim_new: %s", err);
	return s;
}

Test(tlfm, delivered_at_most_once_per_node_and_never_to_the_origin)
{
	struct sim *s = tlfmt_sim(GRAPH_WS, 200, json_object());
	struct msg_id id = { { 7 } };
	uint64_t got = 0, reached = 0;

	cr_assert_eq(
		tlfm_send(node_module(sim_node(s, 5), TLFM_NAME), &id, "x", 1, 2000, 0, "echo"), 4);
	cr_assert_eq(tlfm_send(node_module(sim_node(s, 5), TLFM_NAME), &id, "x", 1, 20, 0, "echo"),
		     -EALREADY);
	sim_run(s);
	for (uint32_t i = 0; i < 200; i++) {
		uint64_t e = node_module(sim_node(s, i), "echo")->ctr[ECHO_C_RECEIVED];

		cr_assert_leq(e, 1, "node %u got %lu", i, (unsigned long)e);
		got += e;
		reached += (uint64_t)tlfm_lookup(node_module(sim_node(s, i), TLFM_NAME), &id, NULL);
	}
	cr_assert_eq(node_module(sim_node(s, 5), "echo")->ctr[ECHO_C_RECEIVED], 0);
	cr_assert_eq(got, reached - 1);
	cr_assert_gt(reached, 150);
	sim_free(s);
}

Test(tlfm, state_is_bounded_and_expires)
{
	struct sim *s = tlfmt_sim(
		GRAPH_RING, 10, json_pack("{s:i, s:i}", "state_capacity", 2, "state_ttl_ms", 1000));
	struct module *t = node_module(sim_node(s, 0), TLFM_NAME);
	struct msg_id a = { { 1 } }, b = { { 2 } }, c = { { 3 } };

	cr_assert_eq(tlfm_send(t, &a, "", 0, 1, 0, "echo"), 0);
	cr_assert_eq(tlfm_send(t, &b, "", 0, 1, 0, "echo"), 0);
	cr_assert(tlfm_lookup(t, &a, NULL));
	cr_assert_eq(tlfm_send(t, &c, "", 0, 1, 0, "echo"), 0);
	cr_assert_not(tlfm_lookup(t, &a, NULL), "the oldest is replaced when full");
	cr_assert(tlfm_lookup(t, &b, NULL) && tlfm_lookup(t, &c, NULL));
	cr_assert_eq(t->ctr[TLFM_C_STATE_EVICTED], 1);
	/* 1 s later (a timer on another module moves the clock) both are gone */
	sim_schedule_app(s, 1500000000ULL, 1, 0);
	sim_run(s);
	cr_assert_geq(sim_now(s), 1500000000ULL);
	cr_assert_not(tlfm_lookup(t, &b, NULL));
	cr_assert_not(tlfm_lookup(t, &c, NULL));
	sim_free(s);
}

Test(tlfm, bad_arguments)
{
	struct sim *s = tlfmt_sim(GRAPH_RING, 10, json_object());
	struct module *t = node_module(sim_node(s, 0), TLFM_NAME);
	struct msg_id id = { { 1 } };
	static uint8_t big[TLFM_MAX_DATA + 1];

	cr_assert_eq(tlfm_send(t, &id, "x", 1, 0, 0, "echo"), -EINVAL);
	cr_assert_eq(tlfm_send(t, &id, big, sizeof(big), 5, 0, "echo"), -EINVAL);
	cr_assert_eq(tlfm_send(t, &id, "x", 1, 5, 0x80, "echo"), -EINVAL);
	cr_assert_eq(tlfm_send(t, &id, "x", 1, 5, 0, "No Such"), -EINVAL);
	cr_assert_eq(tlfm_relay_rewrite(t, "x", 1), -EINVAL, "only inside a delivery");
	sim_free(s);
}

static int tlfmt_roundtrip(const struct tlfm_hdr *h, uint8_t *buf, size_t cap)
{
	struct tlfm_hdr d;
	int n = tlfm_hdr_encode(h, buf, cap);

	cr_assert_gt(n, 0);
	cr_assert_eq(tlfm_hdr_decode(buf, (size_t)n, &d), n);
	cr_assert_eq(d.tokens, h->tokens);
	cr_assert_eq(d.depth, h->depth);
	cr_assert_eq(d.nknown, h->nknown);
	cr_assert_str_eq(d.dmm, h->dmm);
	cr_assert(msg_id_eq(&d.flood, &h->flood));
	for (int i = 0; i < h->nknown; i++)
		cr_assert(node_id_eq(&d.known[i], &h->known[i]));
	return n;
}

Test(tlfm_wire, round_trip_truncated_oversized_corrupt)
{
	struct tlfm_hdr h = { .flags = TLFM_F_DUPS, .depth = 300, .tokens = 70000, .nknown = 3 };
	uint8_t buf[CMM_MAX_DATA];
	struct tlfm_hdr d;
	int n;

	memset(h.flood.b, 0xab, ID_LEN);
	memset(h.origin.b, 0xcd, ID_LEN);
	for (int i = 0; i < 3; i++)
		memset(h.known[i].b, i + 1, ID_LEN);
	strcpy(h.dmm, "spdm");
	n = tlfmt_roundtrip(&h, buf, sizeof(buf));
	cr_assert_eq(n, TLFM_HDR_LEN + 3 * ID_LEN);
	for (int len = 0; len < n; len++)
		cr_assert_eq(tlfm_hdr_decode(buf, (size_t)len, &d), -EBADMSG, "truncated to %d",
			     len);
	buf[TLFM_HDR_LEN - 1] = TLFM_KNOWN_MAX + 1; /* nknown above the bound */
	cr_assert_eq(tlfm_hdr_decode(buf, sizeof(buf), &d), -EBADMSG);
	n = tlfmt_roundtrip(&h, buf, sizeof(buf));
	buf[0] = 2;
	cr_assert_eq(tlfm_hdr_decode(buf, (size_t)n, &d), -EBADMSG, "version");
	buf[0] = TLFM_WIRE_VERSION;
	buf[1] = 0x40;
	cr_assert_eq(tlfm_hdr_decode(buf, (size_t)n, &d), -EBADMSG, "unknown flag");
	buf[1] = 0;
	memset(buf + 4, 0, 4);
	cr_assert_eq(tlfm_hdr_decode(buf, (size_t)n, &d), -EBADMSG, "zero tokens");
	buf[1] = TLFM_F_PLAIN;
	cr_assert_eq(tlfm_hdr_decode(buf, (size_t)n, &d), n, "plain floods carry no tokens");
	buf[8 + 2 * ID_LEN + 6] = 'x'; /* a byte after the name's NUL */
	cr_assert_eq(tlfm_hdr_decode(buf, (size_t)n, &d), -EBADMSG, "padding");
	h.nknown = TLFM_KNOWN_MAX + 1;
	cr_assert_eq(tlfm_hdr_encode(&h, buf, sizeof(buf)), -EINVAL);
	h.nknown = 0;
	cr_assert_eq(tlfm_hdr_encode(&h, buf, TLFM_HDR_LEN - 1), -EINVAL);
}

Test(tlfm_wire, hop_ids_are_distinct)
{
	struct msg_id f = { { 1 } }, a, b, c;
	struct node_id x = { { 2 } }, y = { { 3 } };

	tlfm_hop_id(&f, &x, 0, &a);
	tlfm_hop_id(&f, &x, 1, &b);
	tlfm_hop_id(&f, &y, 0, &c);
	cr_assert_not(msg_id_eq(&a, &b));
	cr_assert_not(msg_id_eq(&a, &c));
}
