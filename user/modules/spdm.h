/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SPDM, source-routed path discovery (DSR, RFC 4728, route discovery).
 *
 * spdm_discover(target) first asks the neighbours only (a non-propagating
 * request, answered by the target if it is one of them; 30 ms), then floods
 * route requests with TLFM with a growing token budget (initial_tokens,
 * times token_growth per try, at most max_tokens); retries back off from 500 ms, doubling, to
 * at most 10 s, at most 16 tries. Each request has a fresh request ID; every
 * node keeps a request table (the last 16 IDs of each of 64 initiators, LRU)
 * so it relays each (initiator, request ID) once, appending its own ID to
 * the route record (loop-free, at most SR_HOPS_MAX hops to the target).
 *
 * The target answers the first 3 distinct requests of an (initiator, ID)
 * with a route reply along the reverse of the record; a relaying node that
 * has a cached path to the target answers instead of relaying (the record
 * plus its path, if loop-free and within SR_HOPS_MAX); every node on the
 * reply's way (initiator included) hands the sub-paths it sees to SRUM's
 * path cache. Replies carry the target's signature when the runtime signs
 * (rt_sign); receivers verify when the runtime can (rt_verify), and accept
 * unsigned replies only when it cannot.
 */
#ifndef IPOP_MOD_SPDM_H
#define IPOP_MOD_SPDM_H

#include "core/module.h"

#define SPDM_NAME	  "spdm"
#define SPDM_WIRE_VERSION 2
#define SR_HOPS_MAX	  DP_PATH_MAX /* 16: hops of a source route */

/* DSR defaults (RFC 4728 section 9) */
#define SPDM_REQ_IDS		 16 /* request IDs kept per initiator */
#define SPDM_REQ_INITIATORS	 64 /* initiators kept, LRU */
#define SPDM_TARGET_REPLIES	 3  /* distinct requests the target answers */
#define SPDM_NONPROP_MS		 30
#define SPDM_BACKOFF_MS		 500
#define SPDM_BACKOFF_MAX_MS	 10000
#define SPDM_MAX_TRIES		 16
#define SPDM_DEFAULT_INIT_TOKENS 64
#define SPDM_DEFAULT_MAX_TOKENS	 65536
#define SPDM_DEFAULT_GROWTH	 4  /* budget factor per flood try */
#define SPDM_PENDING_MAX	 64 /* discoveries in progress at one node */

enum spdm_type { SPDM_T_RREQ = 1, SPDM_T_RREP = 2 };
#define SPDM_F_NONPROP 0x01

/* Origin authentication block, after a signed message's body and position byte. */
#define SR_AUTH_LEN (1 + RT_PUB_LEN + RT_SIG_LEN)

struct sr_auth {
	uint8_t signed_; /* 0 or 1 */
	uint8_t pub[RT_PUB_LEN];
	uint8_t sig[RT_SIG_LEN];
};

/*
 * A route request (RREQ: rec = the nodes after the initiator so far) or a
 * reply (RREP: rec = the path after the initiator, ending at the target;
 * replier = index in rec of the node that made the reply, the target or a
 * node answering from its path cache; pos = index of the receiving node in
 * [initiator, rec...], so pos <= replier; labels[j] = rec[j]'s datapath link
 * label towards rec[j + 1], DP_LABEL_NONE until known: the replier fills
 * its own slot and those of its cached path, each node the reply passes on
 * its way back fills its own (its label towards the node it got the reply
 * from); labels[nrec - 1] stays 0).
 *   u8 version | u8 type | u8 flags | u8 nrec (<= 16) | u32 req_id
 *   | initiator[16] | target[16] | rec[nrec][16]
 *   RREP only: | u8 replier | u8 pos | u8 labels[nrec] | u8 signed
 *   | pub[32] sig[64] if signed
 * An RREP's signature is the replier's, over everything before pos: pos
 * and the labels change hop by hop and are not covered (a node on the way
 * can falsify them, as it can drop the reply; a wrong label misroutes only
 * in the datapath, where the next node drops what is not addressed to it).
 */
