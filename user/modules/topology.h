/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Topology: the Chord-like structured overlay. Node IDs on a 2^128 ring;
 * membership from the runtime's configured neighbours (bootstrap) and
 * periodic gossip of (ID, address) lists; a successor list, a predecessor,
 * fingers at id + 2^(127 - i) (the first live node at or after that point);
 * greedy routing; failure detection through the runtime's link up/down
 * (keepalives) plus a connect timeout; links added and trimmed as the
 * targets change, with one deterministic winner when two nodes connect to
 * each other at once (the smaller ID's attempt).
 */
#ifndef IPOP_MOD_TOPOLOGY_H
#define IPOP_MOD_TOPOLOGY_H

#include "core/module.h"
#include "modules/ring.h"

#define TOPOLOGY_NAME	"topology"
#define TOPO_SUCC_MAX	16
#define TOPO_FINGERS	128
#define TOPO_GOSSIP_MAX 24 /* entries per gossip message, unsigned */
/* signed: 8 x (16 + 20 + 104) + 4 + 20 + 104 = 1248 <= ICC_MAX_PAYLOAD (1280) */
#define TOPO_GOSSIP_SIGNED_MAX 8
#define TOPO_WIRE_VERSION      1
#define TOPO_DEFAULT_PEERS     1024

enum topo_ctr {
	TOPO_C_GOSSIP_TX,
	TOPO_C_GOSSIP_RX,
	TOPO_C_CONNECT_TX,
	TOPO_C_ACCEPT_TX,
	TOPO_C_RELEASE_TX,
	TOPO_C_LINKS_ADDED,
	TOPO_C_LINKS_REMOVED,
	TOPO_C_LINK_UP,
	TOPO_C_LINK_DOWN,
	TOPO_C_CONNECT_TIMEOUT,
	TOPO_C_RACE_WON,
	TOPO_C_RACE_LOST,
	TOPO_C_VIEW_CHANGES,
	TOPO_C_PEERS_EVICTED,
	TOPO_C_DROP_MALFORMED,
	TOPO_C_DROP_BAD_SIG,
	TOPO_C__MAX,
};

enum topo_msg_type { TOPO_T_GOSSIP = 1, TOPO_T_CONNECT, TOPO_T_ACCEPT, TOPO_T_RELEASE };
#define TOPO_F_REPLY  0x01 /* gossip: please answer with your view */
#define TOPO_F_SIGNED 0x02 /* the sender's record and every entry carry a signed record */

extern const struct module_ops topology_module;
/* Control ops (topology_ctl.c): topology. */
extern const struct module_ctl_op topology_ctl_ops[];

/* ---- wire (topology_wire.c) ---- */

/*
 * The signed part of a membership record (id, addr, stamp): node id's
 * Ed25519 signature by its identity key over topo_rec_bytes. stamp: the
 * runtime's clock (monotonic ns) when id signed it; a larger one supersedes.
 */
struct topo_sig {
	uint64_t stamp;
	uint8_t pub[RT_PUB_LEN];
	uint8_t sig[RT_SIG_LEN];
};
#define TOPO_SIG_WIRE (8 + RT_PUB_LEN + RT_SIG_LEN)
/* "ipoptop1" | id[16] | u8 addr_len | addr | u64 stamp */
#define TOPO_REC_MAX (8 + ID_LEN + 1 + RT_ADDR_MAX + 8)

struct topo_entry {
	struct node_id id;
	struct rt_addr addr;
	struct topo_sig s; /* when the message is TOPO_F_SIGNED */
};

struct topo_msg {
	uint8_t type, flags;
	struct rt_addr addr;  /* the sender's own address */
	struct topo_sig self; /* the sender's record (id = ICC src), when signed */
	uint8_t n;
	struct topo_entry e[TOPO_GOSSIP_MAX];
};

/* Returns bytes written or -EINVAL/-EMSGSIZE. */
int topo_msg_encode(const struct topo_msg *m, uint8_t *buf, size_t cap);
/* Length-checked; returns 0 or -EBADMSG (signed: count <= TOPO_GOSSIP_SIGNED_MAX). */
int topo_msg_decode(const uint8_t *buf, size_t len, struct topo_msg *m);
/* The bytes a record's signature covers; returns their length. */
size_t topo_rec_bytes(const struct node_id *id, const struct rt_addr *a, uint64_t stamp,
		      uint8_t out[TOPO_REC_MAX]);
/* Sign this node's record (rt_sign): 0, or -EOPNOTSUPP without identities. */
int topo_rec_sign(struct module *m, const struct rt_addr *a, uint64_t stamp, struct topo_sig *s);
/* 0 iff s is id's valid signature over (id, a, s->stamp) (rt_verify). */
int topo_rec_verify(struct module *m, const struct node_id *id, const struct rt_addr *a,
		    const struct topo_sig *s);

/* ---- pure helpers (unit tested) ---- */

/*
 * For each finger i, the index in keys (any order, distinct, none equal to
 * self) of the first key at or after self + 2^(127 - i), or -1 where that
 * is self. Returns the number of distinct fingers.
 */
int topo_fingers(ring_t self, const ring_t *keys, int n, int out[TOPO_FINGERS]);
/*
 * Greedy routing towards target: the index in keys of the next hop (the
 * known node closest before or at target, clockwise from self; the
 * successor when target lies between self and it), or -1 when self is the
 * closest known node before target and has no successor. *final: the next
 * hop is the target's successor as far as self knows.
 */
int topo_next_hop(ring_t self, const ring_t *keys, int n, ring_t target, bool *final);
/* Simultaneous connect attempts between a and b: true when a's attempt wins. */
bool topo_connect_wins(const struct node_id *a, const struct node_id *b);
/* *order (malloc'd) = indices of keys by clockwise distance from self; n or -ENOMEM. */
int topo_sort_by_dist(ring_t self, const ring_t *keys, int n, int **order);
/* topo_fingers over keys already ordered by topo_sort_by_dist. */
int topo_fingers_sorted(ring_t self, const ring_t *keys, const int *order, int n,
			int out[TOPO_FINGERS]);

/* ---- use ---- */

/*
 * The live routing entries (successors, predecessor, fingers; linked and
 * up), distinct, into out. Returns the count. SMM partitions over these.
 */
int topology_routes(struct module *topo, struct node_id *out, int max);

/*
 * This node's current view (alive peers, linked or not): successors
 * (up to max_succ), predecessor, and the finger for each i (self where the
 * point has no other node). Returns the number of successors.
 */
int topology_view(struct module *topo, struct node_id *succ, int max_succ, struct node_id *pred,
		  struct node_id fingers[TOPO_FINGERS]);

/* Route entries of this node as JSON (the control op "topology"). New reference. */
json_t *topology_state_json(struct module *topo);

/*
 * An oracle for the simulator's converged-ring scenarios, on one topology
 * instance: when set, topology_routes asks it instead of the module's
 * tables (which stay empty, with no timer). Set it before the module's init
 * (-EBUSY after); -EINVAL if m is not a topology instance.
 */
struct topology_oracle {
	int (*routes)(void *ctx, struct node *n, struct node_id *out, int max);
	void *ctx;
};
int topology_set_oracle(struct module *m, const struct topology_oracle *o);

#endif /* IPOP_MOD_TOPOLOGY_H */
