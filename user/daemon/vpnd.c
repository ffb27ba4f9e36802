// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's VPN: ipop0, links and labels, SRUM's paths in the kernel, the TAP reader. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/daemon_int.h"
#include "daemon/vpnd.h"
#include "daemon/vpnd_miss.h"
#include "modules/vpnmod.h"
#include "vpn/vpn.h"

#define VPND_PATHS_MAX	1024
#define VPND_READ_BATCH 64
#define VPND_FRAME_MAX	2048
#define VPND_TICK_MS	500
#define VPND_RETRY_NS	((VPNMOD_RESOLVE_MS + 1000) * 1000000ULL)
#define VPND_LABELS	256
#define VPND_MISS_NS	(5 * 1000000000ULL) /* a frame waits this long for its kernel path */

enum path_state { P_FREE, P_PENDING, P_INSTALLED, P_SUSPENDED };

struct vpnd_path {
	enum path_state state;
	uint64_t since;
	struct dp_entry e;
};

enum vpnd_ctr {
	VC_TAP_READ,
	VC_TAP_UNICAST,
	VC_TAP_GROUP,
	VC_TAP_FLOOD,
	VC_TAP_DROPPED,
	VC_TAP_WRITTEN,
	VC_TAP_WRITE_ERRORS,
	VC_RX_NOT_OURS,
	VC_LEARNED,
	VC_PATHS_INSTALLED,
	VC_PATHS_REMOVED,
	VC_PATHS_NO_FIRST_LINK,
	VC_PATHS_SUSPENDED,
	VC_PATHS_RESTORED,
	VC_PATHS_RETRIED,
	VC_PATH_ERRORS,
	VC_MISS_QUEUED,
	VC_MISS_REINJECTED,
	VC_MISS_REINJECT_ERRORS,
	VC_MISS_DROP_FULL,
	VC_MISS_DROP_EXPIRED,
	VC_MISS_DROP_NO_ROUTE,
	VC_MISS_DROP_RETURNED,
	VC_LINKS_UP,
	VC__MAX,
};

static const char *const vc_names[VC__MAX] = {
	[VC_TAP_READ] = "tap_read",
	[VC_TAP_UNICAST] = "tap_unicast",
	[VC_TAP_GROUP] = "tap_group",
	[VC_TAP_FLOOD] = "tap_flood",
	[VC_TAP_DROPPED] = "tap_dropped",
	[VC_TAP_WRITTEN] = "tap_written",
	[VC_TAP_WRITE_ERRORS] = "tap_write_errors",
	[VC_RX_NOT_OURS] = "rx_not_ours",
	[VC_LEARNED] = "learned",
	[VC_PATHS_INSTALLED] = "paths_installed",
	[VC_PATHS_REMOVED] = "paths_removed",
	[VC_PATHS_NO_FIRST_LINK] = "paths_no_first_link",
	[VC_PATHS_SUSPENDED] = "paths_suspended",
	[VC_PATHS_RESTORED] = "paths_restored",
	[VC_PATHS_RETRIED] = "paths_retried",
	[VC_PATH_ERRORS] = "path_errors",
	[VC_MISS_QUEUED] = "miss_queued",
	[VC_MISS_REINJECTED] = "miss_reinjected",
	[VC_MISS_REINJECT_ERRORS] = "miss_reinject_errors",
	[VC_MISS_DROP_FULL] = "miss_dropped_full",
	[VC_MISS_DROP_EXPIRED] = "miss_dropped_expired",
	[VC_MISS_DROP_NO_ROUTE] = "miss_dropped_no_route",
	[VC_MISS_DROP_RETURNED] = "miss_dropped_returned",
	[VC_LINKS_UP] = "link_up_notices",
};

/* A link some node said is down: no path over it goes back in for a while. */
struct down_link {
	struct node_id a, b;
	uint64_t at;
};

#define VPND_DOWN_MAX 64
#define VPND_DOWN_NS  (30 * 1000000000ULL)

struct vpnd {
	struct daemon *d;
	struct down_link down[VPND_DOWN_MAX];
	unsigned int ndown_next;
	const struct vpnd_conf *c;
	struct vpn_dp *dp;
	struct module *mod;
	int tap_fd, tick_fd;
	int pkt_fd; /* AF_PACKET on ipop0: re-injects queued misses into its egress */
	struct missq mq;
	uint8_t tap_mac[6];
	bool label_used[VPND_LABELS];
	struct node_id label_nbr[VPND_LABELS];
	uint8_t label_kind[VPND_LABELS];
	struct vpnd_path paths[VPND_PATHS_MAX];
	uint64_t ctr[VC__MAX];
};

