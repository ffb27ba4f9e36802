// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Statistics thread: rates, EWMA, idle, expiry, end reasons, the ended ring,
 * per-CPU sums, tables, snapshot lifetime and the thread itself, on real
 * BPF maps (made here, shaped as in bpf/ipop_flow.bpf.c) filled by hand,
 * with the clock stepped by hand: ts = 1 s, 2 s, 3 s.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flow/ifnames.h"
#include "flow/stats.h"

#define S(x)  ((uint64_t)((x)*1000000000.0))
#define MS(x) ((uint64_t)(x)*1000000ull)
#define EPS   1e-9

struct fx {
	struct stats_maps m;
	struct stats *s;
};

static int mk(enum bpf_map_type type, const char *name, __u32 ksz, __u32 vsz, __u32 max)
{
	int fd = bpf_map_create(type, name, ksz, vsz, max, NULL);

	cr_assert_geq(fd, 0, "bpf_map_create %s: %s", name, strerror(errno));
	return fd;
}

static void fx_maps(struct fx *f, __u32 flows_max)
{
	cr_assert_eq(geteuid(), 0, "test_stats needs root: it creates BPF maps");
	f->m.flows = mk(BPF_MAP_TYPE_LRU_HASH, "t_flows", sizeof(struct flow_key),
			sizeof(struct flow_value), flows_max);
	f->m.dp_stats = mk(BPF_MAP_TYPE_PERCPU_ARRAY, "t_dp", 4, 8, DP_STAT_MAX);
	f->m.table_stats =
		mk(BPF_MAP_TYPE_ARRAY, "t_tstats", 4, sizeof(struct cls_table_stats), 64);
	f->m.tables = mk(BPF_MAP_TYPE_HASH, "t_tables", 4, sizeof(struct cls_table_def), 64);
}

static void fx_init(struct fx *f, const struct stats_cfg *cfg)
{
	struct stats_cfg def;

	if (!cfg) {
		stats_cfg_defaults(&def);
		cfg = &def;
	}
	fx_maps(f, 1024);
	f->s = stats_new(cfg, &f->m);
	cr_assert_not_null(f->s, "stats_new: %s", strerror(errno));
}

static void fx_fini(struct fx *f)
{
	stats_free(f->s);
	close(f->m.flows);
	close(f->m.dp_stats);
	close(f->m.table_stats);
	close(f->m.tables);
}

static struct flow_key key_n(unsigned int i)
{
	struct flow_key k = { .ifindex = 1, .l3 = FLOW_L3_IPV4, .proto = 6, .ethertype = 0x0800 };

	k.sport = 40000 + (i & 0xffff);
	k.dport = 443;
	k.src[0] = 10;
	k.src[1] = i >> 16;
	k.src[3] = 1;
	k.dst[0] = 192;
	k.dst[3] = 2;
	return k;
}

static void put_flow(struct fx *f, unsigned int i, __u64 packets, __u64 bytes, uint64_t first,
		     uint64_t last)
{
	struct flow_key k = key_n(i);
	struct flow_value v = { .packets = packets, .bytes = bytes };

	v.first_seen_ns = first;
	v.last_seen_ns = last;
	v.table_id = 1;
	cr_assert_eq(bpf_map_update_elem(f->m.flows, &k, &v, BPF_ANY), 0);
}

static bool flow_in_map(struct fx *f, unsigned int i, struct flow_value *v)
{
	struct flow_key k = key_n(i);

	return !bpf_map_lookup_elem(f->m.flows, &k, v);
}

/* Pass at now; the new snapshot (a reference the caller puts). */
static struct stats_snapshot *pass(struct fx *f, uint64_t now)
{
	struct stats_snapshot *snap;

	cr_assert_eq(stats_pass(f->s, now), 0);
	snap = stats_snapshot_get(f->s);
	cr_assert_not_null(snap);
	cr_assert_eq(snap->taken_ns, now);
	return snap;
}

