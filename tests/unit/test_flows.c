// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The flow side's "one of each": the one flow order (stats_flows_sort) and
 * the one ifindex -> name rule (ifnames.h), checked where flows are
 * labelled: the daemon's flows and ended views and Prometheus; and the
 * text cells `flows` and `top` print (cli/flow_cells.h).
 * Reading real maps (root, BPF) is in tests/bpf/test_mapread.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/flow_cells.h"
#include "flow/export.h"
#include "flow/flows.h"
#include "flow/ifnames.h"
#include "flow/stats.h"

TestSuite(flows);

/* ---- the one order ------------------------------------------------------ */

/* {packets, bytes, rate} */
static const double test_flows_pbr[][3] = {
	{ 1, 100, 7 },			 /* 0 */
	{ 5, 500, 1 },			 /* 1 */
	{ 3, 500, 2 },			 /* 2: bytes tie with 1, fewer packets */
	{ 5, 50, 3 },			 /* 3: packets tie with 1, fewer bytes */
	{ 0, 0, 0 },			 /* 4 */
	{ 1ull << 40, 1ull << 62, 0.5 }, /* 5: beyond 32 bits */
	{ 2, 1000, 4 },			 /* 6 */
};

static void test_flows_fill(struct stats_flow *f, const struct stats_flow **v,
			    const double (*pbr)[3], size_t n)
{
	memset(f, 0, n * sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		f[i].key.sport = i; /* identity */
		f[i].val.packets = pbr[i][0];
		f[i].val.bytes = pbr[i][1];
		f[i].rate_mbps = pbr[i][2];
		v[i] = &f[i];
	}
}

static void test_flows_sorted(int how, const int *want)
{
	struct stats_flow f[7];
	const struct stats_flow *v[7];

	test_flows_fill(f, v, test_flows_pbr, 7);
	stats_flows_sort(v, 7, how);
	for (size_t i = 0; i < 7; i++)
		cr_assert_eq(v[i]->key.sport, want[i], "how %d, position %zu: flow %u, want %d",
			     how, i, v[i]->key.sport, want[i]);
}

Test(flows, sort_bytes)
{
	test_flows_sorted(STATS_SORT_BYTES, (const int[]){ 5, 6, 1, 2, 0, 3, 4 });
}

Test(flows, sort_packets)
{
	test_flows_sorted(STATS_SORT_PACKETS, (const int[]){ 5, 1, 3, 2, 6, 0, 4 });
}

Test(flows, sort_rate)
{
	test_flows_sorted(STATS_SORT_RATE, (const int[]){ 0, 6, 3, 2, 1, 5, 4 });
}

Test(flows, sort_unknown_order_is_bytes)
{
	test_flows_sorted(42, (const int[]){ 5, 6, 1, 2, 0, 3, 4 });
	test_flows_sorted(-1, (const int[]){ 5, 6, 1, 2, 0, 3, 4 });
}

/* Full ties on every count: the flow key decides, so every run gives one order. */
Test(flows, sort_full_ties_by_key)
{
	static const double same[][3] = { { 4, 40, 1 }, { 4, 40, 1 }, { 4, 40, 1 } };
	struct stats_flow f[3];
	const struct stats_flow *v[3];

	test_flows_fill(f, v, same, 3);
	f[0].key.sport = 9;
	f[1].key.sport = 3;
	f[2].key.sport = 5;
	stats_flows_sort(v, 3, STATS_SORT_BYTES);
	cr_assert_eq(v[0]->key.sport, 3);
	cr_assert_eq(v[1]->key.sport, 5);
	cr_assert_eq(v[2]->key.sport, 9);
}

Test(flows, sort_degenerate)
{
	struct stats_flow one;
	const struct stats_flow *v = &one;

	stats_flows_sort(NULL, 0, STATS_SORT_BYTES); /* no qsort on NULL */
	stats_flows_sort(NULL, 0, STATS_SORT_RATE);
	test_flows_fill(&one, &v, test_flows_pbr, 1);
	stats_flows_sort(&v, 1, STATS_SORT_PACKETS);
	cr_assert_eq(v, &one);
	cr_assert_eq(one.val.bytes, 100);
}

Test(flows, sort_names)
{
	cr_assert_eq(stats_sort_parse("bytes"), STATS_SORT_BYTES);
	cr_assert_eq(stats_sort_parse("packets"), STATS_SORT_PACKETS);
	cr_assert_eq(stats_sort_parse("rate"), STATS_SORT_RATE);
	cr_assert_eq(stats_sort_parse("Rate"), -1);
	cr_assert_eq(stats_sort_parse(""), -1);
	cr_assert_eq(stats_sort_parse(NULL), -1);
	for (int i = 0; i < STATS_SORT_MAX; i++)
		cr_assert_eq(stats_sort_parse(stats_sort_name(i)), i);
	cr_assert_str_eq(stats_sort_name(99), "bytes");
}

/* ---- the one name rule -------------------------------------------------- */

/* An ifindex no device has (the kernel allocates them upwards from 1). */
#define GONE_IFINDEX 0x7ffffff0u

Test(flows, ifnames_deleted_device_keeps_the_recorded_name)
{
	struct ifnames c;
	char buf[IF_NAMESIZE];

	ifnames_init(&c);
	cr_assert_str_eq(ifnames_get(&c, GONE_IFINDEX, buf), "if2147483632", "no record: ifN");
	ifnames_init(&c);
	ifnames_record(&c, GONE_IFINDEX, "veth-gone");
	cr_assert_str_eq(ifnames_get(&c, GONE_IFINDEX, buf), "veth-gone");
}

