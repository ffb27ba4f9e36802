// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Frame builder: writes the bytes of a frame_spec and, independently of
 * bpf/parsing.h, works out the key and the shortest parseable prefix from
 * the semantics in bpf/flow.h and the parser's documented rules.
 */
#include <arpa/inet.h>
#include <string.h>

#include "frames.h"

#define ETH_IP	 0x0800
#define ETH_IPV6 0x86DD

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

size_t frame_l4_need(uint8_t proto)
{
	switch (proto) {
	case 6:
		return 20; /* TCP */
	case 17:
	case 136:
		return 8; /* UDP, UDPLite */
	case 132:
		return 12; /* SCTP */
	case 1:
	case 58:
		return 4; /* ICMP, ICMPv6 */
	default:
		return 0;
	}
}

static int ipv6_ext_walked(uint8_t t)
{
	return t == 0 || t == 43 || t == 44 || t == 51 || t == 60 || t == 135;
}

/* Bytes of the L4 header we write (more than the parser needs, as on the wire). */
static size_t l4_write(const struct frame_spec *s, uint8_t *p)
{
	size_t n;

	switch (s->proto) {
	case 6:
		n = 20 + s->tcp_opts;
		memset(p, 0, n);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put32(p + 4, 0x01020304);
		put32(p + 8, (s->tcp_flags & 0x10) ? 0x0a0b0c0d : 0);
		p[12] = (n / 4) << 4;
		p[13] = s->tcp_flags;
		put16(p + 14, 65535);
		memset(p + 20, 1, s->tcp_opts); /* NOPs */
		return n;
	case 17:
	case 136:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, 8 + s->payload);
		put16(p + 6, 0);
		return 8;
	case 132:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put32(p + 4, 0xdeadbeef);
		put32(p + 8, 0);
		return 12;
	case 1:
	case 58:
		p[0] = s->sport;
		p[1] = s->dport;
		put16(p + 2, 0);
		put32(p + 4, 0x00420001);
		return 8;
	default:
		return 0;
	}
}

static int build_ipv4(const struct frame_spec *s, struct frame *f, size_t off)
{
	uint8_t *ip = f->data + off;
	size_t ihl = 20 + s->ip_opts, l4;
	int later = s->frag && s->frag_off;

	if (s->ip_opts % 4 || s->ip_opts > 40 || off + ihl + 60 + s->payload > FRAME_MAX)
		return -1;
	memset(ip, 0, ihl);
	ip[0] = 0x40 | (ihl / 4);
	put16(ip + 4, 0x1234);
	if (s->frag)
		put16(ip + 6, (s->frag_mf ? 0x2000 : 0) | (s->frag_off & 0x1fff));
	else
		put16(ip + 6, 0x4000); /* DF: not a fragment */
	ip[8] = 64;
	ip[9] = s->proto;
	if (inet_pton(AF_INET, s->src, ip + 12) != 1 || inet_pton(AF_INET, s->dst, ip + 16) != 1)
		return -1;
	if (s->ip_opts) {
		/* router alert, then NOPs, then end of options */
		ip[20] = 0x94;
		ip[21] = 4;
		memset(ip + 24, 1, s->ip_opts - 4);
		ip[ihl - 1] = 0;
	}
	/* a later fragment still carries bytes that look like ports: they must not be read */
	l4 = l4_write(s, ip + ihl);
	memset(ip + ihl + l4, 0xa5, s->payload);
	put16(ip + 2, ihl + l4 + s->payload);
	put16(ip + 10, ip_csum(ip, ihl));
	f->len = off + ihl + l4 + s->payload;

	f->result = FRAME_IP;
	f->key.l3 = FLOW_L3_IPV4;
	f->key.proto = s->proto;
	memcpy(f->key.src, ip + 12, 4);
	memcpy(f->key.dst, ip + 16, 4);
	f->fragment = s->frag && (s->frag_mf || s->frag_off);
	f->needed = off + ihl;
	if (later) {
		f->key.flags = FLOW_KEY_FRAG_LATER;
		return 0;
	}
	f->needed += frame_l4_need(s->proto);
	if (frame_l4_need(s->proto)) {
		f->key.sport = s->sport;
		f->key.dport = s->dport;
	}
	if (s->proto == 6)
		f->tcp_flags = s->tcp_flags;
	return 0;
}

