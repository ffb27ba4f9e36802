// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The statistics thread; see stats.h. One pass: read the flows, the tables
 * and the datapath counters; compare each flow and table with the previous
 * snapshot (found through an index over that snapshot's flow array); expire;
 * record what vanished; publish.
 *
 * Every allocation a pass needs is made before its first map deletion, so a
 * pass either fails without side effects or runs to the end. The big arrays
 * (index, marks, the snapshot's flows) are sized once from max_entries and
 * reused: a snapshot's flow array comes back when its last reference is
 * dropped by the pass that replaces it.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flow/flows.h"
#include "flow/fmt.h"
#include "flow/mapread.h"
#include "flow/stats.h"
#include "flow/stats_int.h"

static const char *const reason_names[STATS_END_MAX] = {
	[STATS_END_IDLE] = "idle",
	[STATS_END_ACTIVE] = "active",
	[STATS_END_EVICTED] = "evicted",
	[STATS_END_FORCED] = "forced",
};

const char *stats_end_reason_name(unsigned int reason)
{
	return reason < STATS_END_MAX ? reason_names[reason] : "unknown";
}

void stats_cfg_defaults(struct stats_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interval_ms = STATS_INTERVAL_MS_DEFAULT;
	cfg->ended_max = STATS_ENDED_MAX_DEFAULT;
	cfg->ewma_alpha = STATS_EWMA_ALPHA_DEFAULT;
}

/* ---- index over a snapshot's flows ---- */

_Static_assert(sizeof(struct flow_key) % 8 == 0, "flow_key hashed as 64-bit words");

static uint64_t key_hash(const struct flow_key *k)
{
	uint64_t w, h = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(*k); i += 8) {
		memcpy(&w, (const char *)k + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	return h;
}

static size_t idx_slots(size_t n)
{
	size_t cap = 16;

	while (cap < n + n / 2)
		cap <<= 1;
	return cap;
}

static void idx_build(__u32 *idx, size_t mask, const struct stats_flow *f, size_t n)
{
	memset(idx, 0, (mask + 1) * sizeof(*idx));
	for (size_t i = 0; i < n; i++) {
		size_t h = key_hash(&f[i].key) & mask;

		while (idx[h])
			h = (h + 1) & mask;
		idx[h] = i + 1;
	}
}

/*
 * Index of key in s->pub->flows, or -1. The map is walked in the same
 * bucket order every pass, so the entry after the last one found is tried
 * first: a sequential walk through the previous snapshot, and the hash only
 * where flows came or went.
 */
static long idx_find(struct stats *s, const struct flow_key *key)
{
	const struct stats_flow *f;
	size_t h;

	if (!s->pub)
		return -1;
	if (s->cursor < s->pub->n_flows &&
	    !memcmp(&s->pub->flows[s->cursor].key, key, sizeof(*key)))
		return s->cursor++;
	for (h = key_hash(key) & s->idx_mask; s->idx[h]; h = (h + 1) & s->idx_mask) {
		f = &s->pub->flows[s->idx[h] - 1];
		if (!memcmp(&f->key, key, sizeof(*key))) {
			s->cursor = s->idx[h];
			return s->idx[h] - 1;
		}
	}
	return -1;
}

/* ---- lifecycle ---- */

/*
 * Arrays of a million entries: on huge pages where the kernel allows it (one
 * fault per 2 MiB instead of per 4 KiB). Freed with free().
 */
static void *big_alloc(size_t bytes)
{
	void *p;

	if (bytes < HUGE_SZ)
		return malloc(bytes ? bytes : 1);
	if (posix_memalign(&p, HUGE_SZ, bytes))
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE); /* advice only */
	return p;
}

static int map_max_entries(int fd, __u32 *max, __u32 value_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (value_size && info.value_size != value_size)
		return -EPROTO; /* a map of another flow_value layout (pinned by an older build) */
	*max = info.max_entries;
	return 0;
}

static void release(struct stats *s)
{
	free(s->idx);
	free(s->idx_spare);
	free(s->mark);
	free(s->mark_spare);
	free(s->flows_spare);
	free(s->bkeys);
	free(s->bvals);
	free(s->ring);
	free(s->percpu);
	free(s->tstats);
	free(s->tkeys);
	free(s->tvals);
	free(s);
}

/*
 * Everything a pass needs, sized by the maps: a snapshot holds at most
 * flows_cap flows (max_entries, plus room for the churn of an LRU map read
 * while it changes).
 */
static int alloc_buffers(struct stats *s)
{
	size_t slots;

	s->flows_cap = s->flows_max + s->flows_max / 8 + FLOWS_BATCH;
	slots = idx_slots(s->flows_cap);
	s->idx_mask = slots - 1;
	s->idx = big_alloc(slots * sizeof(*s->idx));
	s->idx_spare = big_alloc(slots * sizeof(*s->idx));
	s->mark = big_alloc(s->flows_cap);
	s->mark_spare = big_alloc(s->flows_cap);
	s->bkeys = calloc(FLOWS_BATCH, sizeof(*s->bkeys));
	s->bvals = calloc(FLOWS_BATCH, sizeof(*s->bvals));
	s->ring = calloc(s->cfg.ended_max, sizeof(*s->ring));
	s->percpu = calloc(s->ncpus, sizeof(*s->percpu));
	s->tstats = calloc(s->tstats_max ? s->tstats_max : 1, sizeof(*s->tstats));
	s->tkeys = calloc(TSTATS_BATCH, sizeof(*s->tkeys));
	s->tvals = calloc(TSTATS_BATCH, sizeof(*s->tvals));
	if (!s->idx || !s->idx_spare || !s->mark || !s->mark_spare || !s->bkeys || !s->bvals ||
	    !s->ring || !s->percpu || !s->tstats || !s->tkeys || !s->tvals)
		return -ENOMEM;
	return 0;
}

struct stats *stats_new(const struct stats_cfg *cfg, const struct stats_maps *maps)
{
	struct stats *s = calloc(1, sizeof(*s));
	int err = -ENOMEM;

	if (!s)
		goto err;
	s->cfg = *cfg;
	if (!s->cfg.interval_ms)
		s->cfg.interval_ms = STATS_INTERVAL_MS_DEFAULT;
	if (!s->cfg.ended_max)
		s->cfg.ended_max = STATS_ENDED_MAX_DEFAULT;
	if (s->cfg.ewma_alpha == 0)
		s->cfg.ewma_alpha = STATS_EWMA_ALPHA_DEFAULT;
	s->maps = *maps;
	err = -EINVAL;
	if (!(s->cfg.ewma_alpha > 0 && s->cfg.ewma_alpha <= 1))
		goto err;
	err = map_max_entries(maps->flows, &s->flows_max, sizeof(struct flow_value));
	if (!err)
		err = map_max_entries(maps->table_stats, &s->tstats_max, 0);
	if (err)
		goto err;
	s->ncpus = libbpf_num_possible_cpus();
	err = s->ncpus > 0 ? alloc_buffers(s) : s->ncpus ? s->ncpus : -EINVAL;
	if (err)
		goto err;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->snap_lock, NULL);
	pthread_mutex_init(&s->thr_lock, NULL);
	return s;
err:
	if (s)
		release(s);
	errno = -err;
	return NULL;
}

static void snapshot_free(struct stats_snapshot *snap)
{
	free(snap->flows);
	free(snap->tables);
	free(snap->ended);
	free(snap);
}

void stats_snapshot_put(struct stats_snapshot *snap)
{
	if (snap && __atomic_sub_fetch(&snap->refs, 1, __ATOMIC_ACQ_REL) == 0)
		snapshot_free(snap);
}

struct stats_snapshot *stats_snapshot_get(struct stats *s)
{
	struct stats_snapshot *snap;

	pthread_mutex_lock(&s->snap_lock);
	snap = s->pub;
	if (snap)
		__atomic_add_fetch(&snap->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->snap_lock);
	return snap;
}

void stats_free(struct stats *s)
{
	if (!s)
		return;
	stats_stop(s);
	stats_snapshot_put(s->pub);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->snap_lock);
	pthread_mutex_destroy(&s->thr_lock);
	release(s);
}

