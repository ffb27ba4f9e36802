// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow tables through the real programs: the controller (user/clsctl.c)
 * programs the maps of a freshly loaded skeleton, frames go through
 * BPF_PROG_TEST_RUN, and the table counters and the flows' table ids are
 * checked exactly.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flow/clsctl.h"
#include "frames.h"
#include "harness.h"
#include "ipop_flow.skel.h"

static struct harness tc_h;
static struct cls *tc_cls;
static struct cls_maps tc_maps;

static void tc_setup(void)
{
	struct ipop_flow_bpf *s;

	harness_open(&tc_h);
	s = tc_h.skel;
	tc_maps =
		(struct cls_maps){ bpf_map__fd(s->maps.cls_state), bpf_map__fd(s->maps.cls_masks),
				   bpf_map__fd(s->maps.cls_rules), bpf_map__fd(s->maps.table_stats),
				   bpf_map__fd(s->maps.tables) };
	cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
}

static void tc_teardown(void)
{
	cls_close(tc_cls);
	harness_close(&tc_h);
}

TestSuite(cls, .init = tc_setup, .fini = tc_teardown);

/* add "name word word ..." as one table; asserts success */
static __u32 tc_add(const char *spec)
{
	char buf[256], *argv[24], err[256] = "";
	struct rule r;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok(buf, " "); t && argc < 24; t = strtok(NULL, " "))
		argv[argc++] = t;
	cr_assert_eq(rule_parse_words(&r, argc, argv, err, sizeof(err)), 0, "%s: %s", spec, err);
	cr_assert_eq(cls_add(tc_cls, &r, 1, err, sizeof(err)), 0, "%s: %s", spec, err);
	return cls_find(tc_cls, argv[0]);
}

static void tc_del(const char *name)
{
	char err[256];

	cr_assert_eq(cls_del(tc_cls, name, err, sizeof(err)), 0, "%s", err);
}

/* One UDP/TCP frame through XDP; returns its length. */
static size_t tc_send(int l3, __u8 proto, const char *src, const char *dst, __u16 sport,
		      __u16 dport)
{
	struct frame_spec s = { .name = "cls",
				.l3 = l3,
				.proto = proto,
				.src = src,
				.dst = dst,
				.sport = sport,
				.dport = dport,
				.payload = 20 };
	static struct frame f;
	static struct run r;

	cr_assert_eq(frame_build(&s, &f), 0);
	cr_assert_eq(harness_run(&tc_h, HOOK_XDP, f.data, f.len, LOOPBACK_IFINDEX, &r), 0);
	cr_assert_eq(r.retval, XDP_PASS_RET);
	return f.len;
}

static struct cls_table_stats tc_stats(__u32 tid)
{
	struct cls_table_stats st = {};

	cr_assert_eq(bpf_map_lookup_elem(tc_maps.stats, &tid, &st), 0);
	return st;
}

static __u32 tc_flow_table(__u16 sport, __u16 dport)
{
	struct flow_entry fe[64];
	size_t n = harness_flows(&tc_h, fe, 64);

	for (size_t i = 0; i < n && i < 64; i++)
		if (fe[i].k.sport == sport && fe[i].k.dport == dport)
			return fe[i].v.table_id;
	cr_assert_fail("no flow %u -> %u", sport, dport);
	return 0;
}

Test(cls, no_tables_no_match)
{
	tc_send(4, 17, "10.0.0.1", "10.0.0.2", 1, 2);
	cr_assert_eq(tc_flow_table(1, 2), 0);
	cr_assert_eq(cls_count(tc_cls), 0);
}

Test(cls, highest_priority_of_overlapping_tables_wins)
{
	__u32 any = tc_add("any-udp prio 1 proto udp");
	__u32 dns = tc_add("dns prio 10 proto udp dport 53");
	__u32 net = tc_add("net10 prio 5 dst 10.0.0.0/8");
	size_t len;

	len = tc_send(4, 17, "192.168.0.1", "10.1.1.1", 1000, 53); /* all three: dns */
	tc_send(4, 17, "192.168.0.1", "10.1.1.1", 1001, 80);	   /* any-udp, net10: net10 */
	tc_send(4, 17, "192.168.0.1", "192.168.9.9", 1002, 80);	   /* any-udp */
	tc_send(4, 6, "192.168.0.1", "10.9.9.9", 1003, 53);	   /* tcp: net10 */
	tc_send(4, 6, "192.168.0.1", "1.2.3.4", 1004, 53);	   /* none */
	tc_send(4, 17, "192.168.0.1", "10.1.1.1", 1000, 53);	   /* dns again, cached */
	cr_assert_eq(tc_flow_table(1000, 53), dns);
	cr_assert_eq(tc_flow_table(1001, 80), net);
	cr_assert_eq(tc_flow_table(1002, 80), any);
	cr_assert_eq(tc_flow_table(1003, 53), net);
	cr_assert_eq(tc_flow_table(1004, 53), 0);
	cr_assert_eq(tc_stats(dns).packets, 2);
	cr_assert_eq(tc_stats(dns).bytes, 2 * len);
	cr_assert_eq(tc_stats(net).packets, 2);
	cr_assert_eq(tc_stats(any).packets, 1);
	cr_assert(tc_stats(dns).first_hit_ns > 0 &&
		  tc_stats(dns).last_hit_ns >= tc_stats(dns).first_hit_ns);
	cr_assert_eq(cls_mask_count(tc_cls), 3);
}

