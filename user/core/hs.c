// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The session handshake (see hs.h and docs/identity.md). */
#include <errno.h>
#include <stdlib.h>
#include <sodium.h>

#include "core/hs.h"

#define NS_PER_S     1000000000ULL
#define KDF_CTX	     "ipophs02"
#define LABEL_H	     "ipop-bpf hs v2"
#define SIG_LABEL_R  "ipop-bpf hs2 R"
#define SIG_LABEL_I  "ipop-bpf hs2 I"
#define SIG_LABEL_SZ 16

enum { KDF_KR = 1, KDF_KI, KDF_I2R, KDF_R2I, KDF_SID };

/* prefix offsets */
enum { P_MAGIC = 0, P_VERSION = 2, P_TYPE = 3, P_RSVD = 4, P_SRC = 8, P_DST = 24 };
/* after the prefix */
enum {
	A_EI = HS_PREFIX_LEN,
	A_ER = A_EI + HS_EPH_LEN,
	A_NONCE = A_ER + HS_EPH_LEN,
	A_CLEN = A_NONCE + HS_NONCE_LEN,
	A_CT = A_CLEN + 2,
	I_COOKIE = HS_PREFIX_LEN + HS_EPH_LEN,
};

_Static_assert(A_CT == HS_AUTH_HDR_LEN, "auth layout");
_Static_assert(HS_KEY_LEN == crypto_kdf_KEYBYTES, "kdf key");
_Static_assert(sizeof(KDF_CTX) - 1 == crypto_kdf_CONTEXTBYTES, "kdf context");
_Static_assert(HS_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(HS_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(HS_EPH_LEN == crypto_scalarmult_BYTES, "x25519");

const char *const hs_drop_names[HS_DROP__MAX] = {
	[HS_OK] = "ok",
	[HS_DROP_MALFORMED] = "malformed",
	[HS_DROP_WRONG_DEST] = "wrong_dest",
	[HS_DROP_BAD_AUTH] = "bad_auth",
	[HS_DROP_CERT] = "cert_refused",
	[HS_DROP_UNEXPECTED] = "unexpected",
	[HS_DROP_COLLISION] = "collision",
	[HS_DROP_STALE] = "stale",
	[HS_DROP_COOKIE] = "cookie_sent",
	[HS_DROP_TABLE_FULL] = "table_full",
};

void hs_params_default(struct hs_params *p)
{
	*p = (struct hs_params){
		.retry_ns = NS_PER_S,
		.max_tries = 5,
		.rekey_after_ns = 120 * NS_PER_S,
		.reject_after_ns = 180 * NS_PER_S,
		.rekey_after_msgs = 1ULL << 60,
		.reject_after_msgs = (1ULL << 62),
		.secret_rotate_ns = 60 * NS_PER_S,
	};
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int hs_ctx_init(struct hs_ctx *c, const struct ident *self, const uint8_t *cert, size_t cert_len,
		const struct cert_trust *trust, const struct hs_params *p, uint32_t cap,
		uint64_t now)
{
	memset(c, 0, sizeof(*c));
	if (sodium_init() < 0)
		return -EIO;
	if (cert_len > CERT_MAX_LEN || cap == 0)
		return -EINVAL;
	c->peers = calloc(cap, sizeof(*c->peers));
	if (!c->peers)
		return -ENOMEM;
	c->cap = cap;
	c->self = *self;
	ident_node_id(self->pub, &c->id);
	memcpy(c->cert, cert, cert_len);
	c->cert_len = (uint16_t)cert_len;
	c->trust = trust;
	if (p)
		c->p = *p;
	else
		hs_params_default(&c->p);
	randombytes_buf(c->secret, sizeof(c->secret));
	c->secret_at = now;
	return 0;
}

static void session_wipe(struct hs_session *s)
{
	sodium_memzero(s, sizeof(*s));
}

void hs_peer_drop(struct hs_ctx *c, struct hs_peer *p)
{
	(void)c;
	sodium_memzero(p, sizeof(*p));
}

void hs_ctx_free(struct hs_ctx *c)
{
	if (c->peers) {
		for (uint32_t i = 0; i < c->cap; i++)
			hs_peer_drop(c, &c->peers[i]);
		free(c->peers);
	}
	sodium_memzero(c, sizeof(*c));
}

struct hs_peer *hs_peer_find(struct hs_ctx *c, const struct node_id *id)
{
	for (uint32_t i = 0; i < c->npeers; i++)
		if (c->peers[i].used && node_id_eq(&c->peers[i].id, id))
			return &c->peers[i];
	return NULL;
}

static bool live(const struct hs_session *s, uint64_t now, const struct hs_params *prm)
{
	return s->valid && now - s->created < prm->reject_after_ns &&
	       s->tx_ctr - 1 < prm->reject_after_msgs; /* tx_ctr - 1 sent so far */
}

bool hs_has_session(const struct hs_peer *p, uint64_t now, const struct hs_params *prm)
{
	return live(&p->cur, now, prm) || live(&p->next, now, prm);
}

struct hs_peer *hs_peer_get(struct hs_ctx *c, const struct node_id *id, uint64_t now)
{
	struct hs_peer *p = hs_peer_find(c, id), *victim = NULL;

	if (p)
		return p;
	for (uint32_t i = 0; i < c->npeers && !victim; i++)
		if (!c->peers[i].used)
			victim = &c->peers[i];
	if (!victim && c->npeers < c->cap)
		victim = &c->peers[c->npeers++];
	/* full: reuse a peer nobody wants and that has no live session */
	for (uint32_t i = 0; i < c->npeers && !victim; i++)
		if (!c->peers[i].want && !hs_has_session(&c->peers[i], now, &c->p) &&
		    !live(&c->peers[i].prev, now, &c->p))
			victim = &c->peers[i];
	if (!victim)
		return NULL;
	hs_peer_drop(c, victim);
	victim->used = true;
	victim->id = *id;
	return victim;
}

/* ---- message pieces ---- */

static void put_prefix(uint8_t *b, uint8_t type, const struct node_id *src,
		       const struct node_id *dst)
{
	b[P_MAGIC] = HS_MAGIC >> 8;
	b[P_MAGIC + 1] = HS_MAGIC & 0xff;
	b[P_VERSION] = HS_VERSION;
	b[P_TYPE] = type;
	memset(b + P_RSVD, 0, 4);
	memcpy(b + P_SRC, src->b, ID_LEN);
	memcpy(b + P_DST, dst->b, ID_LEN);
}

int hs_peek_type(const uint8_t *buf, size_t len)
{
	if (len < 4 || buf[P_MAGIC] != (HS_MAGIC >> 8) || buf[P_MAGIC + 1] != (HS_MAGIC & 0xff) ||
	    buf[P_VERSION] != HS_VERSION)
		return 0;
	return buf[P_TYPE];
}

static void transcript(uint8_t h[32], const struct node_id *i, const struct node_id *r,
		       const uint8_t e_i[HS_EPH_LEN], const uint8_t e_r[HS_EPH_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)LABEL_H, sizeof(LABEL_H) - 1);
	crypto_generichash_update(&st, i->b, ID_LEN);
	crypto_generichash_update(&st, r->b, ID_LEN);
	crypto_generichash_update(&st, e_i, HS_EPH_LEN);
	crypto_generichash_update(&st, e_r, HS_EPH_LEN);
	crypto_generichash_final(&st, h, 32);
}

/* prk = BLAKE2b(key = X25519(sk, pk), h); -1 for a low-order point. */
static int derive_prk(uint8_t prk[HS_KEY_LEN], const uint8_t sk[HS_EPH_LEN],
		      const uint8_t pk[HS_EPH_LEN], const uint8_t h[32])
{
	uint8_t dh[HS_EPH_LEN];
	int ret = crypto_scalarmult(dh, sk, pk);

	if (ret == 0)
		crypto_generichash(prk, HS_KEY_LEN, h, 32, dh, sizeof(dh));
	sodium_memzero(dh, sizeof(dh));
	return ret;
}

static void subkey(uint8_t *out, size_t len, uint64_t id, const uint8_t prk[HS_KEY_LEN])
{
	crypto_kdf_derive_from_key(out, len, id, KDF_CTX, prk);
}

/* The responder's ephemeral for an INIT: no state kept between INIT and FIN. */
static void responder_eph(const struct hs_ctx *c, int k, const struct node_id *i,
			  const uint8_t e_i[HS_EPH_LEN], uint8_t sk[HS_EPH_LEN],
			  uint8_t pk[HS_EPH_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, c->secret[k], HS_KEY_LEN, HS_EPH_LEN);
	crypto_generichash_update(&st, (const uint8_t *)"eph", 3);
	crypto_generichash_update(&st, i->b, ID_LEN);
	crypto_generichash_update(&st, c->id.b, ID_LEN);
	crypto_generichash_update(&st, e_i, HS_EPH_LEN);
	crypto_generichash_final(&st, sk, HS_EPH_LEN);
	crypto_scalarmult_base(pk, sk);
}

static void cookie_of(const struct hs_ctx *c, int k, const void *addr, size_t alen,
		      const struct node_id *i, const uint8_t e_i[HS_EPH_LEN],
		      uint8_t out[HS_COOKIE_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, c->secret[k], HS_KEY_LEN, HS_COOKIE_LEN);
	crypto_generichash_update(&st, (const uint8_t *)"cookie", 6);
	crypto_generichash_update(&st, addr, alen);
	crypto_generichash_update(&st, i->b, ID_LEN);
	crypto_generichash_update(&st, e_i, HS_EPH_LEN);
	crypto_generichash_final(&st, out, HS_COOKIE_LEN);
}

static void sig_msg(uint8_t m[SIG_LABEL_SZ + 32 + 8], const char *label, const uint8_t h[32],
		    uint64_t ts)
{
	memset(m, 0, SIG_LABEL_SZ);
	memcpy(m, label, strlen(label));
	memcpy(m + SIG_LABEL_SZ, h, 32);
	put64(m + SIG_LABEL_SZ + 32, ts);
}

/* RESP or FIN: prefix, e_i, e_r, nonce, clen, AEAD_k(ts, cert, sig(label, h, ts)). */
static uint16_t build_auth(const struct hs_ctx *c, uint8_t type, const struct node_id *dst,
			   const uint8_t e_i[HS_EPH_LEN], const uint8_t e_r[HS_EPH_LEN],
			   const uint8_t k[HS_KEY_LEN], const uint8_t h[32], uint64_t ts,
			   uint8_t *out)
{
	uint8_t pt[8 + CERT_MAX_LEN + IDENT_SIG_LEN], m[SIG_LABEL_SZ + 40];
	size_t ptlen = 8 + c->cert_len + IDENT_SIG_LEN;
	unsigned long long clen;

	put_prefix(out, type, &c->id, dst);
	memcpy(out + A_EI, e_i, HS_EPH_LEN);
	memcpy(out + A_ER, e_r, HS_EPH_LEN);
	randombytes_buf(out + A_NONCE, HS_NONCE_LEN);
	out[A_CLEN] = (uint8_t)(c->cert_len >> 8);
	out[A_CLEN + 1] = c->cert_len & 0xff;
	put64(pt, ts);
	memcpy(pt + 8, c->cert, c->cert_len);
	sig_msg(m, type == HS_T_RESP ? SIG_LABEL_R : SIG_LABEL_I, h, ts);
	ident_sign(&c->self, m, sizeof(m), pt + 8 + c->cert_len);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + A_CT, &clen, pt, ptlen, out, A_CT, NULL,
						   out + A_NONCE, k);
	return (uint16_t)(A_CT + clen);
}

struct auth_in {
	const uint8_t *e_i, *e_r;
	uint64_t ts;
	struct cert cert;
};

/* Layout only (before any crypto). */
static enum hs_drop auth_layout(const uint8_t *buf, size_t len)
{
	size_t clen;

	if (len < A_CT)
		return HS_DROP_MALFORMED;
	clen = (size_t)buf[A_CLEN] << 8 | buf[A_CLEN + 1];
	if (clen > CERT_MAX_LEN || len != A_CT + 8 + clen + IDENT_SIG_LEN + HS_TAG_LEN)
		return HS_DROP_MALFORMED;
	return HS_OK;
}

/* Decrypt with k and check the certificate and signature; fills in. */
static enum hs_drop auth_open(struct hs_ctx *c, const uint8_t *buf, size_t len,
			      const struct node_id *src, const uint8_t k[HS_KEY_LEN],
			      const uint8_t h[32], const char *label, uint64_t wall_s,
			      struct auth_in *in)
{
	uint8_t pt[8 + CERT_MAX_LEN + IDENT_SIG_LEN], m[SIG_LABEL_SZ + 40];
	size_t clen = (size_t)buf[A_CLEN] << 8 | buf[A_CLEN + 1];
	unsigned long long ptlen;
	enum cert_status s;
	char err[8];

	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL, buf + A_CT, len - A_CT,
						       buf, A_CT, buf + A_NONCE, k) != 0)
		return HS_DROP_BAD_AUTH;
	in->ts = get64(pt);
	if (cert_decode(pt + 8, clen, &in->cert, err, sizeof(err)) != 0) {
		c->st.cert[CERT_BAD_SIG]++;
		return HS_DROP_CERT;
	}
	s = cert_check_id(&in->cert, src, c->trust, wall_s);
	if (s != CERT_OK) {
		c->st.cert[s]++;
		return HS_DROP_CERT;
	}
	sig_msg(m, label, h, in->ts);
	if (ident_verify(in->cert.node_pub, m, sizeof(m), pt + 8 + clen))
		return HS_DROP_BAD_AUTH;
	return HS_OK;
}

