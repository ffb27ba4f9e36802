// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The handshake state machine with literal time: lost, duplicated and
 * reordered messages, simultaneous initiation, cookies, rekey, replay,
 * refused certificates, restart.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>

#include "core/hs.h"

#define S  1000000000ULL
#define T0 (1000 * S)

static struct ident hst_ca, hst_ca2;
static uint8_t hst_trusted[1][IDENT_PUB_LEN];
static struct cert_trust hst_trust = { .ca = (const uint8_t (*)[IDENT_PUB_LEN])hst_trusted,
				       .nca = 1 };

struct hst_node {
	struct hs_ctx c;
	struct ident k;
	struct cert cert;
};

static struct hst_node *hst_a, *hst_b;
static struct hs_out hst_o;

static void hst_node_init(struct hst_node *n, uint8_t seed_byte, const struct ident *ca,
			  uint64_t not_after, const struct hs_params *p)
{
	uint8_t seed[IDENT_SEED_LEN];
	char err[128];

	memset(seed, seed_byte, sizeof(seed));
	cr_assert_eq(ident_from_seed(seed, &n->k), 0);
	memset(&n->cert, 0, sizeof(n->cert));
	memcpy(n->cert.node_pub, n->k.pub, IDENT_PUB_LEN);
	snprintf(n->cert.name, sizeof(n->cert.name), "n%u", seed_byte);
	n->cert.not_before = 0;
	n->cert.not_after = not_after;
	cr_assert_gt(cert_issue(&n->cert, ca, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(hs_ctx_init(&n->c, &n->k, n->cert.raw, n->cert.len, &hst_trust, p, 8, T0), 0);
}

static void hst_setup(void)
{
	uint8_t seed[IDENT_SEED_LEN];

	cr_assert(sodium_init() >= 0);
	memset(seed, 0xca, sizeof(seed));
	cr_assert_eq(ident_from_seed(seed, &hst_ca), 0);
	memset(seed, 0xcb, sizeof(seed));
	cr_assert_eq(ident_from_seed(seed, &hst_ca2), 0);
	memcpy(hst_trusted[0], hst_ca.pub, IDENT_PUB_LEN);
	hst_a = calloc(1, sizeof(*hst_a));
	hst_b = calloc(1, sizeof(*hst_b));
	cr_assert(hst_a && hst_b);
	hst_node_init(hst_a, 1, &hst_ca, 1ULL << 40, NULL);
	hst_node_init(hst_b, 2, &hst_ca, 1ULL << 40, NULL);
}

static void hst_teardown(void)
{
	hs_ctx_free(&hst_a->c);
	hs_ctx_free(&hst_b->c);
	free(hst_a);
	free(hst_b);
}

TestSuite(hs, .init = hst_setup, .fini = hst_teardown);

static struct hs_time hst_t(uint64_t mono)
{
	return (struct hs_time){ .mono = mono, .wall = 1700000000 * S + mono };
}

/* deliver msg to node to; the reply (if any) lands in *reply */
static enum hs_drop hst_deliver(struct hst_node *to, const uint8_t *msg, size_t len, uint64_t now,
				struct hs_out *reply)
{
	struct hs_time t = hst_t(now);

	hs_recv(&to->c, msg, len, "addr", 4, &t, reply);
	return reply->drop;
}

static struct hs_peer *hst_peer(struct hst_node *n, struct hst_node *of)
{
	struct hs_peer *p = hs_peer_get(&n->c, &of->c.id, T0);

	cr_assert_not_null(p);
	return p;
}

/* A -> B, complete; returns A's peer entry for B */
static struct hs_peer *hst_handshake(uint64_t now)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(now);
	static struct hs_out o1, o2, o3;

	hs_start(&hst_a->c, pa, &t, &o1);
	cr_assert_eq(o1.len, HS_INIT_LEN);
	cr_assert_eq(hst_deliver(hst_b, o1.msg, o1.len, now, &o2), HS_OK);
	cr_assert_gt(o2.len, HS_AUTH_HDR_LEN);
	cr_assert_eq(hst_deliver(hst_a, o2.msg, o2.len, now, &o3), HS_OK);
	cr_assert(o3.to_peer);
	cr_assert_eq(hst_deliver(hst_b, o3.msg, o3.len, now, &hst_o), HS_OK);
	cr_assert(hst_o.established);
	return pa;
}

/* B sends one datagram's worth under its session, A accepts it */
static void hst_b_to_a(uint64_t now)
{
	struct hs_peer *pb = hs_peer_find(&hst_b->c, &hst_a->c.id), *pa;
	struct hs_session *sb, *sa;
	uint64_t ctr;

	cr_assert_not_null(pb);
	sb = hs_tx(&hst_b->c, pb, now, &ctr);
	cr_assert_not_null(sb);
	pa = hs_peer_find(&hst_a->c, &hst_b->c.id);
	sa = hs_rx(pa, sb->sid, now, &hst_a->c.p);
	cr_assert_not_null(sa, "A has no session %llx", (unsigned long long)sb->sid);
	cr_assert_eq(memcmp(sa->rx_key, sb->tx_key, HS_KEY_LEN), 0);
	cr_assert_eq(hs_rx_accept(pa, sa, ctr), 0);
}

Test(hs, handshake_and_keys)
{
	struct hs_peer *pa = hst_handshake(T0), *pb;

	pb = hs_peer_find(&hst_b->c, &hst_a->c.id);
	cr_assert_not_null(pb);
	cr_assert(pb->cur.valid && !pb->cur.initiator);
	cr_assert(pa->next.valid && !pa->cur.valid); /* unconfirmed until B speaks */
	cr_assert_eq(pa->next.sid, pb->cur.sid);
	cr_assert_eq(memcmp(pa->next.tx_key, pb->cur.rx_key, HS_KEY_LEN), 0);
	cr_assert_neq(memcmp(pa->next.tx_key, pa->next.rx_key, HS_KEY_LEN), 0);
	hst_b_to_a(T0 + 1);
	cr_assert(pa->cur.valid && pa->cur.confirmed && !pa->next.valid);
	cr_assert_eq(pa->state, HS_IDLE);
	cr_assert(node_id_eq(&pa->cert.id, &hst_b->c.id));
	cr_assert_str_eq(pb->cert.name, "n1");
	cr_assert_eq(hst_b->c.st.established, 1);
}

Test(hs, lost_init_resent_after_retry)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(T0);
	struct hs_out o, r;

	pa->want = true;
	hs_tick(&hst_a->c, pa, &t, &o); /* want and no session: INIT (lost) */
	cr_assert_eq(o.len, HS_INIT_LEN);
	t = hst_t(T0 + S / 2);
	hs_tick(&hst_a->c, pa, &t, &o);
	cr_assert_eq(o.len, 0, "resent before the retry interval");
	t = hst_t(T0 + S);
	hs_tick(&hst_a->c, pa, &t, &o);
	cr_assert_eq(o.len, HS_INIT_LEN);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0 + S, &r), HS_OK);
	cr_assert_eq(hst_deliver(hst_a, r.msg, r.len, T0 + S, &o), HS_OK);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0 + S, &r), HS_OK);
	cr_assert(r.established);
	/* give up after max_tries, then start over at the next due tick */
	pa->want = false;
}