Test(cls, equal_priority_goes_to_the_older_table)
{
	/* both orders: the winner is the table added first, whatever its match */
	__u32 a = tc_add("first prio 3 proto udp");
	__u32 b = tc_add("second prio 3 dst 10.0.0.0/8");

	tc_send(4, 17, "1.1.1.1", "10.0.0.1", 7, 8);
	cr_assert_eq(tc_flow_table(7, 8), a, "the older table 'first' (%u), not 'second' (%u)", a,
		     b);
	tc_del("first");
	tc_del("second");
	b = tc_add("second2 prio 3 dst 10.0.0.0/8");
	a = tc_add("first2 prio 3 proto udp");
	tc_send(4, 17, "1.1.1.1", "10.0.0.2", 9, 10);
	cr_assert_eq(tc_flow_table(9, 10), b, "the older table 'second2' (%u), not 'first2' (%u)",
		     b, a);
}

Test(cls, equal_priority_tie_survives_mask_slot_reuse)
{
	/* B's mask takes the slot X freed, ahead of A's: A must still win the tie */
	__u32 a, b;

	tc_add("x prio 0 ip 6");
	a = tc_add("a prio 0 proto tcp");
	tc_del("x");
	b = tc_add("b prio 0 proto tcp dport 5000");
	cr_assert(a < b);
	tc_send(4, 6, "1.1.1.1", "2.2.2.2", 1234, 5000);
	cr_assert_eq(tc_flow_table(1234, 5000), a);
}

Test(cls, prefix_edges)
{
	__u32 t = tc_add("n prio 1 dst 10.0.0.0/8");
	__u32 h = tc_add("host prio 2 src 192.0.2.7/32");

	tc_send(4, 17, "1.1.1.1", "10.255.255.255", 1, 1);
	tc_send(4, 17, "1.1.1.1", "11.0.0.0", 2, 2);
	tc_send(4, 17, "1.1.1.1", "9.255.255.255", 3, 3);
	tc_send(4, 17, "1.1.1.1", "10.0.0.0", 4, 4);
	tc_send(4, 17, "192.0.2.7", "8.8.8.8", 5, 5);
	tc_send(4, 17, "192.0.2.6", "8.8.8.8", 6, 6);
	cr_assert_eq(tc_flow_table(1, 1), t);
	cr_assert_eq(tc_flow_table(2, 2), 0);
	cr_assert_eq(tc_flow_table(3, 3), 0);
	cr_assert_eq(tc_flow_table(4, 4), t);
	cr_assert_eq(tc_flow_table(5, 5), h);
	cr_assert_eq(tc_flow_table(6, 6), 0);
}

Test(cls, ipv6_prefix_and_family)
{
	__u32 t = tc_add("v6 prio 1 dst fd00:1::/32");
	__u32 v4 = tc_add("v4only prio 0 ip 4");

	tc_send(6, 17, "fd00:9::1", "fd00:1:ffff::1", 1, 1);
	tc_send(6, 17, "fd00:9::1", "fd00:2::1", 2, 2);
	tc_send(4, 17, "10.0.0.1", "10.0.0.2", 3, 3);
	cr_assert_eq(tc_flow_table(1, 1), t);
	cr_assert_eq(tc_flow_table(2, 2), 0);
	cr_assert_eq(tc_flow_table(3, 3), v4);
}

