// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* CLI front-ends: `ipop-bpf daemon` and `ipop-bpf cmm send`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/ctl_cmd.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"
#include "daemon/flowd.h"
#include "flow/export.h"

#define CTL_TIMEOUT_MS 5000

/* The daemon's options: the overlay (struct daemon_opts), the flow side (flowd), the exporter. */
struct daemon_cli {
	struct daemon_opts d;
	struct flowd_opts f;
	struct cli_list ifaces; /* into f */
	struct export_daemon_opts x;
};

_Static_assert(CLI_LIST_MAX <= FLOWD_IFACES_MAX, "every --iface fits the flow side");

static const char *const hook_names[] = { "auto", "xdp", "tc", NULL };
static const char *const mode_names[] = { "auto", "native", "skb", NULL };

static const struct cli_opt daemon_opts_tbl[] = {
	CLI_OPT_STR(
		"config", 'c', struct daemon_cli, d.config, "FILE",
		"JSON config: node ID, key file, listen, neighbours, modules, \"flows\", \"vpn\""),
	CLI_OPT_STR("ctl-socket", 0, struct daemon_cli, d.ctl_socket, "PATH",
		    "control socket (default " DAEMON_CTL_SOCKET ")"),
	CLI_OPT_LIST("iface", 'i', struct daemon_cli, ifaces, "IF",
		     "attach flow accounting to IF (repeatable)"),
	CLI_OPT_STR("pin-path", 'p', struct daemon_cli, f.pin_path, "DIR",
		    "bpffs directory of the maps (default /sys/fs/bpf/ipop)"),
	CLI_OPT_ENUM("ingress-hook", 0, struct daemon_cli, f.hook, hook_names,
		     "as for 'ipop-bpf load'"),
	CLI_OPT_ENUM("mode", 'm', struct daemon_cli, f.mode, mode_names, "as for 'ipop-bpf load'"),
	CLI_OPT_UINT("stats-interval", 0, struct daemon_cli, f.stats_interval_s, "S",
		     "statistics pass every S seconds (default 1)", 1, 3600),
	CLI_OPT_UINT("idle-timeout", 0, struct daemon_cli, f.idle_timeout_s, "S",
		     "end flows idle for S seconds (default: never)", 0, 0),
	CLI_OPT_UINT("active-timeout", 0, struct daemon_cli, f.active_timeout_s, "S",
		     "end flows alive for S seconds (default: never)", 0, 0),
	CLI_OPT_FLAG("keep-attached", 'k', struct daemon_cli, f.keep_attached,
		     "leave the datapath attached on exit"),
	CLI_OPT_STR("ipfix", 0, struct daemon_cli, f.ipfix, "HOST:PORT[/udp|/tcp]",
		    "export ended flows to an IPFIX collector (default UDP)"),
	CLI_OPT_UINT("ipfix-domain", 0, struct daemon_cli, f.ipfix_domain, "N",
		     "IPFIX observation domain ID (default 0)", 0, 0),
	CLI_OPT_UINT("ipfix-interval", 0, struct daemon_cli, f.ipfix_interval_ms, "MS",
		     "send ended flows at least every MS milliseconds (default 1000)", 1, 3600000),
	CLI_OPT_STR("textfile-dir", 0, struct daemon_cli, x.dir, "DIR",
		    "write DIR/" EXPORT_FILE_NAME " for node_exporter's textfile collector"),
	CLI_OPT_STR("export-interval", 0, struct daemon_cli, x.interval, "S",
		    "rewrite it every S seconds (default 5; fractions allowed, min 0.05)"),
	CLI_OPT_UINT("export-top-flows", 0, struct daemon_cli, x.top_k, "K",
		     "per-flow series for the K fastest flows (default 10; 0: none)", 0, 10000),
	CLI_OPT_FLAG("foreground", 'f', struct daemon_cli, d.foreground,
		     "stay in the foreground (the only mode for now)"),
	CLI_OPT_FLAG("verbose", 'v', struct daemon_cli, d.verbose, "log debug messages"),
	CLI_OPT_END,
};

static struct flowd_opts flow_opts;

static void flows_notice(const char *msg)
{
	fprintf(stderr, "ipop-bpf daemon: %s\n", msg);
}

static int flows_ext_start(struct daemon *d)
{
	char err[CLI_MSG_MAX] = "";
	int ret;

	flow_opts.daemon = d; /* its loop watches the interfaces */
	ret = flowd_opts_from_json(&flow_opts, json_object_get(daemon_config(d), "flows"), err,
				   sizeof(err));
	if (!ret)
		ret = flowd_start(&flow_opts, err, sizeof(err));
	if (ret)
		cli_fail(ret, err);
	return ret;
}

