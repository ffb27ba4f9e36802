// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Formatting of addresses, protocols, sizes, TCP flags and flows as JSON;
 * sorting flows, and reading a real BPF flow map in batches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <jansson.h>

#include "flow.h"
#include "flow/fmt.h"

TestSuite(fmt);

/* ---- addresses --------------------------------------------------------- */

static const char *test_fmt_addr(int l3, const char *text)
{
	static char buf[FMT_ADDR_LEN];
	__u8 a[16] = { 0 };

	if (l3 == FLOW_L3_IPV4)
		cr_assert_eq(inet_pton(AF_INET, text, a), 1, "%s", text);
	else
		cr_assert_eq(inet_pton(AF_INET6, text, a), 1, "%s", text);
	return fmt_addr(buf, sizeof(buf), l3, a);
}

Test(fmt, addr_v4)
{
	cr_assert_str_eq(test_fmt_addr(4, "192.0.2.1"), "192.0.2.1");
	cr_assert_str_eq(test_fmt_addr(4, "0.0.0.0"), "0.0.0.0");
	cr_assert_str_eq(test_fmt_addr(4, "255.255.255.255"), "255.255.255.255");
	cr_assert_str_eq(test_fmt_addr(4, "10.0.0.1"), "10.0.0.1");
}

Test(fmt, addr_v4_ignores_the_upper_bytes)
{
	__u8 a[16];
	char buf[FMT_ADDR_LEN];

	memset(a, 0xee, sizeof(a));
	a[0] = 198, a[1] = 51, a[2] = 100, a[3] = 7;
	cr_assert_str_eq(fmt_addr(buf, sizeof(buf), FLOW_L3_IPV4, a), "198.51.100.7");
}

Test(fmt, addr_v6_compressed)
{
	cr_assert_str_eq(test_fmt_addr(6, "::"), "::");
	cr_assert_str_eq(test_fmt_addr(6, "::1"), "::1");
	cr_assert_str_eq(test_fmt_addr(6, "2001:db8::1"), "2001:db8::1");
	cr_assert_str_eq(test_fmt_addr(6, "2001:0db8:0000:0000:0000:0000:0000:0001"),
			 "2001:db8::1");
	cr_assert_str_eq(test_fmt_addr(6, "fe80::1:2"), "fe80::1:2");
	/* the longest run of zeros is the one compressed; the first of equal runs */
	cr_assert_str_eq(test_fmt_addr(6, "2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
	cr_assert_str_eq(test_fmt_addr(6, "2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
	/* a single zero group is not compressed */
	cr_assert_str_eq(test_fmt_addr(6, "2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
	cr_assert_str_eq(test_fmt_addr(6, "ff02::"), "ff02::");
	cr_assert_str_eq(test_fmt_addr(6, "::ffff:192.0.2.1"), "::ffff:192.0.2.1");
	cr_assert_str_eq(test_fmt_addr(6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

Test(fmt, addr_longest_fits)
{
	char buf[FMT_ADDR_LEN];
	__u8 a[16];

	/* the longest textual form of an IPv6 address: 45 characters */
	cr_assert_eq(inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", a), 1);
	cr_assert_eq(strlen(fmt_addr(buf, sizeof(buf), FLOW_L3_IPV6, a)), 39);
	cr_assert_eq(inet_pton(AF_INET6, "::ffff:255.255.255.255", a), 1);
	cr_assert_str_eq(fmt_addr(buf, sizeof(buf), FLOW_L3_IPV6, a), "::ffff:255.255.255.255");
}

Test(fmt, addr_non_ip_is_empty)
{
	char buf[FMT_ADDR_LEN];
	__u8 a[16];

	memset(a, 0x11, sizeof(a));
	memset(buf, 'x', sizeof(buf));
	cr_assert_str_eq(fmt_addr(buf, sizeof(buf), FLOW_L3_OTHER, a), "");
	memset(buf, 'x', sizeof(buf));
	cr_assert_str_eq(fmt_addr(buf, sizeof(buf), 5, a), "");
	memset(buf, 'x', sizeof(buf));
	cr_assert_str_eq(fmt_addr(buf, sizeof(buf), 255, a), "");
}

Test(fmt, addr_short_buffer)
{
	char buf[8];
	__u8 a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	memset(buf, 'x', sizeof(buf));
	cr_assert_str_eq(fmt_addr(buf, sizeof(buf), FLOW_L3_IPV6, a), "", "no partial address");
	memset(buf, 'x', sizeof(buf));
	fmt_addr(buf, 0, FLOW_L3_IPV4, a);
	cr_assert_eq(buf[0], 'x', "len 0 writes nothing");
}

/* ---- protocols, directions, sizes, flags ------------------------------- */

Test(fmt, proto)
{
	char buf[16];

	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 6), "tcp");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 17), "udp");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 1), "icmp");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 58), "ipv6-icmp");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 132), "sctp");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 136), "udplite");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 47), "gre");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 0), "0");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 253), "253");
	cr_assert_str_eq(fmt_proto(buf, sizeof(buf), 255), "255");
	cr_assert_str_eq(fmt_proto(buf, 3, 6), "tc", "truncated, terminated");
	cr_assert_str_eq(fmt_proto(buf, 3, 200), "20");
}

