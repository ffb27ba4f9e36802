// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Discrete-event runtime: the rt_ops of a simulated node, the heap, the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/sim_int.h"

#define NS_PER_MS 1000000ULL

void sim_cfg_defaults(struct sim_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->graph.kind = GRAPH_CHORD;
	c->graph.n = 1000;
	c->graph.degree = 8;
	c->graph.beta = 0.1;
	c->seed = 1;
	c->lat_min_ns = 5 * NS_PER_MS;
	c->lat_max_ns = 50 * NS_PER_MS;
	c->fail_at_ns = 100 * NS_PER_MS;
	c->detect_ns = 3000 * NS_PER_MS;
}

/* ---- event pool and heap, ordered by (t, seq) ---- */

static struct sim_ev *ev_at(struct sim *s, uint32_t i)
{
	return &s->chunks[i >> SIM_CHUNK_SHIFT][i & (SIM_CHUNK - 1)];
}

static int ev_alloc(struct sim *s, uint32_t *out)
{
	uint32_t base;

	if (!s->free_ev) {
		if (s->nchunks == SIM_MAX_CHUNKS)
			return -ENOMEM;
		s->chunks[s->nchunks] = malloc(sizeof(struct sim_ev) * SIM_CHUNK);
		if (!s->chunks[s->nchunks])
			return -ENOMEM;
		base = s->nchunks++ << SIM_CHUNK_SHIFT;
		for (uint32_t i = SIM_CHUNK; i-- > 0;) {
			ev_at(s, base + i)->gen = s->free_ev;
			s->free_ev = base + i + 1;
		}
	}
	*out = s->free_ev - 1;
	s->free_ev = ev_at(s, *out)->gen;
	return 0;
}

#define SIM_POOL_SLAB 256 /* blocks per slab */

/* A payload buffer of len bytes (> SIM_INLINE): a pooled block, or malloc for big ones. */
static uint8_t *payload_get(struct sim *s, size_t len)
{
	void *b;

	if (len > SIM_POOL_BLK)
		return malloc(len);
	if (!s->pool_free) {
		uint8_t *slab = malloc(SIM_POOL_BLK * (SIM_POOL_SLAB + 1));

		if (!slab)
			return NULL;
		memcpy(slab, &s->pool_slabs, sizeof(void *)); /* block 0 links the slabs */
		s->pool_slabs = slab;
		for (int k = 1; k <= SIM_POOL_SLAB; k++) {
			b = slab + (size_t)k * SIM_POOL_BLK;
			memcpy(b, &s->pool_free, sizeof(void *));
			s->pool_free = b;
		}
	}
	b = s->pool_free;
	memcpy(&s->pool_free, b, sizeof(void *));
	return b;
}

static void payload_put(struct sim *s, uint8_t *b, size_t len)
{
	if (len > SIM_POOL_BLK) {
		free(b);
		return;
	}
	memcpy(b, &s->pool_free, sizeof(void *));
	s->pool_free = b;
}

static void ev_release(struct sim *s, uint32_t i)
{
	struct sim_ev *ev = ev_at(s, i);

	if (ev->kind == EV_MSG && ev->len > SIM_INLINE)
		payload_put(s, ev->data, ev->len);
	ev->gen = s->free_ev;
	s->free_ev = i + 1;
}

static bool ev_before(const struct sim_hent *a, const struct sim_hent *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

struct sim_ev *sim_push(struct sim *s, uint64_t t, const struct sim_ev *ev)
{
	struct sim_hent e = { .t = t, .seq = s->seq++ };
	size_t i;

	if (s->hn == s->hcap) {
		size_t nc = s->hcap ? 2 * s->hcap : 4096;
		struct sim_hent *h = realloc(s->heap, nc * sizeof(*h));

		if (!h)
			return NULL;
		s->heap = h;
		s->hcap = nc;
	}
	if (ev_alloc(s, &e.ev) < 0)
		return NULL;
	*ev_at(s, e.ev) = *ev;
	for (i = s->hn++; i > 0 && ev_before(&e, &s->heap[(i - 1) / 2]); i = (i - 1) / 2)
		s->heap[i] = s->heap[(i - 1) / 2];
	s->heap[i] = e;
	return ev_at(s, e.ev);
}

static struct sim_hent sim_pop(struct sim *s)
{
	struct sim_hent top = s->heap[0], last = s->heap[--s->hn];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->hn)
			break;
		if (c + 1 < s->hn && ev_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->hn)
		s->heap[i] = last;
	return top;
}