Test(flows, ifnames_record_wins_over_the_kernel)
{
	struct ifnames c;
	char buf[IF_NAMESIZE], lo[IF_NAMESIZE];

	cr_assert_not_null(if_indextoname(1, lo), "ifindex 1 (lo) exists in every namespace");
	ifnames_init(&c);
	cr_assert_str_eq(ifnames_get(&c, 1, buf), lo, "no record: the kernel's name");
	ifnames_init(&c);
	ifnames_record(&c, 1, "renamed");
	ifnames_record(&c, 1, "second"); /* the first record stays */
	cr_assert_str_eq(ifnames_get(&c, 1, buf), "renamed");
}

Test(flows, ifnames_full_cache_still_answers)
{
	struct ifnames c;
	char buf[IF_NAMESIZE], name[IF_NAMESIZE];

	ifnames_init(&c);
	for (unsigned int i = 0; i < IFNAMES_MAX + 8; i++) {
		snprintf(name, sizeof(name), "rec%u", i);
		ifnames_record(&c, GONE_IFINDEX - 100 - i, name);
	}
	cr_assert_eq(c.n, IFNAMES_MAX);
	cr_assert_str_eq(ifnames_get(&c, GONE_IFINDEX - 100, buf), "rec0");
	/* past the cache: not recorded, so the rule's next steps */
	cr_assert_str_eq(ifnames_get(&c, GONE_IFINDEX - 100 - IFNAMES_MAX, buf), "if2147483468");
	cr_assert_str_eq(ifnames_get(&c, 5000000, buf), "if5000000");
}

Test(flows, ifnames_load_without_map)
{
	struct ifnames c;

	ifnames_init(&c);
	ifnames_load(&c, -1);
	cr_assert_eq(c.n, 0);
}

/* One deleted device's flow: the same label in the flows view, the ended view and Prometheus. */
static void test_flows_labels(const char *record, const char *want)
{
	struct stats_flow fl = { 0 };
	struct stats_ended en = { 0 };
	struct stats_snapshot snap = { 0 };
	struct export_iface ifc = { .ifindex = GONE_IFINDEX };
	struct export_input in = { .snap = &snap, .top_k = 5, .version = "t" };
	struct ifnames names;
	char *prom = NULL, label[64];
	size_t len = 0;
	FILE *f;
	json_t *j;

	fl.key.ifindex = GONE_IFINDEX;
	fl.key.l3 = FLOW_L3_IPV4;
	fl.key.proto = 17;
	fl.key.ethertype = 0x0800;
	fl.val.packets = 3;
	fl.val.bytes = 300;
	fl.rate_mbps = 1;
	en.key = fl.key;
	en.val = fl.val;
	snap.flows = &fl;
	snap.n_flows = 1;
	snap.ended = &en;
	snap.n_ended = 1;

	ifnames_init(&names);
	if (record) {
		ifnames_record(&names, GONE_IFINDEX, record);
		snprintf(ifc.ifname, sizeof(ifc.ifname), "%s", record);
		in.ifaces = &ifc;
		in.n_ifaces = 1;
	}
	j = stats_snapshot_json_flows(&snap, 0, STATS_SORT_BYTES, &names);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "ifname")), want);
	json_decref(j);
	j = stats_snapshot_json_ended(&snap, 0, &names);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "ifname")), want);
	json_decref(j);

	f = open_memstream(&prom, &len);
	cr_assert_not_null(f);
	cr_assert_eq(export_render(f, &in), 0);
	fclose(f);
	snprintf(label, sizeof(label), "ipop_flow_bytes_total{ifname=\"%s\"", want);
	cr_assert_not_null(strstr(prom, label), "no %s in:\n%s", label, prom);
	free(prom);
}

Test(flows, deleted_device_one_label_everywhere)
{
	test_flows_labels("veth-gone", "veth-gone");
	test_flows_labels(NULL, "if2147483632");
}

/* ---- reading: what needs no map ----------------------------------------- */

Test(flows, read_bad_fd)
{
	struct flow_rec *r = (void *)1;

	cr_assert_eq(flows_read(-1, &r), -EBADF);
	cr_assert_null(r);
}

/* ---- the cells `flows` and `top` print ----------------------------------- */

static void test_flows_cells(const char *json, const char *src, const char *dst, const char *proto)
{
	json_t *f = json_loads(json, 0, NULL);
	struct flow_cells c;

	cr_assert_not_null(f, "%s", json);
	flow_cells(&c, f);
	cr_assert_str_eq(c.src, src, "%s", json);
	cr_assert_str_eq(c.dst, dst, "%s", json);
	cr_assert_str_eq(c.proto, proto, "%s", json);
	json_decref(f);
}

Test(flows, cells)
{
	test_flows_cells("{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"proto\":17,\"sport\":40001,"
			 "\"dport\":53}",
			 "10.0.0.1:40001", "10.0.0.2:53", "udp");
	test_flows_cells("{\"src\":\"fd00::1\",\"dst\":\"fd00::2\",\"proto\":6,\"sport\":1,"
			 "\"dport\":443}",
			 "[fd00::1]:1", "[fd00::2]:443", "tcp");
	test_flows_cells("{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"proto\":1,\"sport\":8,"
			 "\"dport\":0}",
			 "10.0.0.1", "10.0.0.2", "icmp 8/0");
	test_flows_cells("{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"proto\":17,\"sport\":0,"
			 "\"dport\":0,\"fragment\":true}",
			 "10.0.0.1", "10.0.0.2", "udp frag");
	test_flows_cells("{\"src\":\"\",\"dst\":\"\",\"proto\":0,\"ethertype\":35020}", "-", "-",
			 "eth 0x88cc");
	test_flows_cells("{}", "-", "-", "eth 0x0000");
}