static void session_make(struct hs_session *s, const uint8_t prk[HS_KEY_LEN], bool initiator,
			 uint64_t now)
{
	uint8_t sid[16];

	session_wipe(s);
	subkey(initiator ? s->tx_key : s->rx_key, HS_KEY_LEN, KDF_I2R, prk);
	subkey(initiator ? s->rx_key : s->tx_key, HS_KEY_LEN, KDF_R2I, prk);
	subkey(sid, sizeof(sid), KDF_SID, prk);
	s->sid = get64(sid);
	s->valid = true;
	s->initiator = initiator;
	s->confirmed = !initiator;
	s->created = now;
	s->tx_ctr = 1;
}

/* ---- initiator ---- */

static void send_init(struct hs_ctx *c, struct hs_peer *p, uint64_t now, struct hs_out *out)
{
	put_prefix(out->msg, HS_T_INIT, &c->id, &p->id);
	memcpy(out->msg + A_EI, p->e_pk, HS_EPH_LEN);
	if (p->have_cookie)
		memcpy(out->msg + I_COOKIE, p->cookie, HS_COOKIE_LEN);
	else
		memset(out->msg + I_COOKIE, 0, HS_COOKIE_LEN);
	out->len = HS_INIT_LEN;
	out->to_peer = true;
	out->peer = p;
	p->last_send = now;
	c->st.init_tx++;
}