Test(fmt, dir)
{
	cr_assert_str_eq(fmt_dir(FLOW_DIR_INGRESS), "ingress");
	cr_assert_str_eq(fmt_dir(FLOW_DIR_EGRESS), "egress");
}

Test(fmt, si_boundaries)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ 999, "999" },
		{ 1000, "1.00K" },
		{ 1234, "1.23K" },
		{ 9990, "9.99K" },
		{ 9994, "9.99K" },
		/* rounding up must not print a fourth digit ("10.00K") */
		{ 9999, "10.0K" },
		{ 10000, "10.0K" },
		{ 99940, "99.9K" },
		{ 99999, "100K" },
		{ 100000, "100K" },
		{ 999499, "999K" },
		/* nor reach the next unit's range ("1000K") */
		{ 999999, "1.00M" },
		{ 1000000, "1.00M" },
		{ 1500000000, "1.50G" },
		{ 1e12, "1.00T" },
		{ 1e15, "1.00P" },
		{ 999e15, "999P" },
		/* P is the largest unit */
		{ 1e18, "1000P" },
		{ 18446744073709551615.0, "18447P" },
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_str_eq(fmt_si(buf, sizeof(buf), cases[i].v), cases[i].s, "fmt_si(%.0f)",
				 cases[i].v);
}

Test(fmt, si_fits_table_column)
{
	char buf[16];

	/* the flows table gives sizes 8 columns; every u64 count fits */
	for (double v = 1; v < 1.9e19; v = v * 3 + 7)
		cr_assert_leq(strlen(fmt_si(buf, sizeof(buf), v)), 6, "%.0f -> %s", v, buf);
}

Test(fmt, tcp_flags)
{
	char buf[12];

	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0), "-");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0x01), "F");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0x02), "S");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0x12), "SA");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0x11), "FA");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0x1b), "FSPA");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0x04), "R");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0x20), "U");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0xc2), "SEC");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0xff), "FSRPAUEC");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0x100), "-", "only the flag byte");
	cr_assert_str_eq(fmt_tcp_flags(buf, sizeof(buf), 0xffffff12), "SA");
}

Test(fmt, tcp_flags_short_buffer)
{
	char buf[9];

	cr_assert_str_eq(fmt_tcp_flags(buf, 9, 0xff), "FSRPAUEC");
	cr_assert_str_eq(fmt_tcp_flags(buf, 4, 0xff), "FSR");
	cr_assert_str_eq(fmt_tcp_flags(buf, 2, 0xff), "F");
	cr_assert_str_eq(fmt_tcp_flags(buf, 2, 0), "-");
	cr_assert_str_eq(fmt_tcp_flags(buf, 1, 0xff), "");
	cr_assert_str_eq(fmt_tcp_flags(buf, 1, 0), "");
	buf[0] = 'x';
	fmt_tcp_flags(buf, 0, 0xff);
	cr_assert_eq(buf[0], 'x', "len 0 writes nothing");
}

/* ---- one flow as JSON -------------------------------------------------- */

static const char *const test_fmt_json_keys[] = {
	"ifname", "ifindex",	   "direction",	   "l3",	"ethertype", "vlan",	"src",
	"dst",	  "proto",	   "sport",	   "dport",	"fragment",  "packets", "skbs",
	"bytes",  "first_seen_ns", "last_seen_ns", "tcp_flags",
};

