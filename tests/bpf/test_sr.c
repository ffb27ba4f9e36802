// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The VPN datapath (bpf/ipop_vpn.bpf.c) through BPF_PROG_TEST_RUN: origin
 * encapsulation, transit, last hop, every drop reason, and frames cut at
 * every length. Maps are programmed through user/vpn's API. Five nodes A..E;
 * the path A -> E is A -1-> B -2-> C -3-> E (labels local to each node).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "ipop_vpn.skel.h"
#include "sr_fixture.h"

static struct srun r;
static uint8_t inner[SRF_MAX], frame[SRF_MAX], vx[SRF_MAX];

TestSuite(sr, .timeout = 120);

static const struct fx_path p3 = { 3, { N_B, N_C, N_E }, { 2, 3, 0 } };

static void expect_only(const struct srun *x, int stat, const char *what)
{
	cr_assert_eq(x->err, 0, "%s: test_run: %s", what, strerror(-x->err));
	cr_assert_eq(x->d[stat], 1, "%s: %s not counted", what, vpn_stat_name(stat));
	cr_assert_eq(fx_counted(x), 1, "%s: %llu outcomes counted, want 1 (%s)", what,
		     (unsigned long long)fx_counted(x), vpn_stat_name(stat));
}

static void expect_drop(struct vpn_dp *dp, const uint8_t *f, size_t len, int stat, const char *what)
{
	fx_run(dp, P_LINK_IN, f, len, 0, &r);
	expect_only(&r, stat, what);
	cr_assert_eq(r.ret, TC_ACT_SHOT_V, "%s: verdict %u, want drop", what, r.ret);
}

static struct vpn_dp *origin_node(void)
{
	struct vpn_path_desc p = { .first_label = 1, .n = 3, .labels = { 2, 3 } };
	struct vpn_dp *dp = fx_open(N_A);
	char err[256] = "";

	fx_vx_link(dp, 1, N_A, N_B, 42);
	fx_eth_link(dp, 5, N_A, N_D);
	p.dst = nid[N_E];
	p.nodes[0] = nid[N_B];
	p.nodes[1] = nid[N_C];
	p.nodes[2] = nid[N_E];
	cr_assert_eq(vpn_path_set(dp, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vpn_mac_set(dp, tap_mac[N_E], &nid[N_E], true, err, sizeof(err)), 0, "%s",
		     err);
	return dp;
}

Test(sr, origin_encap)
{
	struct vpn_dp *dp = origin_node();
	size_t n = fx_inner(inner, tap_mac[N_E], N_A, 98);
	struct sr_view v;
	char err[256];
	int off;

	fx_run(dp, P_ORIGIN, inner, n, 0, &r);
	expect_only(&r, VPN_ST_ORIGIN_TX, "origin");
	cr_assert_eq(r.ret, TC_ACT_REDIRECT_V);
	cr_assert_eq(r.len, n + 14 + sr_hdr_len(3));
	cr_assert_arr_eq(r.out, link_mac[N_B], 6, "outer destination is not B's link MAC");
	cr_assert_arr_eq(r.out + 6, link_mac[N_A], 6);
	off = sr_parse_frame(r.out, r.len, &v, err, sizeof(err));
	cr_assert_eq(off, (int)(14 + sr_hdr_len(3)), "parse: %d %s", off, err);
	cr_assert(node_id_eq(&v.src, &nid[N_A]) && node_id_eq(&v.dst, &nid[N_E]));
	cr_assert(v.hop_count == 3 && v.hop_index == 0 && v.ttl == SR_TTL_DEFAULT);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(v.hops[i].tag, sr_node_tag(&nid[p3.node[i]]));
		cr_assert_eq(v.hops[i].label, p3.label[i]);
	}
	cr_assert_arr_eq(r.out + off, inner, n, "inner frame changed");
	vpn_dp_close(dp);
}

