// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flow/fmt.h"

const char *fmt_addr(char *buf, size_t len, __u8 l3, const __u8 addr[16])
{
	if (len)
		buf[0] = 0;
	if (l3 == FLOW_L3_IPV4)
		inet_ntop(AF_INET, addr, buf, len);
	else if (l3 == FLOW_L3_IPV6)
		inet_ntop(AF_INET6, addr, buf, len);
	return buf;
}

const char *fmt_proto(char *buf, size_t len, __u8 proto)
{
	static const char *const names[256] = {
		[1] = "icmp",	[2] = "igmp",	[6] = "tcp",	    [17] = "udp",  [47] = "gre",
		[50] = "esp",	[51] = "ah",	[58] = "ipv6-icmp", [89] = "ospf", [103] = "pim",
		[112] = "vrrp", [132] = "sctp", [136] = "udplite",
	};

	if (names[proto])
		snprintf(buf, len, "%s", names[proto]);
	else
		snprintf(buf, len, "%u", proto);
	return buf;
}

const char *fmt_si(char *buf, size_t len, double v)
{
	static const char units[] = " KMGTP";
	int i = 0;

	/* compare against the rounded value: 999999 is "1.00M", not "1000K" */
	while (v >= 999.5 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%c", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, units[i]);
	return buf;
}

const char *fmt_dir(__u8 dir)
{
	return dir == FLOW_DIR_EGRESS ? "egress" : "ingress";
}

const char *fmt_tcp_flags(char *buf, size_t len, __u32 flags)
{
	static const char letters[] = "FSRPAUEC";
	size_t n = 0;

	for (int i = 0; i < 8 && n + 1 < len; i++)
		if (flags & (1u << i))
			buf[n++] = letters[i];
	if (n == 0 && len > 1)
		buf[n++] = '-';
	if (len)
		buf[n < len ? n : len - 1] = 0;
	return buf;
}

json_t *fmt_flow_json(const struct flow_key *k, const struct flow_value *v, const char *ifname)
{
	char src[FMT_ADDR_LEN], dst[FMT_ADDR_LEN], l3[8];
	json_t *j;

	fmt_addr(src, sizeof(src), k->l3, k->src);
	fmt_addr(dst, sizeof(dst), k->l3, k->dst);
	snprintf(l3, sizeof(l3),
		 k->l3 == FLOW_L3_IPV4	 ? "ipv4"
		 : k->l3 == FLOW_L3_IPV6 ? "ipv6"
					 : "other");
	j = json_pack(
		"{s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:b, s:I, s:I, "
		"s:I, s:I, s:I, s:I}",
		"ifname", ifname, "ifindex", (json_int_t)k->ifindex, "direction", fmt_dir(k->dir),
		"l3", l3, "ethertype", (json_int_t)k->ethertype, "vlan", (json_int_t)k->vlan, "src",
		src, "dst", dst, "proto", (json_int_t)k->proto, "sport", (json_int_t)k->sport,
		"dport", (json_int_t)k->dport, "fragment", (k->flags & FLOW_KEY_FRAG_LATER) != 0,
		"packets", (json_int_t)v->packets, "skbs", (json_int_t)(v->packets - v->seg_extra),
		"bytes", (json_int_t)v->bytes, "first_seen_ns", (json_int_t)v->first_seen_ns,
		"last_seen_ns", (json_int_t)v->last_seen_ns, "tcp_flags", (json_int_t)v->tcp_flags);
	if (j && (k->flags & FLOW_KEY_OVERLAY)) {
		char s[FMT_NODE_LEN], d[FMT_NODE_LEN];

		json_object_set_new(j, "src_node", json_string(fmt_node(s, v->src_node)));
		json_object_set_new(j, "dst_node", json_string(fmt_node(d, v->dst_node)));
	}
	return j;
}

const char *fmt_node(char out[FMT_NODE_LEN], const __u8 id[16])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[32] = 0;
	return out;
}

int fmt_json_print(json_t *j)
{
	if (!j || json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10)) ||
	    fputc('\n', stdout) == EOF)
		return -EIO;
	return 0;
}
