/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SRUM, source-routed unicast (DSR, RFC 4728, route maintenance).
 *
 * srum_send(dst, dmm, payload) delivers to the module dmm at node dst along
 * an explicit path from the path cache, forwarded hop by hop by SRUM. With
 * no cached path the message waits in a per-destination send buffer while
 * SPDM discovers one. Cache policy (README.md, "SRUM path cache"):
 *   enters: paths SPDM replies carry (every sub-path a node sees), a direct
 *     neighbour as a one-hop path; a known path is refreshed;
 *   evicts: at capacity, the least recently used path; after the timeout
 *     (since learned or refreshed), the path;
 *   invalidates: every path through a link that went down here, that failed
 *     a forward here, that a route error names, or that a link notice
 *     names (srum_invalidate_link: another node says its link is down;
 *     a destination that loses its installed path is rediscovered at once).
 * Each path keeps the datapath link labels known for it (SPDM replies
 * collect them; other sources leave them DP_LABEL_NONE but this node's own).
 * Preferred path to a destination: fewest hops, then the freshest. That
 * path is the one installed in the datapath (rt_dp_install, kind
 * SRUM_DP_KIND); it is removed when no path is left.
 * A node whose forward fails sends a route error to the route's start and
 * salvages the message (at most salvage_max times per message) on a new
 * route from itself, as DSR does (the data header's start field).
 */
#ifndef IPOP_MOD_SRUM_H
#define IPOP_MOD_SRUM_H

#include "core/module.h"
#include "modules/spdm.h"

#define SRUM_NAME		"srum"
#define SRUM_WIRE_VERSION	2
#define SRUM_DP_KIND		1
#define SRUM_DEFAULT_CACHE	1024
#define SRUM_DEFAULT_TIMEOUT_MS 300000
#define SRUM_DEFAULT_BUF_MSGS	64
#define SRUM_DEFAULT_BUF_MS	30000
#define SRUM_DEFAULT_SALVAGE	2
#define SRUM_BUF_DESTS		64 /* destinations with buffered messages */
#define SRUM_SWEEP_MS		1000
#define SRUM_TTL		64 /* hops over all salvages: 16 x (1 + 3) */

enum srum_type { SRUM_T_DATA = 1, SRUM_T_RERR = 2 };

/*
 * DATA: u8 version | u8 type | u8 npath (1..16) | u8 pos | u8 ttl
 *   | u8 salvage | u16 0 | src[16] | dst[16] | dmm[16] NUL-padded
 *   | start[16] if salvage > 0 | path[npath][16] | data
 *   src: the message's source (what the destination module sees); start:
 *   the node the source route starts at, src until a node salvages the
 *   message (DSR: the salvaging node replaces the route with its own, from
 *   itself); path: the nodes after start, ending at dst, loop-free with
 *   start; pos: the receiver's index.
 * RERR: u8 version | u8 type | u8 nback (1..16) | u8 pos | u32 0
 *   | origin[16] | broken[16] | src[16] | back[nback][16]
 *   | u8 signed | pub[32] sig[64] if signed
 *   the link origin -> broken failed; back: the nodes after origin, ending
 *   at src (the start of the failed route); pos: the receiver's index; the
 *   signature (origin's) covers all but pos and itself (pos is sent as 0
 *   under the signature).
 */
#define SRUM_DATA_HDR(n, salv) (8 + ((salv) ? 4 : 3) * ID_LEN + (size_t)(n)*ID_LEN)
#define SRUM_MAX_DATA	       (ICC_MAX_PAYLOAD - SRUM_DATA_HDR(SR_HOPS_MAX, 1))
#define SRUM_RERR_BODY(n)      (8 + 3 * ID_LEN + (size_t)(n)*ID_LEN)
#define SRUM_RERR_MAX	       (SRUM_RERR_BODY(SR_HOPS_MAX) + SR_AUTH_LEN)
#define SRUM_RERR_POS_OFF      3

struct srum_data_hdr {
	uint8_t npath, pos, ttl, salvage;
	struct node_id src, dst, start; /* start == src when salvage == 0 */
	char dmm[ICC_MOD_LEN + 1];
	struct node_id path[SR_HOPS_MAX];
};

struct srum_rerr {
	uint8_t nback, pos;
	struct node_id origin, broken, src;
	struct node_id back[SR_HOPS_MAX];
	struct sr_auth auth;
};

int srum_data_encode(const struct srum_data_hdr *h, uint8_t *buf, size_t cap);
/* Returns the header length (data follows) or -EBADMSG (loops, bounds, padding). */
int srum_data_decode(const uint8_t *buf, size_t len, struct srum_data_hdr *h);
/* Body (signed with pos = 0) then auth. Returns the length or -EINVAL; *body_len. */
int srum_rerr_encode(const struct srum_rerr *e, uint8_t *buf, size_t cap, size_t *body_len);
int srum_rerr_decode(const uint8_t *buf, size_t len, struct srum_rerr *e, size_t *body_len);
/* The message type of an SRUM payload, or -EBADMSG. */
int srum_msg_type(const uint8_t *buf, size_t len);

enum srum_ctr {
	SRUM_C_SENT,
	SRUM_C_FORWARDED,
	SRUM_C_DELIVERED,
	SRUM_C_CACHE_HITS,
	SRUM_C_CACHE_MISSES,
	SRUM_C_DISCOVERIES,
	SRUM_C_BUFFERED,
	SRUM_C_BUF_FLUSHED,
	SRUM_C_BUF_DROPPED_FULL,
	SRUM_C_BUF_EXPIRED,
	SRUM_C_BUF_NO_ROUTE,
	SRUM_C_RERR_SENT,
	SRUM_C_RERR_RECEIVED,
	SRUM_C_SALVAGED,
	SRUM_C_PATHS_LEARNED,
	SRUM_C_PATHS_EVICTED,
	SRUM_C_PATHS_EXPIRED,
	SRUM_C_PATHS_INVALIDATED,
	SRUM_C_DROP_MALFORMED,
	SRUM_C_DROP_TTL,
	SRUM_C_DROP_NOT_ON_PATH,
	SRUM_C_DROP_BROKEN, /* a forward failed and nothing salvaged it */
	SRUM_C_DROP_BAD_SIG,
	SRUM_C_DROP_UNKNOWN_MODULE,
	SRUM_C_LINK_NOTICES, /* link-down notices from elsewhere (srum_invalidate_link) */
	SRUM_C_REDISCOVERED, /* discoveries started because a notice took an installed path */
	SRUM_C__MAX,
};

extern const struct module_ops srum_module;

/*
 * Send payload to module dmm at dst. 1 sent on a cached path, 0 buffered
 * (discovery started or running), -errno (-EINVAL, -EMSGSIZE, -ENOBUFS no
 * buffer slot for a new destination).
 */
int srum_send(struct module *m, const struct node_id *dst, const char *dmm, const void *data,
	      size_t len);
int srum_send_from(struct module *caller, const struct node_id *dst, const char *dmm,
		   const void *data, size_t len);

/*
 * SPDM's hooks: a path from this node (hop[0] a neighbour, hop[n-1] the
 * destination); labels[i] (may be NULL: none known) is hop[i]'s link label
 * towards hop[i + 1], DP_LABEL_NONE where unknown. This node's own label
 * towards hop[0] comes from its neighbour table.
 */
void srum_learn(struct module *m, const struct node_id *hop, const uint8_t *labels, int n);
void srum_discovery_done(struct module *m, const struct node_id *target, bool found);

/*
 * Node a says its link to b is down (a link notice, the module API's
 * link_notice hook calls this): every cached path through a - b goes (the
 * datapath gets each destination's next preferred path, or loses it), and
 * a destination whose installed path went and has no other is rediscovered
 * now, so its new path reaches the datapath when the reply does.
 */
void srum_invalidate_link(struct module *m, const struct node_id *a, const struct node_id *b);
/*
 * Make sure a path to dst is on its way, without sending anything: 1 one
 * is cached (and handed to the datapath), 0 a discovery is running,
 * -errno (-EINVAL dst is this node, -EBUSY too many discoveries).
 */
int srum_want_path(struct module *m, const struct node_id *dst);

/* The preferred cached path to dst (fills hop, up to SR_HOPS_MAX); hops, or 0 if none. */
int srum_best(struct module *m, const struct node_id *dst, struct node_id *hop);
/* The preferred path to dst as a datapath entry (labels included); hops, or 0 if none. */
int srum_best_entry(struct module *m, const struct node_id *dst, struct dp_entry *e);
/* Cached paths as JSON: [{"dst": hex, "hops": n, "path": [hex...], "age_ms": t}, ...]. */
json_t *srum_paths_json(struct module *m);
uint32_t srum_cache_count(struct module *m);

#endif /* IPOP_MOD_SRUM_H */
