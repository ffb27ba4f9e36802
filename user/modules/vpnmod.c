// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The VPN's delivery module: frames over SRUM/SMM/TLFM, label resolution, link notices. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/modparam.h"
#include "core/node.h"
#include "core/wire.h"
#include "modules/smm.h"
#include "modules/srum.h"
#include "modules/tlfm.h"
#include "modules/vpnmod.h"

#define NS_PER_MS 1000000ULL
#define LQ_LEN	  (VPNMOD_HDR + 4 + ID_LEN)
#define LR_LEN	  (LQ_LEN + 1)
#define DOWN_LEN  (VPNMOD_HDR + 2 * ID_LEN)

_Static_assert(VPNMOD_DP_KIND == SRUM_DP_KIND, "the VPN installs SRUM's paths");
_Static_assert(SR_HOPS_MAX == DP_PATH_MAX, "SRUM's paths fit a dp_entry");

struct pending {
	bool used;
	uint32_t qid;
	uint64_t deadline;
	struct dp_entry e;
};

struct vpnmod {
	struct vpnmod_sink sink;
	uint32_t tokens;
	uint32_t bcast_kind;
	char bcast[ICC_MOD_LEN + 1];
	uint32_t next_qid;
	uint64_t seq;
	bool timer_armed;
	struct pending pend[VPNMOD_PENDING];
	/* peers this node said its link to is down (an "up" notice follows when it returns) */
	struct node_id down[VPNMOD_DOWN_MAX];
	uint32_t ndown;
};

static const char *const vpnmod_counters[VPNMOD_C__MAX + 1] = {
	[VPNMOD_C_TX_UNICAST] = "tx_unicast",
	[VPNMOD_C_TX_GROUP] = "tx_group",
	[VPNMOD_C_RX_UNICAST] = "rx_unicast",
	[VPNMOD_C_RX_GROUP] = "rx_group",
	[VPNMOD_C_TX_TOO_BIG] = "dropped.tx_too_big",
	[VPNMOD_C_TX_FAILED] = "dropped.tx_failed",
	[VPNMOD_C_LQ_SENT] = "labels.queries_sent",
	[VPNMOD_C_LQ_ANSWERED] = "labels.queries_answered",
	[VPNMOD_C_LR_RECEIVED] = "labels.replies_received",
	[VPNMOD_C_PATHS_RESOLVED] = "labels.paths_resolved",
	[VPNMOD_C_RESOLVE_EXPIRED] = "labels.expired",
	[VPNMOD_C_RESOLVE_FULL] = "labels.table_full",
	[VPNMOD_C_DOWN_SENT] = "link_down.sent",
	[VPNMOD_C_DOWN_RECEIVED] = "link_down.received",
	[VPNMOD_C_UP_SENT] = "link_up.sent",
	[VPNMOD_C_UP_RECEIVED] = "link_up.received",
	[VPNMOD_C_DROP_MALFORMED] = "dropped.malformed",
	[VPNMOD_C_DROP_OWN] = "dropped.own",
	[VPNMOD_C_DROP_NO_SINK] = "dropped.no_sink",
	[VPNMOD_C__MAX] = NULL,
};

static const struct mod_param vpnmod_params[] = {
	MP_NAME("broadcast", struct vpnmod, bcast, TLFM_NAME),
	MP_U32("tokens", struct vpnmod, tokens, VPNMOD_TOKENS, 1, 4096),
	MP_END,
};

static bool is_vpnmod(struct module *m)
{
	return m && m->ops == &vpnmod_module;
}

