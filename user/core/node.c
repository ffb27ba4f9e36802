// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Module instances of one node: one allocation, init in order, stop in reverse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/node.h"

#define ALIGN16(x) (((x) + 15) & ~(size_t)15)

unsigned int module_ncounters(const struct module_ops *ops)
{
	unsigned int n = 0;

	while (ops->counters && ops->counters[n])
		n++;
	return n;
}

static size_t node_alloc_size(const struct modcfg *mc)
{
	size_t sz = ALIGN16(sizeof(struct module) * (size_t)mc->n);

	for (int i = 0; i < mc->n; i++)
		sz += ALIGN16(mc->ops[i]->priv_size) +
		      ALIGN16(sizeof(uint64_t) * module_ncounters(mc->ops[i]));
	return sz;
}

static void node_layout(struct node *n, const struct modcfg *mc, char *mem)
{
	size_t off = ALIGN16(sizeof(struct module) * (size_t)mc->n);

	n->mods = (struct module *)mem;
	n->nmods = (uint16_t)mc->n;
	for (int i = 0; i < mc->n; i++) {
		struct module *m = &n->mods[i];

		m->ops = mc->ops[i];
		m->node = n;
		m->idx = (uint16_t)i;
		m->priv = m->ops->priv_size ? mem + off : NULL;
		off += ALIGN16(m->ops->priv_size);
		m->ctr = (uint64_t *)(mem + off);
		off += ALIGN16(sizeof(uint64_t) * module_ncounters(m->ops));
	}
}

int node_alloc(struct node *n, const struct node_id *id, const struct rt_ops *rt, void *rt_ctx,
	       const struct modcfg *mc)
{
	char *mem = calloc(1, node_alloc_size(mc) + 1);

	if (!mem)
		return -ENOMEM;
	n->id = *id;
	n->rt = rt;
	n->rt_ctx = rt_ctx;
	node_layout(n, mc, mem);
	return 0;
}

void node_discard(struct node *n)
{
	free(n->mods);
	n->mods = NULL;
	n->nmods = 0;
}

int node_start(struct node *n, const struct modcfg *mc)
{
	int i, err = 0;

	for (i = 0; i < mc->n; i++) {
		struct module *m = &n->mods[i];

		err = m->ops->init ? m->ops->init(m, mc->params[i]) : 0;
		if (err)
			break;
	}
	if (!err)
		return 0;
	while (--i >= 0)
		if (n->mods[i].ops->stop)
			n->mods[i].ops->stop(&n->mods[i]);
	node_discard(n);
	return err;
}

int node_init(struct node *n, const struct node_id *id, const struct rt_ops *rt, void *rt_ctx,
	      const struct modcfg *mc)
{
	int err = node_alloc(n, id, rt, rt_ctx, mc);

	return err ?: node_start(n, mc);
}

void node_stop(struct node *n)
{
	for (int i = n->nmods - 1; i >= 0; i--)
		if (n->mods[i].ops->stop)
			n->mods[i].ops->stop(&n->mods[i]);
	free(n->mods);
	n->mods = NULL;
	n->nmods = 0;
}

int node_module_idx(const struct node *n, const char *name)
{
	for (int i = 0; i < n->nmods; i++)
		if (!strcmp(n->mods[i].ops->name, name))
			return i;
	return -1;
}

struct module *node_module(struct node *n, const char *name)
{
	int i = node_module_idx(n, name);

	return i < 0 ? NULL : &n->mods[i];
}

int node_deliver_idx(struct node *n, int idx, const struct mod_msg *msg)
{
	struct module *m;

	if (idx < 0 || idx >= n->nmods)
		return -ENOENT;
	m = &n->mods[idx];
	return m->ops->recv ? m->ops->recv(m, msg) : -EOPNOTSUPP;
}

int node_deliver(struct node *n, const char *module, const struct mod_msg *msg)
{
	return node_deliver_idx(n, node_module_idx(n, module), msg);
}

int node_timer(struct node *n, int idx, uint32_t timer_id)
{
	struct module *m;

	if (idx < 0 || idx >= n->nmods)
		return -ENOENT;
	m = &n->mods[idx];
	return m->ops->timer ? m->ops->timer(m, timer_id) : 0;
}

void node_link(struct node *n, const struct node_id *peer, bool up)
{
	for (int i = 0; i < n->nmods; i++)
		if (n->mods[i].ops->link)
			n->mods[i].ops->link(&n->mods[i], peer, up);
}

static json_t *sub_object(json_t *obj, const char *name, size_t len)
{
	char key[64];
	json_t *sub;

	snprintf(key, sizeof(key), "%.*s", (int)len, name);
	sub = json_object_get(obj, key);
	if (!sub) {
		sub = json_object();
		json_object_set_new(obj, key, sub);
	}
	return sub;
}

void module_counters_json(const struct module_ops *ops, const uint64_t *ctr, json_t *obj)
{
	for (unsigned int i = 0; ops->counters && ops->counters[i]; i++) {
		const char *name = ops->counters[i], *dot = strchr(name, '.');
		json_t *dst = dot ? sub_object(obj, name, (size_t)(dot - name)) : obj;
		const char *leaf = dot ? dot + 1 : name;
		json_t *old = json_object_get(dst, leaf);
		json_int_t v = (json_int_t)ctr[i] + (old ? json_integer_value(old) : 0);

		json_object_set_new(dst, leaf, json_integer(v));
	}
}

json_t *node_stats_json(const struct node *n)
{
	json_t *o = json_object();

	for (int i = 0; i < n->nmods; i++) {
		const struct module *m = &n->mods[i];
		json_t *mo = json_object();

		module_counters_json(m->ops, m->ctr, mo);
		json_object_set_new(o, m->ops->name, mo);
	}
	return o;
}

void rt_log(struct module *m, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	m->node->rt->log(m->node, lvl, fmt, ap);
	va_end(ap);
}
