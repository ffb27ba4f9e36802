// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Topology's pure ring arithmetic: order by clockwise distance, fingers, greedy next hop. */
#include <errno.h>
#include <stdlib.h>

#include "modules/topology.h"

static int cmp_dist(const void *a, const void *b, void *ctx)
{
	const ring_t *c = ctx, self = c[0], *keys = c + 1;
	ring_t x = keys[*(const int *)a] - self, y = keys[*(const int *)b] - self;

	return x < y ? -1 : x > y;
}

/* order[] = indices of keys sorted by clockwise distance from self. */
int topo_sort_by_dist(ring_t self, const ring_t *keys, int n, int **order)
{
	ring_t *ctx = malloc(sizeof(*ctx) * (size_t)(n + 1));

	*order = malloc(sizeof(int) * (size_t)(n ? n : 1));
	if (!ctx || !*order) {
		free(ctx);
		free(*order);
		*order = NULL;
		return -ENOMEM;
	}
	ctx[0] = self;
	if (n) /* keys may be NULL when there is no other node */
		memcpy(ctx + 1, keys, sizeof(*keys) * (size_t)n);
	for (int i = 0; i < n; i++)
		(*order)[i] = i;
	qsort_r(*order, (size_t)n, sizeof(int), cmp_dist, ctx);
	free(ctx);
	return n;
}

/* First position in order whose distance from self is >= d; n if none. */
static int lower_bound(ring_t self, const ring_t *keys, const int *order, int n, ring_t d)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (keys[order[mid]] - self < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int topo_fingers_sorted(ring_t self, const ring_t *keys, const int *order, int n,
			int out[TOPO_FINGERS])
{
	int distinct = 0, last = -2;

	for (int i = 0; i < TOPO_FINGERS; i++) {
		int k = lower_bound(self, keys, order, n, (ring_t)1 << (127 - i));

		out[i] = k < n ? order[k] : -1;
		if (out[i] != last && out[i] >= 0)
			distinct++;
		last = out[i];
	}
	return distinct;
}

int topo_fingers(ring_t self, const ring_t *keys, int n, int out[TOPO_FINGERS])
{
	int *order, ret;

	if (topo_sort_by_dist(self, keys, n, &order) < 0)
		return -ENOMEM;
	ret = topo_fingers_sorted(self, keys, order, n, out);
	free(order);
	return ret;
}

int topo_next_hop(ring_t self, const ring_t *keys, int n, ring_t target, bool *final)
{
	ring_t dt = target - self, best = 0, succ = RING_MAX;
	int bi = -1, si = -1;

	*final = false;
	for (int i = 0; i < n; i++) {
		ring_t d = keys[i] - self;

		if (d && (si < 0 || d < succ)) {
			succ = d;
			si = i;
		}
		if (d && d <= dt && d > best) {
			best = d;
			bi = i;
		}
	}
	if (dt == 0)
		return -1; /* self is the target */
	if (si >= 0 && dt <= succ) {
		*final = true;
		return si;
	}
	if (bi >= 0 && best == dt)
		*final = true;
	return bi >= 0 ? bi : si;
}

bool topo_connect_wins(const struct node_id *a, const struct node_id *b)
{
	return memcmp(a->b, b->b, ID_LEN) < 0;
}
