// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SMM: range partitioning at each hop, forwarding through CMM, delivery once per ID. */
#include <errno.h>
#include <stdlib.h>

#include "core/modparam.h"
#include "core/node.h"
#include "core/seen.h"
#include "modules/smm.h"
#include "modules/topology.h"

#define NS_PER_MS     1000000ULL
#define SMM_MAX_RETRY 8

struct smm {
	struct seen_cache seen;
	uint32_t max_depth;
	char topo[ICC_MOD_LEN + 1];
	smm_observer_fn observer; /* a simulator scenario's, or NULL */
	void *observer_ctx;
};

static const char *const smm_counters[SMM_C__MAX + 1] = {
	[SMM_C_ORIGINATED] = "originated",
	[SMM_C_SENT] = "sent",
	[SMM_C_RECEIVED] = "received",
	[SMM_C_DELIVERED] = "delivered",
	[SMM_C_DUPLICATES] = "duplicates",
	[SMM_C_TRANSIT] = "transit",
	[SMM_C_RECOVERED] = "recovered",
	[SMM_C_DROP_MALFORMED] = "dropped.malformed",
	[SMM_C_DROP_DEPTH] = "dropped.depth",
	[SMM_C_DROP_NO_ROUTE] = "dropped.no_route",
	[SMM_C_DROP_UNKNOWN_MODULE] = "dropped.unknown_module",
	[SMM_C_DROP_NO_TOPOLOGY] = "dropped.no_topology",
	[SMM_C__MAX] = NULL,
};

int smm_set_observer(struct module *m, smm_observer_fn fn, void *ctx)
{
	struct smm *s = m->priv;

	if (m->ops != &smm_module)
		return -EINVAL;
	s->observer = fn;
	s->observer_ctx = ctx;
	return 0;
}

/* ---- partitioning (pure) ---- */

static int cmp_ring(const void *a, const void *b)
{
	ring_t x = *(const ring_t *)a, y = *(const ring_t *)b;

	return x < y ? -1 : x > y;
}

/* Inclusive pieces, relative to self, of the range [from, to). */
static int range_pieces(ring_t self, ring_t from, ring_t to, ring_t lo[2], ring_t hi[2])
{
	ring_t a = from - self, b = to - self;

	if (from == to) {
		lo[0] = 0;
		hi[0] = RING_MAX;
		return 1;
	}
	if (a < b) {
		lo[0] = a;
		hi[0] = b - 1;
		return 1;
	}
	lo[0] = a;
	hi[0] = RING_MAX;
	if (!b)
		return 1;
	lo[1] = 0;
	hi[1] = b - 1;
	return 2;
}

int smm_partition(ring_t self, const ring_t *routes, int nroutes, ring_t from, ring_t to,
		  struct smm_part *out, int max, bool *self_in)
{
	ring_t rel[2 * SMM_ROUTES_MAX], lo[2], hi[2];
	int n = 0, np, nparts = 0;

	if (nroutes > SMM_ROUTES_MAX)
		return -E2BIG;
	/* (relative position, route index) packed: positions are distinct */
	for (int i = 0; i < nroutes; i++) {
		if (routes[i] == self)
			continue;
		rel[2 * n] = routes[i] - self;
		rel[2 * n + 1] = (ring_t)i;
		n++;
	}
	qsort(rel, (size_t)n, 2 * sizeof(ring_t), cmp_ring);
	np = range_pieces(self, from, to, lo, hi);
	*self_in = lo[np - 1] == 0;
	for (int j = 0; j < n; j++) {
		ring_t alo = rel[2 * j], ahi = j + 1 < n ? rel[2 * j + 2] - 1 : RING_MAX;

		if (j + 1 < n && rel[2 * j + 2] == alo)
			continue; /* a repeated route: the last copy owns the arc */
		for (int k = 0; k < np; k++) {
			ring_t l = lo[k] > alo ? lo[k] : alo, h = hi[k] < ahi ? hi[k] : ahi;

			if (l > h)
				continue;
			if (nparts == max)
				return -E2BIG;
			out[nparts++] = (struct smm_part){ .peer = (int)rel[2 * j + 1],
							   .from = self + l,
							   .to = self + h + 1 };
		}
	}
	return nparts;
}