static void test_fmt_assert_shape(json_t *j)
{
	const char *key;
	json_t *val;

	cr_assert(json_is_object(j));
	cr_assert_eq(json_object_size(j), sizeof(test_fmt_json_keys) / sizeof(char *),
		     "no field more, none less");
	json_object_foreach(j, key, val) {
		bool known = false;

		for (size_t i = 0; i < sizeof(test_fmt_json_keys) / sizeof(char *); i++)
			known |= !strcmp(key, test_fmt_json_keys[i]);
		cr_assert(known, "unexpected field %s", key);
		if (!strcmp(key, "ifname") || !strcmp(key, "direction") || !strcmp(key, "l3") ||
		    !strcmp(key, "src") || !strcmp(key, "dst"))
			cr_assert(json_is_string(val), "%s is not a string", key);
		else if (!strcmp(key, "fragment"))
			cr_assert(json_is_boolean(val), "%s is not a boolean", key);
		else
			cr_assert(json_is_integer(val), "%s is not an integer", key);
	}
}

static const char *test_fmt_s(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	cr_assert(json_is_string(v), "%s", key);
	return json_string_value(v);
}

static json_int_t test_fmt_i(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	cr_assert(json_is_integer(v), "%s", key);
	return json_integer_value(v);
}

Test(fmt, flow_json_tcp_v4)
{
	struct flow_key k = {
		.ifindex = 7,
		.dir = FLOW_DIR_INGRESS,
		.l3 = FLOW_L3_IPV4,
		.proto = 6,
		.ethertype = 0x0800,
		.vlan = 100,
		.sport = 54321,
		.dport = 443,
		.src = { 192, 0, 2, 1 },
		.dst = { 198, 51, 100, 2 },
	};
	struct flow_value v = {
		.packets = 1ull << 40,
		.bytes = 123456789012345ull,
		.first_seen_ns = 1000000001,
		.last_seen_ns = 9223372036854775807ull,
		.tcp_flags = 0x1b,
	};
	json_t *j = fmt_flow_json(&k, &v, "veth0");

	cr_assert(j);
	test_fmt_assert_shape(j);
	cr_assert_str_eq(test_fmt_s(j, "ifname"), "veth0");
	cr_assert_eq(test_fmt_i(j, "ifindex"), 7);
	cr_assert_str_eq(test_fmt_s(j, "direction"), "ingress");
	cr_assert_str_eq(test_fmt_s(j, "l3"), "ipv4");
	cr_assert_eq(test_fmt_i(j, "ethertype"), 0x0800);
	cr_assert_eq(test_fmt_i(j, "vlan"), 100);
	cr_assert_str_eq(test_fmt_s(j, "src"), "192.0.2.1");
	cr_assert_str_eq(test_fmt_s(j, "dst"), "198.51.100.2");
	cr_assert_eq(test_fmt_i(j, "proto"), 6);
	cr_assert_eq(test_fmt_i(j, "sport"), 54321);
	cr_assert_eq(test_fmt_i(j, "dport"), 443);
	cr_assert(json_is_false(json_object_get(j, "fragment")));
	cr_assert_eq(test_fmt_i(j, "packets"), 1ll << 40);
	cr_assert_eq(test_fmt_i(j, "bytes"), 123456789012345ll);
	cr_assert_eq(test_fmt_i(j, "first_seen_ns"), 1000000001);
	cr_assert_eq(test_fmt_i(j, "last_seen_ns"), 9223372036854775807ll);
	cr_assert_eq(test_fmt_i(j, "tcp_flags"), 0x1b);
	json_decref(j);
}

Test(fmt, flow_json_icmp_type_code_in_ports)
{
	struct flow_key k = {
		.ifindex = 2,
		.dir = FLOW_DIR_EGRESS,
		.l3 = FLOW_L3_IPV4,
		.proto = 1,
		.ethertype = 0x0800,
		.sport = 8, /* echo request */
		.dport = 0,
		.src = { 10, 0, 0, 1 },
		.dst = { 10, 0, 0, 2 },
	};
	struct flow_value v = { .packets = 3, .bytes = 294 };
	json_t *j = fmt_flow_json(&k, &v, "eth0");

	test_fmt_assert_shape(j);
	cr_assert_str_eq(test_fmt_s(j, "direction"), "egress");
	cr_assert_eq(test_fmt_i(j, "proto"), 1);
	cr_assert_eq(test_fmt_i(j, "sport"), 8);
	cr_assert_eq(test_fmt_i(j, "dport"), 0);
	cr_assert_eq(test_fmt_i(j, "tcp_flags"), 0);
	cr_assert_eq(test_fmt_i(j, "vlan"), 0);
	json_decref(j);
}

