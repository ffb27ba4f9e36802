// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Scenarios and results. neighbours: every node CMM-sends one message to all
 * its neighbours' echo module. flood: k sources flood through CMM (flood
 * module). Both issue each send `repeat` times, 1 ms apart, with the same
 * message ID, so duplicates must be suppressed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "modules/cmm.h"
#include "modules/echo.h"
#include "sim/sim_int.h"

#define NS_PER_MS  1000000ULL
#define REPEAT_GAP NS_PER_MS
#define ARG_REP(a) ((a) >> 24)
#define ARG_IDX(a) ((a)&0xffffff)

static void scen_msg_id(const struct sim *s, uint32_t kind, uint32_t i, struct msg_id *id)
{
	uint64_t a = rng_hash3(s->cfg.seed, kind, i), b = rng_hash3(s->cfg.seed, kind + 1, i);

	memcpy(id->b, &a, 8);
	memcpy(id->b + 8, &b, 8);
}

static void scen_start_flood(struct sim *s)
{
	uint32_t k = s->cfg.sources < s->g.n ? s->cfg.sources : s->g.n;

	s->sources = calloc(k ? k : 1, sizeof(*s->sources));
	if (!s->sources)
		return;
	for (uint32_t i = 0; i < k; i++) {
		uint32_t v;
		bool dup;

		do {
			v = (uint32_t)rng_below(&s->rng, s->g.n);
			dup = false;
			for (uint32_t j = 0; j < i; j++)
				dup |= s->sources[j] == v;
		} while (dup);
		s->sources[i] = v;
		for (uint32_t r = 0; r < s->cfg.repeat; r++)
			sim_schedule_app(s, i * 1000 + r * REPEAT_GAP, v, r << 24 | i);
	}
	s->nsources = k;
}

void sim_scenario_start(struct sim *s)
{
	switch (s->cfg.scenario) {
	case SCEN_NEIGHBOURS:
		for (uint32_t i = 0; i < s->g.n; i++)
			for (uint32_t r = 0; r < s->cfg.repeat; r++)
				sim_schedule_app(s,
						 rng_below(&s->rng, s->cfg.start_window_ns + 1) +
							 r * REPEAT_GAP,
						 i, r << 24);
		break;
	case SCEN_FLOOD:
		scen_start_flood(s);
		break;
	case SCEN_NONE:
		break;
	}
}

static void scen_neighbours(struct sim *s, uint32_t i)
{
	struct module *cmm = node_module(&s->nodes[i], CMM_NAME);
	uint32_t deg = graph_degree(&s->g, i);
	struct node_id *to = malloc(sizeof(*to) * (deg ? deg : 1));
	uint8_t payload[CMM_MAX_DATA] = { 0 };
	size_t len = s->cfg.payload_len < CMM_MAX_DATA ? s->cfg.payload_len : CMM_MAX_DATA;
	struct msg_id id;

	if (!cmm || !to) {
		free(to);
		return;
	}
	for (uint32_t k = 0; k < deg; k++)
		to[k] = s->nodes[s->g.adj[s->g.off[i] + k]].id;
	snprintf((char *)payload, sizeof(payload), "hello from %u", i);
	scen_msg_id(s, 0x6e, i, &id);
	cmm_send(cmm, &id, payload, len, to, (int)deg, "echo");
	free(to);
}

void sim_scenario_event(struct sim *s, uint32_t node, uint32_t arg)
{
	uint8_t payload[CMM_MAX_DATA] = { 0 };
	size_t len = s->cfg.payload_len < CMM_MAX_DATA ? s->cfg.payload_len : CMM_MAX_DATA;
	struct module *fl;
	struct msg_id id;

	if (s->cfg.scenario == SCEN_NEIGHBOURS) {
		scen_neighbours(s, node);
		return;
	}
	fl = node_module(&s->nodes[node], "flood");
	if (!fl)
		return;
	scen_msg_id(s, 0xf1, ARG_IDX(arg), &id);
	snprintf((char *)payload, sizeof(payload), "flood %u", ARG_IDX(arg));
	flood_start(fl, &id, payload, len);
}

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

struct scen_sum {
	uint64_t alive, covered, violations, max_deg, expected, got;
	uint64_t *ctr[MODCFG_MAX];
};