/* ---- the module ---- */

struct smm_params {
	uint32_t seen_capacity, max_depth;
	uint64_t seen_ttl_ms;
	char topology[ICC_MOD_LEN + 1];
};

static const struct mod_param smm_params[] = {
	MP_U32("seen_capacity", struct smm_params, seen_capacity, SMM_DEFAULT_SEEN, 1, 1u << 24),
	MP_U64("seen_ttl_ms", struct smm_params, seen_ttl_ms, SMM_DEFAULT_TTL_MS, 1, 86400000),
	MP_U32("max_depth", struct smm_params, max_depth, SMM_DEFAULT_DEPTH, 1, 1000),
	MP_NAME("topology", struct smm_params, topology, TOPOLOGY_NAME),
	MP_END,
};

static int smm_init(struct module *m, const json_t *params)
{
	struct smm *s = m->priv;
	struct smm_params p;

	if (module_params(m, smm_params, params, &p))
		return -EINVAL;
	snprintf(s->topo, sizeof(s->topo), "%s", p.topology);
	seen_init(&s->seen, p.seen_capacity, p.seen_ttl_ms * NS_PER_MS);
	s->max_depth = p.max_depth;
	return 0;
}

static int smm_stop(struct module *m)
{
	struct smm *s = m->priv;

	seen_free(&s->seen);
	return 0;
}

static void smm_deliver_local(struct module *m, const struct smm_hdr *h, const void *data,
			      size_t len)
{
	struct smm *s = m->priv;
	struct mod_msg out = { .type = ICC_T_DATA, .id = h->bcast, .src = h->origin };
	int ret = seen_check_insert(&s->seen, &h->bcast, rt_now(m));

	if (s->observer)
		s->observer(s->observer_ctx, m->node, &h->bcast, h->depth, ret == 1);
	if (ret == 1) {
		rt_count(m, SMM_C_DUPLICATES, 1);
		return;
	}
	out.from_module = SMM_NAME;
	out.data = data;
	out.len = len;
	if (rt_deliver(m, h->dmm, &out) == -ENOENT) {
		rt_count(m, SMM_C_DROP_UNKNOWN_MODULE, 1);
		return;
	}
	rt_count(m, SMM_C_DELIVERED, 1);
}

struct smm_fwd {
	struct node_id ids[SMM_ROUTES_MAX];
	ring_t keys[SMM_ROUTES_MAX];
	int n;
};

/* Send one part to routes[p]; 0, or -errno if the send failed. */
static int smm_send_part(struct module *m, const struct smm_hdr *h, const struct smm_fwd *f,
			 const struct smm_part *p, const void *data, size_t len)
{
	uint8_t buf[CMM_MAX_DATA];
	struct smm_hdr out = *h;
	struct msg_id hop;
	int ret;

	out.depth = (uint16_t)(h->depth + 1);
	ring_to(p->from, out.from.b);
	ring_to(p->to, out.to.b);
	smm_hop_id(&h->bcast, &out.from, &out.to, &hop);
	smm_hdr_encode(&out, buf, sizeof(buf));
	memcpy(buf + SMM_HDR_LEN, data, len);
	ret = cmm_send_from(m, &hop, buf, SMM_HDR_LEN + len, &f->ids[p->peer], 1, SMM_NAME);
	if (ret == 1) {
		rt_count(m, SMM_C_SENT, 1);
		return 0;
	}
	return ret < 0 ? ret : -EHOSTUNREACH;
}

