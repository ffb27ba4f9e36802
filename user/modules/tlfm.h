/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TLFM, token-limited flooding over CMM.
 *
 * tlfm_send(id, payload, B tokens) floods the payload to the module dmm on
 * the nodes it reaches. A message carries t >= 1 tokens; its transmission
 * spends one, so the receiver holds t - 1 to pass on, and the origin holds
 * B - 1: a flood started with B tokens makes at most B - 1 transmissions.
 *
 * A node splits what it holds among up to that many neighbours it does not
 * know to hold the message (it knows the neighbours it got the message from
 * or sent it to, and the ones the sender lists as its own recipients, up to
 * TLFM_KNOWN_MAX). A node with tokens but no such neighbour (a duplicate
 * arrival, or every neighbour known) passes them all to one neighbour, so
 * tokens are never dropped while any remain and a neighbour is up.
 *
 * Per node, one state entry per flood ID (bounded, expiring, oldest
 * replaced first) records delivery (at most once per ID per node), the
 * known neighbours, the depth and the payload this node forwards.
 *
 * Flag TLFM_F_PLAIN is the baseline flood: tokens ignored, each node
 * forwards once to every neighbour but the one it got the message from,
 * 2|E| - (N - 1) messages on a connected graph. Flag TLFM_F_DUPS delivers
 * duplicate arrivals too (mod_msg.flags has TLFM_DELIVER_DUP), for modules
 * that want every path (SPDM).
 *
 * Relay hook: while its recv runs for a first arrival, the destination
 * module may replace the payload forwarded onwards (tlfm_relay_rewrite) or
 * stop the flood at this node (tlfm_relay_stop).
 */
#ifndef IPOP_MOD_TLFM_H
#define IPOP_MOD_TLFM_H

#include "core/module.h"
#include "modules/cmm.h"

#define TLFM_NAME	    "tlfm"
#define TLFM_WIRE_VERSION   1
#define TLFM_KNOWN_MAX	    8
#define TLFM_HDR_LEN	    (1 + 1 + 2 + 4 + 2 * ID_LEN + ICC_MOD_LEN + 1)
#define TLFM_HDR_MAX	    (TLFM_HDR_LEN + TLFM_KNOWN_MAX * ID_LEN)
#define TLFM_MAX_DATA	    (CMM_MAX_DATA - TLFM_HDR_MAX)
#define TLFM_DEFAULT_STATES 1024
#define TLFM_DEFAULT_TTL_MS 60000
#define TLFM_NBR_MAX	    4096 /* neighbours a node considers */

#define TLFM_F_PLAIN 0x01
#define TLFM_F_DUPS  0x02
#define TLFM_F_MASK  0x03

#define TLFM_DELIVER_DUP 0x01 /* mod_msg.flags of a duplicate delivery */

enum tlfm_ctr {
	TLFM_C_ORIGINATED,
	TLFM_C_SENT,
	TLFM_C_RECEIVED,
	TLFM_C_DELIVERED,
	TLFM_C_DUPLICATES,
	TLFM_C_PASSED_ON, /* transmissions of tokens a node could not use on new neighbours */
	TLFM_C_TOKENS_DROPPED,
	TLFM_C_STATE_EVICTED,
	TLFM_C_DROP_MALFORMED,
	TLFM_C_DROP_UNKNOWN_MODULE,
	TLFM_C_DROP_SEND_FAILED,
	TLFM_C_DROP_NO_MEMORY,
	TLFM_C__MAX,
};

extern const struct module_ops tlfm_module;

/* The TLFM header (tlfm_wire.c), after the CMM header. */
struct tlfm_hdr {
	uint8_t version;
	uint8_t flags;
	uint16_t depth;	     /* hops from the origin */
	uint32_t tokens;     /* carried by this transmission, >= 1 (plain: 0) */
	struct msg_id flood; /* the flood's ID: the delivery dedup key */
	struct node_id origin;
	char dmm[ICC_MOD_LEN + 1];
	uint8_t nknown; /* the sender's other recipients, <= TLFM_KNOWN_MAX */
	struct node_id known[TLFM_KNOWN_MAX];
};

/* Returns the header length or -EINVAL. */
int tlfm_hdr_encode(const struct tlfm_hdr *h, uint8_t *buf, size_t cap);
/* Length-checked; returns the header length or -EBADMSG. */
int tlfm_hdr_decode(const uint8_t *buf, size_t len, struct tlfm_hdr *h);
/* The CMM message ID of one transmission (unique per sender and sequence). */
void tlfm_hop_id(const struct msg_id *flood, const struct node_id *from, uint64_t seq,
		 struct msg_id *out);

/*
 * Start a flood from this node with `tokens` (>= 1; plain: ignored).
 * Returns the number of transmissions made here, or -errno.
 */
int tlfm_send(struct module *m, const struct msg_id *id, const void *data, size_t len,
	      uint32_t tokens, uint8_t flags, const char *dmm);
int tlfm_send_from(struct module *caller, const struct msg_id *id, const void *data, size_t len,
		   uint32_t tokens, uint8_t flags, const char *dmm);

/* Relay hook, valid only inside the dmm's recv of a first arrival. */
int tlfm_relay_rewrite(struct module *caller, const void *data, size_t len);
void tlfm_relay_stop(struct module *caller);

/* What this node knows of a flood: 1 if it holds it (depth filled), else 0. */
int tlfm_lookup(struct module *m, const struct msg_id *id, unsigned int *depth);

#endif /* IPOP_MOD_TLFM_H */
