/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The fake runtime test_spdm.c and test_srum.c share: the simulator running
 * cmm, echo, tlfm, spdm and srum (srum after spdm and echo) on n nodes of a
 * graph (degree 4; `file` for GRAPH_FILE) with 5 ms links, so a neighbour
 * answers within 30 ms; module lookup; and a recorder of one node's
 * datapath calls (rt_ops.dp_install / dp_remove).
 */
#ifndef IPOP_TESTS_UNIT_ROUTING_SIM_H
#define IPOP_TESTS_UNIT_ROUTING_SIM_H

#include <criterion/criterion.h>

#include "core/node.h"
#include "sim/sim.h"

static inline struct sim *rtsim_new(enum graph_kind g, uint32_t n, const char *file,
				    json_t *srum_params)
{
	struct sim_cfg c;
	char err[256] = "";
	json_t *mods = json_pack("{s:{}, s:{s:[s]}, s:{s:[s]}, s:{s:[s]}, s:o}", "cmm", "echo",
				 "dependencies", "cmm", "tlfm", "dependencies", "cmm", "spdm",
				 "dependencies", "tlfm", "srum",
				 srum_params ? srum_params : json_object());
	struct sim *s;

	json_object_set_new(json_object_get(mods, "srum"), "dependencies",
			    json_pack("[s, s]", "spdm", "echo"));
	sim_cfg_defaults(&c);
	c.graph.kind = g;
	c.graph.n = n;
	c.graph.degree = 4;
	c.graph.file = file;
	c.lat_min_ns = c.lat_max_ns = 5000000;
	s = sim_new(&c, mods, NULL, NULL, err, sizeof(err));
	json_decref(mods);
	cr_assert_not_null(s, "sim_new: %s", err);
	return s;
}

static inline struct module *mod(struct sim *s, uint32_t i, const char *name)
{
	struct module *m = node_module(sim_node(s, i), name);

	cr_assert_not_null(m);
	return m;
}

/* What the watched node asked of its datapath. */
static struct {
	int installs, removes;
	struct dp_entry last; /* the last install */
} rtsim_dp __attribute__((unused));

static inline int rtsim_install(struct node *n, const struct dp_entry *e)
{
	(void)n;
	rtsim_dp.installs++;
	rtsim_dp.last = *e;
	return 0;
}

static inline int rtsim_remove(struct node *n, const struct dp_entry *e)
{
	(void)n;
	(void)e;
	rtsim_dp.removes++;
	return 0;
}

/* Node i's dp_install and dp_remove go to the recorder (one node per test). */
static inline void rtsim_watch_dp(struct sim *s, uint32_t i)
{
	static struct rt_ops ops;

	memset(&rtsim_dp, 0, sizeof(rtsim_dp));
	ops = *sim_node(s, i)->rt;
	ops.dp_install = rtsim_install;
	ops.dp_remove = rtsim_remove;
	sim_node(s, i)->rt = &ops;
}

#endif /* IPOP_TESTS_UNIT_ROUTING_SIM_H */