void hs_start(struct hs_ctx *c, struct hs_peer *p, const struct hs_time *t, struct hs_out *out)
{
	out->drop = HS_OK;
	out->established = false;
	randombytes_buf(p->e_sk, HS_EPH_LEN);
	crypto_scalarmult_base(p->e_pk, p->e_sk);
	p->state = HS_INIT_SENT;
	p->tries = 1;
	p->have_cookie = false;
	send_init(c, p, t->mono, out);
}

static enum hs_drop on_cookie(struct hs_ctx *c, const uint8_t *buf, size_t len,
			      const struct node_id *src, const struct hs_time *t,
			      struct hs_out *out)
{
	struct hs_peer *p = hs_peer_find(c, src);

	if (len != HS_COOKIE_MSG_LEN)
		return HS_DROP_MALFORMED;
	if (!p || p->state != HS_INIT_SENT || sodium_memcmp(buf + A_EI, p->e_pk, HS_EPH_LEN))
		return HS_DROP_UNEXPECTED;
	memcpy(p->cookie, buf + I_COOKIE, HS_COOKIE_LEN);
	p->have_cookie = true;
	send_init(c, p, t->mono, out);
	return HS_OK;
}

static enum hs_drop on_resp(struct hs_ctx *c, const uint8_t *buf, size_t len,
			    const struct node_id *src, const struct hs_time *t, struct hs_out *out)
{
	struct hs_peer *p = hs_peer_find(c, src);
	uint8_t h[32], prk[HS_KEY_LEN], k[HS_KEY_LEN];
	struct auth_in *in;
	enum hs_drop rc = auth_layout(buf, len);

	if (rc != HS_OK)
		return rc;
	if (p && p->state == HS_FIN_SENT && p->next.valid &&
	    !sodium_memcmp(buf + A_ER, p->fin_e_r, HS_EPH_LEN)) {
		/* our FIN was lost and the RESP resent: resend the FIN */
		memcpy(out->msg, p->fin, p->fin_len);
		out->len = p->fin_len;
		out->to_peer = true;
		out->peer = p;
		c->st.fin_tx++;
		return HS_OK;
	}
	if (!p || p->state != HS_INIT_SENT || sodium_memcmp(buf + A_EI, p->e_pk, HS_EPH_LEN))
		return HS_DROP_UNEXPECTED;
	transcript(h, &c->id, src, p->e_pk, buf + A_ER);
	if (derive_prk(prk, p->e_sk, buf + A_ER, h))
		return HS_DROP_BAD_AUTH;
	subkey(k, sizeof(k), KDF_KR, prk);
	in = malloc(sizeof(*in));
	if (!in)
		return HS_DROP_TABLE_FULL;
	rc = auth_open(c, buf, len, src, k, h, SIG_LABEL_R, t->wall / NS_PER_S, in);
	if (rc == HS_OK) {
		uint64_t ts = t->wall > c->last_ts ? t->wall : c->last_ts + 1;

		c->last_ts = ts;
		subkey(k, sizeof(k), KDF_KI, prk);
		p->fin_len = build_auth(c, HS_T_FIN, src, p->e_pk, buf + A_ER, k, h, ts, p->fin);
		memcpy(p->fin_e_r, buf + A_ER, HS_EPH_LEN);
		session_make(&p->next, prk, true, t->mono);
		p->cert = in->cert;
		p->have_cert = true;
		p->state = HS_FIN_SENT;
		p->tries = 1;
		p->last_send = t->mono;
		sodium_memzero(p->e_sk, HS_EPH_LEN);
		memcpy(out->msg, p->fin, p->fin_len);
		out->len = p->fin_len;
		out->to_peer = true;
		out->peer = p;
		c->st.fin_tx++;
	}
	free(in);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(k, sizeof(k));
	return rc;
}

