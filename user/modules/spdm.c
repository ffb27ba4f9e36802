// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SPDM: request table, discovery retries, relaying requests, replies along the reverse path. */
#include <errno.h>
#include <stdlib.h>

#include "core/modparam.h"
#include "core/node.h"
#include "modules/routing_ctl.h"
#include "modules/spdm.h"
#include "modules/srum.h"
#include "modules/tlfm.h"

#define NS_PER_MS 1000000ULL

/* The request table: the last SPDM_REQ_IDS request IDs of each initiator. */
struct spdm_init {
	struct node_id init;
	uint8_t n, head;
	uint32_t ids[SPDM_REQ_IDS];
};

/* Scanned first (small, contiguous): a hash of the initiator and the LRU stamp. */
struct spdm_tag {
	uint64_t used;
	uint32_t tag;
};

/* Requests this node answered as the target: distinct routes per (initiator, ID). */
#define SPDM_ANSWERED 16
struct spdm_answered {
	struct node_id init;
	uint32_t id;
	uint8_t replies;
	uint32_t rec_hash[SPDM_TARGET_REPLIES];
};

struct spdm_disc {
	struct node_id target;
	uint64_t started;
	uint8_t tries; /* 0 = free slot */
};

struct spdm {
	struct spdm_init *table; /* grows to SPDM_REQ_INITIATORS */
	struct spdm_tag *tags;	 /* one per table entry */
	uint32_t ntable, atable;
	struct spdm_disc *disc; /* SPDM_PENDING_MAX, allocated on first discovery */
	struct spdm_answered answered[SPDM_ANSWERED];
	uint32_t answered_next;
	uint64_t tick, last_latency;
	uint32_t req_seq;
	uint32_t init_tokens, max_tokens, growth;
};

static const char *const spdm_counters[SPDM_C__MAX + 1] = {
	[SPDM_C_DISCOVERIES] = "discoveries",
	[SPDM_C_NONPROP_SENT] = "nonprop_sent",
	[SPDM_C_FLOODS] = "floods",
	[SPDM_C_FLOOD_SENT] = "flood_sent",
	[SPDM_C_REQ_RECEIVED] = "requests_received",
	[SPDM_C_REQ_DUPLICATE] = "requests_duplicate",
	[SPDM_C_REPLIES_SENT] = "replies_sent",
	[SPDM_C_REPLIES_CACHED] = "replies_cached",
	[SPDM_C_REPLIES_FORWARDED] = "replies_forwarded",
	[SPDM_C_REPLIES_RECEIVED] = "replies_received",
	[SPDM_C_DISCOVERED] = "discovered",
	[SPDM_C_FAILED] = "failed",
	[SPDM_C_TABLE_EVICTED] = "table_evicted",
	[SPDM_C_DROP_MALFORMED] = "dropped.malformed",
	[SPDM_C_DROP_BAD_SIG] = "dropped.bad_signature",
	[SPDM_C_DROP_LOOP] = "dropped.loop",
	[SPDM_C_DROP_RECORD_FULL] = "dropped.record_full",
	[SPDM_C_DROP_SEND_FAILED] = "dropped.send_failed",
	[SPDM_C_DROP_BUSY] = "dropped.busy",
	[SPDM_C__MAX] = NULL,
};

struct spdm_params {
	uint32_t initial_tokens, max_tokens, token_growth;
};

static const struct mod_param spdm_params[] = {
	MP_U32("initial_tokens", struct spdm_params, initial_tokens, SPDM_DEFAULT_INIT_TOKENS, 1,
	       UINT32_MAX),
	MP_U32("max_tokens", struct spdm_params, max_tokens, SPDM_DEFAULT_MAX_TOKENS, 1,
	       UINT32_MAX),
	MP_U32("token_growth", struct spdm_params, token_growth, SPDM_DEFAULT_GROWTH, 2, 16),
	MP_END,
};