static int vpnmod_init(struct module *m, const json_t *params)
{
	struct vpnmod *v = m->priv;
	int ret = module_params(m, vpnmod_params, params, v);

	if (ret)
		return ret;
	if (!strcmp(v->bcast, SMM_NAME)) {
		v->bcast_kind = VPNMOD_SMM;
	} else if (!strcmp(v->bcast, TLFM_NAME)) {
		v->bcast_kind = VPNMOD_TLFM;
	} else {
		rt_log(m, LOG_L_ERR, "vpn: 'broadcast' must be \"smm\" or \"tlfm\", not \"%s\"",
		       v->bcast);
		return -EINVAL;
	}
	if (!node_module(m->node, SRUM_NAME) || !node_module(m->node, v->bcast)) {
		rt_log(m, LOG_L_ERR, "vpn: needs the modules srum and %s", v->bcast);
		return -ENOENT;
	}
	return 0;
}

int vpnmod_set_sink(struct module *m, const struct vpnmod_sink *sink)
{
	if (!is_vpnmod(m))
		return -EINVAL;
	((struct vpnmod *)m->priv)->sink = *sink;
	return 0;
}

size_t vpnmod_frame_max(struct module *m, bool group)
{
	struct vpnmod *v = m->priv;

	if (!group)
		return SRUM_MAX_DATA - VPNMOD_HDR;
	return (v->bcast_kind == VPNMOD_SMM ? SMM_MAX_DATA : TLFM_MAX_DATA) - VPNMOD_HDR;
}

static void put_hdr(uint8_t *b, uint8_t type)
{
	b[0] = VPNMOD_VERSION;
	b[1] = type;
	b[2] = b[3] = 0;
}

int vpnmod_check(const uint8_t *buf, size_t len, uint8_t *type)
{
	if (len < VPNMOD_HDR || buf[0] != VPNMOD_VERSION || buf[2] || buf[3])
		return -EBADMSG;
	*type = buf[1];
	switch (buf[1]) {
	case VPNMOD_T_FRAME:
	case VPNMOD_T_GROUP:
		return len >= VPNMOD_HDR + VPNMOD_FRAME_MIN ? (int)len : -EBADMSG;
	case VPNMOD_T_LQ:
		return len == LQ_LEN ? (int)len : -EBADMSG;
	case VPNMOD_T_LR:
		return len == LR_LEN && buf[LQ_LEN] != DP_LABEL_NONE ? (int)len : -EBADMSG;
	case VPNMOD_T_DOWN:
	case VPNMOD_T_UP:
		return len == DOWN_LEN ? (int)len : -EBADMSG;
	default:
		return -EBADMSG;
	}
}

int vpnmod_send(struct module *m, const struct node_id *dst, const void *frame, size_t len)
{
	uint8_t buf[SRUM_MAX_DATA];
	int ret;

	if (!is_vpnmod(m) || len < VPNMOD_FRAME_MIN)
		return -EINVAL;
	if (len > vpnmod_frame_max(m, false)) {
		rt_count(m, VPNMOD_C_TX_TOO_BIG, 1);
		return -EMSGSIZE;
	}
	put_hdr(buf, VPNMOD_T_FRAME);
	memcpy(buf + VPNMOD_HDR, frame, len);
	ret = srum_send_from(m, dst, VPNMOD_NAME, buf, VPNMOD_HDR + len);
	rt_count(m, ret < 0 ? VPNMOD_C_TX_FAILED : VPNMOD_C_TX_UNICAST, 1);
	return ret;
}

/* A broadcast ID unique to this node and message. */
static void bcast_id(struct module *m, struct msg_id *id)
{
	struct vpnmod *v = m->priv;

	memcpy(id->b, m->node->id.b, 8);
	wire_put64(id->b + 8, rt_now(m) ^ (++v->seq << 40));
}

static int group_send(struct module *m, const uint8_t *buf, size_t len)
{
	struct vpnmod *v = m->priv;
	struct msg_id id;

	bcast_id(m, &id);
	if (v->bcast_kind == VPNMOD_SMM)
		return smm_send_from(m, &id, buf, len, &m->node->id, &m->node->id, VPNMOD_NAME);
	return tlfm_send_from(m, &id, buf, len, v->tokens, 0, VPNMOD_NAME);
}

