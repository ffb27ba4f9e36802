/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sessions between neighbours: a sans-I/O handshake state machine (no
 * sockets, no clock: every entry point takes the time). SIGMA-I over
 * libsodium primitives, message layout in docs/identity.md:
 *
 *   INIT   I -> R  src, dst, e_i, cookie
 *   COOKIE R -> I  e_i, cookie                 (only when R is under load)
 *   RESP   R -> I  e_i, e_r, AEAD_kr(cert_R, sig_R(h))
 *   FIN    I -> R  e_i, e_r, AEAD_ki(ts, cert_I, sig_I(h, ts))
 *
 * e_i, e_r: ephemeral X25519 keys; h = BLAKE2b(label, I, R, e_i, e_r);
 * kr, ki and the session keys come from crypto_kdf over
 * BLAKE2b(key = X25519(e_i, e_r), h). The responder keeps no state until a
 * FIN verifies: it derives e_r from a secret it rotates and the INIT, so a
 * peer without a completed handshake costs at most one handshake per
 * datagram and no memory. Sessions rekey on time and on message count;
 * when both ends initiate at once, the lower node ID stays the initiator.
 */
#ifndef IPOP_FW_HS_H
#define IPOP_FW_HS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"

#define HS_MAGIC	  0x4943 /* "IC", shared with ICC datagrams */
#define HS_VERSION	  2
#define HS_PREFIX_LEN	  40 /* magic, version, type, 4 reserved, src, dst */
#define HS_KEY_LEN	  32
#define HS_EPH_LEN	  32
#define HS_COOKIE_LEN	  16
#define HS_NONCE_LEN	  24 /* XChaCha20-Poly1305 */
#define HS_TAG_LEN	  16
#define HS_INIT_LEN	  (HS_PREFIX_LEN + HS_EPH_LEN + HS_COOKIE_LEN)
#define HS_COOKIE_MSG_LEN (HS_PREFIX_LEN + HS_EPH_LEN + HS_COOKIE_LEN)
#define HS_AUTH_HDR_LEN	  (HS_PREFIX_LEN + 2 * HS_EPH_LEN + HS_NONCE_LEN + 2)
#define HS_AUTH_MAX_LEN	  (HS_AUTH_HDR_LEN + 8 + CERT_MAX_LEN + IDENT_SIG_LEN + HS_TAG_LEN)
#define HS_MAX_MSG	  HS_AUTH_MAX_LEN
#define HS_REPLAY_WORDS	  4
#define HS_REPLAY_WINDOW  (64 * HS_REPLAY_WORDS)

enum hs_type {
	HS_T_INIT = 3, /* types 1 and 2 are ICC DATA and KEEPALIVE */
	HS_T_COOKIE = 4,
	HS_T_RESP = 5,
	HS_T_FIN = 6,
};

enum hs_drop {
	HS_OK = 0,
	HS_DROP_MALFORMED,
	HS_DROP_WRONG_DEST,
	HS_DROP_BAD_AUTH,   /* AEAD or signature */
	HS_DROP_CERT,	    /* certificate refused (cert_status counted apart) */
	HS_DROP_UNEXPECTED, /* not expected in this state */
	HS_DROP_COLLISION,  /* simultaneous INIT: the lower ID keeps initiating */
	HS_DROP_STALE,	    /* FIN older than the peer's last one, or for an old secret */
	HS_DROP_COOKIE,	    /* under load: answered with a cookie */
	HS_DROP_TABLE_FULL,
	HS_DROP__MAX,
};

extern const char *const hs_drop_names[HS_DROP__MAX];

struct hs_params {
	uint64_t retry_ns;	   /* resend INIT/FIN after this (default 1 s) */
	uint32_t max_tries;	   /* then give up the attempt (default 5) */
	uint64_t rekey_after_ns;   /* initiator starts a new handshake (120 s) */
	uint64_t reject_after_ns;  /* a session is dropped (180 s) */
	uint64_t rekey_after_msgs; /* either side rekeys after sending this many (2^60) */
	uint64_t reject_after_msgs;
	uint64_t secret_rotate_ns; /* responder secret (60 s; two are kept) */
};

void hs_params_default(struct hs_params *p);

struct hs_session {
	bool valid, initiator, confirmed;
	uint64_t sid;	  /* both ends derive it; carried in each datagram */
	uint64_t created; /* ns */
	uint8_t tx_key[HS_KEY_LEN], rx_key[HS_KEY_LEN];
	uint64_t tx_ctr; /* next counter to send (starts at 1) */
	uint64_t rx_top, rx_bits[HS_REPLAY_WORDS];
};

enum hs_state { HS_IDLE, HS_INIT_SENT, HS_FIN_SENT };

