// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* dconf_check: config mistakes that loading alone accepts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon_int.h"
#include "live/livecfg.h"

#define DCK_NB1 "{\"id\": \"0000000000000000000000000000a002\", \"address\": \"127.0.0.1:1\"}"
#define DCK_NB2 "{\"id\": \"0000000000000000000000000000a003\", \"address\": \"127.0.0.1:2\"}"

/* Load a config (identity keys, listen and modules added) and check it: the result, err filled. */
static int dck(const char *body, char *err, size_t errlen)
{
	char cfg[128], text[1024];
	struct dconf c;
	int ret;

	cfgt_setup();
	snprintf(cfg, sizeof(cfg), "%s/cfg.json", cfgt_dir);
	snprintf(text, sizeof(text), "\"listen\": \"127.0.0.1:0\", \"modules\": {}%s%s",
		 body[0] ? ", " : "", body);
	cfgt_write(cfg, text);
	err[0] = '\0';
	ret = dconf_load(cfg, &c, err, errlen);
	cr_assert_eq(ret, 0, "load: %s", err);
	ret = dconf_check(&c, err, errlen);
	dconf_free(&c);
	cfgt_cleanup();
	return ret;
}

Test(dconf_check, good_config_passes)
{
	char err[256];

	cr_assert_eq(dck("\"neighbours\": [" DCK_NB1 ", " DCK_NB2 "], \"keepalive_ms\": 500, "
			 "\"dead_ms\": 2000, \"flows\": {}",
			 err, sizeof(err)),
		     0, "%s", err);
}

Test(dconf_check, unknown_key_with_suggestion)
{
	char err[256];

	cr_assert_eq(dck("\"neighbors\": []", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "unknown key 'neighbors' (did you mean 'neighbours'?)");
	cr_assert_eq(dck("\"keepalive\": 5", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "unknown key 'keepalive'"), "%s", err);
	cr_assert_eq(dck("\"frobnicate\": 1", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "unknown key 'frobnicate'");
}

Test(dconf_check, unknown_neighbour_key)
{
	char err[256];

	cr_assert_eq(dck("\"neighbours\": [" DCK_NB1
			 ", {\"id\": \"0000000000000000000000000000a003\", "
			 "\"adress\": \"127.0.0.1:2\", \"address\": \"127.0.0.1:2\"}]",
			 err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, "neighbours[1]: unknown key 'adress' (did you mean 'address'?)");
}

Test(dconf_check, duplicate_neighbour_ids)
{
	char err[256];

	cr_assert_eq(
		dck("\"neighbours\": [" DCK_NB1 ", " DCK_NB2 ", " DCK_NB1 "]", err, sizeof(err)),
		-EINVAL);
	cr_assert_str_eq(err, "neighbours[2]: the same 'id' as neighbours[0]");
}

Test(dconf_check, keepalive_not_below_dead)
{
	char err[256];

	cr_assert_eq(dck("\"keepalive_ms\": 5000, \"dead_ms\": 3000", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "'keepalive_ms' (5000) must be below 'dead_ms' (3000)"), "%s", err);
	cr_assert_eq(dck("\"keepalive_ms\": 3000, \"dead_ms\": 3000", err, sizeof(err)), -EINVAL);
	/* the defaults (1000 and 3500) are fine, and so is one of them given */
	cr_assert_eq(dck("\"keepalive_ms\": 3000", err, sizeof(err)), 0, "%s", err);
}
