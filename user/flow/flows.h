/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading the flow map. */
#ifndef IPOP_FLOWS_H
#define IPOP_FLOWS_H

#include <stddef.h>
#include "flow.h"

struct flow_rec {
	struct flow_key key;
	struct flow_value val;
};

/*
 * Read every entry of a flow map fd into a malloc'd array (batch lookups
 * where the kernel has them). Returns the count or -errno.
 */
ssize_t flows_read(int map_fd, struct flow_rec **out);

enum flows_sort {
	FLOWS_SORT_BYTES = 0,
	FLOWS_SORT_PACKETS,
};

void flows_sort(struct flow_rec *r, size_t n, int how);

#endif /* IPOP_FLOWS_H */
