// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the flow-table rule parser (user/flow/rule.c), both
 * syntaxes. Each input is read twice:
 *   - as command-line words, one per line ("web\nproto\ntcp\ndport\n80");
 *   - as JSON: a table object, or an array of them (what table_add takes).
 * Properties: an error is -EINVAL with a message; an accepted rule is valid
 * (rule_validate), prints (rule_to_json) to something that parses back to
 * the same definition both as JSON and as words (parse -> print -> parse);
 * ranges are ordered and prefix lengths fit the address family.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

#define WORDS_MAX 64
#define INPUT_MAX 4096

static void check_same(const struct rule *a, const struct rule *b)
{
	CHECK(!memcmp(&a->def, &b->def, sizeof(a->def)));
	CHECK(!memcmp(a->dev, b->dev, sizeof(a->dev)));
}

/* The printed definition as words: NAME then KEY VALUE pairs. */
static void reparse_words(const struct rule *r, json_t *j)
{
	static char store[WORDS_MAX][96];
	char *argv[WORDS_MAX], err[256] = "";
	const char *kw;
	struct rule r2;
	json_t *v;
	int argc = 0;

	snprintf(store[argc], sizeof(store[0]), "%s", r->def.name);
	argv[argc] = store[argc];
	argc++;
	json_object_foreach(j, kw, v) {
		if (!strcmp(kw, "name"))
			continue;
		CHECK(argc + 2 <= WORDS_MAX);
		snprintf(store[argc], sizeof(store[0]), "%s", kw);
		argv[argc] = store[argc];
		argc++;
		if (json_is_integer(v))
			snprintf(store[argc], sizeof(store[0]), "%lld",
				 (long long)json_integer_value(v));
		else
			snprintf(store[argc], sizeof(store[0]), "%s", json_string_value(v));
		argv[argc] = store[argc];
		argc++;
	}
	CHECK(rule_parse_words(&r2, argc, argv, err, sizeof(err)) == 0);
	check_same(r, &r2);
}

static void check_accepted(const struct rule *r)
{
	char err[256] = "";
	struct rule r2, copy = *r;
	json_t *j;

	CHECK(rule_validate(&copy, err, sizeof(err)) == 0);
	CHECK(r->def.name[0] && strlen(r->def.name) < CLS_TABLE_NAME_LEN);
	if (r->def.match & CLS_M_SPORT)
		CHECK(r->def.sport_lo <= r->def.sport_hi);
	if (r->def.match & CLS_M_DPORT)
		CHECK(r->def.dport_lo <= r->def.dport_hi);
	if (r->def.match & (CLS_M_SRC | CLS_M_DST))
		CHECK(r->def.l3 == FLOW_L3_IPV4 || r->def.l3 == FLOW_L3_IPV6);
	CHECK(r->def.src_len <= (r->def.l3 == FLOW_L3_IPV4 ? 32 : 128));
	CHECK(r->def.dst_len <= (r->def.l3 == FLOW_L3_IPV4 ? 32 : 128));
	j = rule_to_json(r);
	CHECK(j);
	CHECK(rule_from_json(&r2, j, err, sizeof(err)) == 0);
	check_same(r, &r2);
	reparse_words(r, j);
	json_decref(j);
}

static void check_result(int e, const struct rule *r, const char *err)
{
	if (e) {
		CHECK(e == -EINVAL && err[0]);
		return;
	}
	check_accepted(r);
}

static void fuzz_words(const uint8_t *data, size_t size)
{
	static char buf[INPUT_MAX + 1];
	char *argv[WORDS_MAX], err[256] = "";
	struct rule r;
	int argc = 1, e;

	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = buf;
	for (size_t i = 0; i < size && argc < WORDS_MAX; i++)
		if (buf[i] == '\n') {
			buf[i] = '\0';
			argv[argc++] = buf + i + 1;
		}
	e = rule_parse_words(&r, argc, argv, err, sizeof(err));
	check_result(e, &r, err);
}

static void fuzz_json(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL), *t;
	char err[256];
	struct rule r;
	size_t i;

	if (!root)
		return;
	if (json_is_array(root)) {
		json_array_foreach(root, i, t) {
			err[0] = '\0';
			check_result(rule_from_json(&r, t, err, sizeof(err)), &r, err);
		}
	} else {
		err[0] = '\0';
		check_result(rule_from_json(&r, root, err, sizeof(err)), &r, err);
	}
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_MAX)
		return 0;
	fuzz_words(data, size);
	fuzz_json(data, size);
	return 0;
}
