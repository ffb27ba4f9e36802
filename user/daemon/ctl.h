/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The control socket: a Unix stream socket (mode 0600, root or the daemon's
 * own user only, checked with SO_PEERCRED). One JSON object per line in,
 * one JSON object per line out: {"op": "stats"} -> {...}. Errors are
 * {"error": "..."}; lines over CTL_LINE_MAX are answered
 * {"error": "request line too long"} and close the connection. Requests of
 * one connection are answered in order (pipelining is fine).
 */
#ifndef IPOP_FW_CTL_H
#define IPOP_FW_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/module.h"

#define CTL_LINE_MAX	(4 * 1024 * 1024) /* a table_add of ~80,000 tables fits */
#define CTL_CLIENTS_MAX 64
/*
 * Back-pressure: no further request of a client is read or answered while
 * more than CTL_OUT_HIGH bytes of its replies are unsent. One reply may be
 * up to CTL_REPLY_MAX (a table list at 100,000 tables is tens of MiB); a larger
 * one is answered {"error": "reply too large"}.
 */
#define CTL_OUT_HIGH  (256 * 1024)
#define CTL_REPLY_MAX (128u * 1024 * 1024)
/*
 * A connection that neither sends nor takes a byte for CTL_IDLE_MS is
 * closed (IPOP_CTL_IDLE_MS in the environment overrides, 100..3600000). At
 * CTL_CLIENTS_MAX a new connection takes the place of the one idle longest,
 * so one more well-behaved client always gets an answer.
 */
#define CTL_IDLE_MS 30000

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

/*
 * The daemon's dispatch table, built once when it starts (daemon.c,
 * ctl_assemble) from its own ops, each extension's ops and each known
 * module's control ops; a name given twice is an error there. A module's
 * op runs on that module's instance on the daemon's node, or answers
 * "module X is not loaded".
 */
struct ctl_entry {
	const char *name;
	const char *from; /* its provider, for messages: "daemon", an extension, a module */
	ctl_op_fn fn;	  /* a daemon or extension op, or */
	const struct module_ops *mod; /* a module's op (mfn) */
	module_ctl_fn mfn;
};

#define CTL_OPS_MAX 128
struct ctl_table {
	int n;
	struct ctl_entry e[CTL_OPS_MAX];
};

/* Add one op. -EEXIST (err names both providers) or -ENOSPC. */
int ctl_table_add(struct ctl_table *t, const struct ctl_entry *e, char *err, size_t errlen);
/* Add a provider's {NULL, NULL}-terminated table (ops may be NULL). */
int ctl_table_add_ops(struct ctl_table *t, const char *from, const struct ctl_op *ops, char *err,
		      size_t errlen);
/* Add a module's control ops (ops->ctl_ops may be NULL). */
int ctl_table_add_module(struct ctl_table *t, const struct module_ops *ops, char *err,
			 size_t errlen);
const struct ctl_entry *ctl_table_find(const struct ctl_table *t, const char *name);
/*
 * Work too big for one loop turn (a 100,000-name table_del): the op calls
 * ctl_defer and returns NULL. The server then calls step once per loop turn
 * (other clients and timers are served in between) until it sets *done and
 * returns the reply (or NULL with err filled); that client's next requests
 * wait meanwhile. free_state(state) afterwards. A client that goes away does
 * not stop the work. 0 or -ENOMEM (then nothing was deferred: fail the op).
 */
typedef json_t *(*ctl_step_fn)(struct daemon *d, void *state, bool *done, char *err, size_t errlen);
int ctl_defer(ctl_step_fn step, void *state, void (*free_state)(void *));

/*
 * Answer one request line through d's table: a reply object (new
 * reference). Deferred work is run to its end here (tests, fuzzing).
 */
json_t *ctl_dispatch(struct daemon *d, const char *line, size_t len);

#endif /* IPOP_FW_CTL_H */