/* ---- responder ---- */

static enum hs_drop on_init(struct hs_ctx *c, const uint8_t *buf, size_t len,
			    const struct node_id *src, const void *addr, size_t alen,
			    struct hs_out *out)
{
	struct hs_peer *p = hs_peer_find(c, src);
	uint8_t sk[HS_EPH_LEN], pk[HS_EPH_LEN], h[32], prk[HS_KEY_LEN], k[HS_KEY_LEN];
	uint8_t ck[HS_COOKIE_LEN];
	const uint8_t *e_i = buf + A_EI;

	if (len != HS_INIT_LEN)
		return HS_DROP_MALFORMED;
	c->st.init_rx++;
	if (p && p->state == HS_INIT_SENT) {
		if (memcmp(c->id.b, src->b, ID_LEN) < 0)
			return HS_DROP_COLLISION; /* ours wins; the peer will answer it */
		p->state = HS_IDLE;
		sodium_memzero(p->e_sk, HS_EPH_LEN);
	}
	if (c->under_load) {
		bool ok = false;

		for (int i = 0; i < 2 && !ok; i++) {
			cookie_of(c, i, addr, alen, src, e_i, ck);
			ok = !sodium_memcmp(ck, buf + I_COOKIE, HS_COOKIE_LEN);
		}
		if (!ok) {
			cookie_of(c, 0, addr, alen, src, e_i, ck);
			put_prefix(out->msg, HS_T_COOKIE, &c->id, src);
			memcpy(out->msg + A_EI, e_i, HS_EPH_LEN);
			memcpy(out->msg + I_COOKIE, ck, HS_COOKIE_LEN);
			out->len = HS_COOKIE_MSG_LEN;
			c->st.cookie_tx++;
			return HS_DROP_COOKIE;
		}
	}
	responder_eph(c, 0, src, e_i, sk, pk);
	transcript(h, src, &c->id, e_i, pk);
	if (derive_prk(prk, sk, e_i, h)) {
		sodium_memzero(sk, sizeof(sk));
		return HS_DROP_BAD_AUTH;
	}
	subkey(k, sizeof(k), KDF_KR, prk);
	out->len = build_auth(c, HS_T_RESP, src, e_i, pk, k, h, 0, out->msg);
	c->st.resp_tx++;
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(k, sizeof(k));
	return HS_OK;
}