Test(hs, gives_up_after_max_tries)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(T0);
	struct hs_out o;
	int sent = 0;

	hs_start(&hst_a->c, pa, &t, &o);
	for (uint64_t i = 1; i <= 10; i++) {
		t = hst_t(T0 + i * S);
		hs_tick(&hst_a->c, pa, &t, &o);
		sent += o.len > 0;
	}
	cr_assert_eq(sent, 4, "%d resends", sent); /* 5 tries in all */
	cr_assert_eq(pa->state, HS_IDLE);
}

Test(hs, lost_resp_and_duplicated_resp)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(T0);
	struct hs_out i1, r1, r2, f1, f2, x;

	hs_start(&hst_a->c, pa, &t, &i1);
	cr_assert_eq(hst_deliver(hst_b, i1.msg, i1.len, T0, &r1), HS_OK); /* lost */
	t = hst_t(T0 + S);
	hs_tick(&hst_a->c, pa, &t, &i1); /* same ephemeral */
	cr_assert_eq(hst_deliver(hst_b, i1.msg, i1.len, T0 + S, &r2), HS_OK);
	cr_assert_eq(hst_deliver(hst_a, r2.msg, r2.len, T0 + S, &f1), HS_OK);
	/* the first RESP arrives late: same e_r, so A resends the same FIN */
	cr_assert_eq(hst_deliver(hst_a, r1.msg, r1.len, T0 + S, &f2), HS_OK);
	cr_assert_eq(f2.len, f1.len);
	cr_assert_eq(memcmp(f1.msg, f2.msg, f1.len), 0);
	cr_assert_eq(hst_deliver(hst_b, f1.msg, f1.len, T0 + S, &x), HS_OK);
	cr_assert(x.established);
	/* duplicated FIN: confirmed again, no second session */
	cr_assert_eq(hst_deliver(hst_b, f2.msg, f2.len, T0 + S, &x), HS_OK);
	cr_assert(x.established);
	cr_assert_eq(hst_b->c.st.established, 1);
	cr_assert(!hs_peer_find(&hst_b->c, &hst_a->c.id)->prev.valid);
}

