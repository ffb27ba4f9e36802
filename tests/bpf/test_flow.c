// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Hand-built frames through ipop_xdp, ipop_tc_in and ipop_tc_eg with
 * BPF_PROG_TEST_RUN: verdict, frame unchanged, exact flow map and dp_stats.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "harness.h"

/* bpf/parsing.h is plain C: the same parser, compiled here, must agree too */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "parsing.h"
#pragma GCC diagnostic pop

static struct harness h;
static struct run r;

static void setup(void)
{
	harness_open(&h);
}

static void teardown(void)
{
	harness_close(&h);
}

TestSuite(flow, .init = setup, .fini = teardown, .timeout = 120);

static void expect_key(const struct frame *f, enum hook hk, struct flow_key *k)
{
	*k = f->key;
	k->ifindex = LOOPBACK_IFINDEX;
	k->dir = hook_dir(hk);
}

/*
 * Run data[0..len) on an empty flow map and check everything the datapath
 * says about it. want_flow: the key expected (NULL = a parse error).
 */
static void run_one(const char *name, enum hook hk, const uint8_t *data, size_t len,
		    const struct flow_key *want, const struct frame *f)
{
	uint64_t before[DP_STAT_MAX], after[DP_STAT_MAX], t0, t1;
	struct flow_entry e[2];
	char b1[256], b2[256];
	size_t n;
	int i;

	harness_clear_flows(&h);
	harness_stats(&h, before);
	t0 = mono_ns();
	harness_run(&h, hk, data, len, 0, &r);
	t1 = mono_ns();
	harness_stats(&h, after);
	n = harness_flows(&h, e, 2);

	if (len < hook_min_len(hk, data, len)) {
		/* test_run refuses it (see hook_min_len()); nothing may be counted */
		cr_assert_eq(r.err, -EINVAL, "%s/%s len %zu: err %d, want -EINVAL", name,
			     hook_name[hk], len, r.err);
		for (i = 0; i < DP_STAT_MAX; i++)
			cr_assert_eq(after[i], before[i], "%s/%s len %zu: stat %d counted", name,
				     hook_name[hk], len, i);
		cr_assert_eq(n, 0);
		return;
	}
	cr_assert_eq(r.err, 0, "%s/%s len %zu: test_run: %s", name, hook_name[hk], len,
		     strerror(-r.err));
	cr_assert_eq(r.retval, hook_pass_verdict(hk), "%s/%s len %zu: verdict %u", name,
		     hook_name[hk], len, r.retval);
	cr_assert_eq(r.size_out, len, "%s/%s len %zu: size out %u", name, hook_name[hk], len,
		     r.size_out);
	cr_assert_arr_eq(r.out, data, len, "%s/%s len %zu: frame modified", name, hook_name[hk],
			 len);

	cr_assert_eq(after[DP_STAT_PACKETS] - before[DP_STAT_PACKETS], 1);
	cr_assert_eq(after[DP_STAT_INSERT_FAIL], before[DP_STAT_INSERT_FAIL]);
	if (!want) {
		cr_assert_eq(after[DP_STAT_PARSE_ERROR] - before[DP_STAT_PARSE_ERROR], 1,
			     "%s/%s len %zu: want a parse error", name, hook_name[hk], len);
		cr_assert_eq(after[DP_STAT_NON_IP], before[DP_STAT_NON_IP]);
		cr_assert_eq(after[DP_STAT_FLOW_NEW], before[DP_STAT_FLOW_NEW]);
		cr_assert_eq(after[DP_STAT_FRAGMENT], before[DP_STAT_FRAGMENT]);
		cr_assert_eq(n, 0, "%s/%s len %zu: parse error made a flow %s", name, hook_name[hk],
			     len, key_str(&e[0].k, b1, sizeof(b1)));
		return;
	}
	cr_assert_eq(after[DP_STAT_PARSE_ERROR], before[DP_STAT_PARSE_ERROR],
		     "%s/%s len %zu: unexpected parse error", name, hook_name[hk], len);
	cr_assert_eq(after[DP_STAT_NON_IP] - before[DP_STAT_NON_IP],
		     f->result == FRAME_NON_IP ? 1u : 0u, "%s/%s len %zu: non-IP count", name,
		     hook_name[hk], len);
	cr_assert_eq(after[DP_STAT_FRAGMENT] - before[DP_STAT_FRAGMENT], f->fragment ? 1u : 0u,
		     "%s/%s len %zu: fragment count", name, hook_name[hk], len);
	cr_assert_eq(after[DP_STAT_FLOW_NEW] - before[DP_STAT_FLOW_NEW], 1);
	cr_assert_eq(n, 1, "%s/%s len %zu: %zu flows", name, hook_name[hk], len, n);
	cr_assert(memcmp(&e[0].k, want, sizeof(*want)) == 0, "%s/%s len %zu: key %s, want %s", name,
		  hook_name[hk], len, key_str(&e[0].k, b1, sizeof(b1)),
		  key_str(want, b2, sizeof(b2)));
	cr_assert_eq(e[0].v.packets, 1);
	cr_assert_eq(e[0].v.bytes, len);
	cr_assert_eq(e[0].v.tcp_flags, f->tcp_flags, "%s/%s len %zu: tcp flags 0x%x", name,
		     hook_name[hk], len, e[0].v.tcp_flags);
	cr_assert_eq(e[0].v.table_id, 0);
	cr_assert(t0 <= e[0].v.first_seen_ns && e[0].v.first_seen_ns == e[0].v.last_seen_ns &&
			  e[0].v.last_seen_ns <= t1,
		  "%s: seen %llu..%llu outside the run %llu..%llu", name,
		  (unsigned long long)e[0].v.first_seen_ns, (unsigned long long)e[0].v.last_seen_ns,
		  (unsigned long long)t0, (unsigned long long)t1);
}