/* ---- node IDs ---- */

void sim_node_id(const struct sim *s, uint32_t i, struct node_id *out)
{
	uint64_t pos = (uint64_t)(((unsigned __int128)i << 64) / s->g.n);
	uint64_t h = rng_hash3(s->cfg.seed, i, 0x1d);

	for (int k = 0; k < 8; k++)
		out->b[k] = (uint8_t)(pos >> (56 - 8 * k));
	for (int k = 0; k < 4; k++) {
		out->b[8 + k] = (uint8_t)(h >> (24 - 8 * k));
		out->b[12 + k] = (uint8_t)(i >> (24 - 8 * k));
	}
}

static int id_to_idx(const struct sim *s, const struct node_id *id, uint32_t *out)
{
	uint32_t i = (uint32_t)id->b[12] << 24 | (uint32_t)id->b[13] << 16 |
		     (uint32_t)id->b[14] << 8 | id->b[15];

	if (i >= s->g.n || !node_id_eq(&s->nodes[i].id, id))
		return -ENOENT;
	*out = i;
	return 0;
}

static struct sim *sim_of(struct node *n)
{
	return n->rt_ctx;
}

static uint32_t idx_of(struct node *n)
{
	return (uint32_t)(n - sim_of(n)->nodes);
}

bool sim_link_dead(const struct sim *s, uint32_t u, uint32_t v)
{
	uint32_t a = u < v ? u : v, b = u < v ? v : u;

	return s->cfg.link_fail > 0 && hash_unit(rng_hash3(s->cfg.seed, a, b)) < s->cfg.link_fail;
}

static uint64_t link_latency(const struct sim *s, uint32_t u, uint32_t v)
{
	uint32_t a = u < v ? u : v, b = u < v ? v : u;
	uint64_t span = s->cfg.lat_max_ns - s->cfg.lat_min_ns + 1;

	return s->cfg.lat_min_ns + rng_hash3(s->cfg.seed ^ 0x1a7, a, b) % span;
}

/* ---- run-time links ---- */

static int dyn_find(const struct sim *s, uint32_t u, uint32_t v)
{
	const struct sim_dyn *d = s->dyn ? &s->dyn[u] : NULL;

	for (uint32_t k = 0; d && k < d->n; k++)
		if (d->v[k] == v)
			return (int)k;
	return -1;
}

static bool sim_may_send(const struct sim *s, uint32_t u, uint32_t v)
{
	return s->cfg.all_links || graph_has_edge(&s->g, u, v) || dyn_find(s, u, v) >= 0;
}

static int srt_link_add(struct node *n, const struct node_id *id, const struct rt_addr *addr)
{
	struct sim *s = sim_of(n);
	uint32_t u = idx_of(n), v;
	struct sim_dyn *d;
	struct sim_ev ev = { .kind = EV_LINK, .dst = u, .len = 1 };

	(void)addr;
	if (id_to_idx(s, id, &v) < 0 || v == u)
		return -EHOSTUNREACH;
	if (dyn_find(s, u, v) >= 0 || graph_has_edge(&s->g, u, v))
		return 0;
	if (!s->dyn && !(s->dyn = calloc(s->g.n, sizeof(*s->dyn))))
		return -ENOMEM;
	d = &s->dyn[u];
	if (d->n == d->cap) {
		uint32_t nc = d->cap ? 2 * d->cap : 8;
		uint32_t *nv = realloc(d->v, sizeof(*nv) * nc);

		if (!nv)
			return -ENOMEM;
		d->v = nv;
		d->cap = nc;
	}
	d->v[d->n++] = v;
	/* up once the peer has been heard: one round trip, if it is alive */
	ev.src = v;
	return sim_push(s, s->now + 2 * link_latency(s, u, v), &ev) ? 0 : -ENOMEM;
}

