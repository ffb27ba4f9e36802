// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `ipop-bpf table add|del|list`: front-end of the daemon's flow tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/ctl_client.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"
#include "flow/fmt.h"
#include "flow/rule.h"

#define CTL_TIMEOUT_MS 10000

/* One request to the daemon (req consumed); the failure reported once. NULL on failure. */
static json_t *ask(const char *sock, json_t *req)
{
	json_t *rep = ctl_ask(sock, req, CTL_TIMEOUT_MS, CTL_ASK_REPORT, NULL, 0, NULL);

	json_decref(req);
	return rep;
}

struct table_cfg {
	struct cli_pos pos;
	const char *file;
	const char *ctl_socket;
	bool json;
};

static void table_defaults(void *cfg)
{
	((struct table_cfg *)cfg)->ctl_socket = DAEMON_CTL_SOCKET;
}

/* --file: {"tables": [...]} or [...]; every table checked before anything is sent */
static json_t *tables_from_file(const char *path)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *arr, *t;
	char err[256];
	struct rule r;
	size_t i;

	if (!root)
		return cli_err("%s:%d:%d: %s", path, je.line, je.column, je.text), NULL;
	arr = json_is_array(root) ? root : json_object_get(root, "tables");
	if (!json_is_array(arr) || !json_array_size(arr)) {
		json_decref(root);
		return cli_err("%s: expected {\"tables\": [...]} or a non-empty array", path), NULL;
	}
	json_array_foreach(arr, i, t) {
		if (rule_from_json(&r, t, err, sizeof(err))) {
			cli_err("%s: tables[%zu]: %s", path, i, err);
			json_decref(root);
			return NULL;
		}
	}
	json_incref(arr);
	json_decref(root);
	return arr;
}

static int table_add(struct table_cfg *c)
{
	char err[256];
	struct rule r;
	json_t *tables, *rep, *req;
	char *text;

	if (c->file) {
		if (c->pos.n > 1)
			return cli_err("give either --file or a table, not both");
		tables = tables_from_file(c->file);
		if (!tables)
			return 1;
	} else {
		if (rule_parse_words(&r, c->pos.n - 1, (char **)c->pos.v + 1, err, sizeof(err)))
			return cli_err("%s", err);
		tables = json_pack("[o]", rule_to_json(&r));
	}
	req = json_pack("{s:s, s:o}", "op", "table_add", "tables", tables);
	text = c->file ? json_dumps(req, JSON_COMPACT) : NULL;
	if (text && strlen(text) + 1 > CTL_LINE_MAX) {
		cli_err("%s: %zu bytes, over the control socket's request limit of %d; split the "
			"file",
			c->file, strlen(text) + 1, CTL_LINE_MAX);
		free(text);
		json_decref(req);
		return 1;
	}
	free(text);
	rep = ask(c->ctl_socket, req);
	if (!rep)
		return 1;
	if (c->json)
		fmt_json_print(rep);
	json_decref(rep);
	return 0;
}

static int table_del(struct table_cfg *c)
{
	json_t *names = json_array(), *rep;

	if (c->pos.n < 2)
		return json_decref(names), cli_err("missing table NAME");
	for (int i = 1; i < c->pos.n; i++)
		json_array_append_new(names, json_string(c->pos.v[i]));
	rep = ask(c->ctl_socket, json_pack("{s:s, s:o}", "op", "table_del", "names", names));
	if (!rep)
		return 1;
	if (c->json)
		fmt_json_print(rep);
	json_decref(rep);
	return 0;
}

/* "proto 6 dport 80-80" from the table's JSON, for the MATCH column */
static void match_words(json_t *t, char *buf, size_t len)
{
	static const char *const keys[] = { "dev", "dir", "ip",	   "proto",
					    "src", "dst", "sport", "dport" };
	char pname[16];
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && n < len; i++) {
		json_t *v = json_object_get(t, keys[i]);

		if (json_is_string(v))
			n += snprintf(buf + n, len - n, "%s%s %s", n ? " " : "", keys[i],
				      json_string_value(v));
		else if (json_is_integer(v) && !strcmp(keys[i], "proto"))
			n += snprintf(buf + n, len - n, "%sproto %s", n ? " " : "",
				      fmt_proto(pname, sizeof(pname), json_integer_value(v)));
		else if (json_is_integer(v))
			n += snprintf(buf + n, len - n, "%s%s %lld", n ? " " : "", keys[i],
				      (long long)json_integer_value(v));
	}
	if (!buf[0])
		snprintf(buf, len, "any");
}

