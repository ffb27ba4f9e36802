// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Topology: peer table, ring view (successors, predecessor, fingers), gossip, links. */
#include <errno.h>
#include <stdlib.h>

#include "core/modparam.h"
#include "core/node.h"
#include "modules/topology.h"

#define NS_PER_MS     1000000ULL
#define T_MAINTAIN    1
#define NEED_SUCC     0x01
#define NEED_PRED     0x02
#define NEED_FINGER   0x04
#define NEED_BOOT     0x08 /* a configured neighbour: never trimmed */
#define TOPO_VIEW_MAX (TOPO_SUCC_MAX + 1 + TOPO_FINGERS)

struct topo_peer {
	struct node_id id;
	ring_t key;
	struct rt_addr addr;
	uint64_t heard;	  /* last message or link up from it; 0 = only gossiped */
	uint64_t dead_at; /* 0 = alive */
	uint64_t linked_at;
	struct topo_sig rec; /* its signed record for addr, when has_rec */
	uint8_t need, remote, up, pending, boot, has_rec;
};

struct topology {
	ring_t self;
	struct rt_addr self_addr;
	struct topo_sig self_rec; /* over self_addr, when signs */
	bool signs;		  /* the runtime has identities: records are signed */
	struct topo_peer *p;
	int np, cap, max_peers;
	int nsucc;
	int nfingers; /* fingers kept, the farthest first: 0 = a plain ring */
	uint64_t gossip_ns, connect_ns, dead_hold_ns;
	/* the view: indices into p, valid until the table changes */
	int succ[TOPO_SUCC_MAX], nsucc_now, pred;
	int *finger; /* TOPO_FINGERS entries, -1: self; NULL under an oracle */
	int rr;	     /* round-robin gossip cursor */
	bool dirty;  /* peer indices moved: the view must be rebuilt */
	bool started;
	struct topology_oracle oracle; /* a simulator scenario's, set before init */
};

static const char *const topo_counters[TOPO_C__MAX + 1] = {
	[TOPO_C_GOSSIP_TX] = "gossip_tx",
	[TOPO_C_GOSSIP_RX] = "gossip_rx",
	[TOPO_C_CONNECT_TX] = "connect_tx",
	[TOPO_C_ACCEPT_TX] = "accept_tx",
	[TOPO_C_RELEASE_TX] = "release_tx",
	[TOPO_C_LINKS_ADDED] = "links_added",
	[TOPO_C_LINKS_REMOVED] = "links_removed",
	[TOPO_C_LINK_UP] = "link_up",
	[TOPO_C_LINK_DOWN] = "link_down",
	[TOPO_C_CONNECT_TIMEOUT] = "connect_timeout",
	[TOPO_C_RACE_WON] = "connect_race.won",
	[TOPO_C_RACE_LOST] = "connect_race.lost",
	[TOPO_C_VIEW_CHANGES] = "view_changes",
	[TOPO_C_PEERS_EVICTED] = "peers_evicted",
	[TOPO_C_DROP_MALFORMED] = "dropped.malformed",
	[TOPO_C_DROP_BAD_SIG] = "dropped.bad_sig",
	[TOPO_C__MAX] = NULL,
};

int topology_set_oracle(struct module *m, const struct topology_oracle *o)
{
	struct topology *t = m->priv;

	if (m->ops != &topology_module)
		return -EINVAL;
	if (t->started)
		return -EBUSY;
	if (o)
		t->oracle = *o;
	else
		memset(&t->oracle, 0, sizeof(t->oracle));
	return 0;
}

/* ---- peer table ---- */

static int peer_find(struct topology *t, const struct node_id *id)
{
	for (int i = 0; i < t->np; i++)
		if (node_id_eq(&t->p[i].id, id))
			return i;
	return -1;
}

static bool peer_alive(const struct topo_peer *p)
{
	return !p->dead_at;
}

