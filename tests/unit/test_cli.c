// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The table-driven command line: the parser through a test-local command
 * with one option of every type, and the real commands black-box through
 * cli_main() with stdout and stderr captured.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli_capture.h"
#include "cli/commands.h"
#include "flow.h"

/* ---- a command with one option of every type --------------------------- */

struct test_cli_cfg {
	bool flag;
	const char *str;
	unsigned int num;   /* 1..100 */
	unsigned int count; /* >= 0, no upper bound */
	int color;
	struct cli_list tags;
	bool json;
	struct cli_pos pos;
};

static const char *const test_cli_colors[] = { "red", "green", "blue", NULL };

static void test_cli_defaults(void *cfg)
{
	struct test_cli_cfg *c = cfg;

	c->str = "dflt";
	c->num = 7;
	c->color = 2;
}

static int test_cli_run_never(void *cfg)
{
	(void)cfg;
	cr_assert_fail("run() must not be called by cli_parse");
	return 0;
}

static const struct cli_opt test_cli_opts[] = {
	CLI_OPT_FLAG("flag", 'f', struct test_cli_cfg, flag, "a flag"),
	CLI_OPT_STR("str", 's', struct test_cli_cfg, str, "TEXT", "a string"),
	CLI_OPT_UINT("num", 'n', struct test_cli_cfg, num, "N", "a bounded number", 1, 100),
	CLI_OPT_UINT("count", 0, struct test_cli_cfg, count, "C", "an unbounded number", 0, 0),
	CLI_OPT_ENUM("color", 'c', struct test_cli_cfg, color, test_cli_colors, "a choice"),
	CLI_OPT_LIST("tag", 't', struct test_cli_cfg, tags, "TAG", "repeatable"),
	CLI_OPT_FLAG("json", 'j', struct test_cli_cfg, json, "print JSON"),
	CLI_OPT_END,
};

static const struct cli_cmd test_cli_demo = {
	.name = "demo",
	.summary = "A command for the tests",
	.args = "A [B]",
	.min_pos = 1,
	.max_pos = 2,
	.pos_offset = offsetof(struct test_cli_cfg, pos),
	.opts = test_cli_opts,
	.cfg_size = sizeof(struct test_cli_cfg),
	.defaults = test_cli_defaults,
	.run = test_cli_run_never,
};

static const struct cli_cmd test_cli_nopos = {
	.name = "nopos",
	.summary = "No positional arguments",
	.opts = test_cli_opts,
	.cfg_size = sizeof(struct test_cli_cfg),
	.run = test_cli_run_never,
};

static const struct cli_cmd test_cli_anypos = {
	.name = "anypos",
	.summary = "Any number of positional arguments",
	.args = "[FILE...]",
	.min_pos = 0,
	.max_pos = -1,
	.pos_offset = offsetof(struct test_cli_cfg, pos),
	.opts = test_cli_opts,
	.cfg_size = sizeof(struct test_cli_cfg),
	.run = test_cli_run_never,
};

static void test_cli_reset(void)
{
	cli_json = false;
}

TestSuite(cli, .init = test_cli_reset, .fini = test_cli_reset);

/* An -EINVAL parse with exactly this one line on stderr and nothing on stdout. */
static void test_cli_assert_einval(const struct test_cli_out *r, const char *line)
{
	cr_assert_eq(r->rc, -EINVAL, "rc %d, stderr: %s", r->rc, r->err);
	cr_assert_str_eq(r->err, line);
	cr_assert_str_empty(r->out);
}

/* ---- parser ------------------------------------------------------------ */

Test(cli, defaults_without_options)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	memset(&cfg, 0xa5, sizeof(cfg)); /* cli_parse must zero it first */
	test_cli_parse(&r, &test_cli_demo, &cfg, "a");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_str_empty(r.err);
	cr_assert_str_empty(r.out);
	cr_assert_not(cfg.flag);
	cr_assert_not(cfg.json);
	cr_assert_str_eq(cfg.str, "dflt");
	cr_assert_eq(cfg.num, 7);
	cr_assert_eq(cfg.count, 0);
	cr_assert_eq(cfg.color, 2);
	cr_assert_eq(cfg.tags.n, 0);
	cr_assert_eq(cfg.pos.n, 1);
	cr_assert_str_eq(cfg.pos.v[0], "a");
	cr_assert_not(cli_json);
}