/* Sum every module counter over nodes; coverage and exactly-once checks. */
static void scen_sum(struct sim *s, struct scen_sum *r)
{
	int echo = node_module_idx(&s->nodes[0], "echo");
	int flood = node_module_idx(&s->nodes[0], "flood");

	for (int j = 0; j < s->mc.n; j++)
		r->ctr[j] = calloc(module_ncounters(s->mc.ops[j]) + 1, sizeof(uint64_t));
	for (uint32_t i = 0; i < s->g.n; i++) {
		struct node *n = &s->nodes[i];
		uint32_t deg = graph_degree(&s->g, i);
		uint64_t got = 0, limit = deg;

		for (int j = 0; j < s->mc.n; j++)
			for (unsigned int c = 0; r->ctr[j] && c < module_ncounters(s->mc.ops[j]);
			     c++)
				r->ctr[j][c] += n->mods[j].ctr[c];
		if (deg > r->max_deg)
			r->max_deg = deg;
		if (s->failed[i])
			continue;
		r->alive++;
		if (s->cfg.scenario == SCEN_NEIGHBOURS && echo >= 0)
			got = n->mods[echo].ctr[ECHO_C_RECEIVED];
		if (s->cfg.scenario == SCEN_FLOOD && flood >= 0) {
			got = n->mods[flood].ctr[FLOOD_C_RECEIVED];
			limit = s->nsources;
		}
		r->covered += got > 0;
		r->got += got;
		r->violations += got > limit;
	}
}

static void scen_expected(struct sim *s, struct scen_sum *r)
{
	if (s->cfg.scenario == SCEN_NEIGHBOURS) {
		for (uint32_t u = 0; u < s->g.n; u++)
			for (uint64_t k = s->g.off[u]; k < s->g.off[u + 1]; k++)
				r->expected += !sim_link_dead(s, u, s->g.adj[k]);
	} else if (s->cfg.scenario == SCEN_FLOOD && s->nsources <= 16) {
		for (uint32_t k = 0; k < s->nsources; k++)
			r->expected += sim_expected_reach(s, s->sources[k]) - 1;
	}
}

/*
 * neighbours: share of live nodes that got at least one message; flood: share
 * of live nodes each flood reached (sources count as reached), averaged.
 */
static double scen_coverage(const struct sim *s, const struct scen_sum *r)
{
	if (!r->alive)
		return 0;
	if (s->cfg.scenario == SCEN_FLOOD && s->nsources)
		return (double)(r->got + s->nsources) / ((double)s->nsources * (double)r->alive);
	return (double)r->covered / (double)r->alive;
}

static json_t *scen_modules_json(struct sim *s, struct scen_sum *r)
{
	json_t *o = json_object();

	for (int j = 0; j < s->mc.n; j++) {
		json_t *mo = json_object();

		if (r->ctr[j])
			module_counters_json(s->mc.ops[j], r->ctr[j], mo);
		json_object_set_new(o, s->mc.ops[j]->name, mo);
		free(r->ctr[j]);
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
	struct scen_sum r = { 0 };
	const struct sim_counts *c = &s->cnt;
	json_t *o;

	scen_sum(s, &r);
	scen_expected(s, &r);
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f}", "graph",
		      graph_names[s->cfg.graph.kind], "scenario",
		      sim_scenario_names[s->cfg.scenario], "seed", (json_int_t)s->cfg.seed, "nodes",
		      (json_int_t)s->g.n, "edges", (json_int_t)graph_edges(&s->g), "max_degree",
		      (json_int_t)r.max_deg, "alive", (json_int_t)r.alive, "sim_time_s",
		      (double)s->now / 1e9, "wall_s", wall_s, "events_per_s",
		      wall_s > 0 ? (double)c->events / wall_s : 0.0);
	json_object_set_new(o, "events", json_integer((json_int_t)c->events));
	json_object_set_new(
		o, "icc",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "sent", (json_int_t)c->icc_sent,
			  "delivered", (json_int_t)c->icc_delivered, "lost_loss",
			  (json_int_t)c->lost_loss, "lost_link", (json_int_t)c->lost_link,
			  "to_failed", (json_int_t)c->to_failed, "unknown_module",
			  (json_int_t)c->unknown_module));
	json_object_set_new(o, "coverage", json_real(scen_coverage(s, &r)));
	json_object_set_new(o, "deliveries", json_integer((json_int_t)r.got));
	json_object_set_new(o, "delivery_ratio",
			    json_real(r.expected ? (double)r.got / (double)r.expected : 0));
	json_object_set_new(o, "covered_nodes", json_integer((json_int_t)r.covered));
	json_object_set_new(o, "expected_deliveries", json_integer((json_int_t)r.expected));
	json_object_set_new(o, "exactly_once_violations", json_integer((json_int_t)r.violations));
	json_object_set_new(o, "max_rss_kb", json_integer(max_rss_kb()));
	json_object_set_new(o, "modules", scen_modules_json(s, &r));
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
