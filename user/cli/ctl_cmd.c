// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/ctl_client.h"
#include "cli/ctl_cmd.h"

static void print_json(const json_t *reply, size_t flags)
{
	char *text = json_dumps(reply, flags);

	if (text)
		puts(text);
	free(text);
}

int cli_ctl_run(const char *sock, json_t *req, int timeout_ms, void (*print)(const json_t *reply))
{
	json_t *reply;

	if (!req)
		return cli_err("bad arguments");
	reply = ctl_ask(sock, req, timeout_ms, CTL_ASK_REPORT, NULL, 0, NULL);
	json_decref(req);
	if (!reply)
		return 1;
	if (cli_json)
		print_json(reply, JSON_COMPACT);
	else if (print)
		print(reply);
	else
		print_json(reply, JSON_INDENT(2));
	json_decref(reply);
	return 0;
}

void cli_print_sent(const json_t *reply)
{
	printf("sent %lld message(s), id %s\n",
	       (long long)json_integer_value(json_object_get(reply, "sent")),
	       json_string_value(json_object_get(reply, "id")));
}
