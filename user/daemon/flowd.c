// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "daemon/flowd.h"
#include "daemon/flowd_int.h"
#include "flow/clsctl.h"
#include "flow/errmsg.h"
#include "flow/ifnames.h"
#include "flow/ipfix.h"
#include "flow/loader.h"
#include "flow/pins.h"
#include "flow/rule.h"
#include "flow/stats.h"

#define FLOWD_TABLES_PER_REQ 200000

static struct flowd {
	bool running;
	struct flowd_opts o;
	struct cls *cls;
	struct stats *stats;
	struct stats_maps maps;
	struct ipfix *ipfix;		 /* NULL without --ipfix */
	int ifaces_fd;			 /* the pinned ifaces map, for flow labels */
	bool attached[FLOWD_IFACES_MAX]; /* by us or adopted: ours to detach */
	bool adopted[FLOWD_IFACES_MAX];	 /* left attached by an earlier daemon */
} fd_state = { .maps = { -1, -1, -1, -1 }, .ifaces_fd = -1 };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int json_uint(json_t *flows, const char *key, unsigned int *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(flows, key);

	if (!v || *out)
		return 0; /* absent, or the command line already set it */
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 86400 * 365)
		return snprintf(err, errlen, "config: flows.%s must be a non-negative integer",
				key),
		       -EINVAL;
	*out = json_integer_value(v);
	return 0;
}

int flowd_opts_from_json(struct flowd_opts *o, json_t *flows, char *err, size_t errlen)
{
	json_t *v;
	size_t i;
	int e = 0;

	if (!flows)
		return 0;
	if (!json_is_object(flows))
		return snprintf(err, errlen, "config: \"flows\" must be an object"), -EINVAL;
	v = json_object_get(flows, "pin_path");
	if (v && !json_is_string(v))
		return snprintf(err, errlen, "config: flows.pin_path must be a string"), -EINVAL;
	if (v && !o->pin_path)
		o->pin_path = json_string_value(v);
	v = json_object_get(flows, "interfaces");
	if (v && !json_is_array(v))
		return snprintf(err, errlen, "config: flows.interfaces must be an array"), -EINVAL;
	if (v && o->n_ifaces == 0) {
		json_t *s;

		json_array_foreach(v, i, s) {
			if (!json_is_string(s) || o->n_ifaces == FLOWD_IFACES_MAX)
				return snprintf(err, errlen,
						"config: flows.interfaces: at most %d names",
						FLOWD_IFACES_MAX),
				       -EINVAL;
			o->ifaces[o->n_ifaces++] = json_string_value(s);
		}
	}
	e = e ?: json_uint(flows, "stats_interval_s", &o->stats_interval_s, err, errlen);
	e = e ?: json_uint(flows, "idle_timeout_s", &o->idle_timeout_s, err, errlen);
	e = e ?: json_uint(flows, "active_timeout_s", &o->active_timeout_s, err, errlen);
	e = e ?: json_uint(flows, "flow_entries", &o->flow_entries, err, errlen);
	v = json_object_get(flows, "ipfix");
	if (v && !json_is_string(v))
		return snprintf(err, errlen,
				"config: flows.ipfix must be \"HOST:PORT[/udp|/tcp]\""),
		       -EINVAL;
	if (v && !o->ipfix)
		o->ipfix = json_string_value(v);
	e = e ?: json_uint(flows, "ipfix_domain", &o->ipfix_domain, err, errlen);
	e = e ?: json_uint(flows, "ipfix_interval_ms", &o->ipfix_interval_ms, err, errlen);
	return e;
}

/* Attach one interface (0), or adopt what a previous daemon left attached (1); -errno. */
static int attach_or_adopt(const struct flowd_opts *o, const char *ifname, char *msg, size_t msglen)
{
	struct load_opts lo = { .ifname = ifname,
				.pin_path = o->pin_path,
				.hook = o->hook,
				.mode = o->mode,
				.flow_entries = o->flow_entries };
	struct iface_info info;
	int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return errmsg(msg, msglen, -ENODEV, "unknown interface '%s'", ifname);
	if (!loader_lookup(o->pin_path, ifindex, &info)) {
		if (loader_still_attached(ifindex, &info)) {
			char note[128];

			snprintf(note, sizeof(note), "%s already attached (%s): adopting it",
				 ifname, loader_hook_name(info.ingress_hook));
			if (o->notice)
				o->notice(note);
			return 1;
		}
		/* a stale record: someone removed our programs; start over */
		loader_detach(o->pin_path, ifname, false, true, NULL, 0);
	}
	return loader_attach(&lo, msg, msglen);
}