static int spdm_init(struct module *m, const json_t *params)
{
	struct spdm *s = m->priv;
	struct spdm_params p;

	if (module_params(m, spdm_params, params, &p))
		return -EINVAL;
	if (p.initial_tokens > p.max_tokens) {
		rt_log(m, LOG_L_ERR, "spdm: initial_tokens %u above max_tokens %u",
		       p.initial_tokens, p.max_tokens);
		return -EINVAL;
	}
	s->init_tokens = p.initial_tokens;
	s->max_tokens = p.max_tokens;
	s->growth = p.token_growth;
	s->req_seq = (uint32_t)id_hash(m->node->id.b);
	return 0;
}

/* ---- request table ---- */

static uint32_t rec_hash(const struct spdm_msg *q)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < q->nrec; i++)
		h = (h ^ id_hash(q->rec[i].b)) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/* Record (initiator, id); true if it was not in the table. -ENOMEM counts as not fresh. */
static bool req_fresh(struct module *m, const struct node_id *init, uint32_t id)
{
	struct spdm *s = m->priv;
	uint32_t tag = (uint32_t)id_hash(init->b), k = UINT32_MAX;
	struct spdm_init *e;

	for (uint32_t i = 0; i < s->ntable && k == UINT32_MAX; i++)
		if (s->tags[i].tag == tag && node_id_eq(&s->table[i].init, init))
			k = i;
	if (k == UINT32_MAX && s->ntable < SPDM_REQ_INITIATORS) {
		if (s->ntable == s->atable) {
			uint32_t na = s->atable ? 2 * s->atable : 4;
			struct spdm_init *nt = realloc(s->table, sizeof(*nt) * na);
			struct spdm_tag *ng;

			if (!nt)
				return false;
			s->table = nt;
			ng = realloc(s->tags, sizeof(*ng) * na);
			if (!ng)
				return false;
			s->tags = ng;
			s->atable = na;
		}
		k = s->ntable++;
		memset(&s->table[k], 0, sizeof(s->table[k]));
		s->table[k].init = *init;
	} else if (k == UINT32_MAX) {
		k = 0;
		for (uint32_t i = 1; i < s->ntable; i++)
			if (s->tags[i].used < s->tags[k].used)
				k = i;
		rt_count(m, SPDM_C_TABLE_EVICTED, 1);
		memset(&s->table[k], 0, sizeof(s->table[k]));
		s->table[k].init = *init;
	}
	e = &s->table[k];
	s->tags[k].tag = tag;
	s->tags[k].used = ++s->tick;
	for (int k = 0; k < e->n; k++)
		if (e->ids[k] == id)
			return false;
	/* the last SPDM_REQ_IDS IDs: a ring, the oldest overwritten */
	if (e->n < SPDM_REQ_IDS) {
		e->ids[e->n++] = id;
	} else {
		e->ids[e->head] = id;
		e->head = (uint8_t)((e->head + 1) % SPDM_REQ_IDS);
	}
	return true;
}

/* The target's reply record for (initiator, id), the oldest replaced. */
static struct spdm_answered *answered_slot(struct spdm *s, const struct node_id *init, uint32_t id)
{
	struct spdm_answered *a;

	for (int i = 0; i < SPDM_ANSWERED; i++)
		if (s->answered[i].id == id && node_id_eq(&s->answered[i].init, init))
			return &s->answered[i];
	a = &s->answered[s->answered_next++ % SPDM_ANSWERED];
	memset(a, 0, sizeof(*a));
	a->init = *init;
	a->id = id;
	return a;
}

/* ---- discovery at the initiator ---- */

static int disc_find(struct spdm *s, const struct node_id *target)
{
	if (!s->disc)
		return -1;
	for (int i = 0; i < SPDM_PENDING_MAX; i++)
		if (s->disc[i].tries && node_id_eq(&s->disc[i].target, target))
			return i;
	return -1;
}

bool spdm_pending(struct module *m, const struct node_id *target)
{
	return disc_find(m->priv, target) >= 0;
}

uint64_t spdm_last_latency(struct module *m)
{
	return ((struct spdm *)m->priv)->last_latency;
}

