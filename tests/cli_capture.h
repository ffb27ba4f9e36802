/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Tests: run `ipop-bpf WORDS...` (or cli_parse) in-process with stdout and stderr captured. */
#ifndef IPOP_TESTS_CLI_CAPTURE_H
#define IPOP_TESTS_CLI_CAPTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* ---- capture ---------------------------------------------------------- */

struct test_cli_out {
	int rc;
	char out[16384];
	char err[16384];
};

struct test_cli_cap {
	FILE *fo, *fe;
	int so, se;
};

static inline void test_cli_cap_begin(struct test_cli_cap *c)
{
	fflush(stdout);
	fflush(stderr);
	c->fo = tmpfile();
	c->fe = tmpfile();
	cr_assert(c->fo && c->fe, "tmpfile: %s", strerror(errno));
	c->so = dup(STDOUT_FILENO);
	c->se = dup(STDERR_FILENO);
	cr_assert(c->so >= 0 && c->se >= 0);
	cr_assert(dup2(fileno(c->fo), STDOUT_FILENO) >= 0);
	cr_assert(dup2(fileno(c->fe), STDERR_FILENO) >= 0);
}

static inline void test_cli_slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

static inline void test_cli_cap_end(struct test_cli_cap *c, struct test_cli_out *r)
{
	fflush(stdout);
	fflush(stderr);
	dup2(c->so, STDOUT_FILENO);
	dup2(c->se, STDERR_FILENO);
	close(c->so);
	close(c->se);
	test_cli_slurp(c->fo, r->out, sizeof(r->out));
	test_cli_slurp(c->fe, r->err, sizeof(r->err));
}

static inline int test_cli_argc(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

/* `ipop-bpf WORDS...` through cli_main, output captured. */
static inline void test_cli_main_v(struct test_cli_out *r, char **argv)
{
	struct test_cli_cap c;

	test_cli_cap_begin(&c);
	r->rc = cli_main(test_cli_argc(argv), argv);
	test_cli_cap_end(&c, r);
}
#define test_cli_main(r, ...) test_cli_main_v(r, (char *[]){ "ipop-bpf", __VA_ARGS__, NULL })

/* cli_parse(cmd, WORDS...) into cfg, output captured. */
static inline void test_cli_parse_v(struct test_cli_out *r, const struct cli_cmd *cmd, void *cfg,
				    char **argv)
{
	struct test_cli_cap c;

	test_cli_cap_begin(&c);
	r->rc = cli_parse(cmd, test_cli_argc(argv), argv, cfg);
	test_cli_cap_end(&c, r);
}
#define test_cli_parse(r, cmd, cfg, ...) \
	test_cli_parse_v(r, cmd, cfg, (char *[]){ (char *)(cmd)->name, __VA_ARGS__, NULL })

#endif /* IPOP_TESTS_CLI_CAPTURE_H */