/* The least useful peer: dead, then unlinked and never heard from, oldest. */
static int peer_victim(struct topology *t)
{
	int v = -1;

	for (int i = 0; i < t->np; i++) {
		struct topo_peer *p = &t->p[i];

		if (p->linked_at || p->need || p->boot)
			continue;
		if (v < 0 || (!peer_alive(p) && peer_alive(&t->p[v])) ||
		    (peer_alive(p) == peer_alive(&t->p[v]) && p->heard < t->p[v].heard))
			v = i;
	}
	return v;
}

/*
 * first_hand: addr came from the peer itself (its own message). A gossiped
 * (second-hand) address is only taken when we have none, so a stale or
 * lying gossiper cannot redirect a peer we already know; with a verified
 * record (rec), also when it is newer than the one held (the peer re-signed
 * after its address changed).
 */
__attribute__((noinline)) static int peer_add_from(struct module *m, const struct node_id *id,
						   const struct rt_addr *addr, bool first_hand,
						   const struct topo_sig *rec)
{
	struct topology *t = m->priv;
	int i = peer_find(t, id);

	if (i >= 0 || node_id_eq(id, &m->node->id))
		goto out;
	if (t->np == t->max_peers) {
		i = peer_victim(t);
		if (i < 0)
			return -ENOSPC;
		t->p[i] = t->p[--t->np];
		t->dirty = true;
		rt_count(m, TOPO_C_PEERS_EVICTED, 1);
	}
	if (t->np == t->cap) {
		int nc = t->cap ? 2 * t->cap : 16;
		struct topo_peer *np = realloc(t->p, sizeof(*np) * (size_t)nc);

		if (!np)
			return -ENOMEM;
		t->p = np;
		t->cap = nc;
	}
	i = t->np++;
	memset(&t->p[i], 0, sizeof(t->p[i]));
	t->p[i].id = *id;
	t->p[i].key = ring_of(id->b);
out:
	if (i < 0 || !addr || !addr->len)
		return i;
	if (rec && (first_hand || !t->p[i].has_rec || rec->stamp > t->p[i].rec.stamp)) {
		t->p[i].addr = *addr;
		t->p[i].rec = *rec;
		t->p[i].has_rec = 1;
	} else if (!rec && (first_hand || !t->p[i].addr.len))
		t->p[i].addr = *addr;
	return i;
}

static int peer_add(struct module *m, const struct node_id *id, const struct rt_addr *addr)
{
	return peer_add_from(m, id, addr, false, NULL);
}

static void peer_drop_link(struct module *m, struct topo_peer *p)
{
	if (!p->linked_at || p->boot)
		return;
	rt_link_remove(m, &p->id);
	p->linked_at = 0;
	p->up = 0;
	p->pending = 0;
	rt_count(m, TOPO_C_LINKS_REMOVED, 1);
}

static int peer_link(struct module *m, struct topo_peer *p)
{
	int ret;

	if (p->linked_at || p->boot)
		return 0;
	ret = rt_link_add(m, &p->id, p->addr.len ? &p->addr : NULL);
	if (ret < 0)
		return ret;
	p->linked_at = rt_now(m);
	rt_count(m, TOPO_C_LINKS_ADDED, 1);
	return 0;
}

/* ---- the view ---- */

static void topo_view(struct module *m)
{
	struct topology *t = m->priv;
	int old_succ = t->nsucc_now ? t->succ[0] : -1, old_pred = t->pred;
	int *map, *order = NULL, n = 0;
	ring_t *keys;

	if (!t->finger)
		return; /* an oracle answers for this node */
	keys = malloc(sizeof(*keys) * (size_t)(t->np ? t->np : 1));
	map = malloc(sizeof(int) * (size_t)(t->np ? t->np : 1));
	t->nsucc_now = 0;
	t->pred = -1;
	t->dirty = false;
	for (int i = 0; i < TOPO_FINGERS; i++)
		t->finger[i] = -1;
	if (!keys || !map)
		goto out;
	for (int i = 0; i < t->np; i++)
		if (peer_alive(&t->p[i])) {
			keys[n] = t->p[i].key;
			map[n++] = i;
		}
	if (topo_sort_by_dist(t->self, keys, n, &order) < 0)
		goto out;
	topo_fingers_sorted(t->self, keys, order, n, t->finger);
	for (int i = 0; i < TOPO_FINGERS; i++)
		t->finger[i] = t->finger[i] >= 0 && i >= TOPO_FINGERS - t->nfingers
				       ? map[t->finger[i]]
				       : -1;
	for (int k = 0; k < n && k < t->nsucc; k++)
		t->succ[t->nsucc_now++] = map[order[k]];
	if (n)
		t->pred = map[order[n - 1]];
	if ((t->nsucc_now ? t->succ[0] : -1) != old_succ || t->pred != old_pred)
		rt_count(m, TOPO_C_VIEW_CHANGES, 1);
out:
	free(order);
	free(keys);
	free(map);
}

