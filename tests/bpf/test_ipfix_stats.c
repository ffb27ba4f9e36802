// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * IPFIX records of the real statistics code on BPF maps (root): a flow cut
 * by the active timeout adds up, record by record, to what the datapath
 * counted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "flow/ipfix.h"
#include "ipfix_fixtures.h"

/* ---- active-timeout records of the real statistics code ---- */

struct sink_log {
	struct ipfix_rec r[16];
	size_t n;
};

static void log_sink(void *ctx, const struct stats_ended *e)
{
	struct sink_log *l = ctx;

	cr_assert_lt(l->n, 16);
	ipfix_rec_build(&l->r[l->n++], e, &clk);
}

static int mkmap(enum bpf_map_type t, __u32 ks, __u32 vs, __u32 max)
{
	int fd = bpf_map_create(t, NULL, ks, vs, max, NULL);

	cr_assert_geq(fd, 0, "bpf_map_create: %s", strerror(errno));
	return fd;
}

/*
 * One long flow, cut by the active timeout twice and ended by the idle
 * timeout: each map entry the datapath made for it becomes one record, and
 * the records add up to exactly what the datapath counted, with no overlap
 * in time.
 */
Test(ipfix, active_timeout_records_add_up)
{
	struct stats_cfg cfg;
	struct stats_maps m;
	struct sink_log log = { .n = 0 };
	struct stats_ended e = ended4();
	struct stats *s;
	/* what the datapath counts between passes: packets, bytes, first, last (ms) */
	static const uint64_t seg[3][4] = {
		{ 1000, 1000 * 1514, 100, 1150 },
		{ 700, 700 * 1514 - 300, 1210, 2400 },
		{ 3, 3 * 66, 2500, 2600 },
	};
	static const uint64_t pass_ms[3] = { 1200, 2450, 4000 };
	uint64_t pk = 0, by = 0, ip = 0;

	cr_assert_eq(geteuid(), 0, "creates BPF maps: needs root");
	m.flows = mkmap(BPF_MAP_TYPE_LRU_HASH, sizeof(struct flow_key), sizeof(struct flow_value),
			64);
	m.dp_stats = mkmap(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, DP_STAT_MAX);
	m.table_stats = mkmap(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct cls_table_stats), 8);
	m.tables = mkmap(BPF_MAP_TYPE_HASH, 4, sizeof(struct cls_table_def), 8);
	stats_cfg_defaults(&cfg);
	cfg.active_timeout_s = 1;
	cfg.idle_timeout_s = 1;
	cfg.end_sink = log_sink;
	cfg.end_sink_ctx = &log;
	s = stats_new(&cfg, &m);
	cr_assert_not_null(s, "stats_new: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		struct flow_value v = { .packets = seg[i][0], .bytes = seg[i][1], .l2_len = 14 };

		v.first_seen_ns = MS(1000000) + MS(seg[i][2]);
		v.last_seen_ns = MS(1000000) + MS(seg[i][3]);
		v.seg_extra = seg[i][0] / 2;
		cr_assert_eq(bpf_map_update_elem(m.flows, &e.key, &v, BPF_NOEXIST), 0,
			     "the previous entry was ended (deleted)");
		cr_assert_eq(stats_pass(s, MS(1000000) + MS(pass_ms[i])), 0);
		cr_assert_eq(log.n, (size_t)i + 1, "one record per pass");
		pk += seg[i][0];
		by += seg[i][1];
		ip += seg[i][1] - 14 * seg[i][0];
	}
	uint64_t sp = 0, sb = 0, so = 0;
	for (size_t i = 0; i < log.n; i++) {
		sp += log.r[i].packets;
		sb += log.r[i].l2_octets;
		so += log.r[i].octets;
		cr_assert_eq(log.r[i].end_reason, i < 2 ? IPFIX_END_ACTIVE : IPFIX_END_IDLE);
		cr_assert_eq(log.r[i].start_ms, WALL0_MS + seg[i][2]);
		cr_assert_eq(log.r[i].end_ms, WALL0_MS + seg[i][3]);
		if (i)
			cr_assert_gt(log.r[i].start_ms, log.r[i - 1].end_ms, "records overlap");
	}
	cr_assert_eq(sp, pk, "packets: records %llu, datapath %llu", (unsigned long long)sp,
		     (unsigned long long)pk);
	cr_assert_eq(sb, by);
	cr_assert_eq(so, ip);
	stats_free(s);
	close(m.flows);
	close(m.dp_stats);
	close(m.table_stats);
	close(m.tables);
}
