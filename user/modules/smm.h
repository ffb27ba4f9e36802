/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SMM, structured multicast over the Chord ring (El-Ansary, Alima, Brand,
 * Haridi, "Efficient Broadcast in Structured P2P Networks", IPTPS 2003).
 *
 * smm_send(id, payload, [from, to)) delivers the payload to the module dmm
 * on every node whose ID is in the range. At each hop the node splits the
 * range among its live routing entries (fingers, successors, predecessor),
 * sorted clockwise: entry j gets the part of the range in [entry j, entry
 * j+1). A part that starts before its entry's own ID makes that entry a
 * routing hop (it forwards without delivering). A failed entry's arc falls
 * to the entry before it, so it is re-covered through the next live node.
 * Forwarding goes through CMM (one CMM message ID per hop and sub-range);
 * SMM delivers each broadcast ID at most once per node.
 */
#ifndef IPOP_MOD_SMM_H
#define IPOP_MOD_SMM_H

#include "core/module.h"
#include "modules/cmm.h"
#include "modules/ring.h"

#define SMM_NAME	   "smm"
#define SMM_WIRE_VERSION   1
#define SMM_HDR_LEN	   (4 + 4 * ID_LEN + ICC_MOD_LEN)
#define SMM_MAX_DATA	   (CMM_MAX_DATA - SMM_HDR_LEN)
#define SMM_DEFAULT_DEPTH  64
#define SMM_DEFAULT_SEEN   4096
#define SMM_DEFAULT_TTL_MS 60000
#define SMM_ROUTES_MAX	   192

enum smm_ctr {
	SMM_C_ORIGINATED,
	SMM_C_SENT,
	SMM_C_RECEIVED,
	SMM_C_DELIVERED,
	SMM_C_DUPLICATES,
	SMM_C_TRANSIT,	 /* received a range that did not contain this node */
	SMM_C_RECOVERED, /* sub-ranges re-split after a send to an entry failed */
	SMM_C_DROP_MALFORMED,
	SMM_C_DROP_DEPTH,
	SMM_C_DROP_NO_ROUTE, /* a part of a range with no live entry to take it */
	SMM_C_DROP_UNKNOWN_MODULE,
	SMM_C_DROP_NO_TOPOLOGY,
	SMM_C__MAX,
};

extern const struct module_ops smm_module;

/* The SMM header (smm_wire.c), after the CMM header. */
struct smm_hdr {
	uint8_t version;
	uint8_t flags;
	uint16_t depth;	     /* hops from the origin */
	struct msg_id bcast; /* the broadcast's ID: the delivery dedup key */
	struct node_id origin;
	struct node_id from, to; /* the range this hop is responsible for */
	char dmm[ICC_MOD_LEN + 1];
};

int smm_hdr_encode(const struct smm_hdr *h, uint8_t *buf, size_t cap);
/* Length-checked; returns the header length or -EBADMSG. */
int smm_hdr_decode(const uint8_t *buf, size_t len, struct smm_hdr *h);
/* The CMM message ID of one hop: a mix of the broadcast ID and the range. */
void smm_hop_id(const struct msg_id *bcast, const struct node_id *from, const struct node_id *to,
		struct msg_id *out);

/* One part of a split range: [from, to) for routing entry `peer`. */
struct smm_part {
	int peer; /* index into the routes given to smm_partition */
	ring_t from, to;
};

/*
 * Split [from, to) (from == to: the whole ring) at node `self` among routes
 * (distinct, none equal to self, any order). Parts are disjoint, never
 * contain self, and with self (if inside) their union is the range minus
 * the arc [self, first route) that only self covers. *self_in: self is in
 * the range. Returns the number of parts (at most 2 * nroutes), or -E2BIG.
 */
int smm_partition(ring_t self, const ring_t *routes, int nroutes, ring_t from, ring_t to,
		  struct smm_part *out, int max, bool *self_in);

/* Start a multicast over [from, to) from this node (smm module m). Returns parts sent or -errno. */
int smm_send(struct module *m, const struct msg_id *id, const void *data, size_t len,
	     const struct node_id *from, const struct node_id *to, const char *dmm);
/* The same from any module on the node. */
int smm_send_from(struct module *caller, const struct msg_id *id, const void *data, size_t len,
		  const struct node_id *from, const struct node_id *to, const char *dmm);

/*
 * A simulator scenario's observer on one SMM instance: called on every local
 * delivery (fn NULL to clear). -EINVAL if m is not an SMM instance.
 */
typedef void (*smm_observer_fn)(void *ctx, struct node *n, const struct msg_id *bcast,
				unsigned int depth, bool duplicate);
int smm_set_observer(struct module *m, smm_observer_fn fn, void *ctx);

/* Control ops (smm_ctl.c): smm_send. */
extern const struct module_ctl_op smm_ctl_ops[];

#endif /* IPOP_MOD_SMM_H */