int vpnmod_broadcast(struct module *m, const void *frame, size_t len)
{
	uint8_t buf[CMM_MAX_DATA];
	int ret;

	if (!is_vpnmod(m) || len < VPNMOD_FRAME_MIN)
		return -EINVAL;
	if (len > vpnmod_frame_max(m, true)) {
		rt_count(m, VPNMOD_C_TX_TOO_BIG, 1);
		return -EMSGSIZE;
	}
	put_hdr(buf, VPNMOD_T_GROUP);
	memcpy(buf + VPNMOD_HDR, frame, len);
	ret = group_send(m, buf, VPNMOD_HDR + len);
	rt_count(m, ret < 0 ? VPNMOD_C_TX_FAILED : VPNMOD_C_TX_GROUP, 1);
	return ret;
}

/* ---- labels ---- */

static struct pending *pend_find(struct vpnmod *v, const struct node_id *dst)
{
	for (int i = 0; i < VPNMOD_PENDING; i++)
		if (v->pend[i].used && node_id_eq(&v->pend[i].e.dst, dst))
			return &v->pend[i];
	return NULL;
}

int vpnmod_best_path(struct module *m, const struct node_id *dst, struct node_id *path)
{
	struct module *srum = is_vpnmod(m) ? node_module(m->node, SRUM_NAME) : NULL;

	return srum ? srum_best(srum, dst, path) : 0;
}

int vpnmod_best_entry(struct module *m, const struct node_id *dst, struct dp_entry *e)
{
	struct module *srum = is_vpnmod(m) ? node_module(m->node, SRUM_NAME) : NULL;

	return srum ? srum_best_entry(srum, dst, e) : 0;
}

int vpnmod_want_path(struct module *m, const struct node_id *dst)
{
	struct module *srum = is_vpnmod(m) ? node_module(m->node, SRUM_NAME) : NULL;

	return srum ? srum_want_path(srum, dst) : -ENOENT;
}

bool vpnmod_discovering(struct module *m, const struct node_id *dst)
{
	struct module *spdm = is_vpnmod(m) ? node_module(m->node, SPDM_NAME) : NULL;

	return spdm && spdm_pending(spdm, dst);
}

void vpnmod_cancel(struct module *m, const struct node_id *dst)
{
	struct pending *p;

	if (is_vpnmod(m) && (p = pend_find(m->priv, dst)))
		p->used = false;
}

static void send_lq(struct module *m, const struct pending *p, int i)
{
	uint8_t buf[LQ_LEN];

	put_hdr(buf, VPNMOD_T_LQ);
	wire_put32(buf + VPNMOD_HDR, p->qid);
	memcpy(buf + VPNMOD_HDR + 4, p->e.path[i + 1].b, ID_LEN);
	if (srum_send_from(m, &p->e.path[i], VPNMOD_NAME, buf, sizeof(buf)) >= 0)
		rt_count(m, VPNMOD_C_LQ_SENT, 1);
	else
		rt_count(m, VPNMOD_C_TX_FAILED, 1);
}

static bool pend_done(const struct pending *p)
{
	for (int i = 0; i + 1 < p->e.hops; i++)
		if (p->e.labels[i] == DP_LABEL_NONE)
			return false;
	return true;
}

static void arm_resolve_timer(struct module *m)
{
	struct vpnmod *v = m->priv;

	if (!v->timer_armed && rt_timer_arm(m, VPNMOD_RESOLVE_TMR, 500 * NS_PER_MS) == 0)
		v->timer_armed = true;
}