struct hs_peer {
	struct node_id id;
	bool used, want; /* want: keep a session up (a neighbour) */
	enum hs_state state;
	uint8_t e_sk[HS_EPH_LEN], e_pk[HS_EPH_LEN];
	uint8_t cookie[HS_COOKIE_LEN];
	bool have_cookie;
	uint32_t tries;
	uint64_t last_send, last_fin_ts;
	uint8_t fin[HS_AUTH_MAX_LEN]; /* kept to resend until confirmed */
	uint16_t fin_len;
	uint8_t fin_e_r[HS_EPH_LEN];
	struct hs_session cur, prev, next; /* next: initiator's, until confirmed */
	struct cert cert;		   /* the peer's, once a handshake verified it */
	bool have_cert;
};

struct hs_stats {
	uint64_t init_tx, init_rx, cookie_tx, resp_tx, fin_tx, established, rekeys, expired;
	uint64_t drop[HS_DROP__MAX];
	uint64_t cert[CERT__MAX];
};

struct hs_ctx {
	struct ident self;
	struct node_id id;
	uint8_t cert[CERT_MAX_LEN];
	uint16_t cert_len;
	const struct cert_trust *trust; /* the caller's; may change between calls */
	struct hs_params p;
	uint8_t secret[2][HS_KEY_LEN]; /* [0] current, [1] previous */
	uint64_t secret_at;
	bool under_load; /* set by the caller: answer INITs without a cookie with COOKIE */
	uint64_t last_ts;
	struct hs_peer *peers;
	uint32_t npeers, cap;
	struct hs_stats st;
};

/* Wall and monotonic time of a call, ns. */
struct hs_time {
	uint64_t mono, wall;
};

/* What a call wants sent and what happened. */
struct hs_out {
	uint8_t msg[HS_MAX_MSG];
	uint16_t len;	  /* 0: nothing to send */
	bool to_peer;	  /* true: to peer's address; false: back to the datagram's source */
	bool established; /* a new session with peer: send something under it now */
	struct hs_peer *peer;
	enum hs_drop drop;
};

/*
 * self is copied (wipe yours); cert is this node's certificate encoding.
 * cap bounds the peer table. 0 or -errno.
 */
int hs_ctx_init(struct hs_ctx *c, const struct ident *self, const uint8_t *cert, size_t cert_len,
		const struct cert_trust *trust, const struct hs_params *p, uint32_t cap,
		uint64_t now);
void hs_ctx_free(struct hs_ctx *c);

struct hs_peer *hs_peer_find(struct hs_ctx *c, const struct node_id *id);
/* Find or add (NULL when the table is full of peers with live sessions). */
struct hs_peer *hs_peer_get(struct hs_ctx *c, const struct node_id *id, uint64_t now);
/* Forget a peer: sessions wiped, slot freed. */
void hs_peer_drop(struct hs_ctx *c, struct hs_peer *p);

/* Start a handshake with p now (INIT in out). */
void hs_start(struct hs_ctx *c, struct hs_peer *p, const struct hs_time *t, struct hs_out *out);
/*
 * A handshake datagram (types 3..6) from src_addr (opaque bytes: cookies
 * are bound to it). Replies go to the source (out->to_peer false).
 */
void hs_recv(struct hs_ctx *c, const uint8_t *buf, size_t len, const void *src_addr, size_t alen,
	     const struct hs_time *t, struct hs_out *out);
/*
 * Timers for one peer: resends, rekey, expiry, and a first handshake when
 * p->want and there is no session. out->len > 0: send out->msg to p.
 */
void hs_tick(struct hs_ctx *c, struct hs_peer *p, const struct hs_time *t, struct hs_out *out);
/* Rotate the responder secret when due (call on a timer). */
void hs_rotate(struct hs_ctx *c, uint64_t now);
/*
 * Re-check every peer's certificate (trust, revocation, expiry at
 * wall_s); a peer that fails loses its sessions. Returns how many did.
 */
int hs_recheck(struct hs_ctx *c, uint64_t wall_s, void (*lost)(void *arg, struct hs_peer *p),
	       void *arg);

/* Data: the session to send under (NULL: none yet) and its next counter. */
struct hs_session *hs_tx(struct hs_ctx *c, struct hs_peer *p, uint64_t now, uint64_t *ctr);
/* The session a received datagram names (NULL: none). */
struct hs_session *hs_rx(struct hs_peer *p, uint64_t sid, uint64_t now,
			 const struct hs_params *prm);
/* After the AEAD verified: 0, or -EALREADY for a replayed/too old counter. */
int hs_rx_accept(struct hs_peer *p, struct hs_session *s, uint64_t ctr);
/* True if p has a session that can carry data. */
bool hs_has_session(const struct hs_peer *p, uint64_t now, const struct hs_params *prm);

/* The type byte of a handshake/ICC datagram, or 0 if the prefix is not ours. */
int hs_peek_type(const uint8_t *buf, size_t len);

#endif /* IPOP_FW_HS_H */
