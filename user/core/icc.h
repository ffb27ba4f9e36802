/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICC: the authenticated datagram between neighbour controllers. The layout
 * is in README.md ("ICC datagram"). The codec does no I/O: icc_encode writes into the caller's
 * buffer, icc_decode reads a received datagram and returns why it is dropped.
 */
#ifndef IPOP_FW_ICC_H
#define IPOP_FW_ICC_H

#include <stddef.h>
#include <stdint.h>

#include "core/id.h"

#define ICC_MAGIC	0x4943 /* "IC" */
#define ICC_VERSION	2
#define ICC_MOD_LEN	16 /* destination module, NUL-padded */
#define ICC_HDR_LEN	88
#define ICC_KEY_LEN	32 /* crypto_aead_chacha20poly1305_ietf_KEYBYTES */
#define ICC_TAG_LEN	16 /* crypto_aead_chacha20poly1305_ietf_ABYTES */
#define ICC_MAX_PAYLOAD 1280
#define ICC_MAX_DGRAM	(ICC_HDR_LEN + ICC_MAX_PAYLOAD + ICC_TAG_LEN)
#define ICC_DEFAULT_TTL 16

enum icc_type {
	ICC_T_DATA = 1,	     /* payload for the destination module */
	ICC_T_KEEPALIVE = 2, /* link liveness, no payload, module "" */
	ICC_T__MAX,	     /* 3..6: handshake messages (core/hs.h) */
};

/* Decoder verdicts; everything but ICC_OK is a drop reason. */
enum icc_rc {
	ICC_OK = 0,
	ICC_DROP_MALFORMED,
	ICC_DROP_OVERSIZED,
	ICC_DROP_BAD_AUTH,
	ICC_DROP_REPLAY,
	ICC_DROP_WRONG_DEST,
	ICC_DROP_UNKNOWN_MODULE,
	ICC_DROP_NO_SESSION, /* no session with that source and session ID */
	ICC_DROP_HANDSHAKE,  /* a handshake message refused (details: "handshake" stats) */
	ICC_DROP__MAX,
};

extern const char *const icc_drop_names[ICC_DROP__MAX];

/* Host-order view of the header. */
struct icc_hdr {
	uint8_t type;
	uint8_t flags;
	uint8_t ttl;
	char module[ICC_MOD_LEN + 1]; /* NUL-terminated */
	struct msg_id id;
	struct node_id src;
	struct node_id dst;
	uint64_t sid; /* session (core/hs.h): picks the key */
	uint64_t seq; /* per-session counter: the AEAD nonce and the replay guard */
	uint16_t len; /* payload length */
};

struct icc_msg {
	struct icc_hdr h;
	const uint8_t *payload; /* points into the decoded buffer */
};

/* A module name fits ICC: 1..16 chars of [a-z0-9_-]. */
int icc_module_name_ok(const char *name);

/*
 * Encode the header, encrypt the payload under key (ChaCha20-Poly1305,
 * nonce = h->seq, header as associated data) and append the tag. h->len is
 * ignored (len is used). Returns the datagram length, -EINVAL for a bad
 * field or -EMSGSIZE.
 */
int icc_seal(const struct icc_hdr *h, const void *payload, size_t len,
	     const uint8_t key[ICC_KEY_LEN], uint8_t *buf, size_t cap);

/* Check length and layout and read the header (no key needed yet). */
enum icc_rc icc_parse(const uint8_t *buf, size_t len, struct icc_msg *out);

/* After icc_parse: check the tag and decrypt the payload in place (zeroed on failure). */
enum icc_rc icc_open(uint8_t *buf, size_t len, const uint8_t key[ICC_KEY_LEN], struct icc_msg *m);

#endif /* IPOP_FW_ICC_H */
