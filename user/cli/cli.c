// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Table-driven command line: options, validation and --help from one table. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"

bool cli_json;
static const char *cli_cmd_name;

static const struct cli_prog ipop_bpf_prog = {
	.name = "ipop-bpf",
	.version = IPOP_VERSION,
	.cmds = cli_commands,
};
static const struct cli_prog *cli_prog = &ipop_bpf_prog;

int cli_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cli_json) {
		/* minimal escaping: messages are ours, but may quote user input */
		fputs("{\"error\": \"", stdout);
		for (const char *p = msg; *p; p++) {
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if ((unsigned char)*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
		fputs("\"}\n", stdout);
	} else {
		fprintf(stderr, "%s%s%s: %s\n", cli_prog->name, cli_cmd_name ? " " : "",
			cli_cmd_name ? cli_cmd_name : "", msg);
	}
	return 1;
}

int cli_fail(int ret, const char *msg)
{
	if (ret >= 0)
		return 0;
	return msg && msg[0] ? cli_err("%s", msg) : cli_err("%s", strerror(-ret));
}

static void enum_list(const struct cli_opt *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; o->enum_names[i] && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? "|" : "", o->enum_names[i]);
}

static void opt_synopsis(const struct cli_opt *o, char *buf, size_t len)
{
	char arg[128] = "";

	if (o->type == OPT_ENUM) {
		arg[0] = ' ';
		enum_list(o, arg + 1, sizeof(arg) - 1);
	} else if (o->type != OPT_FLAG) {
		snprintf(arg, sizeof(arg), " %s", o->metavar ? o->metavar : "VALUE");
	}
	if (o->short_name)
		snprintf(buf, len, "-%c, --%s%s", o->short_name, o->name, arg);
	else
		snprintf(buf, len, "    --%s%s", o->name, arg);
}

void cli_usage(const struct cli_cmd *cmd, FILE *out)
{
	char syn[192];

	fprintf(out, "Usage: %s %s%s%s [options]\n\n%s\n\nOptions:\n", cli_prog->name, cmd->name,
		cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary);
	for (const struct cli_opt *o = cmd->opts; o && o->name; o++) {
		opt_synopsis(o, syn, sizeof(syn));
		fprintf(out, "  %-30s %s\n", syn, o->help);
	}
	fprintf(out, "  %-30s %s\n", "-h, --help", "show this help");
	if (cmd->help)
		fprintf(out, "\n%s", cmd->help);
}

static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int set_num(const struct cli_opt *o, const char *arg, void *field)
{
	uint64_t u;
	double d;
	char *end;

	if (o->type == OPT_DOUBLE) {
		d = strtod(arg, &end);
		if (end == arg || *end || !(d >= o->dmin && d <= o->dmax)) {
			cli_err("invalid value '%s' for --%s (expected %g..%g)", arg, o->name,
				o->dmin, o->dmax);
			return -EINVAL;
		}
		*(double *)field = d;
		return 0;
	}
	if (parse_u64(arg, &u) || u < o->min || (o->max && u > o->max) ||
	    (o->type == OPT_UINT && u > UINT_MAX)) {
		if (o->max)
			cli_err("invalid value '%s' for --%s (expected %llu..%llu)", arg, o->name,
				(unsigned long long)o->min, (unsigned long long)o->max);
		else
			cli_err("invalid value '%s' for --%s (expected an integer >= %llu)", arg,
				o->name, (unsigned long long)o->min);
		return -EINVAL;
	}
	if (o->type == OPT_UINT)
		*(unsigned int *)field = (unsigned int)u;
	else
		*(uint64_t *)field = u;
	return 0;
}

static int set_opt(const struct cli_opt *o, const char *arg, void *cfg)
{
	char *field = (char *)cfg + o->offset;
	char list[128];

	switch (o->type) {
	case OPT_FLAG:
		*(bool *)field = true;
		if (!strcmp(o->name, "json"))
			cli_json = true;
		return 0;
	case OPT_STRING:
		if (!*arg)
			return cli_err("empty value for --%s", o->name), -EINVAL;
		*(const char **)field = arg;
		return 0;
	case OPT_UINT:
	case OPT_U64:
	case OPT_DOUBLE:
		return set_num(o, arg, field);
	case OPT_ENUM:
		for (int i = 0; o->enum_names[i]; i++) {
			if (!strcmp(arg, o->enum_names[i])) {
				*(int *)field = i;
				return 0;
			}
		}
		enum_list(o, list, sizeof(list));
		cli_err("invalid value '%s' for --%s (expected %s)", arg, o->name, list);
		return -EINVAL;
	case OPT_LIST: {
		struct cli_list *l = (struct cli_list *)field;

		if (l->n >= CLI_LIST_MAX)
			return cli_err("too many --%s (at most %d)", o->name, CLI_LIST_MAX),
			       -EINVAL;
		l->v[l->n++] = arg;
		return 0;
	}
	}
	return -EINVAL;
}