static void topo_needs(struct topology *t)
{
	if (!t->finger)
		return;
	for (int i = 0; i < t->np; i++)
		t->p[i].need = 0;
	for (int k = 0; k < t->nsucc_now; k++)
		t->p[t->succ[k]].need |= NEED_SUCC;
	if (t->pred >= 0)
		t->p[t->pred].need |= NEED_PRED;
	for (int i = 0; i < TOPO_FINGERS; i++)
		if (t->finger[i] >= 0)
			t->p[t->finger[i]].need |= NEED_FINGER;
}

int topology_routes(struct module *topo, struct node_id *out, int max)
{
	struct topology *t = topo->priv;
	int n = 0, cand[TOPO_VIEW_MAX], nc = 0;

	if (t->oracle.routes)
		return t->oracle.routes(t->oracle.ctx, topo->node, out, max);
	if (!t->finger)
		return 0;
	if (t->dirty) {
		topo_view(topo);
		topo_needs(t);
	}
	for (int k = 0; k < t->nsucc_now; k++)
		cand[nc++] = t->succ[k];
	if (t->pred >= 0)
		cand[nc++] = t->pred;
	for (int i = 0; i < TOPO_FINGERS; i++)
		if (t->finger[i] >= 0 && (i == 0 || t->finger[i] != t->finger[i - 1]))
			cand[nc++] = t->finger[i];
	for (int c = 0; c < nc && n < max; c++) {
		struct topo_peer *p = &t->p[cand[c]];
		bool dup = false;

		if (!p->up || !peer_alive(p) || (!p->linked_at && !p->boot))
			continue;
		for (int k = 0; k < n && !dup; k++)
			dup = node_id_eq(&out[k], &p->id);
		if (!dup)
			out[n++] = p->id;
	}
	return n;
}

/* ---- messages ---- */

/* Sign this node's record once, and again when its address changes. */
static void topo_self_record(struct module *m)
{
	struct topology *t = m->priv;
	struct rt_addr a = { 0 };

	if (rt_self_addr(m, &a) < 0)
		memset(&a, 0, sizeof(a)); /* none: sign the empty address */
	if (t->self_rec.stamp && t->signs == (m->node->rt->sign != NULL) &&
	    a.len == t->self_addr.len && !memcmp(a.b, t->self_addr.b, a.len))
		return;
	t->self_addr = a;
	/* the stamp: this runtime's clock at signing, > 0 (see the README) */
	t->signs = topo_rec_sign(m, &a, rt_now(m) | 1, &t->self_rec) == 0;
	if (!t->signs)
		t->self_rec.stamp = 1; /* no identities: nothing to sign, ever */
}

static int topo_send(struct module *m, struct topo_peer *p, struct topo_msg *msg)
{
	struct topology *t = m->priv;
	uint8_t buf[ICC_MAX_PAYLOAD];
	struct mod_msg out = { .type = ICC_T_DATA, .ttl = 1 };
	uint64_t now = rt_now(m);
	int len;

	topo_self_record(m);
	msg->addr = t->self_addr;
	if (t->signs) {
		msg->flags |= TOPO_F_SIGNED;
		msg->self = t->self_rec;
	}
	len = topo_msg_encode(msg, buf, sizeof(buf));
	if (len < 0)
		return len;
	/* a message ID unique per sender: only the ICC layer looks at it */
	memcpy(out.id.b, m->node->id.b, 8);
	memcpy(out.id.b + 8, &now, 8);
	out.src = m->node->id;
	out.data = buf;
	out.len = (size_t)len;
	return rt_send(m, &p->id, TOPOLOGY_NAME, &out);
}

