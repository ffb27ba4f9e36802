/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Formatting of addresses, protocols, sizes and flows, for tables and JSON. */
#ifndef IPOP_FMT_H
#define IPOP_FMT_H

#include <stddef.h>
#include <jansson.h>

#include "flow.h"

#define FMT_ADDR_LEN 46 /* INET6_ADDRSTRLEN */
#define FMT_NODE_LEN 33 /* a 16-byte node ID in hex */

/* The address of an l3 (4 or 6) flow as text; "" for non-IP. */
const char *fmt_addr(char *buf, size_t len, __u8 l3, const __u8 addr[16]);
/* "tcp", "udp", "icmp", "ipv6-icmp", ... or the number. */
const char *fmt_proto(char *buf, size_t len, __u8 proto);
/* 1234 -> "1.2K", binary-free SI units, for tables. */
const char *fmt_si(char *buf, size_t len, double v);
const char *fmt_dir(__u8 dir);
/* TCP flags as letters "FSRPAUEC", or "-" for none. */
const char *fmt_tcp_flags(char *buf, size_t len, __u32 flags);

/* An overlay node ID as 32 lowercase hex digits (as core/id.h writes them). */
const char *fmt_node(char out[FMT_NODE_LEN], const __u8 id[16]);

/*
 * One flow as the JSON object `ipop-bpf flows --json` prints; an overlay
 * flow (FLOW_KEY_OVERLAY) also has "src_node" and "dst_node".
 */
json_t *fmt_flow_json(const struct flow_key *k, const struct flow_value *v, const char *ifname);

/* Print a JSON value on one line (plus newline) to stdout; 0 or -EIO. */
int fmt_json_print(json_t *j);

#endif /* IPOP_FMT_H */
