// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `ipop-bpf flows`: the daemon's flows, or the pinned flow map as a table or JSON. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cli/commands.h"
#include "cli/ctl_client.h"
#include "cli/flow_cells.h"
#include "daemon/daemon.h"
#include "flow/flows.h"
#include "flow/fmt.h"
#include "flow/ifnames.h"
#include "flow/pins.h"
#include "flow/stats.h"

struct row {
	struct flow_cells c;
	char rate[16], idle[16];
	const char *ifname, *dir;
};

static void make_row(struct row *r, json_t *f)
{
	json_t *rate = json_object_get(f, "rate_mbps"), *idle = json_object_get(f, "idle_s");

	r->ifname = flow_jstr(f, "ifname");
	r->dir = flow_jstr(f, "direction");
	flow_cells(&r->c, f);
	snprintf(r->rate, sizeof(r->rate), "%.3f", json_number_value(rate));
	snprintf(r->idle, sizeof(r->idle), "%.1f", json_number_value(idle));
}

static int width(int cur, const char *s)
{
	int n = strlen(s);

	return n > cur ? n : cur;
}

/* The table people read, from the same JSON objects --json prints. */
static void print_table(json_t *flows, bool rates)
{
	size_t n = json_array_size(flows);
	struct row *rows = calloc(n ? n : 1, sizeof(*rows));
	int wi = 5, ws = 3, wd = 3, wp = 5;
	char pk[16], by[16], fl[12];
	bool ended = n && json_object_get(json_array_get(flows, 0), "reason"), ovl = false;

	if (!rows)
		return;
	for (size_t i = 0; i < n; i++) {
		make_row(&rows[i], json_array_get(flows, i));
		ovl |= *flow_jstr(json_array_get(flows, i), "src_node") != 0;
		wi = width(wi, rows[i].ifname);
		ws = width(ws, rows[i].c.src);
		wd = width(wd, rows[i].c.dst);
		wp = width(wp, rows[i].c.proto);
	}
	printf("%-*s %-7s %-*s %-*s %-*s %8s %8s %s", wi, "IFACE", "DIR", ws, "SRC", wd, "DST", wp,
	       "PROTO", "PACKETS", "BYTES", rates || ovl ? "TCP " : "TCP\n");
	if (rates)
		printf("%10s %8s%s", "MBPS", "IDLE_S", ended ? " REASON" : "");
	/* overlay flows: the node IDs they go between, shortened (--json has them whole) */
	if (ovl)
		printf("%sOVERLAY", rates ? " " : "");
	if (rates || ovl)
		printf("\n");
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(flows, i);

		printf(rates || ovl ? "%-*s %-7s %-*s %-*s %-*s %8s %8s %-4s"
				    : "%-*s %-7s %-*s %-*s %-*s %8s %8s %s",
		       wi, rows[i].ifname, rows[i].dir, ws, rows[i].c.src, wd, rows[i].c.dst, wp,
		       rows[i].c.proto, fmt_si(pk, sizeof(pk), flow_jint(f, "packets")),
		       fmt_si(by, sizeof(by), flow_jint(f, "bytes")),
		       fmt_tcp_flags(fl, sizeof(fl), flow_jint(f, "tcp_flags")));
		if (rates)
			printf("%10s %8s", rows[i].rate, rows[i].idle);
		if (ended)
			printf(" %s", flow_jstr(f, "reason"));
		if (ovl && *flow_jstr(f, "src_node"))
			printf(" %.8s>%.8s", flow_jstr(f, "src_node"), flow_jstr(f, "dst_node"));
		else if (ovl)
			printf(" -");
		printf("\n");
	}
	free(rows);
}

struct flows_cfg {
	const char *pin_path;
	const char *ctl_socket;
	int sort;
	unsigned int limit;
	bool json, no_daemon, ended;
};

static void flows_defaults(void *cfg)
{
	/* pin_path stays NULL unless given: then any daemon's pins are the ones wanted */
	((struct flows_cfg *)cfg)->ctl_socket = DAEMON_CTL_SOCKET;
}

/* The pinned map, read directly: every flow as JSON, largest first by `how` (stats.h). */
static int flows_local(const char *pin_path, int how, json_t **out)
{
	const struct stats_flow **order = NULL;
	struct stats_flow *f = NULL;
	struct flow_rec *r = NULL;
	char ifname[IF_NAMESIZE];
	struct ifnames names;
	int fd, ifd, ret = 0;
	ssize_t n;

	fd = pins_open_map(pin_path, "flows");
	if (fd < 0)
		return cli_err("cannot open %s/flows: %s%s", pin_path, strerror(-fd),
			       fd == -ENOENT ? " (is ipop-bpf loaded? see 'ipop-bpf load')" : "");
	n = flows_read(fd, &r);
	close(fd);
	if (n < 0)
		return cli_err("cannot read %s/flows: %s", pin_path, strerror(-n));
	ifnames_init(&names);
	ifd = pins_open_map(pin_path, "ifaces");
	ifnames_load(&names, ifd);
	if (ifd >= 0)
		close(ifd);
	f = calloc(n + 1, sizeof(*f));
	order = calloc(n + 1, sizeof(*order));
	*out = json_array();
	if (!f || !order || !*out) {
		ret = cli_err("out of memory");
		goto out;
	}
	for (ssize_t i = 0; i < n; i++) {
		f[i].key = r[i].key;
		f[i].val = r[i].val;
		order[i] = &f[i];
	}
	stats_flows_sort(order, n, how);
	for (ssize_t i = 0; i < n; i++)
		json_array_append_new(
			*out, fmt_flow_json(&order[i]->key, &order[i]->val,
					    ifnames_get(&names, order[i]->key.ifindex, ifname)));
out:
	if (ret) {
		json_decref(*out);
		*out = NULL;
	}
	free(order);
	free(f);
	free(r);
	return ret;
}

