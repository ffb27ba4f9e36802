/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's flow side: attaches the datapath to the configured
 * interfaces (or adopts what a previous daemon left attached), owns the
 * flow-table controller, runs the statistics thread, and serves the
 * control ops table_add, table_del, table_list, flows, flows_ended,
 * flows_end, dp_stats and flow_status; with opts.ipfix, exports every ended
 * flow to an IPFIX collector (flow_status shows the exporter's counters).
 */
#ifndef IPOP_FLOWD_H
#define IPOP_FLOWD_H

#include <stdbool.h>
#include <jansson.h>

#include "cli/cli.h"
#include "daemon/ctl.h"

struct flowd_opts {
	const char *pin_path;
	struct cli_list ifaces;
	int hook, mode;		   /* as for ipop-bpf load */
	unsigned int flow_entries; /* 0: default or what is pinned */
	unsigned int stats_interval_s;
	unsigned int idle_timeout_s, active_timeout_s; /* 0: never */
	bool keep_attached;
	/* IPFIX export of ended flows (flow/ipfix.h): HOST:PORT[/udp|/tcp], or NULL */
	const char *ipfix;
	unsigned int ipfix_domain;	/* observation domain ID */
	unsigned int ipfix_interval_ms; /* longest a record waits (default 1000) */
};

/* Fill unset fields from a config's "flows" object (CLI options win). -EINVAL with err. */
int flowd_opts_from_json(struct flowd_opts *o, json_t *flows, char *err, size_t errlen);

/* Attach, recover tables, start statistics, register the control ops. 0 or -errno. */
int flowd_start(const struct flowd_opts *o);
/* Stop statistics; detach what we attached unless keep_attached. */
void flowd_stop(void);

/* The running statistics (NULL when flow accounting is not running) and the pin path. */
struct stats *flowd_stats(void);
const char *flowd_pin_path(void);

/* The control ops of the flow side; they answer "not running" until flowd_start. */
extern const struct ctl_op flowd_ctl_ops[];

#endif /* IPOP_FLOWD_H */
