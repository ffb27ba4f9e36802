/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Controller modules and the node runtime API.
 *
 * A module is a const table of hooks plus the size of its private state.
 * It is sans-I/O: it never calls socket, clock, thread or BPF APIs; every
 * outside effect goes through the node runtime (struct rt_ops), which the
 * daemon fills with epoll/UDP/BPF and the simulator with its event queue.
 */
#ifndef IPOP_FW_MODULE_H
#define IPOP_FW_MODULE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "core/icc.h"
#include "core/id.h"

struct module;
struct node;

/* A message as a module sees it, remote (ICC) or local. */
struct mod_msg {
	uint8_t type; /* enum icc_type */
	uint8_t flags;
	uint8_t ttl;
	struct msg_id id;
	struct node_id src;	 /* neighbour it came from, or this node if local */
	const char *from_module; /* sender module for local delivery, else NULL */
	const void *data;
	size_t len;
};

/*
 * A datapath entry a module asks the runtime to install (e.g. a source
 * route). path[0..hops) are the nodes after this one, path[hops - 1] == dst.
 * Link labels (VPN datapath, bpf/sr.h) are local to the node that forwards:
 * first_label is this node's label towards path[0], labels[i] is path[i]'s
 * label towards path[i + 1] (labels[hops - 1] is unused). A label of
 * DP_LABEL_NONE means "not known" (a runtime without a datapath, or a path
 * learned from a request's route record); a runtime that needs labels
 * ignores such entries.
 */
#define DP_PATH_MAX   16
#define DP_LABEL_NONE 0
struct dp_entry {
	uint32_t kind;
	struct node_id dst;
	uint8_t hops;
	uint8_t first_label;
	struct node_id path[DP_PATH_MAX];
	uint8_t labels[DP_PATH_MAX];
};

/*
 * label: this node's datapath link label towards the neighbour (1..255), or
 * DP_LABEL_NONE when the runtime has no datapath link to it.
 */
struct nbr_info {
	struct node_id id;
	bool up;
	uint8_t label;
};

enum log_level { LOG_L_ERR, LOG_L_WARN, LOG_L_INFO, LOG_L_DEBUG };

/*
 * A runtime address of a node, opaque to modules (they carry it in
 * membership gossip). Daemon: b[0] = 4 or 6, then the IP address and the
 * port (big-endian). Simulator: b[0] = 0, then the node index (big-endian).
 */
#define RT_ADDR_MAX 19
struct rt_addr {
	uint8_t len;
	uint8_t b[RT_ADDR_MAX];
};

#define RT_SIG_LEN 64 /* Ed25519 signature */
#define RT_PUB_LEN 32 /* Ed25519 public key */

struct rt_ops {
	/* ICC to a neighbour's module. -EHOSTUNREACH if `to` is no neighbour. */
	int (*send)(struct node *n, const struct node_id *to, const char *module,
		    const struct mod_msg *msg);
	/* To a module on this node; -ENOENT if it is not loaded. */
	int (*deliver)(struct node *n, const char *module, const struct mod_msg *msg);
	int (*timer_arm)(struct node *n, struct module *m, uint32_t timer_id, uint64_t delay_ns);
	int (*timer_cancel)(struct node *n, struct module *m, uint32_t timer_id);
	uint64_t (*now)(struct node *n); /* monotonic ns */
	/* Fills up to max entries; returns the total number of neighbours. */
	int (*neighbours)(struct node *n, struct nbr_info *out, int max);
	int (*dp_install)(struct node *n, const struct dp_entry *e);
	int (*dp_remove)(struct node *n, const struct dp_entry *e);
	void (*count)(struct module *m, unsigned int ctr, uint64_t delta);
	void (*log)(struct node *n, enum log_level lvl, const char *fmt, va_list ap);
	/*
	 * Run-time links (topology). link_add puts a node in the neighbour
	 * table (idempotent; addr may be NULL if the node is already known);
	 * the link goes up (module link hook) once the peer is heard from, and
	 * down after the runtime's dead interval. link_remove drops it.
	 * self_addr: this node's own address (what it gossips). -errno.
	 */
	int (*link_add)(struct node *n, const struct node_id *id, const struct rt_addr *addr);
	int (*link_remove)(struct node *n, const struct node_id *id);
	int (*self_addr)(struct node *n, struct rt_addr *out);
	/*
	 * Origin authentication for messages that change routing state far
	 * from their origin (route replies, route errors, membership gossip).
	 * Optional: NULL in a runtime without identities (the simulator).
	 * sign: an Ed25519 signature over data by this node's identity key,
	 * and that key's public half (the node ID is derived from it).
	 * verify: 0 if pub hashes to origin's node ID and sig is pub's
	 * signature over data; -EBADMSG otherwise.
	 */
	int (*sign)(struct node *n, const void *data, size_t len, uint8_t sig[RT_SIG_LEN],
		    uint8_t pub[RT_PUB_LEN]);
	int (*verify)(struct node *n, const struct node_id *origin, const uint8_t pub[RT_PUB_LEN],
		      const void *data, size_t len, const uint8_t sig[RT_SIG_LEN]);
};

