// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The statistics pass, tables and datapath counters: see stats.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "flow/mapread.h"
#include "flow/stats_int.h"

int stats_read_dp(struct stats *s, struct stats_snapshot *snap)
{
	for (__u32 k = 0; k < DP_STAT_MAX; k++) {
		if (bpf_map_lookup_elem(s->maps.dp_stats, &k, s->percpu))
			return -errno;
		for (int c = 0; c < s->ncpus; c++)
			snap->dp[k] += s->percpu[c];
	}
	return 0;
}

static int tstats_batch(void *ctx, const void *keys, const void *vals, __u32 n)
{
	const struct cls_table_stats *v = vals;
	const __u32 *k = keys;
	struct stats *s = ctx;

	for (__u32 i = 0; i < n; i++)
		if (k[i] < s->tstats_max)
			s->tstats[k[i]] = v[i];
	return 0;
}

/* The whole table_stats array into s->tstats. */
static int read_tstats(struct stats *s)
{
	struct mapread r = { .fd = s->maps.table_stats,
			     .key_size = sizeof(*s->tkeys),
			     .val_size = sizeof(*s->tvals),
			     .keys = s->tkeys,
			     .vals = s->tvals,
			     .batch = TSTATS_BATCH,
			     .max = s->tstats_max,
			     .fn = tstats_batch,
			     .ctx = s };

	return mapread_all(&r);
}

static int table_add(struct stats_snapshot *snap, size_t *cap, __u32 id,
		     const struct cls_table_def *def)
{
	struct stats_table *t;

	if (snap->n_tables == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		t = realloc(snap->tables, *cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		snap->tables = t;
	}
	t = &snap->tables[snap->n_tables++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->prio = def->prio;
	memcpy(t->name, def->name, sizeof(t->name));
	t->name[sizeof(t->name) - 1] = 0;
	return 0;
}

struct defs_ctx {
	struct stats_snapshot *snap;
	size_t cap;
};

static int defs_batch(void *ctx, const void *keys, const void *vals, __u32 n)
{
	const struct cls_table_def *d = vals;
	const __u32 *id = keys;
	struct defs_ctx *c = ctx;

	for (__u32 i = 0; i < n; i++)
		if (id[i] && /* key 0 is no table: the controller's batch marker (clsctl.c) */
		    table_add(c->snap, &c->cap, id[i], &d[i]))
			return -ENOMEM;
	return 0;
}

/* Every defined table (the tables hash). */
static int read_defs(struct stats *s, struct stats_snapshot *snap)
{
	__u32 ids[TABLES_BATCH];
	struct cls_table_def defs[TABLES_BATCH];
	struct defs_ctx c = { snap, 0 };
	struct mapread r = { .fd = s->maps.tables,
			     .key_size = sizeof(ids[0]),
			     .val_size = sizeof(defs[0]),
			     .keys = ids,
			     .vals = defs,
			     .batch = TABLES_BATCH,
			     .fn = defs_batch,
			     .ctx = &c };

	return mapread_all(&r);
}

static int cmp_table_id(const void *a, const void *b)
{
	const struct stats_table *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void table_rates(struct stats *s, struct stats_table *t, uint64_t now)
{
	const struct stats_snapshot *prev = s->pub;
	const struct stats_table *old = NULL;

	if (prev && prev->n_tables)
		old = bsearch(t, prev->tables, prev->n_tables, sizeof(*t), cmp_table_id);
	t->idle_s = t->last_hit_ns ? idle_of(now, t->last_hit_ns) : -1;
	if (old && (!old->first_hit_ns || old->first_hit_ns == t->first_hit_ns) &&
	    t->packets >= old->packets && t->bytes >= old->bytes) {
		rate_of(t->bytes - old->bytes, t->packets - old->packets,
			now > prev->taken_ns ? now - prev->taken_ns : 0, &t->rate_mbps, &t->pps);
		t->rate_avg_mbps = ewma(s, old->rate_avg_mbps, t->rate_mbps);
		return;
	}
	if (t->first_hit_ns)
		rate_of(t->bytes, t->packets, new_window(prev, t->first_hit_ns, now), &t->rate_mbps,
			&t->pps);
	t->rate_avg_mbps = t->rate_mbps;
}

int stats_read_tables(struct stats *s, struct stats_snapshot *snap, uint64_t now)
{
	int err = read_defs(s, snap);

	if (!err && snap->n_tables)
		err = read_tstats(s);
	if (err)
		return err;
	if (snap->n_tables)
		qsort(snap->tables, snap->n_tables, sizeof(*snap->tables), cmp_table_id);
	for (size_t i = 0; i < snap->n_tables; i++) {
		struct stats_table *t = &snap->tables[i];

		if (t->id < s->tstats_max) {
			t->packets = s->tstats[t->id].packets;
			t->bytes = s->tstats[t->id].bytes;
			t->first_hit_ns = s->tstats[t->id].first_hit_ns;
			t->last_hit_ns = s->tstats[t->id].last_hit_ns;
		}
		table_rates(s, t, now);
	}
	return 0;
}