/* ---- links and labels ---- */

static uint8_t label_find(const struct vpnd *v, const struct node_id *nbr)
{
	for (int l = 1; l < VPND_LABELS; l++)
		if (v->label_used[l] && node_id_eq(&v->label_nbr[l], nbr))
			return (uint8_t)l;
	return DP_LABEL_NONE;
}

static int links_sync(struct vpnd *v, bool strict, char *err, size_t errlen);

uint8_t vpnd_label(struct daemon *d, const struct node_id *nbr)
{
	struct vpnd *v = d->vpn;
	uint8_t l;
	char err[128];

	if (!v)
		return DP_LABEL_NONE;
	l = label_find(v, nbr);
	if (l == DP_LABEL_NONE && daemon_nbr(d, nbr)) {
		/* a run-time link (topology) newer than the last sync: link it now */
		links_sync(v, false, err, sizeof(err));
		l = label_find(v, nbr);
	}
	return l;
}

static const struct vpnd_eth_link *eth_link_of(const struct vpnd_conf *c, const struct node_id *nbr)
{
	for (int i = 0; i < c->neth; i++)
		if (node_id_eq(&c->eth[i].nbr, nbr))
			return &c->eth[i];
	return NULL;
}

/* The link description towards a neighbour; -ENOENT if it gets none. */
static int link_desc(struct vpnd *v, const struct dconf_nbr *nb, uint8_t label,
		     struct vpn_link_desc *l)
{
	const struct vpnd_eth_link *eth = eth_link_of(v->c, &nb->id);

	memset(l, 0, sizeof(*l));
	l->label = label;
	l->nbr = nb->id;
	if (eth) {
		l->kind = VPN_LINK_ETH;
		snprintf(l->ifname, sizeof(l->ifname), "%s", eth->ifname);
		memcpy(l->nbr_mac, eth->mac, 6);
		return 0;
	}
	if (!v->c->vxlan_links)
		return -ENOENT;
	l->kind = VPN_LINK_VXLAN;
	l->vni = v->c->vni;
	if (nb->addr.ss_family == AF_INET) {
		l->af = 4;
		memcpy(l->remote, &((const struct sockaddr_in *)&nb->addr)->sin_addr, 4);
	} else if (nb->addr.ss_family == AF_INET6) {
		l->af = 6;
		memcpy(l->remote, &((const struct sockaddr_in6 *)&nb->addr)->sin6_addr, 16);
	} else {
		return -ENOENT;
	}
	return 0;
}

/*
 * Every neighbour in the table gets a label and a link; labels of
 * neighbours that left are freed. strict: the first error is returned
 * (start), else logged.
 */
static int links_sync(struct vpnd *v, bool strict, char *err, size_t errlen)
{
	struct daemon *d = v->d;
	char e2[256];

	for (int l = 1; l < VPND_LABELS; l++) {
		if (!v->label_used[l] || daemon_nbr(d, &v->label_nbr[l]))
			continue;
		vpn_link_del(v->dp, (uint8_t)l, e2, sizeof(e2));
		v->label_used[l] = false;
	}
	for (int i = 0; i < d->nnbrs; i++) {
		const struct dconf_nbr *nb = d->nbrs[i].cfg;
		struct vpn_link_desc ld;
		int l, ret;

		if (label_find(v, &nb->id) != DP_LABEL_NONE)
			continue;
		for (l = 1; l < VPND_LABELS && v->label_used[l]; l++)
			;
		if (l == VPND_LABELS) {
			daemon_log(d, LOG_L_WARN, "vpn: no link label left for neighbour %s",
				   nb->text);
			return 0;
		}
		if (link_desc(v, nb, (uint8_t)l, &ld))
			continue; /* no link to this one (no VXLAN, no Ethernet link) */
		ret = vpn_link_set(v->dp, &ld, e2, sizeof(e2));
		if (ret) {
			if (strict) {
				snprintf(err, errlen, "link to %s: %s", nb->text, e2);
				return ret;
			}
			daemon_log(d, LOG_L_WARN, "vpn: link to %s: %s", nb->text, e2);
			continue;
		}
		v->label_used[l] = true;
		v->label_nbr[l] = nb->id;
		v->label_kind[l] = ld.kind;
	}
	return 0;
}

/* ---- paths (rt_ops.dp_install / dp_remove) ---- */

static void miss_flush(struct vpnd *v, const struct node_id *dst);

