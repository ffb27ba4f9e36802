// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SRUM: path cache, send buffer, hop-by-hop forwarding, route errors, salvage. */
#include <errno.h>
#include <stdlib.h>

#include "core/modparam.h"
#include "core/node.h"
#include "core/wire.h"
#include "modules/routing_ctl.h"
#include "modules/srum.h"

#define NS_PER_MS   1000000ULL
#define SWEEP_TIMER 1

struct srum_path {
	struct node_id dst;
	uint64_t learned, used;
	uint8_t n;
	bool installed;	     /* the datapath holds this one for dst */
	uint8_t first_label; /* this node's link label towards hop[0] */
	uint32_t next;	     /* the next path in dst's hash chain, NO_PATH at the end */
	struct node_id hop[SR_HOPS_MAX];
	uint8_t labels[SR_HOPS_MAX]; /* hop[i]'s towards hop[i + 1]; DP_LABEL_NONE unknown */
};

/* A buffered message: its header (source, destination, module, the path so far up to pos). */
struct srum_qmsg {
	uint64_t t;
	struct srum_data_hdr h;
	uint16_t len;
	uint8_t *data;
};

#define SRUM_REDISCOVER_MAX 2 /* discoveries again when the path found is unusable */

struct srum_buf {
	struct node_id dst;
	uint32_t rediscovered;
	uint32_t head, count; /* ring of buf_msgs */
	struct srum_qmsg *q;
};

#define NO_PATH UINT32_MAX

struct srum {
	struct srum_path *paths; /* unordered, grows to cache_cap */
	uint32_t npaths, apaths, cache_cap;
	uint32_t *heads; /* hash chains by destination: hmask + 1 heads (>= apaths) */
	uint32_t hmask;
	uint64_t oldest; /* <= every path's learned: expiry scans only when one may be due */
	uint64_t timeout, buf_timeout, seq;
	uint32_t buf_msgs, salvage_max;
	struct srum_buf bufs[SRUM_BUF_DESTS];
	uint32_t nbufs;
	bool sweep_armed;
};

static const char *const srum_counters[SRUM_C__MAX + 1] = {
	[SRUM_C_SENT] = "sent",
	[SRUM_C_FORWARDED] = "forwarded",
	[SRUM_C_DELIVERED] = "delivered",
	[SRUM_C_CACHE_HITS] = "cache.hits",
	[SRUM_C_CACHE_MISSES] = "cache.misses",
	[SRUM_C_DISCOVERIES] = "discoveries",
	[SRUM_C_BUFFERED] = "buffer.queued",
	[SRUM_C_BUF_FLUSHED] = "buffer.flushed",
	[SRUM_C_BUF_DROPPED_FULL] = "buffer.dropped_full",
	[SRUM_C_BUF_EXPIRED] = "buffer.expired",
	[SRUM_C_BUF_NO_ROUTE] = "buffer.no_route",
	[SRUM_C_RERR_SENT] = "route_errors.sent",
	[SRUM_C_RERR_RECEIVED] = "route_errors.received",
	[SRUM_C_SALVAGED] = "salvaged",
	[SRUM_C_PATHS_LEARNED] = "paths.learned",
	[SRUM_C_PATHS_EVICTED] = "paths.evicted",
	[SRUM_C_PATHS_EXPIRED] = "paths.expired",
	[SRUM_C_PATHS_INVALIDATED] = "paths.invalidated",
	[SRUM_C_DROP_MALFORMED] = "dropped.malformed",
	[SRUM_C_DROP_TTL] = "dropped.ttl",
	[SRUM_C_DROP_NOT_ON_PATH] = "dropped.not_on_path",
	[SRUM_C_DROP_BROKEN] = "dropped.broken_link",
	[SRUM_C_DROP_BAD_SIG] = "dropped.bad_signature",
	[SRUM_C_DROP_UNKNOWN_MODULE] = "dropped.unknown_module",
	[SRUM_C_LINK_NOTICES] = "link_notices",
	[SRUM_C_REDISCOVERED] = "paths.rediscovered",
	[SRUM_C__MAX] = NULL,
};

struct srum_params {
	uint32_t cache_size, buffer_messages, salvage_max;
	uint64_t cache_timeout_ms, buffer_timeout_ms;
};

