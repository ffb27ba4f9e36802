// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <sodium.h>
#include <stdio.h>

#include "core/ctlarg.h"

int ctl_msg_id(const json_t *req, struct msg_id *id, char *err, size_t errlen)
{
	const json_t *v = json_object_get(req, "id");

	if (!v) {
		randombytes_buf(id->b, sizeof(id->b));
		return 0;
	}
	if (!json_is_string(v) || id_parse(json_string_value(v), id->b)) {
		snprintf(err, errlen, "'id' must be 32 hex digits");
		return -EINVAL;
	}
	return 0;
}

json_t *ctl_sent_reply(const char *what, const struct msg_id *id, int sent, char *err,
		       size_t errlen)
{
	char hex[ID_HEX_LEN + 1];

	if (sent < 0) {
		snprintf(err, errlen, "%s: %s", what, strerror(-sent));
		return NULL;
	}
	id_fmt(id->b, hex);
	return json_pack("{s:b, s:s, s:i}", "ok", 1, "id", hex, "sent", sent);
}
