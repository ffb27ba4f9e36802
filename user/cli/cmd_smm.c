// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The structured overlay on the control socket and the CLI: ops "smm_send"
 * and "topology", and `ipop-bpf smm send|topology`.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/ctl_client.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"
#include "modules/smm.h"
#include "modules/topology.h"

#define SMM_CTL_TIMEOUT_MS 5000

/* "FROM-TO": two node IDs (32 hex digits each). */
static int parse_range(const char *s, struct node_id *from, struct node_id *to)
{
	char a[ID_HEX_LEN + 1];

	if (strlen(s) != 2 * ID_HEX_LEN + 1 || s[ID_HEX_LEN] != '-')
		return -EINVAL;
	memcpy(a, s, ID_HEX_LEN);
	a[ID_HEX_LEN] = '\0';
	return id_parse(a, from->b) || id_parse(s + ID_HEX_LEN + 1, to->b) ? -EINVAL : 0;
}

static json_t *op_smm_send(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	struct node *n = daemon_node(d);
	struct module *smm = node_module(n, SMM_NAME);
	const char *dmm = json_string_value(json_object_get(req, "module"));
	json_t *payload = json_object_get(req, "payload"), *idv = json_object_get(req, "id");
	json_t *range = json_object_get(req, "range");
	struct node_id from = n->id, to = n->id;
	char idhex[ID_HEX_LEN + 1];
	struct msg_id id;
	int sent;

	if (!dmm || !json_is_string(payload) || (idv && !json_is_string(idv)) ||
	    (range && !json_is_string(range))) {
		snprintf(err, errlen, "'module' and 'payload' must be strings");
		return NULL;
	}
	if (range && parse_range(json_string_value(range), &from, &to)) {
		snprintf(err, errlen, "'range' must be FROM-TO (two 32-hex-digit IDs)");
		return NULL;
	}
	if (idv && id_parse(json_string_value(idv), id.b)) {
		snprintf(err, errlen, "'id' must be 32 hex digits");
		return NULL;
	}
	if (!smm) {
		snprintf(err, errlen, "module smm is not loaded");
		return NULL;
	}
	if (!idv)
		randombytes_buf(id.b, sizeof(id.b));
	sent = smm_send(smm, &id, json_string_value(payload), json_string_length(payload), &from,
			&to, dmm);
	if (sent < 0) {
		snprintf(err, errlen, "smm_send: %s", strerror(-sent));
		return NULL;
	}
	id_fmt(id.b, idhex);
	return json_pack("{s:b, s:s, s:i}", "ok", 1, "id", idhex, "sent", sent);
}

static json_t *op_topology(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	struct module *t = node_module(daemon_node(d), TOPOLOGY_NAME);

	(void)req;
	if (!t) {
		snprintf(err, errlen, "module topology is not loaded");
		return NULL;
	}
	return topology_state_json(t);
}

void smm_register_ops(void)
{
	ctl_register_op("smm_send", op_smm_send);
	ctl_register_op("topology", op_topology);
}

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

static void smm_print(json_t *reply, bool send)
{
	char *text;

	if (send) {
		printf("sent %lld message(s), id %s\n",
		       (long long)json_integer_value(json_object_get(reply, "sent")),
		       json_string_value(json_object_get(reply, "id")));
		return;
	}
	text = json_dumps(reply, JSON_INDENT(2));
	if (text)
		puts(text);
	free(text);
}

static int smm_cmd_run(void *cfg)
{
	struct smm_cli *o = cfg;
	bool send = !strcmp(o->pos.v[0], "send");
	json_t *req, *reply;

	if (!send && strcmp(o->pos.v[0], "topology"))
		return cli_err("unknown action '%s' (expected 'send' or 'topology')", o->pos.v[0]);
	if (send && (!o->module || !o->payload))
		return cli_err("--module and --payload are required");
	req = smm_request(o, send);
	if (!req)
		return cli_err("bad arguments");
	reply = ctl_ask(o->ctl_socket, req, SMM_CTL_TIMEOUT_MS, CTL_ASK_REPORT, NULL, 0, NULL);
	json_decref(req);
	if (!reply)
		return 1;
	if (cli_json) {
		json_dumpf(reply, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else {
		smm_print(reply, send);
	}
	json_decref(reply);
	return 0;
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