Test(hs, lost_fin_resent)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(T0);
	struct hs_out o, r;

	hs_start(&hst_a->c, pa, &t, &o);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK);
	cr_assert_eq(hst_deliver(hst_a, r.msg, r.len, T0, &o), HS_OK); /* FIN lost */
	cr_assert_eq(pa->state, HS_FIN_SENT);
	cr_assert_null(hs_peer_find(&hst_b->c, &hst_a->c.id), "responder kept state");
	t = hst_t(T0 + S);
	hs_tick(&hst_a->c, pa, &t, &o);
	cr_assert_gt(o.len, HS_AUTH_HDR_LEN);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0 + S, &r), HS_OK);
	cr_assert(r.established);
	hst_b_to_a(T0 + S);
	cr_assert(pa->cur.confirmed);
}

Test(hs, reordered_old_fin_is_stale)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(T0);
	struct hs_out o, r, old;

	hs_start(&hst_a->c, pa, &t, &o);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK);
	cr_assert_eq(hst_deliver(hst_a, r.msg, r.len, T0, &old), HS_OK); /* delayed */
	pa->state = HS_IDLE;
	memset(&pa->next, 0, sizeof(pa->next));
	hst_handshake(T0 + 2 * S);
	hst_b_to_a(T0 + 2 * S);
	cr_assert_eq(hst_deliver(hst_b, old.msg, old.len, T0 + 3 * S, &r), HS_DROP_STALE);
	cr_assert_eq(hst_b->c.st.established, 1);
}

Test(hs, simultaneous_initiation)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b), *pb = hst_peer(hst_b, hst_a);
	struct hs_time t = hst_t(T0);
	struct hs_out ia, ib, ra, rb, f, x;
	struct hst_node *lo, *hi;

	hs_start(&hst_a->c, pa, &t, &ia);
	hs_start(&hst_b->c, pb, &t, &ib);
	lo = memcmp(hst_a->c.id.b, hst_b->c.id.b, ID_LEN) < 0 ? hst_a : hst_b;
	hi = lo == hst_a ? hst_b : hst_a;
	/* both INITs cross */
	cr_assert_eq(hst_deliver(hst_b, ia.msg, ia.len, T0, &rb),
		     lo == hst_a ? HS_OK : HS_DROP_COLLISION);
	cr_assert_eq(hst_deliver(hst_a, ib.msg, ib.len, T0, &ra),
		     lo == hst_b ? HS_OK : HS_DROP_COLLISION);
	/* the higher ID answered; the lower completes */
	struct hs_out *resp = hi == hst_b ? &rb : &ra;

	cr_assert_gt(resp->len, 0);
	cr_assert_eq(hst_deliver(lo, resp->msg, resp->len, T0, &f), HS_OK);
	cr_assert_eq(hst_deliver(hi, f.msg, f.len, T0, &x), HS_OK);
	cr_assert(x.established);
	cr_assert_eq(hs_peer_find(&hi->c, &lo->c.id)->state, HS_IDLE);
	cr_assert_eq(hs_peer_find(&lo->c, &hi->c.id)->next.sid,
		     hs_peer_find(&hi->c, &lo->c.id)->cur.sid);
	cr_assert_eq(lo->c.st.established + hi->c.st.established, 1);
}

