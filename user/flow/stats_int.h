/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Inside the statistics thread (stats.c, stats_tables.c); see stats.h. */
#ifndef IPOP_STATS_INT_H
#define IPOP_STATS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow/stats.h"

#define NS_PER_S      1000000000ull
#define MIN_WINDOW_NS 1000000ull /* a rate is never taken over less than 1 ms */
#define TSTATS_BATCH  4096
#define TABLES_BATCH  256
#define FLOWS_BATCH   1024
#define HUGE_SZ	      (2u << 20)

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's internal "not supported", as BPF returns it */
#endif

struct stats {
	struct stats_cfg cfg;
	struct stats_maps maps;
	__u32 flows_max;
	__u32 tstats_max;
	int ncpus;

	size_t flows_cap; /* entries of every snapshot's flow array */

	pthread_mutex_t lock; /* everything from here to snap_lock */
	bool no_lookup_delete;
	__u64 seq;
	/*
	 * Open addressing over pub->flows (slot = i + 1, 0 = empty) and one mark
	 * per pub->flows entry (ended by us, or seen by the running pass). The
	 * next pass builds its own in the spares; sizes are fixed by flows_cap.
	 */
	__u32 *idx, *idx_spare;
	size_t idx_mask;
	size_t cursor; /* pub->flows entry the next lookup tries first */
	__u8 *mark, *mark_spare;
	struct stats_flow *flows_spare; /* from a snapshot nobody held any more */
	struct flow_key *bkeys;		/* one batch of the flow map */
	struct flow_value *bvals;
	struct stats_ended *ring;
	size_t ring_head, ring_n;
	__u64 ended_count[STATS_END_MAX];
	__u64 *percpu;			/* one dp_stats value per CPU */
	struct cls_table_stats *tstats; /* the table_stats array, read in batches */
	__u32 *tkeys;			/* one batch of it */
	struct cls_table_stats *tvals;

	pthread_mutex_t snap_lock; /* pub: written under both locks, read under either */
	struct stats_snapshot *pub;

	pthread_mutex_t thr_lock;
	pthread_cond_t thr_cond;
	pthread_t thr;
	bool running, stop;
	int last_err; /* atomic */
};

/* ---- rates ---- */

static inline double idle_of(uint64_t now, uint64_t last)
{
	return now > last ? (double)(now - last) / NS_PER_S : 0;
}

static inline void rate_of(uint64_t dbytes, uint64_t dpkts, uint64_t window, double *mbps,
			   double *pps)
{
	if (window < MIN_WINDOW_NS)
		window = MIN_WINDOW_NS;
	*mbps = dbytes * 8.0 * 1e3 / window;
	*pps = dpkts * 1e9 / window;
}

/* The window of something the previous pass did not see; see stats.h. */
static inline uint64_t new_window(const struct stats_snapshot *prev, uint64_t first, uint64_t now)
{
	if (prev && first >= prev->taken_ns)
		return now - prev->taken_ns;
	return now > first ? now - first : 0;
}

static inline double ewma(const struct stats *s, double avg, double rate)
{
	return s->cfg.ewma_alpha * rate + (1 - s->cfg.ewma_alpha) * avg;
}

/* The tables (defined ones, by id, with their counters and rates) into snap. */
int stats_read_tables(struct stats *s, struct stats_snapshot *snap, uint64_t now);
/* The datapath counters, summed over the CPUs, into snap. */
int stats_read_dp(struct stats *s, struct stats_snapshot *snap);

#endif /* IPOP_STATS_INT_H */