Test(cli, every_type_long_form)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "--flag", "--str", "hello", "--num", "100",
		       "--count", "4294967295", "--color", "red", "--tag", "t1", "--tag", "t2",
		       "first", "second");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert(cfg.flag);
	cr_assert_str_eq(cfg.str, "hello");
	cr_assert_eq(cfg.num, 100);
	cr_assert_eq(cfg.count, UINT_MAX);
	cr_assert_eq(cfg.color, 0);
	cr_assert_eq(cfg.tags.n, 2);
	cr_assert_str_eq(cfg.tags.v[0], "t1");
	cr_assert_str_eq(cfg.tags.v[1], "t2");
	cr_assert_eq(cfg.pos.n, 2);
	cr_assert_str_eq(cfg.pos.v[0], "first");
	cr_assert_str_eq(cfg.pos.v[1], "second");
	cr_assert_not(cli_json, "only --json sets cli_json");
}

Test(cli, equals_form)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "--str=x=y", "--num=1", "--color=green",
		       "--count=0", "--tag=a", "p");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_str_eq(cfg.str, "x=y");
	cr_assert_eq(cfg.num, 1);
	cr_assert_eq(cfg.color, 1);
	cr_assert_eq(cfg.count, 0);
	cr_assert_eq(cfg.tags.n, 1);
	cr_assert_str_eq(cfg.tags.v[0], "a");
}

Test(cli, short_forms_and_clusters)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "-fn42", "-s", "v", "-cblue", "-ta", "-t", "b",
		       "p");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert(cfg.flag);
	cr_assert_eq(cfg.num, 42);
	cr_assert_str_eq(cfg.str, "v");
	cr_assert_eq(cfg.color, 2);
	cr_assert_eq(cfg.tags.n, 2);
	cr_assert_str_eq(cfg.tags.v[0], "a");
	cr_assert_str_eq(cfg.tags.v[1], "b");
	cr_assert_eq(cfg.pos.n, 1);
}

Test(cli, options_anywhere_and_double_dash)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "p1", "--flag", "--", "-n");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert(cfg.flag);
	cr_assert_eq(cfg.num, 7, "'-n' after '--' is an argument");
	cr_assert_eq(cfg.pos.n, 2);
	cr_assert_str_eq(cfg.pos.v[0], "p1");
	cr_assert_str_eq(cfg.pos.v[1], "-n");
}

Test(cli, value_starting_with_dash_is_taken)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "--str", "-x", "p");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_str_eq(cfg.str, "-x");
}

Test(cli, last_value_wins)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "--num", "3", "-n", "4", "--color", "red",
		       "--color", "blue", "p");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(cfg.num, 4);
	cr_assert_eq(cfg.color, 2);
}

Test(cli, uint_bounds)
{
	static const char *const bad[] = { "0",	   "101",	 "-3",
					   "+3",   "",		 "12abc",
					   "0x10", "4294967296", "99999999999999999999" };
	struct test_cli_cfg cfg;
	struct test_cli_out r;
	char line[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--num", (char *)bad[i]);
		snprintf(line, sizeof(line),
			 "ipop-bpf demo: invalid value '%s' for --num (expected 1..100)\n", bad[i]);
		test_cli_assert_einval(&r, line);
	}
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--num", "1");
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(cfg.num, 1);
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--num", "100");
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(cfg.num, 100);
}

Test(cli, uint_unbounded)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--count", "4294967296");
	test_cli_assert_einval(&r, "ipop-bpf demo: invalid value '4294967296' for --count "
				   "(expected an integer >= 0)\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--count", "-1");
	test_cli_assert_einval(
		&r, "ipop-bpf demo: invalid value '-1' for --count (expected an integer >= 0)\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--count", "0");
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(cfg.count, 0);
}