int vpnmod_resolve(struct module *m, const struct dp_entry *e)
{
	struct vpnmod *v;
	struct pending *p;

	if (!is_vpnmod(m) || e->hops == 0 || e->hops > DP_PATH_MAX ||
	    e->first_label == DP_LABEL_NONE)
		return -EINVAL;
	v = m->priv;
	p = pend_find(v, &e->dst);
	for (int i = 0; !p && i < VPNMOD_PENDING; i++)
		if (!v->pend[i].used)
			p = &v->pend[i];
	if (!p) {
		rt_count(m, VPNMOD_C_RESOLVE_FULL, 1);
		return -ENOSPC;
	}
	p->used = true;
	p->e = *e;
	p->qid = ++v->next_qid;
	p->deadline = rt_now(m) + VPNMOD_RESOLVE_MS * NS_PER_MS;
	if (pend_done(p)) {
		p->used = false;
		return 1;
	}
	for (int i = 0; i + 1 < p->e.hops; i++)
		if (p->e.labels[i] == DP_LABEL_NONE)
			send_lq(m, p, i);
	arm_resolve_timer(m);
	return 0;
}

static void answer_lq(struct module *m, const struct mod_msg *msg, const uint8_t *buf)
{
	struct nbr_info nb[256];
	struct node_id next;
	uint8_t out[LR_LEN];
	int n = rt_neighbours(m, nb, 256);

	memcpy(next.b, buf + VPNMOD_HDR + 4, ID_LEN);
	for (int i = 0; i < n && i < 256; i++) {
		if (!node_id_eq(&nb[i].id, &next) || nb[i].label == DP_LABEL_NONE)
			continue;
		memcpy(out, buf, LQ_LEN);
		put_hdr(out, VPNMOD_T_LR);
		out[LQ_LEN] = nb[i].label;
		if (srum_send_from(m, &msg->src, VPNMOD_NAME, out, sizeof(out)) >= 0)
			rt_count(m, VPNMOD_C_LQ_ANSWERED, 1);
		return;
	}
	/* no link to next: no answer (the resolution expires) */
}

static void take_lr(struct module *m, const struct mod_msg *msg, const uint8_t *buf)
{
	struct vpnmod *v = m->priv;
	uint32_t qid = wire_get32(buf + VPNMOD_HDR);
	const uint8_t *next = buf + VPNMOD_HDR + 4;

	rt_count(m, VPNMOD_C_LR_RECEIVED, 1);
	for (int k = 0; k < VPNMOD_PENDING; k++) {
		struct pending *p = &v->pend[k];

		if (!p->used || p->qid != qid)
			continue;
		/* the answer counts only from the node asked, about the node after it */
		for (int i = 0; i + 1 < p->e.hops; i++)
			if (node_id_eq(&p->e.path[i], &msg->src) &&
			    !memcmp(p->e.path[i + 1].b, next, ID_LEN))
				p->e.labels[i] = buf[LQ_LEN];
		if (!pend_done(p))
			return;
		p->used = false;
		rt_count(m, VPNMOD_C_PATHS_RESOLVED, 1);
		if (v->sink.path)
			v->sink.path(v->sink.ctx, &p->e);
		return;
	}
}

static int vpnmod_timer(struct module *m, uint32_t timer_id)
{
	struct vpnmod *v = m->priv;
	uint64_t now = rt_now(m);
	bool any = false;

	if (timer_id != VPNMOD_RESOLVE_TMR)
		return 0;
	v->timer_armed = false;
	for (int i = 0; i < VPNMOD_PENDING; i++) {
		if (!v->pend[i].used)
			continue;
		if (now >= v->pend[i].deadline) {
			v->pend[i].used = false;
			rt_count(m, VPNMOD_C_RESOLVE_EXPIRED, 1);
		} else {
			any = true;
		}
	}
	if (any)
		arm_resolve_timer(m);
	return 0;
}

/* ---- arrivals ---- */