static void flood_id(const struct node_id *init, uint32_t req, struct msg_id *out)
{
	uint64_t a = id_hash(init->b) ^ (0x73706d64ULL << 32 | req);

	for (int i = 0; i < 8; i++) {
		a = a * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
		out->b[2 * i] = (uint8_t)(a >> 56);
		out->b[2 * i + 1] = (uint8_t)(a >> 48);
	}
	memcpy(out->b, &req, sizeof(req));
}

static void spdm_try(struct module *m, int slot)
{
	struct spdm *s = m->priv;
	struct spdm_disc *d = &s->disc[slot];
	struct spdm_msg q = { .type = SPDM_T_RREQ, .initiator = m->node->id, .target = d->target };
	uint8_t buf[SPDM_MSG_MAX];
	int len, tries = d->tries;
	uint64_t wait_ms;

	q.req_id = ++s->req_seq;
	if (tries == 1) {
		/* non-propagating: the neighbours only */
		struct mod_msg msg = { .type = ICC_T_DATA, .ttl = 1, .src = m->node->id };
		struct nbr_info nb[64];
		int n = rt_neighbours(m, nb, 64);

		q.flags = SPDM_F_NONPROP;
		len = spdm_msg_encode(&q, buf, sizeof(buf), NULL);
		msg.data = buf;
		msg.len = (size_t)len;
		flood_id(&m->node->id, q.req_id, &msg.id);
		for (int i = 0; i < n && i < 64; i++)
			if (nb[i].up && rt_send(m, &nb[i].id, SPDM_NAME, &msg) == 0)
				rt_count(m, SPDM_C_NONPROP_SENT, 1);
		wait_ms = SPDM_NONPROP_MS;
	} else {
		uint64_t tokens = s->init_tokens;
		struct msg_id fid;
		int sent;

		for (int k = 2; k < tries && tokens < s->max_tokens; k++)
			tokens *= s->growth;
		if (tokens > s->max_tokens)
			tokens = s->max_tokens;
		len = spdm_msg_encode(&q, buf, sizeof(buf), NULL);
		flood_id(&m->node->id, q.req_id, &fid);
		sent = tlfm_send_from(m, &fid, buf, (size_t)len, (uint32_t)tokens, TLFM_F_DUPS,
				      SPDM_NAME);
		rt_count(m, SPDM_C_FLOODS, 1);
		if (sent > 0)
			rt_count(m, SPDM_C_FLOOD_SENT, (uint64_t)sent);
		wait_ms = (uint64_t)SPDM_BACKOFF_MS << (tries - 2 < 8 ? tries - 2 : 8);
		if (wait_ms > SPDM_BACKOFF_MAX_MS)
			wait_ms = SPDM_BACKOFF_MAX_MS;
	}
	rt_timer_arm(m, (uint32_t)slot, wait_ms * NS_PER_MS);
}

int spdm_discover(struct module *m, const struct node_id *target)
{
	struct spdm *s = m->priv;
	int slot = -1;

	if (node_id_eq(target, &m->node->id))
		return -EINVAL;
	if (disc_find(s, target) >= 0)
		return -EALREADY;
	if (!s->disc && !(s->disc = calloc(SPDM_PENDING_MAX, sizeof(*s->disc))))
		return -ENOMEM;
	for (int i = 0; i < SPDM_PENDING_MAX && slot < 0; i++)
		if (!s->disc[i].tries)
			slot = i;
	if (slot < 0) {
		rt_count(m, SPDM_C_DROP_BUSY, 1);
		return -EBUSY;
	}
	s->disc[slot] = (struct spdm_disc){ .target = *target, .started = rt_now(m), .tries = 1 };
	rt_count(m, SPDM_C_DISCOVERIES, 1);
	spdm_try(m, slot);
	return 0;
}

int spdm_discover_from(struct module *caller, const struct node_id *target)
{
	struct module *m = node_module(caller->node, SPDM_NAME);

	return m ? spdm_discover(m, target) : -ENOENT;
}