static struct vpnd_path *path_find(struct vpnd *v, const struct node_id *dst)
{
	for (int i = 0; i < VPND_PATHS_MAX; i++)
		if (v->paths[i].state != P_FREE && node_id_eq(&v->paths[i].e.dst, dst))
			return &v->paths[i];
	return NULL;
}

static struct vpnd_path *path_slot(struct vpnd *v, const struct node_id *dst)
{
	struct vpnd_path *p = path_find(v, dst);

	for (int i = 0; !p && i < VPND_PATHS_MAX; i++)
		if (v->paths[i].state == P_FREE)
			p = &v->paths[i];
	return p;
}

static bool same_path(const struct dp_entry *a, const struct dp_entry *b)
{
	return a->hops == b->hops && node_id_eq(&a->dst, &b->dst) &&
	       !memcmp(a->path, b->path, sizeof(a->path[0]) * a->hops);
}

/* Into the kernel: labels all known. */
static int path_apply(struct vpnd *v, struct vpnd_path *p, const struct dp_entry *e)
{
	struct vpn_path_desc pd = { .dst = e->dst, .first_label = e->first_label, .n = e->hops };
	char err[256];
	int ret;

	memcpy(pd.nodes, e->path, sizeof(e->path[0]) * e->hops);
	memcpy(pd.labels, e->labels, e->hops);
	ret = vpn_path_set(v->dp, &pd, err, sizeof(err));
	if (ret) {
		v->ctr[VC_PATH_ERRORS]++;
		daemon_log(v->d, LOG_L_WARN, "vpn: path not installed: %s", err);
		p->state = P_FREE;
		return ret;
	}
	p->e = *e;
	p->state = P_INSTALLED;
	p->since = daemon_now_ns();
	v->ctr[VC_PATHS_INSTALLED]++;
	miss_flush(v, &e->dst);
	return 0;
}

static int vpnd_install(void *ctx, const struct dp_entry *in)
{
	struct vpnd *v = ctx;
	struct dp_entry e = *in;
	struct vpnd_path *p;
	int ret;

	if (e.kind != VPNMOD_DP_KIND || e.hops == 0 || e.hops > DP_PATH_MAX)
		return 0;
	/* this node's own label we know; the others the path's nodes tell */
	if (e.first_label == DP_LABEL_NONE)
		e.first_label = vpnd_label(v->d, &e.path[0]);
	if (e.first_label == DP_LABEL_NONE) {
		/* not installed: SRUM offers it again at its next change */
		v->ctr[VC_PATHS_NO_FIRST_LINK]++;
		return -ENOENT;
	}
	p = path_slot(v, &e.dst);
	if (!p) {
		v->ctr[VC_PATH_ERRORS]++;
		return -ENOSPC;
	}
	if (p->state == P_INSTALLED && same_path(&p->e, &e) && p->e.first_label == e.first_label)
		return 0;
	ret = vpnmod_resolve(v->mod, &e);
	if (ret < 0) {
		v->ctr[VC_PATH_ERRORS]++;
		return 0;
	}
	if (ret == 1) {
		path_apply(v, p, &e);
		return 0;
	}
	/* until the labels come, the old path (if any) stays in the kernel */
	if (p->state != P_INSTALLED) {
		p->state = P_PENDING;
		p->e = e;
		p->since = daemon_now_ns();
	}
	return 0;
}

static void path_drop(struct vpnd *v, struct vpnd_path *p)
{
	char err[256];

	if (p->state == P_INSTALLED && !vpn_path_del(v->dp, &p->e.dst, err, sizeof(err)))
		v->ctr[VC_PATHS_REMOVED]++;
	p->state = P_FREE;
}

static int vpnd_remove(void *ctx, const struct dp_entry *e)
{
	struct vpnd *v = ctx;
	struct vpnd_path *p;

	if (e->kind != VPNMOD_DP_KIND)
		return 0;
	vpnmod_cancel(v->mod, &e->dst);
	p = path_find(v, &e->dst);
	if (p)
		path_drop(v, p);
	return 0;
}

/* The vpn module resolved every label of e. */
static void sink_path(void *ctx, const struct dp_entry *e)
{
	struct vpnd *v = ctx;
	struct vpnd_path *p = path_slot(v, &e->dst);

	if (p)
		path_apply(v, p, e);
}

static bool crosses(const struct node_id *self, const struct dp_entry *e, const struct node_id *a,
		    const struct node_id *b)
{
	const struct node_id *prev = self;

	for (int i = 0; i < e->hops; prev = &e->path[i++])
		if ((node_id_eq(prev, a) && node_id_eq(&e->path[i], b)) ||
		    (node_id_eq(prev, b) && node_id_eq(&e->path[i], a)))
			return true;
	return false;
}

