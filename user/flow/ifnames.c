// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "flow.h"
#include "flow/ifnames.h"

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

void ifnames_load(struct ifnames *c, int fd)
{
	struct iface_info info;
	__u32 key, next, *prev = NULL;
	char name[IF_NAMESIZE];

	/*
	 * A record deleted under us makes get_next_key start over: records are
	 * taken once (ifnames_record) and the walk is bounded.
	 */
	for (int steps = 0; fd >= 0 && c->n < IFNAMES_MAX && steps < 4 * IFNAMES_MAX &&
			    !bpf_map_get_next_key(fd, prev, &next);
	     steps++) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &info))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(info.ifname), info.ifname);
		ifnames_record(c, key, name);
	}
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