Test(hs, cookie_under_load)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(T0);
	struct hs_out o, r, r2;

	hst_b->c.under_load = true;
	hs_start(&hst_a->c, pa, &t, &o);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_DROP_COOKIE);
	cr_assert_eq(r.len, HS_COOKIE_MSG_LEN);
	cr_assert_eq(hst_b->c.st.resp_tx, 0);
	/* the cookie from another address is refused */
	cr_assert_eq(hst_deliver(hst_a, r.msg, r.len, T0, &o), HS_OK);
	cr_assert(o.to_peer);
	hs_recv(&hst_b->c, o.msg, o.len, "other", 5, &t, &r2);
	cr_assert_eq(r2.drop, HS_DROP_COOKIE);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK);
	cr_assert_gt(r.len, HS_AUTH_HDR_LEN);
	/* still valid after one rotation */
	hs_rotate(&hst_b->c, T0 + 61 * S);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0 + 61 * S, &r), HS_OK);
	/* once A has moved on, a cookie is unexpected */
	cr_assert_eq(hst_deliver(hst_a, r.msg, r.len, T0, &o), HS_OK);
	cr_assert_eq(hst_deliver(hst_a, r2.msg, r2.len, T0, &o), HS_DROP_UNEXPECTED);
}

Test(hs, rekey_on_time_keeps_old_session)
{
	struct hs_peer *pa = hst_handshake(T0), *pb;
	struct hs_time t;
	struct hs_out o, r;
	uint64_t old_sid, now = T0 + 120 * S, ctr;
	struct hs_session *s;

	hst_b_to_a(T0);
	old_sid = pa->cur.sid;
	t = hst_t(now - S);
	hs_tick(&hst_a->c, pa, &t, &o);
	cr_assert_eq(o.len, 0, "rekeyed early");
	t = hst_t(now);
	hs_tick(&hst_a->c, pa, &t, &o);
	cr_assert_eq(o.len, HS_INIT_LEN, "no rekey at rekey_after");
	cr_assert_eq(hst_a->c.st.rekeys, 1);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, now, &r), HS_OK);
	cr_assert_eq(hst_deliver(hst_a, r.msg, r.len, now, &o), HS_OK);
	/* until B confirms, A sends under the old session */
	s = hs_tx(&hst_a->c, pa, now, &ctr);
	cr_assert_eq(s->sid, old_sid);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, now, &r), HS_OK);
	pb = hs_peer_find(&hst_b->c, &hst_a->c.id);
	cr_assert_neq(pb->cur.sid, old_sid);
	cr_assert_eq(pb->prev.sid, old_sid);
	/* the old session's datagram in flight is still accepted by B */
	cr_assert_not_null(hs_rx(pb, old_sid, now, &hst_b->c.p));
	hst_b_to_a(now);
	cr_assert_neq(pa->cur.sid, old_sid);
	cr_assert_eq(pa->prev.sid, old_sid);
	/* the old one is gone after reject_after */
	t = hst_t(T0 + 181 * S);
	hs_tick(&hst_a->c, pa, &t, &o);
	cr_assert(!pa->prev.valid);
	cr_assert(pa->cur.valid);
}

Test(hs, rekey_on_message_count)
{
	struct hs_params p;
	struct hs_peer *pb;
	struct hs_time t = hst_t(T0 + S);
	struct hs_out o;
	uint64_t ctr;

	hs_ctx_free(&hst_b->c);
	hs_params_default(&p);
	p.rekey_after_msgs = 10;
	p.reject_after_msgs = 20;
	hst_node_init(hst_b, 2, &hst_ca, 1ULL << 40, &p);
	hst_handshake(T0);
	pb = hs_peer_find(&hst_b->c, &hst_a->c.id);
	for (int i = 0; i < 9; i++)
		cr_assert_not_null(hs_tx(&hst_b->c, pb, T0, &ctr));
	hs_tick(&hst_b->c, pb, &t, &o);
	cr_assert_eq(o.len, 0);
	cr_assert_not_null(hs_tx(&hst_b->c, pb, T0, &ctr));
	hs_tick(&hst_b->c, pb, &t, &o);
	cr_assert_eq(o.len, HS_INIT_LEN, "the responder did not rekey after 10 messages");
	for (int i = 0; i < 10; i++)
		cr_assert_not_null(hs_tx(&hst_b->c, pb, T0, &ctr));
	cr_assert_null(hs_tx(&hst_b->c, pb, T0, &ctr), "sent past reject_after_msgs");
}

