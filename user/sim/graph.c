// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Graph generators: each produces an edge list, graph_csr makes it simple. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/graph.h"

const char *const graph_names[] = { "ring", "chord", "regular", "er", "ba", "ws", "file", NULL };

struct edges {
	uint32_t *uv; /* pairs */
	uint64_t n, cap;
};

static int edge_add(struct edges *e, uint32_t u, uint32_t v)
{
	if (e->n == e->cap) {
		uint64_t nc = e->cap ? 2 * e->cap : 1024;
		uint32_t *p = realloc(e->uv, nc * 2 * sizeof(*p));

		if (!p)
			return -ENOMEM;
		e->uv = p;
		e->cap = nc;
	}
	e->uv[2 * e->n] = u;
	e->uv[2 * e->n + 1] = v;
	e->n++;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and dedupe each row in place, compacting adj. */
static void csr_compact(struct graph *g)
{
	uint64_t w = 0;

	for (uint32_t u = 0; u < g->n; u++) {
		uint64_t a = g->off[u], b = g->off[u + 1], start = w;

		qsort(g->adj + a, b - a, sizeof(uint32_t), cmp_u32);
		for (uint64_t i = a; i < b; i++)
			if (w == start || g->adj[w - 1] != g->adj[i])
				g->adj[w++] = g->adj[i];
		g->off[u] = start;
	}
	g->off[g->n] = w;
}

static int graph_csr(struct graph *g, uint32_t n, const struct edges *e)
{
	uint64_t *fill;

	g->n = n;
	g->off = calloc((size_t)n + 1, sizeof(*g->off));
	g->adj = malloc((e->n * 2 + 1) * sizeof(*g->adj));
	fill = calloc((size_t)n + 1, sizeof(*fill));
	if (!g->off || !g->adj || !fill) {
		free(fill);
		graph_free(g);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < e->n; i++) {
		uint32_t u = e->uv[2 * i], v = e->uv[2 * i + 1];

		if (u != v) {
			g->off[u + 1]++;
			g->off[v + 1]++;
		}
	}
	for (uint32_t u = 0; u < n; u++)
		g->off[u + 1] += g->off[u];
	for (uint64_t i = 0; i < e->n; i++) {
		uint32_t u = e->uv[2 * i], v = e->uv[2 * i + 1];

		if (u == v)
			continue;
		g->adj[g->off[u] + fill[u]++] = v;
		g->adj[g->off[v] + fill[v]++] = u;
	}
	free(fill);
	csr_compact(g);
	return 0;
}

static int gen_ring(struct edges *e, uint32_t n, bool chord)
{
	int err = 0;

	for (uint32_t i = 0; i < n && !err; i++) {
		err = edge_add(e, i, (i + 1) % n);
		for (uint64_t d = 2; chord && !err && d < n; d <<= 1)
			err = edge_add(e, i, (uint32_t)((i + d) % n));
	}
	return err;
}

/* Configuration model; self loops and multi-edges of the pairing are dropped. */
static int gen_regular(struct edges *e, uint32_t n, uint32_t d, struct rng *r)
{
	uint64_t ns = (uint64_t)n * d;
	uint32_t *stubs = malloc(ns * sizeof(*stubs));
	int err = 0;

	if (!stubs)
		return -ENOMEM;
	for (uint64_t i = 0; i < ns; i++)
		stubs[i] = (uint32_t)(i / d);
	for (uint64_t i = ns - 1; i > 0; i--) {
		uint64_t j = rng_below(r, i + 1);
		uint32_t t = stubs[i];

		stubs[i] = stubs[j];
		stubs[j] = t;
	}
	for (uint64_t i = 0; i + 1 < ns && !err; i += 2)
		err = edge_add(e, stubs[i], stubs[i + 1]);
	free(stubs);
	return err;
}

/* G(n, M) with M = p n(n-1)/2, or n * degree / 2 when p is 0. */
static int gen_er(struct edges *e, const struct graph_params *p, struct rng *r)
{
	double m = p->p > 0 ? p->p * p->n * (p->n - 1.0) / 2 : (double)p->n * p->degree / 2;
	int err = 0;

	for (uint64_t i = 0; i < (uint64_t)m && !err; i++)
		err = edge_add(e, (uint32_t)rng_below(r, p->n), (uint32_t)rng_below(r, p->n));
	return err;
}

/* Barabasi-Albert: m = degree/2 links per new node, preferential by endpoint list. */
static int gen_ba(struct edges *e, uint32_t n, uint32_t m, struct rng *r)
{
	int err = 0;

	for (uint32_t i = 0; i <= m && i < n && !err; i++)
		for (uint32_t j = 0; j < i && !err; j++)
			err = edge_add(e, i, j);
	for (uint32_t i = m + 1; i < n && !err; i++) {
		uint64_t pool = e->n * 2;

		for (uint32_t k = 0; k < m && !err; k++)
			err = edge_add(e, i, e->uv[rng_below(r, pool)]);
	}
	return err;
}

static int gen_ws(struct edges *e, uint32_t n, uint32_t k, double beta, struct rng *r)
{
	int err = 0;

	for (uint32_t i = 0; i < n && !err; i++)
		for (uint32_t j = 1; j <= k / 2 && !err; j++) {
			uint32_t v = (i + j) % n;

			if (rng_unit(r) < beta)
				v = (uint32_t)rng_below(r, n);
			err = edge_add(e, i, v);
		}
	return err;
}

static int gen_file(struct edges *e, const struct graph_params *p, uint32_t *n, char *err,
		    size_t errlen)
{
	FILE *f = fopen(p->file, "r");
	char line[256];
	unsigned long u, v, lineno = 0;
	int ret = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", p->file, strerror(errno));
		return -errno;
	}
	*n = p->n;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t");

		lineno++;
		if (*s == '#' || *s == '\n' || *s == '\0')
			continue;
		if (sscanf(s, "%lu %lu", &u, &v) != 2 || u >= UINT32_MAX || v >= UINT32_MAX) {
			snprintf(err, errlen, "%s:%lu: expected 'u v'", p->file, lineno);
			ret = -EINVAL;
			break;
		}
		if (u + 1 > *n || v + 1 > *n)
			*n = (uint32_t)(u > v ? u + 1 : v + 1);
		ret = edge_add(e, (uint32_t)u, (uint32_t)v);
	}
	fclose(f);
	return ret;
}

