// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SMM: range partitioning, the wire header, and broadcasts on the simulator. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "modules/echo.h"
#include "modules/smm.h"
#include "modules/topology.h"
#include "sim/sim.h"
#include "sim/scen_smm.h"

/* Is x covered by exactly one part (or by self's own arc)? */
static int covered_by(const struct smm_part *p, int n, ring_t x)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += ring_in(x, p[i].from, p[i].to);
	return c;
}

/* Parts are disjoint, inside [from, to), each starting in its route's arc. */
static void check_parts(ring_t self, const ring_t *routes, int nr, ring_t from, ring_t to,
			const struct smm_part *p, int n)
{
	for (int i = 0; i < n; i++) {
		ring_t r = routes[p[i].peer];

		cr_assert_neq(p[i].from, p[i].to, "part %d is empty or whole", i);
		cr_assert(ring_in(p[i].from, from, to) || from == to);
		cr_assert(ring_in(p[i].to - 1, from, to) || from == to);
		cr_assert(!ring_in(self, p[i].from, p[i].to), "part %d contains self", i);
		/* no other route lies strictly inside (r, end of part) */
		for (int k = 0; k < nr; k++)
			if (routes[k] != r)
				cr_assert(!ring_in(routes[k], r + 1, p[i].to) ||
					  !ring_in(routes[k], p[i].from, p[i].to));
		for (int j = 0; j < n; j++)
			if (j != i) {
				cr_assert(!ring_in(p[j].from, p[i].from, p[i].to), "%d/%d overlap",
					  i, j);
			}
	}
}

Test(smm_partition, whole_ring_splits_at_each_route)
{
	ring_t routes[] = { 300, 100, 200, 1000 };
	struct smm_part p[8];
	bool self_in;
	int n = smm_partition(50, routes, 4, 50, 50, p, 8, &self_in);

	cr_assert_eq(n, 4);
	cr_assert(self_in);
	check_parts(50, routes, 4, 50, 50, p, n);
	/* sorted clockwise from self: 100, 200, 300, 1000 */
	cr_assert_eq(routes[p[0].peer], 100);
	cr_assert_eq(p[0].from, 100);
	cr_assert_eq(p[0].to, 200);
	cr_assert_eq(p[3].from, 1000);
	cr_assert_eq(p[3].to, 50); /* up to self, across 2^128 */
	/* union = everything but [self, first route) */
	for (ring_t x = 0; x < 2000; x += 7)
		cr_assert_eq(covered_by(p, n, x), ring_in(x, 50, 100) ? 0 : 1, "x=%u", (unsigned)x);
	cr_assert_eq(covered_by(p, n, RING_MAX), 1);
}

Test(smm_partition, wrap_around_two_to_the_128)
{
	ring_t self = RING_MAX - 100, routes[] = { RING_MAX - 50, 10, 500 };
	struct smm_part p[8];
	bool self_in;
	/* [MAX-80, 200): wraps past 0 */
	int n = smm_partition(self, routes, 3, RING_MAX - 80, 200, p, 8, &self_in);

	cr_assert(!self_in);
	cr_assert_eq(n, 2);
	check_parts(self, routes, 3, RING_MAX - 80, 200, p, n);
	/* [MAX-80, MAX-50) is in self's own arc: no node there (its successor is MAX-50) */
	cr_assert_eq(routes[p[0].peer], RING_MAX - 50);
	cr_assert_eq(p[0].from, RING_MAX - 50);
	cr_assert_eq(p[0].to, 10);
	cr_assert_eq(p[1].from, 10);
	cr_assert_eq(p[1].to, 200);
	for (ring_t x = RING_MAX - 50; x != 200; x++)
		cr_assert_eq(covered_by(p, n, x), 1);
	cr_assert_eq(covered_by(p, n, 200), 0);
	cr_assert_eq(covered_by(p, n, RING_MAX - 81), 0);
}

Test(smm_partition, range_with_no_route_inside)
{
	ring_t routes[] = { 1000, 5000 };
	struct smm_part p[8];
	bool self_in;
	int n = smm_partition(0, routes, 2, 2000, 3000, p, 8, &self_in);

	/* the whole range goes to the closest route before it (a routing hop) */
	cr_assert_eq(n, 1);
	cr_assert(!self_in);
	cr_assert_eq(routes[p[0].peer], 1000);
	cr_assert_eq(p[0].from, 2000);
	cr_assert_eq(p[0].to, 3000);
	/* inside self's own arc: nobody else to send to */
	n = smm_partition(0, routes, 2, 0, 500, p, 8, &self_in);
	cr_assert_eq(n, 0);
	cr_assert(self_in);
	/* no routes at all */
	n = smm_partition(0, NULL, 0, 0, 0, p, 8, &self_in);
	cr_assert_eq(n, 0);
}

