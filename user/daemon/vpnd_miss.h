/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The VPN daemon's miss queue: unicast frames from ipop0 that found no
 * kernel path and are too big for SRUM (or follow such a frame) wait here,
 * per destination node, while the path is found and installed; then the
 * daemon sends them into ipop0's egress again (a packet socket), where the
 * kernel path takes them. Plain data, no I/O: the daemon gives the clock.
 *
 * Bounds (explicit): MISSQ_DESTS destinations, per destination
 * MISSQ_FRAMES frames and MISSQ_BYTES bytes, each frame at most
 * MISSQ_FRAME_MAX bytes. A frame over a bound is refused (the caller counts
 * it); a frame waits at most the age the caller passes to missq_expire().
 *
 * A re-injected frame that misses again (the kernel path went, or cannot
 * be used) comes back through the TAP: missq_seen() recognises it (a hash
 * of the frame in a ring of the last MISSQ_SEEN re-injections), so no frame
 * is re-injected twice and nothing loops.
 */
#ifndef IPOP_DAEMON_VPND_MISS_H
#define IPOP_DAEMON_VPND_MISS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/id.h"

#define MISSQ_DESTS	16
#define MISSQ_FRAMES	32
#define MISSQ_BYTES	(64 * 1024)
#define MISSQ_FRAME_MAX 2048
#define MISSQ_SEEN	128

struct missq_frame {
	uint64_t t;
	uint16_t len;
	uint8_t *data;
};

struct missq_dest {
	struct node_id dst;
	uint32_t n, bytes;
	struct missq_frame f[MISSQ_FRAMES];
};

struct missq {
	struct missq_dest d[MISSQ_DESTS];
	uint32_t nd;
	uint64_t seen[MISSQ_SEEN];
	uint32_t seen_next;
};

/*
 * Queue a copy of frame for dst. 0, -EMSGSIZE (over MISSQ_FRAME_MAX or
 * empty), -ENOBUFS (dst's frame or byte bound), -ENOSPC (no destination
 * slot), -ENOMEM.
 */
int missq_push(struct missq *q, const struct node_id *dst, const uint8_t *frame, size_t len,
	       uint64_t now);
/* Frames waiting for dst (0 if none). */
uint32_t missq_count(const struct missq *q, const struct node_id *dst);
/*
 * Take dst's frames out, oldest first: fn gets each (then it is freed) and
 * the hash of each is remembered for missq_seen(). The number taken.
 */
uint32_t missq_flush(struct missq *q, const struct node_id *dst,
		     void (*fn)(void *ctx, const uint8_t *frame, size_t len), void *ctx);
/* Drop dst's frames; the number dropped. */
uint32_t missq_drop(struct missq *q, const struct node_id *dst);
/* Drop frames older than age (ns); the number dropped. */
uint32_t missq_expire(struct missq *q, uint64_t now, uint64_t age);
/* Was this frame re-injected lately (missq_flush or missq_mark)? */
bool missq_seen(const struct missq *q, const uint8_t *frame, size_t len);
/* Remember a frame re-injected without queueing. */
void missq_mark(struct missq *q, const uint8_t *frame, size_t len);
/* Free everything. */
void missq_free(struct missq *q);

#endif /* IPOP_DAEMON_VPND_MISS_H */
