// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The CMM scenarios (scen_cmm.h): neighbours, flood, none; their coverage figures. */
#include <stdio.h>
#include <stdlib.h>

#include "modules/cmm.h"
#include "modules/echo.h"
#include "sim/scen_cmm.h"

#define NS_PER_MS  1000000ULL
#define REPEAT_GAP NS_PER_MS
#define ARG_IDX(a) ((a)&0xffffff)

enum { K_NEIGHBOURS, K_FLOOD, K_NONE };

const char *const scen_cmm_names[] = { "neighbours", "flood", "none", NULL };

void scen_cmm_defaults(struct scen_cmm *c)
{
	memset(c, 0, sizeof(*c));
	c->sources = 1;
	c->repeat = 1;
	c->start_window_ns = 1000 * NS_PER_MS;
	c->seen_capacity = 1024;
	c->payload_len = 32;
}

static json_t *cmm_modules(void *ctx)
{
	struct scen_cmm *c = ctx;

	return json_pack("{s:{s:i, s:i}, s:{s:[s]}, s:{s:[s]}}", "cmm", "seen_capacity",
			 (json_int_t)c->seen_capacity, "seen_ttl_ms", (json_int_t)600000, "echo",
			 "dependencies", "cmm", "flood", "dependencies", "cmm");
}

static void scen_msg_id(const struct sim *s, uint32_t kind, uint32_t i, struct msg_id *id)
{
	uint64_t a = rng_hash3(sim_seed(s), kind, i), b = rng_hash3(sim_seed(s), kind + 1, i);

	memcpy(id->b, &a, 8);
	memcpy(id->b + 8, &b, 8);
}

static int start_neighbours(void *ctx, struct sim *s)
{
	struct scen_cmm *c = ctx;
	int ret = 0;

	c->kind = K_NEIGHBOURS;
	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		for (uint32_t r = 0; r < c->repeat; r++)
			ret |= sim_schedule_app(
				s, rng_below(sim_rng(s), c->start_window_ns + 1) + r * REPEAT_GAP,
				i, r << 24);
	return ret;
}

static int start_flood(void *ctx, struct sim *s)
{
	struct scen_cmm *c = ctx;
	uint32_t n = sim_nnodes(s), k = c->sources < n ? c->sources : n;
	int ret = 0;

	c->kind = K_FLOOD;
	c->src = calloc(k ? k : 1, sizeof(*c->src));
	if (!c->src)
		return -ENOMEM;
	for (uint32_t i = 0; i < k; i++) {
		uint32_t v;
		bool dup;

		do {
			v = (uint32_t)rng_below(sim_rng(s), n);
			dup = false;
			for (uint32_t j = 0; j < i; j++)
				dup |= c->src[j] == v;
		} while (dup);
		c->src[i] = v;
		for (uint32_t r = 0; r < c->repeat; r++)
			ret |= sim_schedule_app(s, i * 1000 + r * REPEAT_GAP, v, r << 24 | i);
	}
	c->nsrc = k;
	return ret;
}

static int start_none(void *ctx, struct sim *s)
{
	(void)s;
	((struct scen_cmm *)ctx)->kind = K_NONE;
	return 0;
}

static void scen_free(void *ctx)
{
	struct scen_cmm *c = ctx;

	free(c->src);
	c->src = NULL;
	c->nsrc = 0;
}

static size_t payload_len(const struct scen_cmm *c)
{
	return c->payload_len < CMM_MAX_DATA ? c->payload_len : CMM_MAX_DATA;
}

static void event_neighbours(void *ctx, struct sim *s, uint32_t i, uint32_t arg)
{
	struct scen_cmm *c = ctx;
	const struct graph *g = sim_graph(s);
	struct module *cmm = node_module(sim_node(s, i), CMM_NAME);
	uint32_t deg = graph_degree(g, i);
	struct node_id *to = malloc(sizeof(*to) * (deg ? deg : 1));
	uint8_t payload[CMM_MAX_DATA] = { 0 };
	struct msg_id id;

	(void)arg;
	if (!cmm || !to) {
		free(to);
		return;
	}
	for (uint32_t k = 0; k < deg; k++)
		to[k] = sim_node(s, g->adj[g->off[i] + k])->id;
	snprintf((char *)payload, sizeof(payload), "hello from %u", i);
	scen_msg_id(s, 0x6e, i, &id);
	cmm_send(cmm, &id, payload, payload_len(c), to, (int)deg, "echo");
	free(to);
}

