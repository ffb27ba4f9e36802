/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The controller side of the flow-table classifier: compiles table
 * definitions into (mask, value) entries, keeps the distinct masks, and
 * programs the pinned maps (bpf/cls.h) so that a change is all-or-nothing.
 */
#ifndef IPOP_CLS_CTL_H
#define IPOP_CLS_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include "cls.h"
#include "flow/rule.h"

struct cls;

/*
 * Map fds the controller programs. A restarted controller recovers its
 * tables from the `tables` map and rewrites the rest from them.
 */
struct cls_maps {
	int state, masks, rules, stats, tables;
};

/* Open the pinned maps under pin_path and recover the programmed tables. */
int cls_open(struct cls **out, const char *pin_path);
/* The same on map fds the caller owns (tests). */
int cls_open_fds(struct cls **out, const struct cls_maps *fds);
void cls_close(struct cls *c);

/*
 * Add n tables at once (their `dev` already resolved into def.ifindex):
 * all or none, also across a crash. On error returns -errno and a message
 * in err. cls_add is cls_add_begin + cls_add_more(n) + cls_add_end.
 */
int cls_add(struct cls *c, struct rule *rules, size_t n, char *err, size_t errlen);
/*
 * The same over several calls (a long list in slices, one per loop turn).
 * cls_add_begin checks all n (names, shapes, room: nothing changes on an
 * error), then writes a batch marker into the `tables` map; rules stay the
 * caller's until cls_add_end. cls_add_more programs the next k tables and
 * returns how many are left, or -errno (the batch can then only be taken
 * back). cls_add_end commits (one delete of the marker) or, with abort, after
 * an error or before the last table, takes back every table of the batch;
 * either way it publishes once and closes the batch. While a batch is open
 * every other change fails with -EBUSY. A controller that dies with a batch
 * open leaves its marker: the next cls_open removes the batch's tables, so
 * a batch is all or nothing across a crash too.
 */
int cls_add_begin(struct cls *c, struct rule *rules, size_t n, char *err, size_t errlen);
int cls_add_more(struct cls *c, size_t k, char *err, size_t errlen);
int cls_add_end(struct cls *c, bool abort, char *err, size_t errlen);
bool cls_batch_open(const struct cls *c);
/* Tables of an unfinished batch that cls_open removed (0: there was none). */
size_t cls_undone(const struct cls *c);
int cls_del(struct cls *c, const char *name, char *err, size_t errlen);
/*
 * Many at once: cls_del_check finds the ids of n names (linear time), or
 * fails naming the first that is missing or repeated, with nothing changed;
 * cls_del_ids then deletes ids (one that is gone already is skipped) and
 * publishes once. A caller may delete a long list in slices.
 */
int cls_del_check(struct cls *c, const char *const *names, size_t n, __u32 *tids, char *err,
		  size_t errlen);
int cls_del_ids(struct cls *c, const __u32 *tids, size_t n, char *err, size_t errlen);
/*
 * A delete of n ids (from cls_del_check) that is all or nothing across a
 * crash, over several calls: cls_del_begin writes a batch marker;
 * cls_del_more first marks the definitions doomed, k per call, then commits
 * with one store to the marker, then deletes k per call (publishing after
 * each slice); it returns the work left (0: done) or -errno. cls_del_end
 * closes the batch: after the commit it finishes the delete whatever abort
 * says; before it, it unmarks (the delete did not happen, -ECANCELED or the
 * failure). Until then other changes fail with -EBUSY. Opening after a
 * crash unmarks an uncommitted delete and finishes a committed one.
 */
int cls_del_begin(struct cls *c, const __u32 *tids, size_t n, char *err, size_t errlen);
int cls_del_more(struct cls *c, size_t k, char *err, size_t errlen);
int cls_del_end(struct cls *c, bool abort, char *err, size_t errlen);
/* Tables of a committed but unfinished delete that cls_open removed. */
size_t cls_finished(const struct cls *c);

size_t cls_count(const struct cls *c);
size_t cls_mask_count(const struct cls *c);

/* Iterate tables in id order: returns the next id after `after` (0 to start), 0 at the end. */
__u32 cls_next(const struct cls *c, __u32 after, const struct rule **r);
__u32 cls_find(const struct cls *c, const char *name);

/*
 * Split [lo, hi] into aligned prefix blocks: out[i] = value, plen[i] = bits
 * fixed from the top. Returns the count (at most 30 for 16-bit values).
 */
int cls_range_blocks(__u16 lo, __u16 hi, __u16 *val, __u8 *plen, int max);

#endif /* IPOP_CLS_CTL_H */