/* Split [from, to) among the live routes; a failed send re-splits that part without it. */
static void smm_forward(struct module *m, const struct smm_hdr *h, struct smm_fwd *f, ring_t from,
			ring_t to, const void *data, size_t len, int retries)
{
	struct smm_part parts[2 * SMM_ROUTES_MAX];
	ring_t self = ring_of(m->node->id.b);
	bool self_in;
	int n = smm_partition(self, f->keys, f->n, from, to, parts, 2 * SMM_ROUTES_MAX, &self_in);

	(void)self_in;
	/* a re-split part that nobody takes is lost (a lone node loses nothing) */
	if (n < 0 || (n == 0 && retries > 0)) {
		rt_count(m, SMM_C_DROP_NO_ROUTE, 1);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (smm_send_part(m, h, f, &parts[i], data, len) == 0)
			continue;
		if (retries >= SMM_MAX_RETRY) {
			rt_count(m, SMM_C_DROP_NO_ROUTE, 1);
			continue;
		}
		/* a dead entry: drop it (self-collision makes it unusable) and re-split */
		rt_count(m, SMM_C_RECOVERED, 1);
		f->keys[parts[i].peer] = self;
		smm_forward(m, h, f, parts[i].from, parts[i].to, data, len, retries + 1);
	}
}

static void smm_handle(struct module *m, const struct smm_hdr *h, const void *data, size_t len)
{
	struct smm *s = m->priv;
	struct module *topo = node_module(m->node, s->topo);
	ring_t self = ring_of(m->node->id.b), from = ring_of(h->from.b), to = ring_of(h->to.b);
	struct smm_fwd f;

	if (ring_in(self, from, to))
		smm_deliver_local(m, h, data, len);
	else
		rt_count(m, SMM_C_TRANSIT, 1);
	if (h->depth >= s->max_depth) {
		rt_count(m, SMM_C_DROP_DEPTH, 1);
		return;
	}
	if (!topo) {
		rt_count(m, SMM_C_DROP_NO_TOPOLOGY, 1);
		return;
	}
	f.n = topology_routes(topo, f.ids, SMM_ROUTES_MAX);
	if (f.n < 0)
		f.n = 0;
	for (int i = 0; i < f.n; i++)
		f.keys[i] = ring_of(f.ids[i].b);
	smm_forward(m, h, &f, from, to, data, len, 0);
}

static int smm_recv(struct module *m, const struct mod_msg *msg)
{
	struct smm_hdr h;
	int hl;

	rt_count(m, SMM_C_RECEIVED, 1);
	hl = smm_hdr_decode(msg->data, msg->len, &h);
	if (hl < 0) {
		rt_count(m, SMM_C_DROP_MALFORMED, 1);
		return hl;
	}
	smm_handle(m, &h, (const uint8_t *)msg->data + hl, msg->len - (size_t)hl);
	return 0;
}

int smm_send(struct module *m, const struct msg_id *id, const void *data, size_t len,
	     const struct node_id *from, const struct node_id *to, const char *dmm)
{
	struct smm_hdr h = { .bcast = *id, .origin = m->node->id, .from = *from, .to = *to };
	uint64_t before = m->ctr[SMM_C_SENT];

	if (len > SMM_MAX_DATA || !dmm || !dmm[0] || !icc_module_name_ok(dmm))
		return -EINVAL;
	snprintf(h.dmm, sizeof(h.dmm), "%s", dmm);
	rt_count(m, SMM_C_ORIGINATED, 1);
	smm_handle(m, &h, data, len);
	return (int)(m->ctr[SMM_C_SENT] - before);
}

int smm_send_from(struct module *caller, const struct msg_id *id, const void *data, size_t len,
		  const struct node_id *from, const struct node_id *to, const char *dmm)
{
	struct module *s = node_module(caller->node, SMM_NAME);

	return s ? smm_send(s, id, data, len, from, to, dmm) : -ENOENT;
}

const struct module_ops smm_module = {
	.name = SMM_NAME,
	.priv_size = sizeof(struct smm),
	.counters = smm_counters,
	.init = smm_init,
	.recv = smm_recv,
	.stop = smm_stop,
	.ctl_ops = smm_ctl_ops,
};