#define P struct srum_params
static const struct mod_param srum_params[] = {
	MP_U32("cache_size", P, cache_size, SRUM_DEFAULT_CACHE, 1, 1u << 20),
	MP_U64("cache_timeout_ms", P, cache_timeout_ms, SRUM_DEFAULT_TIMEOUT_MS, 1, 86400000),
	MP_U32("buffer_messages", P, buffer_messages, SRUM_DEFAULT_BUF_MSGS, 1, 4096),
	MP_U64("buffer_timeout_ms", P, buffer_timeout_ms, SRUM_DEFAULT_BUF_MS, 1, 86400000),
	MP_U32("salvage_max", P, salvage_max, SRUM_DEFAULT_SALVAGE, 0, 15),
	MP_END,
};
#undef P

static int srum_init(struct module *m, const json_t *params)
{
	struct srum *s = m->priv;
	struct srum_params p;

	if (module_params(m, srum_params, params, &p))
		return -EINVAL;
	s->cache_cap = p.cache_size;
	s->timeout = p.cache_timeout_ms * NS_PER_MS;
	s->buf_msgs = p.buffer_messages;
	s->buf_timeout = p.buffer_timeout_ms * NS_PER_MS;
	s->salvage_max = p.salvage_max;
	s->seq = id_hash(m->node->id.b);
	return 0;
}

/* ---- path cache ---- */

static bool path_better(const struct srum_path *a, const struct srum_path *b)
{
	return a->n < b->n || (a->n == b->n && a->learned > b->learned);
}

/* ---- the index: a hash chain per destination through paths[].next ---- */

static uint32_t *chain(struct srum *s, const struct node_id *dst)
{
	return &s->heads[id_hash(dst->b) & s->hmask];
}

static void chain_link(struct srum *s, uint32_t i)
{
	uint32_t *h = chain(s, &s->paths[i].dst);

	s->paths[i].next = *h;
	*h = i;
}

static void chain_unlink(struct srum *s, uint32_t i)
{
	uint32_t *l = chain(s, &s->paths[i].dst);

	while (*l != i)
		l = &s->paths[*l].next;
	*l = s->paths[i].next;
}

/* Heads for at least cap paths (a power of two), every path relinked. -ENOMEM keeps the old. */
static int chain_rebuild(struct srum *s, uint32_t cap)
{
	uint32_t n = 8, *h;

	while (n < cap)
		n *= 2;
	h = malloc(sizeof(*h) * n);
	if (!h)
		return -ENOMEM;
	memset(h, 0xff, sizeof(*h) * n); /* NO_PATH */
	free(s->heads);
	s->heads = h;
	s->hmask = n - 1;
	for (uint32_t i = 0; i < s->npaths; i++)
		chain_link(s, i);
	return 0;
}

static int cache_best_idx(struct srum *s, const struct node_id *dst)
{
	int best = -1;

	if (!s->heads)
		return -1;
	for (uint32_t i = *chain(s, dst); i != NO_PATH; i = s->paths[i].next)
		if (node_id_eq(&s->paths[i].dst, dst) &&
		    (best < 0 || path_better(&s->paths[i], &s->paths[best])))
			best = (int)i;
	return best;
}

static void dp_entry_of(const struct srum_path *p, struct dp_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = SRUM_DP_KIND;
	e->dst = p->dst;
	e->hops = p->n;
	e->first_label = p->first_label;
	memcpy(e->path, p->hop, sizeof(p->hop[0]) * p->n);
	memcpy(e->labels, p->labels, p->n);
}

/* Keep the datapath holding the preferred path to dst (call after any change for dst). */
static void dp_sync(struct module *m, const struct node_id *dst, const struct srum_path *removed)
{
	struct srum *s = m->priv;
	int best = cache_best_idx(s, dst);
	struct dp_entry e;

	if (best >= 0 && s->paths[best].installed)
		return;
	for (uint32_t i = s->heads ? *chain(s, dst) : NO_PATH; i != NO_PATH; i = s->paths[i].next)
		if (node_id_eq(&s->paths[i].dst, dst))
			s->paths[i].installed = false;
	if (best >= 0) {
		dp_entry_of(&s->paths[best], &e);
		if (rt_dp_install(m, &e) == 0)
			s->paths[best].installed = true;
	} else if (removed && removed->installed) {
		dp_entry_of(removed, &e);
		rt_dp_remove(m, &e);
	}
}

