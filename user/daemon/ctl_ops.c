// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's own control ops (the control socket client is cli/ctl_client.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/ctl.h"
#include "daemon/ctl_ops.h"
#include "daemon/daemon.h"

static json_t *op_ping(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	char id[ID_HEX_LEN + 1];

	(void)req;
	(void)err;
	(void)errlen;
	id_fmt(daemon_node(d)->id.b, id);
	return json_pack("{s:b, s:s}", "ok", 1, "node_id", id);
}

static json_t *op_stats(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)req;
	(void)err;
	(void)errlen;
	return daemon_stats_json(d);
}

static json_t *op_neighbours(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)req;
	(void)err;
	(void)errlen;
	return json_pack("{s:o}", "neighbours", daemon_neighbours_json(d));
}

static json_t *op_icc_blast(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	const char *to = json_string_value(json_object_get(req, "to"));
	const char *mod = json_string_value(json_object_get(req, "module"));
	json_t *cnt = json_object_get(req, "count"), *len = json_object_get(req, "size");
	struct node_id id;
	struct timespec a, b;
	int sent;

	if (!to || id_parse(to, id.b) || !json_is_integer(cnt) || json_integer_value(cnt) < 1 ||
	    json_integer_value(cnt) > 10000000 || (len && !json_is_integer(len))) {
		snprintf(err, errlen,
			 "need 'to' (node ID), 'count' (1..10000000), optional "
			 "'size' and 'module'");
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	sent = daemon_blast(d, &id, mod ? mod : "echo", (uint32_t)json_integer_value(cnt),
			    len ? (uint32_t)json_integer_value(len) : 64);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (sent < 0) {
		snprintf(err, errlen, "icc_blast: %s", strerror(-sent));
		return NULL;
	}
	return json_pack("{s:b, s:i, s:f}", "ok", 1, "sent", sent, "seconds",
			 (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

/* The daemon's own ops; the rest come from the flow side and the modules (ctl_assemble). */
const struct ctl_op daemon_ctl_ops[] = {
	{ "ping", op_ping },	       { "stats", op_stats }, { "neighbours", op_neighbours },
	{ "icc_blast", op_icc_blast }, { NULL, NULL },
};
