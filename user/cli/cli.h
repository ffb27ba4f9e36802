/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The command line is a table: each subcommand names its options, their
 * types and where they land in the subcommand's config struct. Parsing,
 * validation and --help come from the table.
 */
#ifndef IPOP_CLI_H
#define IPOP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_type {
	OPT_FLAG,   /* bool */
	OPT_STRING, /* const char * */
	OPT_UINT,   /* unsigned int, decimal */
	OPT_ENUM,   /* int: index into enum_names */
	OPT_LIST,   /* struct cli_list: repeatable string */
	OPT_U64,    /* uint64_t, decimal, in [min, max] (max 0 = none) */
	OPT_DOUBLE, /* double, in [dmin, dmax] */
};

#define CLI_LIST_MAX 16
struct cli_list {
	int n;
	const char *v[CLI_LIST_MAX];
};

struct cli_opt {
	const char *name; /* long name, without -- */
	char short_name;  /* 0 for none */
	enum opt_type type;
	size_t offset; /* into the command's config struct */
	const char *metavar;
	const char *help;
	const char *const *enum_names; /* OPT_ENUM: NULL-terminated */
	uint64_t min, max;	       /* OPT_UINT, OPT_U64 bounds (max 0 = none) */
	double dmin, dmax;	       /* OPT_DOUBLE bounds */
};

struct cli_cmd {
	const char *name;
	const char *summary;
	const char *args;	    /* positional synopsis, e.g. "IFNAME" */
	int min_pos, max_pos;	    /* positional argument count bounds (max -1 = any) */
	size_t pos_offset;	    /* where struct cli_pos lands in the config */
	const struct cli_opt *opts; /* terminated by { .name = NULL } */
	size_t cfg_size;
	void (*defaults)(void *cfg);
	int (*run)(void *cfg);
	const char *help; /* optional: more text for --help, after the options */
};

#define CLI_POS_MAX 32
struct cli_pos {
	int n;
	const char *v[CLI_POS_MAX];
};

#define CLI_OPT_FLAG(n, s, st, f, h)                                       \
	{                                                                  \
		n, s, OPT_FLAG, offsetof(st, f), NULL, h, NULL, 0, 0, 0, 0 \
	}
#define CLI_OPT_STR(n, s, st, f, m, h)                                    \
	{                                                                 \
		n, s, OPT_STRING, offsetof(st, f), m, h, NULL, 0, 0, 0, 0 \
	}
#define CLI_OPT_UINT(n, s, st, f, m, h, lo, hi)                           \
	{                                                                 \
		n, s, OPT_UINT, offsetof(st, f), m, h, NULL, lo, hi, 0, 0 \
	}
#define CLI_OPT_ENUM(n, s, st, f, names, h)                                 \
	{                                                                   \
		n, s, OPT_ENUM, offsetof(st, f), NULL, h, names, 0, 0, 0, 0 \
	}
#define CLI_OPT_LIST(n, s, st, f, m, h)                                 \
	{                                                               \
		n, s, OPT_LIST, offsetof(st, f), m, h, NULL, 0, 0, 0, 0 \
	}
#define CLI_OPT_U64(n, s, st, f, m, h, lo, hi)                           \
	{                                                                \
		n, s, OPT_U64, offsetof(st, f), m, h, NULL, lo, hi, 0, 0 \
	}
#define CLI_OPT_DOUBLE(n, s, st, f, m, h, lo, hi)                           \
	{                                                                   \
		n, s, OPT_DOUBLE, offsetof(st, f), m, h, NULL, 0, 0, lo, hi \
	}
#define CLI_OPT_END                                         \
	{                                                   \
		NULL, 0, 0, 0, NULL, NULL, NULL, 0, 0, 0, 0 \
	}

/*
 * Parse argv (argv[0] is the subcommand name) into cfg, which the caller
 * sized as cmd->cfg_size. Returns 0, 1 if --help was printed, or -EINVAL
 * after printing one line naming the bad word to stderr.
 */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, void *cfg);
void cli_usage(const struct cli_cmd *cmd, FILE *out);

/* Global state every command may read: set by cli_parse from -j/--json. */
extern bool cli_json;

/* A program: its name (in messages and --help), version, and command table. */
struct cli_prog {
	const char *name;
	const char *version;
	const char *summary;		   /* optional: a line under the usage in --help */
	const struct cli_cmd *const *cmds; /* NULL-terminated */
	/* optional: run when argv[1] is an option, not a command (older invocations) */
	const struct cli_cmd *default_cmd;
};

/* Entry point of ipop-bpf: dispatch argv[1] through the command table. */
int cli_main(int argc, char **argv);
/* The same for any program (ipop-sim). */
int cli_main_prog(const struct cli_prog *prog, int argc, char **argv);

/*
 * Report an error: one line on stderr, or {"error": "..."} on stdout in JSON
 * mode. Returns 1 (the exit code) so callers can `return cli_err(...)`.
 */
int cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Room for one error message filled by library code. */
#define CLI_MSG_MAX 512

/*
 * The exit code of a library call: 0 when ret >= 0; else report msg (or,
 * when the library left it empty, strerror(-ret)) with cli_err and return 1.
 */
int cli_fail(int ret, const char *msg);

#endif /* IPOP_CLI_H */