Test(smm_partition, gap_inside_one_arc_gives_two_parts)
{
	ring_t routes[] = { 100, 1000 };
	struct smm_part p[8];
	bool self_in;
	/* the range is everything but [300, 600), which lies in 100's arc */
	int n = smm_partition(0, routes, 2, 600, 300, p, 8, &self_in);

	cr_assert(self_in);
	cr_assert_eq(n, 3);
	check_parts(0, routes, 2, 600, 300, p, n);
	for (ring_t x = 1; x < 2000; x++)
		cr_assert_eq(covered_by(p, n, x), (x < 100 || (x >= 300 && x < 600)) ? 0 : 1,
			     "x=%u", (unsigned)x);
}

Test(smm_partition, random_ranges_are_exactly_covered)
{
	uint64_t x = 99;

	for (int trial = 0; trial < 2000; trial++) {
		ring_t routes[12], self, from, to;
		struct smm_part p[24];
		bool self_in;
		int nr = 1 + trial % 12, n;

		x = x * 6364136223846793005ULL + 1;
		self = (ring_t)(x % 1024);
		for (int i = 0; i < nr; i++) {
			x = x * 6364136223846793005ULL + 1;
			routes[i] = (ring_t)((x >> 20) % 1024);
			for (int k = 0; k <= i; k++)
				if ((k < i && routes[k] == routes[i]) || routes[i] == self)
					routes[i] = (ring_t)1024 + (ring_t)i; /* keep distinct */
		}
		x = x * 6364136223846793005ULL + 1;
		from = (ring_t)((x >> 10) % 1100);
		to = (ring_t)((x >> 30) % 1100);
		n = smm_partition(self, routes, nr, from, to, p, 24, &self_in);
		cr_assert_geq(n, 0);
		check_parts(self, routes, nr, from, to, p, n);
		cr_assert_eq(self_in, ring_in(self, from, to));
		/* every point of the range: one part, or self's own arc */
		for (ring_t y = 0; y < 1100; y++) {
			ring_t first = RING_MAX;

			for (int i = 0; i < nr; i++)
				if (routes[i] - self < first)
					first = routes[i] - self;
			if (!ring_in(y, from, to))
				cr_assert_eq(covered_by(p, n, y), 0);
			else
				cr_assert_eq(covered_by(p, n, y), y - self < first ? 0 : 1,
					     "trial %d y %u self %u from %u to %u nr %d n %d",
					     trial, (unsigned)y, (unsigned)self, (unsigned)from,
					     (unsigned)to, nr, n);
		}
	}
}

Test(smm_wire, header_round_trip_and_checks)
{
	struct smm_hdr h = { .depth = 513, .dmm = "echo" }, d;
	uint8_t buf[SMM_HDR_LEN + 4];

	h.bcast.b[0] = 1;
	h.origin.b[1] = 2;
	h.from.b[2] = 3;
	h.to.b[15] = 4;
	cr_assert_eq(smm_hdr_encode(&h, buf, sizeof(buf)), SMM_HDR_LEN);
	cr_assert_eq(smm_hdr_decode(buf, SMM_HDR_LEN, &d), SMM_HDR_LEN);
	cr_assert_eq(d.depth, 513);
	cr_assert_str_eq(d.dmm, "echo");
	cr_assert_eq(d.to.b[15], 4);
	for (size_t l = 0; l < SMM_HDR_LEN; l++)
		cr_assert_eq(smm_hdr_decode(buf, l, &d), -EBADMSG);
	buf[0] = 2;
	cr_assert_eq(smm_hdr_decode(buf, SMM_HDR_LEN, &d), -EBADMSG);
	buf[0] = 1;
	buf[SMM_HDR_LEN - 1] = 'x'; /* junk after the name's NUL */
	cr_assert_eq(smm_hdr_decode(buf, SMM_HDR_LEN, &d), -EBADMSG);
	strcpy(h.dmm, "");
	cr_assert_eq(smm_hdr_encode(&h, buf, sizeof(buf)), -EINVAL);
}

Test(smm_wire, hop_ids_differ_per_range)
{
	struct msg_id b = { { 9 } }, h1, h2, h3;
	struct node_id f = { { 1 } }, t = { { 2 } }, t2 = { { 3 } };

	smm_hop_id(&b, &f, &t, &h1);
	smm_hop_id(&b, &f, &t2, &h2);
	smm_hop_id(&b, &f, &t, &h3);
	cr_assert(!msg_id_eq(&h1, &h2));
	cr_assert(msg_id_eq(&h1, &h3));
	cr_assert(!msg_id_eq(&h1, &b));
}

/* ---- broadcasts on the simulator (converged ring oracle) ---- */

static json_t *run_smm(uint32_t n, uint32_t runs, double fail, bool repair)
{
	struct scen_smm_args a = {
		.nodes = n, .runs = runs, .successors = 4, .seed = 5, .fail = fail, .repair = repair
	};
	char err[256] = "";
	json_t *r = scen_smm_run(&a, err, sizeof(err));

	cr_assert_not_null(r, "%s", err);
	return r;
}

static double jnum(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	cr_assert_not_null(v, "%s", k);
	return json_number_value(v);
}

