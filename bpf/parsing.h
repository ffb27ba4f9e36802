/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One packet parser for every hook. A cursor walks the frame; each parse_X()
 * checks that its header fits before it reads, advances the cursor, and
 * returns the next protocol or a negative value on a malformed frame.
 *
 * This header is also compiled in userspace (tests/) against a plain buffer,
 * which is why it only uses the types and byte-order helpers below.
 */
#ifndef IPOP_PARSING_H
#define IPOP_PARSING_H

#include "flow.h"
#include "sr.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define P_ETH_P_IP     0x0800
#define P_ETH_P_IPV6   0x86DD
#define P_ETH_P_8021Q  0x8100
#define P_ETH_P_8021AD 0x88A8

#define P_IPPROTO_HOPOPTS  0
#define P_IPPROTO_ICMP	   1
#define P_IPPROTO_TCP	   6
#define P_IPPROTO_UDP	   17
#define P_IPPROTO_ROUTING  43
#define P_IPPROTO_FRAGMENT 44
#define P_IPPROTO_AH	   51
#define P_IPPROTO_ICMPV6   58
#define P_IPPROTO_DSTOPTS  60
#define P_IPPROTO_MH	   135
#define P_IPPROTO_SCTP	   132
#define P_IPPROTO_UDPLITE  136

#define PARSE_VLAN_MAX	   2 /* 802.1ad outer + 802.1Q inner */
#define PARSE_IPV6_EXT_MAX 8

struct cursor {
	const __u8 *pos;
	const __u8 *end;
};

/*
 * Loads from the frame: rd16() a big-endian 16-bit field in host order,
 * cp32() four bytes as they are. In BPF each is one load whatever the
 * alignment (the verifier allows unaligned packet access on CPUs that have
 * it, x86 and arm64; clang would split a load through a __u8 pointer into
 * single bytes). In userspace (tests, fuzzing) memcpy makes the same load.
 */
static __always_inline __u16 rd16(const __u8 *p)
{
	__u16 v;

#ifdef __bpf__
	v = *(const __u16 *)p;
#else
	__builtin_memcpy(&v, p, 2);
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	return v;
}

/* dst: a 4-byte aligned field of a key on the stack (the verifier wants aligned stack access) */
static __always_inline void cp32(__u8 *dst, const __u8 *p)
{
#ifdef __bpf__
	*(__u32 *)dst = *(const __u32 *)p;
#else
	__builtin_memcpy(dst, p, 4);
#endif
}

/* Ethernet plus up to PARSE_VLAN_MAX tags; returns the EtherType (host order). */
static __always_inline int parse_eth(struct cursor *c, struct flow_key *k)
{
	const __u8 *p = c->pos;
	__u16 proto;
	int i;

	if (p + 14 > c->end)
		return -1;
	proto = rd16(p + 12);
	p += 14;
#pragma unroll
	for (i = 0; i < PARSE_VLAN_MAX; i++) {
		if (proto != P_ETH_P_8021Q && proto != P_ETH_P_8021AD)
			break;
		if (p + 4 > c->end)
			return -1;
		if (i == 0 &&
		    !k->vlan) /* an overlay frame's inner tag does not replace the outer */
			k->vlan = rd16(p) & 0x0fff;
		proto = rd16(p + 2);
		p += 4;
	}
	c->pos = p;
	if (proto < 0x0600)
		proto = 0; /* 802.3 length field, not an EtherType */
	k->ethertype = proto;
	return proto;
}

/* IPv4 (options skipped). Returns the IP protocol; sets *later for non-first fragments. */
static __always_inline int parse_ipv4(struct cursor *c, struct flow_key *k, int *later, int *frag)
{
	const __u8 *p = c->pos;
	unsigned int ihl, tot;
	__u16 fo;

	if (p + 20 > c->end)
		return -1;
	if ((p[0] >> 4) != 4)
		return -1;
	ihl = (p[0] & 0x0f) * 4;
	tot = rd16(p + 2);
	/*
	 * tot_len 0 is a GSO packet larger than 64K (IPv4 BIG TCP, TSO as a
	 * sender's capture shows it): the kernel's iph_totlen() takes it.
	 */
	if (ihl < 20 || (tot != 0 && tot < ihl))
		return -1;
	if (p + ihl > c->end)
		return -1;
	fo = rd16(p + 6);
	*frag = (fo & 0x3fff) != 0; /* MF or offset */
	*later = (fo & 0x1fff) != 0;
	k->l3 = FLOW_L3_IPV4;
	k->proto = p[9];
	__builtin_memcpy(k->src, p + 12, 4);
	__builtin_memcpy(k->dst, p + 16, 4);
	c->pos = p + ihl;
	return p[9];
}

