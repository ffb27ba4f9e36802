/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Test identity for daemon configs: a CA, a node key and its certificate in
 * a fresh directory (cfgt_setup / cfgt_cleanup), and a config writer
 * (cfgt_write). Header-only: included by the live and unit tests that start
 * or load a daemon config.
 */
#ifndef IPOP_TESTS_LIVECFG_H
#define IPOP_TESTS_LIVECFG_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cert.h"
#include "core/id.h"
#include "core/ident.h"
#include "daemon/keyfile.h"

#define CFGT_ID "\"node_id\": \"@ID@\""

static char cfgt_dir[64];

static char cfgt_id[ID_HEX_LEN + 1];

/* A fresh directory with a CA, a node key and its certificate, removed by cfgt_cleanup. */
static void cfgt_setup(void)
{
	struct ident ca, k;
	struct cert *c = calloc(1, sizeof(*c));
	char path[128], err[256];

	cr_assert_not_null(c);
	snprintf(cfgt_dir, sizeof(cfgt_dir), "/tmp/ipop-cfgt.%d", (int)getpid());
	mkdir(cfgt_dir, 0700);
	cr_assert_eq(ident_generate(&ca), 0);
	cr_assert_eq(ident_generate(&k), 0);
	snprintf(path, sizeof(path), "%s/ca", cfgt_dir);
	cr_assert_eq(keyfile_write_pair(path, &ca, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/key", cfgt_dir);
	cr_assert_eq(keyfile_write_pair(path, &k, err, sizeof(err)), 0, "%s", err);
	memcpy(c->node_pub, k.pub, IDENT_PUB_LEN);
	strcpy(c->name, "cfgt");
	c->not_after = (uint64_t)time(NULL) + 3600;
	cr_assert_gt(cert_issue(c, &ca, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/crt", cfgt_dir);
	cr_assert_eq(keyfile_write_cert(path, c, err, sizeof(err)), 0, "%s", err);
	id_fmt(c->id.b, cfgt_id);
	ident_wipe(&ca);
	ident_wipe(&k);
	free(c);
}

static void cfgt_cleanup(void)
{
	static const char *const files[] = { "key", "key.pub", "ca", "ca.pub", "crt", "cfg.json" };
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cfgt_dir, files[i]);
		unlink(path);
	}
	rmdir(cfgt_dir);
}

/* Write a config: the identity keys, then body with every @ID@ replaced by the node's ID. */
static void cfgt_write(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fprintf(f,
		"{\"key_file\": \"%s/key\", \"cert_file\": \"%s/crt\", "
		"\"ca_files\": [\"%s/ca.pub\"], ",
		cfgt_dir, cfgt_dir, cfgt_dir);
	for (const char *p = body; *p; p++) {
		if (!strncmp(p, "@ID@", 4)) {
			fputs(cfgt_id, f);
			p += 3;
		} else {
			fputc(*p, f);
		}
	}
	fputs("}", f);
	fclose(f);
}

#endif /* IPOP_TESTS_LIVECFG_H */