static void build(const struct frame_spec *s, struct frame *f)
{
	cr_assert_eq(frame_build(s, f), 0, "%s: spec does not build", s->name);
	cr_assert_leq(f->len, FRAME_MAX);
}

/* Every catalogue frame, whole, through every hook. */
Test(flow, catalogue_whole_frames)
{
	static struct frame f;
	struct flow_key k;
	size_t i;
	int hk;

	for (i = 0; i < frame_catalogue_len; i++) {
		build(&frame_catalogue[i], &f);
		for (hk = 0; hk < HOOK_MAX; hk++) {
			expect_key(&f, hk, &k);
			run_one(frame_catalogue[i].name, hk, f.data, f.len,
				f.result == FRAME_ERR ? NULL : &k, &f);
		}
	}
}

/* Every catalogue frame cut at every length 0..full. */
static void truncations(enum hook hk)
{
	static struct frame f;
	struct flow_key k;
	size_t i, len, runs = 0;

	for (i = 0; i < frame_catalogue_len; i++) {
		build(&frame_catalogue[i], &f);
		expect_key(&f, hk, &k);
		for (len = 0; len <= f.len; len++, runs++)
			run_one(frame_catalogue[i].name, hk, f.data, len,
				f.result != FRAME_ERR && len >= f.needed ? &k : NULL, &f);
	}
	cr_log_info("%s: %zu truncated frames", hook_name[hk], runs);
}

Test(flow, truncated_xdp)
{
	truncations(HOOK_XDP);
}

Test(flow, truncated_tc_in)
{
	truncations(HOOK_TC_IN);
}

Test(flow, truncated_tc_eg)
{
	truncations(HOOK_TC_EG);
}

/* The builder's own expectations, for frames whose rules are easy to get wrong. */
Test(flow, builder_expectations)
{
	static struct frame f;
	size_t i;

	for (i = 0; i < frame_catalogue_len; i++) {
		const struct frame_spec *s = &frame_catalogue[i];

		build(s, &f);
		if (!strcmp(s->name, "ipv4-tcp-syn"))
			cr_assert_eq(f.needed, 14 + 20 + 20);
		if (!strcmp(s->name, "ipv4-opts40-tcp"))
			cr_assert_eq(f.needed, 14 + 60 + 20);
		if (!strcmp(s->name, "ipv4-frag-later-udp"))
			cr_assert(f.needed == 14 + 20 && f.key.flags == FLOW_KEY_FRAG_LATER &&
				  f.key.sport == 0 && f.fragment);
		if (!strcmp(s->name, "ipv6-ah-tcp"))
			cr_assert_eq(f.needed, 14 + 40 + 16 + 20);
		if (!strcmp(s->name, "ipv6-chain9-err"))
			cr_assert_eq(f.result, FRAME_ERR);
		if (!strcmp(s->name, "ipv6-chain9-later-frag-at-8"))
			cr_assert(f.result == FRAME_IP && f.key.proto == 60 &&
				  f.key.flags == FLOW_KEY_FRAG_LATER);
		if (!strcmp(s->name, "qinq-88a8-ipv6-tcp"))
			cr_assert(f.needed == 22 + 40 + 20 && f.key.vlan == 200);
		if (!strcmp(s->name, "vlan3-non-ip"))
			cr_assert(f.result == FRAME_NON_IP && f.key.ethertype == 0x8100 &&
				  f.key.vlan == 10 && f.key.l3 == 0 && f.needed == 22);
		if (!strcmp(s->name, "ieee8023-llc"))
			cr_assert(f.result == FRAME_NON_IP && f.key.ethertype == 0);
	}
}