static void spdm_finish(struct module *m, int slot, bool found)
{
	struct spdm *s = m->priv;
	struct node_id target = s->disc[slot].target;
	struct module *srum = node_module(m->node, SRUM_NAME);

	if (found)
		s->last_latency = rt_now(m) - s->disc[slot].started;
	rt_timer_cancel(m, (uint32_t)slot);
	s->disc[slot].tries = 0;
	rt_count(m, found ? SPDM_C_DISCOVERED : SPDM_C_FAILED, 1);
	if (srum)
		srum_discovery_done(srum, &target, found);
}

static int spdm_timer(struct module *m, uint32_t timer_id)
{
	struct spdm *s = m->priv;
	struct spdm_disc *d;

	if (timer_id >= SPDM_PENDING_MAX)
		return 0;
	d = &s->disc[timer_id];
	if (!d->tries)
		return 0;
	if (d->tries >= SPDM_MAX_TRIES) {
		spdm_finish(m, (int)timer_id, false);
		return 0;
	}
	d->tries++;
	spdm_try(m, (int)timer_id);
	return 0;
}

/* ---- requests and replies ---- */

uint8_t sr_nbr_label(struct module *m, const struct node_id *id)
{
	struct nbr_info nb[256];
	int n = rt_neighbours(m, nb, 0);

	/* zeroed: a runtime without labels may leave the field alone */
	memset(nb, 0, sizeof(nb[0]) * (size_t)(n < 0 ? 0 : n > 256 ? 256 : n));
	n = rt_neighbours(m, nb, n < 256 ? n : 256);
	for (int i = 0; i < n && i < 256; i++)
		if (node_id_eq(&nb[i].id, id))
			return nb[i].label;
	return DP_LABEL_NONE;
}

/*
 * Hand SRUM every sub-path of full[0..nfull) (= [initiator, rec...]) seen
 * from position pos. lab[k] (k >= pos) is full[k]'s link label towards
 * full[k + 1] (a reply's labels shifted by one); paths towards the
 * initiator have none but this node's own.
 */
static void learn_subpaths(struct module *m, const struct node_id *full, const uint8_t *lab,
			   int nfull, int pos)
{
	struct module *srum = node_module(m->node, SRUM_NAME);
	struct node_id hop[SR_HOPS_MAX];
	uint8_t labels[SR_HOPS_MAX] = { 0 };

	if (!srum)
		return;
	for (int j = pos + 1, n = 0; j < nfull && n < SR_HOPS_MAX; j++) {
		if (n)
			labels[n - 1] = lab[j - 1];
		hop[n++] = full[j];
		srum_learn(srum, hop, labels, n);
	}
	memset(labels, 0, sizeof(labels));
	for (int j = pos - 1, n = 0; j >= 0 && n < SR_HOPS_MAX; j--) {
		hop[n++] = full[j];
		srum_learn(srum, hop, labels, n);
	}
}

/* full = [initiator, rec...] and lab = [0, labels...] (lab[k]: full[k]'s label) from p. */
static void full_path(const struct spdm_msg *p, struct node_id *full, uint8_t *lab)
{
	full[0] = p->initiator;
	memcpy(full + 1, p->rec, sizeof(p->rec[0]) * p->nrec);
	lab[0] = DP_LABEL_NONE;
	memcpy(lab + 1, p->labels, p->nrec);
}

static int send_reply(struct module *m, struct spdm_msg *p, const struct node_id *to)
{
	uint8_t buf[SPDM_MSG_MAX];
	struct mod_msg msg = { .type = ICC_T_DATA, .ttl = 1, .src = m->node->id };
	int len = spdm_msg_encode(p, buf, sizeof(buf), NULL);

	if (len < 0)
		return len;
	msg.data = buf;
	msg.len = (size_t)len;
	flood_id(&p->target, p->req_id ^ ((uint32_t)p->pos << 24), &msg.id);
	if (rt_send(m, to, SPDM_NAME, &msg) < 0) {
		rt_count(m, SPDM_C_DROP_SEND_FAILED, 1);
		return -EHOSTUNREACH;
	}
	return 0;
}

