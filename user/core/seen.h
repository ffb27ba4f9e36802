/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Seen-cache: which message IDs were handled recently. Bounded (at most cap
 * entries; the oldest is forgotten first) and expiring (entries older than
 * ttl are forgotten). Storage starts small and grows up to cap, so an idle
 * node costs a few bytes. Time is passed in; the cache never reads a clock.
 * Callers must pass non-decreasing times.
 */
#ifndef IPOP_FW_SEEN_H
#define IPOP_FW_SEEN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/id.h"

struct seen_ent {
	struct msg_id id;
	uint64_t t;
	uint32_t next; /* slot + 1 of the next entry in the bucket, 0 = end */
};

struct seen_cache {
	struct seen_ent *ring; /* oldest at head, count entries */
	uint32_t *bkt;	       /* slot + 1, 0 = empty; nbkt = 2 * alloc */
	uint32_t cap, alloc, head, count;
	uint64_t ttl;
};

void seen_init(struct seen_cache *s, uint32_t cap, uint64_t ttl);
void seen_free(struct seen_cache *s);
/* 1 if id was seen (and is kept), 0 if it was new and is now recorded, -ENOMEM. */
int seen_check_insert(struct seen_cache *s, const struct msg_id *id, uint64_t now);
bool seen_contains(struct seen_cache *s, const struct msg_id *id, uint64_t now);
/* Forget expired entries; returns how many remain. */
uint32_t seen_expire(struct seen_cache *s, uint64_t now);

#endif /* IPOP_FW_SEEN_H */
