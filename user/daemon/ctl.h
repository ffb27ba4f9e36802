/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The control socket: a Unix stream socket (mode 0600, root or the daemon's
 * own user only, checked with SO_PEERCRED). One JSON object per line in,
 * one JSON object per line out: {"op": "stats"} -> {...}. Errors are
 * {"error": "..."}; lines over CTL_LINE_MAX close the connection.
 */
#ifndef IPOP_FW_CTL_H
#define IPOP_FW_CTL_H

#include <jansson.h>
#include <stddef.h>

#define CTL_LINE_MAX	(4 * 1024 * 1024) /* a table_add of ~80,000 tables fits */
#define CTL_CLIENTS_MAX 64
#define CTL_OUT_MAX	(1 << 20)

struct daemon;

/* An op handler: return a reply object (new ref), or NULL with err filled. */
typedef json_t *(*ctl_op_fn)(struct daemon *d, json_t *req, char *err, size_t errlen);

/*
 * A named op. Each provider (the daemon's own ops, the flow side) exports a
 * const table ending with {NULL, NULL}; the daemon assembles its dispatch
 * table from those tables (and each loaded module's control ops) in one
 * place when it starts.
 */
struct ctl_op {
	const char *name;
	ctl_op_fn fn;
};

/* Add an op to the dispatch table (before daemon_run). -EEXIST, -ENOSPC. */
int ctl_register_op(const char *name, ctl_op_fn fn);

#endif /* IPOP_FW_CTL_H */
