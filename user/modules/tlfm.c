// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TLFM: token accounting, per-flood state, forwarding through CMM. */
#include <errno.h>
#include <stdlib.h>

#include "core/modparam.h"
#include "core/node.h"
#include "modules/routing_ctl.h"
#include "modules/tlfm.h"

#define NS_PER_MS 1000000ULL

struct tlfm_ent {
	struct msg_id id;
	uint64_t t;
	uint16_t depth;
	bool stopped;	 /* the dmm stopped the flood here: tokens end here */
	uint16_t nwords; /* known bitmap words, by position in the neighbour list */
	uint64_t *known; /* neighbours known to hold the message */
	uint8_t *data;	 /* the payload this node forwards */
	uint16_t len;
	struct node_id origin;
	char dmm[ICC_MOD_LEN + 1];
	uint8_t flags;
};

struct tlfm {
	struct tlfm_ent *ents; /* ring, oldest at head, grows up to cap */
	uint32_t cap, alloc, head, count;
	uint64_t ttl, rng, seq;
	/* relay hook state, set while a first arrival is delivered */
	bool in_relay, relay_stop, relay_rewritten;
	uint16_t relay_len;
	uint8_t relay_buf[TLFM_MAX_DATA];
};

static const char *const tlfm_counters[TLFM_C__MAX + 1] = {
	[TLFM_C_ORIGINATED] = "originated",
	[TLFM_C_SENT] = "sent",
	[TLFM_C_RECEIVED] = "received",
	[TLFM_C_DELIVERED] = "delivered",
	[TLFM_C_DUPLICATES] = "duplicates",
	[TLFM_C_PASSED_ON] = "passed_on",
	[TLFM_C_TOKENS_DROPPED] = "tokens_dropped",
	[TLFM_C_STATE_EVICTED] = "state_evicted",
	[TLFM_C_DROP_MALFORMED] = "dropped.malformed",
	[TLFM_C_DROP_UNKNOWN_MODULE] = "dropped.unknown_module",
	[TLFM_C_DROP_SEND_FAILED] = "dropped.send_failed",
	[TLFM_C_DROP_NO_MEMORY] = "dropped.no_memory",
	[TLFM_C__MAX] = NULL,
};

struct tlfm_params {
	uint32_t state_capacity;
	uint64_t state_ttl_ms;
};

static const struct mod_param tlfm_params[] = {
	MP_U32("state_capacity", struct tlfm_params, state_capacity, TLFM_DEFAULT_STATES, 1,
	       1u << 20),
	MP_U64("state_ttl_ms", struct tlfm_params, state_ttl_ms, TLFM_DEFAULT_TTL_MS, 1, 86400000),
	MP_END,
};