Test(sr, origin_eth_link_one_hop)
{
	struct vpn_path_desc p = { .first_label = 5, .n = 1 };
	struct vpn_dp *dp = origin_node();
	size_t n = fx_inner(inner, tap_mac[N_D], N_A, 200);
	struct sr_view v;
	char err[256];

	p.dst = p.nodes[0] = nid[N_D];
	cr_assert_eq(vpn_path_set(dp, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vpn_mac_set(dp, tap_mac[N_D], &nid[N_D], false, err, sizeof(err)), 0);
	fx_run(dp, P_ORIGIN, inner, n, 0, &r);
	expect_only(&r, VPN_ST_ORIGIN_TX, "origin to D");
	cr_assert_eq(r.ret, TC_ACT_REDIRECT_V);
	cr_assert_arr_eq(r.out, link_mac[N_D], 6);
	cr_assert(r.out[12] == 0x08 && r.out[13] == 0, "one hop: not in the last-link form");
	cr_assert_eq(sr_parse_frame(r.out, r.len, &v, err, sizeof(err)), 14 + 44, "%s", err);
	cr_assert(v.hop_count == 1 && v.hops[0].label == 0 &&
		  v.hops[0].tag == sr_node_tag(&nid[N_D]));
	vpn_dp_close(dp);
}

/*
 * A non-IP frame (ARP, ...) makes room for the header by a move behind a
 * grown tail (push_by_move, not bpf_skb_change_head()): every length, odd
 * ones too, arrives whole after the header, over one hop and three.
 */
Test(sr, origin_non_ip_every_length)
{
	static const size_t lens[] = { 14, 15, 21, 22, 23, 41, 42, 43, 60, 61, 64, 65, 127, 1331 };
	struct vpn_path_desc p = { .first_label = 5, .n = 1 };
	struct vpn_dp *dp = origin_node();
	char err[256];

	p.dst = p.nodes[0] = nid[N_D];
	cr_assert_eq(vpn_path_set(dp, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vpn_mac_set(dp, tap_mac[N_D], &nid[N_D], false, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int hops = 1; hops <= 3; hops += 2) {
			size_t n = lens[i], hl = 14 + sr_hdr_len(hops);
			struct sr_view v;

			memcpy(inner, tap_mac[hops == 1 ? N_D : N_E], 6);
			memcpy(inner + 6, tap_mac[N_A], 6);
			inner[12] = 0x08;
			inner[13] = 0x06;
			for (size_t k = 14; k < n; k++)
				inner[k] = (uint8_t)(k * 7 + n);
			fx_run(dp, P_ORIGIN, inner, n, 0, &r);
			expect_only(&r, VPN_ST_ORIGIN_TX, "non-IP origin");
			cr_assert_eq(r.len, n + hl, "%zu bytes, %d hops: %u out", n, hops, r.len);
			cr_assert_eq(sr_parse_frame(r.out, r.len, &v, err, sizeof(err)), (int)hl,
				     "%zu bytes, %d hops: %s", n, hops, err);
			cr_assert_eq(v.hop_count, hops);
			cr_assert_arr_eq(r.out + hl, inner, n, "%zu bytes, %d hops: inner changed",
					 n, hops);
		}
	}
	vpn_dp_close(dp);
}

/* What origin cannot send goes on to the TAP reader unchanged, counted. */
Test(sr, origin_punts)
{
	struct vpn_dp *dp = origin_node();
	uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		mcast[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t stranger[6] = { 2, 9, 9, 9, 9, 9 };
	char err[256];
	size_t n;
	struct {
		const uint8_t *dst;
		int stat;
	} c[] = { { bcast, VPN_ST_PUNT_GROUP },
		  { mcast, VPN_ST_PUNT_GROUP },
		  { stranger, VPN_ST_PUNT_NO_MAC },
		  { tap_mac[N_C], VPN_ST_PUNT_NO_PATH } };

	cr_assert_eq(vpn_mac_set(dp, tap_mac[N_C], &nid[N_C], false, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = fx_inner(inner, c[i].dst, N_A, 80);
		fx_run(dp, P_ORIGIN, inner, n, 0, &r);
		expect_only(&r, c[i].stat, vpn_stat_name(c[i].stat));
		cr_assert_eq(r.ret, TC_ACT_OK_V, "case %zu: verdict %u", i, r.ret);
		cr_assert(r.len == n && !memcmp(r.out, inner, n), "case %zu: frame changed", i);
	}
	/* the path's first link removed: the path is stale */
	cr_assert_eq(vpn_link_del(dp, 1, err, sizeof(err)), 0, "%s", err);
	n = fx_inner(inner, tap_mac[N_E], N_A, 80);
	fx_run(dp, P_ORIGIN, inner, n, 0, &r);
	expect_only(&r, VPN_ST_PUNT_BAD_PATH, "first link gone");
	cr_assert_eq(r.ret, TC_ACT_OK_V);
	vpn_dp_close(dp);
}

static struct vpn_dp *transit_node(void)
{
	struct vpn_dp *dp = fx_open(N_B);

	fx_eth_link(dp, 7, N_B, N_A); /* in from A on lo */
	fx_vx_link(dp, 2, N_B, N_C, 42);
	fx_vx_link(dp, 4, N_B, N_D, 42);
	return dp;
}

static size_t at_b(const struct fx_path *p, uint8_t index, uint8_t ttl, enum node from)
{
	size_t n = fx_inner(inner, tap_mac[N_E], N_A, 98);

	return fx_sr_frame(frame, link_mac[N_B], link_mac[from], N_A, N_E, p, index, ttl, inner, n);
}

Test(sr, transit)
{
	struct vpn_dp *dp = transit_node();
	size_t n = at_b(&p3, 0, 5, N_A);

	fx_run(dp, P_LINK_IN, frame, n, 0, &r);
	expect_only(&r, VPN_ST_TRANSIT_TX, "transit");
	cr_assert_eq(r.ret, TC_ACT_REDIRECT_V);
	cr_assert_eq(r.len, n);
	cr_assert_arr_eq(r.out, link_mac[N_C], 6, "not sent towards C");
	cr_assert_arr_eq(r.out + 6, link_mac[N_B], 6);
	cr_assert(r.out[14 + 2] == 1 && r.out[14 + 3] == 4, "index %u ttl %u", r.out[16],
		  r.out[17]);
	cr_assert_arr_eq(r.out + 12, frame + 12, 4);
	cr_assert_arr_eq(r.out + 18, frame + 18, n - 18, "transit changed more than index/ttl");
	vpn_dp_close(dp);
}

/* The link to the last entry carries an IP inner frame's EtherType (sr.h). */
Test(sr, transit_to_last_hop_form)
{
	struct vpn_dp *dp = transit_node();
	const struct fx_path p2 = { 2, { N_B, N_C }, { 2, 0 } };
	size_t n = fx_inner(inner, tap_mac[N_C], N_A, 98);
	struct sr_view v;
	char err[256];

	n = fx_sr_frame(frame, link_mac[N_B], link_mac[N_A], N_A, N_C, &p2, 0, 9, inner, n);
	cr_assert(frame[12] == 0x88 && frame[13] == 0xb5);
	fx_run(dp, P_LINK_IN, frame, n, 0, &r);
	expect_only(&r, VPN_ST_TRANSIT_TX, "transit to the last hop");
	cr_assert(r.out[12] == 0x08 && r.out[13] == 0x00, "outer type %02x%02x", r.out[12],
		  r.out[13]);
	cr_assert_eq(sr_parse_frame(r.out, r.len, &v, err, sizeof(err)), 14 + 48, "%s", err);
	/* the same frame with an ARP inner frame keeps 0x88B5 */
	inner[12] = 0x08;
	inner[13] = 0x06;
	n = fx_sr_frame(frame, link_mac[N_B], link_mac[N_A], N_A, N_C, &p2, 0, 9, inner, 60);
	fx_run(dp, P_LINK_IN, frame, n, 0, &r);
	expect_only(&r, VPN_ST_TRANSIT_TX, "ARP to the last hop");
	cr_assert(r.out[12] == 0x88 && r.out[13] == 0xb5);
	/* a last-link form frame that is not at its last hop */
	n = fx_sr_frame(frame, link_mac[N_B], link_mac[N_A], N_A, N_C, &p2, 0, 9, inner, 60);
	frame[12] = 0x08;
	frame[13] = 0x00;
	expect_drop(dp, frame, n, VPN_ST_DROP_VERSION, "last-link form at a transit node");
	vpn_dp_close(dp);
}

Test(sr, non_overlay_frames_pass)
{
	struct vpn_dp *dp = transit_node();
	size_t n = fx_inner(inner, tap_mac[N_B], N_A, 80);

	fx_run(dp, P_LINK_IN, inner, n, 0, &r);
	expect_only(&r, VPN_ST_NON_SR, "IPv4 frame on a link");
	cr_assert_eq(r.ret, TC_ACT_OK_V);
	vpn_dp_close(dp);
}

static struct vpn_dp *last_node(void)
{
	struct vpn_dp *dp = fx_open(N_E);

	fx_eth_link(dp, 4, N_E, N_C);
	return dp;
}

static size_t at_e(const uint8_t *dst, size_t inner_len, enum node dst_node)
{
	size_t n = fx_inner(inner, dst, N_A, inner_len);

	return fx_sr_frame(frame, link_mac[N_E], link_mac[N_C], N_A, dst_node, &p3, 2, 9, inner, n);
}

Test(sr, last_hop)
{
	struct vpn_dp *dp = last_node();
	uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct vpn_mac_key k = {};
	struct vpn_mac_val v;
	size_t n;

	for (size_t len = 60; len <= 1400; len += 167) {
		n = at_e(tap_mac[N_E], len, N_E);
		fx_run(dp, P_LINK_IN, frame, n, 0, &r);
		cr_assert_eq(r.ret, TC_ACT_REDIRECT_V, "inner %zu: verdict %u", len, r.ret);
		cr_assert_eq(r.d[VPN_ST_DELIVERED], 1);
		cr_assert_eq(r.len, len, "inner %zu: out %u", len, r.len);
		cr_assert_arr_eq(r.out, inner, len, "inner %zu: not the inner frame", len);
		/* learned on the first delivery only (rate limited) */
		cr_assert_eq(r.d[VPN_ST_LEARNED], len == 60 ? 1u : 0u);
	}
	memcpy(k.mac, tap_mac[N_A], 6);
	cr_assert_eq(bpf_map__lookup_elem(dp->skel->maps.vpn_macs, &k, sizeof(k), &v, sizeof(v), 0),
		     0, "source MAC not learned");
	cr_assert(!memcmp(v.node, nid[N_A].b, ID_LEN), "learned the wrong node");
	n = at_e(bcast, 90, N_E);
	fx_run(dp, P_LINK_IN, frame, n, 0, &r);
	expect_only(&r, VPN_ST_DELIVERED, "broadcast inner");
	cr_assert_eq(r.ret, TC_ACT_REDIRECT_V);
	/* a non-IP inner frame (ARP): 0x88B5 on the wire, moved by copy */
	fx_inner(inner, bcast, N_A, 60);
	inner[12] = 0x08;
	inner[13] = 0x06;
	n = fx_sr_frame(frame, link_mac[N_E], link_mac[N_C], N_A, N_E, &p3, 2, 9, inner, 60);
	cr_assert(frame[12] == 0x88 && frame[13] == 0xb5);
	fx_run(dp, P_LINK_IN, frame, n, 0, &r);
	expect_only(&r, VPN_ST_DELIVERED, "ARP inner");
	cr_assert(r.ret == TC_ACT_REDIRECT_V && r.len == 60 && !memcmp(r.out, inner, 60));
	/* an IP inner frame in the transit form at the last hop */
	n = at_e(tap_mac[N_E], 90, N_E);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	expect_drop(dp, frame, n, VPN_ST_DROP_VERSION, "IP inner, 0x88B5 on the last link");
	n = at_e(tap_mac[N_D], 90, N_E);
	expect_drop(dp, frame, n, VPN_ST_DROP_INNER_DST, "inner for another MAC");
	n = at_e(tap_mac[N_E], 90, N_D);
	expect_drop(dp, frame, n, VPN_ST_DROP_BAD_DST, "last entry but destination D");
	vpn_dp_close(dp);
}

Test(sr, ttl)
{
	struct vpn_dp *dp = transit_node();

	expect_drop(dp, frame, at_b(&p3, 0, 0, N_A), VPN_ST_DROP_TTL, "ttl 0");
	expect_drop(dp, frame, at_b(&p3, 0, 1, N_A), VPN_ST_DROP_TTL, "ttl 1 at a transit node");
	fx_run(dp, P_LINK_IN, frame, at_b(&p3, 0, 2, N_A), 0, &r);
	expect_only(&r, VPN_ST_TRANSIT_TX, "ttl 2");
	cr_assert(r.ret == TC_ACT_REDIRECT_V && r.out[17] == 1);
	vpn_dp_close(dp);
	dp = last_node();
	at_e(tap_mac[N_E], 80, N_E);
	frame[14 + 3] = 1;
	fx_run(dp, P_LINK_IN, frame, 14 + sr_hdr_len(3) + 80, 0, &r);
	expect_only(&r, VPN_ST_DELIVERED, "ttl 1 at the last hop");
	frame[14 + 3] = 0;
	expect_drop(dp, frame, 14 + sr_hdr_len(3) + 80, VPN_ST_DROP_TTL, "ttl 0 at the last hop");
	vpn_dp_close(dp);
}

Test(sr, hop_index_and_count_bounds)
{
	struct vpn_dp *dp = transit_node();
	size_t n;

	expect_drop(dp, frame, at_b(&p3, 3, 9, N_A), VPN_ST_DROP_HOP_INDEX, "index 3 of 3");
	expect_drop(dp, frame, at_b(&p3, 255, 9, N_A), VPN_ST_DROP_HOP_INDEX, "index 255");
	n = at_b(&p3, 0, 9, N_A);
	frame[14 + 1] = 0;
	expect_drop(dp, frame, n, VPN_ST_DROP_HOP_COUNT, "hop count 0");
	frame[14 + 1] = SR_HOPS_MAX + 1;
	expect_drop(dp, frame, n, VPN_ST_DROP_HOP_COUNT, "hop count 17");
	frame[14 + 1] = 3;
	frame[14] = 2;
	expect_drop(dp, frame, n, VPN_ST_DROP_VERSION, "version 2");
	frame[14] = 1;
	frame[14 + 4] = 0x80;
	expect_drop(dp, frame, n, VPN_ST_DROP_VERSION, "unknown flag");
	vpn_dp_close(dp);
}

Test(sr, loops)
{
	struct vpn_dp *dp = transit_node();
	/* A -> B -> A -> E: B's next hop is the origin */
	const struct fx_path back = { 3, { N_B, N_A, N_E }, { 7, 1, 0 } };
	/* A -> C -> A -> B -> C -> E: at B (index 2), C comes round again */
	const struct fx_path again = { 5, { N_C, N_A, N_B, N_C, N_E }, { 9, 1, 2, 3, 0 } };

	expect_drop(dp, frame, at_b(&back, 0, 9, N_A), VPN_ST_DROP_LOOP, "back to the origin");
	expect_drop(dp, frame, at_b(&again, 2, 9, N_A), VPN_ST_DROP_LOOP, "revisits C");
	vpn_dp_close(dp);
}

Test(sr, wrong_ingress)
{
	struct vpn_dp *dp = transit_node();
	const struct fx_path via_d = { 4, { N_D, N_B, N_C, N_E }, { 1, 2, 3, 0 } };
	const struct fx_path not_me = { 3, { N_C, N_B, N_E }, { 2, 3, 0 } };
	char err[256];

	expect_drop(dp, frame, at_b(&p3, 0, 9, N_D), VPN_ST_DROP_WRONG_NBR,
		    "outer source is D, the link is A's");
	expect_drop(dp, frame, at_b(&via_d, 1, 9, N_A), VPN_ST_DROP_WRONG_NBR,
		    "previous hop D, arrived from A");
	expect_drop(dp, frame, at_b(&not_me, 0, 9, N_A), VPN_ST_DROP_NOT_ME, "entry names C");
	cr_assert_eq(vpn_link_del(dp, 7, err, sizeof(err)), 0, "%s", err);
	expect_drop(dp, frame, at_b(&p3, 0, 9, N_A), VPN_ST_DROP_NOT_LINK,
		    "lo is no longer a link");
	vpn_dp_close(dp);
}

Test(sr, unknown_next_hop)
{
	struct vpn_dp *dp = transit_node();
	const struct fx_path bad_label = { 3, { N_B, N_C, N_E }, { 99, 3, 0 } };
	const struct fx_path not_nbr = { 3, { N_B, N_C, N_E }, { 4, 3, 0 } };
	const struct fx_path label0 = { 3, { N_B, N_C, N_E }, { 0, 3, 0 } };

	expect_drop(dp, frame, at_b(&bad_label, 0, 9, N_A), VPN_ST_DROP_NO_NEXT_HOP, "label 99");
	expect_drop(dp, frame, at_b(&label0, 0, 9, N_A), VPN_ST_DROP_NO_NEXT_HOP, "label 0");
	expect_drop(dp, frame, at_b(&not_nbr, 0, 9, N_A), VPN_ST_DROP_NEXT_NOT_NBR,
		    "label 4 leads to D, the path says C");
	vpn_dp_close(dp);
}

/*
 * A frame cut at every length: below `needed` it must be dropped (counted
 * once), from `needed` on it must get the whole frame's verdict; never a
 * crash, never a redirect of a frame without a whole header.
 */
static void cut_everywhere(struct vpn_dp *dp, enum prog p, const uint8_t *f, size_t full,
			   size_t needed, uint32_t ok_ret, uint32_t bad_ret, uint32_t xdp_if)
{
	size_t len, redirects = 0;
	/* test_run pulls an IPv4 frame's network header (tests/bpf/harness.h) */
	size_t min = f[12] == 0x08 && f[13] == 0 ? 34 : 14;

	for (len = 0; len <= full; len++) {
		fx_run(dp, p, f, len, xdp_if, &r);
		if (len < min) {
			cr_assert_eq(r.err, -EINVAL, "len %zu: err %d", len, r.err);
			cr_assert_eq(fx_counted(&r), 0);
			continue;
		}
		cr_assert_eq(r.err, 0, "len %zu: %s", len, strerror(-r.err));
		cr_assert_eq(fx_counted(&r), 1, "len %zu: %llu outcomes", len,
			     (unsigned long long)fx_counted(&r));
		if (len >= needed) {
			cr_assert_eq(r.ret, ok_ret, "len %zu: verdict %u, want %u", len, r.ret,
				     ok_ret);
			redirects++;
		} else {
			cr_assert_eq(r.ret, bad_ret, "len %zu (< %zu): verdict %u", len, needed,
				     r.ret);
		}
	}
	cr_assert_eq(redirects, full - needed + 1);
}

Test(sr, truncated_transit)
{
	struct vpn_dp *dp = transit_node();
	size_t n = at_b(&p3, 0, 9, N_A);

	cut_everywhere(dp, P_LINK_IN, frame, n, 14 + sr_hdr_len(3), TC_ACT_REDIRECT_V,
		       TC_ACT_SHOT_V, 0);
	vpn_dp_close(dp);
}

Test(sr, truncated_last_hop)
{
	struct vpn_dp *dp = last_node();
	size_t n = at_e(tap_mac[N_E], 120, N_E);

	/* the header, the inner Ethernet header and a whole IPv4 header */
	cut_everywhere(dp, P_LINK_IN, frame, n, 14 + sr_hdr_len(3) + 14 + 20, TC_ACT_REDIRECT_V,
		       TC_ACT_SHOT_V, 0);
	/* what is delivered is the inner prefix */
	fx_run(dp, P_LINK_IN, frame, n - 7, 0, &r);
	cr_assert(r.len == 113 && !memcmp(r.out, inner, 113));
	vpn_dp_close(dp);
}

/* ---- XDP transit on the underlay ---- */

static struct vpn_dp *xdp_node(void)
{
	struct vpn_dp *dp = fx_open(N_B);

	fx_vx_link(dp, 6, N_B, N_A, 42);
	fx_vx_link(dp, 2, N_B, N_C, 43);
	return dp;
}

static size_t vx_at_b(const struct fx_path *p, uint8_t index, enum node from)
{
	size_t n = at_b(p, index, 9, N_A);

	return fx_vx_frame(vx, from, N_B, 42, frame, n);
}

Test(sr, xdp_transit)
{
	struct vpn_dp *dp = xdp_node();
	size_t n = vx_at_b(&p3, 0, N_A);
	uint8_t *ip = r.out + 14;
	uint32_t a;
	uint32_t s = 0;

	fx_run(dp, P_XDP, vx, n, 1, &r);
	expect_only(&r, VPN_ST_XDP_TX, "xdp transit");
	cr_assert_eq(r.ret, XDP_TX_V);
	cr_assert_eq(r.len, n);
	cr_assert_arr_eq(r.out, link_mac[N_C], 6);
	memcpy(&a, ip + 12, 4);
	cr_assert_eq(a, ul_ip[N_B], "outer source");
	memcpy(&a, ip + 16, 4);
	cr_assert_eq(a, ul_ip[N_C], "outer destination");
	for (int i = 0; i < 20; i += 2)
		s += ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	cr_assert_eq(s, 0xffff, "IPv4 header checksum wrong");
	cr_assert(ip[28 + 4] == 0 && ip[28 + 5] == 0 && ip[28 + 6] == 43, "VNI not C's link's");
	/* inner: overlay outer MACs, index, ttl */
	cr_assert_arr_eq(ip + 36, link_mac[N_C], 6);
	cr_assert(ip[36 + 14 + 2] == 1 && ip[36 + 14 + 3] == 8);
	cr_assert_arr_eq(ip + 36 + 18, vx + 14 + 36 + 18, n - 14 - 36 - 18);
	vpn_dp_close(dp);
}

Test(sr, xdp_refusals)
{
	struct vpn_dp *dp = xdp_node();
	size_t n;

	/* from D, which is not a link of B */
	n = vx_at_b(&p3, 0, N_D);
	fx_run(dp, P_XDP, vx, n, 1, &r);
	expect_only(&r, VPN_ST_DROP_NOT_LINK, "xdp from a stranger");
	cr_assert_eq(r.ret, XDP_DROP_V);
	/* a TTL 0 frame is dropped by XDP too */
	n = vx_at_b(&p3, 0, N_A);
	vx[14 + 36 + 14 + 3] = 0;
	fx_run(dp, P_XDP, vx, n, 1, &r);
	expect_only(&r, VPN_ST_DROP_TTL, "xdp ttl 0");
	/* a plain frame is the stack's */
	n = fx_inner(inner, link_mac[N_B], N_A, 80);
	fx_run(dp, P_XDP, inner, n, 1, &r);
	expect_only(&r, VPN_ST_NON_SR, "plain IPv4");
	cr_assert_eq(r.ret, XDP_PASS_V);
	vpn_dp_close(dp);
}

/*
 * XDP's in-link cache (vpn_xdp_in) only points at a link: a link removed or
 * moved to another neighbour after the cache learned it is refused all the
 * same, and the frame is counted as from no link.
 */
Test(sr, xdp_in_cache_follows_links)
{
	struct vpn_dp *dp = xdp_node();
	size_t n = vx_at_b(&p3, 0, N_A);
	char err[256];

	fx_run(dp, P_XDP, vx, n, 1, &r);
	expect_only(&r, VPN_ST_XDP_TX, "first frame (fills the cache)");
	fx_run(dp, P_XDP, vx, n, 1, &r);
	expect_only(&r, VPN_ST_XDP_TX, "second frame (from the cache)");
	cr_assert_eq(vpn_link_del(dp, 6, err, sizeof(err)), 0, "%s", err);
	fx_run(dp, P_XDP, vx, n, 1, &r);
	expect_only(&r, VPN_ST_DROP_NOT_LINK, "the link is gone");
	cr_assert_eq(r.ret, XDP_DROP_V);
	/* label 6 again, now D's link: A's frames are still not welcome */
	fx_vx_link(dp, 6, N_B, N_D, 42);
	fx_run(dp, P_XDP, vx, n, 1, &r);
	expect_only(&r, VPN_ST_DROP_NOT_LINK, "label 6 is D's now");
	/* and A's link under another label works again */
	fx_vx_link(dp, 9, N_B, N_A, 42);
	fx_run(dp, P_XDP, vx, n, 1, &r);
	expect_only(&r, VPN_ST_XDP_TX, "A's link as label 9");
	vpn_dp_close(dp);
}

Test(sr, truncated_xdp)
{
	struct vpn_dp *dp = xdp_node();
	size_t n = vx_at_b(&p3, 0, N_A), len, tx = 0;

	for (len = 0; len <= n; len++) {
		fx_run(dp, P_XDP, vx, len, 1, &r);
		if (len < 14) {
			cr_assert_eq(r.err, -EINVAL);
			continue;
		}
		cr_assert_eq(r.err, 0);
		cr_assert_eq(fx_counted(&r), 1, "len %zu: %llu outcomes", len,
			     (unsigned long long)fx_counted(&r));
		cr_assert(r.ret == XDP_PASS_V || r.ret == XDP_DROP_V || r.ret == XDP_TX_V,
			  "len %zu: verdict %u", len, r.ret);
		/* sent on only with the whole header and 64 path bytes in the frame */
		if (r.ret == XDP_TX_V) {
			cr_assert_geq(len, 14 + 36 + 14 + SR_HDR_MAX, "len %zu forwarded", len);
			tx++;
		}
	}
	cr_assert_gt(tx, 0);
	vpn_dp_close(dp);
}

/* ---- the origin's direct encapsulation (vpn_set_direct) ---- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t ip_sum(const uint8_t *ip)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += be16(ip + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static struct vpn_dp *direct_node(void)
{
	struct vpn_dp *dp = origin_node();
	char err[256] = "";

	cr_assert_eq(vpn_set_direct(dp, "lo", 0, err, sizeof(err)), 0, "%s", err);
	return dp;
}

/* Exactly what the VXLAN device would send, with the inner Ethernet header
 * copied before the inner IP header (where GSO's inner MAC header points). */
Test(sr, origin_direct_encap)
{
	struct vpn_dp *dp = direct_node();
	size_t n = fx_inner(inner, tap_mac[N_E], N_A, 98), grow = 20 + 8 + 8 + 14 + 52 + 14;
	const uint8_t *ip = r.out + 14, *udp = ip + 20, *vxh = udp + 8, *ov = vxh + 8;
	struct sr_view v;
	char err[256];
	uint32_t a;
	int off;

	fx_run(dp, P_ORIGIN, inner, n, 0, &r);
	expect_only(&r, VPN_ST_ORIGIN_TX, "direct origin");
	cr_assert_eq(r.d[VPN_ST_ORIGIN_UL], 1, "not sent directly");
	cr_assert_eq(r.d[VPN_ST_ORIGIN_UL_NEIGH] + r.d[VPN_ST_ORIGIN_UL_FALLBACK], 0);
	cr_assert_eq(r.ret, TC_ACT_REDIRECT_V);
	cr_assert_eq(r.len, n + grow, "length %u, want %zu", r.len, n + grow);
	/* underlay Ethernet: the link's static next hop */
	cr_assert_arr_eq(r.out, link_mac[N_B], 6);
	cr_assert_arr_eq(r.out + 6, link_mac[N_A], 6);
	cr_assert(r.out[12] == 0x08 && r.out[13] == 0x00);
	/* IPv4: 20 bytes, DF, TTL 64, UDP, A -> B, checksum right */
	cr_assert(ip[0] == 0x45 && ip[1] == 0, "version/ihl %02x", ip[0]);
	cr_assert_eq(be16(ip + 2), r.len - 14, "IP total length");
	cr_assert(be16(ip + 6) == 0x4000 && ip[8] == 64 && ip[9] == 17);
	memcpy(&a, ip + 12, 4);
	cr_assert_eq(a, ul_ip[N_A], "outer source");
	memcpy(&a, ip + 16, 4);
	cr_assert_eq(a, ul_ip[N_B], "outer destination");
	cr_assert_eq(ip_sum(ip), 0xffff, "IPv4 header checksum wrong");
	/* UDP: a flow-hashed source port in 49152..65535, port 4789, no checksum */
	cr_assert_geq(be16(udp), 0xc000);
	cr_assert_eq(be16(udp + 2), 4789);
	cr_assert_eq(be16(udp + 4), r.len - 14 - 20, "UDP length");
	cr_assert_eq(be16(udp + 6), 0);
	/* VXLAN: I flag, VNI 42 */
	cr_assert(vxh[0] == 0x08 && !vxh[1] && !vxh[2] && !vxh[3] && vxh[7] == 0);
	cr_assert(vxh[4] == 0 && vxh[5] == 0 && vxh[6] == 42, "VNI");
	/* the overlay frame as the VXLAN device would carry it */
	cr_assert_arr_eq(ov, link_mac[N_B], 6);
	cr_assert_arr_eq(ov + 6, link_mac[N_A], 6);
	off = sr_parse_frame(ov, r.len - 50, &v, err, sizeof(err));
	cr_assert_eq(off, 14 + 52, "parse: %d %s", off, err);
	cr_assert(node_id_eq(&v.src, &nid[N_A]) && node_id_eq(&v.dst, &nid[N_E]));
	cr_assert(v.hop_count == 3 && v.hop_index == 0 && v.ttl == SR_TTL_DEFAULT);
	for (int i = 0; i < 3; i++)
		cr_assert(v.hops[i].tag == sr_node_tag(&nid[p3.node[i]]) &&
			  v.hops[i].label == p3.label[i]);
	cr_assert_arr_eq(ov + off, inner, n, "inner frame changed");
	/* the same frame from the VXLAN device path, for comparison: equal after 50 bytes */
	{
		struct srun d;
		char e2[256];

		cr_assert_eq(vpn_set_direct(dp, NULL, 0, e2, sizeof(e2)), 0, "%s", e2);
		fx_run(dp, P_ORIGIN, inner, n, 0, &d);
		expect_only(&d, VPN_ST_ORIGIN_TX, "device origin");
		cr_assert_eq(d.d[VPN_ST_ORIGIN_UL], 0);
		cr_assert_eq(d.len + 50, r.len);
		cr_assert_arr_eq(d.out, r.out + 50, d.len, "direct and device frames differ");
	}
	vpn_dp_close(dp);
}

/* Without a static next hop and with no FIB answer (lo does not forward), the
 * kernel finds it: bpf_redirect_neigh, outer MACs left zero. */
Test(sr, origin_direct_neigh)
{
	struct vpn_link_desc l = { .label = 1, .kind = VPN_LINK_VXLAN, .ifname = "lo", .af = 4 };
	struct vpn_dp *dp = direct_node();
	size_t n = fx_inner(inner, tap_mac[N_E], N_A, 98);
	char err[256] = "";

	l.nbr = nid[N_B];
	l.vni = 42;
	memcpy(l.remote, &ul_ip[N_B], 4);
	memcpy(l.nbr_mac, link_mac[N_B], 6);
	memcpy(l.our_mac, link_mac[N_A], 6);
	cr_assert_eq(vpn_link_set(dp, &l, err, sizeof(err)), 0, "%s", err);
	fx_run(dp, P_ORIGIN, inner, n, 0, &r);
	expect_only(&r, VPN_ST_ORIGIN_TX, "direct origin, no next hop");
	cr_assert(r.d[VPN_ST_ORIGIN_UL] == 1 && r.d[VPN_ST_ORIGIN_UL_NEIGH] == 1);
	cr_assert_eq(r.ret, TC_ACT_REDIRECT_V);
	cr_assert_arr_eq(r.out, (uint8_t[6]){ 0 }, 6);
	vpn_dp_close(dp);
}

/* Only IP frames can be encapsulated whole (adjust_room takes IP skbs): ARP
 * keeps the VXLAN device path, uncounted as direct. */
Test(sr, origin_direct_not_ip)
{
	struct vpn_dp *dp = direct_node();
	size_t n = fx_inner(inner, tap_mac[N_E], N_A, 60);

	inner[12] = 0x08;
	inner[13] = 0x06;
	fx_run(dp, P_ORIGIN, inner, n, 0, &r);
	expect_only(&r, VPN_ST_ORIGIN_TX, "ARP origin");
	cr_assert_eq(r.d[VPN_ST_ORIGIN_UL] + r.d[VPN_ST_ORIGIN_UL_FALLBACK], 0);
	cr_assert_eq(r.len, n + 14 + 52, "not the device path's frame");
	vpn_dp_close(dp);
}

/*
 * A GSO skb: test_run sets gso_size but no gso_type, which adjust_room
 * refuses (neither TCP nor UDP GSO): the frame falls back to the VXLAN
 * device path, counted, gso_size untouched. (Real GSO skbs are segmented
 * in tests/net/test_vpn_xdp.sh.)
 */
Test(sr, origin_direct_gso_fallback)
{
	struct vpn_dp *dp = direct_node();
	size_t n = fx_inner(inner, tap_mac[N_E], N_A, 1200);
	struct __sk_buff ctx = { .gso_size = 500, .gso_segs = 3 };
	uint64_t before[VPN_ST_MAX], after[VPN_ST_MAX];
	char err[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = inner, .data_size_in = n, .data_out = r.out,
		    .data_size_out = sizeof(r.out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .ctx_out = &ctx, .ctx_size_out = sizeof(ctx), .repeat = 1);

	cr_assert_eq(vpn_stats_read(dp, before, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bpf_prog_test_run_opts(fx_prog(dp, P_ORIGIN), &o), 0, "test_run: %s",
		     strerror(errno));
	cr_assert_eq(vpn_stats_read(dp, after, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(after[VPN_ST_ORIGIN_UL_FALLBACK] - before[VPN_ST_ORIGIN_UL_FALLBACK], 1);
	cr_assert_eq(after[VPN_ST_ORIGIN_TX] - before[VPN_ST_ORIGIN_TX], 1);
	cr_assert_eq(after[VPN_ST_ORIGIN_UL] - before[VPN_ST_ORIGIN_UL], 0);
	cr_assert_eq(o.retval, TC_ACT_REDIRECT_V);
	cr_assert_eq(o.data_size_out, n + 14 + 52, "not the device path's frame");
	cr_assert_eq(ctx.gso_size, 500, "gso_size changed to %u", ctx.gso_size);
	vpn_dp_close(dp);
}

/* Every length of a frame: one outcome, never a crash, redirect only whole. */
Test(sr, truncated_origin_direct)
{
	struct vpn_dp *dp = direct_node();
	size_t n = fx_inner(inner, tap_mac[N_E], N_A, 98), len;

	for (len = 0; len <= n; len++) {
		fx_run(dp, P_ORIGIN, inner, len, 0, &r);
		/* test_run pulls an IPv4 frame's network header (tests/bpf/harness.h) */
		if (len < 34) {
			cr_assert_eq(r.err, -EINVAL, "len %zu: err %d", len, r.err);
			continue;
		}
		cr_assert_eq(r.err, 0, "len %zu: %s", len, strerror(-r.err));
		cr_assert_eq(fx_counted(&r), 1, "len %zu: %llu outcomes", len,
			     (unsigned long long)fx_counted(&r));
		cr_assert(r.ret == TC_ACT_REDIRECT_V || r.ret == TC_ACT_OK_V ||
				  r.ret == TC_ACT_SHOT_V,
			  "len %zu: verdict %u", len, r.ret);
		if (r.ret == TC_ACT_REDIRECT_V)
			cr_assert_eq(r.d[VPN_ST_ORIGIN_TX], 1);
	}
	vpn_dp_close(dp);
}

/* ---- TC transit on the underlay (vpn_transit_tc) ---- */

static int tc_transit_prog(struct vpn_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.vpn_transit_tc);
}

static void run_tct(struct vpn_dp *dp, const void *f, size_t len, struct srun *x)
{
	uint64_t before[VPN_ST_MAX], after[VPN_ST_MAX];
	char err[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = len, .data_out = x->out,
		    .data_size_out = sizeof(x->out), .repeat = 1);

	cr_assert_eq(vpn_stats_read(dp, before, err, sizeof(err)), 0, "%s", err);
	x->err = bpf_prog_test_run_opts(tc_transit_prog(dp), &o) ? -errno : 0;
	x->ret = o.retval;
	x->len = o.data_size_out;
	cr_assert_eq(vpn_stats_read(dp, after, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < VPN_ST_MAX; i++)
		x->d[i] = after[i] - before[i];
}

/* The same rewrite as XDP's, byte for byte, as a TC redirect. */
Test(sr, tc_transit_on_underlay)
{
	struct vpn_dp *dp = xdp_node();
	size_t n = vx_at_b(&p3, 0, N_A);
	struct srun x;

	fx_run(dp, P_XDP, vx, n, 1, &x);
	expect_only(&x, VPN_ST_XDP_TX, "xdp transit");
	run_tct(dp, vx, n, &r);
	expect_only(&r, VPN_ST_TRANSIT_TX, "tc transit on the underlay");
	cr_assert_eq(r.d[VPN_ST_TRANSIT_UL], 1);
	cr_assert_eq(r.ret, TC_ACT_REDIRECT_V);
	cr_assert_eq(r.len, x.len);
	cr_assert_arr_eq(r.out, x.out, x.len, "TC and XDP rewrote differently");
	/* from a stranger: dropped */
	n = vx_at_b(&p3, 0, N_D);
	run_tct(dp, vx, n, &r);
	expect_only(&r, VPN_ST_DROP_NOT_LINK, "tc transit from a stranger");
	cr_assert_eq(r.ret, TC_ACT_SHOT_V);
	/* plain IPv4 and ARP: the stack's */
	n = fx_inner(inner, link_mac[N_B], N_A, 200);
	run_tct(dp, inner, n, &r);
	expect_only(&r, VPN_ST_NON_SR, "plain IPv4");
	cr_assert_eq(r.ret, TC_ACT_OK_V);
	inner[13] = 0x06;
	run_tct(dp, inner, 60, &r);
	expect_only(&r, VPN_ST_NON_SR, "ARP");
	cr_assert_eq(r.ret, TC_ACT_OK_V);
	/* an overlay frame straight on the underlay is no link's (the guard) */
	n = at_b(&p3, 0, 9, N_A);
	run_tct(dp, frame, n, &r);
	expect_only(&r, VPN_ST_DROP_NOT_LINK, "raw overlay frame on the underlay");
	vpn_dp_close(dp);
}

Test(sr, truncated_tc_transit)
{
	struct vpn_dp *dp = xdp_node();
	size_t n = vx_at_b(&p3, 0, N_A), len, tx = 0;

	for (len = 0; len <= n; len++) {
		run_tct(dp, vx, len, &r);
		if (len < 34) {
			cr_assert_eq(r.err, -EINVAL, "len %zu: err %d", len, r.err);
			continue;
		}
		cr_assert_eq(r.err, 0, "len %zu", len);
		cr_assert_eq(fx_counted(&r), 1, "len %zu: %llu outcomes", len,
			     (unsigned long long)fx_counted(&r));
		if (r.ret == TC_ACT_REDIRECT_V) {
			cr_assert_geq(len, 14 + 36 + 14 + SR_HDR_MAX, "len %zu forwarded", len);
			tx++;
		}
	}
	cr_assert_gt(tx, 0);
	vpn_dp_close(dp);
}
