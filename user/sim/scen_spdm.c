// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ipop-sim spdm: route discoveries between random pairs, one at a time;
 * discovered or not, the preferred path's hops against the BFS shortest
 * path (stretch), messages and virtual time per discovery.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "modules/spdm.h"
#include "modules/srum.h"
#include "modules/tlfm.h"
#include "sim/scen_routing.h"
#include "sim/scen_routing_int.h"
#include "sim/sim_int.h"

double routing_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double routing_peak_mib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0;
}

json_t *routing_modules(uint32_t nodes)
{
	uint64_t max_tokens = 4 * (uint64_t)nodes < 1024 ? 1024 : 4 * (uint64_t)nodes;

	return json_pack("{s:{s:i, s:i}, s:{s:[s]}, s:{s:[s], s:i}, s:{s:[s], s:I}, s:{s:[s, s]}}",
			 "cmm", "seen_capacity", 256, "seen_ttl_ms", 600000, "echo", "dependencies",
			 "cmm", "tlfm", "dependencies", "cmm", "state_capacity", 64, "spdm",
			 "dependencies", "tlfm", "max_tokens", (json_int_t)max_tokens, "srum",
			 "dependencies", "spdm", "echo");
}

struct sim *routing_sim(const struct routing_args *a, const json_t *mods, char *err, size_t errlen)
{
	struct sim_cfg cfg;

	sim_cfg_defaults(&cfg);
	cfg.graph.kind = a->graph;
	cfg.graph.n = a->nodes;
	cfg.graph.degree = a->degree;
	cfg.graph.beta = a->beta;
	cfg.graph.file = a->edges;
	cfg.seed = a->seed;
	return sim_new(&cfg, mods, NULL, NULL, err, errlen);
}

/* Hop distances from src (UINT32_MAX: unreachable); links where down(u, v) are skipped. */
void routing_bfs(const struct graph *g, uint32_t src, uint32_t *dist, uint32_t *queue,
		 bool (*down)(void *ctx, uint32_t u, uint64_t slot), void *ctx)
{
	uint32_t qh = 0, qt = 0;

	for (uint32_t i = 0; i < g->n; i++)
		dist[i] = UINT32_MAX;
	dist[src] = 0;
	queue[qt++] = src;
	while (qh < qt) {
		uint32_t u = queue[qh++];

		for (uint64_t k = g->off[u]; k < g->off[u + 1]; k++) {
			uint32_t v = g->adj[k];

			if (dist[v] != UINT32_MAX || (down && down(ctx, u, k)))
				continue;
			dist[v] = dist[u] + 1;
			queue[qt++] = v;
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double routing_quantile(double *v, size_t n, double q)
{
	size_t k;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)ceil(q * (double)n);
	return v[k ? k - 1 : 0];
}

static uint64_t spdm_messages(struct sim *s)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < sim_nnodes(s); i++) {
		struct node *nd = sim_node(s, i);
		const uint64_t *c = node_module(nd, SPDM_NAME)->ctr;

		t += node_module(nd, TLFM_NAME)->ctr[TLFM_C_SENT] + c[SPDM_C_NONPROP_SENT] +
		     c[SPDM_C_REPLIES_SENT] + c[SPDM_C_REPLIES_FORWARDED];
	}
	return t;
}

json_t *sim_spdm_run(const struct routing_args *a, char *err, size_t errlen)
{
	json_t *mods = routing_modules(a->nodes), *o = NULL;
	struct sim *s = routing_sim(a, mods, err, errlen);
	uint32_t n, *dist = NULL, *queue = NULL, reachable = 0, found = 0, max_hops = 0;
	double *stretch = NULL, *lat = NULL, t0 = routing_now_s();
	uint64_t msgs = 0, msgs_max = 0, tries_over = 0;
	struct rng r;

	json_decref(mods);
	if (!s)
		return NULL;
	n = sim_nnodes(s);
	dist = malloc(sizeof(uint32_t) * n);
	queue = malloc(sizeof(uint32_t) * n);
	stretch = malloc(sizeof(double) * a->pairs);
	lat = malloc(sizeof(double) * a->pairs);
	if (!dist || !queue || !stretch || !lat) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rng_seed(&r, a->seed ^ 0x5bd1);
	for (uint32_t k = 0; k < a->pairs; k++) {
		uint32_t src = (uint32_t)rng_below(&r, n), dst = (uint32_t)rng_below(&r, n - 1);
		struct module *sp = node_module(sim_node(s, src), SPDM_NAME);
		struct module *sr = node_module(sim_node(s, src), SRUM_NAME);
		uint64_t before = spdm_messages(s), m, disc0 = sp->ctr[SPDM_C_DISCOVERED];
		int hops;

		dst += dst >= src;
		routing_bfs(sim_graph(s), src, dist, queue, NULL, NULL);
		if (dist[dst] == UINT32_MAX || dist[dst] > SR_HOPS_MAX)
			continue;
		reachable++;
		if (srum_best(sr, &sim_node(s, dst)->id, NULL) == 0) {
			spdm_discover(sp, &sim_node(s, dst)->id);
			sim_run(s);
			tries_over += sp->ctr[SPDM_C_DISCOVERED] == disc0;
		}
		m = spdm_messages(s) - before;
		msgs += m;
		msgs_max = m > msgs_max ? m : msgs_max;
		hops = srum_best(sr, &sim_node(s, dst)->id, NULL);
		if (hops <= 0)
			continue;
		stretch[found] = (double)hops / dist[dst];
		lat[found] = sp->ctr[SPDM_C_DISCOVERED] > disc0 ? spdm_last_latency(sp) / 1e6 : 0;
		found++;
		max_hops = (uint32_t)hops > max_hops ? (uint32_t)hops : max_hops;
	}
	o = json_object();
	json_object_set_new(o, "graph", json_string(graph_names[a->graph]));
	json_object_set_new(o, "nodes", json_integer(n));
	json_object_set_new(o, "seed", json_integer((json_int_t)a->seed));
	json_object_set_new(o, "pairs", json_integer(a->pairs));
	json_object_set_new(o, "reachable", json_integer(reachable));
	json_object_set_new(o, "discovered", json_integer(found));
	json_object_set_new(o, "not_discovered", json_integer((json_int_t)tries_over));
	json_object_set_new(o, "messages", json_real(reachable ? (double)msgs / reachable : 0));
	json_object_set_new(o, "messages_max", json_integer((json_int_t)msgs_max));
	json_object_set_new(o, "max_hops", json_integer(max_hops));
	json_object_set_new(o, "latency_ms_median", json_real(routing_quantile(lat, found, 0.5)));
	json_object_set_new(o, "latency_ms_p95", json_real(routing_quantile(lat, found, 0.95)));
	json_object_set_new(o, "stretch_median", json_real(routing_quantile(stretch, found, 0.5)));
	json_object_set_new(o, "stretch_p95", json_real(routing_quantile(stretch, found, 0.95)));
	json_object_set_new(o, "events", json_integer((json_int_t)sim_counts(s)->events));
	json_object_set_new(o, "wall_s", json_real(routing_now_s() - t0));
	json_object_set_new(o, "peak_mib", json_real(routing_peak_mib()));
out:
	free(dist);
	free(queue);
	free(stretch);
	free(lat);
	sim_free(s);
	return o;
}