static void path_retry(struct vpnd *v, struct vpnd_path *p, uint64_t now);

/* Some node's link a - b went down: kernel paths over it go, SRUM takes their frames. */
static void sink_link_down(void *ctx, const struct node_id *a, const struct node_id *b)
{
	struct vpnd *v = ctx;
	char err[256];

	v->down[v->ndown_next++ % VPND_DOWN_MAX] =
		(struct down_link){ .a = *a, .b = *b, .at = daemon_now_ns() };

	for (int i = 0; i < VPND_PATHS_MAX; i++) {
		struct vpnd_path *p = &v->paths[i];

		if (p->state != P_INSTALLED || !crosses(&v->d->node.id, &p->e, a, b))
			continue;
		vpn_path_del(v->dp, &p->e.dst, err, sizeof(err));
		p->state = P_SUSPENDED;
		p->since = daemon_now_ns();
		v->ctr[VC_PATHS_SUSPENDED]++;
		/*
		 * SRUM heard the notice first (rt_link_notice): its preferred path
		 * avoids the link, but may differ from the one the kernel had (its
		 * labels were still being resolved). It goes in now, not after two
		 * dead intervals of frames through the daemons.
		 */
		path_retry(v, p, p->since);
	}
}

/*
 * a says its link to b, which it had reported down, is back: paths over it
 * may go into the kernel again (suspended ones at the next tick).
 */
static void sink_link_up(void *ctx, const struct node_id *a, const struct node_id *b)
{
	struct vpnd *v = ctx;

	v->ctr[VC_LINKS_UP]++;
	for (int i = 0; i < VPND_DOWN_MAX; i++)
		if (v->down[i].at && node_id_eq(&v->down[i].a, a) && node_id_eq(&v->down[i].b, b))
			v->down[i].at = 0;
}

/* Does SRUM's path e cross a link said to be down within VPND_DOWN_NS? */
static bool crosses_down(struct vpnd *v, const struct dp_entry *e, uint64_t now)
{
	for (int i = 0; i < VPND_DOWN_MAX; i++)
		if (v->down[i].at && now - v->down[i].at < VPND_DOWN_NS &&
		    crosses(&v->d->node.id, e, &v->down[i].a, &v->down[i].b))
			return true;
	return false;
}

/*
 * p (pending or suspended) gets whatever SRUM prefers for its destination
 * now, with the labels SRUM has (resolved if some are missing); a
 * suspended one stays so if that path crosses a link reported down.
 */
static void path_retry(struct vpnd *v, struct vpnd_path *p, uint64_t now)
{
	struct dp_entry e;
	enum path_state was = p->state;
	struct node_id dst = p->e.dst;
	int n = vpnmod_best_entry(v->mod, &dst, &e);

	p->state = P_FREE;
	if (n <= 0 || n > DP_PATH_MAX)
		return;
	if (was == P_SUSPENDED && crosses_down(v, &e, now)) {
		/* SRUM learnt it since the notice, from a node that had not heard of it: wait */
		p->state = P_SUSPENDED;
		return;
	}
	v->ctr[was == P_SUSPENDED ? VC_PATHS_RESTORED : VC_PATHS_RETRIED]++;
	vpnd_install(v, &e);
}

/*
 * Suspended paths (after two dead intervals) and resolutions that expired:
 * whatever SRUM prefers now goes (back) in.
 */
static void paths_tick(struct vpnd *v)
{
	uint64_t now = daemon_now_ns();

	for (int i = 0; i < VPND_PATHS_MAX; i++) {
		struct vpnd_path *p = &v->paths[i];

		/* a resolution that expired (a node on the path did not answer): again */
		if (p->state == P_PENDING && now - p->since < VPND_RETRY_NS)
			continue;
		if (p->state == P_SUSPENDED && now - p->since < 2 * v->d->cfg.dead_ns)
			continue;
		if (p->state == P_PENDING || p->state == P_SUSPENDED)
			path_retry(v, p, now);
	}
}

/* ---- frames ---- */

static void learn(struct vpnd *v, const uint8_t *mac, const struct node_id *origin)
{
	struct node_id cur;
	bool is_static = false;
	char err[128];

	if ((mac[0] & 1) || !memcmp(mac, v->tap_mac, 6))
		return;
	if (!vpn_mac_get(v->dp, mac, &cur, &is_static) && (is_static || node_id_eq(&cur, origin)))
		return;
	if (!vpn_mac_set(v->dp, mac, origin, false, err, sizeof(err)))
		v->ctr[VC_LEARNED]++;
}