static void gossip_add(struct topology *t, struct topo_msg *msg, const struct topo_peer *p,
		       const struct node_id *to)
{
	/* an entry nobody could link to (address not learnt yet) is not worth a slot */
	if (msg->n == (t->signs ? TOPO_GOSSIP_SIGNED_MAX : TOPO_GOSSIP_MAX) ||
	    node_id_eq(&p->id, to) || !peer_alive(p) || !p->addr.len || (t->signs && !p->has_rec))
		return;
	for (int k = 0; k < msg->n; k++)
		if (node_id_eq(&msg->e[k].id, &p->id))
			return;
	msg->e[msg->n].id = p->id;
	msg->e[msg->n].addr = p->addr;
	msg->e[msg->n].s = p->rec;
	msg->n++;
}

/* The peers this node knows that are the best candidates for `to`'s own view. */
static void gossip_fill(struct topology *t, struct topo_peer *to, struct topo_msg *msg)
{
	ring_t *keys = malloc(sizeof(*keys) * (size_t)(t->np ? t->np : 1));
	int *map = malloc(sizeof(int) * (size_t)(t->np ? t->np : 1)), *order = NULL, n = 0;
	int f[TOPO_FINGERS];

	if (!keys || !map)
		goto out;
	for (int i = 0; i < t->np; i++)
		if (peer_alive(&t->p[i]) && &t->p[i] != to) {
			keys[n] = t->p[i].key;
			map[n++] = i;
		}
	if (topo_sort_by_dist(to->key, keys, n, &order) < 0)
		goto out;
	/* its successors, its predecessor, then its fingers (nearest first) */
	for (int k = 0; k < n && k < t->nsucc; k++)
		gossip_add(t, msg, &t->p[map[order[k]]], &to->id);
	if (n)
		gossip_add(t, msg, &t->p[map[order[n - 1]]], &to->id);
	topo_fingers_sorted(to->key, keys, order, n, f);
	for (int i = TOPO_FINGERS - 1; i >= 0; i--)
		if (f[i] >= 0)
			gossip_add(t, msg, &t->p[map[f[i]]], &to->id);
out:
	free(order);
	free(keys);
	free(map);
}

static void send_gossip(struct module *m, struct topo_peer *p, uint8_t flags)
{
	struct topo_msg msg = { .type = TOPO_T_GOSSIP, .flags = flags };

	gossip_fill(m->priv, p, &msg);
	if (topo_send(m, p, &msg) == 0)
		rt_count(m, TOPO_C_GOSSIP_TX, 1);
}

static void send_ctl(struct module *m, struct topo_peer *p, uint8_t type, unsigned int ctr)
{
	struct topo_msg msg = { .type = type };

	if (topo_send(m, p, &msg) == 0)
		rt_count(m, ctr, 1);
}

/* ---- maintenance ---- */

static void topo_links(struct module *m)
{
	struct topology *t = m->priv;
	uint64_t now = rt_now(m);

	for (int i = 0; i < t->np; i++) {
		struct topo_peer *p = &t->p[i];

		if (p->linked_at && !p->up && !p->boot && now - p->linked_at > t->connect_ns) {
			rt_count(m, TOPO_C_CONNECT_TIMEOUT, 1);
			p->dead_at = now;
			peer_drop_link(m, p);
		} else if (p->need && !p->linked_at && !p->boot) {
			if (peer_link(m, p) == 0) {
				p->pending = 1;
				send_ctl(m, p, TOPO_T_CONNECT, TOPO_C_CONNECT_TX);
			} else {
				/* unreachable address, no room: as dead as a timeout */
				rt_count(m, TOPO_C_CONNECT_TIMEOUT, 1);
				p->dead_at = now;
			}
		} else if (p->need && p->pending && p->up) {
			send_ctl(m, p, TOPO_T_CONNECT, TOPO_C_CONNECT_TX); /* accept lost? */
		} else if (!p->need && !p->remote && p->linked_at && !p->boot &&
			   now - p->heard > 3 * t->gossip_ns) {
			/* unneeded, and quiet for a while (a gossip partner keeps it) */
			send_ctl(m, p, TOPO_T_RELEASE, TOPO_C_RELEASE_TX);
			peer_drop_link(m, p);
		}
	}
}

