/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A small open-addressing hash map: fixed-size byte keys -> pointers. */
#ifndef IPOP_HMAP_H
#define IPOP_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap {
	size_t key_size;
	size_t cap; /* power of two */
	size_t used, tombs;
	uint8_t *keys;
	void **vals;
	uint8_t *state; /* 0 empty, 1 used, 2 deleted */
};

int hmap_init(struct hmap *m, size_t key_size);
void hmap_free(struct hmap *m);
void *hmap_get(const struct hmap *m, const void *key);
/* Insert or replace; returns 0 or -ENOMEM. */
int hmap_put(struct hmap *m, const void *key, void *val);
/* Remove; returns the old value or NULL. */
void *hmap_del(struct hmap *m, const void *key);

#endif /* IPOP_HMAP_H */
