// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "flow.h"
#include "flow/ifnames.h"
#include "flow/mapread.h"

void ifnames_init(struct ifnames *c)
{
	c->n = 0;
}

static void put(struct ifnames *c, __u32 ifindex, const char *name)
{
	if (c->n == IFNAMES_MAX)
		return;
	c->e[c->n].ifindex = ifindex;
	snprintf(c->e[c->n].name, sizeof(c->e[c->n].name), "%s", name);
	c->n++;
}

void ifnames_record(struct ifnames *c, __u32 ifindex, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].ifindex == ifindex)
			return; /* the first record stays */
	put(c, ifindex, name);
}

static int record_batch(void *ctx, const void *keys, const void *vals, __u32 n)
{
	const struct iface_info *info = vals;
	const __u32 *ifindex = keys;
	char name[IF_NAMESIZE];

	for (__u32 i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", IF_NAMESIZE - 1, info[i].ifname);
		ifnames_record(ctx, ifindex[i], name);
	}
	return 0;
}

void ifnames_load(struct ifnames *c, int fd)
{
	__u32 keys[16];
	struct iface_info vals[16];
	struct mapread r = { .fd = fd,
			     .key_size = sizeof(keys[0]),
			     .val_size = sizeof(vals[0]),
			     .keys = keys,
			     .vals = vals,
			     .batch = 16,
			     .max = IPOP_IFACE_MAX,
			     .fn = record_batch,
			     .ctx = c };

	if (fd >= 0)
		mapread_all(&r); /* an error: fewer records, the kernel names the rest */
}

const char *ifnames_get(struct ifnames *c, __u32 ifindex, char *buf)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].ifindex == ifindex)
			return c->e[i].name;
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	put(c, ifindex, buf);
	return buf;
}
