/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The CMM scenarios (ipop-sim cmm). neighbours: every node CMM-sends one
 * message to all its neighbours' echo module. flood: k sources flood
 * through CMM (flood module). none: the same modules, nothing sent. Sends
 * are issued `repeat` times, 1 ms apart, with the same message ID, so
 * duplicates must be suppressed.
 */
#ifndef IPOP_SIM_SCEN_CMM_H
#define IPOP_SIM_SCEN_CMM_H

#include "sim/sim.h"

struct scen_cmm {
	uint32_t sources;	  /* flood: how many floods (distinct sources) */
	uint32_t repeat;	  /* each send is issued this many times (1 ms apart) */
	uint64_t start_window_ns; /* neighbours: nodes start uniformly in [0, this) */
	uint32_t seen_capacity;	  /* CMM's, in the default module config */
	uint32_t payload_len;
	/* state, from start to free */
	int kind;
	uint32_t *src, nsrc;
};

void scen_cmm_defaults(struct scen_cmm *c);

extern const struct sim_scenario_ops scen_neighbours_ops, scen_flood_ops, scen_none_ops;
/* By name ("neighbours", "flood", "none"), or NULL. */
const struct sim_scenario_ops *scen_cmm_find(const char *name);
extern const char *const scen_cmm_names[]; /* NULL-terminated */

#endif /* IPOP_SIM_SCEN_CMM_H */