static void flows_ext_stop(struct daemon *d)
{
	(void)d;
	flowd_stop();
}

static const struct daemon_ext flows_ext = {
	.name = "flows",
	.start = flows_ext_start,
	.stop = flows_ext_stop,
	.ctl_ops = flowd_ctl_ops,
};

static void daemon_defaults(void *cfg)
{
	((struct daemon_cli *)cfg)->x.top_k = EXPORT_TOP_K_DEFAULT;
}

static int daemon_cmd_run(void *cfg)
{
	struct daemon_cli *o = cfg;
	char err[CLI_MSG_MAX] = "";

	if (!o->d.config && !o->ifaces.n)
		return cli_err("nothing to run: give --config FILE (overlay) and/or --iface IF "
			       "(flow accounting)");
	flow_opts = o->f;
	flow_opts.notice = flows_notice;
	flow_opts.n_ifaces = o->ifaces.n;
	for (int i = 0; i < o->ifaces.n; i++)
		flow_opts.ifaces[i] = o->ifaces.v[i];
	daemon_register_ext(&flows_ext);
	/* after flows: started after it, stopped before */
	if (cli_fail(export_daemon_setup(&o->x, err, sizeof(err)), err))
		return 1;
	return daemon_run(&o->d) ? 1 : 0;
}

const struct cli_cmd cmd_daemon = {
	.name = "daemon",
	.summary = "Run the node: flow accounting and tables, overlay modules, control socket",
	.opts = daemon_opts_tbl,
	.cfg_size = sizeof(struct daemon_cli),
	.defaults = daemon_defaults,
	.run = daemon_cmd_run,
};

struct cmm_opts {
	struct cli_pos pos;
	struct cli_list to;
	const char *module;
	const char *payload;
	const char *id;
	const char *ctl_socket;
	bool json;
};

static const struct cli_opt cmm_opts_tbl[] = {
	CLI_OPT_LIST("to", 't', struct cmm_opts, to, "ID[,ID...]",
		     "neighbour node IDs (32 hex digits; repeatable)"),
	CLI_OPT_STR("module", 'm', struct cmm_opts, module, "NAME",
		    "destination module on each neighbour (e.g. echo)"),
	CLI_OPT_STR("payload", 'p', struct cmm_opts, payload, "TEXT", "message payload"),
	CLI_OPT_STR("id", 0, struct cmm_opts, id, "HEX", "message ID (default: random)"),
	CLI_OPT_STR("ctl-socket", 0, struct cmm_opts, ctl_socket, "PATH",
		    "daemon control socket (default " DAEMON_CTL_SOCKET ")"),
	CLI_OPT_FLAG("json", 'j', struct cmm_opts, json, "print the daemon's reply as JSON"),
	CLI_OPT_END,
};

static void cmm_defaults(void *cfg)
{
	struct cmm_opts *o = cfg;

	o->ctl_socket = DAEMON_CTL_SOCKET;
}

static json_t *cmm_request(const struct cmm_opts *o)
{
	json_t *to = json_array(), *req;

	for (int i = 0; i < o->to.n; i++) {
		char *copy = strdup(o->to.v[i]), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(to, json_string(t));
		free(copy);
	}
	req = json_pack("{s:s, s:o, s:s, s:s}", "op", "cmm_send", "to", to, "module", o->module,
			"payload", o->payload);
	if (req && o->id)
		json_object_set_new(req, "id", json_string(o->id));
	return req;
}

static int cmm_cmd_run(void *cfg)
{
	struct cmm_opts *o = cfg;

	if (strcmp(o->pos.v[0], "send"))
		return cli_err("unknown action '%s' (expected 'send')", o->pos.v[0]);
	if (!o->to.n || !o->module || !o->payload)
		return cli_err("--to, --module and --payload are required");
	return cli_ctl_run(o->ctl_socket, cmm_request(o), CTL_TIMEOUT_MS, cli_print_sent);
}

const struct cli_cmd cmd_cmm = {
	.name = "cmm",
	.summary = "core multicast: send a message through the daemon's CMM",
	.args = "send",
	.min_pos = 1,
	.max_pos = 1,
	.pos_offset = offsetof(struct cmm_opts, pos),
	.opts = cmm_opts_tbl,
	.cfg_size = sizeof(struct cmm_opts),
	.defaults = cmm_defaults,
	.run = cmm_cmd_run,
};
