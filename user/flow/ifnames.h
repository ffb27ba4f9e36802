/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ifindex -> interface name, one rule everywhere a flow is labelled (the
 * flows command with and without a daemon, the daemon's flows views,
 * Prometheus):
 *   1. the loader's record (the name when ipop-bpf attached: it survives a
 *      deleted or renamed device, so a deleted device's flows keep its name),
 *   2. else the kernel's current name,
 *   3. else "if<ifindex>".
 * A small cache: one struct per rendering, nothing shared between threads.
 */
#ifndef IPOP_IFNAMES_H
#define IPOP_IFNAMES_H

#include <net/if.h>
#include <stddef.h>
#include <linux/types.h>

#define IFNAMES_MAX 64

struct ifnames {
	size_t n;
	struct {
		__u32 ifindex;
		char name[IF_NAMESIZE];
	} e[IFNAMES_MAX];
};

/* Empty: no records, nothing cached. */
void ifnames_init(struct ifnames *c);
/* A loader record (ignored when the cache is full). */
void ifnames_record(struct ifnames *c, __u32 ifindex, const char *name);
/* Every record of the pinned `ifaces` map (fd < 0: none). */
void ifnames_load(struct ifnames *c, int ifaces_fd);
/* The name by the rule above: a cached name, or buf (IF_NAMESIZE bytes). */
const char *ifnames_get(struct ifnames *c, __u32 ifindex, char *buf);

#endif /* IPOP_IFNAMES_H */