static int srt_link_remove(struct node *n, const struct node_id *id)
{
	struct sim *s = sim_of(n);
	uint32_t u = idx_of(n), v;
	int k;

	if (id_to_idx(s, id, &v) < 0)
		return -ENOENT;
	k = dyn_find(s, u, v);
	if (k < 0)
		return graph_has_edge(&s->g, u, v) ? -EPERM : -ENOENT;
	s->dyn[u].v[k] = s->dyn[u].v[--s->dyn[u].n];
	return 0;
}

static int srt_self_addr(struct node *n, struct rt_addr *out)
{
	uint32_t i = idx_of(n);

	out->len = 5;
	out->b[0] = 0;
	for (int k = 0; k < 4; k++)
		out->b[1 + k] = (uint8_t)(i >> (24 - 8 * k));
	return 0;
}

static void sim_link_event(struct sim *s, struct sim_ev *ev)
{
	if (s->failed[ev->dst] || dyn_find(s, ev->dst, ev->src) < 0)
		return;
	if (ev->len && s->failed[ev->src])
		return; /* never heard: the module's connect timeout decides */
	node_link(&s->nodes[ev->dst], &s->nodes[ev->src].id, ev->len != 0);
}

bool sim_detected(const struct sim *s, uint32_t i)
{
	return s->failed[i] && s->fail_applied && s->now >= s->cfg.fail_at_ns + s->cfg.detect_ns;
}

int64_t sim_node_index(const struct sim *s, const struct node_id *id)
{
	uint32_t i;

	return id_to_idx(s, id, &i) < 0 ? -1 : (int64_t)i;
}

uint32_t sim_dyn_links(const struct sim *s, uint32_t i, const uint32_t **v)
{
	if (!s->dyn) {
		*v = NULL;
		return 0;
	}
	*v = s->dyn[i].v;
	return s->dyn[i].n;
}

/* ---- rt_ops ---- */

static int srt_send(struct node *n, const struct node_id *to, const char *module,
		    const struct mod_msg *msg)
{
	struct sim *s = sim_of(n);
	uint32_t u = idx_of(n), v;
	struct sim_ev ev = { .kind = EV_MSG,
			     .src = u,
			     .type = msg->type,
			     .flags = msg->flags,
			     .ttl = msg->ttl,
			     .id = msg->id,
			     .len = (uint32_t)msg->len };
	struct sim_ev *q;
	uint8_t *copy = NULL;
	int mod;

	if (id_to_idx(s, to, &v) < 0 || !sim_may_send(s, u, v))
		return -EHOSTUNREACH;
	if (msg->len > ICC_MAX_PAYLOAD)
		return -EMSGSIZE;
	mod = node_module_idx(n, module);
	if (mod < 0) {
		s->cnt.unknown_module++;
		return 0;
	}
	s->cnt.icc_sent++;
	if (sim_link_dead(s, u, v)) {
		s->cnt.lost_link++;
		return 0;
	}
	if (s->cfg.loss > 0 && rng_unit(&s->rng) < s->cfg.loss) {
		s->cnt.lost_loss++;
		return 0;
	}
	ev.dst = v;
	ev.mod = (uint8_t)mod;
	if (msg->len > SIM_INLINE) {
		copy = payload_get(s, msg->len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, msg->data, msg->len);
		ev.data = copy;
	} else if (msg->len) {
		memcpy(ev.inl, msg->data, msg->len);
	}
	q = sim_push(s, s->now + link_latency(s, u, v), &ev);
	if (!q && copy)
		payload_put(s, copy, msg->len);
	return q ? 0 : -ENOMEM;
}

static struct sim_tslot *tslot(struct sim *s, uint32_t node, uint16_t mod, uint32_t id, bool add)
{
	uint32_t h;