/* ---- ending flows ---- */

static void ended_add(struct stats *s, const struct flow_key *k, const struct flow_value *v,
		      unsigned int reason, uint64_t now)
{
	struct stats_ended *e = &s->ring[s->ring_head];

	e->key = *k;
	e->val = *v;
	e->reason = reason;
	e->ended_ns = now;
	s->ring_head = (s->ring_head + 1) % s->cfg.ended_max;
	if (s->ring_n < s->cfg.ended_max)
		s->ring_n++;
	s->ended_count[reason]++;
	if (s->cfg.end_sink)
		s->cfg.end_sink(s->cfg.end_sink_ctx, e);
}

/*
 * Delete k from the flow map; *val becomes the counts the kernel had at the
 * deletion (lookup_and_delete is atomic with the datapath's updates).
 * -ENOENT: the LRU evicted it first, *val unchanged.
 */
static int take_flow(struct stats *s, const struct flow_key *k, struct flow_value *val)
{
	struct flow_value fin;

	if (!s->no_lookup_delete) {
		if (!bpf_map_lookup_and_delete_elem(s->maps.flows, k, &fin)) {
			*val = fin;
			return 0;
		}
		if (errno != EOPNOTSUPP && errno != ENOTSUPP && errno != EINVAL)
			return -errno;
		s->no_lookup_delete = true;
	}
	/*
	 * Fallback for kernels without lookup_and_delete on hash maps (before
	 * 5.14): a plain delete, and *val stays the value read before it. The
	 * packets counted between that read and the delete are lost.
	 */
	if (bpf_map_delete_elem(s->maps.flows, k))
		return -errno;
	return 0;
}

