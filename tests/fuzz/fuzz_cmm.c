// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the CMM payload (user/modules/cmm.c), reached as the
 * daemon reaches it: an ICC DATA message for module "cmm" handed to a node
 * running the real CMM and a "sink" module that records what it is given.
 * An input is: 16 bytes of message ID, then the CMM payload
 *   u8 version | u8 reserved | char dmm[16] NUL-padded | data
 * Properties, on a fresh node per input:
 *   - a malformed payload is refused (-EBADMSG), counted, delivers nothing;
 *   - an accepted one reaches the named module exactly once with the bytes
 *     after the header, the same ID and "cmm" as the sender; the same message
 *     again is a duplicate and delivers nothing;
 *   - the counters add up (received = delivered + duplicates + dropped);
 *   - cmm_send of what was delivered encodes the same payload (canonical
 *     NUL padding of the module name aside).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "modules/cmm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

static struct {
	int delivered;
	struct mod_msg got;
	uint8_t got_data[ICC_MAX_PAYLOAD];
	int sent;
	uint8_t sent_data[ICC_MAX_PAYLOAD];
	size_t sent_len;
	uint64_t now;
} h;

static int fz_send(struct node *n, const struct node_id *to, const char *module,
		   const struct mod_msg *msg)
{
	(void)n;
	(void)to;
	CHECK(!strcmp(module, CMM_NAME) && msg->len <= sizeof(h.sent_data));
	memcpy(h.sent_data, msg->data, msg->len);
	h.sent_len = msg->len;
	h.sent++;
	return 0;
}

static int fz_deliver(struct node *n, const char *module, const struct mod_msg *msg)
{
	return node_deliver(n, module, msg);
}

static int fz_timer_arm(struct node *n, struct module *m, uint32_t id, uint64_t delay)
{
	(void)n;
	(void)m;
	(void)id;
	(void)delay;
	return 0;
}

static int fz_timer_cancel(struct node *n, struct module *m, uint32_t id)
{
	(void)n;
	(void)m;
	(void)id;
	return 0;
}

static uint64_t fz_now(struct node *n)
{
	(void)n;
	return h.now;
}

static int fz_neighbours(struct node *n, struct nbr_info *out, int max)
{
	(void)n;
	(void)out;
	(void)max;
	return 0;
}

static int fz_dp(struct node *n, const struct dp_entry *e)
{
	(void)n;
	(void)e;
	return 0;
}

static void fz_count(struct module *m, unsigned int ctr, uint64_t delta)
{
	m->ctr[ctr] += delta;
}

static void fz_log(struct node *n, enum log_level lvl, const char *fmt, va_list ap)
{
	(void)n;
	(void)lvl;
	(void)fmt;
	(void)ap;
}

static const struct rt_ops fz_rt = {
	.send = fz_send,
	.deliver = fz_deliver,
	.timer_arm = fz_timer_arm,
	.timer_cancel = fz_timer_cancel,
	.now = fz_now,
	.neighbours = fz_neighbours,
	.dp_install = fz_dp,
	.dp_remove = fz_dp,
	.count = fz_count,
	.log = fz_log,
};

static int sink_recv(struct module *m, const struct mod_msg *msg)
{
	(void)m;
	CHECK(msg->len <= sizeof(h.got_data));
	h.delivered++;
	h.got = *msg;
	memcpy(h.got_data, msg->data, msg->len);
	return 0;
}

static const struct module_ops sink_module = { .name = "sink", .recv = sink_recv };

static uint64_t ctr(struct node *n, unsigned int c)
{
	return node_module(n, CMM_NAME)->ctr[c];
}

static void check_counters(struct node *n)
{
	CHECK(ctr(n, CMM_C_RECEIVED) == ctr(n, CMM_C_DELIVERED) + ctr(n, CMM_C_DUPLICATES) +
						ctr(n, CMM_C_DROP_MALFORMED) +
						ctr(n, CMM_C_DROP_UNKNOWN_MODULE));
}

/* What was delivered, sent again through cmm_send: the same payload. */
static void check_resend(struct node *n, const uint8_t *payload, size_t len, const char *dmm)
{
	struct node_id to = { .b = { 0xee } };
	struct msg_id id = { .b = { 0x77 } };
	uint8_t canon[ICC_MAX_PAYLOAD];

	CHECK(cmm_send(node_module(n, CMM_NAME), &id, h.got_data, h.got.len, &to, 1, dmm) == 1);
	memcpy(canon, payload, len);
	memset(canon + 2, 0, ICC_MOD_LEN);
	memcpy(canon + 2, dmm, strlen(dmm));
	CHECK(h.sent == 1 && h.sent_len == len && !memcmp(h.sent_data, canon, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct module_ops *ops[2] = { &cmm_module, &sink_module };
	struct modcfg mc = { .n = 2, .ops = { ops[0], ops[1] } };
	struct node_id self = { .b = { 0x01 } };
	struct mod_msg msg = { .type = ICC_T_DATA, .ttl = ICC_DEFAULT_TTL };
	const uint8_t *payload = data + sizeof(msg.id.b);
	size_t len = size - sizeof(msg.id.b);
	char dmm[ICC_MOD_LEN + 1];
	struct node n;
	int ret;

	if (size < sizeof(msg.id.b) || len > ICC_MAX_PAYLOAD)
		return 0;
	memset(&h, 0, sizeof(h));
	h.now = 1000000000ULL;
	CHECK(node_init(&n, &self, &fz_rt, NULL, &mc) == 0);
	memcpy(msg.id.b, data, sizeof(msg.id.b));
	msg.src.b[0] = 0x02;
	msg.data = payload;
	msg.len = len;

	ret = node_deliver(&n, CMM_NAME, &msg);
	check_counters(&n);
	if (ret == -EBADMSG) {
		CHECK(h.delivered == 0 && ctr(&n, CMM_C_DROP_MALFORMED) == 1);
		goto out;
	}
	CHECK(ret == 0 && len >= CMM_HDR_LEN && payload[0] == 1 && payload[1] == 0);
	memcpy(dmm, payload + 2, ICC_MOD_LEN);
	dmm[ICC_MOD_LEN] = '\0';
	CHECK(dmm[0] && icc_module_name_ok(dmm));
	if (strcmp(dmm, "sink")) {
		/* cmm itself or an unknown module: never handed to the sink */
		CHECK(h.delivered == 0);
		goto out;
	}
	CHECK(h.delivered == 1 && ctr(&n, CMM_C_DELIVERED) == 1);
	CHECK(h.got.len == len - CMM_HDR_LEN &&
	      !memcmp(h.got_data, payload + CMM_HDR_LEN, h.got.len));
	CHECK(!memcmp(&h.got.id, &msg.id, sizeof(msg.id)) && h.got.from_module &&
	      !strcmp(h.got.from_module, CMM_NAME));
	/* the same message again is a duplicate */
	h.now += 1000000;
	CHECK(node_deliver(&n, CMM_NAME, &msg) == 0);
	CHECK(h.delivered == 1 && ctr(&n, CMM_C_DUPLICATES) == 1);
	check_counters(&n);
	check_resend(&n, payload, len, dmm);
out:
	node_stop(&n);
	return 0;
}