Test(cli, enum_invalid)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--color", "pink");
	test_cli_assert_einval(
		&r, "ipop-bpf demo: invalid value 'pink' for --color (expected red|green|blue)\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "-c", "RED");
	test_cli_assert_einval(
		&r, "ipop-bpf demo: invalid value 'RED' for --color (expected red|green|blue)\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--color=");
	test_cli_assert_einval(
		&r, "ipop-bpf demo: invalid value '' for --color (expected red|green|blue)\n");
}

Test(cli, string_empty)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--str", "");
	test_cli_assert_einval(&r, "ipop-bpf demo: empty value for --str\n");
}

Test(cli, list_limit)
{
	char *argv[2 + 2 * (CLI_LIST_MAX + 1) + 1];
	char vals[CLI_LIST_MAX + 1][16]; /* "v%d" of any int: -O1 cannot bound i */
	struct test_cli_cfg cfg;
	struct test_cli_out r;
	int n = 0;

	argv[n++] = "demo";
	argv[n++] = "p";
	for (int i = 0; i < CLI_LIST_MAX; i++) {
		snprintf(vals[i], sizeof(vals[i]), "v%d", i);
		argv[n++] = "-t";
		argv[n++] = vals[i];
	}
	argv[n] = NULL;
	test_cli_parse_v(&r, &test_cli_demo, &cfg, argv);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(cfg.tags.n, CLI_LIST_MAX);
	for (int i = 0; i < CLI_LIST_MAX; i++)
		cr_assert_str_eq(cfg.tags.v[i], vals[i]);

	argv[n++] = "--tag";
	argv[n++] = "one-too-many";
	argv[n] = NULL;
	test_cli_parse_v(&r, &test_cli_demo, &cfg, argv);
	test_cli_assert_einval(&r, "ipop-bpf demo: too many --tag (at most 16)\n");
}

Test(cli, unknown_options)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--bogus");
	test_cli_assert_einval(
		&r, "ipop-bpf demo: unknown option '--bogus' (see 'ipop-bpf demo --help')\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--bogus=3");
	test_cli_assert_einval(
		&r, "ipop-bpf demo: unknown option '--bogus=3' (see 'ipop-bpf demo --help')\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "-x");
	test_cli_assert_einval(&r,
			       "ipop-bpf demo: unknown option '-x' (see 'ipop-bpf demo --help')\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "-fq");
	test_cli_assert_einval(&r,
			       "ipop-bpf demo: unknown option '-q' (see 'ipop-bpf demo --help')\n");
}

/*
 * A flag given a value: getopt sets optopt to the option's val (1000 + index
 * here, 'h' for --help), which used to be printed as a character: a stray
 * byte, and invalid UTF-8 in the JSON error.
 */
Test(cli, flag_given_a_value)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--flag=1");
	test_cli_assert_einval(&r, "ipop-bpf demo: option '--flag=1' takes no value\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--help=yes");
	test_cli_assert_einval(&r, "ipop-bpf demo: option '--help=yes' takes no value\n");
}

