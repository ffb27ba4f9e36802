// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Built-in control ops (the client is cli/ctl_client.c). */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/ctl.h"
#include "daemon/ctl_ops.h"
#include "daemon/daemon.h"
#include "modules/cmm.h"
#include "modules/smm.h"

#define CMM_SEND_MAX_TO 256

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

/* "to": ["id", ...] or "id,id,..." */
static int parse_to(json_t *v, struct node_id *to, int max, char *err, size_t errlen)
{
	char buf[CMM_SEND_MAX_TO * (ID_HEX_LEN + 1) + 1], *tok, *save = NULL;
	json_t *e;
	size_t i;
	int n = 0;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (n == max || !json_is_string(e) ||
			    id_parse(json_string_value(e), to[n].b))
				goto bad;
			n++;
		}
		return n ? n : -EINVAL;
	}
	if (!json_is_string(v) || json_string_length(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, json_string_value(v));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max || id_parse(tok, to[n].b))
			goto bad;
		n++;
	}
	if (n)
		return n;
bad:
	snprintf(err, errlen, "'to' must be 1..%d node IDs (32 hex digits)", max);
	return -EINVAL;
}

static json_t *op_cmm_send(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	struct node_id to[CMM_SEND_MAX_TO];
	const char *dmm = json_string_value(json_object_get(req, "module"));
	json_t *payload = json_object_get(req, "payload"), *idv = json_object_get(req, "id");
	struct module *cmm = node_module(daemon_node(d), CMM_NAME);
	char idhex[ID_HEX_LEN + 1];
	struct msg_id id;
	int n = parse_to(json_object_get(req, "to"), to, CMM_SEND_MAX_TO, err, errlen), sent;

	if (n < 0)
		return NULL;
	if (!dmm || !json_is_string(payload) || (idv && !json_is_string(idv))) {
		snprintf(err, errlen, "'module' and 'payload' must be strings");
		return NULL;
	}
	if (!cmm) {
		snprintf(err, errlen, "module cmm is not loaded");
		return NULL;
	}
	if (idv && id_parse(json_string_value(idv), id.b)) {
		snprintf(err, errlen, "'id' must be 32 hex digits");
		return NULL;
	}
	if (!idv)
		randombytes_buf(id.b, sizeof(id.b));
	sent = cmm_send(cmm, &id, json_string_value(payload), json_string_length(payload), to, n,
			dmm);
	if (sent < 0) {
		snprintf(err, errlen, "cmm_send: %s", strerror(-sent));
		return NULL;
	}
	id_fmt(id.b, idhex);
	return json_pack("{s:b, s:s, s:i}", "ok", 1, "id", idhex, "sent", sent);
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

void ctl_builtin_ops_register(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	ctl_register_op("ping", op_ping);
	ctl_register_op("stats", op_stats);
	ctl_register_op("neighbours", op_neighbours);
	ctl_register_op("cmm_send", op_cmm_send);
	ctl_register_op("icc_blast", op_icc_blast);
	smm_register_ops();
}
