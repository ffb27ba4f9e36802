// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Flow-table rule syntax and the port-range to prefix-block split. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "flow/clsctl.h"
#include "flow/rule.h"

static int rule_parse_str(struct rule *r, const char *s, char *err, size_t errlen)
{
	static char buf[512];
	char *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok(buf, " "); t && argc < 32; t = strtok(NULL, " "))
		argv[argc++] = t;
	return rule_parse_words(r, argc, argv, err, errlen);
}

Test(rule, full_rule)
{
	struct rule r;
	char err[256] = "";

	cr_assert_eq(rule_parse_str(&r,
				    "web prio 10 dev eth0 dir egress proto tcp src 10.0.0.0/8 "
				    "dst 192.168.1.0/24 sport 1024-65535 dport 443",
				    err, sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(r.def.name, "web");
	cr_assert_eq(r.def.prio, 10);
	cr_assert_str_eq(r.dev, "eth0");
	cr_assert_eq(r.def.dir, FLOW_DIR_EGRESS);
	cr_assert_eq(r.def.proto, 6);
	cr_assert_eq(r.def.l3, 4);
	cr_assert_eq(r.def.src_len, 8);
	cr_assert_eq(r.def.dst_len, 24);
	cr_assert_eq(r.def.src[0], 10);
	cr_assert_eq(r.def.dst[2], 1);
	cr_assert_eq(r.def.sport_lo, 1024);
	cr_assert_eq(r.def.sport_hi, 65535);
	cr_assert_eq(r.def.dport_lo, 443);
	cr_assert_eq(r.def.dport_hi, 443);
	cr_assert_eq(r.def.match, CLS_M_IFINDEX | CLS_M_DIR | CLS_M_L3 | CLS_M_PROTO | CLS_M_SRC |
					  CLS_M_DST | CLS_M_SPORT | CLS_M_DPORT);
}

/* Each bad rule, and the word its message must name. */
static const struct {
	const char *rule, *word;
} bad_rules[] = {
	{ "t prio x", "'x'" },
	{ "t prio 1000001", "'1000001'" },
	{ "t dir sideways", "'sideways'" },
	{ "t proto tcpp", "'tcpp'" },
	{ "t proto 256", "'256'" },
	{ "t src 10.0.0.0/33", "'10.0.0.0/33'" },
	{ "t src 10.1.0.0/8", "host bits" },
	{ "t dst fd00::/129", "'fd00::/129'" },
	{ "t dst banana", "'banana'" },
	{ "t proto tcp dport 80-70", "'80-70'" },
	{ "t proto tcp dport 65536", "'65536'" },
	{ "t proto tcp sport -1", "'-1'" },
	{ "t dport 80", "need proto" },
	{ "t proto icmp dport 80", "need proto" },
	{ "t colour red", "'colour'" },
	{ "t prio", "'prio' needs a value" },
	{ "t ip 5", "'5'" },
	{ "t ip 6 src 10.0.0.0/8", "not IPv6" },
	{ "t src 10.0.0.0/8 ip 6", "'6' disagrees" },
	{ "bad/name", "'bad/name'" },
	{ "this-name-is-far-too-long-for-a-table-name-0123456789", "1..47" },
};

Test(rule, bad_rules_name_the_offending_word)
{
	for (size_t i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
		struct rule r;
		char err[256] = "";

		cr_assert_eq(rule_parse_str(&r, bad_rules[i].rule, err, sizeof(err)), -EINVAL,
			     "accepted: %s", bad_rules[i].rule);
		cr_assert(strstr(err, bad_rules[i].word), "'%s': message '%s' lacks %s",
			  bad_rules[i].rule, err, bad_rules[i].word);
	}
}

/* Words as the shell passes them, blanks inside: each refused, naming the word. */
Test(rule, words_with_blanks_or_bad_dev_are_refused)
{
	static const struct {
		const char *kw, *val, *word;
	} cases[] = {
		{ "dport", " 80", "' 80'" },
		{ "dport", "80- 90", "'80- 90'" },
		{ "src", "10.0.0.0/ 8", "'10.0.0.0/ 8'" },
		{ "dst", "fd00::/\t64", "fd00::/\t64" },
		{ "prio", "\n5", "'\n5'" },
		{ "proto", " 6", "' 6'" },
		{ "dev", "eth 0", "'eth 0'" },
		{ "dev", "a/b", "'a/b'" },
		{ "dev", "e\xff", "'e\xff'" },
		{ "dev", "..", "'..'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "t", "proto", "tcp", (char *)cases[i].kw, (char *)cases[i].val };
		struct rule r;
		char err[256] = "";
		int argc = 5;

		if (!strcmp(cases[i].kw, "proto"))
			argv[1] = "prio", argv[2] = "1";
		cr_assert_eq(rule_parse_words(&r, argc, argv, err, sizeof(err)), -EINVAL,
			     "accepted %s '%s'", cases[i].kw, cases[i].val);
		cr_assert(strstr(err, cases[i].word), "%s '%s': message '%s'", cases[i].kw,
			  cases[i].val, err);
	}
}

Test(rule, repeated_keyword_is_refused)
{
	struct rule r;
	char err[256] = "";

	cr_assert_eq(rule_parse_str(&r, "t dev eth10 dev eth1", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "'dev' given twice"), "%s", err);
}

Test(rule, json_round_trip)
{
	struct rule a, b;
	char err[256] = "";
	json_t *j;

	cr_assert_eq(rule_parse_str(&a, "x prio 3 ip 6 proto udp dst fd00:1::/48 dport 53", err,
				    sizeof(err)),
		     0, "%s", err);
	j = rule_to_json(&a);
	cr_assert_eq(rule_from_json(&b, j, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
	cr_assert_eq(memcmp(&a.def, &b.def, sizeof(a.def)), 0);
}

Test(rule, json_bad_types)
{
	struct rule r;
	char err[256];
	json_t *j = json_pack("{s:s, s:[]}", "name", "t", "prio");

	cr_assert_eq(rule_from_json(&r, j, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "\"prio\""), "%s", err);
	json_decref(j);
	j = json_pack("{s:i}", "name", 5);
	cr_assert_eq(rule_from_json(&r, j, err, sizeof(err)), -EINVAL);
	json_decref(j);
	cr_assert_eq(rule_from_json(&r, NULL, err, sizeof(err)), -EINVAL);
}

/* The blocks of [lo, hi] are aligned, disjoint, in order and cover exactly [lo, hi]. */
static void check_blocks(unsigned int lo, unsigned int hi)
{
	__u16 v[32];
	__u8 p[32];
	int n = cls_range_blocks(lo, hi, v, p, 32);
	unsigned int next = lo;

	cr_assert(n > 0 && n <= 30, "[%u,%u]: %d blocks", lo, hi, n);
	for (int i = 0; i < n; i++) {
		unsigned int size = 1u << (16 - p[i]);

		cr_assert_eq(v[i], next, "[%u,%u] block %d starts at %u", lo, hi, i, v[i]);
		cr_assert_eq(v[i] & (size - 1), 0, "[%u,%u] block %d unaligned", lo, hi, i);
		next = v[i] + size;
	}
	cr_assert_eq(next, hi + 1, "[%u,%u] blocks end at %u", lo, hi, next);
}

Test(rule, range_blocks)
{
	__u16 v[32];
	__u8 p[32];

	cr_assert_eq(cls_range_blocks(0, 65535, v, p, 32), 1);
	cr_assert_eq(p[0], 0);
	cr_assert_eq(cls_range_blocks(80, 80, v, p, 32), 1);
	cr_assert_eq(p[0], 16);
	cr_assert_eq(cls_range_blocks(1, 65534, v, p, 32), 30); /* the worst case */
	check_blocks(1, 65534);
	check_blocks(1000, 2000);
	check_blocks(1024, 65535);
	srand(7);
	for (int i = 0; i < 2000; i++) {
		unsigned int a = rand() % 65536, b = rand() % 65536;

		check_blocks(a < b ? a : b, a < b ? b : a);
	}
}
