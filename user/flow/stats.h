/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The statistics thread: reads the flow, datapath and table maps once per
 * interval, computes idle times and rates, expires flows and publishes an
 * immutable, reference-counted snapshot that other threads read without
 * touching the maps.
 *
 * stats_pass() is the whole computation for one instant `now` (CLOCK_MONOTONIC
 * ns, the clock of bpf_ktime_get_ns); it reads no clock and never sleeps, so
 * tests drive it with literal times. stats_start() runs it on a thread.
 *
 * Rates. A flow (or table) seen by the previous pass: Δbytes·8 / Δt over the
 * interval between the two passes. One not seen by the previous pass: if
 * it started after that pass, all its bytes arrived inside the interval, so
 * its rate is bytes·8 / interval (the same window as every other flow, so
 * rates of flows can be added up); otherwise (the first pass, or a
 * flow the previous read missed) the mean over its life, bytes·8 /
 * (now − first_seen). A window is never shorter than 1 ms. The moving
 * average starts at the first rate and then is
 * avg = alpha·rate + (1 − alpha)·avg.
 *
 * Expiry deletes with bpf_map_lookup_and_delete_elem(), so the ended record
 * holds the counts the kernel had at the deletion, not those of our read.
 * A flow that vanished without us deleting it (or came back with a new
 * first_seen) was evicted by the LRU: it ends "evicted" with the last counts
 * seen, at the time of the pass that noticed.
 *
 * Threads. stats_pass() and stats_end_flows() take the same mutex, so either
 * may be called from any thread; stats_end_flows() waits for a running pass
 * (up to a pass time). Readers use stats_snapshot_get()/put() only: the
 * publication is a pointer swap under a second mutex, and a snapshot lives
 * until its last reference is put, even past stats_free().
 *
 * Memory: two flow arrays of 1.125 * max_entries * 128 bytes (virtual; pages
 * are touched only as flows fill them; a third while a reader holds an old
 * snapshot across a pass), an index of 4-byte slots at most 2/3 full, twice,
 * and a copy of the table_stats array.
 */
#ifndef IPOP_STATS_H
#define IPOP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "cls.h"
#include "flow.h"

#define STATS_INTERVAL_MS_DEFAULT 1000
#define STATS_ENDED_MAX_DEFAULT	  1024
#define STATS_EWMA_ALPHA_DEFAULT  0.3

struct stats_ended;

struct stats_cfg {
	unsigned int interval_ms;      /* 0 = default 1000 */
	unsigned int idle_timeout_s;   /* 0 = never expire on idle */
	unsigned int active_timeout_s; /* 0 = never */
	unsigned int ended_max;	       /* recently ended flows kept; 0 = default 1024 */
	double ewma_alpha;	       /* weight of the newest interval, (0, 1]; 0 = default 0.3 */
	/*
	 * Optional end sink (the IPFIX exporter): called for every flow that
	 * ends, whatever the reason, with the record that enters the ended
	 * ring; under the statistics lock, so it must not block.
	 */
	void (*end_sink)(void *ctx, const struct stats_ended *e);
	void *end_sink_ctx;
};

/* Map fds, owned by the caller; they must outlive the struct stats. */
struct stats_maps {
	int flows;	 /* LRU hash flow_key -> flow_value */
	int dp_stats;	 /* per-CPU array of __u64, DP_STAT_MAX entries */
	int table_stats; /* array of struct cls_table_stats, by table id */
	int tables;	 /* hash __u32 id -> struct cls_table_def */
};

/* IPFIX-style end reasons. */
enum stats_end_reason {
	STATS_END_IDLE = 0,
	STATS_END_ACTIVE,
	STATS_END_EVICTED, /* gone from the LRU map without us deleting it */
	STATS_END_FORCED,  /* stats_end_flows() */
	STATS_END_MAX,
};

struct stats_flow {
	struct flow_key key;
	struct flow_value val; /* as read in this pass */
	double idle_s;
	double rate_mbps;
	double rate_avg_mbps;
	double pps;
};

struct stats_table {
	__u32 id;
	__u32 prio;
	char name[CLS_TABLE_NAME_LEN];
	__u64 packets;
	__u64 bytes;
	__u64 first_hit_ns;
	__u64 last_hit_ns; /* 0: never hit */
	double idle_s;	   /* < 0: never hit */
	double rate_mbps;
	double rate_avg_mbps;
	double pps;
};