static uint64_t tlfm_rand(struct tlfm *t)
{
	uint64_t x = t->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static int tlfm_init(struct module *m, const json_t *params)
{
	struct tlfm *t = m->priv;
	struct tlfm_params p;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	if (module_params(m, tlfm_params, params, &p))
		return -EINVAL;
	t->cap = p.state_capacity;
	t->ttl = p.state_ttl_ms * NS_PER_MS;
	for (int i = 0; i < ID_LEN; i++)
		seed = (seed ^ m->node->id.b[i]) * 0x100000001b3ULL;
	t->rng = seed | 1;
	return 0;
}

static struct tlfm_ent *ent_at(struct tlfm *t, uint32_t k)
{
	return &t->ents[(t->head + k) % t->alloc];
}

static void ent_clear(struct tlfm_ent *e)
{
	free(e->known);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

static void tlfm_pop(struct tlfm *t)
{
	ent_clear(ent_at(t, 0));
	t->head = (t->head + 1) % t->alloc;
	t->count--;
}

static int tlfm_stop(struct module *m)
{
	struct tlfm *t = m->priv;

	while (t->count)
		tlfm_pop(t);
	free(t->ents);
	t->ents = NULL;
	t->alloc = 0;
	return 0;
}

static void tlfm_expire(struct tlfm *t, uint64_t now)
{
	while (t->count && now - ent_at(t, 0)->t > t->ttl)
		tlfm_pop(t);
}

static struct tlfm_ent *tlfm_find(struct tlfm *t, const struct msg_id *id)
{
	for (uint32_t k = t->count; k-- > 0;) {
		struct tlfm_ent *e = ent_at(t, k);

		if (msg_id_eq(&e->id, id))
			return e;
	}
	return NULL;
}

static struct tlfm_ent *tlfm_add(struct module *m, const struct msg_id *id, uint64_t now)
{
	struct tlfm *t = m->priv;
	struct tlfm_ent *e;

	if (t->count == t->cap) {
		tlfm_pop(t);
		rt_count(m, TLFM_C_STATE_EVICTED, 1);
	}
	if (t->count == t->alloc) {
		uint32_t na = t->alloc ? 2 * t->alloc : 8;
		struct tlfm_ent *ne;

		if (na > t->cap)
			na = t->cap;
		ne = calloc(na, sizeof(*ne));
		if (!ne)
			return NULL;
		for (uint32_t k = 0; k < t->count; k++)
			ne[k] = *ent_at(t, k);
		free(t->ents);
		t->ents = ne;
		t->alloc = na;
		t->head = 0;
	}
	e = ent_at(t, t->count++);
	memset(e, 0, sizeof(*e));
	e->id = *id;
	e->t = now;
	return e;
}

int tlfm_lookup(struct module *m, const struct msg_id *id, unsigned int *depth)
{
	struct tlfm *t = m->priv;
	struct tlfm_ent *e;

	tlfm_expire(t, rt_now(m));
	e = tlfm_find(t, id);
	if (e && depth)
		*depth = e->depth;
	return e != NULL;
}

/* The node's neighbour list (malloc'd), or NULL with *n = 0. */
static struct nbr_info *tlfm_nbrs(struct module *m, int *n)
{
	int deg = rt_neighbours(m, NULL, 0);
	struct nbr_info *v;

	*n = 0;
	if (deg <= 0)
		return NULL;
	if (deg > TLFM_NBR_MAX)
		deg = TLFM_NBR_MAX;
	v = malloc(sizeof(*v) * (size_t)deg);
	if (!v)
		return NULL;
	deg = rt_neighbours(m, v, deg);
	*n = deg > TLFM_NBR_MAX ? TLFM_NBR_MAX : deg;
	return v;
}

static int nbr_pos(const struct nbr_info *v, int n, const struct node_id *id)
{
	for (int i = 0; i < n; i++)
		if (node_id_eq(&v[i].id, id))
			return i;
	return -1;
}

static bool known_get(const struct tlfm_ent *e, int i)
{
	return i >= 0 && i / 64 < e->nwords && (e->known[i / 64] >> (i % 64) & 1);
}

static void known_set(struct tlfm_ent *e, int i)
{
	if (i >= 0 && i / 64 < e->nwords)
		e->known[i / 64] |= 1ULL << (i % 64);
}

static void mark_known(struct tlfm_ent *e, const struct nbr_info *v, int n,
		       const struct node_id *from, const struct tlfm_hdr *h)
{
	if (from)
		known_set(e, nbr_pos(v, n, from));
	for (int k = 0; h && k < h->nknown; k++)
		known_set(e, nbr_pos(v, n, &h->known[k]));
}

/* One transmission of the entry's payload to nbr with `tokens`. 0 or -errno. */
static int tlfm_xmit(struct module *m, const struct tlfm_ent *e, const struct node_id *to,
		     uint32_t tokens, const struct node_id *known, int nknown)
{
	struct tlfm *t = m->priv;
	uint8_t buf[CMM_MAX_DATA];
	struct tlfm_hdr h = { .flags = e->flags,
			      .depth = (uint16_t)(e->depth + 1),
			      .tokens = tokens,
			      .flood = e->id,
			      .origin = e->origin };
	struct msg_id hop;
	int hl, ret;

	memcpy(h.dmm, e->dmm, sizeof(h.dmm));
	for (int k = 0; k < nknown && h.nknown < TLFM_KNOWN_MAX; k++)
		if (!node_id_eq(&known[k], to))
			h.known[h.nknown++] = known[k];
	hl = tlfm_hdr_encode(&h, buf, sizeof(buf));
	if (hl < 0 || (size_t)hl + e->len > sizeof(buf))
		return -EINVAL;
	if (e->len)
		memcpy(buf + hl, e->data, e->len);
	tlfm_hop_id(&e->id, &m->node->id, t->seq++, &hop);
	ret = cmm_send_from(m, &hop, buf, (size_t)hl + e->len, to, 1, TLFM_NAME);
	if (ret != 1) {
		rt_count(m, TLFM_C_DROP_SEND_FAILED, 1);
		return ret < 0 ? ret : -EHOSTUNREACH;
	}
	rt_count(m, TLFM_C_SENT, 1);
	return 0;
}

static void tlfm_forward_plain(struct module *m, struct tlfm_ent *e, const struct nbr_info *v,
			       int n, const struct node_id *from)
{
	for (int i = 0; i < n; i++)
		if (v[i].up && !(from && node_id_eq(&v[i].id, from)) &&
		    !node_id_eq(&v[i].id, &m->node->id))
			tlfm_xmit(m, e, &v[i].id, 0, NULL, 0);
}

/*
 * The list a transmission carries: the other recipients of this step (in
 * list[0..np)), then other neighbours known to hold the message, so the
 * receiver spends nothing on them. TLFM_KNOWN_MAX + 1 slots: the receiver
 * itself is skipped when encoding.
 */
static int known_list(const struct tlfm_ent *e, const struct nbr_info *v, int n,
		      struct node_id *list, int np)
{
	for (int i = 0; i < n && np <= TLFM_KNOWN_MAX; i++) {
		bool dup = false;

		if (!known_get(e, i))
			continue;
		for (int j = 0; j < np && !dup; j++)
			dup = node_id_eq(&list[j], &v[i].id);
		if (!dup)
			list[np++] = v[i].id;
	}
	return np;
}

/* Spend up to `held` tokens: at most one per transmission, never more. */
static void tlfm_forward(struct module *m, struct tlfm_ent *e, const struct nbr_info *v, int n,
			 const struct node_id *from, uint32_t held)
{
	struct tlfm *t = m->priv;
	int *cand, nc = 0, k, np;
	struct node_id picked[TLFM_KNOWN_MAX + 1];

	if (!held)
		return;
	if (e->stopped || n == 0) {
		rt_count(m, TLFM_C_TOKENS_DROPPED, held);
		return;
	}
	cand = malloc(sizeof(int) * (size_t)n);
	if (!cand) {
		rt_count(m, TLFM_C_DROP_NO_MEMORY, 1);
		rt_count(m, TLFM_C_TOKENS_DROPPED, held);
		return;
	}
	for (int i = 0; i < n; i++)
		if (v[i].up && !known_get(e, i) && !node_id_eq(&v[i].id, &m->node->id))
			cand[nc++] = i;
	if (nc == 0) {
		/* nobody new: pass every token to one neighbour, not back if avoidable */
		for (int i = 0; i < n; i++)
			if (v[i].up && !node_id_eq(&v[i].id, &m->node->id) &&
			    !(from && node_id_eq(&v[i].id, from) && n > 1))
				cand[nc++] = i;
		if (nc == 0 && from) /* only the sender is up */
			for (int i = 0; i < n; i++)
				if (v[i].up && !node_id_eq(&v[i].id, &m->node->id))
					cand[nc++] = i;
		if (nc == 0) {
			rt_count(m, TLFM_C_TOKENS_DROPPED, held);
			free(cand);
			return;
		}
		k = cand[tlfm_rand(t) % (uint64_t)nc];
		rt_count(m, TLFM_C_PASSED_ON, 1);
		np = known_list(e, v, n, picked, 0);
		if (tlfm_xmit(m, e, &v[k].id, held, picked, np) < 0)
			rt_count(m, TLFM_C_TOKENS_DROPPED, held);
		free(cand);
		return;
	}
	k = nc < (int64_t)held ? nc : (int)held;
	/* a random k of the candidates (partial Fisher-Yates) */
	for (int i = 0; i < k; i++) {
		int j = i + (int)(tlfm_rand(t) % (uint64_t)(nc - i)), tmp = cand[i];

		cand[i] = cand[j];
		cand[j] = tmp;
	}
	np = 0;
	for (int i = 0; i < k; i++) {
		known_set(e, cand[i]);
		if (np <= TLFM_KNOWN_MAX)
			picked[np++] = v[cand[i]].id;
	}
	np = known_list(e, v, n, picked, np);
	for (int i = 0; i < k; i++) {
		uint32_t share = held / (uint32_t)k + ((uint32_t)i < held % (uint32_t)k);

		if (tlfm_xmit(m, e, &v[cand[i]].id, share, picked, np) < 0)
			rt_count(m, TLFM_C_TOKENS_DROPPED, share);
	}
	free(cand);
}

/* Deliver a first arrival (relay hook armed); fills the entry's forwarded payload. */
static int tlfm_deliver_first(struct module *m, struct tlfm_ent *e, const struct tlfm_hdr *h,
			      const void *data, size_t len)
{
	struct tlfm *t = m->priv;
	struct mod_msg out = { .type = ICC_T_DATA, .id = h->flood, .src = h->origin };
	const void *fwd = data;
	size_t flen = len;
	int ret;

	out.from_module = TLFM_NAME;
	out.data = data;
	out.len = len;
	t->in_relay = true;
	t->relay_stop = false;
	t->relay_rewritten = false;
	ret = rt_deliver(m, h->dmm, &out);
	t->in_relay = false;
	if (ret == -ENOENT)
		rt_count(m, TLFM_C_DROP_UNKNOWN_MODULE, 1);
	else
		rt_count(m, TLFM_C_DELIVERED, 1);
	e->stopped = t->relay_stop;
	if (t->relay_rewritten) {
		fwd = t->relay_buf;
		flen = t->relay_len;
	}
	if (flen) {
		e->data = malloc(flen);
		if (!e->data)
			return -ENOMEM;
		memcpy(e->data, fwd, flen);
	}
	e->len = (uint16_t)flen;
	return 0;
}

static int tlfm_handle(struct module *m, const struct tlfm_hdr *h, const void *data, size_t len,
		       const struct node_id *from, uint32_t held)
{
	struct tlfm *t = m->priv;
	uint64_t now = rt_now(m);
	struct tlfm_ent *e;
	struct nbr_info *v;
	int n;

	tlfm_expire(t, now);
	v = tlfm_nbrs(m, &n);
	e = tlfm_find(t, &h->flood);
	if (e) {
		rt_count(m, TLFM_C_DUPLICATES, 1);
		mark_known(e, v, n, from, h);
		if (e->flags & TLFM_F_DUPS) {
			struct mod_msg out = { .type = ICC_T_DATA,
					       .flags = TLFM_DELIVER_DUP,
					       .id = h->flood,
					       .src = h->origin,
					       .from_module = TLFM_NAME,
					       .data = data,
					       .len = len };

			rt_deliver(m, h->dmm, &out);
		}
		if (!(e->flags & TLFM_F_PLAIN))
			tlfm_forward(m, e, v, n, from, held);
		free(v);
		return 0;
	}
	e = tlfm_add(m, &h->flood, now);
	if (!e) {
		rt_count(m, TLFM_C_DROP_NO_MEMORY, 1);
		free(v);
		return -ENOMEM;
	}
	e->depth = h->depth;
	e->origin = h->origin;
	e->flags = h->flags;
	memcpy(e->dmm, h->dmm, sizeof(e->dmm));
	e->nwords = (uint16_t)((n + 63) / 64);
	if (n && !(e->known = calloc(e->nwords, sizeof(uint64_t))))
		e->nwords = 0;
	mark_known(e, v, n, from, h);
	if (from) {
		if (tlfm_deliver_first(m, e, h, data, len) < 0) {
			rt_count(m, TLFM_C_DROP_NO_MEMORY, 1);
			free(v);
			return -ENOMEM;
		}
	} else if (len) {
		e->data = malloc(len);
		if (!e->data) {
			free(v);
			return -ENOMEM;
		}
		memcpy(e->data, data, len);
		e->len = (uint16_t)len;
	}
	if (e->flags & TLFM_F_PLAIN)
		tlfm_forward_plain(m, e, v, n, from);
	else
		tlfm_forward(m, e, v, n, from, held);
	free(v);
	return 0;
}

static int tlfm_recv(struct module *m, const struct mod_msg *msg)
{
	struct tlfm_hdr h;
	int hl;

	rt_count(m, TLFM_C_RECEIVED, 1);
	hl = tlfm_hdr_decode(msg->data, msg->len, &h);
	if (hl < 0 || msg->len - (size_t)hl > TLFM_MAX_DATA) {
		rt_count(m, TLFM_C_DROP_MALFORMED, 1);
		return -EBADMSG;
	}
	return tlfm_handle(m, &h, (const uint8_t *)msg->data + hl, msg->len - (size_t)hl, &msg->src,
			   h.flags & TLFM_F_PLAIN ? 0 : h.tokens - 1);
}

int tlfm_send(struct module *m, const struct msg_id *id, const void *data, size_t len,
	      uint32_t tokens, uint8_t flags, const char *dmm)
{
	struct tlfm_hdr h = { .flags = flags, .flood = *id, .origin = m->node->id };
	uint64_t before = m->ctr[TLFM_C_SENT];
	int ret;

	if (len > TLFM_MAX_DATA || !dmm || !dmm[0] || !icc_module_name_ok(dmm) ||
	    (flags & ~TLFM_F_MASK) || (!(flags & TLFM_F_PLAIN) && tokens == 0))
		return -EINVAL;
	snprintf(h.dmm, sizeof(h.dmm), "%s", dmm);
	if (tlfm_find(m->priv, id))
		return -EALREADY;
	rt_count(m, TLFM_C_ORIGINATED, 1);
	ret = tlfm_handle(m, &h, data, len, NULL, flags & TLFM_F_PLAIN ? 0 : tokens - 1);
	return ret < 0 ? ret : (int)(m->ctr[TLFM_C_SENT] - before);
}

int tlfm_send_from(struct module *caller, const struct msg_id *id, const void *data, size_t len,
		   uint32_t tokens, uint8_t flags, const char *dmm)
{
	struct module *t = node_module(caller->node, TLFM_NAME);

	return t ? tlfm_send(t, id, data, len, tokens, flags, dmm) : -ENOENT;
}

int tlfm_relay_rewrite(struct module *caller, const void *data, size_t len)
{
	struct module *m = node_module(caller->node, TLFM_NAME);
	struct tlfm *t = m ? m->priv : NULL;

	if (!t || !t->in_relay)
		return -EINVAL;
	if (len > TLFM_MAX_DATA)
		return -EMSGSIZE;
	memcpy(t->relay_buf, data, len);
	t->relay_len = (uint16_t)len;
	t->relay_rewritten = true;
	return 0;
}

void tlfm_relay_stop(struct module *caller)
{
	struct module *m = node_module(caller->node, TLFM_NAME);
	struct tlfm *t = m ? m->priv : NULL;

	if (t && t->in_relay)
		t->relay_stop = true;
}

const struct module_ops tlfm_module = {
	.name = TLFM_NAME,
	.priv_size = sizeof(struct tlfm),
	.counters = tlfm_counters,
	.init = tlfm_init,
	.recv = tlfm_recv,
	.stop = tlfm_stop,
	.ctl_ops = tlfm_ctl_ops,
};
