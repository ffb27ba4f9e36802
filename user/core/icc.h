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
#define ICC_VERSION	1
#define ICC_MOD_LEN	16 /* destination module, NUL-padded */
#define ICC_HDR_LEN	88
#define ICC_KEY_LEN	32 /* crypto_auth_KEYBYTES */
#define ICC_TAG_LEN	32 /* crypto_auth_BYTES (HMAC-SHA512-256) */
#define ICC_MAX_PAYLOAD 1280
#define ICC_MAX_DGRAM	(ICC_HDR_LEN + ICC_MAX_PAYLOAD + ICC_TAG_LEN)
#define ICC_DEFAULT_TTL 16

enum icc_type {
	ICC_T_DATA = 1,	     /* payload for the destination module */
	ICC_T_KEEPALIVE = 2, /* link liveness, no payload, module "" */
	ICC_T__MAX,
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
	uint64_t seq; /* per-source, strictly increasing: the replay guard */
	uint16_t len; /* payload length */
};

struct icc_msg {
	struct icc_hdr h;
	const uint8_t *payload; /* points into the decoded buffer */
};

/* A module name fits ICC: 1..16 chars of [a-z0-9_-]. */
int icc_module_name_ok(const char *name);

/*
 * Encode header + payload and append the tag. h->len is ignored (len is
 * used). Returns the datagram length, -EINVAL for a bad field or -EMSGSIZE.
 */
int icc_encode(const struct icc_hdr *h, const void *payload, size_t len,
	       const uint8_t key[ICC_KEY_LEN], uint8_t *buf, size_t cap);

/* Check length, layout and tag; fill out (payload points into buf). */
enum icc_rc icc_decode(const uint8_t *buf, size_t len, const uint8_t key[ICC_KEY_LEN],
		       struct icc_msg *out);

/*
 * Replay guard: per source, the highest sequence seen and a bitmap of the
 * ICC_REPLAY_WINDOW below it. At most cap sources are tracked; the least
 * recently used is forgotten first.
 */
#define ICC_REPLAY_WORDS  4
#define ICC_REPLAY_WINDOW (64 * ICC_REPLAY_WORDS)

struct icc_replay_ent {
	struct node_id src;
	uint64_t top;
	uint64_t bits[ICC_REPLAY_WORDS]; /* bit i: top - i was seen */
	uint64_t used;
};

struct icc_replay {
	struct icc_replay_ent *ents;
	uint32_t cap, n;
	uint64_t tick;
};

int icc_replay_init(struct icc_replay *r, uint32_t cap);
void icc_replay_free(struct icc_replay *r);
/* Returns ICC_OK and records seq, or ICC_DROP_REPLAY. Call after the tag checked. */
enum icc_rc icc_replay_check(struct icc_replay *r, const struct node_id *src, uint64_t seq);

#endif /* IPOP_FW_ICC_H */
