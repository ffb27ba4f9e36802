/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Arguments and replies the modules' control ops share: the optional message
 * "id" of a send, and the {"ok", "id", "sent"} reply.
 */
#ifndef IPOP_CORE_CTLARG_H
#define IPOP_CORE_CTLARG_H

#include <stddef.h>
#include <jansson.h>

#include "core/id.h"

/*
 * The message ID of a send: req's "id" (32 hex digits) or, without one, a
 * random ID. 0, or -EINVAL with err "'id' must be 32 hex digits".
 */
int ctl_msg_id(const json_t *req, struct msg_id *id, char *err, size_t errlen);

/*
 * The reply of a send that returned sent (what names the call): {"ok": true,
 * "id": hex, "sent": sent}, or NULL with err "<what>: <strerror>" when
 * sent < 0 (NULL with err untouched when out of memory).
 */
json_t *ctl_sent_reply(const char *what, const struct msg_id *id, int sent, char *err,
		       size_t errlen);

#endif /* IPOP_CORE_CTLARG_H */
