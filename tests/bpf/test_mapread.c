// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The one batch map reader (flow/mapread.h) and flows_read() on real maps
 * (root: they create BPF maps): hash and LRU maps over many batches, batch
 * boundaries, empty maps, an array read up to `max` as the statistics
 * thread reads table_stats, and a callback that stops the read.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "flow.h"
#include "flow/flows.h"
#include "flow/mapread.h"

TestSuite(mapread);

/* ---- reading a real map ------------------------------------------------ */

static void mr_need_root(void)
{
	cr_assert_eq(geteuid(), 0, "these tests must run as root (they create BPF maps)");
}

static void mr_key(struct flow_key *k, __u32 i)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = 1 + i % 3;
	k->dir = i & 1;
	k->l3 = FLOW_L3_IPV6;
	k->proto = 6;
	k->ethertype = 0x86dd;
	k->sport = i & 0xffff;
	k->dport = 80;
	k->src[0] = 0x20;
	k->src[1] = 0x01;
	memcpy(&k->src[12], &i, sizeof(i));
	k->dst[15] = 1;
}

/* A map of this type holding n flows: flow i has i packets and 64 * i bytes. */
static int mr_map(enum bpf_map_type type, __u32 max, __u32 n)
{
	struct flow_key k;
	struct flow_value v;
	int fd;

	fd = bpf_map_create(type, "mr_flows", sizeof(k), sizeof(v), max, NULL);
	cr_assert(fd >= 0, "bpf_map_create: %s", strerror(errno));
	for (__u32 i = 0; i < n; i++) {
		mr_key(&k, i);
		memset(&v, 0, sizeof(v));
		v.packets = i;
		v.bytes = 64ull * i;
		v.first_seen_ns = 1000 + i;
		v.last_seen_ns = 2000 + i;
		v.tcp_flags = i & 0xff;
		cr_assert_eq(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0, "insert %u: %s", i,
			     strerror(errno));
	}
	return fd;
}

static void mr_assert_read(int fd, __u32 n)
{
	struct flow_rec *r = (void *)1;
	struct flow_key k;
	ssize_t got;
	char *seen;

	got = flows_read(fd, &r);
	cr_assert_eq(got, (ssize_t)n, "flows_read: %zd, want %u", got, n);
	seen = calloc(n + 1, 1);
	cr_assert(seen);
	for (ssize_t i = 0; i < got; i++) {
		__u32 id = r[i].val.packets;

		cr_assert_lt(id, n, "flow %zd: bad value", i);
		cr_assert_not(seen[id], "flow %u read twice", id);
		seen[id] = 1;
		mr_key(&k, id);
		cr_assert_arr_eq(&r[i].key, &k, sizeof(k), "flow %u: key/value mismatch", id);
		cr_assert_eq(r[i].val.bytes, 64ull * id);
		cr_assert_eq(r[i].val.first_seen_ns, 1000 + id);
		cr_assert_eq(r[i].val.last_seen_ns, 2000 + id);
		cr_assert_eq(r[i].val.tcp_flags, id & 0xff);
	}
	free(seen);
	free(r);
}

Test(mapread, read_hash_many_batches, .init = mr_need_root)
{
	int fd = mr_map(BPF_MAP_TYPE_HASH, 3000, 3000);

	mr_assert_read(fd, 3000);
	close(fd);
}

/* LRU maps evict early from per-CPU free lists: room to spare, none lost. */
Test(mapread, read_lru_hash_many_batches, .init = mr_need_root)
{
	int fd = mr_map(BPF_MAP_TYPE_LRU_HASH, 16384, 3000);

	mr_assert_read(fd, 3000);
	close(fd);
}

Test(mapread, read_exact_batch_multiples, .init = mr_need_root)
{
	static const __u32 sizes[] = { 1, 255, 256, 257, 512, 513 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int fd = mr_map(BPF_MAP_TYPE_HASH, 1024, sizes[i]);

		mr_assert_read(fd, sizes[i]);
		close(fd);
	}
}

Test(mapread, read_empty, .init = mr_need_root)
{
	struct flow_rec *r = (void *)1;
	int fd = mr_map(BPF_MAP_TYPE_LRU_HASH, 64, 0);

	cr_assert_eq(flows_read(fd, &r), 0);
	free(r);
	close(fd);
}

/* ---- mapread_all directly ---------------------------------------------- */

struct mr_sum {
	__u64 sum;
	size_t calls, entries, stop_after;
};

static int mr_add(void *ctx, const void *keys, const void *vals, __u32 n)
{
	const __u32 *k = keys;
	const __u64 *v = vals;
	struct mr_sum *s = ctx;

	s->calls++;
	for (__u32 i = 0; i < n; i++) {
		cr_assert_eq(v[i], 3ull * k[i], "value of key %u", k[i]);
		s->sum += v[i];
	}
	s->entries += n;
	return s->stop_after && s->entries >= s->stop_after ? -ECANCELED : 0;
}

/* An array of n __u64: entry k holds 3k. */
static int mr_array(__u32 n)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "mr_array", 4, 8, n, NULL);

	cr_assert(fd >= 0, "bpf_map_create: %s", strerror(errno));
	for (__u32 k = 0; k < n; k++) {
		__u64 v = 3ull * k;

		cr_assert_eq(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
	}
	return fd;
}