static void check_converged(uint32_t n, uint32_t runs)
{
	json_t *r = run_smm(n, runs, 0, false);
	double lg = ceil(log2(n));

	cr_assert_eq(jnum(r, "messages"), n - 1.0);
	cr_assert_eq(jnum(r, "max_messages"), n - 1.0);
	cr_assert_eq(jnum(r, "duplicates"), 0);
	cr_assert_eq(jnum(r, "coverage"), 1.0);
	cr_assert_leq(jnum(r, "max_depth"), lg + 1);
	cr_assert_leq(jnum(r, "runs_over_log2"), runs / 50);
	cr_assert_leq(fabs(jnum(r, "mean_depth") - log2(n) / 2), 1.0, "mean depth %f",
		      jnum(r, "mean_depth"));
	json_decref(r);
}

Test(smm_sim, converged_ring_256, .timeout = 30)
{
	check_converged(256, 50);
}

Test(smm_sim, converged_ring_1000, .timeout = 30)
{
	check_converged(1000, 30);
}

Test(smm_sim, converged_ring_small_and_odd_sizes, .timeout = 30)
{
	check_converged(2, 5);
	check_converged(3, 5);
	check_converged(17, 20);
	check_converged(100, 20);
}

Test(smm_sim, failures_before_and_after_repair, .timeout = 30)
{
	json_t *before = run_smm(1000, 10, 0.2, false), *after = run_smm(1000, 10, 0.2, true);
	double live = jnum(after, "live");

	cr_assert_lt(live, 900);
	cr_assert_geq(jnum(before, "coverage"), 0.99);
	cr_assert_eq(jnum(before, "duplicates"), 0);
	cr_assert_eq(jnum(after, "coverage"), 1.0);
	cr_assert_eq(jnum(after, "messages"), live - 1);
	cr_assert_eq(jnum(after, "duplicates"), 0);
	json_decref(before);
	json_decref(after);
}

/* ---- the partition alone over random (UUID-like) IDs ---- */

struct rtree {
	ring_t *k;
	int n, maxd;
	uint8_t *hits;
	long msgs;
};

static int rt_cmp(const void *a, const void *b)
{
	ring_t x = *(const ring_t *)a, y = *(const ring_t *)b;

	return x < y ? -1 : x > y;
}

static int rt_lb(const struct rtree *t, ring_t p)
{
	int lo = 0, hi = t->n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (t->k[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == t->n ? 0 : lo;
}

/* Node u handles [from, to) with its true successors (4), predecessor and fingers. */
static void rt_visit(struct rtree *t, int u, ring_t from, ring_t to, int depth)
{
	ring_t r[SMM_ROUTES_MAX];
	int idx[SMM_ROUTES_MAX], n = 0, np;
	struct smm_part p[2 * SMM_ROUTES_MAX];
	bool in;

	for (int k = 1; k <= 4 && k < t->n; k++)
		idx[n++] = (u + k) % t->n;
	idx[n++] = (u + t->n - 1) % t->n;
	for (int i = 0; i < 128; i++) {
		int j = rt_lb(t, ring_finger_point(t->k[u], i));

		if (j == (u + 1) % t->n)
			break;
		idx[n++] = j;
	}
	for (int i = 0; i < n; i++)
		r[i] = idx[i] == u ? t->k[u] : t->k[idx[i]];
	np = smm_partition(t->k[u], r, n, from, to, p, 2 * SMM_ROUTES_MAX, &in);
	cr_assert_geq(np, 0);
	if (in) {
		t->hits[u]++;
		t->maxd = depth > t->maxd ? depth : t->maxd;
	}
	t->msgs += np;
	for (int i = 0; i < np; i++)
		rt_visit(t, idx[p[i].peer], p[i].from, p[i].to, depth + 1);
}

Test(smm_partition, random_ids_broadcast_exactly_once)
{
	struct rtree t = { .n = 1000 };
	uint64_t x = 12345;
	int lg = (int)ceil(log2(t.n));

	t.k = malloc(sizeof(*t.k) * (size_t)t.n);
	t.hits = calloc((size_t)t.n, 1);
	for (int i = 0; i < t.n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		t.k[i] = (ring_t)x << 64 | (x ^ (x >> 29)) * 0x9e3779b97f4a7c15ULL;
	}
	qsort(t.k, (size_t)t.n, sizeof(*t.k), rt_cmp);
	for (int run = 0; run < 20; run++) {
		int root = (run * 97) % t.n;

		memset(t.hits, 0, (size_t)t.n);
		t.msgs = 0;
		t.maxd = 0;
		rt_visit(&t, root, t.k[root], t.k[root], 0);
		cr_assert_eq(t.msgs, t.n - 1);
		for (int i = 0; i < t.n; i++)
			cr_assert_eq(t.hits[i], 1, "run %d node %d", run, i);
		cr_assert_leq(t.maxd, lg + 1);
	}
	free(t.k);
	free(t.hits);
}
