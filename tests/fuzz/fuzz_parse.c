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
 *   - the parser reads only what it needs: the same frame with bytes
 *     appended gives the same result and key (unless it was an error).
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

/* parse_frame step by step, checking the cursor after each step. */
static void walk(const __u8 *data, size_t size)
{
	struct cursor c = { .pos = data, .end = data + size };
	const __u8 *before;
	struct flow_key k = { 0 };
	int proto, later = 0, frag = 0;
	__u8 flags = 0;

	proto = parse_eth(&c, &k);
	CHECK(c.pos >= data && c.pos <= c.end);
	if (proto < 0) {
		CHECK(c.pos == data); /* a failed step does not move the cursor */
		return;
	}
	CHECK(c.pos >= data + 14 && c.pos <= data + 14 + 4 * PARSE_VLAN_MAX);
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

static void check_key(int res, const struct flow_key *k, __u8 flags, int frag)
{
	CHECK(res == PARSE_ERR || res == PARSE_IP || res == PARSE_NON_IP);
	CHECK(k->ifindex == 7 && k->dir == FLOW_DIR_EGRESS); /* the caller's fields stay */
	CHECK(k->vlan <= 0x0fff);
	if (res == PARSE_ERR)
		return;
	if (res == PARSE_NON_IP) {
		CHECK(k->l3 == FLOW_L3_OTHER && k->proto == 0 && k->flags == 0);
		CHECK(k->ethertype != P_ETH_P_IP && k->ethertype != P_ETH_P_IPV6);
		CHECK(k->ethertype == 0 || k->ethertype >= 0x0600);
		CHECK(!k->sport && !k->dport && !flags && !frag);
		CHECK(all_zero(k->src, 16) && all_zero(k->dst, 16));
		return;
	}
	CHECK(k->l3 == FLOW_L3_IPV4 || k->l3 == FLOW_L3_IPV6);
	CHECK(k->ethertype == (k->l3 == FLOW_L3_IPV4 ? P_ETH_P_IP : P_ETH_P_IPV6));
	if (k->l3 == FLOW_L3_IPV4)
		CHECK(all_zero(k->src + 4, 12) && all_zero(k->dst + 4, 12));
	CHECK((k->flags & ~FLOW_KEY_FRAG_LATER) == 0);
	if (k->flags & FLOW_KEY_FRAG_LATER) {
		CHECK(frag);
		CHECK(!k->sport && !k->dport && !flags);
	}
	if (!has_ports(k->proto))
		CHECK(!k->sport && !k->dport);
	if (k->proto == P_IPPROTO_ICMP || k->proto == P_IPPROTO_ICMPV6)
		CHECK(k->sport <= 0xff && k->dport <= 0xff);
	if (k->proto != P_IPPROTO_TCP)
		CHECK(!flags);
}

static int parse(const __u8 *p, size_t n, struct flow_key *k, __u8 *flags, int *frag)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = 7;
	k->dir = FLOW_DIR_EGRESS;
	*flags = 0;
	*frag = 0;
	return parse_frame(p, p + n, k, flags, frag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __u8 longer[4096 + 64];
	struct flow_key k, k2;
	__u8 flags, flags2;
	int res, res2, frag, frag2;

	walk(data, size);
	res = parse(data, size, &k, &flags, &frag);
	check_key(res, &k, flags, frag);
	if (res == PARSE_ERR || size > 4096)
		return 0;
	/* more bytes after the frame change nothing the parser already decided */
	memcpy(longer, data, size);
	for (size_t i = 0; i < 64; i++)
		longer[size + i] = (__u8)(0xa5 ^ i ^ (size ? data[i % size] : 0));
	res2 = parse(longer, size + 64, &k2, &flags2, &frag2);
	CHECK(res2 == res && !memcmp(&k, &k2, sizeof(k)) && flags2 == flags && frag2 == frag);
	return 0;
}