/*
 * A module's control op (served by the daemon on its control socket): the
 * handler gets the module instance on the daemon's node and the request
 * object; it returns a reply (new reference) or NULL with err filled.
 */
typedef json_t *(*module_ctl_fn)(struct module *m, json_t *req, char *err, size_t errlen);

struct module_ctl_op {
	const char *name;
	module_ctl_fn fn;
};

struct module_ops {
	const char *name;
	size_t priv_size;
	/* Counter names, NULL-terminated; "a.b" nests as {"a": {"b": n}} in stats. */
	const char *const *counters;
	int (*init)(struct module *m, const json_t *params);
	int (*recv)(struct module *m, const struct mod_msg *msg);
	int (*timer)(struct module *m, uint32_t timer_id);
	int (*stop)(struct module *m);
	/* Optional: a neighbour link went up or down. */
	int (*link)(struct module *m, const struct node_id *peer, bool up);
	/*
	 * Optional: a link notice from elsewhere in the overlay: node a says
	 * its link to b went down (or, up, came back). Called by the module
	 * that carries such notices (rt_link_notice), never for this node's
	 * own links (those come to link above).
	 */
	int (*link_notice)(struct module *m, const struct node_id *a, const struct node_id *b,
			   bool up);
	/* Optional: control ops, ending with {NULL, NULL}; names unique daemon-wide. */
	const struct module_ctl_op *ctl_ops;
};

struct module {
	const struct module_ops *ops;
	struct node *node;
	void *priv;
	uint64_t *ctr;
	uint16_t idx; /* position in node->mods */
};

struct node {
	struct node_id id;
	const struct rt_ops *rt;
	void *rt_ctx;
	struct module *mods;
	uint16_t nmods;
};

/* What modules call: thin wrappers over the runtime. */
static inline int rt_send(struct module *m, const struct node_id *to, const char *module,
			  const struct mod_msg *msg)
{
	return m->node->rt->send(m->node, to, module, msg);
}

static inline int rt_deliver(struct module *m, const char *module, const struct mod_msg *msg)
{
	return m->node->rt->deliver(m->node, module, msg);
}

static inline int rt_timer_arm(struct module *m, uint32_t timer_id, uint64_t delay_ns)
{
	return m->node->rt->timer_arm(m->node, m, timer_id, delay_ns);
}

static inline int rt_timer_cancel(struct module *m, uint32_t timer_id)
{
	return m->node->rt->timer_cancel(m->node, m, timer_id);
}

static inline uint64_t rt_now(struct module *m)
{
	return m->node->rt->now(m->node);
}

static inline int rt_neighbours(struct module *m, struct nbr_info *out, int max)
{
	return m->node->rt->neighbours(m->node, out, max);
}

static inline int rt_dp_install(struct module *m, const struct dp_entry *e)
{
	return m->node->rt->dp_install(m->node, e);
}

static inline int rt_dp_remove(struct module *m, const struct dp_entry *e)
{
	return m->node->rt->dp_remove(m->node, e);
}

static inline void rt_count(struct module *m, unsigned int ctr, uint64_t delta)
{
	m->node->rt->count(m, ctr, delta);
}

static inline int rt_link_add(struct module *m, const struct node_id *id,
			      const struct rt_addr *addr)
{
	return m->node->rt->link_add ? m->node->rt->link_add(m->node, id, addr) : -EOPNOTSUPP;
}

static inline int rt_link_remove(struct module *m, const struct node_id *id)
{
	return m->node->rt->link_remove ? m->node->rt->link_remove(m->node, id) : -EOPNOTSUPP;
}

static inline int rt_self_addr(struct module *m, struct rt_addr *out)
{
	return m->node->rt->self_addr ? m->node->rt->self_addr(m->node, out) : -EOPNOTSUPP;
}

/* -EOPNOTSUPP when the runtime has no identities (then messages go unsigned). */
static inline int rt_sign(struct module *m, const void *data, size_t len, uint8_t sig[RT_SIG_LEN],
			  uint8_t pub[RT_PUB_LEN])
{
	return m->node->rt->sign ? m->node->rt->sign(m->node, data, len, sig, pub) : -EOPNOTSUPP;
}

static inline int rt_verify(struct module *m, const struct node_id *origin,
			    const uint8_t pub[RT_PUB_LEN], const void *data, size_t len,
			    const uint8_t sig[RT_SIG_LEN])
{
	return m->node->rt->verify ? m->node->rt->verify(m->node, origin, pub, data, len, sig)
				   : -EOPNOTSUPP;
}

/* Hand a link notice (a's link to b went down or up) to every other module on this node. */
static inline void rt_link_notice(struct module *from, const struct node_id *a,
				  const struct node_id *b, bool up)
{
	struct node *n = from->node;

	for (uint16_t i = 0; i < n->nmods; i++)
		if (&n->mods[i] != from && n->mods[i].ops->link_notice)
			n->mods[i].ops->link_notice(&n->mods[i], a, b, up);
}

void rt_log(struct module *m, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* IPOP_FW_MODULE_H */
