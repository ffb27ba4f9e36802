// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `ipop-bpf smm send|topology`: the control ops smm_send (modules/smm_ctl.c)
 * and topology (modules/topology_ctl.c) of a running daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/ctl_cmd.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"

#define SMM_CTL_TIMEOUT_MS 5000

/* ---- ipop-bpf smm ---- */

struct smm_cli {
	struct cli_pos pos;
	const char *range;
	const char *module;
	const char *payload;
	const char *id;
	const char *ctl_socket;
	bool json;
};

static const struct cli_opt smm_opts_tbl[] = {
	CLI_OPT_STR("range", 'r', struct smm_cli, range, "FROM-TO",
		    "send: node ID range [FROM, TO) (default: the whole ring)"),
	CLI_OPT_STR("module", 'm', struct smm_cli, module, "NAME",
		    "send: destination module on each node (e.g. echo)"),
	CLI_OPT_STR("payload", 'p', struct smm_cli, payload, "TEXT", "send: message payload"),
	CLI_OPT_STR("id", 0, struct smm_cli, id, "HEX", "send: message ID (default: random)"),
	CLI_OPT_STR("ctl-socket", 0, struct smm_cli, ctl_socket, "PATH",
		    "daemon control socket (default " DAEMON_CTL_SOCKET ")"),
	CLI_OPT_FLAG("json", 'j', struct smm_cli, json, "print the daemon's reply as JSON"),
	CLI_OPT_END,
};

static void smm_defaults(void *cfg)
{
	struct smm_cli *o = cfg;

	o->ctl_socket = DAEMON_CTL_SOCKET;
}

static json_t *smm_request(const struct smm_cli *o, bool send)
{
	json_t *req;

	if (!send)
		return json_pack("{s:s}", "op", "topology");
	req = json_pack("{s:s, s:s, s:s}", "op", "smm_send", "module", o->module, "payload",
			o->payload);
	if (req && o->range)
		json_object_set_new(req, "range", json_string(o->range));
	if (req && o->id)
		json_object_set_new(req, "id", json_string(o->id));
	return req;
}

static int smm_cmd_run(void *cfg)
{
	struct smm_cli *o = cfg;
	bool send = !strcmp(o->pos.v[0], "send");

	if (!send && strcmp(o->pos.v[0], "topology"))
		return cli_err("unknown action '%s' (expected 'send' or 'topology')", o->pos.v[0]);
	if (send && (!o->module || !o->payload))
		return cli_err("--module and --payload are required");
	return cli_ctl_run(o->ctl_socket, smm_request(o, send), SMM_CTL_TIMEOUT_MS,
			   send ? cli_print_sent : NULL);
}

const struct cli_cmd cmd_smm = {
	.name = "smm",
	.summary = "structured multicast over the Chord ring: send, or show the topology",
	.args = "send|topology",
	.min_pos = 1,
	.max_pos = 1,
	.pos_offset = offsetof(struct smm_cli, pos),
	.opts = smm_opts_tbl,
	.cfg_size = sizeof(struct smm_cli),
	.defaults = smm_defaults,
	.run = smm_cmd_run,
};