static void cache_remove(struct module *m, uint32_t i, unsigned int ctr)
{
	struct srum *s = m->priv;
	struct srum_path gone = s->paths[i];
	uint32_t last;

	chain_unlink(s, i);
	last = --s->npaths;
	if (i != last) {
		chain_unlink(s, last);
		s->paths[i] = s->paths[last];
		chain_link(s, i);
	}
	rt_count(m, ctr, 1);
	dp_sync(m, &gone.dst, &gone);
}

static void cache_expire(struct module *m, uint64_t now)
{
	struct srum *s = m->priv;
	uint64_t oldest = now;

	if (now - s->oldest <= s->timeout)
		return; /* none due */
	for (uint32_t i = 0; i < s->npaths;)
		if (now - s->paths[i].learned > s->timeout) {
			cache_remove(m, i, SRUM_C_PATHS_EXPIRED);
		} else {
			if (s->paths[i].learned < oldest)
				oldest = s->paths[i].learned;
			i++;
		}
	s->oldest = oldest;
}

/* Take the labels the new copy of a known path brings; true if any changed. */
static bool labels_merge(struct srum_path *p, const uint8_t *labels, uint8_t first)
{
	bool changed = false;

	if (first != DP_LABEL_NONE && first != p->first_label) {
		p->first_label = first;
		changed = true;
	}
	for (int i = 0; labels && i + 1 < p->n; i++)
		if (labels[i] != DP_LABEL_NONE && labels[i] != p->labels[i]) {
			p->labels[i] = labels[i];
			changed = true;
		}
	return changed;
}

void srum_learn(struct module *m, const struct node_id *hop, const uint8_t *labels, int n)
{
	struct srum *s = m->priv;
	uint64_t now = rt_now(m);
	struct srum_path *p;
	uint8_t first;

	if (n < 1 || n > SR_HOPS_MAX || !sr_loop_free(&m->node->id, hop, n))
		return;
	first = sr_nbr_label(m, &hop[0]);
	for (uint32_t i = s->heads ? *chain(s, &hop[n - 1]) : NO_PATH; i != NO_PATH;
	     i = s->paths[i].next) {
		p = &s->paths[i];
		if (p->n == n && node_id_eq(&p->dst, &hop[n - 1]) &&
		    !memcmp(p->hop, hop, sizeof(hop[0]) * (size_t)n)) {
			p->learned = now; /* refreshed */
			if (labels_merge(p, labels, first) && p->installed) {
				struct dp_entry e;

				dp_entry_of(p, &e);
				rt_dp_install(m, &e); /* the same path, now with its labels */
			}
			return;
		}
	}
	if (s->npaths == s->cache_cap) {
		uint32_t lru = 0;

		for (uint32_t i = 1; i < s->npaths; i++)
			if (s->paths[i].used < s->paths[lru].used)
				lru = i;
		cache_remove(m, lru, SRUM_C_PATHS_EVICTED);
	}
	if (s->npaths == s->apaths) {
		uint32_t na = s->apaths ? 2 * s->apaths : 8;
		struct srum_path *np;

		if (na > s->cache_cap)
			na = s->cache_cap;
		np = realloc(s->paths, sizeof(*np) * na);
		if (!np)
			return;
		s->paths = np;
		s->apaths = na;
	}
	/* more heads as the cache grows; on -ENOMEM the old ones still index every path */
	if ((!s->heads || s->hmask < s->apaths - 1) && chain_rebuild(s, s->apaths) < 0 && !s->heads)
		return;
	p = &s->paths[s->npaths];
	memset(p, 0, sizeof(*p));
	p->dst = hop[n - 1];
	p->n = (uint8_t)n;
	p->learned = p->used = now;
	memcpy(p->hop, hop, sizeof(hop[0]) * (size_t)n);
	labels_merge(p, labels, first);
	chain_link(s, s->npaths++);
	rt_count(m, SRUM_C_PATHS_LEARNED, 1);
	dp_sync(m, &p->dst, NULL);
}

int srum_best(struct module *m, const struct node_id *dst, struct node_id *hop)
{
	struct srum *s = m->priv;
	int b;

	cache_expire(m, rt_now(m));
	b = cache_best_idx(s, dst);
	if (b < 0)
		return 0;
	if (hop)
		memcpy(hop, s->paths[b].hop, sizeof(hop[0]) * s->paths[b].n);
	return s->paths[b].n;
}