/* Forget peers that died long ago (they come back through gossip if alive). */
static void topo_expire(struct module *m)
{
	struct topology *t = m->priv;
	uint64_t now = rt_now(m);

	for (int i = 0; i < t->np;) {
		struct topo_peer *p = &t->p[i];

		if (p->dead_at && now - p->dead_at > t->dead_hold_ns && !p->linked_at && !p->boot) {
			t->p[i] = t->p[--t->np];
			t->dirty = true;
		} else
			i++;
	}
}

static void topo_gossip_round(struct module *m)
{
	struct topology *t = m->priv;
	int extra = -1;

	if (t->nsucc_now)
		send_gossip(m, &t->p[t->succ[0]], TOPO_F_REPLY);
	if (t->pred >= 0 && (!t->nsucc_now || t->pred != t->succ[0]))
		send_gossip(m, &t->p[t->pred], TOPO_F_REPLY);
	/* one more linked peer, round robin: mixes knowledge across the ring */
	for (int k = 0; k < t->np && extra < 0; k++) {
		int i = (t->rr + k) % t->np;
		struct topo_peer *p = &t->p[i];

		if ((p->linked_at || p->boot) && p->up && peer_alive(p) &&
		    (!t->nsucc_now || i != t->succ[0]) && i != t->pred)
			extra = i;
	}
	if (extra >= 0) {
		t->rr = extra + 1;
		send_gossip(m, &t->p[extra], TOPO_F_REPLY);
	}
}

static int topo_timer(struct module *m, uint32_t id)
{
	struct topology *t = m->priv;

	if (id != T_MAINTAIN || t->oracle.routes)
		return 0;
	topo_expire(m);
	topo_view(m);
	topo_needs(t);
	topo_links(m);
	topo_gossip_round(m);
	return rt_timer_arm(m, T_MAINTAIN, t->gossip_ns);
}

/* ---- receive ---- */

static void on_connect(struct module *m, struct topo_peer *p)
{
	p->remote = 1;
	if (p->pending && topo_connect_wins(&m->node->id, &p->id)) {
		rt_count(m, TOPO_C_RACE_WON, 1); /* ours stands: the peer accepts it */
		return;
	}
	if (p->pending) {
		rt_count(m, TOPO_C_RACE_LOST, 1);
		p->pending = 0;
	}
	if (peer_link(m, p) == 0)
		send_ctl(m, p, TOPO_T_ACCEPT, TOPO_C_ACCEPT_TX);
}

static bool verifies(struct module *m)
{
	return m->node->rt->verify != NULL;
}

/*
 * A record about id from a message (flags): valid, or acceptable unsigned in
 * a runtime without identities. A record identical to the one held for the
 * peer (p) was verified when it was taken: no second check.
 */
static bool rec_ok(struct module *m, const struct topo_peer *p, const struct node_id *id,
		   const struct rt_addr *addr, const struct topo_sig *s, uint8_t flags)
{
	if (!verifies(m))
		return true;
	if (!(flags & TOPO_F_SIGNED))
		return false;
	if (p && p->has_rec && p->addr.len == addr->len && !memcmp(p->addr.b, addr->b, addr->len) &&
	    !memcmp(&p->rec, s, sizeof(*s)))
		return true;
	return topo_rec_verify(m, id, addr, s) == 0;
}

