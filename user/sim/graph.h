/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Undirected simple graphs in CSR form, and the simulator's generators. */
#ifndef IPOP_SIM_GRAPH_H
#define IPOP_SIM_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/rng.h"

enum graph_kind {
	GRAPH_RING,
	GRAPH_CHORD,
	GRAPH_REGULAR,
	GRAPH_ER,
	GRAPH_BA,
	GRAPH_WS,
	GRAPH_FILE
};

extern const char *const graph_names[]; /* NULL-terminated, by enum graph_kind */

struct graph_params {
	enum graph_kind kind;
	uint32_t n;
	uint32_t degree;  /* regular: d; er: mean degree (if p == 0); ba: 2m; ws: k */
	double p;	  /* er: edge probability (overrides degree) */
	double beta;	  /* ws: rewiring probability */
	const char *file; /* edge list: "u v" per line, '#' comments */
};

struct graph {
	uint32_t n;
	uint64_t *off; /* n + 1 */
	uint32_t *adj; /* sorted per row, no self loops, no duplicates */
};

int graph_build(struct graph *g, const struct graph_params *p, struct rng *r, char *err,
		size_t errlen);
void graph_free(struct graph *g);
bool graph_has_edge(const struct graph *g, uint32_t u, uint32_t v);

static inline uint32_t graph_degree(const struct graph *g, uint32_t u)
{
	return (uint32_t)(g->off[u + 1] - g->off[u]);
}

static inline uint64_t graph_edges(const struct graph *g)
{
	return g->off[g->n] / 2;
}

#endif /* IPOP_SIM_GRAPH_H */
