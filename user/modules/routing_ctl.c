// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Control ops of the unstructured overlay (names unique daemon-wide):
 *   tlfm_send     {"module", "payload", "tokens", optional "id", optional "plain"}
 *                 -> {"ok", "id", "sent"}
 *   spdm_discover {"to"} -> {"ok", "started"} (false: one is already running)
 *   srum_send     {"to", "module", "payload"} -> {"ok", "sent"} (false: buffered)
 *   srum_paths    {} -> {"ok", "paths": [{"dst", "hops", "path", "age_ms", "preferred"}]}
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>

#include "modules/routing_ctl.h"
#include "modules/spdm.h"
#include "modules/srum.h"
#include "modules/tlfm.h"

static int req_id(json_t *req, const char *key, uint8_t out[ID_LEN], char *err, size_t errlen)
{
	const char *v = json_string_value(json_object_get(req, key));

	if (!v || id_parse(v, out)) {
		snprintf(err, errlen, "'%s' must be a node ID (32 hex digits)", key);
		return -EINVAL;
	}
	return 0;
}

static json_t *op_tlfm_send(struct module *m, json_t *req, char *err, size_t errlen)
{
	const char *dmm = json_string_value(json_object_get(req, "module"));
	json_t *payload = json_object_get(req, "payload"), *tok = json_object_get(req, "tokens");
	json_t *idv = json_object_get(req, "id");
	bool plain = json_is_true(json_object_get(req, "plain"));
	char hex[ID_HEX_LEN + 1];
	struct msg_id id;
	int sent;

	if (!dmm || !json_is_string(payload) || (!plain && !json_is_integer(tok)) ||
	    (tok && (!json_is_integer(tok) || json_integer_value(tok) < 1 ||
		     json_integer_value(tok) > UINT32_MAX))) {
		snprintf(err, errlen, "'module' and 'payload' must be strings, 'tokens' 1..2^32-1");
		return NULL;
	}
	if (idv && (!json_is_string(idv) || id_parse(json_string_value(idv), id.b))) {
		snprintf(err, errlen, "'id' must be 32 hex digits");
		return NULL;
	}
	if (!idv)
		randombytes_buf(id.b, sizeof(id.b));
	sent = tlfm_send(m, &id, json_string_value(payload), json_string_length(payload),
			 tok ? (uint32_t)json_integer_value(tok) : 0, plain ? TLFM_F_PLAIN : 0,
			 dmm);
	if (sent < 0) {
		snprintf(err, errlen, "tlfm_send: %s", strerror(-sent));
		return NULL;
	}
	id_fmt(id.b, hex);
	return json_pack("{s:b, s:s, s:i}", "ok", 1, "id", hex, "sent", sent);
}

static json_t *op_spdm_discover(struct module *m, json_t *req, char *err, size_t errlen)
{
	struct node_id to;
	int ret;

	if (req_id(req, "to", to.b, err, errlen))
		return NULL;
	ret = spdm_discover(m, &to);
	if (ret < 0 && ret != -EALREADY) {
		snprintf(err, errlen, "spdm_discover: %s", strerror(-ret));
		return NULL;
	}
	return json_pack("{s:b, s:b}", "ok", 1, "started", ret == 0);
}

static json_t *op_srum_send(struct module *m, json_t *req, char *err, size_t errlen)
{
	const char *dmm = json_string_value(json_object_get(req, "module"));
	json_t *payload = json_object_get(req, "payload");
	struct node_id to;
	int ret;

	if (req_id(req, "to", to.b, err, errlen))
		return NULL;
	if (!dmm || !json_is_string(payload)) {
		snprintf(err, errlen, "'module' and 'payload' must be strings");
		return NULL;
	}
	ret = srum_send(m, &to, dmm, json_string_value(payload), json_string_length(payload));
	if (ret < 0) {
		snprintf(err, errlen, "srum_send: %s", strerror(-ret));
		return NULL;
	}
	return json_pack("{s:b, s:b}", "ok", 1, "sent", ret == 1);
}

static json_t *op_srum_paths(struct module *m, json_t *req, char *err, size_t errlen)
{
	json_t *paths = srum_paths_json(m);

	(void)req;
	if (!paths) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return json_pack("{s:b, s:o}", "ok", 1, "paths", paths);
}

const struct module_ctl_op tlfm_ctl_ops[] = {
	{ "tlfm_send", op_tlfm_send },
	{ NULL, NULL },
};

const struct module_ctl_op spdm_ctl_ops[] = {
	{ "spdm_discover", op_spdm_discover },
	{ NULL, NULL },
};

const struct module_ctl_op srum_ctl_ops[] = {
	{ "srum_send", op_srum_send },
	{ "srum_paths", op_srum_paths },
	{ NULL, NULL },
};
