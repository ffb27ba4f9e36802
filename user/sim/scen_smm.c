// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ipop-sim smm: broadcasts through SMM from random roots on a converged
 * Chord ring of N nodes (the same module code, on the simulator runtime),
 * optionally with a fraction of the nodes failed: before the ring repairs
 * (tables still list the failed nodes; their links are down, so each node
 * re-covers a failed entry's arc through the next live entry), after it
 * repairs (tables rebuilt over live nodes), or undetected (no link down yet:
 * what is sent to a failed node is lost).
 *
 * The converged ring is an oracle: each node's routing entries (successor
 * list, predecessor, fingers at id + 2^(127-i)) are computed from the
 * global sorted ID list when SMM asks, so 100,000 nodes cost no tables.
 * The oracle and the delivery observer are set on each node's topology and
 * SMM instances (the scenario's node_setup hook), before they start.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "modules/echo.h"
#include "modules/smm.h"
#include "modules/topology.h"
#include "sim/scen_smm.h"

enum smm_view { VIEW_CONVERGED, VIEW_STALE, VIEW_REPAIRED, VIEW_UNDETECTED };

struct smm_ctx {
	struct sim *s;
	uint32_t n;
	ring_t *keys;	     /* ascending with the node index */
	uint32_t *next_live; /* first live index at or after i (cyclic) */
	uint32_t *prev_live; /* last live index at or before i (cyclic) */
	enum smm_view view;
	int nsucc;
	/* the current run */
	struct msg_id bcast;
	uint32_t *stamp; /* run number + 1 of the node's last delivery */
	uint32_t run;
	uint64_t covered, dups, depth_sum, depth_n;
	unsigned int depth_max;
};

static uint32_t lower_idx(const struct smm_ctx *c, ring_t p)
{
	uint32_t lo = 0, hi = c->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->keys[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == c->n ? 0 : lo;
}

/* The node a table built over `live` holds for index j (itself, or the next live one). */
static uint32_t view_node(const struct smm_ctx *c, uint32_t j)
{
	return c->view == VIEW_REPAIRED ? c->next_live[j] : j;
}

static bool view_usable(const struct smm_ctx *c, uint32_t j)
{
	if (c->view == VIEW_STALE)
		return !sim_detected(c->s, j);
	return true; /* converged/repaired: all live; undetected: no knowledge */
}

static int add_route(const struct smm_ctx *c, uint32_t j, uint32_t self, struct node_id *out, int n,
		     int max)
{
	if (j == self || n >= max || !view_usable(c, j))
		return n;
	for (int k = n - 1; k >= 0 && k >= n - 4; k--)
		if (sim_node_index(c->s, &out[k]) == j)
			return n;
	out[n] = sim_node(c->s, j)->id;
	return n + 1;
}

static int oracle_routes(void *ctx, struct node *nd, struct node_id *out, int max)
{
	struct smm_ctx *c = ctx;
	uint32_t u = (uint32_t)sim_node_index(c->s, &nd->id), succ, j;
	ring_t self = c->keys[u];
	int n = 0;

	succ = view_node(c, (u + 1) % c->n);
	j = u;
	for (int k = 0; k < c->nsucc; k++) {
		j = view_node(c, (j + 1) % c->n);
		n = add_route(c, j, u, out, n, max);
	}
	j = c->view == VIEW_REPAIRED ? c->prev_live[(u + c->n - 1) % c->n] : (u + c->n - 1) % c->n;
	n = add_route(c, j, u, out, n, max);
	for (int i = 0; i < TOPO_FINGERS; i++) {
		j = view_node(c, lower_idx(c, ring_finger_point(self, i)));
		if (j == succ)
			break; /* every smaller offset lands on the successor too */
		n = add_route(c, j, u, out, n, max);
	}
	return n;
}

static void observe(void *ctx, struct node *nd, const struct msg_id *bcast, unsigned int depth,
		    bool dup)
{
	struct smm_ctx *c = ctx;
	uint32_t u;

	if (!msg_id_eq(bcast, &c->bcast))
		return;
	u = (uint32_t)sim_node_index(c->s, &nd->id);
	if (dup || c->stamp[u] == c->run + 1) {
		c->dups++;
		return;
	}
	c->stamp[u] = c->run + 1;
	c->covered++;
	if (depth) {
		c->depth_sum += depth;
		c->depth_n++;
	}
	if (depth > c->depth_max)
		c->depth_max = depth;
}

struct smm_result {
	uint32_t live;
	uint64_t msgs_sum, msgs_max, dups, lost, depth_sum, depth_n;
	double cov_min;
	unsigned int depth_max, runs_over;
};

static json_t *smm_modules(void)
{
	return json_pack("{s:{s:i, s:i}, s:{}, s:{s:[s, s], s:i}, s:{s:[s]}}", "cmm",
			 "seen_capacity", 16, "seen_ttl_ms", 600000, "topology", "smm",
			 "dependencies", "cmm", "topology", "seen_capacity", 16, "echo",
			 "dependencies", "cmm");
}

static int ctx_init(struct smm_ctx *c, struct sim *s, const struct scen_smm_args *a)
{
	c->s = s;
	c->n = sim_nnodes(s);
	c->nsucc = (int)a->successors;
	c->keys = malloc(sizeof(*c->keys) * c->n);
	c->next_live = malloc(sizeof(uint32_t) * c->n);
	c->prev_live = malloc(sizeof(uint32_t) * c->n);
	c->stamp = calloc(c->n, sizeof(uint32_t));
	if (!c->keys || !c->next_live || !c->prev_live || !c->stamp)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n; i++)
		c->keys[i] = ring_of(sim_node(s, i)->id.b);
	return 0;
}

static void ctx_live(struct smm_ctx *c)
{
	uint32_t n = c->n, last = UINT32_MAX;

	/* two passes around the ring settle the wrap */
	for (uint32_t k = 2 * n; k-- > 0;) {
		uint32_t i = k % n;

		if (!sim_failed(c->s, i))
			last = i;
		c->next_live[i] = last == UINT32_MAX ? i : last;
	}
	last = UINT32_MAX;
	for (uint32_t k = 0; k < 2 * n; k++) {
		uint32_t i = k % n;

		if (!sim_failed(c->s, i))
			last = i;
		c->prev_live[i] = last == UINT32_MAX ? i : last;
	}
}

static void ctx_free(struct smm_ctx *c)
{
	free(c->keys);
	free(c->next_live);
	free(c->prev_live);
	free(c->stamp);
}

static uint64_t smm_sent_total(struct sim *s)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		t += node_module(sim_node(s, i), SMM_NAME)->ctr[SMM_C_SENT];
	return t;
}

