// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "core/seen.h"

#define SEEN_MIN_ALLOC 4

void seen_init(struct seen_cache *s, uint32_t cap, uint64_t ttl)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap ? cap : 1;
	s->ttl = ttl;
}

void seen_free(struct seen_cache *s)
{
	free(s->ring);
	free(s->bkt);
	s->ring = NULL;
	s->bkt = NULL;
	s->alloc = s->count = s->head = 0;
}

static uint32_t bucket_of(const struct seen_cache *s, const struct msg_id *id)
{
	return (uint32_t)(id_hash(id->b) & (2 * s->alloc - 1));
}

static void link_slot(struct seen_cache *s, uint32_t slot)
{
	uint32_t b = bucket_of(s, &s->ring[slot].id);

	s->ring[slot].next = s->bkt[b];
	s->bkt[b] = slot + 1;
}

static void unlink_slot(struct seen_cache *s, uint32_t slot)
{
	uint32_t *p = &s->bkt[bucket_of(s, &s->ring[slot].id)];

	while (*p && *p != slot + 1)
		p = &s->ring[*p - 1].next;
	if (*p)
		*p = s->ring[slot].next;
}

static void drop_oldest(struct seen_cache *s)
{
	unlink_slot(s, s->head);
	s->head = (s->head + 1) & (s->alloc - 1);
	s->count--;
}

uint32_t seen_expire(struct seen_cache *s, uint64_t now)
{
	while (s->count && now - s->ring[s->head].t >= s->ttl)
		drop_oldest(s);
	return s->count;
}

/* alloc is a power of two; grow by doubling, keeping insertion order. */
static int grow(struct seen_cache *s)
{
	uint32_t na = s->alloc ? 2 * s->alloc : SEEN_MIN_ALLOC;
	struct seen_ent *ring = malloc((size_t)na * sizeof(*ring));
	uint32_t *bkt = calloc((size_t)2 * na, sizeof(*bkt));

	if (!ring || !bkt) {
		free(ring);
		free(bkt);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < s->count; i++)
		ring[i] = s->ring[(s->head + i) & (s->alloc - 1)];
	free(s->ring);
	free(s->bkt);
	s->ring = ring;
	s->bkt = bkt;
	s->alloc = na;
	s->head = 0;
	for (uint32_t i = 0; i < s->count; i++)
		link_slot(s, i);
	return 0;
}

static struct seen_ent *find(struct seen_cache *s, const struct msg_id *id)
{
	if (!s->alloc)
		return NULL;
	for (uint32_t p = s->bkt[bucket_of(s, id)]; p; p = s->ring[p - 1].next)
		if (msg_id_eq(&s->ring[p - 1].id, id))
			return &s->ring[p - 1];
	return NULL;
}

bool seen_contains(struct seen_cache *s, const struct msg_id *id, uint64_t now)
{
	seen_expire(s, now);
	return find(s, id) != NULL;
}

int seen_check_insert(struct seen_cache *s, const struct msg_id *id, uint64_t now)
{
	uint32_t slot;

	if (seen_contains(s, id, now))
		return 1;
	if (s->count == s->cap)
		drop_oldest(s);
	if (s->count == s->alloc && grow(s) < 0)
		return -ENOMEM;
	slot = (s->head + s->count) & (s->alloc - 1);
	s->ring[slot].id = *id;
	s->ring[slot].t = now;
	link_slot(s, slot);
	s->count++;
	return 0;
}