static const struct stats_flow *find_flow(const struct stats_snapshot *snap, unsigned int i)
{
	struct flow_key k = key_n(i);

	for (size_t j = 0; j < snap->n_flows; j++)
		if (!memcmp(&snap->flows[j].key, &k, sizeof(k)))
			return &snap->flows[j];
	return NULL;
}

static const struct stats_flow *must_flow(const struct stats_snapshot *snap, unsigned int i)
{
	const struct stats_flow *fl = find_flow(snap, i);

	cr_assert_not_null(fl, "flow %u not in the snapshot", i);
	return fl;
}

/* One pass whose snapshot the test does not need. */
static void pass_put(struct fx *f, uint64_t now)
{
	stats_snapshot_put(pass(f, now));
}

Test(stats, no_snapshot_before_first_pass)
{
	struct fx f;

	fx_init(&f, NULL);
	cr_assert_null(stats_snapshot_get(f.s));
	fx_fini(&f);
}

Test(stats, rate_over_interval_exact_and_ewma)
{
	struct stats_snapshot *snap;
	const struct stats_flow *fl;
	struct fx f;

	fx_init(&f, NULL);
	pass_put(&f, S(1));
	/* Started after the pass at 1 s: all its bytes fell in [1 s, 2 s]. */
	put_flow(&f, 0, 1000, 1250000, S(1.2), S(1.9));
	snap = pass(&f, S(2));
	fl = must_flow(snap, 0);
	cr_assert_float_eq(fl->rate_mbps, 10.0, EPS);
	cr_assert_float_eq(fl->pps, 1000.0, EPS);
	cr_assert_float_eq(fl->rate_avg_mbps, 10.0, EPS);
	stats_snapshot_put(snap);

	put_flow(&f, 0, 3000, 1250000 + 2500000, S(1.2), S(2.9));
	snap = pass(&f, S(3));
	fl = must_flow(snap, 0);
	cr_assert_float_eq(fl->rate_mbps, 20.0, EPS);
	cr_assert_float_eq(fl->pps, 2000.0, EPS);
	cr_assert_float_eq(fl->rate_avg_mbps, 0.3 * 20 + 0.7 * 10, EPS);
	stats_snapshot_put(snap);

	/* Quiet second, then a half-second interval at 5 Mbps. */
	snap = pass(&f, S(4));
	fl = must_flow(snap, 0);
	cr_assert_float_eq(fl->rate_mbps, 0.0, EPS);
	cr_assert_float_eq(fl->rate_avg_mbps, 0.7 * 13, EPS);
	stats_snapshot_put(snap);
	put_flow(&f, 0, 3500, 3750000 + 312500, S(1.2), S(4.4));
	snap = pass(&f, S(4.5));
	fl = must_flow(snap, 0);
	cr_assert_float_eq(fl->rate_mbps, 5.0, EPS);
	cr_assert_float_eq(fl->pps, 1000.0, EPS);
	cr_assert_float_eq(fl->rate_avg_mbps, 0.3 * 5 + 0.7 * 0.7 * 13, EPS);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, custom_alpha)
{
	struct stats_cfg cfg = { .ewma_alpha = 0.5 };
	struct stats_snapshot *snap;
	struct fx f;

	fx_init(&f, &cfg);
	pass_put(&f, S(1));
	put_flow(&f, 0, 1, 1250000, S(1.5), S(1.5));
	pass_put(&f, S(2));
	put_flow(&f, 0, 2, 1250000 * 4, S(1.5), S(2.5));
	snap = pass(&f, S(3));
	cr_assert_float_eq(must_flow(snap, 0)->rate_mbps, 30.0, EPS);
	cr_assert_float_eq(must_flow(snap, 0)->rate_avg_mbps, 20.0, EPS);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, bad_alpha_rejected)
{
	struct stats_cfg cfg = { .ewma_alpha = 1.5 };
	struct fx f;

	fx_maps(&f, 16);
	cr_assert_null(stats_new(&cfg, &f.m));
	cr_assert_eq(errno, EINVAL);
	f.s = NULL;
	fx_fini(&f);
}