#define CLI_OPTS_MAX 40

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, void *cfg)
{
	struct option lo[CLI_OPTS_MAX + 2];
	char so[CLI_OPTS_MAX * 2 + 4] = ":h";
	struct cli_pos *pos = NULL;
	int n = 0, c, idx;
	size_t sl = 2;

	cli_cmd_name = cmd->name;
	memset(cfg, 0, cmd->cfg_size);
	if (cmd->defaults)
		cmd->defaults(cfg);
	if (cmd->max_pos)
		pos = (struct cli_pos *)((char *)cfg + cmd->pos_offset);
	for (const struct cli_opt *o = cmd->opts; o && o->name && n < CLI_OPTS_MAX; o++, n++) {
		lo[n] = (struct option){ o->name,
					 o->type == OPT_FLAG ? no_argument : required_argument,
					 NULL, 1000 + n };
		if (o->short_name) {
			so[sl++] = o->short_name;
			if (o->type != OPT_FLAG)
				so[sl++] = ':';
		}
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	so[sl] = 0;

	/* errors before --json is reached are JSON too: look for it first */
	for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
		if (!strcmp(o->name, "json"))
			for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
				if (!strcmp(argv[i], "--json") ||
				    (o->short_name && argv[i][0] == '-' &&
				     argv[i][1] == o->short_name && !argv[i][2]))
					cli_json = true;
	optind = 0; /* full reset: cli_parse may run more than once per process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, &idx)) != -1) {
		const struct cli_opt *o = NULL;

		if (c == 'h') {
			cli_usage(cmd, stdout);
			return 1;
		}
		if (c == '?') {
			if (optopt >= 1000 || optopt == 'h') /* a long flag given =VALUE */
				cli_err("option '%s' takes no value", argv[optind - 1]);
			else if (optopt)
				cli_err("unknown option '-%c' (see '%s %s --help')", optopt,
					cli_prog->name, cmd->name);
			else
				cli_err("unknown option '%s' (see '%s %s --help')",
					argv[optind - 1], cli_prog->name, cmd->name);
			return -EINVAL;
		}
		if (c == ':') {
			cli_err("option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		}
		if (c >= 1000) {
			o = &cmd->opts[c - 1000];
		} else {
			for (const struct cli_opt *p = cmd->opts; p && p->name; p++)
				if (p->short_name == c)
					o = p;
		}
		if (!o || set_opt(o, optarg, cfg))
			return -EINVAL;
	}
	for (; optind < argc; optind++) {
		if (!pos || (cmd->max_pos >= 0 && pos->n >= cmd->max_pos) ||
		    pos->n >= CLI_POS_MAX) {
			cli_err("unexpected argument '%s' (see '%s %s --help')", argv[optind],
				cli_prog->name, cmd->name);
			return -EINVAL;
		}
		pos->v[pos->n++] = argv[optind];
	}
	if ((pos ? pos->n : 0) < cmd->min_pos) {
		cli_err("missing %s (see '%s %s --help')", cmd->args, cli_prog->name, cmd->name);
		return -EINVAL;
	}
	return 0;
}

static void main_usage(FILE *out)
{
	const struct cli_cmd *const *cmds = cli_prog->cmds;

	fprintf(out, "Usage: %s COMMAND [options]\n\n", cli_prog->name);
	if (cli_prog->summary)
		fprintf(out, "%s\n\n", cli_prog->summary);
	fprintf(out, "Commands:\n");
	for (int i = 0; cmds[i]; i++)
		fprintf(out, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(out, "\n'%s COMMAND --help' shows a command's options.\n", cli_prog->name);
}

static const struct cli_cmd *prog_find(const struct cli_prog *p, const char *name)
{
	for (int i = 0; p->cmds[i]; i++)
		if (!strcmp(p->cmds[i]->name, name))
			return p->cmds[i];
	return NULL;
}

const struct cli_cmd *cli_find(const char *name)
{
	return prog_find(&ipop_bpf_prog, name);
}

static int run_cmd(const struct cli_cmd *cmd, int argc, char **argv)
{
	void *cfg = calloc(1, cmd->cfg_size);
	int err;

	if (!cfg)
		return cli_err("out of memory");
	err = cli_parse(cmd, argc, argv, cfg);
	if (err) {
		free(cfg);
		return err > 0 ? 0 : 2;
	}
	err = cmd->run(cfg);
	free(cfg);
	return err;
}

int cli_main_prog(const struct cli_prog *prog, int argc, char **argv)
{
	const struct cli_cmd *cmd;

	cli_prog = prog;
	cli_cmd_name = NULL;
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		main_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("%s %s\n", prog->name, prog->version);
		return 0;
	}
	if (argv[1][0] == '-' && prog->default_cmd)
		return run_cmd(prog->default_cmd, argc, argv);
	cmd = prog_find(prog, argv[1]);
	if (!cmd) {
		fprintf(stderr, "%s: unknown command '%s' (see '%s --help')\n", prog->name, argv[1],
			prog->name);
		return 2;
	}
	return run_cmd(cmd, argc - 1, argv + 1);
}

int cli_main(int argc, char **argv)
{
	return cli_main_prog(&ipop_bpf_prog, argc, argv);
}
