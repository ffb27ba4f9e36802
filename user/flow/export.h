/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Prometheus textfile exporter: renders a statistics snapshot, the overlay
 * modules' counters and the attached interfaces in text format 0.0.4, and
 * writes DIR/ipop.prom atomically (temporary file in DIR, fsync, rename) for
 * node_exporter's textfile collector.
 *
 * Families (README "Prometheus"): ipop_build_info, ipop_interface_info,
 * ipop_datapath_*_total, ipop_flows, ipop_flows_max, ipop_flows_ended_total,
 * ipop_table_*, ipop_flow_* (top K flows by rate only) and
 * ipop_module_events_total. Every family gets HELP and TYPE, even without
 * samples; all samples of a family are written together; no timestamps.
 *
 * Per-flow series are labelled ifname, direction, src, dst, proto, sport,
 * dport. Flows that differ only in something else (VLAN, the fragment flag)
 * are merged into one series before the top K are chosen: counts and rates
 * are summed, idle is the smallest.
 *
 * The daemon's exporter runs on a thread of its own: rendering and the disk
 * never block the event loop or the statistics thread. The event loop only
 * hands over a copy of the module counters (exporter_set_modules), which
 * also asks for a write.
 */
#ifndef IPOP_EXPORT_H
#define IPOP_EXPORT_H

#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#include "flow.h"

#define EXPORT_FILE_NAME	   "ipop.prom"
#define EXPORT_TOP_K_DEFAULT	   10
#define EXPORT_INTERVAL_MS_DEFAULT 5000

struct stats;
struct stats_snapshot;

struct export_iface {
	__u32 ifindex;
	char ifname[IF_NAMESIZE];
	__u32 ingress_hook; /* enum iface_hook */
};

struct export_input {
	const struct stats_snapshot *snap; /* NULL: no flow accounting running */
	const json_t *modules;		   /* as daemon_stats_json(), or NULL */
	const struct export_iface *ifaces; /* attached interfaces */
	size_t n_ifaces;
	unsigned int top_k; /* per-flow series for at most this many flows */
	const char *version;
};

/*
 * A label value with backslash, double quote and newline escaped; other
 * control characters and non-ASCII bytes become '?' (so that the file is
 * always valid UTF-8, whatever an interface is called).
 */
void export_put_label_value(FILE *f, const char *s);

/* The whole exposition to f. 0, or -EIO / -ENOMEM. */
int export_render(FILE *f, const struct export_input *in);

/* Render into DIR/.ipop.prom.XXXXXX, fflush, fsync, chmod 0644, rename to DIR/ipop.prom. */
int export_write(const char *dir, const struct export_input *in);

/* The interfaces recorded in the pinned `ifaces` map: count, or -errno; *out malloc'd. */
int export_read_ifaces(const char *pin_path, struct export_iface **out);

/* ---- the daemon's exporter thread ---- */

struct exporter_cfg {
	const char *dir;
	const char *pin_path; /* for the ifaces map; NULL: no interface info */
	unsigned int top_k;
};

/* Start the thread; stats may be NULL (no flow accounting). NULL with errno set. */
struct exporter *exporter_start(const struct exporter_cfg *cfg, struct stats *stats);
/* Hand over the module counters (deep-copied under a mutex) and ask for a write. */
void exporter_set_modules(struct exporter *x, const json_t *modules);
/* Writes done and -errno of the last one (0: it succeeded). */
unsigned long exporter_writes(struct exporter *x, int *last_err);
/* Stop the thread (after a last pending write), free everything. */
void exporter_stop(struct exporter *x);

/* ---- the daemon's options and its extension ("export", after "flows") ---- */

struct export_daemon_opts {
	const char *dir;      /* --textfile-dir; NULL: no exporter */
	const char *interval; /* --export-interval, seconds, may be fractional */
	unsigned int top_k;   /* --export-top-flows */
};

/*
 * Check the options (-EINVAL with one line in msg) and, with a dir, register
 * the exporter as a daemon extension: started after the flow side, it runs
 * the thread and a loop timer that hands over the module counters.
 * (daemon/export_daemon.c)
 */
int export_daemon_setup(const struct export_daemon_opts *o, char *msg, size_t msglen);

#endif /* IPOP_EXPORT_H */
