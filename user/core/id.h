/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* 128-bit identifiers: node IDs (points on the Chord ring) and message IDs. */
#ifndef IPOP_FW_ID_H
#define IPOP_FW_ID_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ID_LEN	   16
#define ID_HEX_LEN (2 * ID_LEN)

struct node_id {
	uint8_t b[ID_LEN];
};

struct msg_id {
	uint8_t b[ID_LEN];
};

/* Decode exactly 2 * outlen hex digits (either case) of s[0..n) into out; out is
 * untouched on error. 0 or -EINVAL. */
int hex_decode(const char *s, size_t n, uint8_t *out, size_t outlen);
/* Parse exactly 32 hex digits (either case). Returns 0 or -EINVAL. */
int id_parse(const char *hex, uint8_t out[ID_LEN]);
/* Format as 32 lower-case hex digits plus NUL. */
void id_fmt(const uint8_t id[ID_LEN], char out[ID_HEX_LEN + 1]);
/* 64-bit mix of an ID, for hash tables. */
uint64_t id_hash(const uint8_t id[ID_LEN]);
/* The 64-bit mixing function (splitmix64's finalizer) behind id_hash and the hop IDs. */
uint64_t id_mix64(uint64_t x);

static inline bool node_id_eq(const struct node_id *a, const struct node_id *b)
{
	return memcmp(a->b, b->b, ID_LEN) == 0;
}

static inline bool msg_id_eq(const struct msg_id *a, const struct msg_id *b)
{
	return memcmp(a->b, b->b, ID_LEN) == 0;
}

#endif /* IPOP_FW_ID_H */