Test(cli, missing_value)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--str");
	test_cli_assert_einval(&r, "ipop-bpf demo: option '--str' needs a value\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "-n");
	test_cli_assert_einval(&r, "ipop-bpf demo: option '-n' needs a value\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "p", "--color");
	test_cli_assert_einval(&r, "ipop-bpf demo: option '--color' needs a value\n");
}

Test(cli, positional_bounds)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse_v(&r, &test_cli_demo, &cfg, (char *[]){ "demo", NULL });
	test_cli_assert_einval(&r, "ipop-bpf demo: missing A [B] (see 'ipop-bpf demo --help')\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "--flag");
	test_cli_assert_einval(&r, "ipop-bpf demo: missing A [B] (see 'ipop-bpf demo --help')\n");
	test_cli_parse(&r, &test_cli_demo, &cfg, "a", "b", "c");
	test_cli_assert_einval(
		&r, "ipop-bpf demo: unexpected argument 'c' (see 'ipop-bpf demo --help')\n");
	test_cli_parse(&r, &test_cli_nopos, &cfg, "x");
	test_cli_assert_einval(
		&r, "ipop-bpf nopos: unexpected argument 'x' (see 'ipop-bpf nopos --help')\n");
	test_cli_parse_v(&r, &test_cli_nopos, &cfg, (char *[]){ "nopos", NULL });
	cr_assert_eq(r.rc, 0, "%s", r.err);
}

/* max_pos -1 means "any" (cli.h); it used to reject every argument. */
Test(cli, positional_any)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse_v(&r, &test_cli_anypos, &cfg, (char *[]){ "anypos", NULL });
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(cfg.pos.n, 0);
	test_cli_parse(&r, &test_cli_anypos, &cfg, "a", "b", "c", "-f");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(cfg.pos.n, 3);
	cr_assert_str_eq(cfg.pos.v[2], "c");
	cr_assert(cfg.flag);
}

Test(cli, positional_any_capped)
{
	char *argv[CLI_POS_MAX + 3];
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	argv[0] = "anypos";
	for (int i = 1; i <= CLI_POS_MAX + 1; i++)
		argv[i] = i == CLI_POS_MAX + 1 ? "overflow" : "x";
	argv[CLI_POS_MAX + 2] = NULL;
	test_cli_parse_v(&r, &test_cli_anypos, &cfg, argv);
	test_cli_assert_einval(
		&r,
		"ipop-bpf anypos: unexpected argument 'overflow' (see 'ipop-bpf anypos --help')\n");
}

Test(cli, help_text)
{
	static const char want[] = "Usage: ipop-bpf demo A [B] [options]\n"
				   "\n"
				   "A command for the tests\n"
				   "\n"
				   "Options:\n"
				   "  -f, --flag                     a flag\n"
				   "  -s, --str TEXT                 a string\n"
				   "  -n, --num N                    a bounded number\n"
				   "      --count C                  an unbounded number\n"
				   "  -c, --color red|green|blue     a choice\n"
				   "  -t, --tag TAG                  repeatable\n"
				   "  -j, --json                     print JSON\n"
				   "  -h, --help                     show this help\n";
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "--help");
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.out, want);
	cr_assert_str_empty(r.err);
	/* -h wins over a missing positional and comes before later bad words */
	test_cli_parse(&r, &test_cli_demo, &cfg, "-h", "--bogus");
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.out, want);
	cr_assert_str_empty(r.err);
}

Test(cli, help_text_without_args)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_nopos, &cfg, "--help");
	cr_assert_eq(r.rc, 1);
	cr_assert(!strncmp(r.out, "Usage: ipop-bpf nopos [options]\n", 32), "%s", r.out);
}

Test(cli, reparse_starts_fresh)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "a", "b", "--flag", "-n", "9", "-t", "x");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	test_cli_parse(&r, &test_cli_demo, &cfg, "--num", "0", "z");
	cr_assert_eq(r.rc, -EINVAL);
	test_cli_parse(&r, &test_cli_demo, &cfg, "c");
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_not(cfg.flag);
	cr_assert_eq(cfg.num, 7);
	cr_assert_eq(cfg.tags.n, 0);
	cr_assert_eq(cfg.pos.n, 1);
	cr_assert_str_eq(cfg.pos.v[0], "c");
}

Test(cli, json_flag_sets_global_and_errors_go_to_stdout)
{
	struct test_cli_cfg cfg;
	struct test_cli_out r;
	json_error_t jerr;
	json_t *j;

	test_cli_parse(&r, &test_cli_demo, &cfg, "--json", "p", "--num", "0");
	cr_assert(cli_json);
	cr_assert(cfg.json);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert_str_empty(r.err);
	cr_assert_str_eq(r.out, "{\"error\": \"invalid value '0' for --num (expected 1..100)\"}\n");
	j = json_loads(r.out, 0, &jerr);
	cr_assert(j, "not JSON: %s", jerr.text);
	cr_assert_str_eq(json_string_value(json_object_get(j, "error")),
			 "invalid value '0' for --num (expected 1..100)");
	json_decref(j);
}

