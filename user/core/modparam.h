/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Module parameters: each module declares its keys in a table (type,
 * default, bounds, where the value lands in the module's own struct) and
 * parses its config object with one call. Unknown keys, wrong types and
 * values out of range are refused with a message naming the key and value.
 * "enabled" and "dependencies" belong to the module list (modcfg.c) and are
 * accepted everywhere.
 */
#ifndef IPOP_CORE_MODPARAM_H
#define IPOP_CORE_MODPARAM_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct module;

enum mod_param_type {
	MP_U32,	 /* uint32_t, integer in [min, max] */
	MP_U64,	 /* uint64_t, integer in [min, max] */
	MP_NAME, /* char[ICC_MOD_LEN + 1]: a module name */
};

struct mod_param {
	const char *key;
	enum mod_param_type type;
	size_t off;		/* into the destination struct */
	uint64_t def, min, max; /* MP_U32/MP_U64 */
	const char *sdef;	/* MP_NAME default */
};

#define MP_U32(k, st, f, d, lo, hi)                                                              \
	{                                                                                        \
		.key = k, .type = MP_U32, .off = offsetof(st, f), .def = d, .min = lo, .max = hi \
	}
#define MP_U64(k, st, f, d, lo, hi)                                                              \
	{                                                                                        \
		.key = k, .type = MP_U64, .off = offsetof(st, f), .def = d, .min = lo, .max = hi \
	}
#define MP_NAME(k, st, f, d)                                                 \
	{                                                                    \
		.key = k, .type = MP_NAME, .off = offsetof(st, f), .sdef = d \
	}
#define MP_END              \
	{                   \
		.key = NULL \
	}

/*
 * Fill dst from params (an object, or NULL: every default) by the table
 * (ending with MP_END). 0, or -EINVAL with err naming the key and value.
 */
int mod_params_parse(const struct mod_param *tbl, const json_t *params, void *dst, char *err,
		     size_t errlen);
/* The same for a module's init: logs "<module>: <error>" through rt_log. */
int module_params(struct module *m, const struct mod_param *tbl, const json_t *params, void *dst);

#endif /* IPOP_CORE_MODPARAM_H */