/* Sign and send a reply; p->rec (and p->labels) hold the whole path, this node at rec[me]. */
static int reply_from(struct module *m, struct spdm_msg *p, int me)
{
	struct node_id full[SR_HOPS_MAX + 1];
	uint8_t body[SPDM_MSG_MAX], lab[SR_HOPS_MAX + 1];
	size_t bl;

	p->type = SPDM_T_RREP;
	p->flags = 0;
	p->replier = (uint8_t)me;
	p->pos = 0;
	memset(&p->auth, 0, sizeof(p->auth));
	if (spdm_msg_encode(p, body, sizeof(body), &bl) < 0)
		return -EINVAL;
	sr_auth_sign(m, body, bl, &p->auth);
	p->pos = (uint8_t)me; /* index in [initiator, rec...] of the next node back */
	full_path(p, full, lab);
	learn_subpaths(m, full, lab, p->nrec + 1, me + 1);
	return send_reply(m, p, &full[p->pos]);
}

/* A relaying node with a cached path to the target answers for it. 0 if it did. */
static int answer_from_cache(struct module *m, const struct spdm_msg *q)
{
	struct module *srum = node_module(m->node, SRUM_NAME);
	struct spdm_msg p = *q;
	struct dp_entry e;
	int k = srum ? srum_best_entry(srum, &q->target, &e) : 0;

	if (k <= 0 || q->nrec + 1 + k > SR_HOPS_MAX)
		return -ENOENT;
	memset(p.labels, 0, sizeof(p.labels));
	p.labels[p.nrec] = e.first_label; /* this node's, then its cached path's */
	memcpy(p.labels + p.nrec + 1, e.labels, (size_t)k - 1);
	p.rec[p.nrec++] = m->node->id;
	memcpy(p.rec + p.nrec, e.path, sizeof(e.path[0]) * (size_t)k);
	p.nrec = (uint8_t)(p.nrec + k);
	if (!sr_loop_free(&p.initiator, p.rec, p.nrec))
		return -ELOOP;
	if (reply_from(m, &p, q->nrec) < 0)
		return -EHOSTUNREACH;
	rt_count(m, SPDM_C_REPLIES_CACHED, 1);
	return 0;
}

static void spdm_answer(struct module *m, const struct spdm_msg *q)
{
	struct spdm_answered *r = answered_slot(m->priv, &q->initiator, q->req_id);
	struct spdm_msg p = *q;
	uint32_t h = rec_hash(q);

	if (r->replies >= SPDM_TARGET_REPLIES)
		return;
	for (int k = 0; k < r->replies; k++)
		if (r->rec_hash[k] == h)
			return; /* the same route again: not distinct */
	if (q->nrec >= SR_HOPS_MAX) {
		rt_count(m, SPDM_C_DROP_RECORD_FULL, 1);
		return;
	}
	r->rec_hash[r->replies++] = h;
	memset(p.labels, 0, sizeof(p.labels)); /* the target has none; the way back fills them */
	p.rec[p.nrec++] = m->node->id;
	reply_from(m, &p, p.nrec - 1);
	rt_count(m, SPDM_C_REPLIES_SENT, 1);
}