static int build_ipv6(const struct frame_spec *s, struct frame *f, size_t off)
{
	uint8_t *ip = f->data + off, *p;
	size_t l4, walked_len = 0;
	int i, later = 0, walked = 0, too_long = 0;
	uint8_t upper = s->proto;

	if (s->n_ext > FRAME_EXT_MAX || off + 40 + 16 * s->n_ext + 60 + s->payload > FRAME_MAX)
		return -1;
	memset(ip, 0, 40);
	put32(ip, 0x60012345); /* version, traffic class, flow label */
	ip[6] = s->n_ext ? s->ext[0] : s->proto;
	ip[7] = 64;
	if (inet_pton(AF_INET6, s->src, ip + 8) != 1 || inet_pton(AF_INET6, s->dst, ip + 24) != 1)
		return -1;
	p = ip + 40;
	for (i = 0; i < s->n_ext; i++) {
		uint8_t t = s->ext[i], nh = i + 1 < s->n_ext ? s->ext[i + 1] : s->proto;
		size_t n;

		if (!ipv6_ext_walked(t))
			return -1;
		if (t == 44) {
			n = 8;
			memset(p, 0, n);
			put16(p + 2, (s->frag_off << 3) | (s->frag_mf ? 1 : 0));
			put32(p + 4, 0xcafe0001);
		} else if (t == 51) {
			n = 16; /* 12 bytes + 4 bytes of ICV: (2 + 2) * 4 */
			memset(p, 0x5a, n);
			p[1] = 2;
			put16(p + 2, 0);
		} else {
			n = 8 * (1 + (i & 1)); /* vary the length field */
			memset(p, 0, n);
			p[1] = i & 1;
			if (n > 8)
				p[2] = 1; /* a PadN option covering the rest */
			if (n > 8)
				p[3] = n - 4;
		}
		p[0] = nh;
		/* what the parser sees: it walks at most PARSE_IPV6_EXT_MAX (8) headers */
		if (!later && !too_long) {
			if (walked == 8) {
				too_long = 1;
			} else {
				walked++;
				walked_len += n;
				if (t == 44 && s->frag_off) {
					later = 1;
					upper = nh;
				}
			}
		}
		p += n;
	}
	l4 = l4_write(s, p);
	memset(p + l4, 0xa5, s->payload);
	p += l4 + s->payload;
	put16(ip + 4, p - (ip + 40));
	f->len = p - f->data;

	f->key.l3 = FLOW_L3_IPV6;
	memcpy(f->key.src, ip + 8, 16);
	memcpy(f->key.dst, ip + 24, 16);
	if (too_long) {
		f->result = FRAME_ERR;
		f->needed = FRAME_NEVER_OK;
		return 0;
	}
	f->result = FRAME_IP;
	f->key.proto = upper;
	for (i = 0; i < walked; i++)
		if (s->ext[i] == 44)
			f->fragment = 1;
	f->needed = off + 40 + walked_len;
	if (later) {
		f->key.flags = FLOW_KEY_FRAG_LATER;
		return 0;
	}
	f->needed += frame_l4_need(s->proto);
	if (frame_l4_need(s->proto)) {
		f->key.sport = s->sport;
		f->key.dport = s->dport;
	}
	if (s->proto == 6)
		f->tcp_flags = s->tcp_flags;
	return 0;
}

