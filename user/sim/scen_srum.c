// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ipop-sim srum: M messages from random sources to Zipf(1.0) destinations
 * over 10 simulated minutes while a fraction F of the links fails per
 * minute (each failure lasts 30 s, both ends see the link go down at once).
 *
 * The simulator has no run-time link failures of its own, so this scenario
 * wraps the runtime: send to a failed link returns -EHOSTUNREACH and
 * neighbours() lists it down; deliveries to the module name "rsink" are
 * recorded per message. The wrapper's table is the first member of the
 * run's state, so each wrapped call finds its run from node->rt.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/node.h"
#include "modules/spdm.h"
#include "modules/srum.h"
#include "sim/scen_routing_int.h"
#include "sim/sim_int.h"

#define NS_PER_S  1000000000ULL
#define STEP_NS	  (100 * 1000000ULL)
#define RUN_NS	  (600 * NS_PER_S)
#define OUTAGE_NS (30 * NS_PER_S)
#define SINK_NAME "rsink"

struct outage {
	uint64_t until;
	uint32_t u, v;
};

struct srum_run {
	struct rt_ops ops; /* first: node->rt points here */
	struct sim *s;
	const struct graph *g;
	const struct rt_ops *orig;
	uint8_t *down; /* per CSR slot */
	struct outage *out;
	uint32_t nout, aout;
	uint32_t *delivered; /* per message */
	uint32_t nmsgs;
	uint64_t links_failed;
};

static struct srum_run *run_of(struct node *n)
{
	return (struct srum_run *)(void *)n->rt;
}

static int64_t slot_of(const struct graph *g, uint32_t u, uint32_t v)
{
	uint64_t lo = g->off[u], hi = g->off[u + 1];

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (g->adj[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->off[u + 1] && g->adj[lo] == v ? (int64_t)lo : -1;
}

static bool link_down(struct srum_run *r, uint32_t u, uint32_t v)
{
	int64_t k = slot_of(r->g, u, v);

	return k >= 0 && r->down[k];
}

static int wrap_send(struct node *n, const struct node_id *to, const char *module,
		     const struct mod_msg *msg)
{
	struct srum_run *r = run_of(n);
	int64_t v = sim_node_index(r->s, to);

	if (v >= 0 && link_down(r, (uint32_t)sim_node_index(r->s, &n->id), (uint32_t)v))
		return -EHOSTUNREACH;
	return r->orig->send(n, to, module, msg);
}

static int wrap_neighbours(struct node *n, struct nbr_info *out, int max)
{
	struct srum_run *r = run_of(n);
	int deg = r->orig->neighbours(n, out, max);
	uint32_t u = (uint32_t)sim_node_index(r->s, &n->id);

	for (int i = 0; i < deg && i < max; i++)
		if (r->down[r->g->off[u] + (uint64_t)i])
			out[i].up = false;
	return deg;
}

/* Deliveries to the sink: payload = u32 message number. */
static int wrap_deliver(struct node *n, const char *module, const struct mod_msg *msg)
{
	struct srum_run *r = run_of(n);
	uint32_t k;

	if (strcmp(module, SINK_NAME))
		return r->orig->deliver(n, module, msg);
	if (msg->len < 4)
		return 0;
	memcpy(&k, msg->data, 4);
	if (k < r->nmsgs)
		r->delivered[k]++;
	return 0;
}

static bool bfs_down(void *ctx, uint32_t u, uint64_t slot)
{
	struct srum_run *r = ctx;

	(void)u;
	return r->down[slot];
}

static void set_link(struct srum_run *r, uint32_t u, uint32_t v, bool up)
{
	int64_t a = slot_of(r->g, u, v), b = slot_of(r->g, v, u);

	r->down[a] = r->down[b] = !up;
	node_link(sim_node(r->s, u), &sim_node(r->s, v)->id, up);
	node_link(sim_node(r->s, v), &sim_node(r->s, u)->id, up);
}

static int fail_one(struct srum_run *r, struct rng *rng, uint64_t now)
{
	uint64_t slot = rng_below(rng, r->g->off[r->g->n]);
	uint32_t lo = 0, hi = r->g->n, u, v;

	while (hi - lo > 1) { /* u: the row holding slot */
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->g->off[mid] <= slot)
			lo = mid;
		else
			hi = mid;
	}
	u = lo;
	v = r->g->adj[slot];
	if (r->down[slot])
		return 0;
	if (r->nout == r->aout) {
		uint32_t na = r->aout ? 2 * r->aout : 64;
		struct outage *no = realloc(r->out, sizeof(*no) * na);

		if (!no)
			return -ENOMEM;
		r->out = no;
		r->aout = na;
	}
	r->out[r->nout++] = (struct outage){ .until = now + OUTAGE_NS, .u = u, .v = v };
	set_link(r, u, v, false);
	r->links_failed++;
	return 0;
}

static void restore_due(struct srum_run *r, uint64_t now)
{
	for (uint32_t i = 0; i < r->nout;)
		if (r->out[i].until <= now) {
			set_link(r, r->out[i].u, r->out[i].v, true);
			r->out[i] = r->out[--r->nout];
		} else {
			i++;
		}
}

static uint64_t sum_ctr(struct sim *s, const char *mod, unsigned int c)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < sim_nnodes(s); i++)
		t += node_module(sim_node(s, i), mod)->ctr[c];
	return t;
}

