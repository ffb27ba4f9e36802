// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * CMM payload (inside an ICC DATA message to module "cmm"):
 *   u8 version (1) | u8 reserved (0) | char dmm[16] NUL-padded | data
 * The ICC message ID is the CMM message ID.
 */
#include <errno.h>

#include "core/modparam.h"
#include "core/node.h"
#include "core/seen.h"
#include "modules/cmm.h"

#define CMM_WIRE_VERSION 1
#define NS_PER_MS	 1000000ULL

struct cmm {
	struct seen_cache seen;
};

static const char *const cmm_counters[CMM_C__MAX + 1] = {
	[CMM_C_SENT] = "sent",
	[CMM_C_RECEIVED] = "received",
	[CMM_C_DELIVERED] = "delivered",
	[CMM_C_DUPLICATES] = "duplicates",
	[CMM_C_SKIPPED_SELF] = "skipped.self",
	[CMM_C_SKIPPED_REPEAT] = "skipped.repeat",
	[CMM_C_DROP_MALFORMED] = "dropped.malformed",
	[CMM_C_DROP_UNKNOWN_MODULE] = "dropped.unknown_module",
	[CMM_C_DROP_SEND_FAILED] = "dropped.send_failed",
	[CMM_C_DROP_NO_MEMORY] = "dropped.no_memory",
	[CMM_C__MAX] = NULL,
};

struct cmm_params {
	uint32_t seen_capacity;
	uint64_t seen_ttl_ms;
};

static const struct mod_param cmm_params[] = {
	MP_U32("seen_capacity", struct cmm_params, seen_capacity, CMM_DEFAULT_SEEN, 1, 1u << 24),
	MP_U64("seen_ttl_ms", struct cmm_params, seen_ttl_ms, CMM_DEFAULT_TTL_MS, 1, 86400000),
	MP_END,
};

static int cmm_init(struct module *m, const json_t *params)
{
	struct cmm *c = m->priv;
	struct cmm_params p;

	if (module_params(m, cmm_params, params, &p))
		return -EINVAL;
	seen_init(&c->seen, p.seen_capacity, p.seen_ttl_ms * NS_PER_MS);
	return 0;
}

static int cmm_stop(struct module *m)
{
	struct cmm *c = m->priv;

	seen_free(&c->seen);
	return 0;
}

static bool listed_before(const struct node_id *to, int i)
{
	for (int k = 0; k < i; k++)
		if (node_id_eq(&to[k], &to[i]))
			return true;
	return false;
}

static void cmm_encode(uint8_t *buf, const char *dmm, const void *data, size_t len)
{
	buf[0] = CMM_WIRE_VERSION;
	buf[1] = 0;
	memset(buf + 2, 0, ICC_MOD_LEN);
	memcpy(buf + 2, dmm, strnlen(dmm, ICC_MOD_LEN));
	if (len)
		memcpy(buf + CMM_HDR_LEN, data, len);
}

int cmm_send(struct module *m, const struct msg_id *id, const void *data, size_t len,
	     const struct node_id *to, int nto, const char *dmm)
{
	struct cmm *c = m->priv;
	uint8_t buf[ICC_MAX_PAYLOAD];
	struct mod_msg msg = { .type = ICC_T_DATA, .ttl = ICC_DEFAULT_TTL, .id = *id };
	int sent = 0;

	if (len > CMM_MAX_DATA || !dmm[0] || !icc_module_name_ok(dmm) || nto < 0)
		return -EINVAL;
	cmm_encode(buf, dmm, data, len);
	msg.src = m->node->id;
	msg.data = buf;
	msg.len = CMM_HDR_LEN + len;
	if (seen_check_insert(&c->seen, id, rt_now(m)) < 0)
		rt_count(m, CMM_C_DROP_NO_MEMORY, 1);
	for (int i = 0; i < nto; i++) {
		if (node_id_eq(&to[i], &m->node->id)) {
			rt_count(m, CMM_C_SKIPPED_SELF, 1);
		} else if (listed_before(to, i)) {
			rt_count(m, CMM_C_SKIPPED_REPEAT, 1);
		} else if (rt_send(m, &to[i], CMM_NAME, &msg) < 0) {
			rt_count(m, CMM_C_DROP_SEND_FAILED, 1);
		} else {
			rt_count(m, CMM_C_SENT, 1);
			sent++;
		}
	}
	return sent;
}

int cmm_send_from(struct module *caller, const struct msg_id *id, const void *data, size_t len,
		  const struct node_id *to, int nto, const char *dmm)
{
	struct module *cmm = node_module(caller->node, CMM_NAME);

	if (!cmm)
		return -ENOENT;
	return cmm_send(cmm, id, data, len, to, nto, dmm);
}

static int cmm_recv(struct module *m, const struct mod_msg *msg)
{
	struct cmm *c = m->priv;
	const uint8_t *p = msg->data;
	char dmm[ICC_MOD_LEN + 1];
	struct mod_msg out;
	int ret;

	rt_count(m, CMM_C_RECEIVED, 1);
	if (msg->len < CMM_HDR_LEN || p[0] != CMM_WIRE_VERSION || p[1] != 0) {
		rt_count(m, CMM_C_DROP_MALFORMED, 1);
		return -EBADMSG;
	}
	memcpy(dmm, p + 2, ICC_MOD_LEN);
	dmm[ICC_MOD_LEN] = '\0';
	if (!dmm[0] || !icc_module_name_ok(dmm)) {
		rt_count(m, CMM_C_DROP_MALFORMED, 1);
		return -EBADMSG;
	}
	ret = seen_check_insert(&c->seen, &msg->id, rt_now(m));
	if (ret == 1) {
		rt_count(m, CMM_C_DUPLICATES, 1);
		return 0;
	}
	if (ret < 0)
		rt_count(m, CMM_C_DROP_NO_MEMORY, 1);
	out = *msg;
	out.from_module = CMM_NAME;
	out.data = p + CMM_HDR_LEN;
	out.len = msg->len - CMM_HDR_LEN;
	ret = rt_deliver(m, dmm, &out);
	if (ret == -ENOENT) {
		rt_count(m, CMM_C_DROP_UNKNOWN_MODULE, 1);
		return 0;
	}
	rt_count(m, CMM_C_DELIVERED, 1);
	return 0;
}

const struct module_ops cmm_module = {
	.name = CMM_NAME,
	.priv_size = sizeof(struct cmm),
	.counters = cmm_counters,
	.init = cmm_init,
	.recv = cmm_recv,
	.stop = cmm_stop,
	.ctl_ops = cmm_ctl_ops,
};