	if (add && 2 * (s->tn + 1) > s->tcap) {
		uint32_t oc = s->tcap, nc = oc ? 2 * oc : 1024;
		struct sim_tslot *old = s->tt, *nt = calloc(nc, sizeof(*nt));

		if (!nt)
			return NULL;
		s->tt = nt;
		s->tcap = nc;
		s->tn = 0;
		for (uint32_t i = 0; i < oc; i++)
			if (old[i].used)
				*tslot(s, old[i].node, old[i].mod, old[i].id, true) = old[i];
		free(old);
	}
	if (!s->tcap)
		return NULL;
	h = (uint32_t)rng_hash3(node, mod, id) & (s->tcap - 1);
	for (;; h = (h + 1) & (s->tcap - 1)) {
		struct sim_tslot *t = &s->tt[h];

		if (t->used && t->node == node && t->mod == mod && t->id == id)
			return t;
		if (!t->used) {
			if (!add)
				return NULL;
			*t = (struct sim_tslot){ .node = node, .id = id, .mod = mod, .used = 1 };
			s->tn++;
			return t;
		}
	}
}

static int srt_timer_arm(struct node *n, struct module *m, uint32_t timer_id, uint64_t delay)
{
	struct sim *s = sim_of(n);
	struct sim_tslot *t = tslot(s, idx_of(n), m->idx, timer_id, true);
	struct sim_ev ev = {
		.kind = EV_TIMER, .dst = idx_of(n), .mod = (uint8_t)m->idx, .len = timer_id
	};

	if (!t)
		return -ENOMEM;
	t->gen = ++s->tgen ? s->tgen : ++s->tgen;
	ev.gen = t->gen;
	return sim_push(s, s->now + delay, &ev) ? 0 : -ENOMEM;
}

static int srt_timer_cancel(struct node *n, struct module *m, uint32_t timer_id)
{
	struct sim_tslot *t = tslot(sim_of(n), idx_of(n), m->idx, timer_id, false);

	if (!t || !t->gen)
		return -ENOENT;
	t->gen = 0;
	return 0;
}

static uint64_t srt_now(struct node *n)
{
	return sim_of(n)->now;
}

static int srt_neighbours(struct node *n, struct nbr_info *out, int max)
{
	struct sim *s = sim_of(n);
	uint32_t u = idx_of(n);
	uint64_t a = s->g.off[u], deg = s->g.off[u + 1] - a;
	bool detected = s->fail_applied && s->now >= s->cfg.fail_at_ns + s->cfg.detect_ns;

	for (uint64_t k = 0; k < deg && (int)k < max; k++) {
		uint32_t v = s->g.adj[a + k];

		out[k].id = s->nodes[v].id;
		out[k].up = !(detected && s->failed[v]);
		/* a made-up datapath label: the link's position in u's list, 1..255 */
		out[k].label = k < 255 ? (uint8_t)(k + 1) : DP_LABEL_NONE;
	}
	return (int)deg;
}

static int srt_dp(struct node *n, const struct dp_entry *e)
{
	(void)n;
	(void)e;
	return 0;
}

static void srt_count(struct module *m, unsigned int ctr, uint64_t delta)
{
	m->ctr[ctr] += delta;
}

