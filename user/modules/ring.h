/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Chord ring: 128-bit node IDs as unsigned big-endian integers modulo
 * 2^128, and half-open ring intervals [from, to) (from == to: the whole ring).
 */
#ifndef IPOP_MOD_RING_H
#define IPOP_MOD_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/id.h"

typedef unsigned __int128 ring_t;

#define RING_MAX (~(ring_t)0)

static inline ring_t ring_of(const uint8_t b[ID_LEN])
{
	ring_t v = 0;

	for (int i = 0; i < ID_LEN; i++)
		v = v << 8 | b[i];
	return v;
}

static inline void ring_to(ring_t v, uint8_t b[ID_LEN])
{
	for (int i = ID_LEN - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

/* x in [from, to) going clockwise; from == to is the whole ring. */
static inline bool ring_in(ring_t x, ring_t from, ring_t to)
{
	return from == to || x - from < to - from;
}

/* Clockwise distance from a to b. */
static inline ring_t ring_dist(ring_t a, ring_t b)
{
	return b - a;
}

/* The finger point i of a node (0 <= i < 128): id + 2^(127 - i). */
static inline ring_t ring_finger_point(ring_t id, int i)
{
	return id + ((ring_t)1 << (127 - i));
}

#endif /* IPOP_MOD_RING_H */