int frame_build(const struct frame_spec *s, struct frame *f)
{
	static const uint8_t dmac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
	static const uint8_t smac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
	uint16_t et = s->l3 == 4 ? ETH_IP : s->l3 == 6 ? ETH_IPV6 : s->ethertype;
	size_t off = 12;
	int i;

	memset(f, 0, sizeof(*f));
	if (s->vlans < 0 || s->vlans > 3)
		return -1;
	memcpy(f->data, dmac, 6);
	memcpy(f->data + 6, smac, 6);
	for (i = 0; i < s->vlans; i++) {
		put16(f->data + off, s->tpid[i] ? s->tpid[i] : 0x8100);
		put16(f->data + off + 2, (5 << 13) | (1 << 12) | (s->vid[i] & 0x0fff));
		off += 4;
	}
	put16(f->data + off, et);
	off += 2;
	if (s->vlans)
		f->key.vlan = s->vid[0] & 0x0fff;

	if (s->vlans > 2) {
		/*
		 * The parser takes two tags; the third TPID is the EtherType it
		 * reports, and whatever follows is payload to it.
		 */
		if (s->l3 == 4 && build_ipv4(s, f, off) < 0)
			return -1;
		if (s->l3 == 6 && build_ipv6(s, f, off) < 0)
			return -1;
		if (s->l3 == 0) {
			memset(f->data + off, 0x3c, s->payload);
			f->len = off + s->payload;
		}
		memset(&f->key, 0, sizeof(f->key));
		f->key.ethertype = s->tpid[2] ? s->tpid[2] : 0x8100;
		f->key.vlan = s->vid[0] & 0x0fff;
		f->result = FRAME_NON_IP;
		f->needed = 14 + 8;
		f->tcp_flags = 0;
		f->fragment = 0;
		return 0;
	}

	if (s->l3 == 4) {
		f->key.ethertype = ETH_IP;
		return build_ipv4(s, f, off);
	}
	if (s->l3 == 6) {
		f->key.ethertype = ETH_IPV6;
		return build_ipv6(s, f, off);
	}
	if (off + s->payload > FRAME_MAX)
		return -1;
	memset(f->data + off, 0x3c, s->payload);
	f->len = off + s->payload;
	f->key.ethertype = et < 0x0600 ? 0 : et;
	f->result = FRAME_NON_IP;
	f->needed = off;
	return 0;
}

#define A4 .src = "10.1.2.3", .dst = "192.0.2.200"
#define A6 .src = "2001:db8::1", .dst = "2001:db8:ffff::abcd"

