// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "modules/cmm.h"
#include "modules/echo.h"

#define ECHO_LOG_PER_SEC 10
#define NS_PER_SEC	 1000000000ULL

struct echo {
	uint64_t window_start;
	uint32_t logged; /* in the current one-second window */
};

static const char *const echo_counters[ECHO_C__MAX + 1] = {
	[ECHO_C_RECEIVED] = "received",
	[ECHO_C_BYTES] = "bytes",
	[ECHO_C_LOG_SUPPRESSED] = "log_suppressed",
	[ECHO_C__MAX] = NULL,
};

static const char *const flood_counters[FLOOD_C__MAX + 1] = {
	[FLOOD_C_ORIGINATED] = "originated",
	[FLOOD_C_RECEIVED] = "received",
	[FLOOD_C_FORWARDED] = "forwarded",
	[FLOOD_C__MAX] = NULL,
};

/* Printable copy of at most 200 bytes of payload; others become '.'. */
static void printable(char *out, size_t cap, const uint8_t *p, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	out[n] = '\0';
}

static bool echo_may_log(struct module *m)
{
	struct echo *e = m->priv;
	uint64_t now = rt_now(m);

	if (now - e->window_start >= NS_PER_SEC) {
		e->window_start = now;
		e->logged = 0;
	}
	if (e->logged >= ECHO_LOG_PER_SEC) {
		rt_count(m, ECHO_C_LOG_SUPPRESSED, 1);
		return false;
	}
	e->logged++;
	return true;
}

static int echo_recv(struct module *m, const struct mod_msg *msg)
{
	char text[201], id[ID_HEX_LEN + 1], src[ID_HEX_LEN + 1];

	rt_count(m, ECHO_C_RECEIVED, 1);
	rt_count(m, ECHO_C_BYTES, msg->len);
	if (!echo_may_log(m))
		return 0;
	printable(text, sizeof(text), msg->data, msg->len);
	id_fmt(msg->id.b, id);
	id_fmt(msg->src.b, src);
	rt_log(m, LOG_L_INFO, "%s: id %s from %s via %s: %s", m->ops->name, id, src,
	       msg->from_module ? msg->from_module : "icc", text);
	return 0;
}

const struct module_ops echo_module = {
	.name = "echo",
	.priv_size = sizeof(struct echo),
	.counters = echo_counters,
	.recv = echo_recv,
};

const struct module_ops log_module = {
	.name = "log",
	.priv_size = sizeof(struct echo),
	.counters = echo_counters,
	.recv = echo_recv,
};

/* Up neighbours except `skip`, into a heap array; returns the count or -errno. */
static int flood_targets(struct module *m, const struct node_id *skip, struct node_id **out)
{
	int total = rt_neighbours(m, NULL, 0), n = 0;
	struct nbr_info *nb;

	*out = NULL;
	if (total <= 0)
		return total;
	nb = malloc(sizeof(*nb) * (size_t)total);
	*out = malloc(sizeof(**out) * (size_t)total);
	if (!nb || !*out) {
		free(nb);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	total = rt_neighbours(m, nb, total);
	for (int i = 0; i < total; i++)
		if (nb[i].up && !(skip && node_id_eq(&nb[i].id, skip)))
			(*out)[n++] = nb[i].id;
	free(nb);
	return n;
}

static int flood_send(struct module *m, const struct node_id *skip, const struct msg_id *id,
		      const void *data, size_t len)
{
	struct node_id *to;
	int n = flood_targets(m, skip, &to), ret;

	ret = n > 0 ? cmm_send_from(m, id, data, len, to, n, m->ops->name) : n;
	free(to);
	return ret;
}

int flood_start(struct module *m, const struct msg_id *id, const void *data, size_t len)
{
	int ret = flood_send(m, NULL, id, data, len);

	rt_count(m, FLOOD_C_ORIGINATED, 1);
	if (ret > 0)
		rt_count(m, FLOOD_C_FORWARDED, (uint64_t)ret);
	return ret;
}

static int flood_recv(struct module *m, const struct mod_msg *msg)
{
	int ret;

	rt_count(m, FLOOD_C_RECEIVED, 1);
	ret = flood_send(m, &msg->src, &msg->id, msg->data, msg->len);
	if (ret > 0)
		rt_count(m, FLOOD_C_FORWARDED, (uint64_t)ret);
	return ret < 0 ? ret : 0;
}

const struct module_ops flood_module = {
	.name = "flood",
	.priv_size = 0,
	.counters = flood_counters,
	.recv = flood_recv,
};