Test(fmt, flow_json_icmpv6_and_compressed_v6)
{
	struct flow_key k = {
		.ifindex = 3,
		.l3 = FLOW_L3_IPV6,
		.proto = 58,
		.ethertype = 0x86dd,
		.sport = 135, /* neighbour solicitation */
		.dport = 0,
		.src = { 0xfe, 0x80, [15] = 1 },
		.dst = { 0xff, 0x02, [11] = 1, [12] = 0xff, [13] = 0, [14] = 0, [15] = 2 },
	};
	struct flow_value v = { .packets = 1, .bytes = 86 };
	json_t *j = fmt_flow_json(&k, &v, "eth1");

	test_fmt_assert_shape(j);
	cr_assert_str_eq(test_fmt_s(j, "l3"), "ipv6");
	cr_assert_str_eq(test_fmt_s(j, "src"), "fe80::1");
	cr_assert_str_eq(test_fmt_s(j, "dst"), "ff02::1:ff00:2");
	cr_assert_eq(test_fmt_i(j, "proto"), 58);
	cr_assert_eq(test_fmt_i(j, "sport"), 135);
	cr_assert_eq(test_fmt_i(j, "ethertype"), 0x86dd);
	json_decref(j);
}

Test(fmt, flow_json_non_ip)
{
	struct flow_key k = {
		.ifindex = 4,
		.l3 = FLOW_L3_OTHER,
		.ethertype = 0x0806,
		.vlan = 4095,
	};
	struct flow_value v = { .packets = 2, .bytes = 120 };
	json_t *j = fmt_flow_json(&k, &v, "br0");

	test_fmt_assert_shape(j);
	cr_assert_str_eq(test_fmt_s(j, "l3"), "other");
	cr_assert_str_eq(test_fmt_s(j, "src"), "");
	cr_assert_str_eq(test_fmt_s(j, "dst"), "");
	cr_assert_eq(test_fmt_i(j, "ethertype"), 0x0806);
	cr_assert_eq(test_fmt_i(j, "vlan"), 4095);
	cr_assert_eq(test_fmt_i(j, "proto"), 0);
	cr_assert_eq(test_fmt_i(j, "sport"), 0);
	json_decref(j);
}

Test(fmt, flow_json_later_fragment)
{
	struct flow_key k = {
		.ifindex = 5,
		.l3 = FLOW_L3_IPV4,
		.proto = 17,
		.flags = FLOW_KEY_FRAG_LATER,
		.ethertype = 0x0800,
		.src = { 10, 1, 1, 1 },
		.dst = { 10, 1, 1, 2 },
	};
	struct flow_value v = { .packets = 1, .bytes = 1514 };
	json_t *j = fmt_flow_json(&k, &v, "eth0");

	test_fmt_assert_shape(j);
	cr_assert(json_is_true(json_object_get(j, "fragment")));
	cr_assert_eq(test_fmt_i(j, "sport"), 0);
	cr_assert_eq(test_fmt_i(j, "dport"), 0);
	json_decref(j);
}

static void test_fmt_capture(json_t *j, int *rc, char *buf, size_t len)
{
	FILE *f = tmpfile();
	int saved;
	size_t n;

	cr_assert(f);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(f), STDOUT_FILENO);
	*rc = fmt_json_print(j);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

Test(fmt, json_print)
{
	char out[4096];
	json_t *j;
	int rc;

	j = json_pack("{s:[]}", "flows");
	test_fmt_capture(j, &rc, out, sizeof(out));
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(out, "{\"flows\":[]}\n");
	json_decref(j);

	j = json_pack("{s:s, s:I}", "a", "x\"y", "b", (json_int_t)1 << 40);
	test_fmt_capture(j, &rc, out, sizeof(out));
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(out, "{\"a\":\"x\\\"y\",\"b\":1099511627776}\n");
	json_decref(j);

	test_fmt_capture(NULL, &rc, out, sizeof(out));
	cr_assert_eq(rc, -EIO);
	cr_assert_str_empty(out);
}
