// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `ipop-bpf tlfm send`, `ipop-bpf spdm discover ID`, `ipop-bpf srum send|paths`:
 * the control ops of the unstructured overlay (modules/routing_ctl.c);
 * `ipop-bpf vpn status`: the daemon's VPN (daemon/vpnd.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/ctl_cmd.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"

#define ROUTING_CTL_TIMEOUT_MS 5000

struct routing_cli {
	struct cli_pos pos;
	const char *module, *payload, *to, *ctl_socket;
	uint64_t tokens;
	bool plain, json;
};

#define O struct routing_cli
static const struct cli_opt routing_opts_tbl[] = {
	CLI_OPT_STR("module", 'm', O, module, "NAME", "send: destination module (e.g. echo)"),
	CLI_OPT_STR("payload", 'p', O, payload, "TEXT", "send: message payload"),
	CLI_OPT_STR("to", 't', O, to, "ID", "srum send: destination node ID (32 hex digits)"),
	CLI_OPT_U64("tokens", 0, O, tokens, "B", "tlfm send: flood budget", 1, UINT32_MAX),
	CLI_OPT_FLAG("plain", 0, O, plain, "tlfm send: the plain flood (no budget)"),
	CLI_OPT_STR("ctl-socket", 0, O, ctl_socket, "PATH",
		    "daemon control socket (default " DAEMON_CTL_SOCKET ")"),
	CLI_OPT_FLAG("json", 'j', O, json, "print the daemon's reply as JSON"),
	CLI_OPT_END,
};
#undef O

static void routing_defaults(void *cfg)
{
	struct routing_cli *o = cfg;

	o->ctl_socket = DAEMON_CTL_SOCKET;
}

static int routing_ask(const struct routing_cli *o, json_t *req)
{
	return cli_ctl_run(o->ctl_socket, req, ROUTING_CTL_TIMEOUT_MS, NULL);
}

static int tlfm_cmd_run(void *cfg)
{
	struct routing_cli *o = cfg;
	json_t *req;

	if (strcmp(o->pos.v[0], "send"))
		return cli_err("unknown action '%s' (expected 'send')", o->pos.v[0]);
	if (!o->module || !o->payload || (!o->tokens && !o->plain))
		return cli_err("--module, --payload and --tokens (or --plain) are required");
	req = json_pack("{s:s, s:s, s:s, s:b}", "op", "tlfm_send", "module", o->module, "payload",
			o->payload, "plain", o->plain);
	if (req && o->tokens)
		json_object_set_new(req, "tokens", json_integer((json_int_t)o->tokens));
	return routing_ask(o, req);
}

static int spdm_cmd_run(void *cfg)
{
	struct routing_cli *o = cfg;

	if (strcmp(o->pos.v[0], "discover") || o->pos.n != 2)
		return cli_err("expected 'discover ID'");
	return routing_ask(o, json_pack("{s:s, s:s}", "op", "spdm_discover", "to", o->pos.v[1]));
}

static int srum_cmd_run(void *cfg)
{
	struct routing_cli *o = cfg;

	if (!strcmp(o->pos.v[0], "paths"))
		return routing_ask(o, json_pack("{s:s}", "op", "srum_paths"));
	if (strcmp(o->pos.v[0], "send"))
		return cli_err("unknown action '%s' (expected 'send' or 'paths')", o->pos.v[0]);
	if (!o->to || !o->module || !o->payload)
		return cli_err("--to, --module and --payload are required");
	return routing_ask(o, json_pack("{s:s, s:s, s:s, s:s}", "op", "srum_send", "to", o->to,
					"module", o->module, "payload", o->payload));
}

const struct cli_cmd cmd_tlfm = {
	.name = "tlfm",
	.summary = "token-limited flood from this node: send",
	.args = "send",
	.min_pos = 1,
	.max_pos = 1,
	.pos_offset = offsetof(struct routing_cli, pos),
	.opts = routing_opts_tbl,
	.cfg_size = sizeof(struct routing_cli),
	.defaults = routing_defaults,
	.run = tlfm_cmd_run,
};

const struct cli_cmd cmd_spdm = {
	.name = "spdm",
	.summary = "source-routed path discovery: discover ID",
	.args = "discover ID",
	.min_pos = 2,
	.max_pos = 2,
	.pos_offset = offsetof(struct routing_cli, pos),
	.opts = routing_opts_tbl,
	.cfg_size = sizeof(struct routing_cli),
	.defaults = routing_defaults,
	.run = spdm_cmd_run,
};

const struct cli_cmd cmd_srum = {
	.name = "srum",
	.summary = "source-routed unicast: send, or show the path cache",
	.args = "send|paths",
	.min_pos = 1,
	.max_pos = 1,
	.pos_offset = offsetof(struct routing_cli, pos),
	.opts = routing_opts_tbl,
	.cfg_size = sizeof(struct routing_cli),
	.defaults = routing_defaults,
	.run = srum_cmd_run,
};

static int vpn_cmd_run(void *cfg)
{
	struct routing_cli *o = cfg;

	if (strcmp(o->pos.v[0], "status"))
		return cli_err("unknown action '%s' (expected 'status')", o->pos.v[0]);
	return routing_ask(o, json_pack("{s:s}", "op", "vpn_status"));
}

const struct cli_cmd cmd_vpn = {
	.name = "vpn",
	.summary = "the daemon's VPN: status (ipop0, links and labels, paths, counters) as JSON",
	.args = "status",
	.min_pos = 1,
	.max_pos = 1,
	.pos_offset = offsetof(struct routing_cli, pos),
	.opts = routing_opts_tbl,
	.cfg_size = sizeof(struct routing_cli),
	.defaults = routing_defaults,
	.run = vpn_cmd_run,
};