static void event_flood(void *ctx, struct sim *s, uint32_t node, uint32_t arg)
{
	struct scen_cmm *c = ctx;
	uint8_t payload[CMM_MAX_DATA] = { 0 };
	struct module *fl = node_module(sim_node(s, node), "flood");
	struct msg_id id;

	if (!fl)
		return;
	scen_msg_id(s, 0xf1, ARG_IDX(arg), &id);
	snprintf((char *)payload, sizeof(payload), "flood %u", ARG_IDX(arg));
	flood_start(fl, &id, payload, payload_len(c));
}

struct scen_sum {
	uint64_t alive, covered, violations, expected, got;
};

/* Coverage and exactly-once checks over the live nodes. */
static void scen_sum(const struct scen_cmm *c, struct sim *s, struct scen_sum *r)
{
	int echo = node_module_idx(sim_node(s, 0), "echo");
	int flood = node_module_idx(sim_node(s, 0), "flood");

	for (uint32_t i = 0; i < sim_nnodes(s); i++) {
		struct node *n = sim_node(s, i);
		uint64_t got = 0, limit = graph_degree(sim_graph(s), i);

		if (sim_failed(s, i))
			continue;
		r->alive++;
		if (c->kind == K_NEIGHBOURS && echo >= 0)
			got = n->mods[echo].ctr[ECHO_C_RECEIVED];
		if (c->kind == K_FLOOD && flood >= 0) {
			got = n->mods[flood].ctr[FLOOD_C_RECEIVED];
			limit = c->nsrc;
		}
		r->covered += got > 0;
		r->got += got;
		r->violations += got > limit;
	}
}

static void scen_expected(const struct scen_cmm *c, struct sim *s, struct scen_sum *r)
{
	const struct graph *g = sim_graph(s);

	if (c->kind == K_NEIGHBOURS) {
		for (uint32_t u = 0; u < g->n; u++)
			for (uint64_t k = g->off[u]; k < g->off[u + 1]; k++)
				r->expected += !sim_link_dead(s, u, g->adj[k]);
	} else if (c->kind == K_FLOOD && c->nsrc <= 16) {
		for (uint32_t k = 0; k < c->nsrc; k++)
			r->expected += sim_expected_reach(s, c->src[k]) - 1;
	}
}

/*
 * neighbours: share of live nodes that got at least one message; flood: share
 * of live nodes each flood reached (sources count as reached), averaged.
 */
static double scen_coverage(const struct scen_cmm *c, const struct scen_sum *r)
{
	if (!r->alive)
		return 0;
	if (c->kind == K_FLOOD && c->nsrc)
		return (double)(r->got + c->nsrc) / ((double)c->nsrc * (double)r->alive);
	return (double)r->covered / (double)r->alive;
}

static void scen_results(void *ctx, struct sim *s, json_t *o)
{
	struct scen_cmm *c = ctx;
	struct scen_sum r = { 0 };

	scen_sum(c, s, &r);
	scen_expected(c, s, &r);
	json_object_set_new(o, "coverage", json_real(scen_coverage(c, &r)));
	json_object_set_new(o, "deliveries", json_integer((json_int_t)r.got));
	json_object_set_new(o, "delivery_ratio",
			    json_real(r.expected ? (double)r.got / (double)r.expected : 0));
	json_object_set_new(o, "covered_nodes", json_integer((json_int_t)r.covered));
	json_object_set_new(o, "expected_deliveries", json_integer((json_int_t)r.expected));
	json_object_set_new(o, "exactly_once_violations", json_integer((json_int_t)r.violations));
}

const struct sim_scenario_ops scen_neighbours_ops = {
	.name = "neighbours",
	.modules = cmm_modules,
	.start = start_neighbours,
	.event = event_neighbours,
	.results = scen_results,
	.free = scen_free,
};

const struct sim_scenario_ops scen_flood_ops = {
	.name = "flood",
	.modules = cmm_modules,
	.start = start_flood,
	.event = event_flood,
	.results = scen_results,
	.free = scen_free,
};

const struct sim_scenario_ops scen_none_ops = {
	.name = "none",
	.modules = cmm_modules,
	.start = start_none,
	.results = scen_results,
	.free = scen_free,
};

const struct sim_scenario_ops *scen_cmm_find(const char *name)
{
	static const struct sim_scenario_ops *const all[] = { &scen_neighbours_ops, &scen_flood_ops,
							      &scen_none_ops };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