static int vpnmod_recv(struct module *m, const struct mod_msg *msg)
{
	struct vpnmod *v = m->priv;
	const uint8_t *buf = msg->data;
	const char *via = msg->from_module;
	bool by_srum = via && !strcmp(via, SRUM_NAME);
	bool by_group = via && !strcmp(via, v->bcast);
	uint8_t type = 0;

	if (vpnmod_check(buf, msg->len, &type) < 0 ||
	    (type == VPNMOD_T_GROUP || type == VPNMOD_T_DOWN || type == VPNMOD_T_UP ? !by_group
										    : !by_srum)) {
		rt_count(m, VPNMOD_C_DROP_MALFORMED, 1);
		return 0;
	}
	if (node_id_eq(&msg->src, &m->node->id)) {
		rt_count(m, VPNMOD_C_DROP_OWN, 1);
		return 0;
	}
	switch (type) {
	case VPNMOD_T_FRAME:
	case VPNMOD_T_GROUP:
		rt_count(m, type == VPNMOD_T_GROUP ? VPNMOD_C_RX_GROUP : VPNMOD_C_RX_UNICAST, 1);
		if (!v->sink.frame) {
			rt_count(m, VPNMOD_C_DROP_NO_SINK, 1);
			return 0;
		}
		v->sink.frame(v->sink.ctx, &msg->src, buf + VPNMOD_HDR, msg->len - VPNMOD_HDR,
			      type == VPNMOD_T_GROUP);
		return 0;
	case VPNMOD_T_LQ:
		answer_lq(m, msg, buf);
		return 0;
	case VPNMOD_T_LR:
		take_lr(m, msg, buf);
		return 0;
	case VPNMOD_T_DOWN:
	case VPNMOD_T_UP: {
		struct node_id a, b;
		bool up = type == VPNMOD_T_UP;

		memcpy(a.b, buf + VPNMOD_HDR, ID_LEN);
		memcpy(b.b, buf + VPNMOD_HDR + ID_LEN, ID_LEN);
		/* only the node at one end may say so */
		if (!node_id_eq(&a, &msg->src)) {
			rt_count(m, VPNMOD_C_DROP_MALFORMED, 1);
			return 0;
		}
		rt_count(m, up ? VPNMOD_C_UP_RECEIVED : VPNMOD_C_DOWN_RECEIVED, 1);
		/* SRUM first: it drops its paths over a - b and hands the datapath others */
		rt_link_notice(m, &a, &b, up);
		if (up && v->sink.link_up)
			v->sink.link_up(v->sink.ctx, &a, &b);
		else if (!up && v->sink.link_down)
			v->sink.link_down(v->sink.ctx, &a, &b);
		return 0;
	}
	}
	return 0;
}

/*
 * A link of ours went down: tell the others (their kernel paths may cross
 * it). When one we reported comes back, say so (their datapaths may take
 * paths over it again at once).
 */
static int vpnmod_link(struct module *m, const struct node_id *peer, bool up)
{
	struct vpnmod *v = m->priv;
	uint8_t buf[DOWN_LEN];
	uint32_t i;

	for (i = 0; i < v->ndown && !node_id_eq(&v->down[i], peer); i++)
		;
	if (up) {
		if (i == v->ndown)
			return 0; /* never reported down (or forgotten: the notice ages out) */
		v->down[i] = v->down[--v->ndown];
	} else if (i == v->ndown) {
		if (v->ndown == VPNMOD_DOWN_MAX)
			memmove(v->down, v->down + 1, sizeof(v->down[0]) * --v->ndown);
		v->down[v->ndown++] = *peer;
	}
	put_hdr(buf, up ? VPNMOD_T_UP : VPNMOD_T_DOWN);
	memcpy(buf + VPNMOD_HDR, m->node->id.b, ID_LEN);
	memcpy(buf + VPNMOD_HDR + ID_LEN, peer->b, ID_LEN);
	if (group_send(m, buf, sizeof(buf)) >= 0)
		rt_count(m, up ? VPNMOD_C_UP_SENT : VPNMOD_C_DOWN_SENT, 1);
	return 0;
}

const struct module_ops vpnmod_module = {
	.name = VPNMOD_NAME,
	.priv_size = sizeof(struct vpnmod),
	.counters = vpnmod_counters,
	.init = vpnmod_init,
	.recv = vpnmod_recv,
	.timer = vpnmod_timer,
	.link = vpnmod_link,
};