Test(stats, first_pass_uses_lifetime_window)
{
	struct stats_snapshot *snap;
	struct fx f;

	fx_init(&f, NULL);
	put_flow(&f, 0, 500, 1250000, S(1), S(2));
	put_flow(&f, 1, 1, 1250, S(3), S(3)); /* began at the pass itself: 1 ms floor */
	snap = pass(&f, S(3));
	cr_assert_float_eq(must_flow(snap, 0)->rate_mbps, 5.0, EPS);
	cr_assert_float_eq(must_flow(snap, 0)->pps, 250.0, EPS);
	cr_assert_float_eq(must_flow(snap, 1)->rate_mbps, 10.0, EPS);
	cr_assert_float_eq(must_flow(snap, 1)->pps, 1000.0, EPS);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, idle_grows_clamped_at_zero)
{
	struct stats_snapshot *snap;
	struct fx f;

	fx_init(&f, NULL);
	put_flow(&f, 0, 1, 100, S(1), S(1));
	put_flow(&f, 1, 1, 100, S(1), S(5)); /* last seen after "now": clamp */
	snap = pass(&f, S(2));
	cr_assert_float_eq(must_flow(snap, 0)->idle_s, 1.0, EPS);
	cr_assert_float_eq(must_flow(snap, 1)->idle_s, 0.0, EPS);
	stats_snapshot_put(snap);
	snap = pass(&f, S(4.25));
	cr_assert_float_eq(must_flow(snap, 0)->idle_s, 3.25, EPS);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, idle_expiry_at_the_boundary_not_before)
{
	struct stats_cfg cfg = { .idle_timeout_s = 5 };
	struct stats_snapshot *snap;
	struct flow_value v;
	struct fx f;

	fx_init(&f, &cfg);
	put_flow(&f, 0, 7, 700, S(1), S(1));
	put_flow(&f, 1, 1, 100, S(1), S(3)); /* idle only 3 s at 6 s */
	snap = pass(&f, S(6) - 1);
	cr_assert_eq(snap->n_flows, 2);
	cr_assert_eq(snap->n_ended, 0);
	stats_snapshot_put(snap);
	cr_assert(flow_in_map(&f, 0, &v));

	snap = pass(&f, S(6));
	cr_assert_eq(snap->n_flows, 1);
	cr_assert_eq(snap->flows_live, 1);
	cr_assert_not_null(find_flow(snap, 1));
	cr_assert_eq(snap->n_ended, 1);
	cr_assert_eq(snap->ended[0].reason, STATS_END_IDLE);
	cr_assert_eq(snap->ended[0].ended_ns, S(6));
	cr_assert_eq(snap->ended[0].val.packets, 7);
	cr_assert_eq(snap->ended[0].val.bytes, 700);
	cr_assert_eq(snap->ended_count[STATS_END_IDLE], 1);
	cr_assert_eq(snap->ended_count[STATS_END_EVICTED], 0);
	stats_snapshot_put(snap);
	cr_assert_not(flow_in_map(&f, 0, &v), "idle flow still in the map");
	cr_assert(flow_in_map(&f, 1, &v));

	/* Its deletion is ours: the next pass must not call it evicted. */
	snap = pass(&f, S(7));
	cr_assert_eq(snap->ended_count[STATS_END_EVICTED], 0);
	cr_assert_eq(snap->n_ended, 1);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, active_expiry)
{
	struct stats_cfg cfg = { .active_timeout_s = 10, .idle_timeout_s = 60 };
	struct stats_snapshot *snap;
	struct flow_value v;
	struct fx f;

	fx_init(&f, &cfg);
	put_flow(&f, 0, 10, 1000, S(1), S(10.5));
	snap = pass(&f, S(11) - 1);
	cr_assert_eq(snap->n_ended, 0);
	stats_snapshot_put(snap);
	put_flow(&f, 0, 11, 1100, S(1), S(10.9));
	snap = pass(&f, S(11));
	cr_assert_eq(snap->n_flows, 0);
	cr_assert_eq(snap->n_ended, 1);
	cr_assert_eq(snap->ended[0].reason, STATS_END_ACTIVE);
	cr_assert_eq(snap->ended[0].val.packets, 11, "final counts are the map's at deletion");
	cr_assert_eq(snap->ended[0].val.bytes, 1100);
	cr_assert_eq(snap->ended_count[STATS_END_ACTIVE], 1);
	stats_snapshot_put(snap);
	cr_assert_not(flow_in_map(&f, 0, &v));
	fx_fini(&f);
}