Test(cli, err_plain_names_command)
{
	struct test_cli_cfg cfg;
	struct test_cli_cap c;
	struct test_cli_out r;

	test_cli_parse(&r, &test_cli_demo, &cfg, "p");
	test_cli_cap_begin(&c);
	r.rc = cli_err("broke %d thing%s", 2, "s");
	test_cli_cap_end(&c, &r);
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.err, "ipop-bpf demo: broke 2 things\n");
	cr_assert_str_empty(r.out);
}

Test(cli, err_json_escapes)
{
	struct test_cli_cap c;
	struct test_cli_out r;
	json_error_t jerr;
	json_t *j;

	cli_json = true;
	test_cli_cap_begin(&c);
	r.rc = cli_err("q\"b\\n\nt\tc\x01 %s", "'x'");
	test_cli_cap_end(&c, &r);
	cr_assert_eq(r.rc, 1);
	cr_assert_str_empty(r.err);
	cr_assert_str_eq(r.out, "{\"error\": \"q\\\"b\\\\n\\u000at\\u0009c\\u0001 'x'\"}\n");
	j = json_loads(r.out, 0, &jerr);
	cr_assert(j, "not JSON: %s", jerr.text);
	cr_assert_str_eq(json_string_value(json_object_get(j, "error")), "q\"b\\n\nt\tc\x01 'x'");
	json_decref(j);
}

/* ---- the real commands, black-box -------------------------------------- */

Test(cli, find)
{
	cr_assert_eq(cli_find("load"), &cmd_load);
	cr_assert_eq(cli_find("unload"), &cmd_unload);
	cr_assert_eq(cli_find("status"), &cmd_status);
	cr_assert_eq(cli_find("flows"), &cmd_flows);
	cr_assert_null(cli_find("nope"));
	cr_assert_null(cli_find(""));
	cr_assert_null(cli_find("loa"));
}

Test(cli, main_no_command)
{
	struct test_cli_out r;

	test_cli_main_v(&r, (char *[]){ "ipop-bpf", NULL });
	cr_assert_eq(r.rc, 2);
	cr_assert_str_empty(r.out);
	cr_assert(!strncmp(r.err, "Usage: ipop-bpf COMMAND", 23), "%s", r.err);
	for (int i = 0; cli_commands[i]; i++)
		cr_assert(strstr(r.err, cli_commands[i]->name), "%s not listed",
			  cli_commands[i]->name);
}

Test(cli, main_help)
{
	static const char *const forms[] = { "--help", "-h", "help" };
	struct test_cli_out r;
	char line[256];

	for (size_t f = 0; f < 3; f++) {
		test_cli_main(&r, (char *)forms[f]);
		cr_assert_eq(r.rc, 0);
		cr_assert_str_empty(r.err);
		for (int i = 0; cli_commands[i]; i++) {
			snprintf(line, sizeof(line), "  %-10s %s\n", cli_commands[i]->name,
				 cli_commands[i]->summary);
			cr_assert(strstr(r.out, line), "'%s' not in:\n%s", line, r.out);
		}
	}
}

Test(cli, main_version)
{
	struct test_cli_out r;

	test_cli_main(&r, "--version");
	cr_assert_eq(r.rc, 0);
	cr_assert_str_eq(r.out, "ipop-bpf " IPOP_VERSION "\n");
	test_cli_main(&r, "version");
	cr_assert_str_eq(r.out, "ipop-bpf " IPOP_VERSION "\n");
}