static void sink_frame(void *ctx, const struct node_id *origin, const uint8_t *f, size_t len,
		       bool group)
{
	struct vpnd *v = ctx;

	(void)group;
	learn(v, f + 6, origin);
	/* an unknown unicast is flooded: only its owner takes it */
	if (!(f[0] & 1) && memcmp(f, v->tap_mac, 6)) {
		v->ctr[VC_RX_NOT_OURS]++;
		return;
	}
	if (write(v->tap_fd, f, len) == (ssize_t)len)
		v->ctr[VC_TAP_WRITTEN]++;
	else
		v->ctr[VC_TAP_WRITE_ERRORS]++;
}

/* ---- misses too big for SRUM: queued, re-injected into ipop0's egress ---- */

static void reinject(void *ctx, const uint8_t *f, size_t len)
{
	struct vpnd *v = ctx;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_ifindex = vpn_tap_ifindex(v->dp),
				   .sll_halen = 6 };

	/* the frame's own EtherType: the kernel then parses it like any other */
	memcpy(&sll.sll_protocol, f + 12, 2);
	memcpy(sll.sll_addr, f, 6);
	if (v->pkt_fd >= 0 && sendto(v->pkt_fd, f, len, MSG_DONTWAIT, (struct sockaddr *)&sll,
				     sizeof(sll)) == (ssize_t)len)
		v->ctr[VC_MISS_REINJECTED]++;
	else
		v->ctr[VC_MISS_REINJECT_ERRORS]++;
}

static void miss_flush(struct vpnd *v, const struct node_id *dst)
{
	missq_flush(&v->mq, dst, reinject, v);
}

/*
 * A unicast frame for dst with no kernel path that SRUM cannot carry (too
 * big), or that must not overtake such a frame: it waits for the path.
 */
static void miss_hold(struct vpnd *v, const struct node_id *dst, const uint8_t *f, size_t len)
{
	struct vpnd_path *p = path_find(v, dst);
	int ret;

	if (missq_seen(&v->mq, f, len)) {
		/* re-injected once and missed again: the path went (or is unusable) */
		v->ctr[VC_MISS_DROP_RETURNED]++;
		return;
	}
	if (p && p->state == P_INSTALLED && !missq_count(&v->mq, dst)) {
		/* it missed before the path went in and was read after */
		missq_mark(&v->mq, f, len);
		reinject(v, f, len);
		return;
	}
	ret = missq_push(&v->mq, dst, f, len, daemon_now_ns());
	if (ret < 0) {
		v->ctr[VC_MISS_DROP_FULL]++;
		return;
	}
	v->ctr[VC_MISS_QUEUED]++;
	if (vpnmod_want_path(v->mod, dst) < 0)
		v->ctr[VC_MISS_DROP_NO_ROUTE] += missq_drop(&v->mq, dst);
}

/* Each tick: frames waited too long; destinations no discovery found. */
static void miss_tick(struct vpnd *v)
{
	struct node_id path[DP_PATH_MAX];

	v->ctr[VC_MISS_DROP_EXPIRED] += missq_expire(&v->mq, daemon_now_ns(), VPND_MISS_NS);
	for (uint32_t i = 0; i < v->mq.nd;) {
		struct node_id dst = v->mq.d[i].dst;

		if (vpnmod_best_path(v->mod, &dst, path) > 0 || vpnmod_discovering(v->mod, &dst)) {
			i++;
			continue;
		}
		v->ctr[VC_MISS_DROP_NO_ROUTE] += missq_drop(&v->mq, &dst);
	}
}

/* One frame the kernel left to us (vpn_origin: group, unknown MAC, no path). */
static void tap_frame(struct vpnd *v, const uint8_t *f, size_t len)
{
	struct node_id dst;
	int ret;

	v->ctr[VC_TAP_READ]++;
	if (len < VPNMOD_FRAME_MIN) {
		v->ctr[VC_TAP_DROPPED]++;
		return;
	}
	if (f[0] & 1) {
		ret = vpnmod_broadcast(v->mod, f, len);
		v->ctr[ret < 0 ? VC_TAP_DROPPED : VC_TAP_GROUP]++;
		return;
	}
	if (vpn_mac_get(v->dp, f, &dst, NULL) || node_id_eq(&dst, &v->d->node.id)) {
		/* a learning switch floods what it has not learned */
		ret = vpnmod_broadcast(v->mod, f, len);
		v->ctr[ret < 0 ? VC_TAP_DROPPED : VC_TAP_FLOOD]++;
		return;
	}
	if (len > vpnmod_frame_max(v->mod, false) || missq_count(&v->mq, &dst)) {
		v->ctr[VC_TAP_UNICAST]++;
		miss_hold(v, &dst, f, len);
		return;
	}
	ret = vpnmod_send(v->mod, &dst, f, len);
	v->ctr[ret < 0 ? VC_TAP_DROPPED : VC_TAP_UNICAST]++;
}

