// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "flow/mapread.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's internal "not supported", as BPF returns it */
#endif

static bool unsupported(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUPP;
}

static __u32 room(const struct mapread *r)
{
	size_t left = (r->max ? r->max : MAPREAD_ENTRIES_MAX) - r->entries;

	return left < r->batch ? (__u32)left : r->batch;
}

/* One entry at a time: the next key is known before the current entry is handed over. */
static int read_iter(struct mapread *r)
{
	unsigned char *cur = malloc(2 * (size_t)r->key_size), *next;
	size_t steps = 0; /* a walk restarted by deletions under us still ends */
	int err, ret = 0;
	bool more;

	if (!cur)
		return -ENOMEM;
	next = cur + r->key_size;
	r->iterated = true;
	more = !bpf_map_get_next_key(r->fd, NULL, cur);
	err = more ? 0 : -errno;
	while (more && room(r) && steps++ < MAPREAD_ENTRIES_MAX) {
		more = !bpf_map_get_next_key(r->fd, cur, next);
		err = more ? 0 : -errno;
		if (!bpf_map_lookup_elem(r->fd, cur, r->vals)) { /* else: deleted under us */
			r->started = true;
			memcpy(r->keys, cur, r->key_size);
			r->entries++;
			ret = r->fn(r->ctx, r->keys, r->vals, 1);
			if (ret)
				break;
		}
		memcpy(cur, next, r->key_size);
	}
	free(cur);
	if (ret)
		return ret;
	return err && err != -ENOENT ? err : 0;
}

int mapread_all(struct mapread *r)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 in = 0, out = 0, cnt;
	int err, ret;

	r->started = r->iterated = false;
	r->entries = 0;
	if (r->fd < 0)
		return -EBADF;
	if (!r->batch || !r->keys || !r->vals || !r->fn)
		return -EINVAL;
	while ((cnt = room(r))) {
		err = bpf_map_lookup_batch(r->fd, r->started ? &in : NULL, &out, r->keys, r->vals,
					   &cnt, &opts);
		err = err ? -errno : 0;
		if (err && err != -ENOENT)
			return !r->started && unsupported(err) ? read_iter(r) : err;
		r->started = true;
		r->entries += cnt;
		ret = cnt ? r->fn(r->ctx, r->keys, r->vals, cnt) : 0;
		if (ret)
			return ret;
		if (err == -ENOENT)
			return 0;
		in = out;
	}
	return 0;
}
