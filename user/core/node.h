/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The module registry, the module list from config (dependencies first) and
 * a node: the module instances of one controller, shared by both runtimes.
 */
#ifndef IPOP_FW_NODE_H
#define IPOP_FW_NODE_H

#include "core/module.h"

/*
 * Registry (modules/registry.c): the one table of built-in modules, plus any
 * added at run time (tests, plug-ins). module_at walks both (NULL past the end).
 */
const struct module_ops *module_find(const char *name);
const struct module_ops *module_at(unsigned int i);
int module_register(const struct module_ops *ops);
void module_unregister_all_extra(void);

#define MODCFG_MAX 32

struct modcfg {
	int n;
	const struct module_ops *ops[MODCFG_MAX]; /* init order: dependencies first */
	json_t *params[MODCFG_MAX];		  /* borrowed refs: the module's object */
};

/*
 * Load {"name": {"enabled": bool, "dependencies": [..], ...params}, ...}.
 * Disabled modules are skipped. Errors (unknown module, missing or disabled
 * dependency, cycle, bad types) return -EINVAL with a message naming the
 * modules in err.
 */
int modcfg_load(const json_t *modules, struct modcfg *out, char *err, size_t errlen);

/* Allocate and init the modules of mc in order; on error, undo. */
int node_init(struct node *n, const struct node_id *id, const struct rt_ops *rt, void *rt_ctx,
	      const struct modcfg *mc);
/*
 * node_init in two steps, for a runtime that sets per-instance hooks (e.g. a
 * simulator scenario's) between them: node_alloc lays out the instances with
 * zeroed state and runs no init; node_start runs the inits in order and, on
 * error, stops the started ones and frees the node. node_discard frees an
 * allocated node that was never started.
 */
int node_alloc(struct node *n, const struct node_id *id, const struct rt_ops *rt, void *rt_ctx,
	       const struct modcfg *mc);
int node_start(struct node *n, const struct modcfg *mc);
void node_discard(struct node *n);
void node_stop(struct node *n);
struct module *node_module(struct node *n, const char *name);
int node_module_idx(const struct node *n, const char *name);
/* The framework's local delivery: rt_ops.deliver of both runtimes. */
int node_deliver(struct node *n, const char *module, const struct mod_msg *msg);
int node_deliver_idx(struct node *n, int idx, const struct mod_msg *msg);
int node_timer(struct node *n, int idx, uint32_t timer_id);
void node_link(struct node *n, const struct node_id *peer, bool up);
/* {"module": {"counter": n, "dropped": {...}}, ...}; new reference. */
json_t *node_stats_json(const struct node *n);
/* Add one module's counters into obj (used to sum over simulated nodes). */
void module_counters_json(const struct module_ops *ops, const uint64_t *ctr, json_t *obj);
unsigned int module_ncounters(const struct module_ops *ops);

#endif /* IPOP_FW_NODE_H */