Test(cli, main_unknown_command)
{
	struct test_cli_out r;

	test_cli_main(&r, "frobnicate", "--json");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-bpf: unknown command 'frobnicate' (see 'ipop-bpf --help')\n");
	cr_assert_str_empty(r.out);
}

/* Every command's --help lists every option of its table, exit 0. */
Test(cli, main_command_help_lists_every_option)
{
	struct test_cli_out r;
	char want[256];

	for (int i = 0; cli_commands[i]; i++) {
		const struct cli_cmd *cmd = cli_commands[i];

		test_cli_main(&r, (char *)cmd->name, "--help");
		cr_assert_eq(r.rc, 0, "%s --help", cmd->name);
		cr_assert_str_empty(r.err);
		snprintf(want, sizeof(want), "Usage: ipop-bpf %s", cmd->name);
		cr_assert(!strncmp(r.out, want, strlen(want)), "%s", r.out);
		cr_assert(strstr(r.out, cmd->summary));
		cr_assert(strstr(r.out, "-h, --help"));
		for (const struct cli_opt *o = cmd->opts; o->name; o++) {
			if (o->short_name)
				snprintf(want, sizeof(want), "  -%c, --%s", o->short_name, o->name);
			else
				snprintf(want, sizeof(want), "      --%s", o->name);
			cr_assert(strstr(r.out, want), "%s --help lacks '%s':\n%s", cmd->name, want,
				  r.out);
			cr_assert(strstr(r.out, o->help), "%s --help lacks help of --%s", cmd->name,
				  o->name);
		}
	}
}

Test(cli, load_missing_ifname)
{
	struct test_cli_out r;

	test_cli_main(&r, "load");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-bpf load: missing IFNAME (see 'ipop-bpf load --help')\n");
	cr_assert_str_empty(r.out);
}

Test(cli, load_bad_mode)
{
	struct test_cli_out r;

	test_cli_main(&r, "load", "eth0", "--mode", "bogus");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(
		r.err,
		"ipop-bpf load: invalid value 'bogus' for --mode (expected auto|native|skb)\n");
	cr_assert_str_empty(r.out);
}

Test(cli, load_bad_hook)
{
	struct test_cli_out r;

	test_cli_main(&r, "load", "eth0", "--ingress-hook", "tcx");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(
		r.err,
		"ipop-bpf load: invalid value 'tcx' for --ingress-hook (expected auto|xdp|tc)\n");
}

Test(cli, load_bad_flow_entries)
{
	struct test_cli_out r;

	test_cli_main(&r, "load", "eth0", "--flow-entries", "0");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(
		r.err,
		"ipop-bpf load: invalid value '0' for --flow-entries (expected 1..67108864)\n");
	test_cli_main(&r, "load", "eth0", "--flow-entries", "67108865");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-bpf load: invalid value '67108865' for --flow-entries "
				"(expected 1..67108864)\n");
}

Test(cli, load_two_interfaces)
{
	struct test_cli_out r;

	test_cli_main(&r, "load", "eth0", "eth1");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(
		r.err, "ipop-bpf load: unexpected argument 'eth1' (see 'ipop-bpf load --help')\n");
}

Test(cli, load_json_is_not_an_option)
{
	struct test_cli_out r;

	test_cli_main(&r, "load", "eth0", "--json");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err,
			 "ipop-bpf load: unknown option '--json' (see 'ipop-bpf load --help')\n");
	cr_assert_str_empty(r.out);
}

/* Fails on the name, before it needs root, and leaves no pin directory. */
Test(cli, load_unknown_interface)
{
	char dir[64];
	struct test_cli_out r;
	struct stat st;

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/test_cli_%d", (int)getpid());
	test_cli_main(&r, "load", "nosuchif0", "--pin-path", dir);
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.err, "ipop-bpf load: unknown interface 'nosuchif0'\n");
	cr_assert_str_empty(r.out);
	cr_assert_neq(stat(dir, &st), 0, "%s was created", dir);
}