static int table_list(struct table_cfg *c)
{
	json_t *rep = ask(c->ctl_socket, json_pack("{s:s}", "op", "table_list")), *t;
	char match[256], pk[16], by[16], idle[16];
	size_t i;

	if (!rep)
		return 1;
	if (c->json) {
		fmt_json_print(rep);
		json_decref(rep);
		return 0;
	}
	printf("%-20s %6s %-40s %8s %8s %10s %8s\n", "NAME", "PRIO", "MATCH", "PACKETS", "BYTES",
	       "MBPS", "IDLE_S");
	json_array_foreach(json_object_get(rep, "tables"), i, t) {
		json_t *id = json_object_get(t, "idle_s");

		match_words(t, match, sizeof(match));
		snprintf(idle, sizeof(idle), json_is_number(id) ? "%.1f" : "-",
			 json_number_value(id));
		printf("%-20s %6lld %-40s %8s %8s %10.3f %8s\n",
		       json_string_value(json_object_get(t, "name")),
		       (long long)json_integer_value(json_object_get(t, "prio")), match,
		       fmt_si(pk, sizeof(pk), json_integer_value(json_object_get(t, "packets"))),
		       fmt_si(by, sizeof(by), json_integer_value(json_object_get(t, "bytes"))),
		       json_number_value(json_object_get(t, "rate_mbps")), idle);
	}
	json_decref(rep);
	return 0;
}

static int table_run(void *cfg)
{
	struct table_cfg *c = cfg;
	const char *act = c->pos.v[0];

	if (!strcmp(act, "add"))
		return c->pos.n < 2 && !c->file ? cli_err("missing table NAME (or --file FILE)")
						: table_add(c);
	if (c->file)
		return cli_err("--file goes with 'table add'");
	if (!strcmp(act, "del"))
		return table_del(c);
	if (!strcmp(act, "list"))
		return c->pos.n > 1 ? cli_err("unexpected argument '%s'", c->pos.v[1])
				    : table_list(c);
	return cli_err("unknown action '%s' (add|del|list)", act);
}

static const struct cli_opt table_opts[] = {
	CLI_OPT_STR("file", 'f', struct table_cfg, file, "FILE",
		    "add: many tables from JSON {\"tables\": [...]}, all or none"),
	CLI_OPT_STR("ctl-socket", 0, struct table_cfg, ctl_socket, "PATH",
		    "daemon control socket (default " DAEMON_CTL_SOCKET ")"),
	CLI_OPT_FLAG("json", 'j', struct table_cfg, json, "print JSON"),
	CLI_OPT_END,
};

const struct cli_cmd cmd_table = {
	.name = "table",
	.summary = "Flow tables in the daemon: add, del, list",
	.args = "add NAME [MATCH...] | del NAME... | list",
	.help = "MATCH words (all optional; a packet goes to the matching table with the highest\n"
		"prio, ties to the older table):\n"
		"  prio N                 0..1000000, default 0\n"
		"  dev IFNAME             interface\n"
		"  dir ingress|egress\n"
		"  ip 4|6\n"
		"  proto tcp|udp|icmp|icmpv6|sctp|udplite|N\n"
		"  src PREFIX, dst PREFIX 10.0.0.0/8, fd00::/64, or an address\n"
		"  sport N[-M], dport N[-M]  need proto tcp, udp, sctp or udplite\n"
		"Example: ipop-bpf table add web prio 10 proto tcp dport 80-443\n",
	.min_pos = 1,
	.max_pos = CLI_POS_MAX,
	.pos_offset = offsetof(struct table_cfg, pos),
	.opts = table_opts,
	.cfg_size = sizeof(struct table_cfg),
	.defaults = table_defaults,
	.run = table_run,
};