static void mark_gone(struct stats *s, const struct flow_key *k)
{
	long j = idx_find(s, k);

	if (j >= 0)
		s->mark[j] = 1;
}

int stats_end_flows(struct stats *s, const struct flow_key *match, uint64_t now)
{
	struct flow_rec one, *r = &one;
	ssize_t n = 1;
	int ended = 0, err;

	pthread_mutex_lock(&s->lock);
	if (match) {
		one.key = *match;
		if (bpf_map_lookup_elem(s->maps.flows, match, &one.val))
			n = 0;
	} else {
		n = flows_read(s->maps.flows, &r);
	}
	for (ssize_t i = 0; i < n; i++) {
		err = take_flow(s, &r[i].key, &r[i].val);
		if (err == -ENOENT)
			continue; /* evicted first: the next pass records it */
		if (err) {
			ended = err;
			break;
		}
		ended_add(s, &r[i].key, &r[i].val, STATS_END_FORCED, now);
		mark_gone(s, &r[i].key);
		ended++;
	}
	if (n < 0)
		ended = n;
	if (r != &one)
		free(r);
	pthread_mutex_unlock(&s->lock);
	return ended;
}

static bool same_flow(const struct flow_value *old, const struct flow_value *cur)
{
	return old->first_seen_ns == cur->first_seen_ns && cur->packets >= old->packets &&
	       cur->bytes >= old->bytes;
}

/* Fill f (key, val set) from the previous snapshot's entry j (-1: none). */
static void flow_rates(struct stats *s, struct stats_flow *f, long j, uint64_t now)
{
	const struct stats_snapshot *prev = s->pub;
	const struct stats_flow *old = j >= 0 ? &prev->flows[j] : NULL;

	f->idle_s = idle_of(now, f->val.last_seen_ns);
	if (old && same_flow(&old->val, &f->val)) {
		s->mark[j] = 1;
		rate_of(f->val.bytes - old->val.bytes, f->val.packets - old->val.packets,
			now > prev->taken_ns ? now - prev->taken_ns : 0, &f->rate_mbps, &f->pps);
		f->rate_avg_mbps = ewma(s, old->rate_avg_mbps, f->rate_mbps);
		return;
	}
	/* New, or a new flow with the key of one the LRU evicted (left unmarked). */
	rate_of(f->val.bytes, f->val.packets, new_window(prev, f->val.first_seen_ns, now),
		&f->rate_mbps, &f->pps);
	f->rate_avg_mbps = f->rate_mbps;
}

static int expiry_reason(const struct stats *s, const struct flow_value *v, uint64_t now)
{
	if (s->cfg.idle_timeout_s && now >= v->last_seen_ns &&
	    now - v->last_seen_ns >= s->cfg.idle_timeout_s * NS_PER_S)
		return STATS_END_IDLE;
	if (s->cfg.active_timeout_s && now >= v->first_seen_ns &&
	    now - v->first_seen_ns >= s->cfg.active_timeout_s * NS_PER_S)
		return STATS_END_ACTIVE;
	return -1;
}