struct stats_ended {
	struct flow_key key;
	struct flow_value val; /* final counts */
	__u32 reason;	       /* enum stats_end_reason */
	__u64 ended_ns;	       /* when the end was seen: for "evicted", the pass that noticed */
};

/* Immutable once published. Arrays are owned by the snapshot. */
struct stats_snapshot {
	int refs;  /* private: use stats_snapshot_get/put */
	__u64 seq; /* pass number, from 1 */
	__u64 taken_ns;
	__u64 pass_ns; /* duration of the pass; 0 when run by stats_pass() directly */
	__u64 dp[DP_STAT_MAX];
	size_t flows_live;
	__u32 flows_max;
	struct stats_flow *flows; /* map order */
	size_t n_flows;
	struct stats_table *tables; /* by id */
	size_t n_tables;
	struct stats_ended *ended; /* newest first */
	size_t n_ended;
	__u64 ended_count[STATS_END_MAX]; /* since stats_new() */
	/*
	 * The flow read stopped early (a map error after the first batch, or
	 * more flows than max_entries + 1/8 under heavy churn): some live flows
	 * are missing and no eviction was inferred in this pass.
	 */
	bool partial;
};

struct stats;

void stats_cfg_defaults(struct stats_cfg *cfg);
const char *stats_end_reason_name(unsigned int reason);
/* The JSON name of a datapath counter (enum dp_stat): "packets", "parse_errors", ... */
const char *stats_dp_name(unsigned int idx);

/*
 * NULL with errno set (EINVAL for a bad cfg or map, EPROTO for a flow map
 * whose values are not this build's struct flow_value, ENOMEM).
 */
struct stats *stats_new(const struct stats_cfg *cfg, const struct stats_maps *maps);
/* Stops the thread if it runs. Snapshots still held stay valid until put. */
void stats_free(struct stats *s);

/*
 * One pass at now (CLOCK_MONOTONIC ns); publishes a snapshot. 0 or -errno;
 * on an error a snapshot is published only if it is marked partial.
 */
int stats_pass(struct stats *s, uint64_t now_mono_ns);

/*
 * End one flow (match) or every flow (NULL) now, reason "forced": deleted
 * from the map with its final counts. Returns the number ended or -errno.
 * The ended flows show in the snapshot of the next pass.
 */
int stats_end_flows(struct stats *s, const struct flow_key *match, uint64_t now_mono_ns);

/* The newest snapshot with a reference taken, or NULL before the first pass. */
struct stats_snapshot *stats_snapshot_get(struct stats *s);
void stats_snapshot_put(struct stats_snapshot *snap);

/* Run stats_pass() every interval on a thread; 0 or -errno. */
int stats_start(struct stats *s);
void stats_stop(struct stats *s);
/* -errno of the thread's last pass, 0 if it succeeded. */
int stats_last_error(struct stats *s);

/*
 * The one order of flows, largest first: by bytes, packets or rate, ties
 * broken by bytes, packets, rate and then the flow key. Unknown `how`: bytes.
 */
enum stats_sort {
	STATS_SORT_BYTES = 0,
	STATS_SORT_PACKETS,
	STATS_SORT_RATE,
	STATS_SORT_MAX,
};
const char *stats_sort_name(int how);
/* The enum of a name ("bytes", "packets", "rate"), -1 for anything else (NULL too). */
int stats_sort_parse(const char *name);
void stats_flows_sort(const struct stats_flow **v, size_t n, int how);

struct ifnames;

/*
 * JSON views of a snapshot (new references, NULL on ENOMEM). limit 0 = all.
 * flows: in the order `how`, each as fmt_flow_json() plus "table_id",
 * "idle_s", "rate_mbps", "rate_avg_mbps", "pps", labelled through names
 * (ifnames.h: the loader's records, then the kernel). tables: by id.
 * ended: newest first, with "reason" and "ended_ns". dp: the datapath
 * counters by name, "flows_live", "flows_max", "ended" by reason,
 * "pass_ms", "taken_ns".
 */
json_t *stats_snapshot_json_flows(const struct stats_snapshot *snap, size_t limit, int how,
				  struct ifnames *names);
/* One flow of a snapshot, as the flows views print it. */
json_t *stats_flow_json(const struct stats_flow *f, const char *ifname);
json_t *stats_snapshot_json_tables(const struct stats_snapshot *snap, size_t limit);
json_t *stats_snapshot_json_ended(const struct stats_snapshot *snap, size_t limit,
				  struct ifnames *names);
json_t *stats_snapshot_json_dp(const struct stats_snapshot *snap);

#endif /* IPOP_STATS_H */
