// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `ipop-bpf export`: write DIR/ipop.prom once, from the pinned maps (one
 * statistics pass of its own, so no daemon is needed: rates are the mean over
 * each flow's life). If a daemon answers on the control socket, its module
 * counters are included too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/ctl_client.h"
#include "daemon/daemon.h"
#include "flow/export.h"
#include "flow/pins.h"
#include "flow/stats.h"

#define EXPORT_CTL_TIMEOUT_MS 1000

struct export_cfg {
	const char *dir;
	const char *pin_path;
	const char *ctl_socket;
	unsigned int top_k;
};

static const struct cli_opt export_opts_tbl[] = {
	CLI_OPT_STR("textfile-dir", 'd', struct export_cfg, dir, "DIR",
		    "write DIR/" EXPORT_FILE_NAME " (temporary file, fsync, rename)"),
	CLI_OPT_STR("pin-path", 'p', struct export_cfg, pin_path, "DIR",
		    "bpffs directory of the maps (default " IPOP_PIN_PATH_DEFAULT ")"),
	CLI_OPT_STR("ctl-socket", 0, struct export_cfg, ctl_socket, "PATH",
		    "include module counters of a daemon answering here (default " DAEMON_CTL_SOCKET
		    ")"),
	CLI_OPT_UINT("top-flows", 0, struct export_cfg, top_k, "K",
		     "per-flow series for the K fastest flows (default 10; 0: none)", 0, 10000),
	CLI_OPT_END,
};

static void export_defaults(void *cfg)
{
	struct export_cfg *c = cfg;

	c->pin_path = IPOP_PIN_PATH_DEFAULT;
	c->ctl_socket = DAEMON_CTL_SOCKET;
	c->top_k = EXPORT_TOP_K_DEFAULT;
}

/* The daemon's module counters, or NULL when none answers (not an error). */
static json_t *daemon_modules(const char *sock)
{
	json_t *req, *rep;

	if (access(sock, F_OK))
		return NULL;
	req = json_pack("{s:s}", "op", "stats");
	rep = ctl_ask(sock, req, EXPORT_CTL_TIMEOUT_MS, 0, NULL, 0, NULL);
	json_decref(req);
	return rep;
}

static uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int export_run(void *cfg)
{
	struct export_cfg *c = cfg;
	struct stats_maps m = { pins_open_map(c->pin_path, "flows"),
				pins_open_map(c->pin_path, "dp_stats"),
				pins_open_map(c->pin_path, "table_stats"),
				pins_open_map(c->pin_path, "tables") };
	struct export_input in = { .top_k = c->top_k, .version = IPOP_VERSION };
	struct export_iface *ifaces = NULL;
	struct stats_snapshot *snap = NULL;
	struct stats_cfg sc;
	struct stats *st = NULL;
	struct stat sb;
	int err = 1, n;

	if (!c->dir) {
		cli_err("--textfile-dir DIR is required");
		goto out;
	}
	if (stat(c->dir, &sb) || !S_ISDIR(sb.st_mode)) {
		cli_err("--textfile-dir '%s': not a directory", c->dir);
		goto out;
	}
	if (m.flows < 0 || m.dp_stats < 0 || m.table_stats < 0 || m.tables < 0) {
		cli_err("no maps pinned under %s (is ipop-bpf loaded?)", c->pin_path);
		goto out;
	}
	stats_cfg_defaults(&sc); /* no timeouts: this pass never ends a flow */
	st = stats_new(&sc, &m);
	if (!st || stats_pass(st, mono_now_ns()) || !(snap = stats_snapshot_get(st))) {
		cli_err("cannot read the maps under %s: %s", c->pin_path,
			strerror(errno ? errno : EIO));
		goto out;
	}
	n = export_read_ifaces(c->pin_path, &ifaces);
	in.snap = snap;
	in.ifaces = ifaces;
	in.n_ifaces = n > 0 ? n : 0;
	in.modules = daemon_modules(c->ctl_socket);
	err = export_write(c->dir, &in);
	json_decref((json_t *)in.modules);
	if (err)
		cli_err("cannot write %s/%s: %s", c->dir, EXPORT_FILE_NAME, strerror(-err));
	err = err ? 1 : 0;
out:
	if (snap)
		stats_snapshot_put(snap);
	stats_free(st);
	free(ifaces);
	for (int *fd = &m.flows; fd <= &m.tables; fd++)
		if (*fd >= 0)
			close(*fd);
	return err;
}

const struct cli_cmd cmd_export = {
	.name = "export",
	.summary = "Write the Prometheus textfile (ipop.prom) once, from the pinned maps",
	.opts = export_opts_tbl,
	.cfg_size = sizeof(struct export_cfg),
	.defaults = export_defaults,
	.run = export_run,
};
