// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * SMM's control op smm_send: {"module", "payload", optional "range"
 * "FROM-TO", optional "id"} -> {"ok", "id", "sent"}.
 */
#include <errno.h>
#include <stdio.h>

#include "core/ctlarg.h"
#include "modules/smm.h"

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

static json_t *op_smm_send(struct module *smm, json_t *req, char *err, size_t errlen)
{
	const char *dmm = json_string_value(json_object_get(req, "module"));
	json_t *payload = json_object_get(req, "payload"), *idv = json_object_get(req, "id");
	json_t *range = json_object_get(req, "range");
	struct node_id from = smm->node->id, to = smm->node->id;
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
	if (ctl_msg_id(req, &id, err, errlen))
		return NULL;
	sent = smm_send(smm, &id, json_string_value(payload), json_string_length(payload), &from,
			&to, dmm);
	return ctl_sent_reply("smm_send", &id, sent, err, errlen);
}

const struct module_ctl_op smm_ctl_ops[] = {
	{ "smm_send", op_smm_send },
	{ NULL, NULL },
};