static const struct frame_spec *spec(const char *name)
{
	size_t i;

	for (i = 0; i < frame_catalogue_len; i++)
		if (!strcmp(frame_catalogue[i].name, name))
			return &frame_catalogue[i];
	cr_assert_fail("no catalogue frame %s", name);
	return NULL;
}

/* Patch a well-formed frame into a malformed one: each must be a parse error. */
Test(flow, malformed_ip_headers)
{
	static struct frame f;
	struct {
		const char *base, *what;
		size_t at;
		uint8_t val;
	} cases[] = {
		{ "ipv4-udp", "IPv4 version 6 under 0x0800", 14, 0x65 },
		{ "ipv4-udp", "IPv4 version 0", 14, 0x05 },
		{ "ipv4-udp", "IPv4 ihl 4", 14, 0x44 },
		{ "ipv4-udp", "IPv4 ihl 0", 14, 0x40 },
		{ "ipv4-udp", "IPv4 tot_len 19 < 20", 17, 19 },
		{ "ipv4-opts8-udp", "IPv4 tot_len 24 < ihl 28", 17, 24 },
		{ "ipv4-udp", "IPv4 ihl 15, options run past the frame", 14, 0x4f },
		{ "ipv6-udp", "IPv6 version 4 under 0x86dd", 14, 0x40 },
		{ "ipv6-udp", "IPv6 version 7", 14, 0x70 },
		{ "ipv6-hbh-mld", "IPv6 hop-by-hop length past the frame", 14 + 40 + 1, 0xff },
		{ "ipv6-ah-tcp", "IPv6 AH length past the frame", 14 + 40 + 1, 0xfe },
		{ "vlan-ipv4-udp", "IPv4 version 5 behind a tag", 18, 0x55 },
	};
	size_t i;
	int hk;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build(spec(cases[i].base), &f);
		if (cases[i].at == 17) { /* the low byte of tot_len; the high byte goes to 0 */
			f.data[16] = 0;
		}
		f.data[cases[i].at] = cases[i].val;
		for (hk = 0; hk < HOOK_MAX; hk++)
			run_one(cases[i].what, hk, f.data, f.len, NULL, &f);
	}
}

/*
 * tot_len 0 is a GSO super-packet (IPv4 BIG TCP; what a TSO sender's capture
 * shows): a flow like any other, not a parse error. Found by the tcpdump
 * captures ipv4_tcp_http_xml_tso.pcap and icmp-length-zero.pcapng.
 */
Test(flow, ipv4_tot_len_zero_is_gso)
{
	static struct frame f;
	struct flow_key k;
	int hk;

	build(spec("ipv4-tcp-opts-data"), &f);
	f.data[16] = 0;
	f.data[17] = 0;
	for (hk = 0; hk < HOOK_MAX; hk++) {
		expect_key(&f, hk, &k);
		run_one("tot_len 0", hk, f.data, f.len, &k, &f);
	}
}

/* An IPv4 tot_len larger than the frame, or equal to ihl, is not our business. */
Test(flow, ipv4_tot_len_not_checked_against_frame)
{
	static struct frame f;
	struct flow_key k;
	int hk;

	build(spec("ipv4-tcp-syn"), &f);
	f.data[16] = 0xff; /* tot_len 0xff28 */
	for (hk = 0; hk < HOOK_MAX; hk++) {
		expect_key(&f, hk, &k);
		run_one("tot_len > frame", hk, f.data, f.len, &k, &f);
	}
	f.data[16] = 0;
	f.data[17] = 20; /* tot_len == ihl: header complete, the L4 bytes are present */
	for (hk = 0; hk < HOOK_MAX; hk++) {
		expect_key(&f, hk, &k);
		run_one("tot_len == ihl", hk, f.data, f.len, &k, &f);
	}
}