static void srt_log(struct node *n, enum log_level lvl, const char *fmt, va_list ap)
{
	struct sim *s = sim_of(n);

	if (!s->verbose && lvl > LOG_L_WARN)
		return;
	fprintf(stderr, "[%.6f node %u] ", (double)s->now / 1e9, idx_of(n));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static const struct rt_ops sim_rt_ops = {
	.send = srt_send,
	.deliver = node_deliver,
	.timer_arm = srt_timer_arm,
	.timer_cancel = srt_timer_cancel,
	.now = srt_now,
	.neighbours = srt_neighbours,
	.dp_install = srt_dp,
	.dp_remove = srt_dp,
	.count = srt_count,
	.log = srt_log,
	.link_add = srt_link_add,
	.link_remove = srt_link_remove,
	.self_addr = srt_self_addr,
};

/* ---- the loop ---- */

static void sim_dispatch_msg(struct sim *s, struct sim_ev *ev)
{
	struct mod_msg msg = {
		.type = ev->type, .flags = ev->flags, .ttl = ev->ttl, .id = ev->id, .len = ev->len
	};

	if (s->failed[ev->dst]) {
		s->cnt.to_failed++;
		return;
	}
	msg.src = s->nodes[ev->src].id;
	msg.data = ev->len > SIM_INLINE ? ev->data : ev->inl;
	s->cnt.icc_delivered++;
	node_deliver_idx(&s->nodes[ev->dst], ev->mod, &msg);
}

static void sim_apply_failures(struct sim *s)
{
	struct sim_ev ev = { .kind = EV_DETECT };

	for (uint32_t i = 0; i < s->g.n; i++)
		if (hash_unit(rng_hash3(s->cfg.seed, i, 0xfa11)) < s->cfg.node_fail)
			s->failed[i] = 1;
	s->fail_applied = true;
	sim_push(s, s->now + s->cfg.detect_ns, &ev);
}

/* Live neighbours of failed nodes see their links go down (module link hooks). */
static void sim_detect_failures(struct sim *s)
{
	for (uint32_t u = 0; u < s->g.n; u++) {
		if (!s->failed[u])
			continue;
		for (uint64_t k = s->g.off[u]; k < s->g.off[u + 1]; k++) {
			uint32_t v = s->g.adj[k];

			if (!s->failed[v])
				node_link(&s->nodes[v], &s->nodes[u].id, false);
		}
	}
	for (uint32_t u = 0; s->dyn && u < s->g.n; u++) {
		uint32_t k = 0;

		/* the hook may remove links: rescan from where we are */
		while (!s->failed[u] && k < s->dyn[u].n) {
			uint32_t v = s->dyn[u].v[k], before = s->dyn[u].n;

			if (s->failed[v])
				node_link(&s->nodes[u], &s->nodes[v].id, false);
			if (s->dyn[u].n == before)
				k++;
		}
	}
}

static void sim_dispatch(struct sim *s, struct sim_ev *ev)
{
	struct sim_tslot *t;

	switch (ev->kind) {
	case EV_MSG:
		sim_dispatch_msg(s, ev);
		break;
	case EV_TIMER:
		t = tslot(s, ev->dst, ev->mod, ev->len, false);
		if (!t || t->gen != ev->gen || s->failed[ev->dst])
			break;
		t->gen = 0;
		s->cnt.timers++;
		node_timer(&s->nodes[ev->dst], ev->mod, ev->len);
		break;
	case EV_APP:
		if (!s->failed[ev->dst] && s->scen && s->scen->event)
			s->scen->event(s->scen_ctx, s, ev->dst, ev->len);
		break;
	case EV_FAIL:
		sim_apply_failures(s);
		break;
	case EV_DETECT:
		sim_detect_failures(s);
		break;
	case EV_LINK:
		sim_link_event(s, ev);
		break;
	}
}

uint64_t sim_run(struct sim *s)
{
	uint64_t n = 0;

	while (s->hn) {
		struct sim_hent e;

		if (s->cfg.until_ns && s->heap[0].t > s->cfg.until_ns)
			break;
		e = sim_pop(s);
		s->now = e.t;
		sim_dispatch(s, ev_at(s, e.ev));
		ev_release(s, e.ev);
		n++;
	}
	s->cnt.events += n;
	return n;
}

void sim_set_until(struct sim *s, uint64_t until_ns)
{
	s->cfg.until_ns = until_ns;
}

int sim_schedule_app(struct sim *s, uint64_t t, uint32_t node, uint32_t arg)
{
	struct sim_ev ev = { .kind = EV_APP, .dst = node, .len = arg };

	return sim_push(s, t, &ev) ? 0 : -ENOMEM;
}

/* ---- setup ---- */

static int sim_init_nodes(struct sim *s, char *err, size_t errlen)
{
	/* every ID first: a module's init may look at its neighbours' */
	for (uint32_t i = 0; i < s->g.n; i++)
		sim_node_id(s, i, &s->nodes[i].id);
	for (uint32_t i = 0; i < s->g.n; i++) {
		struct node *n = &s->nodes[i];
		struct node_id id;
		int ret;

		sim_node_id(s, i, &id);
		ret = node_alloc(n, &id, &sim_rt_ops, s, &s->mc);
		if (!ret && s->scen && s->scen->node_setup) {
			ret = s->scen->node_setup(s->scen_ctx, s, i, n);
			if (ret) {
				node_discard(n);
				snprintf(err, errlen, "node %u: scenario setup: %s", i,
					 strerror(-ret));
				return ret;
			}
		}
		ret = ret ?: node_start(n, &s->mc);
		if (ret) {
			snprintf(err, errlen, "node %u: module init: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static json_t *sim_modules(const json_t *modules, const struct sim_scenario_ops *ops, void *ctx,
			   char *err, size_t errlen)
{
	json_t *m = modules		  ? json_deep_copy(modules)
		    : ops && ops->modules ? ops->modules(ctx)
					  : NULL;

	if (!m)
		snprintf(err, errlen, "%s",
			 modules || (ops && ops->modules) ? "out of memory" : "no module config");
	return m;
}

struct sim *sim_new(const struct sim_cfg *c, const json_t *modules,
		    const struct sim_scenario_ops *ops, void *ctx, char *err, size_t errlen)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *c;
	s->verbose = c->verbose;
	s->scen = ops;
	s->scen_ctx = ctx;
	if (s->cfg.lat_max_ns < s->cfg.lat_min_ns)
		s->cfg.lat_max_ns = s->cfg.lat_min_ns;
	rng_seed(&s->rng, c->seed);
	s->modules = sim_modules(modules, ops, ctx, err, errlen);
	if (!s->modules || graph_build(&s->g, &c->graph, &s->rng, err, errlen) < 0)
		goto err;
	if (s->g.n < 2) {
		snprintf(err, errlen, "need at least 2 nodes");
		goto err;
	}
	if (modcfg_load(s->modules, &s->mc, err, errlen) < 0)
		goto err;
	s->nodes = calloc(s->g.n, sizeof(*s->nodes));
	s->failed = calloc(s->g.n, 1);
	if (!s->nodes || !s->failed || sim_init_nodes(s, err, errlen) < 0)
		goto err;
	if (c->node_fail > 0) {
		struct sim_ev ev = { .kind = EV_FAIL };

		if (!sim_push(s, c->fail_at_ns, &ev))
			goto err;
	}
	if (ops && ops->start && ops->start(ctx, s) < 0) {
		snprintf(err, errlen, "scenario %s: cannot start", ops->name);
		goto err;
	}
	return s;
err:
	sim_free(s);
	return NULL;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->hn; i++)
		ev_release(s, s->heap[i].ev);
	for (uint32_t i = 0; i < s->nchunks; i++)
		free(s->chunks[i]);
	while (s->pool_slabs) {
		void *next;

		memcpy(&next, s->pool_slabs, sizeof(void *));
		free(s->pool_slabs);
		s->pool_slabs = next;
	}
	for (uint32_t i = 0; s->nodes && i < s->g.n; i++)
		if (s->nodes[i].mods)
			node_stop(&s->nodes[i]);
	for (uint32_t i = 0; s->dyn && i < s->g.n; i++)
		free(s->dyn[i].v);
	free(s->dyn);
	free(s->heap);
	free(s->tt);
	free(s->nodes);
	free(s->failed);
	if (s->scen && s->scen->free)
		s->scen->free(s->scen_ctx);
	graph_free(&s->g);
	json_decref(s->modules);
	free(s);
}

uint32_t sim_nnodes(const struct sim *s)
{
	return s->g.n;
}

struct node *sim_node(struct sim *s, uint32_t i)
{
	return i < s->g.n ? &s->nodes[i] : NULL;
}

bool sim_failed(const struct sim *s, uint32_t i)
{
	return s->failed[i];
}

const struct graph *sim_graph(const struct sim *s)
{
	return &s->g;
}

const struct sim_counts *sim_counts(const struct sim *s)
{
	return &s->cnt;
}

uint64_t sim_now(const struct sim *s)
{
	return s->now;
}

uint64_t sim_seed(const struct sim *s)
{
	return s->cfg.seed;
}

struct rng *sim_rng(struct sim *s)
{
	return &s->rng;
}