static void on_gossip(struct module *m, const struct node_id *src, const struct topo_msg *msg)
{
	struct topology *t = m->priv;
	uint64_t now = rt_now(m);
	int i;

	rt_count(m, TOPO_C_GOSSIP_RX, 1);
	for (int k = 0; k < msg->n; k++) {
		const struct topo_entry *e = &msg->e[k];

		i = peer_find(t, &e->id);
		if (i >= 0 && t->p[i].dead_at && now - t->p[i].dead_at < t->dead_hold_ns)
			continue; /* stale news of a peer we saw fail */
		if (!rec_ok(m, i >= 0 ? &t->p[i] : NULL, &e->id, &e->addr, &e->s, msg->flags)) {
			rt_count(m, TOPO_C_DROP_BAD_SIG, 1);
			continue;
		}
		i = peer_add_from(m, &e->id, &e->addr, false, verifies(m) ? &e->s : NULL);
		if (i >= 0 && t->p[i].dead_at && !t->p[i].linked_at)
			t->p[i].dead_at = 0;
	}
	/* the table may have moved: find the sender again */
	i = peer_find(t, src);
	if (i >= 0 && (msg->flags & TOPO_F_REPLY)) {
		struct topo_peer *p = &t->p[i];

		if (p->linked_at || p->boot || peer_link(m, p) == 0)
			send_gossip(m, p, 0);
	}
}

static int topo_recv(struct module *m, const struct mod_msg *in)
{
	struct topology *t = m->priv;
	struct topo_msg msg;
	struct topo_peer *p;
	int i;

	if (topo_msg_decode(in->data, in->len, &msg) < 0 || node_id_eq(&in->src, &m->node->id)) {
		rt_count(m, TOPO_C_DROP_MALFORMED, 1);
		return -EBADMSG;
	}
	i = peer_find(t, &in->src);
	if (!rec_ok(m, i >= 0 ? &t->p[i] : NULL, &in->src, &msg.addr, &msg.self, msg.flags)) {
		rt_count(m, TOPO_C_DROP_BAD_SIG, 1);
		return -EBADMSG;
	}
	i = peer_add_from(m, &in->src, &msg.addr, true, verifies(m) ? &msg.self : NULL);
	if (i < 0)
		return i;
	p = &t->p[i];
	p->heard = rt_now(m);
	p->dead_at = 0;
	switch (msg.type) {
	case TOPO_T_GOSSIP:
		on_gossip(m, &in->src, &msg);
		break;
	case TOPO_T_CONNECT:
		on_connect(m, p);
		break;
	case TOPO_T_ACCEPT:
		p->pending = 0;
		break;
	case TOPO_T_RELEASE:
		p->remote = 0;
		break;
	}
	return 0;
}

static int topo_link(struct module *m, const struct node_id *peer, bool up)
{
	struct topology *t = m->priv;
	int i = peer_find(t, peer);

	if (i < 0 && up)
		i = peer_add(m, peer, NULL);
	if (i < 0)
		return 0;
	t->p[i].up = up;
	rt_count(m, up ? TOPO_C_LINK_UP : TOPO_C_LINK_DOWN, 1);
	if (up) {
		t->p[i].heard = rt_now(m);
		t->p[i].dead_at = 0;
		return 0;
	}
	t->p[i].dead_at = rt_now(m);
	t->p[i].remote = 0;
	peer_drop_link(m, &t->p[i]);
	topo_view(m);
	topo_needs(t);
	return 0;
}

/* ---- setup ---- */