Test(cls, port_range_edges)
{
	__u32 t = tc_add("r prio 1 proto udp dport 1000-2000");

	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 999);
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 1000);
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 1500);
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 2000);
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 2001);
	tc_send(4, 6, "1.1.1.1", "2.2.2.2", 2, 1500); /* tcp: proto does not match */
	cr_assert_eq(tc_flow_table(1, 999), 0);
	cr_assert_eq(tc_flow_table(1, 1000), t);
	cr_assert_eq(tc_flow_table(1, 1500), t);
	cr_assert_eq(tc_flow_table(1, 2000), t);
	cr_assert_eq(tc_flow_table(1, 2001), 0);
	cr_assert_eq(tc_flow_table(2, 1500), 0);
	cr_assert_eq(tc_stats(t).packets, 3);
}

Test(cls, add_and_remove_between_packets)
{
	__u32 low = tc_add("low prio 1 proto udp");
	__u32 high;
	size_t len;

	len = tc_send(4, 17, "1.1.1.1", "2.2.2.2", 5, 6);
	cr_assert_eq(tc_flow_table(5, 6), low);
	high = tc_add("high prio 9 proto udp sport 5");
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 5, 6); /* the cached answer is stale now */
	cr_assert_eq(tc_flow_table(5, 6), high);
	cr_assert_eq(tc_stats(high).packets, 1);
	tc_del("high");
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 5, 6);
	cr_assert_eq(tc_flow_table(5, 6), low);
	/* low's counters were not touched by adding and removing high */
	cr_assert_eq(tc_stats(low).packets, 2);
	cr_assert_eq(tc_stats(low).bytes, 2 * len);
	cr_assert_eq(cls_find(tc_cls, "high"), 0);
}

Test(cls, same_match_two_tables_runner_up_takes_over)
{
	__u32 a = tc_add("a prio 4 proto udp dport 9");
	__u32 b = tc_add("b prio 7 proto udp dport 9");

	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 9);
	cr_assert_eq(tc_flow_table(1, 9), b);
	tc_del("b");
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 9);
	cr_assert_eq(tc_flow_table(1, 9), a);
	cr_assert_eq(tc_stats(a).packets, 1);
}

Test(cls, recovery_from_the_maps)
{
	__u32 a = tc_add("keep prio 2 proto udp dport 100-199");
	char err[128];

	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 150);
	cls_close(tc_cls); /* a restarted controller */
	cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
	cr_assert_eq(cls_count(tc_cls), 1);
	cr_assert_eq(cls_find(tc_cls, "keep"), a);
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 151);
	cr_assert_eq(tc_flow_table(1, 151), a);
	cr_assert_eq(tc_stats(a).packets, 2);
	/* the recovered controller can delete what the old one made */
	cr_assert_eq(cls_del(tc_cls, "keep", err, sizeof(err)), 0);
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 1, 152);
	cr_assert_eq(tc_flow_table(1, 152), 0);
}

Test(cls, batch_is_all_or_nothing)
{
	struct rule r[40];
	char err[256], name[16], port[16], *argv[6];

	tc_add("pre prio 1 proto udp");
	/* 40 tables of 40 distinct shapes (sport prefix lengths x dst lengths) */
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		snprintf(port, sizeof(port), "10.0.0.0/%d", 8 + i % 24);
		argv[0] = name;
		argv[1] = "prio";
		argv[2] = "1";
		argv[3] = "dst";
		argv[4] = port;
		cr_assert_eq(rule_parse_words(&r[i], 5, argv, err, sizeof(err)), 0, "%s", err);
		if (i >= 24) /* make the shapes distinct beyond 24 prefix lengths */
			r[i].def.match |= CLS_M_DIR;
	}
	struct cls_state st0, st1;
	__u32 zero = 0;

	cr_assert_eq(bpf_map_lookup_elem(tc_maps.state, &zero, &st0), 0);
	cr_assert_eq(cls_add(tc_cls, r, 40, err, sizeof(err)), -ENOSPC);
	/* refused before anything was written: cached answers stay valid */
	cr_assert_eq(bpf_map_lookup_elem(tc_maps.state, &zero, &st1), 0);
	cr_assert_eq(st1.gen, st0.gen);
	cr_assert(strstr(err, "distinct match shapes"), "%s", err);
	cr_assert_eq(cls_count(tc_cls), 1);
	cr_assert_eq(cls_mask_count(tc_cls), 1);
	/* a duplicate name inside a batch is refused the same way */
	cr_assert_eq(cls_add(tc_cls, r, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_add(tc_cls, r, 1, err, sizeof(err)), -EEXIST);
	cr_assert_eq(cls_count(tc_cls), 3);
}