Test(stats, eviction_detected_with_last_counts)
{
	struct stats_snapshot *snap;
	struct flow_key k = key_n(0);
	struct fx f;

	fx_init(&f, NULL);
	put_flow(&f, 0, 3, 300, S(1), S(1.5));
	put_flow(&f, 1, 4, 400, S(1), S(1.5));
	pass_put(&f, S(2));
	cr_assert_eq(bpf_map_delete_elem(f.m.flows, &k), 0); /* behind the stats' back */
	snap = pass(&f, S(3));
	cr_assert_eq(snap->n_flows, 1);
	cr_assert_eq(snap->n_ended, 1);
	cr_assert_eq(snap->ended[0].reason, STATS_END_EVICTED);
	cr_assert_eq(snap->ended[0].ended_ns, S(3));
	cr_assert_eq(snap->ended[0].val.packets, 3);
	cr_assert_eq(snap->ended[0].val.bytes, 300);
	cr_assert_eq(snap->ended_count[STATS_END_EVICTED], 1);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, evicted_then_same_key_again)
{
	struct stats_snapshot *snap;
	struct fx f;

	fx_init(&f, NULL);
	put_flow(&f, 0, 100, 100000, S(1), S(1.5));
	pass_put(&f, S(2));
	/* Evicted and re-created between passes: new first_seen, counts from 0. */
	put_flow(&f, 0, 1, 125000, S(2.5), S(2.5));
	snap = pass(&f, S(3));
	cr_assert_eq(snap->n_ended, 1);
	cr_assert_eq(snap->ended[0].reason, STATS_END_EVICTED);
	cr_assert_eq(snap->ended[0].val.packets, 100);
	cr_assert_float_eq(must_flow(snap, 0)->rate_mbps, 1.0, EPS);
	cr_assert_float_eq(must_flow(snap, 0)->rate_avg_mbps, 1.0, EPS);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

/* Many flows, some gone and some new between passes: every one still matched. */
Test(stats, churn_matches_every_flow)
{
	struct stats_snapshot *snap;
	struct fx f;

	fx_init(&f, NULL);
	for (unsigned int i = 0; i < 600; i++)
		put_flow(&f, i, i, 1000 * i, S(1), S(1.5));
	pass_put(&f, S(2));
	for (unsigned int i = 0; i < 600; i += 3) {
		struct flow_key k = key_n(i);

		cr_assert_eq(bpf_map_delete_elem(f.m.flows, &k), 0);
	}
	for (unsigned int i = 1; i < 600; i += 3)
		put_flow(&f, i, 2 * i, 1000 * i + 125000, S(1), S(2.5));
	for (unsigned int i = 600; i < 700; i++)
		put_flow(&f, i, 1, 250, S(2.5), S(2.5));
	snap = pass(&f, S(3));
	cr_assert_eq(snap->n_flows, 400 + 100);
	cr_assert_eq(snap->ended_count[STATS_END_EVICTED], 200);
	for (unsigned int i = 0; i < 700; i++) {
		const struct stats_flow *fl = find_flow(snap, i);

		if (i < 600 && i % 3 == 0) {
			cr_assert_null(fl);
			continue;
		}
		cr_assert_not_null(fl, "flow %u", i);
		cr_assert_float_eq(fl->rate_mbps,
				   i >= 600	? 0.002
				   : i % 3 == 1 ? 1.0
						: 0.0,
				   EPS, "flow %u: %f", i, fl->rate_mbps);
		cr_assert_float_eq(fl->pps,
				   i >= 600	? 1.0
				   : i % 3 == 1 ? i
						: 0.0,
				   EPS, "flow %u", i);
	}
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, forced_end_one_and_all)
{
	struct stats_snapshot *snap;
	struct flow_key k = key_n(1), none = key_n(99);
	struct flow_value v;
	struct fx f;

	fx_init(&f, NULL);
	for (unsigned int i = 0; i < 4; i++)
		put_flow(&f, i, i + 1, 100 * (i + 1), S(1), S(1.5));
	pass_put(&f, S(2));
	cr_assert_eq(stats_end_flows(f.s, &k, S(2.5)), 1);
	cr_assert_not(flow_in_map(&f, 1, &v));
	cr_assert_eq(stats_end_flows(f.s, &none, S(2.5)), 0);
	cr_assert_eq(stats_end_flows(f.s, NULL, S(2.6)), 3);
	cr_assert_not(flow_in_map(&f, 0, &v));
	snap = pass(&f, S(3));
	cr_assert_eq(snap->n_flows, 0);
	cr_assert_eq(snap->n_ended, 4);
	cr_assert_eq(snap->ended_count[STATS_END_FORCED], 4);
	cr_assert_eq(snap->ended_count[STATS_END_EVICTED], 0,
		     "our own deletions are not evictions");
	cr_assert_eq(snap->ended[3].reason, STATS_END_FORCED);
	cr_assert_eq(snap->ended[3].ended_ns, S(2.5), "oldest last");
	cr_assert_eq(snap->ended[3].val.packets, 2);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, ended_ring_bounded_oldest_dropped)
{
	struct stats_cfg cfg = { .ended_max = 3 };
	struct stats_snapshot *snap;
	struct fx f;

	fx_init(&f, &cfg);
	for (unsigned int i = 0; i < 5; i++) {
		struct flow_key k = key_n(i);

		put_flow(&f, i, i + 1, 100, S(1), S(1));
		cr_assert_eq(stats_end_flows(f.s, &k, S(2) + i), 1);
	}
	snap = pass(&f, S(3));
	cr_assert_eq(snap->n_ended, 3);
	cr_assert_eq(snap->ended_count[STATS_END_FORCED], 5);
	for (unsigned int j = 0; j < 3; j++) {
		struct flow_key k = key_n(4 - j);

		cr_assert_eq(memcmp(&snap->ended[j].key, &k, sizeof(k)), 0, "ended[%u]", j);
		cr_assert_eq(snap->ended[j].ended_ns, S(2) + 4 - j);
		cr_assert_eq(snap->ended[j].val.packets, 5 - j);
	}
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, dp_counters_summed_over_cpus)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 vals[ncpus];
	struct stats_snapshot *snap;
	json_t *j;
	struct fx f;

	fx_init(&f, NULL);
	for (__u32 k = 0; k < DP_STAT_MAX; k++) {
		for (int c = 0; c < ncpus; c++)
			vals[c] = (k + 1) * 1000 + c + 1;
		cr_assert_eq(bpf_map_update_elem(f.m.dp_stats, &k, vals, BPF_ANY), 0);
	}
	put_flow(&f, 0, 1, 1, S(1), S(1));
	snap = pass(&f, S(2));
	for (__u32 k = 0; k < DP_STAT_MAX; k++)
		cr_assert_eq(snap->dp[k], (__u64)(k + 1) * 1000 * ncpus + ncpus * (ncpus + 1) / 2,
			     "dp[%u]", k);
	cr_assert_eq(snap->flows_live, 1);
	cr_assert_eq(snap->flows_max, 1024);
	j = stats_snapshot_json_dp(snap);
	cr_assert_not_null(j);
	cr_assert_eq(json_integer_value(json_object_get(j, "packets")), (json_int_t)snap->dp[0]);
	cr_assert_eq(json_integer_value(json_object_get(j, "fragments")),
		     (json_int_t)snap->dp[DP_STAT_FRAGMENT]);
	cr_assert_eq(json_integer_value(json_object_get(j, "insert_failures")),
		     (json_int_t)snap->dp[DP_STAT_INSERT_FAIL]);
	cr_assert_eq(json_integer_value(json_object_get(j, "flows_live")), 1);
	cr_assert_eq(json_integer_value(json_object_get(j, "flows_max")), 1024);
	cr_assert(json_is_integer(json_object_get(json_object_get(j, "ended"), "evicted")));
	cr_assert(json_is_real(json_object_get(j, "pass_ms")));
	json_decref(j);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

static void put_table(struct fx *f, __u32 id, const char *name, __u32 prio)
{
	struct cls_table_def d = { .prio = prio };

	snprintf(d.name, sizeof(d.name), "%s", name);
	cr_assert_eq(bpf_map_update_elem(f->m.tables, &id, &d, BPF_ANY), 0);
}

static void put_tstats(struct fx *f, __u32 id, __u64 packets, __u64 bytes, uint64_t first,
		       uint64_t last)
{
	struct cls_table_stats t = { packets, bytes, first, last };

	cr_assert_eq(bpf_map_update_elem(f->m.table_stats, &id, &t, BPF_ANY), 0);
}

Test(stats, tables_idle_and_rate)
{
	struct stats_snapshot *snap;
	json_t *j, *t;
	struct fx f;

	fx_init(&f, NULL);
	put_table(&f, 7, "web", 10);
	put_table(&f, 2, "never", 5);
	snap = pass(&f, S(1));
	cr_assert_eq(snap->n_tables, 2);
	cr_assert_eq(snap->tables[0].id, 2, "sorted by id");
	cr_assert_lt(snap->tables[1].idle_s, 0, "never hit");
	stats_snapshot_put(snap);

	put_tstats(&f, 7, 1000, 1250000, S(1.1), S(1.5));
	snap = pass(&f, S(2));
	cr_assert_str_eq(snap->tables[1].name, "web");
	cr_assert_eq(snap->tables[1].prio, 10);
	cr_assert_float_eq(snap->tables[1].idle_s, 0.5, EPS);
	cr_assert_float_eq(snap->tables[1].rate_mbps, 10.0, EPS);
	cr_assert_float_eq(snap->tables[1].pps, 1000.0, EPS);
	/* The table existed through the quiet first pass: its average starts at 0. */
	cr_assert_float_eq(snap->tables[1].rate_avg_mbps, 0.3 * 10, EPS);
	stats_snapshot_put(snap);

	put_tstats(&f, 7, 3000, 3750000, S(1.1), S(2.75));
	snap = pass(&f, S(3));
	cr_assert_float_eq(snap->tables[1].rate_mbps, 20.0, EPS);
	cr_assert_float_eq(snap->tables[1].rate_avg_mbps, 0.3 * 20 + 0.7 * 3, EPS);
	cr_assert_float_eq(snap->tables[1].idle_s, 0.25, EPS);
	cr_assert_eq(snap->tables[1].packets, 3000);
	cr_assert_eq(snap->tables[1].first_hit_ns, S(1.1));

	j = stats_snapshot_json_tables(snap, 0);
	cr_assert_eq(json_array_size(j), 2);
	t = json_array_get(j, 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "name")), "never");
	cr_assert(json_is_null(json_object_get(t, "idle_s")));
	t = json_array_get(j, 1);
	cr_assert_eq(json_integer_value(json_object_get(t, "id")), 7);
	cr_assert_eq(json_integer_value(json_object_get(t, "bytes")), 3750000);
	cr_assert_float_eq(json_real_value(json_object_get(t, "rate_mbps")), 20.0, EPS);
	cr_assert_float_eq(json_real_value(json_object_get(t, "idle_s")), 0.25, EPS);
	cr_assert_eq(json_integer_value(json_object_get(t, "last_hit_ns")), (json_int_t)S(2.75));
	json_decref(j);
	stats_snapshot_put(snap);

	/* Removed table: gone from the next snapshot. */
	__u32 id = 7;
	cr_assert_eq(bpf_map_delete_elem(f.m.tables, &id), 0);
	snap = pass(&f, S(4));
	cr_assert_eq(snap->n_tables, 1);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, json_flows_and_ended)
{
	struct stats_snapshot *snap;
	json_t *j, *e;
	struct flow_key k = key_n(2);
	struct ifnames names;
	struct fx f;

	ifnames_init(&names);
	fx_init(&f, NULL);
	pass_put(&f, S(1));
	for (unsigned int i = 0; i < 3; i++)
		put_flow(&f, i, 10, 125000 * (i + 1), S(1.5), S(1.5));
	snap = pass(&f, S(2));
	j = stats_snapshot_json_flows(snap, 2, STATS_SORT_BYTES, &names);
	cr_assert_eq(json_array_size(j), 2);
	e = json_array_get(j, 0);
	cr_assert_eq(json_integer_value(json_object_get(e, "bytes")), 375000, "largest first");
	cr_assert_eq(json_integer_value(json_object_get(e, "sport")), 40002);
	cr_assert_eq(json_integer_value(json_object_get(e, "table_id")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(e, "src")), "10.0.0.1");
	cr_assert_float_eq(json_real_value(json_object_get(e, "rate_mbps")), 3.0, EPS);
	cr_assert_float_eq(json_real_value(json_object_get(e, "rate_avg_mbps")), 3.0, EPS);
	cr_assert_float_eq(json_real_value(json_object_get(e, "idle_s")), 0.5, EPS);
	cr_assert_float_eq(json_real_value(json_object_get(e, "pps")), 10.0, EPS);
	json_decref(j);
	stats_snapshot_put(snap);

	cr_assert_eq(stats_end_flows(f.s, &k, S(2.5)), 1);
	snap = pass(&f, S(3));
	j = stats_snapshot_json_ended(snap, 0, &names);
	cr_assert_eq(json_array_size(j), 1);
	e = json_array_get(j, 0);
	cr_assert_str_eq(json_string_value(json_object_get(e, "reason")), "forced");
	cr_assert_eq(json_integer_value(json_object_get(e, "ended_ns")), (json_int_t)S(2.5));
	cr_assert_eq(json_integer_value(json_object_get(e, "packets")), 10);
	json_decref(j);
	j = stats_snapshot_json_dp(snap);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "ended"), "forced")), 1);
	json_decref(j);
	stats_snapshot_put(snap);
	fx_fini(&f);
}

