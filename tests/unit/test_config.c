// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Module config: order, cycles, missing dependencies, unknown modules. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/keyfile.h"
#include "live/livecfg.h"
#include "core/node.h"

static int cfgt_load(const char *text, struct modcfg *mc, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	int ret;

	cr_assert_not_null(j, "bad test JSON: %s", jerr.text);
	ret = modcfg_load(j, mc, err, errlen);
	json_decref(j);
	return ret;
}

Test(config, dependencies_first)
{
	struct modcfg mc;
	char err[256] = "";

	cr_assert_eq(cfgt_load("{\"echo\": {\"dependencies\": [\"cmm\"]}, \"cmm\": {}}", &mc, err,
			       sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(mc.n, 2);
	cr_assert_str_eq(mc.ops[0]->name, "cmm");
	cr_assert_str_eq(mc.ops[1]->name, "echo");
}

Test(config, disabled_module_skipped)
{
	struct modcfg mc;
	char err[256] = "";

	cr_assert_eq(
		cfgt_load("{\"cmm\": {}, \"echo\": {\"enabled\": false}}", &mc, err, sizeof(err)),
		0);
	cr_assert_eq(mc.n, 1);
	cr_assert_str_eq(mc.ops[0]->name, "cmm");
}

Test(config, cycle_names_modules)
{
	struct modcfg mc;
	char err[256] = "";

	cr_assert_eq(cfgt_load("{\"cmm\": {\"dependencies\": [\"echo\"]},"
			       " \"echo\": {\"dependencies\": [\"cmm\"]}}",
			       &mc, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "cycle"), "%s", err);
	cr_assert(strstr(err, "cmm -> echo -> cmm"), "%s", err);
	cr_assert_eq(mc.n, 0);
}

Test(config, self_dependency_is_a_cycle)
{
	struct modcfg mc;
	char err[256] = "";

	cr_assert_eq(cfgt_load("{\"cmm\": {\"dependencies\": [\"cmm\"]}}", &mc, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "cycle: cmm -> cmm"), "%s", err);
}

static const struct module_ops cfgt_a = { .name = "ta" }, cfgt_b = { .name = "tb" },
			       cfgt_c = { .name = "tc" };

Test(config, three_cycle_with_registered_modules)
{
	struct modcfg mc;
	char err[256] = "";

	module_unregister_all_extra();
	cr_assert_eq(module_register(&cfgt_a), 0);
	cr_assert_eq(module_register(&cfgt_b), 0);
	cr_assert_eq(module_register(&cfgt_c), 0);
	cr_assert_eq(module_register(&cfgt_c), -EEXIST);
	cr_assert_eq(cfgt_load("{\"ta\": {\"dependencies\": [\"tb\"]},"
			       " \"tb\": {\"dependencies\": [\"tc\"]},"
			       " \"tc\": {\"dependencies\": [\"ta\"]}}",
			       &mc, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "ta -> tb -> tc -> ta"), "%s", err);
	module_unregister_all_extra();
}

Test(config, missing_dependency)
{
	struct modcfg mc;
	char err[256] = "";

	cr_assert_eq(cfgt_load("{\"echo\": {\"dependencies\": [\"cmm\"]}}", &mc, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "'echo' depends on 'cmm', which is not configured"), "%s", err);
	cr_assert_eq(cfgt_load("{\"echo\": {\"dependencies\": [\"cmm\"]},"
			       " \"cmm\": {\"enabled\": false}}",
			       &mc, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "which is disabled"), "%s", err);
}

Test(config, unknown_module)
{
	struct modcfg mc;
	char err[256] = "";

	cr_assert_eq(cfgt_load("{\"cmm\": {}, \"bogus\": {}}", &mc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "unknown module 'bogus'"), "%s", err);
}

Test(config, bad_types)
{
	struct modcfg mc;
	char err[256] = "";

	cr_assert_eq(cfgt_load("[]", &mc, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cfgt_load("{\"cmm\": 3}", &mc, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cfgt_load("{\"cmm\": {\"enabled\": \"yes\"}}", &mc, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "'enabled' must be a boolean"), "%s", err);
	cr_assert_eq(cfgt_load("{\"cmm\": {\"dependencies\": \"echo\"}}", &mc, err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(cfgt_load("{\"cmm\": {\"dependencies\": [1]}}", &mc, err, sizeof(err)),
		     -EINVAL);
}

/* ---- daemon config file ---- */

static int cfgt_daemon(const char *body, char *err, size_t errlen)
{
	char path[128];
	struct dconf c;
	int ret;

	snprintf(path, sizeof(path), "%s/cfg.json", cfgt_dir);
	cfgt_write(path, body);
	ret = dconf_load(path, &c, err, errlen);
	if (!ret) {
		char hex[ID_HEX_LEN + 1];

		id_fmt(c.id.b, hex);
		cr_assert_str_eq(hex, cfgt_id);
		cr_assert_eq(c.nca, 1);
		dconf_free(&c);
	}
	return ret;
}

#define CFGT_MOD "\"modules\": {\"cmm\": {}}"

Test(config, daemon_config_ok, .init = cfgt_setup, .fini = cfgt_cleanup)
{
	char err[256] = "";

	cr_assert_eq(cfgt_daemon(CFGT_ID
				 ", \"listen\": [\"127.0.0.1:5801\", \"[::1]:5801\"], "
				 "\"neighbours\": [{\"id\": \"0000000000000000000000000000a002\","
				 " \"address\": \"[::1]:5802\"}], " CFGT_MOD,
				 err, sizeof(err)),
		     0, "%s", err);
}

Test(config, daemon_config_errors, .init = cfgt_setup, .fini = cfgt_cleanup)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		{ "\"node_id\": \"xyz\", \"listen\": \"127.0.0.1:1\", " CFGT_MOD, "node_id" },
		{ CFGT_ID ", \"listen\": \"127.0.0.1\", " CFGT_MOD, "listen" },
		{ CFGT_ID ", \"listen\": \"127.0.0.1:70000\", " CFGT_MOD, "listen" },
		{ CFGT_ID ", \"listen\": \"[::1:5\", " CFGT_MOD, "listen" },
		{ CFGT_ID
		  ", \"listen\": \"127.0.0.1:1\", \"neighbours\": [{\"id\": \"00\"}], " CFGT_MOD,
		  "neighbours[0]" },
		{ CFGT_ID ", \"listen\": \"127.0.0.1:1\", \"neighbours\": [{\"id\": "
			  "\"@ID@\", \"address\": \"127.0.0.1:2\"}], " CFGT_MOD,
		  "own ID" },
		{ CFGT_ID ", \"listen\": \"127.0.0.1:1\", \"keepalive_ms\": 0, " CFGT_MOD,
		  "keepalive_ms" },
		{ CFGT_ID ", \"listen\": \"127.0.0.1:1\"", "'modules'" },
		{ CFGT_ID ", \"listen\": \"127.0.0.1:1\", \"modules\": {\"zz\": {}}",
		  "unknown module" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";

		cr_assert_eq(cfgt_daemon(cases[i].body, err, sizeof(err)), -EINVAL, "case %zu", i);
		cr_assert(strstr(err, cases[i].want), "case %zu: '%s'", i, err);
	}
}

Test(config, daemon_bad_key_file, .init = cfgt_setup, .fini = cfgt_cleanup)
{
	char err[256] = "", key[128];
	FILE *f;

	cr_assert_eq(
		cfgt_daemon(CFGT_ID ", \"listen\": \"127.0.0.1:1\", " CFGT_MOD, err, sizeof(err)),
		0, "%s", err);
	snprintf(key, sizeof(key), "%s/key", cfgt_dir);
	f = fopen(key, "w");
	fputs("0001020304\n", f);
	fclose(f);
	cr_assert_eq(
		cfgt_daemon(CFGT_ID ", \"listen\": \"127.0.0.1:1\", " CFGT_MOD, err, sizeof(err)),
		-EINVAL);
	cr_assert(strstr(err, "does not start with"), "%s", err);
	unlink(key);
	cr_assert_lt(
		cfgt_daemon(CFGT_ID ", \"listen\": \"127.0.0.1:1\", " CFGT_MOD, err, sizeof(err)),
		0);
	cr_assert(strstr(err, "key_file"), "%s", err);
}

Test(config, daemon_identity_errors, .init = cfgt_setup, .fini = cfgt_cleanup)
{
	char err[512] = "", path[128], cfg[128];
	struct ident k;
	struct dconf c;

	/* node_id other than the key's */
	cr_assert_eq(cfgt_daemon("\"node_id\": \"0000000000000000000000000000a001\", "
				 "\"listen\": \"127.0.0.1:1\", " CFGT_MOD,
				 err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, cfgt_id), "%s", err);
	/* no node_id: derived from the key */
	cr_assert_eq(cfgt_daemon("\"listen\": \"127.0.0.1:1\", " CFGT_MOD, err, sizeof(err)), 0,
		     "%s", err);
	/* a private key readable by others */
	snprintf(path, sizeof(path), "%s/key", cfgt_dir);
	chmod(path, 0640);
	cr_assert_eq(cfgt_daemon("\"listen\": \"127.0.0.1:1\", " CFGT_MOD, err, sizeof(err)),
		     -EPERM);
	cr_assert(strstr(err, "chmod 600"), "%s", err);
	chmod(path, 0600);
	/* a certificate of another key */
	unlink(path);
	snprintf(path, sizeof(path), "%s/key.pub", cfgt_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/key", cfgt_dir);
	cr_assert_eq(ident_generate(&k), 0);
	cr_assert_eq(keyfile_write_pair(path, &k, err, sizeof(err)), 0);
	cr_assert_eq(cfgt_daemon("\"listen\": \"127.0.0.1:1\", " CFGT_MOD, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "not the certificate of"), "%s", err);
	/* no CA list */
	snprintf(cfg, sizeof(cfg), "%s/cfg.json", cfgt_dir);
	{
		FILE *f = fopen(cfg, "w");

		fprintf(f,
			"{\"key_file\": \"%s/key\", \"cert_file\": \"%s/crt\", "
			"\"listen\": \"127.0.0.1:1\", \"modules\": {}}",
			cfgt_dir, cfgt_dir);
		fclose(f);
	}
	cr_assert_eq(dconf_load(cfg, &c, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "ca_files"), "%s", err);
}

/*
 * Key files are read into a buffer sized by fstat: a file of exactly the
 * limit (4096 bytes) is read whole, one byte more is refused, and a file
 * whose size fstat does not know (/proc) is read to its end all the same.
 */
Test(config, key_file_sizes, .init = cfgt_setup, .fini = cfgt_cleanup)
{
	char err[256] = "", path[128], text[4097];
	uint8_t pub[IDENT_PUB_LEN], want[IDENT_PUB_LEN];
	FILE *f;
	int n;

	for (int i = 0; i < IDENT_PUB_LEN; i++)
		want[i] = (uint8_t)(i * 7 + 1);
	n = snprintf(text, sizeof(text), "%s\n", KEYFILE_PUB_TAG);
	for (int i = 0; i < IDENT_PUB_LEN; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%02x", want[i]);
	memset(text + n, '\n', sizeof(text) - (size_t)n);
	snprintf(path, sizeof(path), "%s/big.pub", cfgt_dir);
	for (size_t len = 4095; len <= 4097; len++) {
		f = fopen(path, "w");
		cr_assert(f);
		cr_assert_eq(fwrite(text, 1, len, f), len);
		fclose(f);
		memset(pub, 0, sizeof(pub));
		if (len <= 4096) {
			cr_assert_eq(keyfile_read_public(path, pub, err, sizeof(err)), 0, "%zu: %s",
				     len, err);
			cr_assert_arr_eq(pub, want, sizeof(want));
		} else {
			cr_assert_eq(keyfile_read_public(path, pub, err, sizeof(err)), -EFBIG);
			cr_assert(strstr(err, "larger than 4096 bytes"), "%s", err);
		}
	}
	/* st_size 0: the text is read all the same (and is no key) */
	cr_assert_eq(keyfile_read_public("/proc/self/status", pub, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "does not start with"), "%s", err);
	/* st_size 0 and over the limit (a process's smaps is tens of KiB) */
	cr_assert_eq(keyfile_read_public("/proc/self/smaps", pub, err, sizeof(err)), -EFBIG);
	cr_assert(strstr(err, "larger than 4096 bytes"), "%s", err);
}