/* IPv6 and its extension headers. Returns the upper-layer protocol. */
static __always_inline int parse_ipv6(struct cursor *c, struct flow_key *k, int *later, int *frag)
{
	const __u8 *p = c->pos;
	unsigned int len;
	int nh, i;

	if (p + 40 > c->end)
		return -1;
	if ((p[0] >> 4) != 6)
		return -1;
	k->l3 = FLOW_L3_IPV6;
	__builtin_memcpy(k->src, p + 8, 16);
	__builtin_memcpy(k->dst, p + 24, 16);
	nh = p[6];
	p += 40;
#pragma unroll
	for (i = 0; i < PARSE_IPV6_EXT_MAX; i++) {
		switch (nh) {
		case P_IPPROTO_HOPOPTS:
		case P_IPPROTO_ROUTING:
		case P_IPPROTO_DSTOPTS:
		case P_IPPROTO_MH:
			if (p + 2 > c->end)
				return -1;
			len = (p[1] + 1) * 8;
			break;
		case P_IPPROTO_AH:
			if (p + 2 > c->end)
				return -1;
			len = (p[1] + 2) * 4;
			break;
		case P_IPPROTO_FRAGMENT:
			if (p + 8 > c->end)
				return -1;
			*frag = 1;
			if (rd16(p + 2) & 0xfff8)
				*later = 1;
			len = 8;
			break;
		default:
			goto done;
		}
		if (p + len > c->end)
			return -1;
		nh = p[0];
		p += len;
		if (*later)
			goto done; /* what follows is not a header */
	}
	/* a chain longer than we walk: cannot tell the upper layer */
	switch (nh) {
	case P_IPPROTO_HOPOPTS:
	case P_IPPROTO_ROUTING:
	case P_IPPROTO_DSTOPTS:
	case P_IPPROTO_MH:
	case P_IPPROTO_AH:
	case P_IPPROTO_FRAGMENT:
		return -1;
	}
done:
	k->proto = nh;
	c->pos = p;
	return nh;
}

/* Ports (or ICMP type/code) and TCP flags. Returns 0, or -1 if the header is cut. */
static __always_inline int parse_l4(struct cursor *c, struct flow_key *k, __u8 *tcp_flags)
{
	const __u8 *p = c->pos;

	switch (k->proto) {
	case P_IPPROTO_TCP:
		if (p + 20 > c->end)
			return -1;
		*tcp_flags = p[13];
		break;
	case P_IPPROTO_UDP:
	case P_IPPROTO_UDPLITE:
		if (p + 8 > c->end)
			return -1;
		break;
	case P_IPPROTO_SCTP:
		if (p + 12 > c->end)
			return -1;
		break;
	case P_IPPROTO_ICMP:
	case P_IPPROTO_ICMPV6:
		if (p + 4 > c->end)
			return -1;
		k->sport = p[0];
		k->dport = p[1];
		return 0;
	default:
		return 0; /* no ports */
	}
	k->sport = rd16(p);
	k->dport = rd16(p + 2);
	return 0;
}

enum parse_result {
	PARSE_ERR = -1,
	PARSE_IP = 0,
	PARSE_NON_IP = 1,
};

/* What one pass over a frame tells besides the key. */
struct parse_info {
	const __u8 *sr; /* the source-route header of an overlay frame, else 0 */
	__u16 l3_off;	/* where the (inner) L3 header starts: per-packet L2 overhead */
	__u16 l4_off;	/* where the L4 header starts; 0 when none was reached */
	__u8 tcp_flags; /* the TCP flag byte */
	__u8 frag;	/* an IP fragment (any) */
	__u8 pad[2];
};

/*
 * The source-route header of an overlay frame (sr.h) at c->pos: version,
 * hop count and the whole path checked to fit; the cursor moves to the inner
 * Ethernet frame. The other fields (hop index, TTL) are the VPN datapath's to
 * judge, not accounting's. Returns 0, 1 for "not a version we know" (left to
 * the caller), or -1 when the header is cut (even before its version: what
 * follows could still make it one) or its hop count is impossible.
 */
static __always_inline int parse_sr(struct cursor *c, struct parse_info *pi)
{
	const __u8 *p = c->pos;
	unsigned int n;

	if (p + 1 > c->end)
		return -1; /* cut before its first byte */
	if (p[0] != SR_VERSION)
		return 1;
	if (p + SR_HDR_FIXED > c->end)
		return -1;
	n = p[1];
	if (n < 1 || n > SR_HOPS_MAX)
		return -1;
	if (p + SR_HDR_FIXED + n * SR_HOP_LEN > c->end)
		return -1;
	pi->sr = p;
	c->pos = p + SR_HDR_FIXED + n * SR_HOP_LEN;
	return 0;
}

/*
 * Fill *k (which the caller zeroed, ifindex and dir set) and *pi (zeroed too)
 * from the frame in [data, end). Returns enum parse_result.
 *
 * An overlay frame (sr.h: EtherType SR_ETH_P, or on the last link an IP
 * EtherType followed by SR_VERSION where IP has its version nibble) is keyed
 * by its inner frame, with FLOW_KEY_OVERLAY set and pi->sr pointing at the
 * header (the node IDs). Its inner frame is parsed as any frame, except that
 * an inner SR EtherType is not walked again (one level). An SR_ETH_P frame of
 * another version is a non-IP frame of that EtherType.
 */