/* The daemon's snapshot (with rates and idle times), if a daemon serves pin_path. */
/*
 * At most this many flows come from the daemon (control op flows_top sorts
 * and cuts them there, so a reply fits the control socket); --no-daemon
 * reads every flow from the pinned map.
 */
#define FLOWS_DAEMON_MAX 2000

static json_t *flows_daemon(const struct flows_cfg *c, size_t *total)
{
	json_t *req = json_pack("{s:s}", "op", "flow_status"), *rep = NULL, *flows = NULL;
	const char *pin;

	if (c->no_daemon || !(rep = ctl_ask(c->ctl_socket, req, 2000, 0, NULL, 0, NULL)))
		goto out;
	pin = json_string_value(json_object_get(rep, "pin_path"));
	if (!json_is_true(json_object_get(rep, "running")) || !pin ||
	    (c->pin_path && strcmp(pin, c->pin_path)))
		goto out;
	json_decref(req);
	json_decref(rep);
	rep = NULL;
	if (c->ended)
		req = json_pack("{s:s}", "op", "flows_ended");
	else
		req = json_pack("{s:s, s:s, s:i}", "op", "flows_top", "sort",
				stats_sort_name(c->sort), "limit",
				c->limit && c->limit < FLOWS_DAEMON_MAX ? (int)c->limit
									: FLOWS_DAEMON_MAX);
	rep = ctl_ask(c->ctl_socket, req, 5000, 0, NULL, 0, NULL);
	if (!rep)
		goto out;
	flows = json_incref(json_object_get(rep, c->ended ? "ended" : "flows"));
	*total = json_array_size(flows);
	if (json_is_integer(json_object_get(rep, "total")))
		*total = json_integer_value(json_object_get(rep, "total"));
out:
	json_decref(req);
	json_decref(rep);
	return json_is_array(flows) ? flows : (json_decref(flows), NULL);
}

static int flows_run(void *cfg)
{
	struct flows_cfg *c = cfg;
	size_t n, k, total = 0;
	json_t *all = flows_daemon(c, &total), *shown;
	bool rates = all != NULL;
	int ret = 0;

	/* both sources come sorted: the daemon's flows_top, or stats_flows_sort() here */
	if (!all && c->ended)
		return cli_err("--ended needs a running daemon (no answer on %s)", c->ctl_socket);
	if (!all && flows_local(c->pin_path ? c->pin_path : IPOP_PIN_PATH_DEFAULT, c->sort, &all))
		return 1;
	n = json_array_size(all);
	if (total < n)
		total = n;
	k = c->limit && c->limit < n ? c->limit : n;
	shown = json_array();
	for (size_t i = 0; i < k; i++)
		json_array_append(shown, json_array_get(all, i));
	if (c->json) {
		json_t *root = json_pack("{s:o}", "flows", shown);

		ret = fmt_json_print(root) ? 1 : 0;
		json_decref(root);
	} else {
		print_table(shown, rates);
		if (k < total)
			printf("(%zu more; %s)\n", total - k,
			       k < n || !rates ? "--limit 0 shows all"
					       : "--no-daemon reads them all");
		json_decref(shown);
	}
	json_decref(all);
	return ret;
}

/* indices are enum stats_sort */
static const char *const sort_names[] = { "bytes", "packets", NULL };

static const struct cli_opt flows_opts[] = {
	CLI_OPT_FLAG("json", 'j', struct flows_cfg, json, "print JSON: {\"flows\": [...]}"),
	CLI_OPT_STR("pin-path", 'p', struct flows_cfg, pin_path, "DIR",
		    "bpffs directory of the maps (default " IPOP_PIN_PATH_DEFAULT ")"),
	CLI_OPT_ENUM("sort", 's', struct flows_cfg, sort, sort_names,
		     "order, largest first (default bytes)"),
	CLI_OPT_UINT("limit", 'n', struct flows_cfg, limit, "N", "show at most N flows (0 = all)",
		     0, 0),
	CLI_OPT_STR("ctl-socket", 0, struct flows_cfg, ctl_socket, "PATH",
		    "daemon control socket, for rates and idle times (default " DAEMON_CTL_SOCKET
		    ")"),
	CLI_OPT_FLAG("ended", 'e', struct flows_cfg, ended,
		     "recently ended flows with their end reason (daemon only)"),
	CLI_OPT_FLAG("no-daemon", 0, struct flows_cfg, no_daemon,
		     "read the pinned map even when a daemon runs"),
	CLI_OPT_END,
};

const struct cli_cmd cmd_flows = {
	.name = "flows",
	.summary = "List the flows counted in the pinned flow map",
	.opts = flows_opts,
	.cfg_size = sizeof(struct flows_cfg),
	.defaults = flows_defaults,
	.run = flows_run,
};