Test(hs, replay_window)
{
	struct hs_peer *pa = hst_handshake(T0);
	struct hs_session *s = &pa->next;
	uint64_t sid = s->sid;

	cr_assert_eq(hs_rx_accept(pa, s, 5), 0);
	s = hs_rx(pa, sid, T0, &hst_a->c.p);
	cr_assert_eq(hs_rx_accept(pa, s, 5), -EALREADY);
	cr_assert_eq(hs_rx_accept(pa, s, 0), -EALREADY);
	cr_assert_eq(hs_rx_accept(pa, s, 3), 0); /* reordered, inside the window */
	cr_assert_eq(hs_rx_accept(pa, s, 3), -EALREADY);
	cr_assert_eq(hs_rx_accept(pa, s, 5 + HS_REPLAY_WINDOW), 0);
	cr_assert_eq(hs_rx_accept(pa, s, 5), -EALREADY); /* outside: too old */
	cr_assert_eq(hs_rx_accept(pa, s, 6), 0);	 /* the window's oldest */
	cr_assert_eq(hs_rx_accept(pa, s, 5 + HS_REPLAY_WINDOW - 1), 0);
	cr_assert_eq(hs_rx_accept(pa, s, 5 + HS_REPLAY_WINDOW - 1), -EALREADY);
	cr_assert_eq(hs_rx_accept(pa, s, 7 + HS_REPLAY_WINDOW - 1), 0);
	cr_assert_eq(hs_rx_accept(pa, s, 6), -EALREADY); /* slid out */
	cr_assert_eq(hs_rx_accept(pa, s, 9), 0);
}

Test(hs, restart_refuses_old_fin_and_sessions)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(T0);
	struct hs_out o, r, fin;
	uint64_t sid;

	hs_start(&hst_a->c, pa, &t, &o);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK);
	cr_assert_eq(hst_deliver(hst_a, r.msg, r.len, T0, &fin), HS_OK);
	cr_assert_eq(hst_deliver(hst_b, fin.msg, fin.len, T0, &r), HS_OK);
	sid = hs_peer_find(&hst_b->c, &hst_a->c.id)->cur.sid;
	/* B restarts: the captured FIN and the old session mean nothing */
	hs_ctx_free(&hst_b->c);
	hst_node_init(hst_b, 2, &hst_ca, 1ULL << 40, NULL);
	cr_assert_eq(hst_deliver(hst_b, fin.msg, fin.len, T0 + S, &r), HS_DROP_STALE);
	cr_assert_null(hs_peer_find(&hst_b->c, &hst_a->c.id));
	(void)sid;
}

Test(hs, refused_certificates)
{
	struct hst_node *c = calloc(1, sizeof(*c)), *d = calloc(1, sizeof(*d));
	struct hs_peer *p;
	struct hs_time t = hst_t(T0);
	struct hs_out o, r;

	cr_assert(c && d);
	/* c: certificate from another CA; d: expired (wall time is ~1.7e9 s) */
	hst_node_init(c, 3, &hst_ca2, 1ULL << 40, NULL);
	hst_node_init(d, 4, &hst_ca, 1000, NULL);
	p = hs_peer_get(&c->c, &hst_b->c.id, T0);
	hs_start(&c->c, p, &t, &o);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK); /* stateless RESP */
	cr_assert_eq(hst_deliver(c, r.msg, r.len, T0, &o), HS_OK);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_DROP_CERT);
	cr_assert_eq(hst_b->c.st.cert[CERT_UNTRUSTED_CA], 1);
	cr_assert_null(hs_peer_find(&hst_b->c, &c->c.id));
	p = hs_peer_get(&d->c, &hst_b->c.id, T0);
	hs_start(&d->c, p, &t, &o);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK);
	cr_assert_eq(hst_deliver(d, r.msg, r.len, T0, &o), HS_OK);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_DROP_CERT);
	cr_assert_eq(hst_b->c.st.cert[CERT_EXPIRED], 1);
	cr_assert_null(hs_peer_find(&hst_b->c, &d->c.id));
	hs_ctx_free(&c->c);
	hs_ctx_free(&d->c);
	free(c);
	free(d);
}

Test(hs, forged_identity_refused)
{
	/* M holds a valid certificate of its own and claims to be A */
	struct hst_node *m = calloc(1, sizeof(*m));
	struct hs_peer *p;
	struct hs_time t = hst_t(T0);
	struct hs_out o, r;

	cr_assert_not_null(m);
	hst_node_init(m, 5, &hst_ca, 1ULL << 40, NULL);
	m->c.id = hst_a->c.id;
	p = hs_peer_get(&m->c, &hst_b->c.id, T0);
	hs_start(&m->c, p, &t, &o);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK);
	cr_assert_eq(hst_deliver(m, r.msg, r.len, T0, &o), HS_OK);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_DROP_CERT);
	cr_assert_eq(hst_b->c.st.cert[CERT_WRONG_ID], 1);
	cr_assert_null(hs_peer_find(&hst_b->c, &hst_a->c.id));
	hs_ctx_free(&m->c);
	free(m);
}