int srum_best_entry(struct module *m, const struct node_id *dst, struct dp_entry *e)
{
	struct srum *s = m->priv;
	int b;

	cache_expire(m, rt_now(m));
	b = cache_best_idx(s, dst);
	if (b < 0)
		return 0;
	dp_entry_of(&s->paths[b], e);
	return s->paths[b].n;
}

uint32_t srum_cache_count(struct module *m)
{
	return ((struct srum *)m->priv)->npaths;
}

static bool nbr_up(struct module *m, const struct node_id *id);

static bool path_uses(const struct node_id *self, const struct srum_path *p,
		      const struct node_id *a, const struct node_id *b)
{
	const struct node_id *prev = self;

	for (int i = 0; i < p->n; i++) {
		if ((node_id_eq(prev, a) && node_id_eq(&p->hop[i], b)) ||
		    (node_id_eq(prev, b) && node_id_eq(&p->hop[i], a)))
			return true;
		prev = &p->hop[i];
	}
	return false;
}

/*
 * Remove every cached path through the link a - b (either direction): the
 * ones not in the datapath first, so that a destination's next preferred
 * path, installed when its installed one goes, never crosses the link.
 * rediscover: a destination whose installed path went and that has no
 * other starts a discovery at once (its traffic was using the path).
 */
static void cache_invalidate_ex(struct module *m, const struct node_id *a, const struct node_id *b,
				bool rediscover)
{
	struct srum *s = m->priv;

	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < s->npaths;) {
			struct node_id dst = s->paths[i].dst;
			bool inst = s->paths[i].installed;

			if (inst != (pass == 1) || !path_uses(&m->node->id, &s->paths[i], a, b)) {
				i++;
				continue;
			}
			cache_remove(m, i, SRUM_C_PATHS_INVALIDATED);
			if (rediscover && inst && cache_best_idx(s, &dst) < 0 &&
			    spdm_discover_from(m, &dst) == 0) {
				rt_count(m, SRUM_C_DISCOVERIES, 1);
				rt_count(m, SRUM_C_REDISCOVERED, 1);
			}
		}
}

static void cache_invalidate(struct module *m, const struct node_id *a, const struct node_id *b)
{
	cache_invalidate_ex(m, a, b, false);
}

void srum_invalidate_link(struct module *m, const struct node_id *a, const struct node_id *b)
{
	rt_count(m, SRUM_C_LINK_NOTICES, 1);
	cache_invalidate_ex(m, a, b, true);
}

int srum_want_path(struct module *m, const struct node_id *dst)
{
	int ret;

	if (node_id_eq(dst, &m->node->id))
		return -EINVAL;
	cache_expire(m, rt_now(m));
	if (cache_best_idx(m->priv, dst) < 0 && nbr_up(m, dst))
		srum_learn(m, dst, NULL, 1); /* a neighbour is a one-hop path */
	if (cache_best_idx(m->priv, dst) >= 0) {
		dp_sync(m, dst, NULL);
		return 1;
	}
	ret = spdm_discover_from(m, dst);
	if (ret == 0)
		rt_count(m, SRUM_C_DISCOVERIES, 1);
	return ret == 0 || ret == -EALREADY ? 0 : ret;
}

