// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading the flow map into an array. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flows.h"
#include "flow/mapread.h"

#define BATCH 256

struct collect {
	struct flow_rec *r;
	size_t n, cap;
};

static int collect(void *ctx, const void *keys, const void *vals, __u32 cnt)
{
	const struct flow_key *k = keys;
	const struct flow_value *v = vals;
	struct collect *c = ctx;
	struct flow_rec *t;

	if (c->n + cnt > c->cap) {
		size_t cap = (c->n + cnt) * 2;

		t = realloc(c->r, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		c->r = t;
		c->cap = cap;
	}
	for (__u32 i = 0; i < cnt; i++, c->n++) {
		c->r[c->n].key = k[i];
		c->r[c->n].val = v[i];
	}
	return 0;
}

ssize_t flows_read(int fd, struct flow_rec **out)
{
	struct flow_key keys[BATCH];
	struct flow_value vals[BATCH];
	struct collect c = { 0 };
	struct mapread r = { .fd = fd,
			     .key_size = sizeof(keys[0]),
			     .val_size = sizeof(vals[0]),
			     .keys = keys,
			     .vals = vals,
			     .batch = BATCH,
			     .fn = collect,
			     .ctx = &c };
	int err = mapread_all(&r);

	*out = NULL;
	if (err) {
		free(c.r);
		return err;
	}
	*out = c.r;
	return c.n;
}