static int hst_lost;
static void hst_on_lost(void *arg, struct hs_peer *p)
{
	(void)arg;
	(void)p;
	hst_lost++;
}

Test(hs, revocation_recheck)
{
	struct hs_peer *pa = hst_handshake(T0), *pb;
	struct cert_revlist *rev = calloc(1, sizeof(*rev));

	cr_assert_not_null(rev);
	hst_b_to_a(T0);
	pb = hs_peer_find(&hst_b->c, &hst_a->c.id);
	cr_assert_eq(hs_recheck(&hst_b->c, 1700000000, hst_on_lost, NULL), 0);
	rev->ids[rev->nids++] = hst_a->c.id;
	hst_trust.rev = rev;
	cr_assert_eq(hs_recheck(&hst_b->c, 1700000000, hst_on_lost, NULL), 1);
	hst_trust.rev = NULL;
	cr_assert_eq(hst_lost, 1);
	cr_assert(!pb->cur.valid);
	cr_assert_eq(hst_b->c.st.cert[CERT_REVOKED], 1);
	/* and on A's side: B's certificate expires */
	cr_assert_eq(hs_recheck(&hst_a->c, (1ULL << 40) + 1, NULL, NULL), 1);
	cr_assert(!hs_has_session(pa, T0, &hst_a->c.p));
	free(rev);
}

Test(hs, malformed_and_misaddressed)
{
	struct hs_peer *pa = hst_peer(hst_a, hst_b);
	struct hs_time t = hst_t(T0);
	struct hs_out o, r;
	uint8_t b[HS_MAX_MSG];

	hs_start(&hst_a->c, pa, &t, &o);
	for (size_t len = 0; len < o.len; len++)
		cr_assert_neq(hst_deliver(hst_b, o.msg, len, T0, &r), HS_OK, "%zu", len);
	memcpy(b, o.msg, o.len);
	b[30] ^= 1;
	cr_assert_eq(hst_deliver(hst_b, b, o.len, T0, &r), HS_DROP_WRONG_DEST);
	memcpy(b, o.msg, o.len);
	b[5] = 1;
	cr_assert_eq(hst_deliver(hst_b, b, o.len, T0, &r), HS_DROP_MALFORMED);
	cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK);
	/* every corrupted byte of a RESP is refused */
	for (size_t i = 0; i < r.len; i++) {
		struct hs_out x;

		memcpy(b, r.msg, r.len);
		b[i] ^= 0x20;
		cr_assert_neq(hst_deliver(hst_a, b, r.len, T0, &x), HS_OK, "byte %zu", i);
	}
	cr_assert_eq(hst_deliver(hst_a, r.msg, r.len, T0, &o), HS_OK);
}

Test(hs, table_bounded)
{
	struct hs_params p;
	struct hst_node *n[3];
	struct hs_time t = hst_t(T0);
	struct hs_out o, r;

	hs_params_default(&p);
	hs_ctx_free(&hst_b->c);
	hst_node_init(hst_b, 2, &hst_ca, 1ULL << 40, &p);
	hst_b->c.cap = 2; /* smaller than allocated: the bound is cap */
	for (int i = 0; i < 3; i++) {
		struct hs_peer *pp;

		n[i] = calloc(1, sizeof(*n[i]));
		cr_assert_not_null(n[i]);
		hst_node_init(n[i], (uint8_t)(10 + i), &hst_ca, 1ULL << 40, NULL);
		pp = hs_peer_get(&n[i]->c, &hst_b->c.id, T0);
		hs_start(&n[i]->c, pp, &t, &o);
		cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r), HS_OK);
		cr_assert_eq(hst_deliver(n[i], r.msg, r.len, T0, &o), HS_OK);
		cr_assert_eq(hst_deliver(hst_b, o.msg, o.len, T0, &r),
			     i < 2 ? HS_OK : HS_DROP_TABLE_FULL, "peer %d", i);
	}
	cr_assert_eq(hst_b->c.npeers, 2);
	for (int i = 0; i < 3; i++) {
		hs_ctx_free(&n[i]->c);
		free(n[i]);
	}
}