/* Packets of one flow: packets and bytes add up, TCP flags OR, last seen moves. */
Test(flow, tcp_flags_or_and_counters)
{
	static struct frame f[4];
	const uint8_t flags[4] = { 0x02, 0x10, 0x18, 0x11 };
	struct frame_spec s = *spec("ipv4-tcp-opts-data");
	struct flow_entry e[4];
	struct flow_key k;
	uint64_t bytes = 0, t0, mid = 0;
	int i, hk;

	for (i = 0; i < 4; i++) {
		s.tcp_flags = flags[i];
		s.payload = 100 * i;
		build(&s, &f[i]);
		cr_assert(memcmp(&f[i].key, &f[0].key, sizeof(f[0].key)) == 0);
		bytes += f[i].len;
	}
	for (hk = 0; hk < HOOK_MAX; hk++) {
		harness_clear_flows(&h);
		t0 = mono_ns();
		for (i = 0; i < 4; i++) {
			cr_assert_eq(harness_run(&h, hk, f[i].data, f[i].len, 0, &r), 0);
			cr_assert_eq(r.retval, hook_pass_verdict(hk));
			if (i == 0)
				mid = mono_ns();
		}
		cr_assert_eq(harness_flows(&h, e, 4), 1);
		expect_key(&f[0], hk, &k);
		cr_assert(memcmp(&e[0].k, &k, sizeof(k)) == 0);
		cr_assert_eq(e[0].v.packets, 4);
		cr_assert_eq(e[0].v.bytes, bytes);
		cr_assert_eq(e[0].v.tcp_flags, 0x1b, "flags 0x%x", e[0].v.tcp_flags);
		cr_assert(t0 <= e[0].v.first_seen_ns && e[0].v.first_seen_ns <= mid &&
			  mid <= e[0].v.last_seen_ns && e[0].v.last_seen_ns <= mono_ns());
	}
}

/*
 * The clock is read once per tick and CPU (coarse_now()): a packet a few
 * ticks after the first still moves last_seen past a time read between them.
 */
Test(flow, last_seen_follows_the_clock_across_ticks)
{
	static struct frame f;
	struct flow_entry e[2];
	uint64_t t0, mid;
	int hk;

	build(spec("ipv4-udp"), &f);
	for (hk = 0; hk < HOOK_MAX; hk++) {
		harness_clear_flows(&h);
		t0 = mono_ns();
		cr_assert_eq(harness_run(&h, hk, f.data, f.len, 0, &r), 0);
		usleep(30000); /* several ticks at any HZ from 100 up */
		mid = mono_ns();
		cr_assert_gt(mid, t0, "the coarse clock did not move in 30 ms");
		cr_assert_eq(harness_run(&h, hk, f.data, f.len, 0, &r), 0);
		cr_assert_eq(harness_flows(&h, e, 2), 1);
		cr_assert_eq(e[0].v.packets, 2);
		cr_assert(t0 <= e[0].v.first_seen_ns && e[0].v.first_seen_ns < mid &&
				  mid <= e[0].v.last_seen_ns && e[0].v.last_seen_ns <= mono_ns(),
			  "%s: first %llu last %llu, clock %llu then %llu", hook_name[hk],
			  (unsigned long long)e[0].v.first_seen_ns,
			  (unsigned long long)e[0].v.last_seen_ns, (unsigned long long)t0,
			  (unsigned long long)mid);
	}
}

/*
 * XDP and TC ingress report the same direction and (under test_run) the same
 * device, so they feed one flow; TC egress feeds another.
 */
