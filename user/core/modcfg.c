// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Module list from config: validate, then order dependencies first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/node.h"

struct mc_ent {
	const char *name;
	json_t *obj;
	bool enabled;
	int ndeps;
	int deps[MODCFG_MAX];
};

struct mc_ctx {
	struct mc_ent ents[MODCFG_MAX];
	int n;
	int colour[MODCFG_MAX]; /* 0 white, 1 on stack, 2 done */
	int stack[MODCFG_MAX], depth;
	struct modcfg *out;
	char *err;
	size_t errlen;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int mc_find(const struct mc_ctx *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->ents[i].name, name))
			return i;
	return -1;
}

static int mc_collect(struct mc_ctx *c, const json_t *modules)
{
	const char *names[MODCFG_MAX], *key;
	json_t *val;
	int n = 0;

	json_object_foreach((json_t *)modules, key, val) {
		if (n == MODCFG_MAX) {
			snprintf(c->err, c->errlen, "too many modules (max %d)", MODCFG_MAX);
			return -EINVAL;
		}
		names[n++] = key;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		struct mc_ent *e = &c->ents[i];
		json_t *en;

		e->name = names[i];
		e->obj = json_object_get(modules, names[i]);
		if (!json_is_object(e->obj)) {
			snprintf(c->err, c->errlen, "module '%s': config must be an object",
				 e->name);
			return -EINVAL;
		}
		en = json_object_get(e->obj, "enabled");
		if (en && !json_is_boolean(en)) {
			snprintf(c->err, c->errlen, "module '%s': 'enabled' must be a boolean",
				 e->name);
			return -EINVAL;
		}
		e->enabled = !en || json_is_true(en);
		if (!module_find(e->name)) {
			snprintf(c->err, c->errlen, "unknown module '%s'", e->name);
			return -EINVAL;
		}
	}
	c->n = n;
	return 0;
}

static int mc_deps(struct mc_ctx *c, struct mc_ent *e)
{
	json_t *deps = json_object_get(e->obj, "dependencies"), *d;
	size_t i;

	if (!deps)
		return 0;
	if (!json_is_array(deps)) {
		snprintf(c->err, c->errlen, "module '%s': 'dependencies' must be an array",
			 e->name);
		return -EINVAL;
	}
	json_array_foreach(deps, i, d) {
		const char *dn = json_string_value(d);
		int j;

		if (!dn) {
			snprintf(c->err, c->errlen, "module '%s': dependencies must be strings",
				 e->name);
			return -EINVAL;
		}
		j = mc_find(c, dn);
		if (j < 0 || !c->ents[j].enabled) {
			snprintf(c->err, c->errlen, "module '%s' depends on '%s', which is %s",
				 e->name, dn, j < 0 ? "not configured" : "disabled");
			return -EINVAL;
		}
		if (e->ndeps < MODCFG_MAX)
			e->deps[e->ndeps++] = j;
	}
	return 0;
}

static void mc_cycle_msg(struct mc_ctx *c, int at)
{
	size_t off;
	int k = 0;

	while (c->stack[k] != at)
		k++;
	off = (size_t)snprintf(c->err, c->errlen, "dependency cycle:");
	for (; k < c->depth && off < c->errlen; k++)
		off += (size_t)snprintf(c->err + off, c->errlen - off, " %s ->",
					c->ents[c->stack[k]].name);
	if (off < c->errlen)
		snprintf(c->err + off, c->errlen - off, " %s", c->ents[at].name);
}

static int mc_visit(struct mc_ctx *c, int i)
{
	struct mc_ent *e = &c->ents[i];
	int err;

	if (c->colour[i] == 2)
		return 0;
	if (c->colour[i] == 1) {
		mc_cycle_msg(c, i);
		return -EINVAL;
	}
	c->colour[i] = 1;
	c->stack[c->depth++] = i;
	for (int k = 0; k < e->ndeps; k++) {
		err = mc_visit(c, e->deps[k]);
		if (err)
			return err;
	}
	c->depth--;
	c->colour[i] = 2;
	c->out->ops[c->out->n] = module_find(e->name);
	c->out->params[c->out->n++] = e->obj;
	return 0;
}

int modcfg_load(const json_t *modules, struct modcfg *out, char *err, size_t errlen)
{
	struct mc_ctx *c;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(modules)) {
		snprintf(err, errlen, "'modules' must be an object");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->out = out;
	c->err = err;
	c->errlen = errlen;
	ret = mc_collect(c, modules);
	for (int i = 0; !ret && i < c->n; i++)
		if (c->ents[i].enabled)
			ret = mc_deps(c, &c->ents[i]);
	for (int i = 0; !ret && i < c->n; i++)
		if (c->ents[i].enabled)
			ret = mc_visit(c, i);
	free(c);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}
