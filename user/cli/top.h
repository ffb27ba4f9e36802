/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon side of `ipop-bpf top`: the control op flows_top, the newest
 * snapshot's flows sorted on the daemon ("sort": "rate" (default),
 * "packets" or "bytes") and cut to "limit" (default 100, at most
 * TOP_LIMIT_MAX, so a reply always fits the control socket's output
 * buffer however many flows there are). Reply: {"flows": [flow as in the op
 * flows, with "idle_s", "rate_mbps", "rate_avg_mbps", "pps"], "total": all
 * live flows, "taken_ns"}.
 */
#ifndef IPOP_TOP_H
#define IPOP_TOP_H

#include "daemon/ctl.h"

#define TOP_LIMIT_MAX 2000

/* The op flows_top (the daemon's "top" extension, cmd_daemon.c). */
extern const struct ctl_op top_ctl_ops[];

#endif /* IPOP_TOP_H */
