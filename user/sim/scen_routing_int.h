/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Helpers the routing scenarios share (scen_spdm.c). */
#ifndef IPOP_SIM_SCEN_ROUTING_INT_H
#define IPOP_SIM_SCEN_ROUTING_INT_H

#include "sim/scen_routing.h"
#include "sim/sim.h"

double routing_now_s(void);
/* Peak resident memory of this process so far (getrusage ru_maxrss), MiB. */
double routing_peak_mib(void);
/* cmm, echo, tlfm, spdm, srum: the routing stack (new reference); flood budgets up to 4N. */
json_t *routing_modules(uint32_t nodes);
struct sim *routing_sim(const struct routing_args *a, const json_t *mods, char *err, size_t errlen);
void routing_bfs(const struct graph *g, uint32_t src, uint32_t *dist, uint32_t *queue,
		 bool (*down)(void *ctx, uint32_t u, uint64_t slot), void *ctx);
/* Sorts v. */
double routing_quantile(double *v, size_t n, double q);

#endif /* IPOP_SIM_SCEN_ROUTING_INT_H */
