/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's flow side: attaches the datapath to the configured
 * interfaces (or adopts what a previous daemon left attached), owns the
 * flow-table controller, runs the statistics thread, and serves the
 * control ops of flowd_ctl_ops: table_add, table_del, table_list, flows,
 * flows_top, flows_ended, flows_end, dp_stats and flow_status.
 *
 * flows_top: the newest snapshot's flows sorted on the daemon ("sort":
 * "rate" (default), "packets" or "bytes") and cut to "limit" (default 100,
 * at most FLOWD_TOP_LIMIT_MAX, so a reply always fits the control socket's
 * output buffer however many flows there are). Reply: {"flows": [flow as in
 * the op flows], "total": all live flows, "taken_ns"}.
 *
 * With opts.ipfix, every ended flow is exported to an IPFIX collector
 * (flow/ipfix.h); flow_status shows the exporter's counters under "ipfix".
 */
#ifndef IPOP_FLOWD_H
#define IPOP_FLOWD_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "daemon/ctl.h"

#define FLOWD_IFACES_MAX    16
#define FLOWD_TOP_LIMIT_MAX 2000

struct flowd_opts {
	const char *pin_path;
	int n_ifaces;
	const char *ifaces[FLOWD_IFACES_MAX];
	int hook, mode;		   /* as for ipop-bpf load */
	unsigned int flow_entries; /* 0: default or what is pinned */
	unsigned int stats_interval_s;
	unsigned int idle_timeout_s, active_timeout_s; /* 0: never */
	bool keep_attached;
	/* What people may want to know (e.g. an interface adopted); NULL: nothing said. */
	void (*notice)(const char *msg);
	/* IPFIX export of ended flows (flow/ipfix.h): HOST:PORT[/udp|/tcp], or NULL */
	const char *ipfix;
	unsigned int ipfix_domain;	/* observation domain ID */
	unsigned int ipfix_interval_ms; /* longest a record waits (default 1000) */
	/*
	 * The daemon whose loop watches the interfaces (rtnetlink): one deleted
	 * is reported (log, flow_status "links") and attached again when an
	 * interface of that name comes back. NULL: no watch.
	 */
	struct daemon *daemon;
};

/* Fill unset fields from a config's "flows" object (CLI options win). -EINVAL with err. */
int flowd_opts_from_json(struct flowd_opts *o, json_t *flows, char *err, size_t errlen);

/* Attach, recover tables, start statistics. 0, or -errno with one line in msg. */
int flowd_start(const struct flowd_opts *o, char *msg, size_t msglen);
/* Stop statistics; detach what we attached unless keep_attached. */
void flowd_stop(void);

/* The running statistics (NULL when flow accounting is not running) and the pin path. */
struct stats *flowd_stats(void);
const char *flowd_pin_path(void);

/* The control ops, ending with {NULL, NULL}; they answer "not running" until flowd_start. */
extern const struct ctl_op flowd_ctl_ops[];

#endif /* IPOP_FLOWD_H */
