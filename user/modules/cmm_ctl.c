// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * CMM's control op cmm_send: {"to": ["id", ...] or "id,id,...", "module",
 * "payload", optional "id"} -> {"ok", "id", "sent"}.
 */
#include <errno.h>
#include <stdio.h>

#include "core/ctlarg.h"
#include "modules/cmm.h"

#define CMM_SEND_MAX_TO 256

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

static json_t *op_cmm_send(struct module *cmm, json_t *req, char *err, size_t errlen)
{
	struct node_id to[CMM_SEND_MAX_TO];
	const char *dmm = json_string_value(json_object_get(req, "module"));
	json_t *payload = json_object_get(req, "payload"), *idv = json_object_get(req, "id");
	struct msg_id id;
	int n = parse_to(json_object_get(req, "to"), to, CMM_SEND_MAX_TO, err, errlen), sent;

	if (n < 0)
		return NULL;
	if (!dmm || !json_is_string(payload) || (idv && !json_is_string(idv))) {
		snprintf(err, errlen, "'module' and 'payload' must be strings");
		return NULL;
	}
	if (ctl_msg_id(req, &id, err, errlen))
		return NULL;
	sent = cmm_send(cmm, &id, json_string_value(payload), json_string_length(payload), to, n,
			dmm);
	return ctl_sent_reply("cmm_send", &id, sent, err, errlen);
}

const struct module_ctl_op cmm_ctl_ops[] = {
	{ "cmm_send", op_cmm_send },
	{ NULL, NULL },
};