/* Counters reported as their sum over all nodes, in report order. */
static const struct {
	const char *key, *mod;
	unsigned int ctr;
} report_ctrs[] = {
	{ "route_errors", SRUM_NAME, SRUM_C_RERR_SENT },
	{ "discoveries", SPDM_NAME, SPDM_C_DISCOVERIES },
	{ "floods", SPDM_NAME, SPDM_C_FLOODS },
	{ "flood_messages", SPDM_NAME, SPDM_C_FLOOD_SENT },
	{ "replies_cached", SPDM_NAME, SPDM_C_REPLIES_CACHED },
	{ "discoveries_failed", SPDM_NAME, SPDM_C_FAILED },
	{ "requests_record_full", SPDM_NAME, SPDM_C_DROP_RECORD_FULL },
	{ "salvaged", SRUM_NAME, SRUM_C_SALVAGED },
	{ "dropped_broken", SRUM_NAME, SRUM_C_DROP_BROKEN },
	{ "buffer_expired", SRUM_NAME, SRUM_C_BUF_EXPIRED },
	{ "buffer_no_route", SRUM_NAME, SRUM_C_BUF_NO_ROUTE },
};

struct srum_tally {
	uint64_t sent, reach, delivered, dups, delivered_unreach;
};

static json_t *srum_result(const struct routing_args *a, struct srum_run *r,
			   const struct srum_tally *t, double wall)
{
	struct sim *s = r->s;
	json_t *o = json_object();
	uint64_t hits = sum_ctr(s, SRUM_NAME, SRUM_C_CACHE_HITS),
		 miss = sum_ctr(s, SRUM_NAME, SRUM_C_CACHE_MISSES);

	json_object_set_new(o, "graph", json_string(graph_names[a->graph]));
	json_object_set_new(o, "nodes", json_integer(sim_nnodes(s)));
	json_object_set_new(o, "seed", json_integer((json_int_t)a->seed));
	json_object_set_new(o, "link_churn", json_real(a->churn));
	json_object_set_new(o, "links_failed", json_integer((json_int_t)r->links_failed));
	json_object_set_new(o, "sent", json_integer((json_int_t)t->sent));
	json_object_set_new(o, "sent_reachable", json_integer((json_int_t)t->reach));
	json_object_set_new(o, "delivered", json_integer((json_int_t)t->delivered));
	json_object_set_new(o, "delivery_ratio",
			    json_real(t->reach ? (double)t->delivered / t->reach : 1));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)t->dups));
	json_object_set_new(o, "cache_hits", json_integer((json_int_t)hits));
	json_object_set_new(o, "cache_hit_rate",
			    json_real(hits + miss ? (double)hits / (hits + miss) : 0));
	for (size_t i = 0; i < sizeof(report_ctrs) / sizeof(report_ctrs[0]); i++)
		json_object_set_new(o, report_ctrs[i].key,
				    json_integer((json_int_t)sum_ctr(s, report_ctrs[i].mod,
								     report_ctrs[i].ctr)));
	json_object_set_new(
		o, "loops",
		json_integer((json_int_t)(sum_ctr(s, SRUM_NAME, SRUM_C_DROP_TTL) +
					  sum_ctr(s, SRUM_NAME, SRUM_C_DROP_NOT_ON_PATH) +
					  sum_ctr(s, SRUM_NAME, SRUM_C_DROP_MALFORMED))));
	json_object_set_new(o, "events", json_integer((json_int_t)sim_counts(s)->events));
	json_object_set_new(o, "wall_s", json_real(wall));
	json_object_set_new(o, "peak_mib", json_real(routing_peak_mib()));
	return o;
}