static void spdm_request(struct module *m, const struct mod_msg *msg, struct spdm_msg *q)
{
	bool dup_delivery = msg->from_module && !strcmp(msg->from_module, TLFM_NAME) &&
			    (msg->flags & TLFM_DELIVER_DUP);
	bool target = node_id_eq(&q->target, &m->node->id);
	bool fresh;

	rt_count(m, SPDM_C_REQ_RECEIVED, 1);
	if (node_id_eq(&q->initiator, &m->node->id))
		return;
	if (!sr_loop_free(&m->node->id, q->rec, q->nrec)) {
		rt_count(m, SPDM_C_DROP_LOOP, 1);
		if (!dup_delivery)
			tlfm_relay_stop(m);
		return;
	}
	fresh = target || req_fresh(m, &q->initiator, q->req_id);
	if (!fresh)
		rt_count(m, SPDM_C_REQ_DUPLICATE, 1);
	if (target) {
		if (!dup_delivery)
			tlfm_relay_stop(m);
		spdm_answer(m, q);
		return;
	}
	if (dup_delivery)
		return;
	if (fresh && answer_from_cache(m, q) == 0) {
		tlfm_relay_stop(m);
		return;
	}
	if (q->flags & SPDM_F_NONPROP)
		return;
	if (!fresh || q->nrec + 1 >= SR_HOPS_MAX) {
		/* relayed before (an evicted TLFM state), or the record would be too long */
		if (fresh)
			rt_count(m, SPDM_C_DROP_RECORD_FULL, 1);
		tlfm_relay_stop(m);
		return;
	}
	{
		struct spdm_msg fwd = *q;
		uint8_t buf[SPDM_MSG_MAX];
		int len;

		fwd.rec[fwd.nrec++] = m->node->id;
		len = spdm_msg_encode(&fwd, buf, sizeof(buf), NULL);
		if (len > 0)
			tlfm_relay_rewrite(m, buf, (size_t)len);
	}
}

static void spdm_reply(struct module *m, const struct mod_msg *msg, struct spdm_msg *p,
		       size_t body_len)
{
	struct node_id full[SR_HOPS_MAX + 1];
	uint8_t body[SPDM_MSG_MAX], lab[SR_HOPS_MAX + 1];
	int n = p->nrec + 1;
	uint8_t pos = p->pos;

	full_path(p, full, lab);
	if (!node_id_eq(&full[pos], &m->node->id)) {
		rt_count(m, SPDM_C_DROP_MALFORMED, 1);
		return;
	}
	/* the replier's signature covers the body */
	memcpy(body, msg->data, body_len);
	if (sr_auth_check(m, &p->rec[p->replier], body, body_len, &p->auth) < 0) {
		rt_count(m, SPDM_C_DROP_BAD_SIG, 1);
		return;
	}
	/* this node's slot: its label towards the node the reply came from (not the initiator's) */
	if (pos > 0)
		lab[pos] = p->labels[pos - 1] = sr_nbr_label(m, &full[pos + 1]);
	learn_subpaths(m, full, lab, n, pos);
	if (pos == 0) {
		struct spdm *s = m->priv;
		int slot = disc_find(s, &p->target);

		rt_count(m, SPDM_C_REPLIES_RECEIVED, 1);
		if (slot >= 0)
			spdm_finish(m, slot, true);
		return;
	}
	p->pos = (uint8_t)(pos - 1);
	if (send_reply(m, p, &full[pos - 1]) == 0)
		rt_count(m, SPDM_C_REPLIES_FORWARDED, 1);
}

static int spdm_recv(struct module *m, const struct mod_msg *msg)
{
	struct spdm_msg q;
	size_t bl;

	if (spdm_msg_decode(msg->data, msg->len, &q, &bl) < 0) {
		rt_count(m, SPDM_C_DROP_MALFORMED, 1);
		return -EBADMSG;
	}
	if (q.type == SPDM_T_RREQ)
		spdm_request(m, msg, &q);
	else
		spdm_reply(m, msg, &q, bl);
	return 0;
}

static int spdm_stop(struct module *m)
{
	struct spdm *s = m->priv;

	free(s->table);
	free(s->tags);
	free(s->disc);
	s->table = NULL;
	s->tags = NULL;
	s->disc = NULL;
	return 0;
}

const struct module_ops spdm_module = {
	.name = SPDM_NAME,
	.priv_size = sizeof(struct spdm),
	.counters = spdm_counters,
	.init = spdm_init,
	.recv = spdm_recv,
	.timer = spdm_timer,
	.stop = spdm_stop,
	.ctl_ops = spdm_ctl_ops,
};