/* One flow read from the map: rates, then live in snap or ended. */
static void flow_one(struct stats *s, struct stats_snapshot *snap, const struct flow_key *k,
		     const struct flow_value *v, uint64_t now)
{
	struct stats_flow tmp, *f = &tmp;
	int reason, err;

	if (snap->n_flows < s->flows_cap)
		f = &snap->flows[snap->n_flows];
	f->key = *k;
	f->val = *v;
	flow_rates(s, f, idx_find(s, k), now);
	reason = expiry_reason(s, &f->val, now);
	/*
	 * A packet counted since the read is in the final counts: the flow
	 * ends anyway, and its next packet starts a new one.
	 */
	if (reason >= 0) {
		err = take_flow(s, k, &f->val);
		if (err == -ENOENT)
			reason = STATS_END_EVICTED; /* between our read and our delete */
		if (!err || err == -ENOENT) {
			ended_add(s, k, &f->val, reason, now);
			return;
		}
		/* could not delete: still live, tried again next pass */
	}
	if (f == &tmp)
		snap->partial = true; /* more flows than flows_cap: churn during the read */
	else
		snap->n_flows++;
}

struct flows_ctx {
	struct stats *s;
	struct stats_snapshot *snap;
	uint64_t now;
};

static int flows_batch(void *ctx, const void *keys, const void *vals, __u32 n)
{
	const struct flow_key *k = keys;
	const struct flow_value *v = vals;
	struct flows_ctx *c = ctx;

	for (__u32 i = 0; i < n; i++)
		flow_one(c->s, c->snap, &k[i], &v[i], c->now);
	return 0;
}

/*
 * The flow map, each flow handled as it comes (mapread.h: deleting what
 * expires does not disturb the walk). An error before the first lookup
 * fails the pass; one after it leaves snap partial.
 */
static int read_flows(struct stats *s, struct stats_snapshot *snap, uint64_t now)
{
	struct flows_ctx c = { s, snap, now };
	struct mapread r = { .fd = s->maps.flows,
			     .key_size = sizeof(*s->bkeys),
			     .val_size = sizeof(*s->bvals),
			     .keys = s->bkeys,
			     .vals = s->bvals,
			     .batch = FLOWS_BATCH,
			     .fn = flows_batch,
			     .ctx = &c };
	int err = mapread_all(&r);

	if (err && r.started)
		snap->partial = true;
	return err;
}

/* Flows of the previous snapshot that neither we ended nor this pass saw. */
static void sweep_evicted(struct stats *s, uint64_t now)
{
	const struct stats_snapshot *prev = s->pub;

	for (size_t j = 0; prev && j < prev->n_flows; j++)
		if (!s->mark[j])
			ended_add(s, &prev->flows[j].key, &prev->flows[j].val, STATS_END_EVICTED,
				  now);
}

