// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness for the module-parameter helper (core/modparam.c): any
 * JSON a config file may hold for a module, through a table with every
 * parameter type. What it accepts must lie within the table's bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "core/modparam.h"
#include "core/module.h"

struct fz {
	uint32_t a;
	uint64_t b;
	char name[ICC_MOD_LEN + 1];
};

static const struct mod_param fz_tbl[] = {
	MP_U32("a", struct fz, a, 4, 1, 16),
	MP_U64("b", struct fz, b, 1000, 10, 86400000),
	MP_NAME("name", struct fz, name, "topology"),
	MP_END,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	json_t *j = json_loadb((const char *)data, len, JSON_DECODE_ANY, NULL);
	char err[192];
	struct fz p;

	if (!j)
		return 0;
	if (mod_params_parse(fz_tbl, j, &p, err, sizeof(err)) == 0) {
		if (p.a < 1 || p.a > 16 || p.b < 10 || p.b > 86400000 || !p.name[0] ||
		    strlen(p.name) > ICC_MOD_LEN || !icc_module_name_ok(p.name))
			abort();
	} else if (!memchr(err, 0, sizeof(err)) || !err[0]) {
		abort();
	}
	json_decref(j);
	return 0;
}
