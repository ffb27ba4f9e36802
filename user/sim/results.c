// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The engine's results: graph, clock, ICC counts, every module counter
 * summed over nodes; the scenario adds its own figures (its results hook).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "sim/sim_int.h"

/* Nodes reachable from src over links that are not dead (BFS), src included. */
uint64_t sim_expected_reach(struct sim *s, uint32_t src)
{
	uint32_t *queue = malloc(sizeof(*queue) * s->g.n);
	uint8_t *mark = calloc(s->g.n, 1);
	uint64_t head = 0, tail = 0;

	if (!queue || !mark) {
		free(queue);
		free(mark);
		return 0;
	}
	queue[tail++] = src;
	mark[src] = 1;
	while (head < tail) {
		uint32_t u = queue[head++];

		for (uint64_t k = s->g.off[u]; k < s->g.off[u + 1]; k++) {
			uint32_t v = s->g.adj[k];

			if (!mark[v] && !sim_link_dead(s, u, v)) {
				mark[v] = 1;
				queue[tail++] = v;
			}
		}
	}
	free(queue);
	free(mark);
	return tail;
}

/* Every module's counters summed over nodes, as {"module": {...}}. */
static json_t *modules_json(struct sim *s)
{
	json_t *o = json_object();

	for (int j = 0; j < s->mc.n; j++) {
		unsigned int nc = module_ncounters(s->mc.ops[j]);
		uint64_t *sum = calloc(nc + 1, sizeof(uint64_t));
		json_t *mo = json_object();

		for (uint32_t i = 0; sum && i < s->g.n; i++)
			for (unsigned int c = 0; c < nc; c++)
				sum[c] += s->nodes[i].mods[j].ctr[c];
		if (sum)
			module_counters_json(s->mc.ops[j], sum, mo);
		json_object_set_new(o, s->mc.ops[j]->name, mo);
		free(sum);
	}
	return o;
}

static long max_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_maxrss;
}

json_t *sim_results_json(struct sim *s, double wall_s)
{
	const struct sim_counts *c = &s->cnt;
	uint64_t alive = 0, max_deg = 0;
	json_t *o;

	for (uint32_t i = 0; i < s->g.n; i++) {
		uint32_t deg = graph_degree(&s->g, i);

		max_deg = deg > max_deg ? deg : max_deg;
		alive += !s->failed[i];
	}
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f}", "graph",
		      graph_names[s->cfg.graph.kind], "scenario", s->scen ? s->scen->name : "none",
		      "seed", (json_int_t)s->cfg.seed, "nodes", (json_int_t)s->g.n, "edges",
		      (json_int_t)graph_edges(&s->g), "max_degree", (json_int_t)max_deg, "alive",
		      (json_int_t)alive, "sim_time_s", (double)s->now / 1e9, "wall_s", wall_s,
		      "events_per_s", wall_s > 0 ? (double)c->events / wall_s : 0.0);
	json_object_set_new(o, "events", json_integer((json_int_t)c->events));
	json_object_set_new(
		o, "icc",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "sent", (json_int_t)c->icc_sent,
			  "delivered", (json_int_t)c->icc_delivered, "lost_loss",
			  (json_int_t)c->lost_loss, "lost_link", (json_int_t)c->lost_link,
			  "to_failed", (json_int_t)c->to_failed, "unknown_module",
			  (json_int_t)c->unknown_module));
	if (s->scen && s->scen->results)
		s->scen->results(s->scen_ctx, s, o);
	json_object_set_new(o, "max_rss_kb", json_integer(max_rss_kb()));
	json_object_set_new(o, "modules", modules_json(s));
	return o;
}

static void print_obj(FILE *out, const char *prefix, json_t *o)
{
	const char *k;
	json_t *v;
	char key[128];

	json_object_foreach(o, k, v) {
		snprintf(key, sizeof(key), "%s%s", prefix, k);
		if (json_is_object(v)) {
			strncat(key, ".", sizeof(key) - strlen(key) - 1);
			print_obj(out, key, v);
		} else if (json_is_real(v)) {
			fprintf(out, "%-34s %.3f\n", key, json_real_value(v));
		} else if (json_is_integer(v)) {
			fprintf(out, "%-34s %lld\n", key, (long long)json_integer_value(v));
		} else if (json_is_string(v)) {
			fprintf(out, "%-34s %s\n", key, json_string_value(v));
		}
	}
}

void sim_results_print(json_t *results, FILE *out)
{
	print_obj(out, "", results);
}