static enum hs_drop on_fin(struct hs_ctx *c, const uint8_t *buf, size_t len,
			   const struct node_id *src, const struct hs_time *t, struct hs_out *out)
{
	uint8_t sk[HS_EPH_LEN], pk[HS_EPH_LEN], h[32], prk[HS_KEY_LEN], k[HS_KEY_LEN];
	enum hs_drop rc = auth_layout(buf, len);
	struct hs_session s;
	struct auth_in *in;
	struct hs_peer *p;
	int i;

	if (rc != HS_OK)
		return rc;
	for (i = 0; i < 2; i++) {
		responder_eph(c, i, src, buf + A_EI, sk, pk);
		if (!sodium_memcmp(pk, buf + A_ER, HS_EPH_LEN))
			break;
	}
	if (i == 2) {
		sodium_memzero(sk, sizeof(sk));
		return HS_DROP_STALE; /* not our e_r, or from before the last two rotations */
	}
	transcript(h, src, &c->id, buf + A_EI, pk);
	rc = derive_prk(prk, sk, buf + A_EI, h) ? HS_DROP_BAD_AUTH : HS_OK;
	sodium_memzero(sk, sizeof(sk));
	if (rc != HS_OK)
		return rc;
	subkey(k, sizeof(k), KDF_KI, prk);
	in = malloc(sizeof(*in));
	if (!in)
		return HS_DROP_TABLE_FULL;
	rc = auth_open(c, buf, len, src, k, h, SIG_LABEL_I, t->wall / NS_PER_S, in);
	p = rc == HS_OK ? hs_peer_get(c, src, t->mono) : NULL;
	if (rc == HS_OK && !p)
		rc = HS_DROP_TABLE_FULL;
	if (rc == HS_OK) {
		session_make(&s, prk, false, t->mono);
		if (p->cur.valid && p->cur.sid == s.sid) {
			out->established = true; /* a resent FIN: confirm again */
			out->peer = p;
		} else if (in->ts <= p->last_fin_ts) {
			rc = HS_DROP_STALE;
		} else {
			p->last_fin_ts = in->ts;
			if (p->state != HS_IDLE) { /* our own attempt yields to this one */
				p->state = HS_IDLE;
				session_wipe(&p->next);
				sodium_memzero(p->e_sk, HS_EPH_LEN);
			}
			p->prev = p->cur;
			p->cur = s;
			p->cert = in->cert;
			p->have_cert = true;
			out->established = true;
			out->peer = p;
			c->st.established++;
		}
		session_wipe(&s);
	}
	free(in);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(k, sizeof(k));
	return rc;
}

