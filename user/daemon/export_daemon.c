// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The daemon's exporter thread. The event loop hands over a copy of the
 * module counters and a request to write (exporter_set_modules: a mutex, a
 * deep copy of a small object and a signal); this thread takes the newest
 * statistics snapshot, reads the ifaces map, renders and writes. A slow disk
 * delays only this thread; requests that arrive meanwhile coalesce.
 * Below it, the daemon extension and its options.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/flowd.h"
#include "flow/errmsg.h"
#include "flow/export.h"
#include "flow/stats.h"
#include "flow/thread.h"
#include "flow/version.h"

struct exporter {
	struct exporter_cfg cfg;
	char *dir, *pin_path;
	struct stats *stats;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, pending;
	json_t *modules; /* owned; replaced by exporter_set_modules */
	unsigned long writes;
	int last_err;
};

static int write_once(struct exporter *x, json_t *modules)
{
	struct export_input in = { .modules = modules,
				   .top_k = x->cfg.top_k,
				   .version = IPOP_VERSION };
	struct export_iface *ifaces = NULL;
	struct stats_snapshot *snap = x->stats ? stats_snapshot_get(x->stats) : NULL;
	int n = x->pin_path ? export_read_ifaces(x->pin_path, &ifaces) : 0, err;

	in.snap = snap;
	in.ifaces = ifaces;
	in.n_ifaces = n > 0 ? n : 0;
	err = export_write(x->dir, &in);
	if (snap)
		stats_snapshot_put(snap);
	free(ifaces);
	return err;
}

static void *exporter_main(void *arg)
{
	struct exporter *x = arg;

	pthread_mutex_lock(&x->mu);
	for (;;) {
		json_t *modules;
		int err;

		while (!x->pending && !x->stop)
			pthread_cond_wait(&x->cv, &x->mu);
		if (!x->pending)
			break;
		x->pending = false;
		modules = x->modules ? json_deep_copy(x->modules) : NULL;
		pthread_mutex_unlock(&x->mu);

		err = write_once(x, modules);
		json_decref(modules);

		pthread_mutex_lock(&x->mu);
		/* one line when writing starts failing or changes its reason, not each time */
		if (err && err != x->last_err)
			fprintf(stderr, "ipop-bpf daemon: cannot write %s/%s: %s\n", x->dir,
				EXPORT_FILE_NAME, strerror(-err));
		x->last_err = err;
		x->writes++;
		pthread_cond_broadcast(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

struct exporter *exporter_start(const struct exporter_cfg *cfg, struct stats *stats)
{
	struct exporter *x = calloc(1, sizeof(*x));
	int err;

	if (!x)
		return NULL;
	x->cfg = *cfg;
	x->stats = stats;
	x->dir = strdup(cfg->dir);
	x->pin_path = cfg->pin_path ? strdup(cfg->pin_path) : NULL;
	if (!x->dir || (cfg->pin_path && !x->pin_path)) {
		err = ENOMEM;
		goto fail;
	}
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	err = pthread_create(&x->thread, NULL, exporter_main, x);
	if (err) {
		pthread_cond_destroy(&x->cv);
		pthread_mutex_destroy(&x->mu);
		goto fail;
	}
	return x;
fail:
	free(x->pin_path);
	free(x->dir);
	free(x);
	errno = err;
	return NULL;
}

void exporter_set_modules(struct exporter *x, const json_t *modules)
{
	json_t *copy = modules ? json_deep_copy(modules) : NULL, *old;

	pthread_mutex_lock(&x->mu);
	old = x->modules;
	x->modules = copy;
	x->pending = true;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	json_decref(old);
}

unsigned long exporter_writes(struct exporter *x, int *last_err)
{
	unsigned long n;

	pthread_mutex_lock(&x->mu);
	n = x->writes;
	if (last_err)
		*last_err = x->last_err;
	pthread_mutex_unlock(&x->mu);
	return n;
}

void exporter_stop(struct exporter *x)
{
	if (!x)
		return;
	worker_stop(x->thread, &x->mu, &x->cv, &x->stop);
	pthread_mutex_destroy(&x->mu);
	json_decref(x->modules);
	free(x->pin_path);
	free(x->dir);
	free(x);
}

/* ---- the daemon extension ---- */

static struct {
	struct export_daemon_opts o;
	unsigned int interval_ms;
	struct exporter *x;
	int tfd;
} export_state = { .tfd = -1 };

/* On the event loop: hand the module counters to the exporter thread, which writes. */
static void export_tick(struct daemon *d, void *arg)
{
	json_t *m = daemon_stats_json(d);

	(void)arg;
	exporter_set_modules(export_state.x, m);
	json_decref(m);
}

static int export_ext_start(struct daemon *d)
{
	struct stats *st = flowd_stats();
	struct exporter_cfg c = { .dir = export_state.o.dir,
				  .pin_path = st ? flowd_pin_path() : NULL,
				  .top_k = export_state.o.top_k };

	export_state.x = exporter_start(&c, st);
	if (!export_state.x)
		return -errno;
	export_tick(d, NULL);
	export_state.tfd = daemon_loop_add_timer(d, export_state.interval_ms, export_tick, NULL);
	if (export_state.tfd < 0) {
		exporter_stop(export_state.x);
		export_state.x = NULL;
		return export_state.tfd;
	}
	return 0;
}

static void export_ext_stop(struct daemon *d)
{
	if (export_state.tfd >= 0)
		daemon_loop_del_timer(d, export_state.tfd);
	export_state.tfd = -1;
	if (export_state.x)
		export_tick(d, NULL); /* the final counters */
	exporter_stop(export_state.x);
	export_state.x = NULL;
}

static const struct daemon_ext export_ext = {
	.name = "export",
	.start = export_ext_start,
	.stop = export_ext_stop,
};

static int export_opts_check(const struct export_daemon_opts *x, unsigned int *interval_ms,
			     char *msg, size_t msglen)
{
	struct stat st;
	double s = EXPORT_INTERVAL_MS_DEFAULT / 1000.0;
	char *end;

	if (x->interval) {
		s = strtod(x->interval, &end);
		if (end == x->interval || *end || !(s >= 0.05 && s <= 86400))
			return errmsg(msg, msglen, -EINVAL,
				      "bad --export-interval '%s' (seconds, 0.05..86400)",
				      x->interval);
	}
	*interval_ms = (unsigned int)(s * 1000 + 0.5);
	if (!x->dir)
		return x->interval ? errmsg(msg, msglen, -EINVAL,
					    "--export-interval needs --textfile-dir")
				   : 0;
	if (stat(x->dir, &st) || !S_ISDIR(st.st_mode) || access(x->dir, W_OK | X_OK))
		return errmsg(msg, msglen, -EINVAL, "--textfile-dir '%s': not a writable directory",
			      x->dir);
	return 0;
}

int export_daemon_setup(const struct export_daemon_opts *o, char *msg, size_t msglen)
{
	int err = export_opts_check(o, &export_state.interval_ms, msg, msglen);

	if (err)
		return err;
	export_state.o = *o;
	err = o->dir ? daemon_register_ext(&export_ext) : 0;
	if (err)
		return errmsg(msg, msglen, err, "cannot register the exporter");
	return 0;
}
