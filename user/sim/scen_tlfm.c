// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ipop-sim tlfm: one token-limited flood (or the plain-flood baseline) from
 * a random node; coverage, transmissions against the budget, duplicates and
 * depth, read from each node's TLFM state and counters.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "modules/tlfm.h"
#include "sim/scen_routing.h"
#include "sim/scen_routing_int.h"
#include "sim/sim_int.h"

void routing_args_defaults(struct routing_args *a)
{
	*a = (struct routing_args){ .graph = GRAPH_BA,
				    .nodes = 1000,
				    .degree = 6,
				    .beta = 0.1,
				    .seed = 1,
				    .pairs = 100,
				    .messages = 1000,
				    .churn = 0.01 };
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *tlfm_modules(void)
{
	return json_pack("{s:{s:i, s:i}, s:{s:[s]}, s:{s:[s], s:i}}", "cmm", "seen_capacity", 256,
			 "seen_ttl_ms", 600000, "echo", "dependencies", "cmm", "tlfm",
			 "dependencies", "cmm", "state_capacity", 64);
}

json_t *sim_tlfm_run(const struct routing_args *a, char *err, size_t errlen)
{
	json_t *mods = tlfm_modules(), *o;
	struct sim *s;
	struct rng r;
	struct msg_id id;
	uint64_t budget, sent = 0, dups = 0, covered = 0, passed = 0, dropped = 0;
	unsigned int depth, max_depth = 0;
	uint32_t n, src;
	double t0 = now_s();
	int ret;

	s = routing_sim(a, mods, err, errlen);
	json_decref(mods);
	if (!s)
		return NULL;
	n = sim_nnodes(s);
	budget = a->tokens ? a->tokens : n;
	if (budget > UINT32_MAX) {
		snprintf(err, errlen, "budget above 2^32 - 1");
		sim_free(s);
		return NULL;
	}
	rng_seed(&r, a->seed ^ 0x7f1f);
	src = (uint32_t)rng_below(&r, n);
	for (int k = 0; k < ID_LEN; k++)
		id.b[k] = (uint8_t)rng_next(&r);
	ret = tlfm_send(node_module(sim_node(s, src), TLFM_NAME), &id, "tlfm", 4, (uint32_t)budget,
			a->plain ? TLFM_F_PLAIN : 0, "echo");
	if (ret < 0) {
		snprintf(err, errlen, "tlfm_send: %s", strerror(-ret));
		sim_free(s);
		return NULL;
	}
	sim_run(s);
	for (uint32_t i = 0; i < n; i++) {
		struct module *m = node_module(sim_node(s, i), TLFM_NAME);

		sent += m->ctr[TLFM_C_SENT];
		dups += m->ctr[TLFM_C_DUPLICATES];
		passed += m->ctr[TLFM_C_PASSED_ON];
		dropped += m->ctr[TLFM_C_TOKENS_DROPPED];
		if (tlfm_lookup(m, &id, &depth)) {
			covered++;
			max_depth = depth > max_depth ? depth : max_depth;
		}
	}
	o = json_object();
	json_object_set_new(o, "graph", json_string(graph_names[a->graph]));
	json_object_set_new(o, "nodes", json_integer(n));
	json_object_set_new(o, "edges", json_integer((json_int_t)graph_edges(sim_graph(s))));
	json_object_set_new(o, "seed", json_integer((json_int_t)a->seed));
	json_object_set_new(o, "plain", json_boolean(a->plain));
	json_object_set_new(o, "budget", json_integer((json_int_t)budget));
	json_object_set_new(o, "messages", json_integer((json_int_t)sent));
	json_object_set_new(o, "within_budget", json_boolean(a->plain || sent + 1 <= budget));
	json_object_set_new(o, "coverage", json_real((double)covered / n));
	json_object_set_new(o, "reached", json_integer((json_int_t)covered));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)dups));
	json_object_set_new(o, "passed_on", json_integer((json_int_t)passed));
	json_object_set_new(o, "tokens_dropped", json_integer((json_int_t)dropped));
	json_object_set_new(o, "max_depth", json_integer(max_depth));
	json_object_set_new(o, "events", json_integer((json_int_t)sim_counts(s)->events));
	json_object_set_new(o, "wall_s", json_real(now_s() - t0));
	json_object_set_new(o, "peak_mib", json_real(routing_peak_mib()));
	sim_free(s);
	return o;
}