int graph_build(struct graph *g, const struct graph_params *p, struct rng *r, char *err,
		size_t errlen)
{
	struct edges e = { 0 };
	uint32_t n = p->n;
	int ret;

	memset(g, 0, sizeof(*g));
	if (errlen)
		err[0] = '\0';
	if (p->kind == GRAPH_FILE && !p->file) {
		snprintf(err, errlen, "graph 'file' needs --edges FILE");
		return -EINVAL;
	}
	if (p->kind != GRAPH_FILE && n < 2) {
		snprintf(err, errlen, "need at least 2 nodes");
		return -EINVAL;
	}
	switch (p->kind) {
	case GRAPH_RING:
	case GRAPH_CHORD:
		ret = gen_ring(&e, n, p->kind == GRAPH_CHORD);
		break;
	case GRAPH_REGULAR:
		ret = gen_regular(&e, n, p->degree, r);
		break;
	case GRAPH_ER:
		ret = gen_er(&e, p, r);
		break;
	case GRAPH_BA:
		ret = gen_ba(&e, n, p->degree / 2 ? p->degree / 2 : 1, r);
		break;
	case GRAPH_WS:
		ret = gen_ws(&e, n, p->degree, p->beta, r);
		break;
	default:
		ret = gen_file(&e, p, &n, err, errlen);
		break;
	}
	if (!ret)
		ret = graph_csr(g, n, &e);
	free(e.uv);
	if (ret && !err[0])
		snprintf(err, errlen, "graph: %s", strerror(-ret));
	return ret;
}

void graph_free(struct graph *g)
{
	free(g->off);
	free(g->adj);
	g->off = NULL;
	g->adj = NULL;
}

bool graph_has_edge(const struct graph *g, uint32_t u, uint32_t v)
{
	uint64_t lo = g->off[u], hi = g->off[u + 1];

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (g->adj[mid] == v)
			return true;
		if (g->adj[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