Test(stats, old_snapshot_valid_until_put)
{
	struct stats_snapshot *a, *b;
	struct fx f;

	fx_init(&f, NULL);
	put_flow(&f, 0, 5, 500, S(1), S(1));
	a = pass(&f, S(2));
	put_flow(&f, 0, 9, 900, S(1), S(2.5));
	put_flow(&f, 1, 1, 100, S(2.5), S(2.5));
	b = pass(&f, S(3));
	cr_assert_neq(a, b);
	cr_assert_eq(b->seq, a->seq + 1);
	/* a outlived its replacement, intact. */
	cr_assert_eq(a->taken_ns, S(2));
	cr_assert_eq(a->n_flows, 1);
	cr_assert_eq(a->flows[0].val.packets, 5);
	cr_assert_eq(b->n_flows, 2);
	pass_put(&f, S(4));
	cr_assert_eq(a->flows[0].val.bytes, 500);
	cr_assert_eq(b->taken_ns, S(3));
	stats_snapshot_put(a);
	stats_snapshot_put(b);
	fx_fini(&f);
	/* A snapshot may also outlive the struct stats. */
	fx_init(&f, NULL);
	a = pass(&f, S(1));
	fx_fini(&f);
	cr_assert_eq(a->taken_ns, S(1));
	stats_snapshot_put(a);
}

