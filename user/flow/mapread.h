/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading a whole BPF map, the one way every reader does it: batch lookups
 * (bpf_map_lookup_batch, kernels 5.6+), and where the kernel has none
 * (EINVAL or EOPNOTSUPP on the first call) get_next_key + lookup, one
 * entry at a time. Entries are handed to a callback as they come, so a
 * caller may delete what it was handed: in batch mode the cursor is a
 * bucket already visited, and one entry at a time the next key is taken
 * before the current one is handed over.
 */
#ifndef IPOP_MAPREAD_H
#define IPOP_MAPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Upper bound on the entries (and lookups) of one read: a map that keeps changing ends. */
#define MAPREAD_ENTRIES_MAX (1u << 28)

/* n entries at keys/vals (key_size/val_size apart). Nonzero stops the read with that value. */
typedef int (*mapread_fn)(void *ctx, const void *keys, const void *vals, __u32 n);

struct mapread {
	int fd;
	__u32 key_size, val_size; /* val_size: one value as lookup returns it */
	void *keys, *vals;	  /* room for `batch` entries each (batch >= 1) */
	__u32 batch;
	__u32 max; /* stop after this many entries; 0: the whole map */
	mapread_fn fn;
	void *ctx;
	/* out */
	bool started;	/* a lookup succeeded: a later error leaves a partial read */
	bool iterated;	/* no batch lookups: read one entry at a time */
	size_t entries; /* handed to fn */
};

/* 0 at the end of the map (or after max entries), fn's nonzero return, or -errno. */
int mapread_all(struct mapread *r);

#endif /* IPOP_MAPREAD_H */
