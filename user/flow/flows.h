/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading the flow map. */
#ifndef IPOP_FLOWS_H
#define IPOP_FLOWS_H

#include <stddef.h>
#include <sys/types.h>
#include "flow.h"

struct flow_rec {
	struct flow_key key;
	struct flow_value val;
};

/*
 * Read every entry of a flow map fd into a malloc'd array (mapread_all:
 * batch lookups where the kernel has them). Returns the count or -errno;
 * *out is NULL on an error (and may be NULL for an empty map).
 */
ssize_t flows_read(int map_fd, struct flow_rec **out);

#endif /* IPOP_FLOWS_H */
