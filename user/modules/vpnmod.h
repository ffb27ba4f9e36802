/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The VPN's delivery module ("vpn"): carries the Ethernet frames the kernel
 * leaves to the daemon (misses, broadcast and multicast) over the overlay,
 * and completes the link labels of the paths SRUM installs.
 *
 *   unicast: vpnmod_send(dst, frame) -> srum_send to "vpn" at dst (SRUM
 *     buffers it and discovers a path when none is cached);
 *   group:   vpnmod_broadcast(frame) -> SMM over the whole ring, or a TLFM
 *     flood with `tokens` tokens (module parameter "broadcast": "smm" |
 *     "tlfm", default "tlfm"; "tokens", default 64);
 *   arrival: the frame and its origin node go to the runtime's sink (the
 *     daemon writes it into ipop0 and learns source MAC -> origin). A node
 *     never takes its own broadcast back.
 *
 * Labels (bpf/sr.h): a path's entry i must carry the label path[i] uses
 * towards path[i + 1], which only path[i] knows (rt_neighbours). When a
 * dp_entry comes without them (a path learned from a route record or a
 * message's way back; SPDM route replies carry them),
 * vpnmod_resolve asks each node on the path over SRUM (LQ) and the node
 * answers from its own neighbour table (LR); once every label is known the
 * sink's path() gets the completed entry. A resolution that is not
 * complete after VPNMOD_RESOLVE_MS is dropped (counted). A label a node
 * claims is only ever used in that node's own datapath, which checks that
 * the link leads to the next node on the path: a false answer makes frames
 * drop there, counted, never go elsewhere.
 *
 * Link notices: when a link of this node goes down, the module floods a
 * notice (same channel as group frames); every node hands it to its other
 * modules (rt_link_notice: SRUM drops its paths through the link and
 * rediscovers the destinations that used them) and then to the sink's
 * link_down(), which takes the kernel paths still crossing it out (kernel
 * transit produces no SRUM route errors). When such a link comes back the
 * node floods an "up" notice (link_up()): the datapath may use it again.
 *
 * Wire (after SRUM/SMM/TLFM's header): u8 version | u8 type | u16 0 | body
 *   FRAME, GROUP: the Ethernet frame (14..VPNMOD_FRAME_MAX bytes)
 *   LQ: u32 qid | next[16]       "your label towards next?"
 *   LR: u32 qid | next[16] | u8 label
 *   DOWN: a[16] | b[16]           "the link a - b is down" (sent by a)
 *   UP: a[16] | b[16]             "the link a - b is back" (sent by a)
 */
#ifndef IPOP_MOD_VPNMOD_H
#define IPOP_MOD_VPNMOD_H

#include "core/module.h"

#define VPNMOD_NAME	   "vpn"
#define VPNMOD_VERSION	   1
#define VPNMOD_HDR	   4
#define VPNMOD_FRAME_MIN   14
#define VPNMOD_PENDING	   32 /* resolutions in progress */
#define VPNMOD_RESOLVE_MS  3000
#define VPNMOD_TOKENS	   64
#define VPNMOD_RESOLVE_TMR 1
#define VPNMOD_DP_KIND	   1 /* SRUM_DP_KIND: the paths the VPN installs */
#define VPNMOD_SMM	   1
#define VPNMOD_TLFM	   2
#define VPNMOD_DOWN_MAX	   64 /* own links reported down, remembered for the "up" notice */

enum vpnmod_type {
	VPNMOD_T_FRAME = 1,
	VPNMOD_T_GROUP = 2,
	VPNMOD_T_LQ = 3,
	VPNMOD_T_LR = 4,
	VPNMOD_T_DOWN = 5,
	VPNMOD_T_UP = 6,
};

enum vpnmod_ctr {
	VPNMOD_C_TX_UNICAST,
	VPNMOD_C_TX_GROUP,
	VPNMOD_C_RX_UNICAST,
	VPNMOD_C_RX_GROUP,
	VPNMOD_C_TX_TOO_BIG,
	VPNMOD_C_TX_FAILED,
	VPNMOD_C_LQ_SENT,
	VPNMOD_C_LQ_ANSWERED,
	VPNMOD_C_LR_RECEIVED,
	VPNMOD_C_PATHS_RESOLVED,
	VPNMOD_C_RESOLVE_EXPIRED,
	VPNMOD_C_RESOLVE_FULL,
	VPNMOD_C_DOWN_SENT,
	VPNMOD_C_DOWN_RECEIVED,
	VPNMOD_C_DROP_MALFORMED,
	VPNMOD_C_DROP_OWN,
	VPNMOD_C_DROP_NO_SINK,
	VPNMOD_C_UP_SENT,
	VPNMOD_C_UP_RECEIVED,
	VPNMOD_C__MAX,
};

extern const struct module_ops vpnmod_module;

/* What the runtime that owns ipop0 provides (the daemon). */
struct vpnmod_sink {
	/* A frame from origin (group: it came by SMM/TLFM). */
	void (*frame)(void *ctx, const struct node_id *origin, const uint8_t *frame, size_t len,
		      bool group);
	/* A path whose labels are now all known. */
	void (*path)(void *ctx, const struct dp_entry *e);
	/* The overlay link a - b went down (a told us). */
	void (*link_down)(void *ctx, const struct node_id *a, const struct node_id *b);
	/* The overlay link a - b, which a had reported down, is back (a told us). */
	void (*link_up)(void *ctx, const struct node_id *a, const struct node_id *b);
	void *ctx;
};

/* -EINVAL if m is not a vpn module instance. */
int vpnmod_set_sink(struct module *m, const struct vpnmod_sink *sink);
/* Largest frame vpnmod_send / vpnmod_broadcast carry. */
size_t vpnmod_frame_max(struct module *m, bool group);
/* 1 sent, 0 buffered by SRUM (discovery), -errno (-EMSGSIZE: too big). */
int vpnmod_send(struct module *m, const struct node_id *dst, const void *frame, size_t len);
/* Transmissions made here, or -errno. */
int vpnmod_broadcast(struct module *m, const void *frame, size_t len);
/*
 * Complete e's labels (first_label must be set). 0: queries sent (the
 * sink's path() follows), 1: nothing was missing, -errno.
 */
int vpnmod_resolve(struct module *m, const struct dp_entry *e);
/* SRUM's preferred path to dst (path: DP_PATH_MAX entries): hops, or 0. */
int vpnmod_best_path(struct module *m, const struct node_id *dst, struct node_id *path);
/*
 * A path to dst is wanted (a frame waits for it): 1 SRUM has one (handed to
 * the datapath), 0 a discovery is running, -errno.
 */
int vpnmod_want_path(struct module *m, const struct node_id *dst);
/* Is a discovery of a path to dst running? */
bool vpnmod_discovering(struct module *m, const struct node_id *dst);
/* The same as a datapath entry, with the labels SRUM has: hops, or 0. */
int vpnmod_best_entry(struct module *m, const struct node_id *dst, struct dp_entry *e);
/* Forget a resolution in progress for dst (the path went away). */
void vpnmod_cancel(struct module *m, const struct node_id *dst);

/* Wire helpers (exposed for tests): the length of a valid message or -EBADMSG. */
int vpnmod_check(const uint8_t *buf, size_t len, uint8_t *type);

#endif /* IPOP_MOD_VPNMOD_H */