void hs_recv(struct hs_ctx *c, const uint8_t *buf, size_t len, const void *src_addr, size_t alen,
	     const struct hs_time *t, struct hs_out *out)
{
	struct node_id src, dst;
	enum hs_drop rc;

	out->len = 0;
	out->to_peer = false;
	out->established = false;
	out->peer = NULL;
	if (len < HS_PREFIX_LEN || len > HS_MAX_MSG || hs_peek_type(buf, len) < HS_T_INIT ||
	    hs_peek_type(buf, len) > HS_T_FIN || buf[P_RSVD] || buf[P_RSVD + 1] ||
	    buf[P_RSVD + 2] || buf[P_RSVD + 3]) {
		rc = HS_DROP_MALFORMED;
		goto out;
	}
	memcpy(src.b, buf + P_SRC, ID_LEN);
	memcpy(dst.b, buf + P_DST, ID_LEN);
	if (!node_id_eq(&dst, &c->id)) {
		rc = HS_DROP_WRONG_DEST;
		goto out;
	}
	if (node_id_eq(&src, &c->id)) {
		rc = HS_DROP_MALFORMED;
		goto out;
	}
	switch (buf[P_TYPE]) {
	case HS_T_INIT:
		rc = on_init(c, buf, len, &src, src_addr, alen, out);
		break;
	case HS_T_COOKIE:
		rc = on_cookie(c, buf, len, &src, t, out);
		break;
	case HS_T_RESP:
		rc = on_resp(c, buf, len, &src, t, out);
		break;
	default:
		rc = on_fin(c, buf, len, &src, t, out);
		break;
	}
out:
	out->drop = rc;
	if (rc != HS_OK)
		c->st.drop[rc]++;
}