static struct stats_snapshot *wait_snapshot(struct fx *f, bool (*ok)(const struct stats_snapshot *))
{
	for (int i = 0; i < 400; i++) {
		struct stats_snapshot *snap = stats_snapshot_get(f->s);

		if (snap && ok(snap))
			return snap;
		stats_snapshot_put(snap);
		usleep(5000);
	}
	cr_assert_fail("no such snapshot within 2 s");
	return NULL;
}

static bool two_passes(const struct stats_snapshot *snap)
{
	return snap->seq >= 2;
}

static bool forced_seen(const struct stats_snapshot *snap)
{
	return snap->ended_count[STATS_END_FORCED] == 2 && snap->n_flows == 0;
}

Test(stats, thread_publishes_and_stops)
{
	struct stats_cfg cfg = { .interval_ms = 10 };
	struct stats_snapshot *snap;
	struct fx f;

	fx_init(&f, &cfg);
	put_flow(&f, 0, 1, 100, S(1), S(1));
	put_flow(&f, 1, 1, 100, S(1), S(1));
	cr_assert_eq(stats_start(f.s), 0);
	cr_assert_eq(stats_start(f.s), -EALREADY);
	snap = wait_snapshot(&f, two_passes);
	cr_assert_gt(snap->pass_ns, 0, "the thread times its passes");
	cr_assert_eq(snap->n_flows, 2);
	stats_snapshot_put(snap);
	/* From this thread while the stats thread runs. */
	cr_assert_eq(stats_end_flows(f.s, NULL, S(5)), 2);
	snap = wait_snapshot(&f, forced_seen);
	cr_assert_eq(snap->ended_count[STATS_END_EVICTED], 0);
	stats_snapshot_put(snap);
	cr_assert_eq(stats_last_error(f.s), 0);
	stats_stop(f.s);
	stats_stop(f.s);
	/* Restartable. */
	cr_assert_eq(stats_start(f.s), 0);
	fx_fini(&f);
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A pass made just before stats_start() is not followed by another at once. */
Test(stats, thread_waits_an_interval_after_a_direct_pass)
{
	struct stats_cfg cfg = { .interval_ms = 1000 };
	struct stats_snapshot *snap;
	struct fx f;

	fx_init(&f, &cfg);
	cr_assert_eq(stats_pass(f.s, mono_now()), 0);
	cr_assert_eq(stats_start(f.s), 0);
	usleep(100000);
	snap = stats_snapshot_get(f.s);
	cr_assert_eq(snap->seq, 1);
	stats_snapshot_put(snap);
	stats_stop(f.s);
	fx_fini(&f);
}

static double secs(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Not an assertion on time: prints the cost of a pass at 1,000,000 live flows. */
Test(stats, pass_time_1m_flows, .timeout = 300)
{
	enum { N = 1000000, CHUNK = 10000 };
	static struct flow_key keys[CHUNK];
	static struct flow_value vals[CHUNK];
	struct stats_snapshot *snap;
	struct stats_cfg cfg;
	double w0, c0, w1, c1;
	struct fx f;

	fx_maps(&f, 1048576);
	stats_cfg_defaults(&cfg);
	f.s = stats_new(&cfg, &f.m);
	cr_assert_not_null(f.s);
	for (unsigned int base = 0; base < N; base += CHUNK) {
		__u32 cnt = CHUNK;

		for (unsigned int i = 0; i < CHUNK; i++) {
			keys[i] = key_n(base + i);
			keys[i].src[2] = (base + i) >> 24;
			vals[i] = (struct flow_value){ .packets = 10,
						       .bytes = 15000,
						       .first_seen_ns = S(1),
						       .last_seen_ns = S(1) };
		}
		cr_assert_eq(bpf_map_update_batch(f.m.flows, keys, vals, &cnt, NULL), 0, "%s",
			     strerror(errno));
	}
	for (int p = 2; p <= 4; p++) {
		w0 = secs(CLOCK_MONOTONIC);
		c0 = secs(CLOCK_THREAD_CPUTIME_ID);
		cr_assert_eq(stats_pass(f.s, S(p)), 0);
		w1 = secs(CLOCK_MONOTONIC);
		c1 = secs(CLOCK_THREAD_CPUTIME_ID);
		snap = stats_snapshot_get(f.s);
		cr_assert_eq(snap->n_flows, N);
		cr_assert_eq(snap->n_ended, 0);
		stats_snapshot_put(snap);
		fprintf(stderr, "stats: pass %d at %d live flows: %.1f ms wall, %.1f ms CPU%s\n",
			p - 1, N, (w1 - w0) * 1e3, (c1 - c0) * 1e3,
			p == 2	 ? " (first pass: no previous snapshot)"
			: p == 3 ? " (fresh snapshot array)"
				 : " (steady state: recycled array)");
	}
	fx_fini(&f);
}