static void smm_one_run(struct smm_ctx *c, struct rng *r, struct smm_result *res, uint32_t log2n)
{
	struct sim *s = c->s;
	uint64_t before = smm_sent_total(s), lost0 = sim_counts(s)->to_failed, m;
	uint32_t root;
	const char payload[] = "smm broadcast";
	double cov;

	do
		root = (uint32_t)rng_below(r, c->n);
	while (sim_failed(s, root));
	for (int k = 0; k < 16; k += 8) {
		uint64_t v = rng_next(r);

		memcpy(c->bcast.b + k, &v, 8);
	}
	c->covered = 0;
	c->depth_max = 0;
	smm_send(node_module(sim_node(s, root), SMM_NAME), &c->bcast, payload, sizeof(payload),
		 &sim_node(s, root)->id, &sim_node(s, root)->id, "echo");
	sim_run(s);
	m = smm_sent_total(s) - before;
	res->msgs_sum += m;
	res->msgs_max = m > res->msgs_max ? m : res->msgs_max;
	res->lost += sim_counts(s)->to_failed - lost0;
	cov = (double)c->covered / res->live;
	res->cov_min = cov < res->cov_min ? cov : res->cov_min;
	res->depth_max = c->depth_max > res->depth_max ? c->depth_max : res->depth_max;
	res->runs_over += c->depth_max > log2n;
	c->run++;
}