json_t *sim_srum_run(const struct routing_args *a, char *err, size_t errlen)
{
	struct srum_run r = { 0 };
	struct srum_tally t = { 0 };
	json_t *mods, *o = NULL;
	uint32_t n, *dist = NULL, *queue = NULL, *rank = NULL;
	uint8_t *reach = NULL;
	double *cdf = NULL, t0 = routing_now_s(), fail_acc = 0, h = 0;
	uint64_t steps = RUN_NS / STEP_NS, now;
	struct rng rng;

	mods = routing_modules(a->nodes);
	r.s = routing_sim(a, mods, err, errlen);
	json_decref(mods);
	if (!r.s)
		return NULL;
	n = sim_nnodes(r.s);
	r.g = sim_graph(r.s);
	r.orig = sim_node(r.s, 0)->rt;
	r.ops = *r.orig;
	r.ops.send = wrap_send;
	r.ops.neighbours = wrap_neighbours;
	r.ops.deliver = wrap_deliver;
	r.nmsgs = a->messages;
	r.down = calloc(r.g->off[n] + 1, 1);
	r.delivered = calloc(a->messages, sizeof(uint32_t));
	reach = calloc(a->messages, 1);
	dist = malloc(sizeof(uint32_t) * n);
	queue = malloc(sizeof(uint32_t) * n);
	rank = malloc(sizeof(uint32_t) * n);
	cdf = malloc(sizeof(double) * n);
	if (!r.down || !r.delivered || !reach || !dist || !queue || !rank || !cdf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		sim_node(r.s, i)->rt = &r.ops;
	rng_seed(&rng, a->seed ^ 0x5e0d);
	for (uint32_t i = 0; i < n; i++) { /* Zipf(1.0) ranks over a random order */
		uint32_t j = (uint32_t)rng_below(&rng, i + 1);

		rank[i] = rank[j];
		rank[j] = i;
		h += 1.0 / (i + 1);
		cdf[i] = h;
	}
	for (uint64_t k = 0; k < steps; k++) {
		now = k * STEP_NS;
		restore_due(&r, now);
		fail_acc +=
			a->churn * (double)graph_edges(r.g) * ((double)STEP_NS / (60.0 * NS_PER_S));
		for (; fail_acc >= 1; fail_acc -= 1)
			fail_one(&r, &rng, now);
		while (t.sent < (uint64_t)a->messages * (k + 1) / steps) {
			double x = rng_unit(&rng) * h;
			uint32_t lo = 0, hi = n - 1, src, dst;

			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;

				if (cdf[mid] < x)
					lo = mid + 1;
				else
					hi = mid;
			}
			dst = rank[lo];
			src = (uint32_t)rng_below(&rng, n - 1);
			src += src >= dst;
			routing_bfs(r.g, src, dist, queue, bfs_down, &r);
			reach[t.sent] = dist[dst] != UINT32_MAX && dist[dst] <= SR_HOPS_MAX;
			{
				uint32_t num = (uint32_t)t.sent;

				srum_send(node_module(sim_node(r.s, src), SRUM_NAME),
					  &sim_node(r.s, dst)->id, SINK_NAME, &num, sizeof(num));
			}
			t.sent++;
		}
		sim_schedule_app(r.s, now + STEP_NS, 0, 0); /* the clock reaches the step's end */
		sim_set_until(r.s, now + STEP_NS);
		sim_run(r.s);
	}
	sim_set_until(r.s, 0);
	sim_run(r.s);
	for (uint64_t k = 0; k < t.sent; k++) {
		t.reach += reach[k];
		t.delivered += reach[k] && r.delivered[k];
		t.delivered_unreach += !reach[k] && r.delivered[k];
		t.dups += r.delivered[k] > 1 ? r.delivered[k] - 1 : 0;
	}
	o = srum_result(a, &r, &t, routing_now_s() - t0);
out:
	if (r.s)
		for (uint32_t i = 0; i < n; i++)
			sim_node(r.s, i)->rt = r.orig;
	sim_free(r.s);
	free(r.down);
	free(r.out);
	free(r.delivered);
	free(reach);
	free(dist);
	free(queue);
	free(rank);
	free(cdf);
	return o;
}