static __always_inline int parse_frame_info(const void *data, const void *end, struct flow_key *k,
					    struct parse_info *pi)
{
	struct cursor c = { .pos = data, .end = end };
	int proto, later = 0, frag = 0, sr;

	proto = parse_eth(&c, k);
	if (proto < 0)
		return PARSE_ERR;
	pi->l3_off = (__u16)(c.pos - (const __u8 *)data);
	if (proto == SR_ETH_P || ((proto == P_ETH_P_IP || proto == P_ETH_P_IPV6) &&
				  c.pos + 1 <= c.end && c.pos[0] == SR_VERSION)) {
		sr = parse_sr(&c, pi);
		if (sr < 0)
			return PARSE_ERR;
		if (sr > 0) /* SR_ETH_P of another kind; an IP header with version 0 */
			return proto == SR_ETH_P ? PARSE_NON_IP : PARSE_ERR;
		k->flags |= FLOW_KEY_OVERLAY;
		proto = parse_eth(&c, k);
		if (proto < 0)
			return PARSE_ERR;
		pi->l3_off = (__u16)(c.pos - (const __u8 *)data);
	}
	if (proto == P_ETH_P_IP)
		proto = parse_ipv4(&c, k, &later, &frag);
	else if (proto == P_ETH_P_IPV6)
		proto = parse_ipv6(&c, k, &later, &frag);
	else
		return PARSE_NON_IP;
	pi->frag = frag;
	if (proto < 0)
		return PARSE_ERR;
	if (later) {
		k->flags |= FLOW_KEY_FRAG_LATER;
		return PARSE_IP;
	}
	if (parse_l4(&c, k, &pi->tcp_flags) < 0)
		return PARSE_ERR;
	pi->l4_off = (__u16)(c.pos - (const __u8 *)data);
	return PARSE_IP;
}

/*
 * A plain frame in a straight line: untagged Ethernet, IPv4 without options
 * or IPv6 without extension headers, not a fragment, TCP or UDP, and at
 * least 20 bytes after the IP header (a TCP header's worth, so one bound
 * covers both). Returns 1 with *k and *pi filled exactly as
 * parse_frame_info() fills them for that frame, or 0 for any other frame,
 * leaving both untouched. It exists for speed alone: on real traffic the
 * accounting program costs what its hot path runs through, branches and
 * all, more than what the instructions do (docs/design.md, "Accounting
 * cost"). tests/bpf/test_flow.c (fast_parser_agrees) and the fuzz_parse
 * target check the two parsers agree.
 */
static __always_inline int parse_frame_fast(const void *data, const void *end, struct flow_key *k,
					    struct parse_info *pi)
{
	const __u8 *p = data, *l4;
	__u16 eth = 0;
	__u8 proto;

	if (p + 14 + 20 + 20 <= (const __u8 *)end)
		eth = rd16(p + 12);
	if (eth == P_ETH_P_IP) {
		/*
		 * Version 4 without options, neither MF nor an offset, and a total
		 * length of at least the header (0, a GSO packet, and the malformed
		 * go to parse_frame_info()).
		 */
		if (p[14] != 0x45 || (rd16(p + 20) & 0x3fff) || rd16(p + 16) < 20)
			return 0;
		proto = p[23];
		if (proto != P_IPPROTO_TCP && proto != P_IPPROTO_UDP)
			return 0;
		l4 = p + 14 + 20;
		k->l3 = FLOW_L3_IPV4;
		cp32(k->src, p + 26);
		cp32(k->dst, p + 30);
	} else if (eth == P_ETH_P_IPV6) {
		if (p + 14 + 40 + 20 > (const __u8 *)end || (p[14] >> 4) != 6)
			return 0;
		proto = p[20];
		if (proto != P_IPPROTO_TCP && proto != P_IPPROTO_UDP)
			return 0;
		l4 = p + 14 + 40;
		k->l3 = FLOW_L3_IPV6;
		for (int i = 0; i < 16; i += 4) {
			cp32(k->src + i, p + 22 + i);
			cp32(k->dst + i, p + 38 + i);
		}
	} else {
		return 0;
	}
	k->ethertype = eth;
	k->proto = proto;
	k->sport = rd16(l4);
	k->dport = rd16(l4 + 2);
	pi->l3_off = 14;
	pi->l4_off = (__u16)(l4 - p);
	pi->tcp_flags = proto == P_IPPROTO_TCP ? l4[13] : 0;
	return 1;
}

/* parse_frame_info() for callers that only want the flags (tests, fuzzing). */
static __always_inline int parse_frame(const void *data, const void *end, struct flow_key *k,
				       __u8 *tcp_flags, int *frag)
{
	struct parse_info pi = { 0 };
	int res = parse_frame_info(data, end, k, &pi);

	*tcp_flags = pi.tcp_flags;
	*frag = pi.frag;
	return res;
}

#endif /* IPOP_PARSING_H */