static json_t *smm_result_json(const struct scen_smm_args *a, const struct smm_ctx *c,
			       const struct smm_result *r, double wall)
{
	const char *views[] = { "converged", "before_repair", "after_repair", "undetected" };
	double mean = (double)r->msgs_sum / a->runs;
	json_t *o = json_object();

	json_object_set_new(o, "nodes", json_integer(a->nodes));
	json_object_set_new(o, "live", json_integer(r->live));
	json_object_set_new(o, "failed_fraction", json_real(a->fail));
	json_object_set_new(o, "view", json_string(views[c->view]));
	json_object_set_new(o, "runs", json_integer(a->runs));
	json_object_set_new(o, "seed", json_integer((json_int_t)a->seed));
	json_object_set_new(o, "messages", json_real(mean));
	json_object_set_new(o, "max_messages", json_integer((json_int_t)r->msgs_max));
	json_object_set_new(o, "extra_messages", json_real(mean - (r->live - 1.0)));
	json_object_set_new(o, "lost_to_failed", json_integer((json_int_t)r->lost));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)c->dups));
	json_object_set_new(o, "coverage", json_real(r->cov_min));
	json_object_set_new(o, "mean_depth",
			    json_real(c->depth_n ? (double)c->depth_sum / c->depth_n : 0));
	json_object_set_new(o, "max_depth", json_integer(r->depth_max));
	json_object_set_new(o, "log2_nodes_ceil", json_integer((json_int_t)ceil(log2(a->nodes))));
	json_object_set_new(o, "runs_over_log2", json_integer(r->runs_over));
	json_object_set_new(o, "wall_s", json_real(wall));
	return o;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* node_setup: the oracle on the topology instance, the observer on SMM's. */
static int smm_node_setup(void *ctx, struct sim *s, uint32_t i, struct node *n)
{
	struct smm_ctx *c = ctx;
	struct topology_oracle o = { oracle_routes, c };
	struct module *topo = node_module(n, TOPOLOGY_NAME), *smm = node_module(n, SMM_NAME);
	int ret;

	(void)i;
	c->s = s;
	if (!topo || !smm)
		return -ENOENT;
	ret = topology_set_oracle(topo, &o);
	return ret ?: smm_set_observer(smm, observe, c);
}

static json_t *smm_modules_ops(void *ctx)
{
	(void)ctx;
	return smm_modules();
}

const struct sim_scenario_ops scen_smm_ops = {
	.name = "smm",
	.modules = smm_modules_ops,
	.node_setup = smm_node_setup,
};

json_t *scen_smm_run(const struct scen_smm_args *pa, char *err, size_t errlen)
{
	struct scen_smm_args a = *pa;
	struct smm_ctx c = { 0 };
	struct smm_result r = { .cov_min = 1.0 };
	struct sim_cfg cfg;
	json_t *res = NULL;
	struct sim *s;
	struct rng rng;
	double t0 = now_s();
	uint32_t log2n = (uint32_t)ceil(log2(a.nodes));

	sim_cfg_defaults(&cfg);
	cfg.graph.kind = GRAPH_RING;
	cfg.graph.n = a.nodes;
	cfg.seed = a.seed;
	cfg.all_links = true;
	cfg.node_fail = a.fail;
	cfg.fail_at_ns = 1;
	cfg.detect_ns = a.undetected ? UINT64_MAX / 2 : 0;
	cfg.until_ns = a.undetected ? UINT64_MAX / 4 : 0;
	c.view = a.fail <= 0	? VIEW_CONVERGED
		 : a.undetected ? VIEW_UNDETECTED
		 : a.repair	? VIEW_REPAIRED
				: VIEW_STALE;
	s = sim_new(&cfg, NULL, &scen_smm_ops, &c, err, errlen);
	if (!s)
		goto out;
	if (ctx_init(&c, s, &a) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	sim_run(s); /* apply the failures (and their detection) */
	ctx_live(&c);
	for (uint32_t i = 0; i < c.n; i++)
		r.live += !sim_failed(s, i);
	if (r.live == 0) {
		snprintf(err, errlen, "no live node left");
		goto out;
	}
	rng_seed(&rng, a.seed ^ 0x5eed5);
	for (uint32_t k = 0; k < a.runs; k++)
		smm_one_run(&c, &rng, &r, log2n);
	res = smm_result_json(&a, &c, &r, now_s() - t0);
out:
	sim_free(s);
	ctx_free(&c);
	return res;
}