static void tap_ready(struct daemon *d, int fd, uint32_t events, void *arg)
{
	struct vpnd *v = arg;
	uint8_t buf[VPND_FRAME_MAX];

	(void)d;
	(void)events;
	for (int i = 0; i < VPND_READ_BATCH; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			return;
		tap_frame(v, buf, (size_t)n);
	}
}

static void tick(struct daemon *d, void *arg)
{
	struct vpnd *v = arg;
	char err[256];

	(void)d;
	links_sync(v, false, err, sizeof(err));
	paths_tick(v);
	miss_tick(v);
}

/* ---- start and stop ---- */

static void vpnd_free(struct daemon *d, struct vpnd *v)
{
	struct daemon_dp_ops no_dp = { 0 };

	if (v->tick_fd >= 0)
		daemon_loop_del_timer(d, v->tick_fd);
	if (v->tap_fd >= 0)
		daemon_loop_del_fd(d, v->tap_fd);
	if (v->mod) {
		struct vpnmod_sink s = { 0 };

		vpnmod_set_sink(v->mod, &s);
	}
	daemon_set_dp_ops(d, &no_dp);
	if (v->pkt_fd >= 0)
		close(v->pkt_fd);
	missq_free(&v->mq);
	vpn_dp_close(v->dp); /* detaches, deletes the VXLAN device, closes the TAP */
	free(v);
}

static uint32_t underlay_ip4(const struct daemon *d)
{
	if (d->cfg.vpn->underlay_ip4)
		return d->cfg.vpn->underlay_ip4;
	for (int i = 0; i < d->cfg.nlisten; i++)
		if (d->cfg.listen[i].ss_family == AF_INET)
			return ((const struct sockaddr_in *)&d->cfg.listen[i])->sin_addr.s_addr;
	return 0;
}

/*
 * XDP transit's bpf_fib_lookup() answers only where the underlay interface
 * forwards IPv4 (even as an output lookup): without it every frame falls
 * back to TC transit (counted as xdp_pass). 1 on, 0 off, -1 unknown.
 */
static int ipv4_forwarding(const char *ifname)
{
	char path[96], c = 0;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = (int)read(fd, &c, 1);
	close(fd);
	return n == 1 ? c == '1' : -1;
}

/* ethtool on the underlay: 1/0, or -1 if it cannot tell */
static int ethtool_ask(const char *ifname, void *cmd)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	r = ioctl(s, SIOCETHTOOL, &ifr);
	close(s);
	return r ? -1 : 1;
}

/*
 * A veth carries TCP's GSO super-frames whole to a TC program on its peer,
 * not to XDP (the sender must segment): measured over three hops, TC
 * transit on the underlay carried TCP 2-4x faster than XDP there, so
 * "auto" takes XDP only on other devices (docs/design.md).
 */
static bool is_veth(const char *ifname)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };

	return ethtool_ask(ifname, &di) == 1 && !strcmp(di.driver, "veth");
}

/* Transmit checksum offload on: 1, off: 0, unknown: -1. */
static int tx_csum_on(const char *ifname)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GTXCSUM };

	return ethtool_ask(ifname, &ev) == 1 ? ev.data != 0 : -1;
}