const struct frame_spec frame_catalogue[] = {
	{ .name = "ipv4-tcp-syn",
	  .l3 = 4,
	  .proto = 6,
	  A4,
	  .sport = 40000,
	  .dport = 80,
	  .tcp_flags = 0x02 },
	{ .name = "ipv4-tcp-opts-data",
	  .l3 = 4,
	  .proto = 6,
	  A4,
	  .sport = 443,
	  .dport = 51515,
	  .tcp_flags = 0x18,
	  .tcp_opts = 12,
	  .payload = 200 },
	{ .name = "ipv4-udp", .l3 = 4, .proto = 17, A4, .sport = 5353, .dport = 53, .payload = 30 },
	{ .name = "ipv4-udplite",
	  .l3 = 4,
	  .proto = 136,
	  A4,
	  .sport = 1000,
	  .dport = 2000,
	  .payload = 5 },
	{ .name = "ipv4-sctp",
	  .l3 = 4,
	  .proto = 132,
	  A4,
	  .sport = 38412,
	  .dport = 36412,
	  .payload = 16 },
	{ .name = "ipv4-icmp-echo",
	  .l3 = 4,
	  .proto = 1,
	  A4,
	  .sport = 8,
	  .dport = 0,
	  .payload = 56 },
	{ .name = "ipv4-icmp-unreach",
	  .l3 = 4,
	  .proto = 1,
	  A4,
	  .sport = 3,
	  .dport = 3,
	  .payload = 28 },
	{ .name = "ipv4-gre-noports", .l3 = 4, .proto = 47, A4, .payload = 24 },
	{ .name = "ipv4-proto0-noports", .l3 = 4, .proto = 0, A4, .payload = 4 },
	{ .name = "ipv4-ipip-noports", .l3 = 4, .proto = 4, A4, .payload = 20 },
	{ .name = "ipv4-opts8-udp",
	  .l3 = 4,
	  .proto = 17,
	  A4,
	  .ip_opts = 8,
	  .sport = 67,
	  .dport = 68,
	  .payload = 10 },
	{ .name = "ipv4-opts40-tcp",
	  .l3 = 4,
	  .proto = 6,
	  A4,
	  .ip_opts = 40,
	  .sport = 22,
	  .dport = 60000,
	  .tcp_flags = 0x11 },
	{ .name = "ipv4-frag-first-udp",
	  .l3 = 4,
	  .proto = 17,
	  A4,
	  .frag = 1,
	  .frag_mf = 1,
	  .sport = 4789,
	  .dport = 4789,
	  .payload = 100 },
	{ .name = "ipv4-frag-later-udp",
	  .l3 = 4,
	  .proto = 17,
	  A4,
	  .frag = 1,
	  .frag_mf = 1,
	  .frag_off = 185,
	  .sport = 4789,
	  .dport = 4789,
	  .payload = 100 },
	{ .name = "ipv4-frag-last-tcp",
	  .l3 = 4,
	  .proto = 6,
	  A4,
	  .frag = 1,
	  .frag_off = 300,
	  .sport = 1234,
	  .dport = 5678,
	  .tcp_flags = 0x3f,
	  .payload = 8 },
	{ .name = "ipv4-frag-later-opts-icmp",
	  .l3 = 4,
	  .proto = 1,
	  A4,
	  .ip_opts = 12,
	  .frag = 1,
	  .frag_mf = 1,
	  .frag_off = 1,
	  .sport = 8,
	  .dport = 0,
	  .payload = 8 },
	{ .name = "ipv6-tcp",
	  .l3 = 6,
	  .proto = 6,
	  A6,
	  .sport = 50000,
	  .dport = 443,
	  .tcp_flags = 0xc2 },
	{ .name = "ipv6-udp", .l3 = 6, .proto = 17, A6, .sport = 546, .dport = 547, .payload = 40 },
	{ .name = "ipv6-udplite", .l3 = 6, .proto = 136, A6, .sport = 9, .dport = 10 },
	{ .name = "ipv6-sctp", .l3 = 6, .proto = 132, A6, .sport = 3868, .dport = 3868 },
	{ .name = "ipv6-icmpv6-echo",
	  .l3 = 6,
	  .proto = 58,
	  A6,
	  .sport = 128,
	  .dport = 0,
	  .payload = 56 },
	{ .name = "ipv6-esp-noports", .l3 = 6, .proto = 50, A6, .payload = 32 },
	{ .name = "ipv6-nonext", .l3 = 6, .proto = 59, A6 },
	{ .name = "ipv6-hbh-mld",
	  .l3 = 6,
	  .proto = 58,
	  .src = "fe80::1",
	  .dst = "ff02::16",
	  .n_ext = 1,
	  .ext = { 0 },
	  .sport = 143,
	  .dport = 0,
	  .payload = 20 },
	{ .name = "ipv6-hbh-dst-rt-udp",
	  .l3 = 6,
	  .proto = 17,
	  A6,
	  .n_ext = 3,
	  .ext = { 0, 60, 43 },
	  .sport = 7,
	  .dport = 7,
	  .payload = 3 },
	{ .name = "ipv6-ah-tcp",
	  .l3 = 6,
	  .proto = 6,
	  A6,
	  .n_ext = 1,
	  .ext = { 51 },
	  .sport = 179,
	  .dport = 33333,
	  .tcp_flags = 0x10 },
	{ .name = "ipv6-dst-ah-udp",
	  .l3 = 6,
	  .proto = 17,
	  A6,
	  .n_ext = 2,
	  .ext = { 60, 51 },
	  .sport = 500,
	  .dport = 4500 },
	{ .name = "ipv6-mobility",
	  .l3 = 6,
	  .proto = 59,
	  A6,
	  .n_ext = 1,
	  .ext = { 135 },
	  .payload = 8 },
	{ .name = "ipv6-frag-first-udp",
	  .l3 = 6,
	  .proto = 17,
	  A6,
	  .n_ext = 1,
	  .ext = { 44 },
	  .frag_mf = 1,
	  .sport = 53,
	  .dport = 40001,
	  .payload = 64 },
	{ .name = "ipv6-frag-later-udp",
	  .l3 = 6,
	  .proto = 17,
	  A6,
	  .n_ext = 1,
	  .ext = { 44 },
	  .frag_mf = 1,
	  .frag_off = 100,
	  .sport = 53,
	  .dport = 40001,
	  .payload = 64 },
	{ .name = "ipv6-dst-frag-last-tcp",
	  .l3 = 6,
	  .proto = 6,
	  A6,
	  .n_ext = 2,
	  .ext = { 60, 44 },
	  .frag_off = 10,
	  .sport = 1,
	  .dport = 2,
	  .tcp_flags = 0x01 },
	{ .name = "ipv6-frag-later-then-ext",
	  .l3 = 6,
	  .proto = 17,
	  A6,
	  .n_ext = 2,
	  .ext = { 44, 60 },
	  .frag_mf = 1,
	  .frag_off = 7,
	  .sport = 1,
	  .dport = 2 },
	{ .name = "ipv6-chain8-tcp",
	  .l3 = 6,
	  .proto = 6,
	  A6,
	  .n_ext = 8,
	  .ext = { 0, 60, 43, 44, 51, 60, 43, 60 },
	  .sport = 8080,
	  .dport = 65535,
	  .tcp_flags = 0x02 },
	{ .name = "ipv6-chain9-err",
	  .l3 = 6,
	  .proto = 6,
	  A6,
	  .n_ext = 9,
	  .ext = { 0, 60, 43, 60, 51, 60, 43, 60, 60 },
	  .sport = 8080,
	  .dport = 65535 },
	{ .name = "ipv6-chain9-later-frag-at-8",
	  .l3 = 6,
	  .proto = 6,
	  A6,
	  .n_ext = 9,
	  .ext = { 0, 60, 43, 60, 51, 60, 43, 44, 60 },
	  .frag_off = 2,
	  .sport = 1,
	  .dport = 2 },
	{ .name = "vlan-ipv4-udp",
	  .l3 = 4,
	  .proto = 17,
	  A4,
	  .vlans = 1,
	  .vid = { 100 },
	  .sport = 123,
	  .dport = 123,
	  .payload = 48 },
	{ .name = "vlan-ipv6-icmpv6",
	  .l3 = 6,
	  .proto = 58,
	  A6,
	  .vlans = 1,
	  .vid = { 4094 },
	  .sport = 135,
	  .dport = 0,
	  .payload = 24 },
	{ .name = "qinq-88a8-ipv6-tcp",
	  .l3 = 6,
	  .proto = 6,
	  A6,
	  .vlans = 2,
	  .tpid = { 0x88a8, 0x8100 },
	  .vid = { 200, 300 },
	  .sport = 2,
	  .dport = 3,
	  .tcp_flags = 0x04 },
	{ .name = "qinq-8100-ipv4-frag-later",
	  .l3 = 4,
	  .proto = 17,
	  A4,
	  .vlans = 2,
	  .vid = { 1, 2 },
	  .frag = 1,
	  .frag_off = 9 },
	{ .name = "vlan3-non-ip",
	  .l3 = 4,
	  .proto = 17,
	  A4,
	  .vlans = 3,
	  .vid = { 10, 20, 30 },
	  .sport = 1,
	  .dport = 2 },
	{ .name = "arp", .ethertype = 0x0806, .payload = 28 },
	{ .name = "vlan-arp", .ethertype = 0x0806, .vlans = 1, .vid = { 7 }, .payload = 28 },
	{ .name = "qinq-lldp",
	  .ethertype = 0x88cc,
	  .vlans = 2,
	  .tpid = { 0x88a8 },
	  .vid = { 4000, 5 },
	  .payload = 40 },
	{ .name = "ieee8023-llc", .ethertype = 38, .payload = 38 },
	{ .name = "ieee8023-len0", .ethertype = 0 },
	{ .name = "vlan-ieee8023", .ethertype = 0x0100, .vlans = 1, .vid = { 3 }, .payload = 40 },
	{ .name = "ipv4-frag-fields-zero-udp",
	  .l3 = 4,
	  .proto = 17,
	  A4,
	  .frag = 1,
	  .sport = 1,
	  .dport = 9 },
	{ .name = "ipv6-atomic-frag-tcp",
	  .l3 = 6,
	  .proto = 6,
	  A6,
	  .n_ext = 1,
	  .ext = { 44 },
	  .sport = 80,
	  .dport = 1024,
	  .tcp_flags = 0x12 },
	{ .name = "ieee8023-len1500", .ethertype = 1500, .payload = 46 },
	{ .name = "ethertype-0x05ff", .ethertype = 0x05ff, .payload = 46 },
	{ .name = "ethertype-0x0600", .ethertype = 0x0600, .payload = 46 },
};

const size_t frame_catalogue_len = sizeof(frame_catalogue) / sizeof(frame_catalogue[0]);
