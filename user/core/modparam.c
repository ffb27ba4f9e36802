// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Module parameters from a table: typed, bounded, unknown keys refused. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/modparam.h"
#include "core/module.h"

static bool list_key(const char *key)
{
	return !strcmp(key, "enabled") || !strcmp(key, "dependencies");
}

static const struct mod_param *param_find(const struct mod_param *tbl, const char *key)
{
	for (; tbl->key; tbl++)
		if (!strcmp(tbl->key, key))
			return tbl;
	return NULL;
}

/* The value as text, for a message: short, one line. */
static void value_text(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	snprintf(buf, len, "%.40s%s", s ? s : "?", s && strlen(s) > 40 ? "..." : "");
	free(s);
}

static int param_default(const struct mod_param *p, void *dst)
{
	char *field = (char *)dst + p->off;

	switch (p->type) {
	case MP_U32:
		*(uint32_t *)field = (uint32_t)p->def;
		break;
	case MP_U64:
		*(uint64_t *)field = p->def;
		break;
	case MP_NAME:
		snprintf(field, ICC_MOD_LEN + 1, "%s", p->sdef ? p->sdef : "");
		break;
	}
	return 0;
}

static int param_set(const struct mod_param *p, const json_t *v, void *dst, char *err,
		     size_t errlen)
{
	char *field = (char *)dst + p->off, text[64];
	json_int_t i = json_integer_value(v);

	value_text(v, text, sizeof(text));
	if (p->type == MP_NAME) {
		if (!json_is_string(v) || !json_string_value(v)[0] ||
		    !icc_module_name_ok(json_string_value(v))) {
			snprintf(err, errlen, "'%s' must be a module name, not %s", p->key, text);
			return -EINVAL;
		}
		snprintf(field, ICC_MOD_LEN + 1, "%s", json_string_value(v));
		return 0;
	}
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "'%s' must be an integer, not %s", p->key, text);
		return -EINVAL;
	}
	if (i < 0 || (uint64_t)i < p->min || (uint64_t)i > p->max) {
		snprintf(err, errlen, "'%s' is %s, out of range (%" PRIu64 "..%" PRIu64 ")", p->key,
			 text, p->min, p->max);
		return -EINVAL;
	}
	if (p->type == MP_U32)
		*(uint32_t *)field = (uint32_t)i;
	else
		*(uint64_t *)field = (uint64_t)i;
	return 0;
}

int mod_params_parse(const struct mod_param *tbl, const json_t *params, void *dst, char *err,
		     size_t errlen)
{
	const char *key;
	json_t *v;

	for (const struct mod_param *p = tbl; p->key; p++)
		param_default(p, dst);
	if (!params)
		return 0;
	if (!json_is_object(params)) {
		snprintf(err, errlen, "parameters must be an object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)params, key, v) {
		const struct mod_param *p = param_find(tbl, key);

		if (list_key(key))
			continue;
		if (!p) {
			snprintf(err, errlen, "unknown parameter '%.64s'", key);
			return -EINVAL;
		}
		if (param_set(p, v, dst, err, errlen))
			return -EINVAL;
	}
	return 0;
}

int module_params(struct module *m, const struct mod_param *tbl, const json_t *params, void *dst)
{
	char err[192] = "";
	int ret = mod_params_parse(tbl, params, dst, err, sizeof(err));

	if (ret)
		rt_log(m, LOG_L_ERR, "%s: %s", m->ops->name, err);
	return ret;
}