int flowd_iface_attach(int i, char *msg, size_t msglen)
{
	int ret = attach_or_adopt(&fd_state.o, fd_state.o.ifaces[i], msg, msglen);

	fd_state.attached[i] = ret >= 0;
	fd_state.adopted[i] = ret == 1;
	return ret;
}

void flowd_iface_forget(int i, int old_ifindex)
{
	loader_forget_index(fd_state.o.pin_path, old_ifindex, NULL, 0);
	fd_state.attached[i] = false;
	fd_state.adopted[i] = false;
}

/* Detach what we attached (and, unless only_new, what we adopted). */
static void detach_ours(bool only_new)
{
	for (int i = 0; i < fd_state.o.n_ifaces; i++) {
		if (!fd_state.attached[i] || (only_new && fd_state.adopted[i]))
			continue;
		loader_detach(fd_state.o.pin_path, fd_state.o.ifaces[i], false, true, NULL, 0);
		fd_state.attached[i] = false;
	}
}

static void close_maps(void)
{
	int *fds[] = { &fd_state.maps.flows, &fd_state.maps.dp_stats, &fd_state.maps.table_stats,
		       &fd_state.maps.tables, &fd_state.ifaces_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* ---- IPFIX export: the statistics thread's end sink ---- */

/* The exporter and the sink in sc; -errno with the reason in err. */
static int ipfix_open(const struct flowd_opts *o, struct stats_cfg *sc, char *err, size_t errlen)
{
	struct ipfix_cfg ic = { .domain = o->ipfix_domain,
				.export_interval_ms = o->ipfix_interval_ms };
	int rc = ipfix_parse_target(&ic, o->ipfix, err, errlen);

	if (!rc) {
		fd_state.ipfix = ipfix_new(&ic, err, errlen);
		rc = fd_state.ipfix ? ipfix_start(fd_state.ipfix) : -errno;
		if (rc && fd_state.ipfix)
			snprintf(err, errlen, "cannot start the IPFIX thread: %s", strerror(-rc));
	}
	if (rc)
		return rc;
	sc->end_sink = ipfix_sink;
	sc->end_sink_ctx = fd_state.ipfix;
	return 0;
}

/* After the statistics thread: no sink call may come after this. */
static void ipfix_close(void)
{
	ipfix_free(fd_state.ipfix);
	fd_state.ipfix = NULL;
}

static json_t *ipfix_json(void)
{
	struct ipfix_counters c;
	char err[512];

	if (!fd_state.ipfix)
		return json_null();
	ipfix_counters(fd_state.ipfix, &c);
	ipfix_last_error(fd_state.ipfix, err, sizeof(err));
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
			 "collector", fd_state.o.ipfix, "records_queued",
			 (json_int_t)c.records_queued, "records_sent", (json_int_t)c.records_sent,
			 "records_dropped", (json_int_t)c.records_dropped, "records_lost",
			 (json_int_t)c.records_lost, "messages_sent", (json_int_t)c.messages_sent,
			 "templates_sent", (json_int_t)c.templates_sent, "send_errors",
			 (json_int_t)c.send_errors, "connects", (json_int_t)c.connects,
			 "connect_failures", (json_int_t)c.connect_failures, "queue_len",
			 (json_int_t)c.queue_len, "last_error", err);
}

/*
 * Undo flowd_start (the statistics thread already stopped). After a failed
 * start, what that start attached goes (what it adopted stays with
 * --keep-attached); after a normal stop, everything unless --keep-attached.
 */
static void flowd_teardown(bool failed_start)
{
	flowd_links_stop();
	stats_free(fd_state.stats);
	fd_state.stats = NULL;
	ipfix_close();
	cls_close(fd_state.cls);
	fd_state.cls = NULL;
	close_maps();
	if (failed_start)
		detach_ours(fd_state.o.keep_attached);
	else if (!fd_state.o.keep_attached)
		detach_ours(false);
}

int flowd_start(const struct flowd_opts *o, char *msg, size_t msglen)
{
	struct stats_cfg sc;
	struct stat st;
	bool fresh, dir_fresh;
	int err = 0;

	fd_state.o = *o;
	if (!fd_state.o.pin_path)
		fd_state.o.pin_path = IPOP_PIN_PATH_DEFAULT;
	/* pins (and a directory) this start creates are removed again if it fails */
	dir_fresh = stat(fd_state.o.pin_path, &st) != 0;
	fresh = dir_fresh || (err = pins_open_map(fd_state.o.pin_path, "ifaces")) < 0;
	if (err >= 0)
		close(err);
	err = 0;
	if (o->n_ifaces < 0 || o->n_ifaces > FLOWD_IFACES_MAX)
		return errmsg(msg, msglen, -EINVAL, "at most %d interfaces", FLOWD_IFACES_MAX);
	for (int i = 0; i < o->n_ifaces && !err; i++) {
		err = attach_or_adopt(&fd_state.o, o->ifaces[i], msg, msglen);
		fd_state.attached[i] = err >= 0;
		fd_state.adopted[i] = err == 1;
		err = err < 0 ? err : 0;
	}
	if (err)
		goto fail;
	fd_state.maps.flows = pins_open_map(fd_state.o.pin_path, "flows");
	fd_state.maps.dp_stats = pins_open_map(fd_state.o.pin_path, "dp_stats");
	fd_state.maps.table_stats = pins_open_map(fd_state.o.pin_path, "table_stats");
	fd_state.maps.tables = pins_open_map(fd_state.o.pin_path, "tables");
	if (fd_state.maps.flows < 0 || fd_state.maps.dp_stats < 0 ||
	    fd_state.maps.table_stats < 0 || fd_state.maps.tables < 0) {
		if (!o->n_ifaces) {
			/* nothing to account: the overlay side may still run */
			close_maps();
			return 0;
		}
		err = errmsg(msg, msglen, -ENOENT, "cannot open the maps pinned under %s",
			     fd_state.o.pin_path);
		goto fail;
	}
	err = cls_open(&fd_state.cls, fd_state.o.pin_path);
	if (err) {
		errmsg(msg, msglen, err, "cannot recover flow tables from %s: %s",
		       fd_state.o.pin_path, strerror(-err));
		goto fail;
	}
	if (cls_undone(fd_state.cls) && o->notice) {
		char note[160];

		snprintf(note, sizeof(note),
			 "a table batch was unfinished when the last daemon stopped: "
			 "its %zu tables were removed (all or nothing)",
			 cls_undone(fd_state.cls));
		o->notice(note);
	}
	if (cls_finished(fd_state.cls) && o->notice) {
		char note[160];

		snprintf(note, sizeof(note),
			 "a table delete was committed but unfinished when the last daemon "
			 "stopped: its last %zu tables were removed now (all or nothing)",
			 cls_finished(fd_state.cls));
		o->notice(note);
	}
	stats_cfg_defaults(&sc);
	if (o->stats_interval_s)
		sc.interval_ms = o->stats_interval_s * 1000;
	sc.idle_timeout_s = o->idle_timeout_s;
	sc.active_timeout_s = o->active_timeout_s;
	if (o->ipfix) {
		char why[600];

		err = ipfix_open(o, &sc, why, sizeof(why));
		if (err) {
			errmsg(msg, msglen, err, "%s", why);
			goto fail;
		}
	}
	fd_state.stats = stats_new(&sc, &fd_state.maps);
	if (!fd_state.stats) {
		err = errmsg(msg, msglen, -errno, "statistics: %s", strerror(errno));
		goto fail;
	}
	fd_state.ifaces_fd =
		pins_open_map(fd_state.o.pin_path, "ifaces"); /* -1: labels by kernel */
	stats_pass(fd_state.stats, mono_ns()); /* readers never see "no snapshot yet" */
	err = flowd_links_start(o->daemon, &fd_state.o, msg, msglen);
	if (err)
		goto fail;
	err = stats_start(fd_state.stats);
	if (err) {
		errmsg(msg, msglen, err, "cannot start the statistics thread: %s", strerror(-err));
		goto fail;
	}
	fd_state.running = true;
	return 0;
fail:
	/* a failed start leaves nothing behind: also the pins and the directory it created */
	flowd_teardown(true);
	if (fresh) {
		char path[PATH_MAX];

		for (int i = 0; pins_map_names[i]; i++)
			if (!pins_path(path, sizeof(path), fd_state.o.pin_path, pins_map_names[i]))
				unlink(path);
	}
	if (dir_fresh)
		rmdir(fd_state.o.pin_path);
	return err;
}

void flowd_stop(void)
{
	if (fd_state.stats)
		stats_stop(fd_state.stats);
	flowd_teardown(false);
	fd_state.running = false;
}

struct stats *flowd_stats(void)
{
	return fd_state.running ? fd_state.stats : NULL;
}

const char *flowd_pin_path(void)
{
	return fd_state.o.pin_path;
}

/* ---- control ops ---- */

#define NOT_RUNNING(err, errlen)                                                                  \
	(snprintf(err, errlen, "flow accounting is not running (no --iface and no maps pinned)"), \
	 (json_t *)NULL)

/*
 * Table changes run one at a time, in the order they came: a long one (a
 * 50,000-table add, a 100,000-name delete) goes in slices of FLOWD_SLICE
 * tables, one per loop turn, so that keepalives and other clients are served
 * in between; a table op that arrives meanwhile (a list too, which then sees
 * the batch whole or not at all) waits in the queue as deferred work.
 */
#define FLOWD_SLICE 1000

enum tjob_kind { TJ_ADD, TJ_DEL, TJ_DEL_ONE, TJ_LIST };

struct tjob {
	enum tjob_kind kind;
	bool started;
	bool queued;
	struct tjob *next; /* the queue */
	json_t *req;	   /* the request, until started */
	struct rule *rules;
	__u32 *tids;
	size_t n, off;
};

static struct tjob *tq_head, *tq_tail;

static void tq_remove(struct tjob *j)
{
	struct tjob **pp = &tq_head, *prev = NULL;

	while (*pp && *pp != j)
		prev = *pp, pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = j->next;
	if (tq_tail == j)
		tq_tail = prev;
	j->queued = false;
}

static void tjob_free(void *arg)
{
	struct tjob *j = arg;
	char err[64];

	/* ended before its last slice (the daemon stopping): the batch goes back */
	if (j->kind == TJ_ADD && j->started && fd_state.cls && cls_batch_open(fd_state.cls))
		cls_add_end(fd_state.cls, true, err, sizeof(err));
	/* (a delete goes back before its commit, and is finished after it) */
	if (j->kind == TJ_DEL && j->started && fd_state.cls && cls_batch_open(fd_state.cls))
		cls_del_end(fd_state.cls, true, err, sizeof(err));
	if (j->queued)
		tq_remove(j);
	json_decref(j->req);
	free(j->rules);
	free(j->tids);
	free(j);
}

/* The tables of a table_add, parsed and their devices resolved. */
static int parse_tables(json_t *req, struct rule **out, size_t *count, char *err, size_t errlen)
{
	json_t *tables = json_object_get(req, "tables"), *t;
	struct rule *rules;
	size_t i, n;
	int e = 0;

	if (!json_is_array(tables) || !(n = json_array_size(tables)))
		return snprintf(err, errlen, "\"tables\" must be a non-empty array"), -EINVAL;
	if (n > FLOWD_TABLES_PER_REQ)
		return snprintf(err, errlen, "at most %d tables per request", FLOWD_TABLES_PER_REQ),
		       -E2BIG;
	rules = calloc(n, sizeof(*rules));
	if (!rules)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	json_array_foreach(tables, i, t) {
		char why[200];

		e = rule_from_json(&rules[i], t, why, sizeof(why));
		if (e) {
			snprintf(err, errlen, "tables[%zu]: %s", i, why);
			break;
		}
		if (rules[i].def.match & CLS_M_IFINDEX) {
			rules[i].def.ifindex = if_nametoindex(rules[i].dev);
			if (!rules[i].def.ifindex) {
				snprintf(err, errlen, "table '%s': unknown interface '%s'",
					 rules[i].def.name, rules[i].dev);
				e = -ENODEV;
				break;
			}
		}
	}
	if (e) {
		free(rules);
		return e;
	}
	*out = rules;
	*count = n;
	return 0;
}

static json_t *table_list(void);

/* Start a job at the head of the queue: NULL with err on failure, or *done. */
static json_t *tjob_start(struct tjob *j, bool *done, char *err, size_t errlen)
{
	json_t *names, *v;
	const char **list;
	size_t i;
	int e;

	j->started = true;
	switch (j->kind) {
	case TJ_LIST:
		*done = true;
		return table_list();
	case TJ_DEL_ONE:
		*done = true;
		e = cls_del(fd_state.cls, json_string_value(json_object_get(j->req, "name")), err,
			    errlen);
		return e ? NULL : json_pack("{s:b}", "ok", 1);
	case TJ_ADD:
		e = cls_add_begin(fd_state.cls, j->rules, j->n, err, errlen);
		*done = e != 0;
		return NULL;
	case TJ_DEL:
		names = json_object_get(j->req, "names");
		list = calloc(j->n, sizeof(*list));
		j->tids = calloc(j->n, sizeof(*j->tids));
		if (!list || !j->tids) {
			free(list);
			*done = true;
			return snprintf(err, errlen, "out of memory"), NULL;
		}
		json_array_foreach(names, i, v)
			list[i] = json_is_string(v) ? json_string_value(v) : "?";
		/* check first (linear), so that a bad or repeated name deletes nothing */
		e = cls_del_check(fd_state.cls, list, j->n, j->tids, err, errlen);
		free(list);
		e = e ?: cls_del_begin(fd_state.cls, j->tids, j->n, err, errlen);
		*done = e != 0;
		return NULL;
	}
	*done = true;
	return NULL;
}

/* One turn of the job at the head of the queue. */
static json_t *tjob_step(struct daemon *d, void *arg, bool *done, char *err, size_t errlen)
{
	struct tjob *j = arg;
	json_t *rep = NULL;
	int e;

	(void)d;
	if (tq_head != j)
		return NULL; /* waits for the ones before it */
	if (!fd_state.running) {
		*done = true;
		(void)NOT_RUNNING(err, errlen);
	} else if (!j->started) {
		rep = tjob_start(j, done, err, errlen);
		json_decref(j->req);
		j->req = NULL;
	} else if (j->kind == TJ_ADD) {
		e = cls_add_more(fd_state.cls, FLOWD_SLICE, err, errlen);
		if (e <= 0) {
			*done = true;
			e = cls_add_end(fd_state.cls, e < 0, err, errlen);
			if (!e)
				rep = json_pack("{s:b, s:I, s:I}", "ok", 1, "added",
						(json_int_t)j->n, "tables",
						(json_int_t)cls_count(fd_state.cls));
		}
	} else {
		/* marked doomed in slices, committed, deleted in slices (clsctl.h) */
		e = cls_del_more(fd_state.cls, FLOWD_SLICE, err, errlen);
		if (e <= 0) {
			char why[256];

			*done = true;
			e = cls_del_end(fd_state.cls, e < 0, e < 0 ? why : err,
					e < 0 ? sizeof(why) : errlen)
				    ?: e;
			if (!e)
				rep = json_pack("{s:b, s:I}", "ok", 1, "deleted", (json_int_t)j->n);
		}
	}
	if (*done)
		tq_remove(j);
	return rep;
}

/*
 * Queue a table op: run it now when nothing waits and it is small, else as
 * deferred work (NULL with nothing in err).
 */
static json_t *tjob_submit(struct daemon *d, struct tjob *j, char *err, size_t errlen)
{
	bool done = false;
	json_t *rep = NULL;

	j->queued = true;
	if (tq_tail)
		tq_tail->next = j;
	else
		tq_head = j;
	tq_tail = j;
	if (tq_head != j || j->n > FLOWD_SLICE) {
		if (!ctl_defer(tjob_step, j, tjob_free))
			return NULL;
		tjob_free(j);
		return snprintf(err, errlen, "out of memory"), NULL;
	}
	/* small, and the queue was empty: at most a start and one slice */
	while (!done)
		rep = tjob_step(d, j, &done, err, errlen);
	tjob_free(j);
	return rep;
}

static struct tjob *tjob_new(enum tjob_kind kind, json_t *req, char *err, size_t errlen)
{
	struct tjob *j = calloc(1, sizeof(*j));

	if (!j)
		return snprintf(err, errlen, "out of memory"), NULL;
	j->kind = kind;
	j->req = json_incref(req);
	return j;
}

static json_t *op_table_add(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	struct tjob *j;

	if (!fd_state.running)
		return NOT_RUNNING(err, errlen);
	j = tjob_new(TJ_ADD, req, err, errlen);
	if (!j)
		return NULL;
	if (parse_tables(req, &j->rules, &j->n, err, errlen)) {
		tjob_free(j);
		return NULL;
	}
	return tjob_submit(d, j, err, errlen);
}

static json_t *op_table_del(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	json_t *names = json_object_get(req, "names");
	const char *name = json_string_value(json_object_get(req, "name"));
	struct tjob *j;

	if (!fd_state.running)
		return NOT_RUNNING(err, errlen);
	if (!name && (!json_is_array(names) || !json_array_size(names)))
		return snprintf(err, errlen,
				"give \"name\" (a string) or \"names\" (a non-empty array)"),
		       NULL;
	j = tjob_new(name ? TJ_DEL_ONE : TJ_DEL, req, err, errlen);
	if (!j)
		return NULL;
	j->n = name ? 1 : json_array_size(names);
	return tjob_submit(d, j, err, errlen);
}

static const struct stats_table *snap_table(const struct stats_snapshot *s, __u32 id)
{
	size_t lo = 0, hi = s ? s->n_tables : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->tables[mid].id == id)
			return &s->tables[mid];
		if (s->tables[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static json_t *table_list(void)
{
	struct stats_snapshot *snap;
	const struct rule *r;
	json_t *arr = json_array();
	__u32 id = 0;

	snap = stats_snapshot_get(fd_state.stats);
	while ((id = cls_next(fd_state.cls, id, &r))) {
		const struct stats_table *t = snap_table(snap, id);
		json_t *j = rule_to_json(r);

		json_object_set_new(j, "id", json_integer(id));
		json_object_set_new(j, "packets", json_integer(t ? (json_int_t)t->packets : 0));
		json_object_set_new(j, "bytes", json_integer(t ? (json_int_t)t->bytes : 0));
		json_object_set_new(j, "idle_s",
				    t && t->idle_s >= 0 ? json_real(t->idle_s) : json_null());
		json_object_set_new(j, "rate_mbps", json_real(t ? t->rate_mbps : 0));
		json_object_set_new(j, "rate_avg_mbps", json_real(t ? t->rate_avg_mbps : 0));
		json_object_set_new(j, "pps", json_real(t ? t->pps : 0));
		json_object_set_new(j, "first_hit_ns",
				    json_integer(t ? (json_int_t)t->first_hit_ns : 0));
		json_object_set_new(j, "last_hit_ns",
				    json_integer(t ? (json_int_t)t->last_hit_ns : 0));
		json_array_append_new(arr, j);
	}
	stats_snapshot_put(snap);
	return json_pack("{s:o, s:I}", "tables", arr, "masks",
			 (json_int_t)cls_mask_count(fd_state.cls));
}

static json_t *op_table_list(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	struct tjob *j;

	if (!fd_state.running)
		return NOT_RUNNING(err, errlen);
	if (!tq_head) /* nothing changing: answer now */
		return table_list();
	j = tjob_new(TJ_LIST, req, err, errlen);
	return j ? tjob_submit(d, j, err, errlen) : NULL;
}

static size_t req_limit(json_t *req)
{
	json_t *v = json_object_get(req, "limit");

	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

/* A snapshot view: the snapshot, the limit and the interface names (ifnames.h). */
typedef json_t *(*view_fn)(const struct stats_snapshot *s, size_t limit, struct ifnames *names);

/* flows, flows_ended, dp_stats: straight from the snapshot */
static json_t *snap_view(json_t *req, char *err, size_t errlen, const char *key, view_fn view)
{
	struct stats_snapshot *snap;
	struct ifnames names;
	json_t *j;

	if (!fd_state.running)
		return NOT_RUNNING(err, errlen);
	snap = stats_snapshot_get(fd_state.stats);
	if (!snap)
		return snprintf(err, errlen, "no statistics yet"), NULL;
	ifnames_init(&names);
	ifnames_load(&names, fd_state.ifaces_fd);
	j = view(snap, req_limit(req), &names);
	j = json_pack("{s:o, s:I}", key, j, "taken_ns", (json_int_t)snap->taken_ns);
	stats_snapshot_put(snap);
	return j;
}

static json_t *flows_view(const struct stats_snapshot *s, size_t limit, struct ifnames *names)
{
	return stats_snapshot_json_flows(s, limit, STATS_SORT_BYTES, names);
}

static json_t *op_flows(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)d;
	return snap_view(req, err, errlen, "flows", flows_view);
}

static json_t *op_flows_ended(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)d;
	return snap_view(req, err, errlen, "ended", stats_snapshot_json_ended);
}

static json_t *dp_view(const struct stats_snapshot *s, size_t limit, struct ifnames *names)
{
	(void)limit;
	(void)names;
	return stats_snapshot_json_dp(s);
}

static json_t *op_dp_stats(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)d;
	return snap_view(req, err, errlen, "datapath", dp_view);
}

static json_t *op_flows_end(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	int n;

	(void)d;
	(void)req;
	if (!fd_state.running)
		return NOT_RUNNING(err, errlen);
	n = stats_end_flows(fd_state.stats, NULL, mono_ns());
	if (n < 0)
		return snprintf(err, errlen, "cannot end flows: %s", strerror(-n)), NULL;
	return json_pack("{s:b, s:i}", "ok", 1, "ended", n);
}

static json_t *op_flow_status(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	json_t *ifs = json_array(), *hooks = json_object();

	(void)d;
	(void)req;
	(void)err;
	(void)errlen;
	json_t *rep;

	for (int i = 0; i < fd_state.o.n_ifaces; i++) {
		const char *name = fd_state.o.ifaces[i];
		struct iface_info info;
		int ifindex;

		if (!flowd_link_present(i)) /* a deleted one is under "links", as gone */
			continue;
		json_array_append_new(ifs, json_string(name));
		/* how it is attached: "hooks": {IFNAME: {"ingress": "tc", "tc": "tcx"}} */
		ifindex = if_nametoindex(name);
		if (ifindex && !loader_lookup(fd_state.o.pin_path, ifindex, &info))
			json_object_set_new(hooks, name,
					    json_pack("{s:s, s:s}", "ingress",
						      loader_hook_name(info.ingress_hook), "tc",
						      loader_tc_name(&info)));
	}
	rep = json_pack("{s:b, s:s?, s:o, s:o, s:i, s:i, s:i, s:I, s:I, s:o}", "running",
			fd_state.running, "pin_path", fd_state.o.pin_path, "interfaces", ifs,
			"hooks", hooks, "stats_interval_s",
			fd_state.o.stats_interval_s ? fd_state.o.stats_interval_s : 1,
			"idle_timeout_s", fd_state.o.idle_timeout_s, "active_timeout_s",
			fd_state.o.active_timeout_s, "tables",
			(json_int_t)(fd_state.cls ? cls_count(fd_state.cls) : 0), "masks",
			(json_int_t)(fd_state.cls ? cls_mask_count(fd_state.cls) : 0), "ipfix",
			ipfix_json());
	if (rep)
		flowd_links_json(rep);
	return rep;
}

/* The daemon side of `ipop-bpf top` and `ipop-bpf flows`: sorted and cut here. */
static json_t *op_flows_top(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	const char *sort = json_string_value(json_object_get(req, "sort"));
	json_t *lim = json_object_get(req, "limit"), *arr, *rep;
	int how = sort ? stats_sort_parse(sort) : STATS_SORT_RATE;
	struct stats_snapshot *snap;
	struct ifnames names;
	size_t limit = 100;

	(void)d;
	if (how < 0)
		return snprintf(err, errlen, "\"sort\" must be rate, packets or bytes"), NULL;
	if (lim && (!json_is_integer(lim) || json_integer_value(lim) < 1))
		return snprintf(err, errlen, "\"limit\" must be a positive integer"), NULL;
	if (lim)
		limit = json_integer_value(lim) < FLOWD_TOP_LIMIT_MAX ? json_integer_value(lim)
								      : FLOWD_TOP_LIMIT_MAX;
	if (!fd_state.running || !(snap = stats_snapshot_get(fd_state.stats)))
		return snprintf(err, errlen, "flow accounting is not running"), NULL;
	ifnames_init(&names);
	ifnames_load(&names, fd_state.ifaces_fd);
	arr = stats_snapshot_json_flows(snap, limit, how, &names);
	rep = arr ? json_pack("{s:o, s:I, s:I}", "flows", arr, "total", (json_int_t)snap->n_flows,
			      "taken_ns", (json_int_t)snap->taken_ns)
		  : NULL;
	stats_snapshot_put(snap);
	if (!rep)
		snprintf(err, errlen, "out of memory");
	return rep;
}

const struct ctl_op flowd_ctl_ops[] = {
	{ "table_add", op_table_add },	   { "table_del", op_table_del },
	{ "table_list", op_table_list },   { "flows", op_flows },
	{ "flows_top", op_flows_top },	   { "flows_ended", op_flows_ended },
	{ "flows_end", op_flows_end },	   { "dp_stats", op_dp_stats },
	{ "flow_status", op_flow_status }, { NULL, NULL },
};