Test(flow, hooks_share_one_accounting_path)
{
	static struct frame f;
	struct flow_entry e[4];
	uint64_t st[DP_STAT_MAX];
	int hk, i, seen_in = 0, seen_eg = 0;
	size_t n;

	build(spec("ipv6-udp"), &f);
	for (hk = 0; hk < HOOK_MAX; hk++)
		cr_assert_eq(harness_run(&h, hk, f.data, f.len, 0, &r), 0);
	n = harness_flows(&h, e, 4);
	cr_assert_eq(n, 2);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(e[i].k.ifindex, LOOPBACK_IFINDEX);
		if (e[i].k.dir == FLOW_DIR_INGRESS) {
			seen_in++;
			cr_assert_eq(e[i].v.packets, 2);
			cr_assert_eq(e[i].v.bytes, 2 * f.len);
		} else {
			seen_eg++;
			cr_assert_eq(e[i].k.dir, FLOW_DIR_EGRESS);
			cr_assert_eq(e[i].v.packets, 1);
			cr_assert_eq(e[i].v.bytes, f.len);
		}
	}
	cr_assert(seen_in == 1 && seen_eg == 1);
	harness_stats(&h, st);
	cr_assert_eq(st[DP_STAT_PACKETS], 3);
	cr_assert_eq(st[DP_STAT_FLOW_NEW], 2);
	cr_assert_eq(st[DP_STAT_PARSE_ERROR] + st[DP_STAT_NON_IP] + st[DP_STAT_INSERT_FAIL] +
			     st[DP_STAT_FRAGMENT],
		     0);
}

/*
 * What ifindex programs see under test_run (observed on 6.18): XDP without a
 * context gets the loopback rx queue (1), an xdp_md with ingress_ifindex 1
 * too; an ifindex that does not exist is -ENODEV and counts nothing. TC gets
 * skb->dev = loopback.
 */
Test(flow, ifindex_under_test_run)
{
	static struct frame f;
	struct flow_entry e[2];
	uint64_t st[DP_STAT_MAX];

	build(spec("arp"), &f);
	cr_assert_eq(harness_run(&h, HOOK_XDP, f.data, f.len, 0, &r), 0);
	cr_assert_eq(harness_flows(&h, e, 2), 1);
	cr_assert_eq(e[0].k.ifindex, LOOPBACK_IFINDEX);
	harness_clear_flows(&h);
	cr_assert_eq(harness_run(&h, HOOK_XDP, f.data, f.len, LOOPBACK_IFINDEX, &r), 0);
	cr_assert_eq(harness_flows(&h, e, 2), 1);
	cr_assert_eq(e[0].k.ifindex, LOOPBACK_IFINDEX);
	cr_assert_eq(e[0].v.packets, 1);
	harness_clear_flows(&h);
	cr_assert_eq(harness_run(&h, HOOK_XDP, f.data, f.len, 0x7ffffff0, &r), -ENODEV);
	cr_assert_eq(harness_flows(&h, e, 2), 0);
	harness_stats(&h, st);
	cr_assert_eq(st[DP_STAT_PACKETS], 2);
	cr_assert_eq(harness_run(&h, HOOK_TC_EG, f.data, f.len, 0, &r), 0);
	cr_assert_eq(harness_flows(&h, e, 2), 1);
	cr_assert_eq(e[0].k.ifindex, LOOPBACK_IFINDEX);
	cr_assert_eq(e[0].k.dir, FLOW_DIR_EGRESS);
}

/* Frames that differ in one key field each are distinct flows. */
Test(flow, every_key_field_separates_flows)
{
	static struct frame f;
	struct frame_spec s4 = *spec("vlan-ipv4-udp"), s;
	struct flow_entry e[16];
	uint64_t st[DP_STAT_MAX];
	int i, hk, n = 0;

	for (i = 0; i < 7; i++) {
		s = s4;
		switch (i) {
		case 1:
			s.vid[0] = 101;
			break;
		case 2:
			s.src = "10.1.2.4";
			break;
		case 3:
			s.dst = "192.0.2.201";
			break;
		case 4:
			s.sport++;
			break;
		case 5:
			s.dport++;
			break;
		case 6:
			s.proto = 136; /* UDPLite, same ports */
			break;
		}
		build(&s, &f);
		for (hk = 0; hk < HOOK_MAX; hk += 2) { /* XDP (ingress) and TC egress */
			cr_assert_eq(harness_run(&h, hk, f.data, f.len, 0, &r), 0);
			n++;
		}
	}
	cr_assert_eq(harness_flows(&h, e, 16), (size_t)n);
	harness_stats(&h, st);
	cr_assert_eq(st[DP_STAT_FLOW_NEW], (uint64_t)n);
	for (i = 0; i < n; i++)
		cr_assert_eq(e[i].v.packets, 1);
}

