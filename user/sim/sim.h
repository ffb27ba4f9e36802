/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The simulator runtime: N nodes running the same module code in one
 * process, over a graph with per-link latency and loss, permanent link
 * failures and node failures, on a virtual clock driven by a binary heap of
 * events. Deterministic for a given seed.
 */
#ifndef IPOP_SIM_SIM_H
#define IPOP_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "core/node.h"
#include "sim/graph.h"

struct sim_cfg {
	struct graph_params graph;
	uint64_t seed;
	uint64_t lat_min_ns, lat_max_ns; /* per link, fixed, uniform in the range */
	double loss;			 /* per message */
	double link_fail;		 /* fraction of links silently dead from t=0 */
	double node_fail;		 /* fraction of nodes that fail at fail_at_ns */
	uint64_t fail_at_ns;
	uint64_t detect_ns; /* neighbours see a failed node as down after this */
	uint64_t until_ns;  /* stop the clock here (0 = run dry) */
	bool verbose;	    /* module logs to stderr */
	bool all_links;	    /* any node may send to any node (a converged overlay) */
};

struct sim;

/*
 * A scenario: what the nodes are asked to do and what is measured. The
 * engine knows none; a scenario reaches it through this table, passed at
 * sim_new with the scenario's own context (ctx), which holds its state.
 */
struct sim_scenario_ops {
	const char *name; /* "scenario" in the results */
	/* Optional: the module config when sim_new is given none (new reference). */
	json_t *(*modules)(void *ctx);
	/* Optional: node i's modules are allocated, not started: set per-instance hooks. */
	int (*node_setup)(void *ctx, struct sim *s, uint32_t i, struct node *n);
	/* Optional: every node is up; schedule the first app events. 0 or -errno. */
	int (*start)(void *ctx, struct sim *s);
	/* An app event (sim_schedule_app) at a live node. */
	void (*event)(void *ctx, struct sim *s, uint32_t node, uint32_t arg);
	/* Optional: add the scenario's figures to the results object. */
	void (*results)(void *ctx, struct sim *s, json_t *out);
	/* Optional: release what the scenario allocated in ctx (from sim_free). */
	void (*free)(void *ctx);
};

struct sim_counts {
	uint64_t events, icc_sent, icc_delivered, lost_loss, lost_link, to_failed, unknown_module,
		timers;
};

void sim_cfg_defaults(struct sim_cfg *c);
/*
 * modules: module config object, or NULL for the scenario's (ops->modules).
 * ops may be NULL (no scenario: nothing happens but what modules do).
 */
struct sim *sim_new(const struct sim_cfg *c, const json_t *modules,
		    const struct sim_scenario_ops *ops, void *ctx, char *err, size_t errlen);
void sim_free(struct sim *s);
/* Run the scenario until the queue is dry or until_ns. Returns events processed. */
uint64_t sim_run(struct sim *s);
/* Move the stop time (0 = run dry), to run a live simulation on in steps. */
void sim_set_until(struct sim *s, uint64_t until_ns);

uint32_t sim_nnodes(const struct sim *s);
struct node *sim_node(struct sim *s, uint32_t i);
bool sim_failed(const struct sim *s, uint32_t i);
const struct graph *sim_graph(const struct sim *s);
const struct sim_counts *sim_counts(const struct sim *s);
uint64_t sim_now(const struct sim *s);
uint64_t sim_seed(const struct sim *s);
/* The engine's PRNG (scenarios draw from it at start, so runs stay deterministic). */
struct rng *sim_rng(struct sim *s);
/* Node i's ID: ring position in bytes 0-7, index in bytes 12-15. */
void sim_node_id(const struct sim *s, uint32_t i, struct node_id *out);

/* Failed and seen as failed by its neighbours (after the detection delay). */
bool sim_detected(const struct sim *s, uint32_t i);
/* Node index of an ID made by sim_node_id, or -1. */
int64_t sim_node_index(const struct sim *s, const struct node_id *id);
/* Run-time links of node i (rt_link_add), for tests. */
uint32_t sim_dyn_links(const struct sim *s, uint32_t i, const uint32_t **v);

/* Results (results.c) as JSON (new reference; wall_s: run time, from the caller), as a table. */
json_t *sim_results_json(struct sim *s, double wall_s);
void sim_results_print(json_t *results, FILE *out);

/* Nodes reachable from src over links that are not dead (BFS), src included. */
uint64_t sim_expected_reach(struct sim *s, uint32_t src);
bool sim_link_dead(const struct sim *s, uint32_t u, uint32_t v);
/* Schedule the scenario's event hook for node at t (arg: the scenario's). */
int sim_schedule_app(struct sim *s, uint64_t t, uint32_t node, uint32_t arg);

#endif /* IPOP_SIM_SIM_H */