static int attach_all(struct vpnd *v, char *err, size_t errlen)
{
	const struct vpnd_conf *c = v->c;
	struct vpn_tap_opts to = {
		.set_mac = c->set_mac, .mtu = c->mtu, .addr4 = c->ipv4, .addr6 = c->ipv6
	};
	struct vpn_vxlan_opts vo = { .port = c->vxlan_port };
	int ret;

	snprintf(to.name, sizeof(to.name), "%s", c->tap);
	memcpy(to.mac, c->mac, 6);
	snprintf(vo.name, sizeof(vo.name), "%s", c->vxlan);
	ret = vpn_tap_create(v->dp, &to, err, errlen);
	if (!ret && c->vxlan_links)
		ret = vpn_vxlan_create(v->dp, &vo, err, errlen);
	for (int i = 0; !ret && i < c->neth; i++) {
		bool seen = false;

		for (int k = 0; k < i; k++)
			seen |= !strcmp(c->eth[k].ifname, c->eth[i].ifname);
		if (!seen)
			ret = vpn_attach_ingress(v->dp, c->eth[i].ifname, err, errlen);
	}
	if (!ret && c->underlay[0]) {
		bool xdp = c->xdp || (c->xdp_auto && !is_veth(c->underlay));

		if (xdp) {
			ret = vpn_attach_xdp(v->dp, c->underlay, true, err, errlen);
			if (ret && c->xdp) {
				ret = vpn_attach_xdp(v->dp, c->underlay, false, err, errlen);
			} else if (ret) {
				/* "auto": no native XDP here, TC transit */
				daemon_log(v->d, LOG_L_INFO, "vpn: TC transit (%s)", err);
				xdp = false;
			}
		}
		/* TC transit on the underlay: in place, and the guard against overlay
		 * frames straight on the underlay (no link's: counted, dropped) */
		if (!xdp)
			ret = vpn_attach_tc_transit(v->dp, c->underlay, err, errlen);
		if (!ret && ipv4_forwarding(c->underlay) == 0)
			daemon_log(
				v->d, LOG_L_WARN,
				"vpn: IPv4 forwarding is off on %s: %s transit cannot look up the "
				"next hop there and every frame goes through the VXLAN device "
				"(net.ipv4.conf.%s.forwarding=1)",
				c->underlay, xdp ? "XDP" : "TC", c->underlay);
	}
	if (!ret && c->underlay[0] && c->encap != VPND_ENCAP_DEVICE && c->vxlan_links) {
		char e2[256];

		/* the origin builds VXLAN/IPv4 packets itself: GSO can segment them */
		ret = vpn_set_direct(v->dp, c->underlay, c->vxlan_port, e2, sizeof(e2));
		if (ret && c->encap == VPND_ENCAP_DIRECT) {
			snprintf(err, errlen, "%s", e2);
		} else if (ret) {
			daemon_log(v->d, LOG_L_WARN,
				   "vpn: the origin sends through the VXLAN device (%s): TCP from "
				   "ipop0 may need single segments there (docs/design.md)",
				   e2);
			ret = 0;
		}
	}
	if (!ret && c->underlay[0] && is_veth(c->underlay) && tx_csum_on(c->underlay) == 1)
		daemon_log(v->d, LOG_L_WARN,
			   "vpn: transmit checksum offload is on on %s, a veth: its frames carry "
			   "open TCP/UDP checksums, which a neighbour's XDP transit forwards as "
			   "they are and the destination drops (ethtool -K %s tx off)",
			   c->underlay, c->underlay);
	for (int i = 0; !ret && i < c->nstatic; i++)
		ret = vpn_mac_set(v->dp, c->statics[i].mac, &c->statics[i].node, true, err, errlen);
	return ret;
}

int vpnd_start(struct daemon *d, char *err, size_t errlen)
{
	struct vpn_node_cfg nc = { .id = d->node.id };
	char e2[384] = "";
	struct vpnd *v;
	int ret;

	if (!d->cfg.vpn)
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->d = d;
	v->c = d->cfg.vpn;
	v->tap_fd = v->tick_fd = v->pkt_fd = -1;
	v->mod = node_module(&d->node, VPNMOD_NAME);
	nc.ttl = v->c->ttl;
	nc.mac_age_ns = v->c->mac_age_ns;
	nc.underlay_ip4 = underlay_ip4(d);
	ret = v->mod ? vpn_dp_open(&v->dp, &nc, e2, sizeof(e2)) : -ENOENT;
	if (!v->mod)
		snprintf(e2, sizeof(e2), "the vpn module is not loaded");
	ret = ret ?: attach_all(v, e2, sizeof(e2));
	d->vpn = v;
	ret = ret ?: links_sync(v, true, e2, sizeof(e2));
	if (!ret) {
		int fd = vpn_tap_fd(v->dp);
		struct ifreq ifr = { 0 };
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", v->c->tap);
		if (s >= 0 && !ioctl(s, SIOCGIFHWADDR, &ifr))
			memcpy(v->tap_mac, ifr.ifr_hwaddr.sa_data, 6);
		if (s >= 0)
			close(s);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		ret = daemon_loop_add_fd(d, fd, EPOLLIN, tap_ready, v);
		if (!ret)
			v->tap_fd = fd;
		else
			snprintf(e2, sizeof(e2), "cannot watch the TAP: %s", strerror(-ret));
	}
	if (!ret) {
		/* protocol 0: it sends only, never gets a copy of ipop0's traffic */
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_ifindex = vpn_tap_ifindex(v->dp) };

		v->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (v->pkt_fd < 0 || bind(v->pkt_fd, (struct sockaddr *)&sll, sizeof(sll))) {
			ret = -errno;
			snprintf(e2, sizeof(e2), "cannot open a packet socket on %s: %s", v->c->tap,
				 strerror(errno));
		}
	}
	if (!ret) {
		ret = daemon_loop_add_timer(d, VPND_TICK_MS, tick, v);
		if (ret >= 0) {
			v->tick_fd = ret;
			ret = 0;
		} else {
			snprintf(e2, sizeof(e2), "cannot arm the VPN timer: %s", strerror(-ret));
		}
	}
	if (ret) {
		d->vpn = NULL;
		vpnd_free(d, v);
		snprintf(err, errlen, "vpn: %s", e2);
		return ret;
	}
	vpnmod_set_sink(v->mod, &(struct vpnmod_sink){ .frame = sink_frame,
						       .path = sink_path,
						       .link_down = sink_link_down,
						       .link_up = sink_link_up,
						       .ctx = v });
	daemon_set_dp_ops(d, &(struct daemon_dp_ops){
				     .install = vpnd_install, .remove = vpnd_remove, .ctx = v });
	return 0;
}

