/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ipop-sim tlfm | spdm | srum: the unstructured overlay's scenarios on a
 * random graph (README.md, "Unstructured overlay routing"). Each run makes
 * its own simulator (no scenario hooks: the run drives it from outside).
 */
#ifndef IPOP_SIM_SCEN_ROUTING_H
#define IPOP_SIM_SCEN_ROUTING_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "sim/graph.h"

struct routing_args {
	enum graph_kind graph; /* ba, er, ws or file */
	const char *edges;     /* --graph file */
	uint32_t nodes, degree;
	double beta;
	uint64_t seed;
	uint64_t tokens;   /* tlfm: budget B (0: N) */
	bool plain;	   /* tlfm: the plain-flood baseline */
	uint32_t pairs;	   /* spdm: discoveries */
	uint32_t messages; /* srum: messages sent */
	double churn;	   /* srum: fraction of links failing per simulated minute */
};

void routing_args_defaults(struct routing_args *a);
/* Each returns the results object (new reference), or NULL with err set. */
json_t *sim_tlfm_run(const struct routing_args *a, char *err, size_t errlen);
json_t *sim_spdm_run(const struct routing_args *a, char *err, size_t errlen);
json_t *sim_srum_run(const struct routing_args *a, char *err, size_t errlen);

#endif /* IPOP_SIM_SCEN_ROUTING_H */