Test(mapread, array_up_to_max_in_batches, .init = mr_need_root)
{
	__u32 keys[7];
	__u64 vals[7];
	struct mr_sum s = { 0 };
	struct mapread r = { .key_size = 4,
			     .val_size = 8,
			     .keys = keys,
			     .vals = vals,
			     .batch = 7,
			     .max = 50,
			     .fn = mr_add,
			     .ctx = &s };

	r.fd = mr_array(50);
	cr_assert_eq(mapread_all(&r), 0);
	cr_assert_eq(r.entries, 50);
	cr_assert_eq(s.entries, 50);
	cr_assert_eq(s.sum, 3ull * 49 * 50 / 2);
	cr_assert(r.started);
	cr_assert_eq(s.calls, 8, "7 full batches and one of 1: %zu", s.calls);
	close(r.fd);
}

Test(mapread, max_below_the_map_size_stops_there, .init = mr_need_root)
{
	__u32 keys[16];
	__u64 vals[16];
	struct mr_sum s = { 0 };
	struct mapread r = { .key_size = 4,
			     .val_size = 8,
			     .keys = keys,
			     .vals = vals,
			     .batch = 16,
			     .max = 20,
			     .fn = mr_add,
			     .ctx = &s };

	r.fd = mr_array(64);
	cr_assert_eq(mapread_all(&r), 0);
	cr_assert_eq(s.entries, 20);
	cr_assert_eq(s.sum, 3ull * 19 * 20 / 2, "the first 20 entries of an array");
	close(r.fd);
}

Test(mapread, callback_error_stops_the_read, .init = mr_need_root)
{
	__u32 keys[4];
	__u64 vals[4];
	struct mr_sum s = { .stop_after = 8 };
	struct mapread r = { .key_size = 4,
			     .val_size = 8,
			     .keys = keys,
			     .vals = vals,
			     .batch = 4,
			     .fn = mr_add,
			     .ctx = &s };

	r.fd = mr_array(40);
	cr_assert_eq(mapread_all(&r), -ECANCELED);
	cr_assert_eq(s.entries, 8);
	cr_assert_eq(s.calls, 2);
	close(r.fd);
}

Test(mapread, bad_arguments)
{
	__u32 k;
	__u64 v;
	struct mr_sum s = { 0 };
	struct mapread r = { .fd = -1,
			     .key_size = 4,
			     .val_size = 8,
			     .keys = &k,
			     .vals = &v,
			     .batch = 1,
			     .fn = mr_add,
			     .ctx = &s };

	cr_assert_eq(mapread_all(&r), -EBADF);
	r.fd = 0;
	r.batch = 0;
	cr_assert_eq(mapread_all(&r), -EINVAL);
	r.batch = 1;
	r.fn = NULL;
	cr_assert_eq(mapread_all(&r), -EINVAL);
	cr_assert_eq(s.calls, 0);
}

/* ---- one entry at a time, where the kernel has no batch lookup ---------- */

struct mr_walk {
	int fd;
	bool delete; /* delete each entry as it is handed over */
	unsigned char seen[256];
	size_t entries;
};

static int mr_walk_fn(void *ctx, const void *keys, const void *vals, __u32 n)
{
	const __u32 *k = keys, *v = vals;
	struct mr_walk *w = ctx;

	cr_assert_eq(n, 1, "one at a time");
	cr_assert_lt(*k, 256);
	cr_assert_eq(*v, 1, "the value: ifindex 1 (lo)");
	cr_assert_not(w->seen[*k], "entry %u handed over twice", *k);
	w->seen[*k] = 1;
	w->entries++;
	if (w->delete)
		cr_assert_eq(bpf_map_delete_elem(w->fd, k), 0);
	return 0;
}

/* A DEVMAP_HASH (no batch lookups) of n entries, each -> ifindex 1 (lo). */
static int mr_devmap(__u32 n)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_DEVMAP_HASH, "mr_devmap", 4, 4, 256, NULL);

	cr_assert(fd >= 0, "bpf_map_create: %s", strerror(errno));
	for (__u32 i = 0; i < n; i++) {
		__u32 v = 1;

		cr_assert_eq(bpf_map_update_elem(fd, &i, &v, BPF_NOEXIST), 0, "%s",
			     strerror(errno));
	}
	return fd;
}

static void mr_walk_map(bool delete)
{
	__u32 keys[8], vals[8], k;
	struct mr_walk w = { .delete = delete };
	struct mapread r = { .key_size = 4,
			     .val_size = 4,
			     .keys = keys,
			     .vals = vals,
			     .batch = 8,
			     .fn = mr_walk_fn,
			     .ctx = &w };

	w.fd = r.fd = mr_devmap(100);
	cr_assert_eq(mapread_all(&r), 0);
	cr_assert(r.iterated, "a devmap has no batch lookup: the fallback ran");
	cr_assert_eq(w.entries, 100);
	cr_assert_eq(r.entries, 100);
	if (delete)
		cr_assert_neq(bpf_map_get_next_key(r.fd, NULL, &k), 0, "all deleted");
	close(r.fd);
}

Test(mapread, iterates_without_batch_lookups, .init = mr_need_root)
{
	mr_walk_map(false);
}

Test(mapread, iteration_survives_deleting_what_it_hands_over, .init = mr_need_root)
{
	mr_walk_map(true);
}
