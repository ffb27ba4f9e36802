// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The VPN daemon's miss queue (vpnd_miss.h): frames waiting for a kernel path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/vpnd_miss.h"

static int dest_find(const struct missq *q, const struct node_id *dst)
{
	for (uint32_t i = 0; i < q->nd; i++)
		if (node_id_eq(&q->d[i].dst, dst))
			return (int)i;
	return -1;
}

/* FNV-1a over the frame, its length mixed in (0 is never a hash: an empty slot). */
static uint64_t frame_hash(const uint8_t *f, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ len;

	for (size_t i = 0; i < len; i++)
		h = (h ^ f[i]) * 0x100000001b3ULL;
	return h ? h : 1;
}

int missq_push(struct missq *q, const struct node_id *dst, const uint8_t *frame, size_t len,
	       uint64_t now)
{
	int i = dest_find(q, dst);
	struct missq_dest *d;
	struct missq_frame *f;

	if (len == 0 || len > MISSQ_FRAME_MAX)
		return -EMSGSIZE;
	if (i < 0) {
		if (q->nd == MISSQ_DESTS)
			return -ENOSPC;
		d = &q->d[q->nd];
		memset(d, 0, sizeof(*d));
		d->dst = *dst;
	} else {
		d = &q->d[i];
	}
	if (d->n == MISSQ_FRAMES || d->bytes + len > MISSQ_BYTES)
		return -ENOBUFS;
	f = &d->f[d->n];
	f->data = malloc(len);
	if (!f->data)
		return -ENOMEM;
	memcpy(f->data, frame, len);
	f->len = (uint16_t)len;
	f->t = now;
	d->n++;
	d->bytes += (uint32_t)len;
	if (i < 0)
		q->nd++;
	return 0;
}

uint32_t missq_count(const struct missq *q, const struct node_id *dst)
{
	int i = dest_find(q, dst);

	return i < 0 ? 0 : q->d[i].n;
}

static void dest_remove(struct missq *q, uint32_t i)
{
	for (uint32_t k = 0; k < q->d[i].n; k++)
		free(q->d[i].f[k].data);
	q->d[i] = q->d[--q->nd];
}

void missq_mark(struct missq *q, const uint8_t *frame, size_t len)
{
	q->seen[q->seen_next++ % MISSQ_SEEN] = frame_hash(frame, len);
}

bool missq_seen(const struct missq *q, const uint8_t *frame, size_t len)
{
	uint64_t h = frame_hash(frame, len);

	for (int i = 0; i < MISSQ_SEEN; i++)
		if (q->seen[i] == h)
			return true;
	return false;
}

uint32_t missq_flush(struct missq *q, const struct node_id *dst,
		     void (*fn)(void *ctx, const uint8_t *frame, size_t len), void *ctx)
{
	int i = dest_find(q, dst);
	struct missq_dest d;

	if (i < 0)
		return 0;
	d = q->d[i];
	q->d[i] = q->d[--q->nd]; /* out first: fn may queue again */
	for (uint32_t k = 0; k < d.n; k++) {
		missq_mark(q, d.f[k].data, d.f[k].len);
		fn(ctx, d.f[k].data, d.f[k].len);
		free(d.f[k].data);
	}
	return d.n;
}

uint32_t missq_drop(struct missq *q, const struct node_id *dst)
{
	int i = dest_find(q, dst);
	uint32_t n;

	if (i < 0)
		return 0;
	n = q->d[i].n;
	dest_remove(q, (uint32_t)i);
	return n;
}

uint32_t missq_expire(struct missq *q, uint64_t now, uint64_t age)
{
	uint32_t dropped = 0;

	for (uint32_t i = 0; i < q->nd;) {
		struct missq_dest *d = &q->d[i];
		uint32_t k = 0;

		while (k < d->n && now - d->f[k].t > age) {
			d->bytes -= d->f[k].len;
			free(d->f[k].data);
			k++;
		}
		if (k) {
			memmove(d->f, d->f + k, sizeof(d->f[0]) * (d->n - k));
			d->n -= k;
			dropped += k;
		}
		if (!d->n)
			dest_remove(q, i);
		else
			i++;
	}
	return dropped;
}

void missq_free(struct missq *q)
{
	while (q->nd)
		dest_remove(q, q->nd - 1);
}
