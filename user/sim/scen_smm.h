/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ipop-sim smm: SMM broadcasts on a converged Chord ring, with and without failures. */
#ifndef IPOP_SIM_SCEN_SMM_H
#define IPOP_SIM_SCEN_SMM_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "sim/sim.h"

struct scen_smm_args {
	uint32_t nodes, runs, successors;
	uint64_t seed;
	double fail;	 /* fraction of nodes failed before the broadcasts */
	bool repair;	 /* tables rebuilt over the live nodes */
	bool undetected; /* failures not detected yet (no link down) */
};

/* The scenario's hooks (the topology oracle and the SMM observer per node). */
extern const struct sim_scenario_ops scen_smm_ops;

/*
 * Run args->runs broadcasts from random live roots. Returns the results
 * (README.md, "Structured overlay"), or NULL with err set.
 */
json_t *scen_smm_run(const struct scen_smm_args *args, char *err, size_t errlen);

#endif /* IPOP_SIM_SCEN_SMM_H */