/* ---- timers and data ---- */

void hs_rotate(struct hs_ctx *c, uint64_t now)
{
	if (now - c->secret_at < c->p.secret_rotate_ns)
		return;
	memcpy(c->secret[1], c->secret[0], HS_KEY_LEN);
	randombytes_buf(c->secret[0], HS_KEY_LEN);
	c->secret_at = now;
}

static void expire(struct hs_ctx *c, struct hs_session *s, uint64_t now)
{
	if (s->valid && !live(s, now, &c->p)) {
		session_wipe(s);
		c->st.expired++;
	}
}

void hs_tick(struct hs_ctx *c, struct hs_peer *p, const struct hs_time *t, struct hs_out *out)
{
	uint64_t now = t->mono;
	bool due = now - p->last_send >= c->p.retry_ns, rekey;

	out->len = 0;
	out->established = false;
	out->drop = HS_OK;
	out->peer = p;
	expire(c, &p->cur, now);
	expire(c, &p->prev, now);
	expire(c, &p->next, now);
	if (p->state == HS_FIN_SENT && !p->next.valid)
		p->state = HS_IDLE;
	if (p->state == HS_INIT_SENT && due) {
		if (p->tries >= c->p.max_tries) {
			p->state = HS_IDLE;
			sodium_memzero(p->e_sk, HS_EPH_LEN);
		} else {
			p->tries++;
			send_init(c, p, now, out);
			return;
		}
	}
	if (p->state == HS_FIN_SENT && due) {
		if (p->tries >= c->p.max_tries) {
			p->state = HS_IDLE;
			session_wipe(&p->next);
		} else {
			p->tries++;
			p->last_send = now;
			memcpy(out->msg, p->fin, p->fin_len);
			out->len = p->fin_len;
			out->to_peer = true;
			c->st.fin_tx++;
			return;
		}
	}
	if (p->state != HS_IDLE || !due)
		return;
	rekey = p->cur.valid &&
		((p->cur.initiator && now - p->cur.created >= c->p.rekey_after_ns) ||
		 p->cur.tx_ctr - 1 >= c->p.rekey_after_msgs);
	if (rekey)
		c->st.rekeys++;
	if (rekey || (p->want && !hs_has_session(p, now, &c->p)))
		hs_start(c, p, t, out);
}

