// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the datapath's packet parser: bpf/parsing.h is plain
 * C, compiled here exactly as the BPF programs include it (linux/types.h for
 * the __uN types). Each input is one Ethernet frame. Properties:
 *   - no read outside [data, data + size) (ASan: the input is its own buffer);
 *   - every step's cursor stays inside the frame and only moves forward;
 *   - the key agrees with the result (IP: l3 4|6 and the matching EtherType,
 *     IPv4 addresses zero-padded, ports only for protocols that have them,
 *     none for later fragments; non-IP: only EtherType and VLAN set);
 *   - overlay frames (bpf/sr.h, EtherType 0x88B5 or the last-link form):
 *     keyed by the inner frame with FLOW_KEY_OVERLAY, the SR header whole
 *     and its hop count in range, the offsets it reports inside the frame;
 *   - the parser reads only what it needs: the same frame with bytes
 *     appended gives the same result, key and offsets (unless it was an
 *     error);
 *   - the accounting fast path (parse_frame_fast) either declines, leaving
 *     key and info as they were, or gives exactly parse_frame_info's key
 *     and info.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#pragma clang diagnostic ignored "-Wpass-failed"
#include "parsing.h"
#pragma GCC diagnostic pop

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

static int all_zero(const __u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int has_ports(__u8 proto)
{
	return proto == P_IPPROTO_TCP || proto == P_IPPROTO_UDP || proto == P_IPPROTO_UDPLITE ||
	       proto == P_IPPROTO_SCTP || proto == P_IPPROTO_ICMP || proto == P_IPPROTO_ICMPV6;
}

/* parse_frame_info step by step, checking the cursor after each step. */
static void walk(const __u8 *data, size_t size)
{
	struct cursor c = { .pos = data, .end = data + size };
	const __u8 *before;
	struct flow_key k = { 0 };
	struct parse_info pi = { 0 };
	int proto, later = 0, frag = 0, sr;
	__u8 flags = 0;

	proto = parse_eth(&c, &k);
	CHECK(c.pos >= data && c.pos <= c.end);
	if (proto < 0) {
		CHECK(c.pos == data); /* a failed step does not move the cursor */
		return;
	}
	CHECK(c.pos >= data + 14 && c.pos <= data + 14 + 4 * PARSE_VLAN_MAX);
	if (proto == SR_ETH_P || ((proto == P_ETH_P_IP || proto == P_ETH_P_IPV6) && c.pos < c.end &&
				  c.pos[0] == SR_VERSION)) {
		before = c.pos;
		sr = parse_sr(&c, &pi);
		if (sr != 0) {
			CHECK(c.pos == before && !pi.sr);
			return;
		}
		/* the whole header and path, hop count in range */
		CHECK(pi.sr == before && before[0] == SR_VERSION);
		CHECK(before[1] >= 1 && before[1] <= SR_HOPS_MAX);
		CHECK(c.pos == before + SR_HDR_FIXED + SR_HOP_LEN * before[1] && c.pos <= c.end);
		before = c.pos;
		proto = parse_eth(&c, &k);
		if (proto < 0) {
			CHECK(c.pos == before);
			return;
		}
		CHECK(c.pos >= before + 14 && c.pos <= before + 14 + 4 * PARSE_VLAN_MAX);
	}
	before = c.pos;
	if (proto == P_ETH_P_IP)
		proto = parse_ipv4(&c, &k, &later, &frag);
	else if (proto == P_ETH_P_IPV6)
		proto = parse_ipv6(&c, &k, &later, &frag);
	else
		return;
	CHECK(c.pos >= before && c.pos <= c.end);
	if (proto < 0)
		return;
	CHECK(c.pos >= before + (k.l3 == FLOW_L3_IPV4 ? 20 : 40));
	CHECK(proto == k.proto);
	before = c.pos;
	if (!later)
		parse_l4(&c, &k, &flags);
	CHECK(c.pos == before); /* parse_l4 reads, it does not advance */
}

static void check_key(int res, const struct flow_key *k, const struct parse_info *pi,
		      const __u8 *data, size_t size)
{
	__u8 flags = pi->tcp_flags;
	int frag = pi->frag;

	CHECK(res == PARSE_ERR || res == PARSE_IP || res == PARSE_NON_IP);
	CHECK(k->ifindex == 7 && k->dir == FLOW_DIR_EGRESS); /* the caller's fields stay */
	CHECK(k->vlan <= 0x0fff);
	if (res == PARSE_ERR)
		return;
	/* an overlay frame: a whole SR header before the inner frame */
	if (k->flags & FLOW_KEY_OVERLAY) {
		const __u8 *h = pi->sr;

		CHECK(h && h >= data + 14 && h <= data + 14 + 4 * PARSE_VLAN_MAX);
		CHECK(h[0] == SR_VERSION && h[1] >= 1 && h[1] <= SR_HOPS_MAX);
		CHECK(h + SR_HDR_FIXED + SR_HOP_LEN * h[1] + 14 <= data + pi->l3_off);
	} else {
		CHECK(!pi->sr);
	}
	CHECK(pi->l3_off >= 14 && pi->l3_off <= size);
	if (res == PARSE_NON_IP) {
		CHECK(k->l3 == FLOW_L3_OTHER && k->proto == 0 &&
		      (k->flags & ~FLOW_KEY_OVERLAY) == 0);
		CHECK(k->ethertype != P_ETH_P_IP && k->ethertype != P_ETH_P_IPV6);
		CHECK(k->ethertype == 0 || k->ethertype >= 0x0600);
		CHECK(!k->sport && !k->dport && !flags && !frag && !pi->l4_off);
		CHECK(all_zero(k->src, 16) && all_zero(k->dst, 16));
		return;
	}
	CHECK(k->l3 == FLOW_L3_IPV4 || k->l3 == FLOW_L3_IPV6);
	CHECK(k->ethertype == (k->l3 == FLOW_L3_IPV4 ? P_ETH_P_IP : P_ETH_P_IPV6));
	if (k->l3 == FLOW_L3_IPV4)
		CHECK(all_zero(k->src + 4, 12) && all_zero(k->dst + 4, 12));
	CHECK((k->flags & ~(FLOW_KEY_FRAG_LATER | FLOW_KEY_OVERLAY)) == 0);
	if (k->flags & FLOW_KEY_FRAG_LATER) {
		CHECK(frag);
		CHECK(!k->sport && !k->dport && !flags && !pi->l4_off);
	} else {
		/* the L4 header starts inside the frame, past the IP header */
		CHECK(pi->l4_off >= pi->l3_off + (k->l3 == FLOW_L3_IPV4 ? 20 : 40));
		CHECK(pi->l4_off <= size);
	}
	if (!has_ports(k->proto))
		CHECK(!k->sport && !k->dport);
	if (k->proto == P_IPPROTO_ICMP || k->proto == P_IPPROTO_ICMPV6)
		CHECK(k->sport <= 0xff && k->dport <= 0xff);
	if (k->proto != P_IPPROTO_TCP)
		CHECK(!flags);
}

static int parse(const __u8 *p, size_t n, struct flow_key *k, struct parse_info *pi)
{
	memset(k, 0, sizeof(*k));
	memset(pi, 0, sizeof(*pi));
	k->ifindex = 7;
	k->dir = FLOW_DIR_EGRESS;
	return parse_frame_info(p, p + n, k, pi);
}

/* parse_frame_fast() against parse_frame_info()'s answer (res, *k, *pi) for the same frame. */
static void check_fast(const __u8 *p, size_t n, int res, const struct flow_key *k,
		       const struct parse_info *pi)
{
	struct flow_key fk;
	struct parse_info fpi;
	struct flow_key k0;
	struct parse_info pi0;

	memset(&fk, 0, sizeof(fk));
	memset(&fpi, 0, sizeof(fpi));
	fk.ifindex = 7;
	fk.dir = FLOW_DIR_EGRESS;
	k0 = fk;
	pi0 = fpi;
	if (!parse_frame_fast(p, p + n, &fk, &fpi)) {
		CHECK(!memcmp(&fk, &k0, sizeof(fk)) && !memcmp(&fpi, &pi0, sizeof(fpi)));
		return;
	}
	CHECK(res == PARSE_IP && !memcmp(&fk, k, sizeof(fk)));
	CHECK(fpi.sr == pi->sr && fpi.l3_off == pi->l3_off && fpi.l4_off == pi->l4_off &&
	      fpi.tcp_flags == pi->tcp_flags && fpi.frag == pi->frag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __u8 longer[4096 + 64];
	struct flow_key k, k2;
	struct parse_info pi, pi2;
	int res, res2;

	walk(data, size);
	res = parse(data, size, &k, &pi);
	check_key(res, &k, &pi, data, size);
	check_fast(data, size, res, &k, &pi);
	if (res == PARSE_ERR || size > 4096)
		return 0;
	/* more bytes after the frame change nothing the parser already decided */
	memcpy(longer, data, size);
	for (size_t i = 0; i < 64; i++)
		longer[size + i] = (__u8)(0xa5 ^ i ^ (size ? data[i % size] : 0));
	res2 = parse(longer, size + 64, &k2, &pi2);
	CHECK(res2 == res && !memcmp(&k, &k2, sizeof(k)));
	CHECK(pi2.tcp_flags == pi.tcp_flags && pi2.frag == pi.frag && pi2.l3_off == pi.l3_off &&
	      pi2.l4_off == pi.l4_off);
	CHECK(!pi.sr == !pi2.sr && (!pi.sr || pi2.sr - longer == pi.sr - data));
	return 0;
}