/* Non-IP frames are keyed by EtherType and tag only: the payload does not matter. */
Test(flow, non_ip_keyed_by_ethertype)
{
	static struct frame f;
	struct frame_spec s = *spec("arp");
	struct flow_entry e[4];
	uint64_t st[DP_STAT_MAX];
	int i;

	for (i = 0; i < 5; i++) {
		s.payload = 28 + i * 10;
		build(&s, &f);
		f.data[20] = i; /* ARP opcode byte, or anything */
		cr_assert_eq(harness_run(&h, HOOK_XDP, f.data, f.len, 0, &r), 0);
	}
	cr_assert_eq(harness_flows(&h, e, 4), 1);
	cr_assert_eq(e[0].k.ethertype, 0x0806);
	cr_assert_eq(e[0].k.l3, 0);
	cr_assert_eq(e[0].v.packets, 5);
	cr_assert_eq(e[0].v.bytes, 5 * 42 + 10 * (0 + 1 + 2 + 3 + 4));
	harness_stats(&h, st);
	cr_assert_eq(st[DP_STAT_NON_IP], 5);
}

/*
 * Large frames. TC test_run takes at most PAGE_SIZE - NET_SKB_PAD - shinfo
 * (3712 bytes on x86-64/4K pages) and refuses more with -EINVAL, counting
 * nothing. XDP test_run builds a multi-buffer xdp_buff beyond 3520 bytes even
 * for a program without xdp.frags; ipop_xdp parses the linear part and counts
 * the whole frame (bpf_xdp_get_buff_len()).
 */
#define XDP_LINEAR_MAX	3520
#define TC_TEST_RUN_MAX 3712

Test(flow, large_frames)
{
	static uint8_t big[9000];
	static struct frame f;
	const size_t lens[] = { 1514, 1518, 3520, 3521, 3712, 3713, 9000 };
	struct flow_entry e[2];
	size_t i, n;
	int hk;

	build(spec("ipv4-udp"), &f);
	memset(big, 0x77, sizeof(big));
	memcpy(big, f.data, f.len);
	for (hk = 0; hk < HOOK_MAX; hk++) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			harness_clear_flows(&h);
			harness_run(&h, hk, big, lens[i], 0, &r);
			n = harness_flows(&h, e, 2);
			if (hk != HOOK_XDP && lens[i] > TC_TEST_RUN_MAX) {
				cr_assert_eq(r.err, -EINVAL, "%s %zu: %d", hook_name[hk], lens[i],
					     r.err);
				cr_assert_eq(n, 0);
				continue;
			}
			cr_assert_eq(r.err, 0, "%s %zu: %d", hook_name[hk], lens[i], r.err);
			cr_assert_eq(r.size_out, lens[i]);
			cr_assert_arr_eq(r.out, big, lens[i]);
			cr_assert_eq(n, 1);
			cr_assert_eq(e[0].k.sport, 5353);
			/* XDP counts every buffer of a multi-buffer frame (bpf_xdp_get_buff_len) */
			cr_assert_eq(e[0].v.bytes, lens[i]);
		}
	}
}

/*
 * The parser compiled in userspace (as the fuzz harness uses it) against a
 * buffer of exactly the frame: same answers as the builder expects.
 */
Test(flow, userspace_parser_agrees)
{
	static struct frame f;
	static uint8_t buf[FRAME_MAX];
	struct flow_key k;
	size_t i, len;
	uint8_t flags;
	int frag, res;

	for (i = 0; i < frame_catalogue_len; i++) {
		build(&frame_catalogue[i], &f);
		for (len = 0; len <= f.len; len++) {
			memcpy(buf, f.data, len);
			memset(&k, 0, sizeof(k));
			flags = 0;
			frag = 0;
			res = parse_frame(buf, buf + len, &k, &flags, &frag);
			if (f.result == FRAME_ERR || len < f.needed) {
				cr_assert_eq(res, PARSE_ERR, "%s len %zu: %d",
					     frame_catalogue[i].name, len, res);
				continue;
			}
			cr_assert_eq(res, f.result == FRAME_IP ? PARSE_IP : PARSE_NON_IP);
			cr_assert(!memcmp(&k, &f.key, sizeof(k)), "%s len %zu: key differs",
				  frame_catalogue[i].name, len);
			cr_assert_eq(flags, f.tcp_flags);
			cr_assert_eq(frag, f.fragment);
		}
	}
}

/*
 * The accounting fast path (parse_frame_fast) at every length of every
 * catalogue frame: it declines and leaves key and info alone, or it gives
 * what parse_frame_info gives. It takes exactly the plain frames: untagged,
 * IPv4 without options or IPv6 without extension headers, not a fragment,
 * TCP or UDP, 20 bytes or more after the IP header.
 */
