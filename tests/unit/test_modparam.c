// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The module-parameter helper: defaults, types, bounds, unknown keys, messages. */
#include <criterion/criterion.h>
#include <errno.h>

#include "core/modparam.h"
#include "core/node.h"

struct mpt {
	uint32_t small;
	uint64_t big;
	char name[ICC_MOD_LEN + 1];
};

static const struct mod_param mpt_tbl[] = {
	MP_U32("small", struct mpt, small, 4, 1, 16),
	MP_U64("big", struct mpt, big, 1000, 10, 1ull << 40),
	MP_NAME("name", struct mpt, name, "topology"),
	MP_END,
};

static int mpt_parse(const char *text, struct mpt *out, char *err, size_t errlen)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	int ret;

	cr_assert(!text || j, "bad test JSON %s", text);
	memset(out, 0xa5, sizeof(*out));
	ret = mod_params_parse(mpt_tbl, j, out, err, errlen);
	json_decref(j);
	return ret;
}

Test(modparam, defaults_when_absent)
{
	struct mpt p;
	char err[128] = "";

	cr_assert_eq(mpt_parse(NULL, &p, err, sizeof(err)), 0);
	cr_assert_eq(p.small, 4);
	cr_assert_eq(p.big, 1000);
	cr_assert_str_eq(p.name, "topology");
	cr_assert_eq(
		mpt_parse("{\"enabled\": true, \"dependencies\": [\"cmm\"]}", &p, err, sizeof(err)),
		0, "%s", err);
	cr_assert_eq(p.small, 4);
}

Test(modparam, values_at_the_bounds)
{
	struct mpt p;
	char err[128] = "";

	cr_assert_eq(mpt_parse("{\"small\": 16, \"big\": 1099511627776, \"name\": \"ring2\"}", &p,
			       err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(p.small, 16);
	cr_assert_eq(p.big, 1ull << 40);
	cr_assert_str_eq(p.name, "ring2");
	cr_assert_eq(mpt_parse("{\"small\": 1, \"big\": 10}", &p, err, sizeof(err)), 0);
	cr_assert_eq(p.small, 1);
	cr_assert_eq(p.big, 10);
}

Test(modparam, unknown_key_is_named)
{
	struct mpt p;
	char err[128] = "";

	cr_assert_eq(mpt_parse("{\"small\": 2, \"smal\": 3}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "unknown parameter 'smal'");
}

Test(modparam, wrong_type_names_key_and_value)
{
	struct mpt p;
	char err[128] = "";

	cr_assert_eq(mpt_parse("{\"small\": \"3\"}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "'small' must be an integer, not \"3\"");
	cr_assert_eq(mpt_parse("{\"big\": 2.5}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "'big' must be an integer, not 2.5");
	cr_assert_eq(mpt_parse("{\"name\": 7}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "'name' must be a module name, not 7");
	cr_assert_eq(mpt_parse("{\"name\": \"Not A Name\"}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_eq(mpt_parse("{\"name\": \"\"}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_eq(mpt_parse("[1]", &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "parameters must be an object");
}

Test(modparam, out_of_range_names_key_value_and_range)
{
	struct mpt p;
	char err[128] = "";

	cr_assert_eq(mpt_parse("{\"small\": 17}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "'small' is 17, out of range (1..16)");
	cr_assert_eq(mpt_parse("{\"small\": 0}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_eq(mpt_parse("{\"small\": -1}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "'small' is -1, out of range (1..16)");
	cr_assert_eq(mpt_parse("{\"big\": 9}", &p, err, sizeof(err)), -EINVAL);
	cr_assert_eq(mpt_parse("{\"big\": 1099511627777}", &p, err, sizeof(err)), -EINVAL);
	/* a long value is cut in the message */
	cr_assert_eq(
		mpt_parse("{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
			  &p, err, sizeof(err)),
		-EINVAL);
	cr_assert(strstr(err, "...") != NULL, "%s", err);
}

/* The modules refuse what the helper refuses: unknown keys in a node's config. */
static void mpt_log(struct node *n, enum log_level lvl, const char *fmt, va_list ap)
{
	(void)n;
	(void)lvl;
	(void)fmt;
	(void)ap;
}

static const struct rt_ops mpt_rt = { .log = mpt_log };

Test(modparam, modules_refuse_unknown_keys)
{
	const char *cfgs[] = {
		"{\"cmm\": {\"seen_capacty\": 5}}",
		"{\"cmm\": {}, \"topology\": {}, \"smm\": {\"max_dept\": 3}}",
		"{\"cmm\": {}, \"topology\": {\"succesors\": 3}}",
		"{\"cmm\": {}, \"topology\": {}, \"smm\": {\"max_depth\": 1001}}",
		"{\"cmm\": {}, \"topology\": {\"successors\": 17}}",
	};

	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		json_t *j = json_loads(cfgs[i], 0, NULL);
		struct node_id id = { { 1 } };
		struct modcfg mc;
		struct node n;
		char err[128];

		cr_assert_not_null(j);
		cr_assert_eq(modcfg_load(j, &mc, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(node_init(&n, &id, &mpt_rt, NULL, &mc), -EINVAL, "%s", cfgs[i]);
		cr_assert_null(n.mods);
		json_decref(j);
	}
}