/* ---- the pass ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void ended_copy(const struct stats *s, struct stats_snapshot *snap)
{
	size_t max = s->cfg.ended_max;

	for (size_t i = 0; i < s->ring_n; i++)
		snap->ended[i] = s->ring[(s->ring_head + max - 1 - i) % max];
	snap->n_ended = s->ring_n;
	memcpy(snap->ended_count, s->ended_count, sizeof(snap->ended_count));
}

/* The previous snapshot's last reference, dropped by the pass: keep its flow array. */
static void retire(struct stats *s, struct stats_snapshot *old)
{
	if (!old || __atomic_sub_fetch(&old->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (!s->flows_spare) {
		s->flows_spare = old->flows;
		old->flows = NULL;
	}
	snapshot_free(old);
}

static void publish(struct stats *s, struct stats_snapshot *snap)
{
	struct stats_snapshot *old;
	__u32 *idx = s->idx;
	__u8 *mark = s->mark;

	idx_build(s->idx_spare, s->idx_mask, snap->flows, snap->n_flows);
	s->idx = s->idx_spare;
	s->idx_spare = idx;
	memset(s->mark_spare, 0, snap->n_flows);
	s->mark = s->mark_spare;
	s->mark_spare = mark;
	snap->refs = 1; /* the published pointer's */
	pthread_mutex_lock(&s->snap_lock);
	old = s->pub;
	s->pub = snap;
	pthread_mutex_unlock(&s->snap_lock);
	retire(s, old);
}

static struct stats_snapshot *snapshot_alloc(struct stats *s)
{
	struct stats_snapshot *snap = calloc(1, sizeof(*snap));

	if (!snap)
		return NULL;
	snap->flows =
		s->flows_spare ? s->flows_spare : big_alloc(s->flows_cap * sizeof(*snap->flows));
	snap->ended = malloc(s->cfg.ended_max * sizeof(*snap->ended));
	if (!snap->flows || !snap->ended) {
		snapshot_free(snap);
		return NULL;
	}
	s->flows_spare = NULL;
	return snap;
}

static int pass_run(struct stats *s, uint64_t now, bool timed)
{
	struct stats_snapshot *snap;
	int err = -ENOMEM;

	pthread_mutex_lock(&s->lock);
	snap = snapshot_alloc(s);
	if (!snap)
		goto out;
	err = stats_read_tables(s, snap, now);
	if (!err)
		err = stats_read_dp(s, snap);
	s->cursor = 0;
	if (!err)
		err = read_flows(s, snap, now);
	if (err && !snap->partial) {
		if (!s->flows_spare) { /* nothing changed: keep the array for the next try */
			s->flows_spare = snap->flows;
			snap->flows = NULL;
		}
		snapshot_free(snap);
		goto out;
	}
	if (!snap->partial)
		sweep_evicted(s, now); /* else some flows went unseen: no guessing */
	ended_copy(s, snap);
	snap->flows_live = snap->n_flows;
	snap->seq = ++s->seq;
	snap->taken_ns = now;
	snap->flows_max = s->flows_max;
	if (timed)
		snap->pass_ns = mono_ns() - now;
	publish(s, snap);
out:
	pthread_mutex_unlock(&s->lock);
	return err;
}

int stats_pass(struct stats *s, uint64_t now_mono_ns)
{
	return pass_run(s, now_mono_ns, false);
}

/* ---- the thread ---- */

/* A pass run just before the thread started counts: no second pass right after it. */
static uint64_t first_deadline(struct stats *s, uint64_t now)
{
	uint64_t ival = (uint64_t)s->cfg.interval_ms * 1000000, next = now;

	pthread_mutex_lock(&s->lock);
	if (s->pub && s->pub->taken_ns <= now)
		next = s->pub->taken_ns + ival;
	pthread_mutex_unlock(&s->lock);
	return next;
}

static void *stats_thread(void *arg)
{
	struct stats *s = arg;
	uint64_t next = first_deadline(s, mono_ns()), now;
	struct timespec ts;
	int err;

	pthread_mutex_lock(&s->thr_lock);
	while (!s->stop) {
		now = mono_ns();
		if (now < next) {
			ts.tv_sec = next / NS_PER_S;
			ts.tv_nsec = next % NS_PER_S;
			pthread_cond_timedwait(&s->thr_cond, &s->thr_lock, &ts);
			continue;
		}
		pthread_mutex_unlock(&s->thr_lock);
		err = pass_run(s, now, true);
		__atomic_store_n(&s->last_err, err, __ATOMIC_RELAXED);
		pthread_mutex_lock(&s->thr_lock);
		next += (uint64_t)s->cfg.interval_ms * 1000000;
		now = mono_ns();
		if (next <= now) /* the pass overran: skip the missed ticks */
			next = now + (uint64_t)s->cfg.interval_ms * 1000000;
	}
	pthread_mutex_unlock(&s->thr_lock);
	return NULL;
}

int stats_start(struct stats *s)
{
	pthread_condattr_t ca;
	int err;

	if (s->running)
		return -EALREADY;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = pthread_cond_init(&s->thr_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		return -err;
	s->stop = false;
	err = pthread_create(&s->thr, NULL, stats_thread, s);
	if (err) {
		pthread_cond_destroy(&s->thr_cond);
		return -err;
	}
	s->running = true;
	return 0;
}

void stats_stop(struct stats *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->thr_lock);
	s->stop = true;
	pthread_cond_signal(&s->thr_cond);
	pthread_mutex_unlock(&s->thr_lock);
	pthread_join(s->thr, NULL);
	pthread_cond_destroy(&s->thr_cond);
	s->running = false;
}

int stats_last_error(struct stats *s)
{
	return __atomic_load_n(&s->last_err, __ATOMIC_RELAXED);
}
