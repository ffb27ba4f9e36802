/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ipop-sim smm: SMM broadcasts on a converged Chord ring, with and without failures. */
#ifndef IPOP_SIM_SMM_SCEN_H
#define IPOP_SIM_SMM_SCEN_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct smm_args_pub {
	uint32_t nodes, runs, successors;
	uint64_t seed;
	double fail;	 /* fraction of nodes failed before the broadcasts */
	bool repair;	 /* tables rebuilt over the live nodes */
	bool undetected; /* failures not detected yet (no link down) */
};

/*
 * Run args->runs broadcasts from random live roots. Returns the results
 * (README.md, "Structured overlay"), or NULL with err set.
 */
json_t *sim_smm_run(const struct smm_args_pub *args, char *err, size_t errlen);
/* `ipop-sim smm ...`: parse, run, print. Returns the exit code. */
int sim_smm_main(int argc, char **argv);

#endif /* IPOP_SIM_SMM_SCEN_H */