Test(flow, fast_parser_agrees)
{
	static struct frame f;
	static uint8_t buf[FRAME_MAX];
	struct flow_key k, fk, k0 = { .ifindex = 7, .dir = FLOW_DIR_EGRESS };
	struct parse_info pi, fpi, pi0 = { 0 };
	size_t i, len, fast_whole = 0;
	int res, fast, plain;

	for (i = 0; i < frame_catalogue_len; i++) {
		const struct frame_spec *s = &frame_catalogue[i];

		build(s, &f);
		plain = f.result == FRAME_IP && s->vlans == 0 && !f.fragment &&
			(s->proto == 6 || s->proto == 17) &&
			(s->l3 == 4 ? s->ip_opts == 0 : s->n_ext == 0) &&
			f.len >= 14u + (s->l3 == 4 ? 20 : 40) + 20;
		for (len = 0; len <= f.len; len++) {
			memcpy(buf, f.data, len);
			k = k0;
			pi = pi0;
			res = parse_frame_info(buf, buf + len, &k, &pi);
			fk = k0;
			fpi = pi0;
			fast = parse_frame_fast(buf, buf + len, &fk, &fpi);
			if (!fast) {
				cr_assert(!memcmp(&fk, &k0, sizeof(fk)) &&
						  !memcmp(&fpi, &pi0, sizeof(fpi)),
					  "%s len %zu: declined but wrote", s->name, len);
				cr_assert(!(plain && len == f.len), "%s: a plain frame declined",
					  s->name);
				continue;
			}
			cr_assert(plain, "%s len %zu: not a plain frame, taken", s->name, len);
			cr_assert_eq(res, PARSE_IP, "%s len %zu", s->name, len);
			cr_assert(!memcmp(&fk, &k, sizeof(k)), "%s len %zu: key differs", s->name,
				  len);
			cr_assert(fpi.sr == pi.sr && fpi.l3_off == pi.l3_off &&
					  fpi.l4_off == pi.l4_off &&
					  fpi.tcp_flags == pi.tcp_flags && fpi.frag == pi.frag,
				  "%s len %zu: info differs", s->name, len);
			fast_whole += len == f.len;
		}
	}
	cr_assert_geq(fast_whole, 5, "only %zu catalogue frames took the fast path", fast_whole);
}

/*
 * Frames of one flow, some through the fast path and some through the full
 * parser (IPv4 options, IPv6 extension headers): one flow, every packet.
 */
Test(flow, fast_and_full_paths_count_one_flow)
{
	static struct frame plain, other;
	const char *names[2] = { "ipv4-udp", "ipv6-udp" };
	struct flow_entry e[2];
	struct flow_key k;
	struct parse_info pi = { 0 };
	int v, hk, i;

	for (v = 0; v < 2; v++) {
		struct frame_spec s = *spec(names[v]);

		build(&s, &plain);
		if (s.l3 == 4) {
			s.ip_opts = 8;
		} else {
			s.n_ext = 1;
			s.ext[0] = 60; /* destination options */
		}
		build(&s, &other);
		cr_assert(!memcmp(&plain.key, &other.key, sizeof(plain.key)));
		memset(&k, 0, sizeof(k));
		cr_assert(parse_frame_fast(plain.data, plain.data + plain.len, &k, &pi));
		memset(&k, 0, sizeof(k));
		cr_assert(!parse_frame_fast(other.data, other.data + other.len, &k, &pi));
		for (hk = 0; hk < HOOK_MAX; hk++) {
			harness_clear_flows(&h);
			for (i = 0; i < 6; i++) {
				const struct frame *f = i % 3 == 1 ? &other : &plain;

				cr_assert_eq(harness_run(&h, hk, f->data, f->len, 0, &r), 0);
			}
			cr_assert_eq(harness_flows(&h, e, 2), 1, "%s hook %d", names[v], hk);
			expect_key(&plain, hk, &k);
			cr_assert(!memcmp(&e[0].k, &k, sizeof(k)));
			cr_assert_eq(e[0].v.packets, 6);
			cr_assert_eq(e[0].v.bytes, 4 * plain.len + 2 * other.len);
			cr_assert_eq(e[0].v.l2_len, 14);
		}
	}
}
