// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/hmap.h"

static uint64_t hash(const void *key, size_t n)
{
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then a final mix */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static int alloc(struct hmap *m, size_t cap)
{
	m->keys = malloc(cap * m->key_size);
	m->vals = malloc(cap * sizeof(void *));
	m->state = calloc(cap, 1);
	if (!m->keys || !m->vals || !m->state) {
		free(m->keys);
		free(m->vals);
		free(m->state);
		return -ENOMEM;
	}
	m->cap = cap;
	m->used = m->tombs = 0;
	return 0;
}

int hmap_init(struct hmap *m, size_t key_size)
{
	memset(m, 0, sizeof(*m));
	m->key_size = key_size;
	return alloc(m, 64);
}

void hmap_free(struct hmap *m)
{
	free(m->keys);
	free(m->vals);
	free(m->state);
	memset(m, 0, sizeof(*m));
}

/* Slot of key, or the first free slot on its probe path (-1 if none). */
static long find(const struct hmap *m, const void *key, int *found)
{
	size_t mask = m->cap - 1, i = hash(key, m->key_size) & mask;
	long free_slot = -1;

	*found = 0;
	for (size_t n = 0; n < m->cap; n++, i = (i + 1) & mask) {
		if (m->state[i] == 0)
			return free_slot >= 0 ? free_slot : (long)i;
		if (m->state[i] == 2) {
			if (free_slot < 0)
				free_slot = i;
		} else if (!memcmp(m->keys + i * m->key_size, key, m->key_size)) {
			*found = 1;
			return i;
		}
	}
	return free_slot;
}

void *hmap_get(const struct hmap *m, const void *key)
{
	int found;
	long i = find(m, key, &found);

	return found ? m->vals[i] : NULL;
}

static int grow(struct hmap *m)
{
	struct hmap old = *m;
	size_t cap = m->used * 4 > m->cap ? m->cap * 2 : m->cap; /* else just drop tombstones */

	if (alloc(m, cap))
		return *m = old, -ENOMEM;
	for (size_t i = 0; i < old.cap; i++)
		if (old.state[i] == 1)
			hmap_put(m, old.keys + i * old.key_size, old.vals[i]);
	free(old.keys);
	free(old.vals);
	free(old.state);
	return 0;
}

int hmap_put(struct hmap *m, const void *key, void *val)
{
	int found;
	long i;

	if ((m->used + m->tombs + 1) * 10 > m->cap * 7 && grow(m))
		return -ENOMEM;
	i = find(m, key, &found);
	if (!found) {
		if (m->state[i] == 2)
			m->tombs--;
		m->state[i] = 1;
		memcpy(m->keys + i * m->key_size, key, m->key_size);
		m->used++;
	}
	m->vals[i] = val;
	return 0;
}

void *hmap_del(struct hmap *m, const void *key)
{
	int found;
	long i = find(m, key, &found);

	if (!found)
		return NULL;
	m->state[i] = 2;
	m->used--;
	m->tombs++;
	return m->vals[i];
}