Test(cls, mask_limit_counts_the_masks_in_use)
{
	char spec[64], err[256], *argv[5];
	struct rule r[2];

	/* 31 shapes in use: dst /1 .. /31 */
	for (int i = 1; i <= 31; i++) {
		snprintf(spec, sizeof(spec), "m%d prio 1 dst 0.0.0.0/%d", i, i);
		tc_add(spec);
	}
	cr_assert_eq(cls_mask_count(tc_cls), 31);
	/* two more shapes in one batch would make 33 */
	argv[1] = "prio";
	argv[2] = "1";
	argv[3] = "src";
	argv[0] = "n1";
	argv[4] = "10.0.0.0/8";
	cr_assert_eq(rule_parse_words(&r[0], 5, argv, err, sizeof(err)), 0, "%s", err);
	argv[0] = "n2";
	argv[4] = "10.0.0.0/16";
	cr_assert_eq(rule_parse_words(&r[1], 5, argv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_add(tc_cls, r, 2, err, sizeof(err)), -ENOSPC);
	cr_assert(strstr(err, "distinct match shapes"), "%s", err);
	cr_assert_eq(cls_count(tc_cls), 31);
	cr_assert_eq(cls_mask_count(tc_cls), 31);
	/* one more fits exactly */
	cr_assert_eq(cls_add(tc_cls, r, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_mask_count(tc_cls), 32);
}

/* n tables "b0".."b<n-1>", each one UDP destination port */
static void batch_rules(struct rule *r, int n)
{
	char name[16], port[16], err[256], *argv[5] = { name, "proto", "udp", "dport", port };

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		snprintf(port, sizeof(port), "%d", 1000 + i);
		cr_assert_eq(rule_parse_words(&r[i], 5, argv, err, sizeof(err)), 0, "%s", err);
	}
}

/*
 * A controller that dies with a batch open (cls_close stands for the crash:
 * it neither commits nor takes anything back) leaves the tables it had
 * programmed; the next one removes exactly those, at any point of the batch.
 */
Test(cls, batch_is_all_or_nothing_across_a_crash)
{
	struct rule r[50];
	char err[256];
	__u32 keep = tc_add("keep prio 2 proto tcp");

	batch_rules(r, 50);
	for (int cut = 0; cut <= 50; cut += 25) {
		cr_assert_eq(cls_add_begin(tc_cls, r, 50, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(cls_add_more(tc_cls, cut, err, sizeof(err)), 50 - cut);
		cr_assert_eq(cls_count(tc_cls), 1 + (size_t)cut);
		/* nothing else changes while the batch is open */
		cr_assert_eq(cls_del(tc_cls, "keep", err, sizeof(err)), -EBUSY);
		cr_assert_eq(cls_add(tc_cls, r, 1, err, sizeof(err)), -EBUSY);
		cls_close(tc_cls); /* the crash */
		cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
		cr_assert_eq(cls_undone(tc_cls), (size_t)cut, "cut %d", cut);
		cr_assert_eq(cls_count(tc_cls), 1, "cut %d: %zu tables", cut, cls_count(tc_cls));
		cr_assert_eq(cls_find(tc_cls, "keep"), keep);
		cr_assert_eq(cls_find(tc_cls, "b0"), 0);
		/* no stray entry left behind: a packet for the batch counts nowhere */
		tc_send(4, 17, "1.1.1.1", "2.2.2.2", 7, 1000);
		cr_assert_eq(tc_flow_table(7, 1000), 0);
	}
	/* and the same batch, retried, goes through and survives a restart whole */
	cr_assert_eq(cls_add(tc_cls, r, 50, err, sizeof(err)), 0, "%s", err);
	cls_close(tc_cls);
	cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
	cr_assert_eq(cls_undone(tc_cls), 0);
	cr_assert_eq(cls_count(tc_cls), 51);
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 8, 1049);
	cr_assert_eq(tc_flow_table(8, 1049), cls_find(tc_cls, "b49"));
}

/* A batch that fails part-way, or is cancelled, is taken back whole. */
Test(cls, batch_in_slices_cancelled)
{
	struct rule r[30];
	char err[256];

	batch_rules(r, 30);
	cr_assert_eq(cls_add_begin(tc_cls, r, 30, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_add_more(tc_cls, 10, err, sizeof(err)), 20);
	cr_assert_eq(cls_add_more(tc_cls, 10, err, sizeof(err)), 10);
	cr_assert_eq(cls_add_end(tc_cls, true, err, sizeof(err)), -ECANCELED);
	cr_assert_eq(cls_count(tc_cls), 0);
	cls_close(tc_cls);
	cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
	cr_assert_eq(cls_count(tc_cls), 0);
	cr_assert_eq(cls_undone(tc_cls), 0, "the marker went with the batch");
	/* ended before its last slice: not committed */
	cr_assert_eq(cls_add_begin(tc_cls, r, 30, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_add_more(tc_cls, 29, err, sizeof(err)), 1);
	cr_assert_eq(cls_add_end(tc_cls, false, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cls_count(tc_cls), 0);
	cr_assert_eq(cls_add_begin(tc_cls, r, 30, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_add_more(tc_cls, 100, err, sizeof(err)), 0);
	cr_assert_eq(cls_add_end(tc_cls, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_count(tc_cls), 30);
}

/* the ids of "b0".."b<n-1>" */
static void batch_ids(__u32 *ids, int n)
{
	char name[16];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		ids[i] = cls_find(tc_cls, name);
		cr_assert_neq(ids[i], 0, "%s", name);
	}
}

/*
 * A delete batch across a crash: before its commit (still marking) the
 * restart keeps every table, unmarked; after it (part-way through the
 * deletions) the restart finishes the delete.
 */
Test(cls, delete_batch_is_all_or_nothing_across_a_crash)
{
	struct rule r[40];
	__u32 ids[40];
	char err[256];
	__u32 keep = tc_add("keep prio 2 proto tcp");

	batch_rules(r, 40);
	cr_assert_eq(cls_add(tc_cls, r, 40, err, sizeof(err)), 0, "%s", err);
	/* crash while marking: nothing deleted */
	batch_ids(ids, 40);
	cr_assert_eq(cls_del_begin(tc_cls, ids, 40, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(cls_del_more(tc_cls, 25, err, sizeof(err)), 40);
	cr_assert_eq(cls_del(tc_cls, "keep", err, sizeof(err)), -EBUSY);
	cls_close(tc_cls);
	cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
	cr_assert_eq(cls_count(tc_cls), 41);
	cr_assert_eq(cls_finished(tc_cls), 0);
	/* the marks are gone: a later committed delete of others leaves these */
	cr_assert_eq(cls_del_begin(tc_cls, &keep, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_del_more(tc_cls, 1, err, sizeof(err)), 1);
	cls_close(tc_cls); /* crash after the commit, before the deletion */
	cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
	cr_assert_eq(cls_finished(tc_cls), 1);
	cr_assert_eq(cls_count(tc_cls), 40, "only the committed delete went");
	cr_assert_eq(cls_find(tc_cls, "keep"), 0);
	/* crash part-way through the deletions: the restart finishes them */
	batch_ids(ids, 40);
	cr_assert_eq(cls_del_begin(tc_cls, ids, 30, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_del_more(tc_cls, 30, err, sizeof(err)), 30); /* marked and committed */
	cr_assert_eq(cls_del_more(tc_cls, 10, err, sizeof(err)), 20);
	cr_assert_eq(cls_count(tc_cls), 30);
	cls_close(tc_cls);
	cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
	cr_assert_eq(cls_finished(tc_cls), 20);
	cr_assert_eq(cls_count(tc_cls), 10);
	cr_assert_eq(cls_find(tc_cls, "b29"), 0);
	cr_assert_neq(cls_find(tc_cls, "b30"), 0);
	/* no stray entry: a packet for a deleted table counts nowhere, one for a kept one does */
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 9, 1029);
	cr_assert_eq(tc_flow_table(9, 1029), 0);
	tc_send(4, 17, "1.1.1.1", "2.2.2.2", 9, 1030);
	cr_assert_eq(tc_flow_table(9, 1030), cls_find(tc_cls, "b30"));
	/* cancelled before the commit: nothing deleted; a full run deletes all */
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "b%d", 30 + i);
		ids[i] = cls_find(tc_cls, name);
	}
	cr_assert_eq(cls_del_begin(tc_cls, ids, 10, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(cls_del_more(tc_cls, 5, err, sizeof(err)), 10);
	cr_assert_eq(cls_del_end(tc_cls, true, err, sizeof(err)), -ECANCELED);
	cr_assert_eq(cls_count(tc_cls), 10);
	cr_assert_eq(cls_del_begin(tc_cls, ids, 10, err, sizeof(err)), 0, "%s", err);
	while (cls_del_more(tc_cls, 3, err, sizeof(err)) > 0)
		;
	cr_assert_eq(cls_del_end(tc_cls, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cls_count(tc_cls), 0);
	cls_close(tc_cls);
	cr_assert_eq(cls_open_fds(&tc_cls, &tc_maps), 0);
	cr_assert_eq(cls_count(tc_cls), 0);
	cr_assert_eq(cls_finished(tc_cls) + cls_undone(tc_cls), 0, "no marker left");
}