struct spdm_msg {
	uint8_t type, flags, nrec, pos, replier;
	uint32_t req_id;
	struct node_id initiator, target;
	struct node_id rec[SR_HOPS_MAX];
	uint8_t labels[SR_HOPS_MAX];
	struct sr_auth auth;
};

#define SPDM_BODY_LEN(nrec) (4 + 4 + 2 * ID_LEN + (size_t)(nrec)*ID_LEN)
/* An RREP: body, replier, pos, labels, auth (1 byte unsigned). */
#define SPDM_RREP_LEN(nrec, auth) (SPDM_BODY_LEN(nrec) + 2 + (size_t)(nrec) + (auth))
#define SPDM_MSG_MAX		  SPDM_RREP_LEN(SR_HOPS_MAX, SR_AUTH_LEN)

/* Returns the length, or -EINVAL. *body_len: the signed part's length (may be NULL). */
int spdm_msg_encode(const struct spdm_msg *m, uint8_t *buf, size_t cap, size_t *body_len);
/* Length-checked, loop-free route checked; returns 0 or -EBADMSG. */
int spdm_msg_decode(const uint8_t *buf, size_t len, struct spdm_msg *m, size_t *body_len);

/* Shared by SPDM and SRUM: no node twice among first + v[0..n). */
bool sr_loop_free(const struct node_id *first, const struct node_id *v, int n);
int sr_auth_encode(const struct sr_auth *a, uint8_t *p, size_t cap);
int sr_auth_decode(const uint8_t *p, size_t len, struct sr_auth *a);
/* This node's datapath link label towards neighbour id (DP_LABEL_NONE: none or not a neighbour). */
uint8_t sr_nbr_label(struct module *m, const struct node_id *id);
/* Sign body with the node's key if the runtime can (else leave it unsigned). */
void sr_auth_sign(struct module *m, const uint8_t *body, size_t len, struct sr_auth *a);
/* 0 if acceptable (valid signature by origin, or unsigned on a runtime without identities). */
int sr_auth_check(struct module *m, const struct node_id *origin, const uint8_t *body, size_t len,
		  const struct sr_auth *a);

enum spdm_ctr {
	SPDM_C_DISCOVERIES,
	SPDM_C_NONPROP_SENT,
	SPDM_C_FLOODS,
	SPDM_C_FLOOD_SENT, /* TLFM transmissions this node started for its floods */
	SPDM_C_REQ_RECEIVED,
	SPDM_C_REQ_DUPLICATE,
	SPDM_C_REPLIES_SENT,
	SPDM_C_REPLIES_CACHED, /* answered from this node's path cache */
	SPDM_C_REPLIES_FORWARDED,
	SPDM_C_REPLIES_RECEIVED,
	SPDM_C_DISCOVERED,
	SPDM_C_FAILED,
	SPDM_C_TABLE_EVICTED,
	SPDM_C_DROP_MALFORMED,
	SPDM_C_DROP_BAD_SIG,
	SPDM_C_DROP_LOOP,
	SPDM_C_DROP_RECORD_FULL,
	SPDM_C_DROP_SEND_FAILED,
	SPDM_C_DROP_BUSY,
	SPDM_C__MAX,
};

extern const struct module_ops spdm_module;

/*
 * Start discovering a route to target (from this node's spdm module).
 * 0 started, -EALREADY already in progress, -EBUSY too many in progress,
 * -EINVAL target is this node.
 */
int spdm_discover(struct module *m, const struct node_id *target);
int spdm_discover_from(struct module *caller, const struct node_id *target);
/* Virtual time the last completed discovery to target took (ns), or 0. */
uint64_t spdm_last_latency(struct module *m);
/* Control op and CLI helpers may query: is a discovery to target in progress? */
bool spdm_pending(struct module *m, const struct node_id *target);

#endif /* IPOP_MOD_SPDM_H */