static int topo_bootstrap(struct module *m)
{
	struct topology *t = m->priv;
	int n = rt_neighbours(m, NULL, 0);
	struct nbr_info *nb;

	if (n <= 0)
		return 0;
	nb = calloc((size_t)n, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	n = rt_neighbours(m, nb, n);
	for (int k = 0; k < n; k++) {
		int i = peer_add(m, &nb[k].id, NULL);

		if (i >= 0) {
			t->p[i].boot = 1;
			t->p[i].up = nb[k].up;
		}
	}
	free(nb);
	return 0;
}

struct topo_params {
	uint32_t succ, peers, fingers;
	uint64_t gossip, conn, hold;
};

static const struct mod_param topo_params[] = {
	MP_U32("successors", struct topo_params, succ, 4, 1, TOPO_SUCC_MAX),
	MP_U64("gossip_ms", struct topo_params, gossip, 1000, 10, 3600000),
	MP_U64("connect_timeout_ms", struct topo_params, conn, 5000, 10, 3600000),
	MP_U64("dead_hold_ms", struct topo_params, hold, 30000, 10, 3600000),
	MP_U32("max_peers", struct topo_params, peers, TOPO_DEFAULT_PEERS, 8, 1u << 20),
	MP_U32("fingers", struct topo_params, fingers, TOPO_FINGERS, 0, TOPO_FINGERS),
	MP_END,
};

static int topo_init(struct module *m, const json_t *params)
{
	struct topology *t = m->priv;
	struct topo_params p;

	if (module_params(m, topo_params, params, &p))
		return -EINVAL;
	t->started = true;
	t->self = ring_of(m->node->id.b);
	t->nsucc = (int)p.succ;
	t->nfingers = (int)p.fingers;
	t->gossip_ns = p.gossip * NS_PER_MS;
	t->connect_ns = p.conn * NS_PER_MS;
	t->dead_hold_ns = p.hold * NS_PER_MS;
	t->max_peers = (int)p.peers;
	t->pred = -1;
	if (t->oracle.routes)
		return 0;
	t->finger = malloc(sizeof(int) * TOPO_FINGERS);
	if (!t->finger)
		return -ENOMEM;
	for (int i = 0; i < TOPO_FINGERS; i++)
		t->finger[i] = -1;
	topo_self_record(m);
	if (topo_bootstrap(m) < 0)
		return -ENOMEM;
	/* spread the first rounds: a phase from the node ID */
	return rt_timer_arm(m, T_MAINTAIN, 1 + id_hash(m->node->id.b) % t->gossip_ns);
}

static int topo_stop(struct module *m)
{
	struct topology *t = m->priv;

	rt_timer_cancel(m, T_MAINTAIN);
	for (int i = 0; i < t->np; i++)
		if (t->p[i].linked_at && !t->p[i].boot)
			rt_link_remove(m, &t->p[i].id);
	free(t->p);
	free(t->finger);
	t->p = NULL;
	t->finger = NULL;
	t->np = t->cap = 0;
	return 0;
}

int topology_view(struct module *topo, struct node_id *succ, int max_succ, struct node_id *pred,
		  struct node_id fingers[TOPO_FINGERS])
{
	struct topology *t = topo->priv;
	int n = 0;

	topo_view(topo);
	topo_needs(t);
	for (int k = 0; k < t->nsucc_now && k < max_succ; k++)
		succ[n++] = t->p[t->succ[k]].id;
	if (pred)
		*pred = t->pred >= 0 ? t->p[t->pred].id : topo->node->id;
	for (int i = 0; fingers && i < TOPO_FINGERS; i++)
		fingers[i] =
			t->finger && t->finger[i] >= 0 ? t->p[t->finger[i]].id : topo->node->id;
	return n;
}

static json_t *peer_json(struct topology *t, int i)
{
	char id[ID_HEX_LEN + 1];

	if (i < 0)
		return json_null();
	id_fmt(t->p[i].id.b, id);
	return json_pack("{s:s, s:b}", "id", id, "up", t->p[i].up);
}

json_t *topology_state_json(struct module *topo)
{
	struct topology *t = topo->priv;
	json_t *o, *succ = json_array(), *fing = json_array();
	struct node_id routes[TOPO_VIEW_MAX];

	topo_view(topo);
	for (int k = 0; k < t->nsucc_now; k++)
		json_array_append_new(succ, peer_json(t, t->succ[k]));
	for (int i = 0; t->finger && i < TOPO_FINGERS; i++)
		if (t->finger[i] >= 0 && (i == 0 || t->finger[i] != t->finger[i - 1]))
			json_array_append_new(fing, json_pack("{s:i, s:o}", "i", i, "peer",
							      peer_json(t, t->finger[i])));
	o = json_pack("{s:i, s:o, s:o, s:o, s:i}", "peers", t->np, "successors", succ,
		      "predecessor", peer_json(t, t->pred), "fingers", fing, "routes",
		      topology_routes(topo, routes, TOPO_VIEW_MAX));
	return o;
}

const struct module_ops topology_module = {
	.name = TOPOLOGY_NAME,
	.priv_size = sizeof(struct topology),
	.counters = topo_counters,
	.init = topo_init,
	.recv = topo_recv,
	.timer = topo_timer,
	.stop = topo_stop,
	.link = topo_link,
	.ctl_ops = topology_ctl_ops,
};
