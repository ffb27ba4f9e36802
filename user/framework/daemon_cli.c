// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* CLI front-ends: `ipop-bpf daemon` and `ipop-bpf cmm send`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "framework/ctl.h"
#include "framework/daemon.h"

#define CTL_TIMEOUT_MS 5000

static const struct cli_opt daemon_opts_tbl[] = {
	CLI_OPT_STR("config", 'c', struct daemon_opts, config, "FILE",
		    "daemon JSON config (node ID, key file, listen, neighbours, modules)"),
	CLI_OPT_STR("ctl-socket", 0, struct daemon_opts, ctl_socket, "PATH",
		    "control socket (default " DAEMON_CTL_SOCKET ")"),
	CLI_OPT_FLAG("foreground", 'f', struct daemon_opts, foreground,
		     "stay in the foreground (the only mode for now)"),
	CLI_OPT_FLAG("verbose", 'v', struct daemon_opts, verbose, "log debug messages"),
	CLI_OPT_END,
};

static int daemon_cmd_run(void *cfg)
{
	struct daemon_opts *o = cfg;
	int ret;

	if (!o->config)
		return cli_err("--config FILE is required");
	ret = daemon_run(o);
	return ret ? 1 : 0;
}

const struct cli_cmd cmd_daemon = {
	.name = "daemon",
	.summary = "run the controller: ICC, overlay modules, control socket",
	.opts = daemon_opts_tbl,
	.cfg_size = sizeof(struct daemon_opts),
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
	json_t *req, *reply = NULL;
	char err[512];
	const char *e;
	int ret;

	if (strcmp(o->pos.v[0], "send"))
		return cli_err("unknown action '%s' (expected 'send')", o->pos.v[0]);
	if (!o->to.n || !o->module || !o->payload)
		return cli_err("--to, --module and --payload are required");
	req = cmm_request(o);
	if (!req)
		return cli_err("bad arguments");
	ret = ctl_request(o->ctl_socket, req, &reply, CTL_TIMEOUT_MS, err, sizeof(err));
	json_decref(req);
	if (ret)
		return cli_err("%s", err);
	e = json_string_value(json_object_get(reply, "error"));
	if (cli_json) {
		json_dumpf(reply, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else if (!e) {
		printf("sent %lld message(s), id %s\n",
		       (long long)json_integer_value(json_object_get(reply, "sent")),
		       json_string_value(json_object_get(reply, "id")));
	}
	if (e && !cli_json)
		cli_err("%s", e);
	json_decref(reply);
	return e ? 1 : 0;
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