Test(cli, load_parse_error_changes_nothing)
{
	char dir[64];
	struct test_cli_out r;
	struct stat st;

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/test_cli_%d", (int)getpid());
	test_cli_main(&r, "load", "lo", "--pin-path", dir, "--mode", "bogus");
	cr_assert_eq(r.rc, 2);
	cr_assert_neq(stat(dir, &st), 0, "%s was created", dir);
}

Test(cli, unload_needs_ifname_or_all)
{
	struct test_cli_out r;

	test_cli_main(&r, "unload");
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.err, "ipop-bpf unload: give either IFNAME or --all\n");
	test_cli_main(&r, "unload", "lo", "--all");
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.err, "ipop-bpf unload: give either IFNAME or --all\n");
	cr_assert_str_empty(r.out);
}

Test(cli, status_unknown_interface)
{
	struct test_cli_out r;

	test_cli_main(&r, "status", "nosuchif0");
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.err, "ipop-bpf status: unknown interface 'nosuchif0'\n");
	cr_assert_str_empty(r.out);
}

Test(cli, status_unknown_interface_json)
{
	struct test_cli_out r;

	test_cli_main(&r, "status", "--json", "nosuchif0");
	cr_assert_eq(r.rc, 1);
	cr_assert_str_empty(r.err);
	cr_assert_str_eq(r.out, "{\"error\": \"unknown interface 'nosuchif0'\"}\n");
}

Test(cli, flows_negative_limit)
{
	struct test_cli_out r;

	test_cli_main(&r, "flows", "--limit", "-3");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(
		r.err,
		"ipop-bpf flows: invalid value '-3' for --limit (expected an integer >= 0)\n");
	cr_assert_str_empty(r.out);
}

Test(cli, flows_negative_limit_json)
{
	struct test_cli_out r;

	test_cli_main(&r, "flows", "-j", "-n", "-3");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_empty(r.err);
	cr_assert_str_eq(
		r.out,
		"{\"error\": \"invalid value '-3' for --limit (expected an integer >= 0)\"}\n");
}

Test(cli, flows_unknown_option)
{
	struct test_cli_out r;

	test_cli_main(&r, "flows", "--bogus");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(
		r.err, "ipop-bpf flows: unknown option '--bogus' (see 'ipop-bpf flows --help')\n");
	test_cli_main(&r, "flows", "--json=1");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-bpf flows: option '--json=1' takes no value\n");
}

Test(cli, flows_bad_sort_and_args)
{
	struct test_cli_out r;

	test_cli_main(&r, "flows", "--sort", "size");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(
		r.err,
		"ipop-bpf flows: invalid value 'size' for --sort (expected bytes|packets)\n");
	test_cli_main(&r, "flows", "eth0");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(
		r.err,
		"ipop-bpf flows: unexpected argument 'eth0' (see 'ipop-bpf flows --help')\n");
	test_cli_main(&r, "flows", "--limit");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-bpf flows: option '--limit' needs a value\n");
	test_cli_main(&r, "flows", "--pin-path", "");
	cr_assert_eq(r.rc, 2);
	cr_assert_str_eq(r.err, "ipop-bpf flows: empty value for --pin-path\n");
}

Test(cli, flows_not_loaded)
{
	struct test_cli_out r;

	test_cli_main(&r, "flows", "--pin-path", "/nonexistent/ipop");
	cr_assert_eq(r.rc, 1);
	cr_assert_str_eq(r.err, "ipop-bpf flows: cannot open /nonexistent/ipop/flows: No such "
				"file or directory (is ipop-bpf loaded? see 'ipop-bpf load')\n");
	cr_assert_str_empty(r.out);
	test_cli_main(&r, "flows", "--json", "--pin-path", "/nonexistent/ipop");
	cr_assert_eq(r.rc, 1);
	cr_assert_str_empty(r.err);
	cr_assert_str_eq(r.out, "{\"error\": \"cannot open /nonexistent/ipop/flows: No such "
				"file or directory (is ipop-bpf loaded? see 'ipop-bpf load')\"}\n");
}
