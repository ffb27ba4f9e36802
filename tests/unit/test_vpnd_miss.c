// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The VPN daemon's miss queue: bounds, order, expiry, the re-injection guard. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "daemon/vpnd_miss.h"

static struct node_id nid(uint8_t b)
{
	struct node_id n;

	memset(n.b, b, sizeof(n.b));
	return n;
}

struct got {
	int n;
	uint8_t first[8];
	size_t len[MISSQ_FRAMES];
};

static void take(void *ctx, const uint8_t *f, size_t len)
{
	struct got *g = ctx;

	g->first[g->n % 8] = f[0];
	g->len[g->n % MISSQ_FRAMES] = len;
	g->n++;
}

Test(vpnd_miss, per_destination_bounds)
{
	static struct missq q;
	uint8_t f[MISSQ_FRAME_MAX + 1] = { 0 };
	struct node_id a = nid(1), b = nid(2);

	cr_assert_eq(missq_push(&q, &a, f, 0, 0), -EMSGSIZE, "empty");
	cr_assert_eq(missq_push(&q, &a, f, MISSQ_FRAME_MAX + 1, 0), -EMSGSIZE, "oversized");
	cr_assert_eq(missq_count(&q, &a), 0);
	for (int i = 0; i < MISSQ_FRAMES; i++)
		cr_assert_eq(missq_push(&q, &a, f, 100, 0), 0);
	cr_assert_eq(missq_push(&q, &a, f, 100, 0), -ENOBUFS, "frame bound");
	cr_assert_eq(missq_count(&q, &a), MISSQ_FRAMES);
	/* bytes: 32 frames of 2048 = 64 KB exactly, one more byte is over */
	for (int i = 0; i < MISSQ_FRAMES; i++)
		cr_assert_eq(missq_push(&q, &b, f, i == MISSQ_FRAMES - 1 ? 2047 : 2048, 0), 0);
	missq_drop(&q, &b);
	for (int i = 0; i < MISSQ_BYTES / MISSQ_FRAME_MAX; i++)
		cr_assert_eq(missq_push(&q, &b, f, MISSQ_FRAME_MAX, 0), 0);
	cr_assert_eq(missq_drop(&q, &b), MISSQ_BYTES / MISSQ_FRAME_MAX);
	for (int i = 0; i < 31; i++)
		cr_assert_eq(missq_push(&q, &b, f, MISSQ_FRAME_MAX, 0), 0);
	cr_assert_eq(missq_push(&q, &b, f, MISSQ_FRAME_MAX + 0, 0), 0, "64 KB exactly");
	cr_assert_eq(missq_push(&q, &b, f, 1, 0), -ENOBUFS, "byte bound");
	missq_free(&q);
	cr_assert_eq(q.nd, 0);
}

Test(vpnd_miss, destination_bound)
{
	static struct missq q;
	uint8_t f[64] = { 0 };

	for (int i = 0; i < MISSQ_DESTS; i++) {
		struct node_id d = nid((uint8_t)(i + 1));

		cr_assert_eq(missq_push(&q, &d, f, sizeof(f), 0), 0);
	}
	struct node_id extra = nid(200), first = nid(1);

	cr_assert_eq(missq_push(&q, &extra, f, sizeof(f), 0), -ENOSPC);
	cr_assert_eq(missq_push(&q, &first, f, sizeof(f), 0), 0, "a known one still takes frames");
	cr_assert_eq(missq_drop(&q, &first), 2);
	cr_assert_eq(missq_push(&q, &extra, f, sizeof(f), 0), 0, "a freed slot");
	missq_free(&q);
}

Test(vpnd_miss, flush_in_order_and_guard)
{
	static struct missq q;
	struct node_id a = nid(1), b = nid(2);
	uint8_t f[3][100];
	struct got g = { 0 };

	for (int i = 0; i < 3; i++) {
		memset(f[i], 'a' + i, sizeof(f[i]));
		cr_assert_eq(missq_push(&q, &a, f[i], 60 + (size_t)i, 0), 0);
	}
	cr_assert_eq(missq_push(&q, &b, f[0], 10, 0), 0);
	cr_assert_not(missq_seen(&q, f[0], 60));
	cr_assert_eq(missq_flush(&q, &a, take, &g), 3);
	cr_assert_eq(g.n, 3);
	cr_assert_eq(g.first[0], 'a');
	cr_assert_eq(g.first[2], 'c');
	cr_assert_eq(g.len[1], 61);
	cr_assert_eq(missq_count(&q, &a), 0);
	cr_assert_eq(missq_count(&q, &b), 1, "others stay");
	cr_assert_eq(missq_flush(&q, &a, take, &g), 0);
	/* what was re-injected is recognised when it comes back; other frames are not */
	cr_assert(missq_seen(&q, f[0], 60));
	cr_assert(missq_seen(&q, f[2], 62));
	cr_assert_not(missq_seen(&q, f[2], 61), "same bytes, other length");
	cr_assert_not(missq_seen(&q, f[0], 10));
	missq_mark(&q, f[0], 10);
	cr_assert(missq_seen(&q, f[0], 10));
	/* the ring forgets the oldest */
	for (int i = 0; i < MISSQ_SEEN; i++) {
		uint8_t x[8] = { (uint8_t)i, (uint8_t)(i >> 8), 0xee };

		missq_mark(&q, x, sizeof(x));
	}
	cr_assert_not(missq_seen(&q, f[0], 10));
	missq_free(&q);
}

Test(vpnd_miss, expiry)
{
	static struct missq q;
	struct node_id a = nid(1), b = nid(2);
	uint8_t f[64] = { 0 };

	cr_assert_eq(missq_push(&q, &a, f, 64, 100), 0);
	cr_assert_eq(missq_push(&q, &a, f, 64, 200), 0);
	cr_assert_eq(missq_push(&q, &b, f, 64, 150), 0);
	cr_assert_eq(missq_expire(&q, 1100, 1000), 0, "not older than the age");
	cr_assert_eq(missq_expire(&q, 1101, 1000), 1);
	cr_assert_eq(missq_count(&q, &a), 1);
	cr_assert_eq(q.d[0].bytes + q.d[1].bytes, 128);
	cr_assert_eq(missq_expire(&q, 5000, 1000), 2);
	cr_assert_eq(q.nd, 0, "empty destinations go");
	missq_free(&q);
}