void vpnd_stop(struct daemon *d)
{
	struct vpnd *v = d->vpn;

	if (!v)
		return;
	d->vpn = NULL;
	vpnd_free(d, v);
}

/* ---- status ---- */

static json_t *counters_json(struct vpnd *v)
{
	json_t *o = json_object(), *dd = json_object();
	uint64_t st[VPN_ST_MAX];
	char err[128];

	if (!vpn_stats_read(v->dp, st, err, sizeof(err)))
		for (int i = 0; i < VPN_ST_MAX; i++)
			json_object_set_new(o, vpn_stat_name(i), json_integer((json_int_t)st[i]));
	for (int i = 0; i < VC__MAX; i++)
		json_object_set_new(dd, vc_names[i], json_integer((json_int_t)v->ctr[i]));
	json_object_set_new(o, "daemon", dd);
	return o;
}

json_t *vpnd_stats_json(struct daemon *d)
{
	return d->vpn ? counters_json(d->vpn) : NULL;
}

static const char *const state_names[] = { "free", "resolving", "installed", "suspended" };

static json_t *op_vpn_status(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	struct vpnd *v = d->vpn;
	json_t *links, *paths;
	char hex[ID_HEX_LEN + 1], mac[18];

	(void)req;
	if (!v) {
		snprintf(err, errlen, "no VPN: the config has no \"vpn\" object");
		return NULL;
	}
	links = json_array();
	for (int l = 1; l < VPND_LABELS; l++) {
		struct nbr_state *nb;

		if (!v->label_used[l])
			continue;
		id_fmt(v->label_nbr[l].b, hex);
		nb = daemon_nbr(d, &v->label_nbr[l]);
		json_array_append_new(
			links,
			json_pack("{s:i, s:s, s:s, s:s, s:b}", "label", l, "neighbour", hex, "kind",
				  v->label_kind[l] == VPN_LINK_ETH ? "ethernet" : "vxlan",
				  "address", nb ? nb->cfg->text : "", "up", nb && nb->up));
	}
	paths = json_array();
	for (int i = 0; i < VPND_PATHS_MAX; i++) {
		struct vpnd_path *p = &v->paths[i];
		json_t *hops;

		if (p->state == P_FREE)
			continue;
		hops = json_array();
		for (int k = 0; k < p->e.hops; k++) {
			id_fmt(p->e.path[k].b, hex);
			json_array_append_new(hops, json_pack("{s:s, s:i}", "node", hex, "label",
							      p->e.labels[k]));
		}
		id_fmt(p->e.dst.b, hex);
		json_array_append_new(paths,
				      json_pack("{s:s, s:s, s:i, s:i, s:o}", "dst", hex, "state",
						state_names[p->state], "hops", p->e.hops,
						"first_label", p->e.first_label, "path", hops));
	}
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->tap_mac[0], v->tap_mac[1],
		 v->tap_mac[2], v->tap_mac[3], v->tap_mac[4], v->tap_mac[5]);
	return json_pack("{s:s, s:s, s:i, s:o, s:o, s:o}", "tap", v->c->tap, "mac", mac, "ifindex",
			 vpn_tap_ifindex(v->dp), "links", links, "paths", paths, "counters",
			 counters_json(v));
}

const struct ctl_op vpnd_ctl_ops[] = {
	{ "vpn_status", op_vpn_status },
	{ NULL, NULL },
};