json_t *srum_paths_json(struct module *m)
{
	struct srum *s = m->priv;
	uint64_t now = rt_now(m);
	json_t *arr = json_array();
	char hex[ID_HEX_LEN + 1];

	cache_expire(m, now);
	for (uint32_t i = 0; arr && i < s->npaths; i++) {
		const struct srum_path *p = &s->paths[i];
		json_t *o = json_object(), *path = json_array();

		id_fmt(p->dst.b, hex);
		json_object_set_new(o, "dst", json_string(hex));
		json_object_set_new(o, "hops", json_integer(p->n));
		for (int k = 0; k < p->n; k++) {
			id_fmt(p->hop[k].b, hex);
			json_array_append_new(path, json_string(hex));
		}
		json_object_set_new(o, "path", path);
		json_object_set_new(o, "age_ms",
				    json_integer((json_int_t)((now - p->learned) / NS_PER_MS)));
		json_object_set_new(o, "preferred", json_boolean(p->installed));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* ---- sending and forwarding ---- */

static void next_msg_id(struct srum *s, struct msg_id *id)
{
	uint64_t a = ++s->seq * 0x9e3779b97f4a7c15ULL, b = a ^ (a >> 29);

	wire_put64(id->b, a);
	wire_put64(id->b + 8, b);
}

static bool nbr_up(struct module *m, const struct node_id *id)
{
	struct nbr_info nb[256];
	int n = rt_neighbours(m, nb, 256);

	for (int i = 0; i < n && i < 256; i++)
		if (node_id_eq(&nb[i].id, id))
			return nb[i].up;
	return n > 256; /* not listed in what we read: let the send decide */
}

/* Send a data message to path[pos]; 0 or -errno (the link failed). */
static int srum_xmit(struct module *m, const struct srum_data_hdr *h, const void *data, size_t len)
{
	struct srum *s = m->priv;
	uint8_t buf[ICC_MAX_PAYLOAD];
	struct mod_msg msg = { .type = ICC_T_DATA, .ttl = 1, .src = m->node->id };
	int hl = srum_data_encode(h, buf, sizeof(buf));

	if (hl < 0 || (size_t)hl + len > sizeof(buf))
		return -EMSGSIZE;
	memcpy(buf + hl, data, len);
	msg.data = buf;
	msg.len = (size_t)hl + len;
	next_msg_id(s, &msg.id);
	if (!nbr_up(m, &h->path[h->pos]))
		return -EHOSTUNREACH;
	return rt_send(m, &h->path[h->pos], SRUM_NAME, &msg);
}

/* Send route error e (signed) to the neighbour to; rt_send's result, or < 0 when e does not encode. */
static int rerr_xmit(struct module *m, const struct srum_rerr *e, const struct node_id *to)
{
	uint8_t buf[SRUM_RERR_MAX];
	struct mod_msg msg = { .type = ICC_T_DATA, .ttl = 1, .src = m->node->id };
	int len = srum_rerr_encode(e, buf, sizeof(buf), NULL);

	if (len < 0)
		return len;
	msg.data = buf;
	msg.len = (size_t)len;
	next_msg_id(m->priv, &msg.id);
	return rt_send(m, to, SRUM_NAME, &msg);
}

static void send_rerr(struct module *m, const struct srum_data_hdr *h, const struct node_id *broken)
{
	struct srum_rerr e = { .origin = m->node->id, .broken = *broken, .src = h->start };
	uint8_t buf[SRUM_RERR_MAX];
	size_t bl;

	/* back: path[pos - 2] ... path[0], start (we are path[pos - 1]) */
	for (int i = (int)h->pos - 2; i >= 0; i--)
		e.back[e.nback++] = h->path[i];
	e.back[e.nback++] = h->start;
	srum_rerr_encode(&e, buf, sizeof(buf), &bl);
	sr_auth_sign(m, buf, bl, &e.auth);
	if (rerr_xmit(m, &e, &e.back[0]) == 0)
		rt_count(m, SRUM_C_RERR_SENT, 1);
}

/*
 * Send along the best cached path to h->dst from this node, which starts
 * the route (h->start, pos 0). A failed first hop is invalidated and the
 * next path tried. 0 sent, -ENOENT no usable path.
 */
static int send_cached(struct module *m, struct srum_data_hdr *h, const void *data, size_t len)
{
	struct srum *s = m->priv;

	h->pos = 0;
	for (int tries = 0; tries < 8; tries++) {
		int b = cache_best_idx(s, &h->dst);
		struct srum_path *p;

		if (b < 0)
			return -ENOENT;
		p = &s->paths[b];
		memcpy(h->path, p->hop, sizeof(p->hop[0]) * p->n);
		h->npath = p->n;
		p->used = rt_now(m);
		if (srum_xmit(m, h, data, len) == 0)
			return 0;
		cache_invalidate(m, &m->node->id, &h->path[0]);
	}
	return -ENOENT;
}

/* ---- send buffer ---- */

static int buf_find(struct srum *s, const struct node_id *dst)
{
	for (uint32_t i = 0; i < s->nbufs; i++)
		if (node_id_eq(&s->bufs[i].dst, dst))
			return (int)i;
	return -1;
}

static struct srum_qmsg *buf_at(struct srum *s, struct srum_buf *b, uint32_t k)
{
	return &b->q[(b->head + k) % s->buf_msgs];
}

static void buf_pop(struct srum *s, struct srum_buf *b)
{
	free(buf_at(s, b, 0)->data);
	b->head = (b->head + 1) % s->buf_msgs;
	b->count--;
}

static void buf_remove(struct srum *s, int i)
{
	struct srum_buf *b = &s->bufs[i];

	while (b->count)
		buf_pop(s, b);
	free(b->q);
	s->bufs[i] = s->bufs[--s->nbufs];
}

static void arm_sweep(struct module *m)
{
	struct srum *s = m->priv;

	if (!s->sweep_armed && s->nbufs &&
	    rt_timer_arm(m, SWEEP_TIMER, SRUM_SWEEP_MS * NS_PER_MS) == 0)
		s->sweep_armed = true;
}

static int buf_push(struct module *m, const struct srum_data_hdr *h, const void *data, size_t len)
{
	struct srum *s = m->priv;
	const struct node_id *dst = &h->dst;
	int i = buf_find(s, dst);
	struct srum_buf *b;
	struct srum_qmsg *q;

	if (i < 0) {
		if (s->nbufs == SRUM_BUF_DESTS)
			return -ENOBUFS;
		b = &s->bufs[s->nbufs];
		memset(b, 0, sizeof(*b));
		b->q = calloc(s->buf_msgs, sizeof(*b->q));
		if (!b->q)
			return -ENOMEM;
		b->dst = *dst;
		s->nbufs++;
	} else {
		b = &s->bufs[i];
	}
	if (b->count == s->buf_msgs) {
		buf_pop(s, b); /* the oldest goes first */
		rt_count(m, SRUM_C_BUF_DROPPED_FULL, 1);
	}
	q = buf_at(s, b, b->count);
	memset(q, 0, sizeof(*q));
	if (len && !(q->data = malloc(len)))
		return -ENOMEM;
	if (len)
		memcpy(q->data, data, len);
	q->len = (uint16_t)len;
	q->t = rt_now(m);
	q->h = *h;
	b->count++;
	rt_count(m, SRUM_C_BUFFERED, 1);
	arm_sweep(m);
	return 0;
}

void srum_discovery_done(struct module *m, const struct node_id *target, bool found)
{
	struct srum *s = m->priv;
	int i = buf_find(s, target);
	struct srum_buf *b;

	if (i < 0)
		return;
	b = &s->bufs[i];
	while (b->count) {
		struct srum_qmsg *q = buf_at(s, b, 0);
		struct srum_data_hdr h = q->h;

		if (found && send_cached(m, &h, q->data, q->len) < 0) {
			/*
			 * The path found broke already (its links went down since):
			 * keep the rest and discover again; the buffer timeout bounds this.
			 */
			int ret = b->rediscovered++ < SRUM_REDISCOVER_MAX
					  ? spdm_discover_from(m, target)
					  : -ELOOP;

			if (ret == 0 || ret == -EALREADY) {
				if (ret == 0)
					rt_count(m, SRUM_C_DISCOVERIES, 1);
				return;
			}
			found = false;
		}
		rt_count(m, found ? SRUM_C_BUF_FLUSHED : SRUM_C_BUF_NO_ROUTE, 1);
		buf_pop(s, b);
	}
	buf_remove(s, i);
}

static void buf_sweep(struct module *m)
{
	struct srum *s = m->priv;
	uint64_t now = rt_now(m);

	for (uint32_t i = 0; i < s->nbufs;) {
		struct srum_buf *b = &s->bufs[i];

		while (b->count && now - buf_at(s, b, 0)->t >= s->buf_timeout) {
			buf_pop(s, b);
			rt_count(m, SRUM_C_BUF_EXPIRED, 1);
		}
		if (!b->count)
			buf_remove(s, (int)i);
		else
			i++;
	}
}

static int srum_timer(struct module *m, uint32_t timer_id)
{
	struct srum *s = m->priv;

	if (timer_id != SWEEP_TIMER)
		return 0;
	s->sweep_armed = false;
	buf_sweep(m);
	arm_sweep(m);
	return 0;
}

/* ---- the API ---- */

int srum_send(struct module *m, const struct node_id *dst, const char *dmm, const void *data,
	      size_t len)
{
	struct srum_data_hdr h = {
		.ttl = SRUM_TTL, .src = m->node->id, .dst = *dst, .start = m->node->id
	};
	struct mod_msg local = { .type = ICC_T_DATA, .src = m->node->id, .from_module = SRUM_NAME };
	int ret;

	if (!dmm || !dmm[0] || !icc_module_name_ok(dmm))
		return -EINVAL;
	if (len > SRUM_MAX_DATA)
		return -EMSGSIZE;
	snprintf(h.dmm, sizeof(h.dmm), "%s", dmm);
	rt_count(m, SRUM_C_SENT, 1);
	if (node_id_eq(dst, &m->node->id)) {
		local.data = data;
		local.len = len;
		if (rt_deliver(m, dmm, &local) == -ENOENT) {
			rt_count(m, SRUM_C_DROP_UNKNOWN_MODULE, 1);
			return -ENOENT;
		}
		rt_count(m, SRUM_C_DELIVERED, 1);
		return 1;
	}
	cache_expire(m, rt_now(m));
	if (cache_best_idx(m->priv, dst) < 0 && nbr_up(m, dst))
		srum_learn(m, dst, NULL, 1); /* a neighbour is a one-hop path */
	if (send_cached(m, &h, data, len) == 0) {
		rt_count(m, SRUM_C_CACHE_HITS, 1);
		return 1;
	}
	rt_count(m, SRUM_C_CACHE_MISSES, 1);
	ret = buf_push(m, &h, data, len);
	if (ret < 0)
		return ret;
	if (spdm_discover_from(m, dst) == 0)
		rt_count(m, SRUM_C_DISCOVERIES, 1);
	return 0;
}

int srum_send_from(struct module *caller, const struct node_id *dst, const char *dmm,
		   const void *data, size_t len)
{
	struct module *m = node_module(caller->node, SRUM_NAME);

	return m ? srum_send(m, dst, dmm, data, len) : -ENOENT;
}

/*
 * Salvage around a broken link path[i] -> path[i + 1] (this node is path[i]):
 * a new route from this node, by a cached path to a node further along the
 * old path, then the rest of it. The farthest such node first. h is the
 * salvaged header (start = this node). 0 sent, -ENOENT none.
 */
static int salvage_bypass(struct module *m, struct srum_data_hdr *h,
			  const struct srum_data_hdr *orig, uint8_t i, const void *data, size_t len)
{
	struct srum *s = m->priv;

	for (int j = orig->npath - 2; j > (int)i + 1; j--) {
		int b = cache_best_idx(s, &orig->path[j]), n;
		const struct srum_path *p;

		if (b < 0)
			continue;
		p = &s->paths[b];
		n = p->n + (orig->npath - 1 - j);
		if (n > SR_HOPS_MAX)
			continue;
		memcpy(h->path, p->hop, sizeof(p->hop[0]) * p->n);
		memcpy(h->path + p->n, orig->path + j + 1,
		       sizeof(orig->path[0]) * (size_t)(orig->npath - 1 - j));
		h->npath = (uint8_t)n;
		h->pos = 0;
		if (!sr_loop_free(&h->start, h->path, h->npath))
			continue;
		if (srum_xmit(m, h, data, len) == 0)
			return 0;
	}
	return -ENOENT;
}

/*
 * The forward from path[i] (this node) failed. As DSR salvages: a new
 * source route from this node (start = this node, salvage count + 1, at
 * most salvage_max), by its own cached path to the destination, by a
 * bypass, or after a discovery (the message waits in the send buffer). The
 * new route is loop-free from this node; it may lead back through nodes the
 * message passed (the only way round may be behind it), and the TTL bounds
 * the hops over all salvages. True if the message was kept.
 */
static bool salvage(struct module *m, const struct srum_data_hdr *orig, uint8_t i, const void *data,
		    size_t len)
{
	struct srum *s = m->priv;
	struct srum_data_hdr h = *orig;

	if (orig->salvage >= s->salvage_max)
		return false;
	h.salvage++;
	h.start = m->node->id;
	if (send_cached(m, &h, data, len) == 0 || salvage_bypass(m, &h, orig, i, data, len) == 0) {
		rt_count(m, SRUM_C_SALVAGED, 1);
		return true;
	}
	/* no path here yet: keep it while this node discovers one */
	h.pos = 0;
	if (buf_push(m, &h, data, len) < 0)
		return false;
	if (spdm_discover_from(m, &h.dst) == 0)
		rt_count(m, SRUM_C_DISCOVERIES, 1);
	rt_count(m, SRUM_C_SALVAGED, 1);
	return true;
}

static void srum_data(struct module *m, const struct srum_data_hdr *hin, const uint8_t *data,
		      size_t len)
{
	struct srum_data_hdr h = *hin;
	uint8_t i = h.pos;

	if (!node_id_eq(&h.path[i], &m->node->id)) {
		rt_count(m, SRUM_C_DROP_NOT_ON_PATH, 1);
		return;
	}
	if (i == h.npath - 1) {
		struct mod_msg out = { .type = ICC_T_DATA,
				       .src = h.src,
				       .from_module = SRUM_NAME,
				       .data = data,
				       .len = len };
		struct node_id back[SR_HOPS_MAX];
		int nb = 0;

		/* the way back: path[i-1] ... path[0], start */
		for (int k = (int)i - 1; k >= 0; k--)
			back[nb++] = h.path[k];
		back[nb++] = h.start;
		srum_learn(m, back, NULL, nb);
		if (rt_deliver(m, h.dmm, &out) == -ENOENT)
			rt_count(m, SRUM_C_DROP_UNKNOWN_MODULE, 1);
		else
			rt_count(m, SRUM_C_DELIVERED, 1);
		return;
	}
	if (h.ttl <= 1) {
		rt_count(m, SRUM_C_DROP_TTL, 1);
		return;
	}
	h.ttl--;
	h.pos = (uint8_t)(i + 1);
	if (srum_xmit(m, &h, data, len) == 0) {
		rt_count(m, SRUM_C_FORWARDED, 1);
		return;
	}
	/* the link to path[i + 1] failed: tell the route's start, forget it, salvage */
	cache_invalidate(m, &m->node->id, &h.path[i + 1]);
	send_rerr(m, &h, &h.path[i + 1]);
	if (!salvage(m, &h, i, data, len))
		rt_count(m, SRUM_C_DROP_BROKEN, 1);
}

static void srum_rerr(struct module *m, const uint8_t *buf, size_t len)
{
	uint8_t body[SRUM_RERR_MAX];
	struct srum_rerr e;
	size_t bl;

	if (srum_rerr_decode(buf, len, &e, &bl) < 0) {
		rt_count(m, SRUM_C_DROP_MALFORMED, 1);
		return;
	}
	if (!node_id_eq(&e.back[e.pos], &m->node->id)) {
		rt_count(m, SRUM_C_DROP_NOT_ON_PATH, 1);
		return;
	}
	memcpy(body, buf, bl);
	body[SRUM_RERR_POS_OFF] = 0; /* signed with pos 0 */
	if (sr_auth_check(m, &e.origin, body, bl, &e.auth) < 0) {
		rt_count(m, SRUM_C_DROP_BAD_SIG, 1);
		return;
	}
	rt_count(m, SRUM_C_RERR_RECEIVED, 1);
	cache_invalidate(m, &e.origin, &e.broken);
	if (e.pos == e.nback - 1)
		return; /* at the source */
	e.pos++;
	rerr_xmit(m, &e, &e.back[e.pos]);
}

static int srum_recv(struct module *m, const struct mod_msg *msg)
{
	struct srum_data_hdr h;
	int t = srum_msg_type(msg->data, msg->len), hl;

	if (t == SRUM_T_RERR) {
		srum_rerr(m, msg->data, msg->len);
		return 0;
	}
	hl = t == SRUM_T_DATA ? srum_data_decode(msg->data, msg->len, &h) : -EBADMSG;
	if (hl < 0 || msg->len - (size_t)hl > SRUM_MAX_DATA) {
		rt_count(m, SRUM_C_DROP_MALFORMED, 1);
		return -EBADMSG;
	}
	srum_data(m, &h, (const uint8_t *)msg->data + hl, msg->len - (size_t)hl);
	return 0;
}

static int srum_link(struct module *m, const struct node_id *peer, bool up)
{
	if (!up)
		cache_invalidate(m, &m->node->id, peer);
	return 0;
}

static int srum_link_notice(struct module *m, const struct node_id *a, const struct node_id *b,
			    bool up)
{
	if (!up)
		srum_invalidate_link(m, a, b);
	return 0;
}

static int srum_stop(struct module *m)
{
	struct srum *s = m->priv;

	while (s->nbufs)
		buf_remove(s, (int)s->nbufs - 1);
	free(s->paths);
	free(s->heads);
	s->paths = NULL;
	s->heads = NULL;
	s->npaths = s->apaths = 0;
	return 0;
}

const struct module_ops srum_module = {
	.name = SRUM_NAME,
	.priv_size = sizeof(struct srum),
	.counters = srum_counters,
	.init = srum_init,
	.recv = srum_recv,
	.timer = srum_timer,
	.stop = srum_stop,
	.link = srum_link,
	.link_notice = srum_link_notice,
	.ctl_ops = srum_ctl_ops,
};