struct hs_session *hs_tx(struct hs_ctx *c, struct hs_peer *p, uint64_t now, uint64_t *ctr)
{
	struct hs_session *s = live(&p->cur, now, &c->p)    ? &p->cur
			       : live(&p->next, now, &c->p) ? &p->next
							    : NULL;

	if (!s)
		return NULL;
	*ctr = s->tx_ctr++;
	return s;
}

struct hs_session *hs_rx(struct hs_peer *p, uint64_t sid, uint64_t now, const struct hs_params *prm)
{
	struct hs_session *all[3] = { &p->cur, &p->next, &p->prev };

	for (int i = 0; i < 3; i++)
		if (all[i]->valid && all[i]->sid == sid &&
		    now - all[i]->created < prm->reject_after_ns)
			return all[i];
	return NULL;
}

/* bits <<= s, for s < HS_REPLAY_WINDOW */
static void window_shift(uint64_t *bits, uint64_t s)
{
	unsigned int words = (unsigned int)(s / 64), sh = (unsigned int)(s % 64);

	for (int i = HS_REPLAY_WORDS - 1; i >= 0; i--) {
		int from = i - (int)words;
		uint64_t v = from >= 0 ? bits[from] << sh : 0;

		if (sh && from - 1 >= 0)
			v |= bits[from - 1] >> (64 - sh);
		bits[i] = v;
	}
}

int hs_rx_accept(struct hs_peer *p, struct hs_session *s, uint64_t ctr)
{
	uint64_t d;

	if (ctr == 0)
		return -EALREADY;
	if (ctr > s->rx_top) {
		d = ctr - s->rx_top;
		if (d >= HS_REPLAY_WINDOW || s->rx_top == 0)
			memset(s->rx_bits, 0, sizeof(s->rx_bits));
		else
			window_shift(s->rx_bits, d);
		s->rx_bits[0] |= 1;
		s->rx_top = ctr;
	} else {
		d = s->rx_top - ctr;
		if (d >= HS_REPLAY_WINDOW || (s->rx_bits[d / 64] >> (d % 64) & 1))
			return -EALREADY;
		s->rx_bits[d / 64] |= 1ULL << (d % 64);
	}
	if (s == &p->next) { /* the responder has it: it becomes the session */
		p->prev = p->cur;
		p->cur = p->next;
		p->cur.confirmed = true;
		session_wipe(&p->next);
		p->state = HS_IDLE;
	}
	return 0;
}

/* cert_check without the signature (verified at the handshake): cheap enough per tick. */
static enum cert_status recheck_one(const struct hs_ctx *c, const struct hs_peer *p,
				    uint64_t wall_s)
{
	const struct cert_trust *t = c->trust;
	size_t i;

	for (i = 0; i < t->nca; i++)
		if (!sodium_memcmp(t->ca[i], p->cert.ca_pub, IDENT_PUB_LEN))
			break;
	if (i == t->nca)
		return CERT_UNTRUSTED_CA;
	if (cert_revoked(t->rev, &p->cert))
		return CERT_REVOKED;
	if (wall_s < p->cert.not_before)
		return CERT_NOT_YET_VALID;
	return wall_s > p->cert.not_after ? CERT_EXPIRED : CERT_OK;
}

int hs_recheck(struct hs_ctx *c, uint64_t wall_s, void (*lost)(void *arg, struct hs_peer *p),
	       void *arg)
{
	int n = 0;

	for (uint32_t i = 0; i < c->npeers; i++) {
		struct hs_peer *p = &c->peers[i];
		enum cert_status s;

		if (!p->used || !p->have_cert)
			continue;
		s = recheck_one(c, p, wall_s);
		if (s == CERT_OK)
			continue;
		c->st.cert[s]++;
		session_wipe(&p->cur);
		session_wipe(&p->prev);
		session_wipe(&p->next);
		p->state = HS_IDLE;
		p->have_cert = false;
		n++;
		if (lost)
			lost(arg, p);
	}
	return n;
}
