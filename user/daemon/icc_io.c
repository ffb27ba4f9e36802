// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ICC over UDP: sockets, sessions with neighbours (core/hs.h), the receive
 * path with its drop counters, keepalives, certificate re-checks.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon_int.h"

#define RX_BATCH    32
#define RX_BUF	    (ICC_MAX_DGRAM + 64)
#define SOCK_BUF_SZ (4 << 20)
#define NS_PER_S    1000000000ULL
/* More INITs than this in one keepalive interval: answer with cookies (core/hs.h). */
#define HS_LOAD_INITS 256

static struct hs_time hs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (struct hs_time){ .mono = daemon_now_ns(),
				 .wall = (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec };
}

static void send_to(struct daemon *d, int fd, const struct sockaddr *sa, socklen_t salen,
		    const void *buf, size_t len)
{
	if (fd < 0 || sendto(fd, buf, len, MSG_DONTWAIT, sa, salen) < 0)
		d->icc.tx_errors++;
}

/* The handshake peer of a neighbour (kept wanted: a session is kept up). */
static struct hs_peer *nbr_peer(struct daemon *d, struct nbr_state *nb)
{
	if (!nb->hp || !nb->hp->used || !node_id_eq(&nb->hp->id, &nb->cfg->id))
		nb->hp = hs_peer_get(&d->hs, &nb->cfg->id, daemon_now_ns());
	if (nb->hp)
		nb->hp->want = true;
	return nb->hp;
}

/* Start a handshake unless one is under way or one was started within retry_ns. */
static void kick(struct daemon *d, struct nbr_state *nb)
{
	struct hs_peer *p = nbr_peer(d, nb);
	struct hs_time t = hs_now();
	struct hs_out o;

	if (!p || p->state != HS_IDLE || (p->last_send && t.mono - p->last_send < d->hs.p.retry_ns))
		return;
	hs_start(&d->hs, p, &t, &o);
	send_to(d, nb->sock, (const struct sockaddr *)&nb->cfg->addr, nb->cfg->alen, o.msg, o.len);
}

int icc_io_seal(struct daemon *d, struct nbr_state *nb, struct icc_hdr *h, const void *payload,
		size_t len, uint8_t *buf, size_t cap)
{
	struct hs_peer *p = nbr_peer(d, nb);
	struct hs_session *s = p ? hs_tx(&d->hs, p, daemon_now_ns(), &h->seq) : NULL;

	if (!s) {
		d->icc.tx_no_session++;
		kick(d, nb);
		return -ENOTCONN;
	}
	h->sid = s->sid;
	return icc_seal(h, payload, len, s->tx_key, buf, cap);
}

struct nbr_state *daemon_nbr(struct daemon *d, const struct node_id *id)
{
	for (int i = 0; i < d->nnbrs; i++)
		if (node_id_eq(&d->nbrs[i].cfg->id, id))
			return &d->nbrs[i];
	return NULL;
}

static void link_change(struct daemon *d, struct nbr_state *nb, bool up)
{
	char id[ID_HEX_LEN + 1];

	nb->up = up;
	up ? d->icc.link_up++ : d->icc.link_down++;
	struct node_id peer = nb->cfg->id; /* a link hook may remove *nb */

	id_fmt(peer.b, id);
	daemon_log(d, LOG_L_INFO, "link %s %s (%s)", up ? "up" : "down", id, nb->cfg->text);
	node_link(&d->node, &peer, up);
}

/* A keepalive under p's session straight to addr (confirms a new session). */
static void keepalive_to(struct daemon *d, struct hs_peer *p, int fd, const struct sockaddr *sa,
			 socklen_t salen)
{
	uint8_t buf[ICC_HDR_LEN + ICC_TAG_LEN];
	struct icc_hdr h = { .type = ICC_T_KEEPALIVE, .ttl = 1, .src = d->node.id, .dst = p->id };
	struct hs_session *s = hs_tx(&d->hs, p, daemon_now_ns(), &h.seq);
	int n;

	if (!s)
		return;
	h.sid = s->sid;
	n = icc_seal(&h, NULL, 0, s->tx_key, buf, sizeof(buf));
	if (n > 0) {
		send_to(d, fd, sa, salen, buf, (size_t)n);
		d->icc.keepalive_tx++;
	}
}

static void rx_handshake(struct daemon *d, int fd, const uint8_t *buf, size_t len,
			 const struct sockaddr_storage *from, socklen_t flen)
{
	struct hs_time t = hs_now();
	struct hs_out o;
	struct nbr_state *nb;

	if (hs_peek_type(buf, len) == HS_T_INIT && ++d->hs_inits > HS_LOAD_INITS)
		d->hs.under_load = true;
	hs_recv(&d->hs, buf, len, from, flen, &t, &o);
	if (o.drop != HS_OK) {
		d->icc.drop[ICC_DROP_HANDSHAKE]++;
		daemon_log(d, LOG_L_DEBUG, "icc: handshake message dropped: %s",
			   hs_drop_names[o.drop]);
	}
	if (o.len)
		send_to(d, fd, (const struct sockaddr *)from, flen, o.msg, o.len);
	if (!o.established || !o.peer)
		return;
	nb = daemon_nbr(d, &o.peer->id);
	if (nb) {
		nb->hp = o.peer;
		o.peer->want = true;
	}
	keepalive_to(d, o.peer, fd, (const struct sockaddr *)from, flen);
}

static enum icc_rc rx_check(struct daemon *d, uint8_t *buf, size_t len, int flags,
			    struct icc_msg *m)
{
	struct hs_session *s;
	struct hs_peer *p;
	enum icc_rc rc;

	if (flags & MSG_TRUNC)
		return ICC_DROP_OVERSIZED;
	rc = icc_parse(buf, len, m);
	if (rc != ICC_OK)
		return rc;
	if (!node_id_eq(&m->h.dst, &d->node.id))
		return ICC_DROP_WRONG_DEST;
	p = hs_peer_find(&d->hs, &m->h.src);
	s = p ? hs_rx(p, m->h.sid, daemon_now_ns(), &d->hs.p) : NULL;
	if (!s)
		return ICC_DROP_NO_SESSION;
	rc = icc_open(buf, len, s->rx_key, m);
	if (rc == ICC_OK && hs_rx_accept(p, s, m->h.seq))
		rc = ICC_DROP_REPLAY;
	return rc;
}

static void rx_one(struct daemon *d, int fd, uint8_t *buf, size_t len, int flags,
		   const struct sockaddr_storage *from, socklen_t flen)
{
	struct icc_msg m;
	struct mod_msg msg;
	struct nbr_state *nb;
	enum icc_rc rc;
	int idx, type = hs_peek_type(buf, len);

	if (type >= HS_T_INIT && type <= HS_T_FIN && !(flags & MSG_TRUNC)) {
		rx_handshake(d, fd, buf, len, from, flen);
		return;
	}
	rc = rx_check(d, buf, len, flags, &m);
	if (rc != ICC_OK) {
		d->icc.drop[rc]++;
		daemon_log(d, LOG_L_DEBUG, "icc: dropped datagram (%zu bytes): %s", len,
			   icc_drop_names[rc]);
		return;
	}
	nb = daemon_nbr(d, &m.h.src);
	if (nb) {
		nb->last_rx = daemon_now_ns();
		nb->rx++;
		if (!nb->up)
			link_change(d, nb, true);
	}
	if (m.h.type == ICC_T_KEEPALIVE) {
		d->icc.keepalive_rx++;
		return;
	}
	idx = node_module_idx(&d->node, m.h.module);
	if (idx < 0) {
		d->icc.drop[ICC_DROP_UNKNOWN_MODULE]++;
		return;
	}
	d->icc.rx++;
	msg = (struct mod_msg){ .type = m.h.type,
				.flags = m.h.flags,
				.ttl = m.h.ttl,
				.id = m.h.id,
				.src = m.h.src,
				.data = m.payload,
				.len = m.h.len };
	node_deliver_idx(&d->node, idx, &msg);
}

static void rx_ready(struct daemon *d, int fd, uint32_t events, void *arg)
{
	static uint8_t bufs[RX_BATCH][RX_BUF];
	static struct sockaddr_storage from[RX_BATCH];
	struct mmsghdr mm[RX_BATCH];
	struct iovec iov[RX_BATCH];
	int n;

	(void)events;
	(void)arg;
	for (int i = 0; i < RX_BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = RX_BUF };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &from[i],
						       .msg_namelen = sizeof(from[i]),
						       .msg_iov = &iov[i],
						       .msg_iovlen = 1 } };
	}
	/* bounded: at most 8 batches per wakeup, so other fds get their turn */
	for (int round = 0; round < 8; round++) {
		n = recvmmsg(fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			rx_one(d, fd, bufs[i], mm[i].msg_len, mm[i].msg_hdr.msg_flags, &from[i],
			       mm[i].msg_hdr.msg_namelen);
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		if (n < RX_BATCH)
			break;
	}
}

int icc_io_send(struct daemon *d, struct nbr_state *nb, const struct icc_hdr *h,
		const void *payload, size_t len)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_hdr hh = *h;
	int n = icc_io_seal(d, nb, &hh, payload, len, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (nb->sock < 0 || sendto(nb->sock, buf, (size_t)n, MSG_DONTWAIT,
				   (struct sockaddr *)&nb->cfg->addr, nb->cfg->alen) < 0) {
		d->icc.tx_errors++;
		return nb->sock < 0 ? -EAFNOSUPPORT : -errno;
	}
	nb->tx++;
	return 0;
}

static void peer_lost(void *arg, struct hs_peer *p)
{
	struct daemon *d = arg;
	struct nbr_state *nb = daemon_nbr(d, &p->id);
	char id[ID_HEX_LEN + 1];

	id_fmt(p->id.b, id);
	daemon_log(d, LOG_L_WARN, "peer %s: certificate no longer valid, sessions closed", id);
	d->icc.peers_cut++;
	if (nb && nb->up)
		link_change(d, nb, false);
}

void icc_io_reload(struct daemon *d)
{
	char err[512];
	struct timespec ts;
	int ret = dconf_reload_revocations(&d->cfg, err, sizeof(err));

	if (ret)
		daemon_log(d, LOG_L_WARN, "revocation list not reloaded: %s", err);
	else
		daemon_log(d, LOG_L_INFO, "revocation list reloaded");
	clock_gettime(CLOCK_REALTIME, &ts);
	hs_recheck(&d->hs, (uint64_t)ts.tv_sec, peer_lost, d);
}

void icc_io_keepalive(struct daemon *d, void *arg)
{
	struct hs_time t = hs_now();
	uint64_t now = t.mono;

	(void)arg;
	d->hs.under_load = d->hs_inits > HS_LOAD_INITS;
	d->hs_inits = 0;
	hs_rotate(&d->hs, now);
	hs_recheck(&d->hs, t.wall / NS_PER_S, peer_lost, d);
	/* backwards: a link-down hook may remove this entry (the last moves here) */
	for (int i = d->nnbrs - 1; i >= 0; i--) {
		struct nbr_state *nb = &d->nbrs[i];
		struct hs_peer *p = nbr_peer(d, nb);
		struct icc_hdr h = {
			.type = ICC_T_KEEPALIVE, .ttl = 1, .src = d->node.id, .dst = nb->cfg->id
		};
		struct hs_out o;

		if (p) {
			hs_tick(&d->hs, p, &t, &o);
			if (o.len)
				send_to(d, nb->sock, (const struct sockaddr *)&nb->cfg->addr,
					nb->cfg->alen, o.msg, o.len);
			if (hs_has_session(p, now, &d->hs.p) &&
			    icc_io_send(d, nb, &h, NULL, 0) == 0)
				d->icc.keepalive_tx++;
		}
		if (nb->up && now - nb->last_rx > d->cfg.dead_ns)
			link_change(d, nb, false);
	}
}

static int open_one(struct daemon *d, int i)
{
	const struct sockaddr_storage *ss = &d->cfg.listen[i];
	int one = 1, sz = SOCK_BUF_SZ;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* FORCE (root) lifts the rmem_max cap: bursts are absorbed, not dropped */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (const struct sockaddr *)ss, d->cfg.llen[i]) < 0 ||
	    daemon_loop_add_fd(d, fd, EPOLLIN, rx_ready, NULL) < 0) {
		int err = -errno;

		close(fd);
		return err ? err : -EINVAL;
	}
	d->socks[d->nsocks++] = fd;
	return 0;
}

static int sock_for(struct daemon *d, int family)
{
	for (int k = 0; k < d->nsocks; k++)
		if (d->cfg.listen[k].ss_family == family)
			return d->socks[k];
	return -1;
}

/* "1.2.3.4:5000" or "[::1]:5000" */
static void sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		snprintf(out, cap, "%s:%u", host, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		snprintf(out, cap, "[%s]:%u", host, ntohs(s->sin6_port));
	} else {
		snprintf(out, cap, "(address family %u)", ss->ss_family);
	}
}

int icc_io_open(struct daemon *d, char *msg, size_t msglen)
{
	int err = hs_ctx_init(&d->hs, &d->cfg.ident, d->cfg.cert->raw, d->cfg.cert->len,
			      &d->cfg.trust, NULL, d->cfg.replay_sources, daemon_now_ns());

	if (err) {
		snprintf(msg, msglen, "handshake context: %s", strerror(-err));
		return err;
	}
	for (int i = 0; i < d->cfg.nlisten; i++) {
		err = open_one(d, i);
		if (err) {
			char addr[INET6_ADDRSTRLEN + 16];

			sockaddr_text(&d->cfg.listen[i], addr, sizeof(addr));
			snprintf(msg, msglen, "cannot listen on %s: %s", addr, strerror(-err));
			return err;
		}
	}
	d->nbrs = calloc(DAEMON_MAX_NBRS, sizeof(*d->nbrs));
	if (!d->nbrs)
		return snprintf(msg, msglen, "out of memory"), -ENOMEM;
	d->nnbrs = d->cfg.nnbrs < DAEMON_MAX_NBRS ? d->cfg.nnbrs : DAEMON_MAX_NBRS;
	for (int i = 0; i < d->nnbrs; i++) {
		d->nbrs[i].cfg = &d->cfg.nbrs[i];
		d->nbrs[i].sock = sock_for(d, d->cfg.nbrs[i].addr.ss_family);
		if (d->nbrs[i].sock < 0)
			daemon_log(d, LOG_L_WARN, "neighbour %s: no listen socket of its family",
				   d->cfg.nbrs[i].text);
	}
	return 0;
}

void icc_io_close(struct daemon *d)
{
	for (int i = 0; i < d->nsocks; i++) {
		daemon_loop_del_fd(d, d->socks[i]);
		close(d->socks[i]);
	}
	d->nsocks = 0;
	free(d->nbrs);
	d->nbrs = NULL;
	d->nnbrs = 0;
	hs_ctx_free(&d->hs);
}

/* rt_addr: 4|6, address, port (big-endian); see framework/module.h. */
static int addr_from_rt(const struct rt_addr *a, struct dconf_nbr *out)
{
	memset(&out->addr, 0, sizeof(out->addr));
	if (a->len == 7 && a->b[0] == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)&out->addr;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, a->b + 1, 4);
		memcpy(&s->sin_port, a->b + 5, 2);
		out->alen = sizeof(*s);
		inet_ntop(AF_INET, &s->sin_addr, out->text, sizeof(out->text));
		snprintf(out->text + strlen(out->text), 8, ":%u", ntohs(s->sin_port));
		return 0;
	}
	if (a->len == 19 && a->b[0] == 6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->addr;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a->b + 1, 16);
		memcpy(&s->sin6_port, a->b + 17, 2);
		out->alen = sizeof(*s);
		out->text[0] = '[';
		inet_ntop(AF_INET6, &s->sin6_addr, out->text + 1, sizeof(out->text) - 10);
		snprintf(out->text + strlen(out->text), 9, "]:%u", ntohs(s->sin6_port));
		return 0;
	}
	return -EAFNOSUPPORT;
}

int icc_io_self_addr(struct daemon *d, struct rt_addr *out)
{
	const struct sockaddr_storage *ss = &d->cfg.listen[0];
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);

	if (!d->cfg.nlisten)
		return -ENOENT;
	/* what the socket is bound to: a configured port 0 is the kernel's choice */
	if (d->nsocks > 0 && !getsockname(d->socks[0], (struct sockaddr *)&bound, &blen) &&
	    bound.ss_family == ss->ss_family)
		ss = &bound;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		out->len = 7;
		out->b[0] = 4;
		memcpy(out->b + 1, &s->sin_addr, 4);
		memcpy(out->b + 5, &s->sin_port, 2);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		out->len = 19;
		out->b[0] = 6;
		memcpy(out->b + 1, &s->sin6_addr, 16);
		memcpy(out->b + 17, &s->sin6_port, 2);
	}
	return 0;
}

int icc_io_link_add(struct daemon *d, const struct node_id *id, const struct rt_addr *addr)
{
	struct nbr_state *nb;

	if (daemon_nbr(d, id))
		return 0;
	if (!addr || node_id_eq(id, &d->node.id))
		return -EINVAL;
	if (d->nnbrs == DAEMON_MAX_NBRS)
		return -ENOSPC;
	nb = &d->nbrs[d->nnbrs];
	memset(nb, 0, sizeof(*nb));
	if (addr_from_rt(addr, &nb->own) < 0)
		return -EAFNOSUPPORT;
	nb->own.id = *id;
	nb->cfg = &nb->own;
	nb->dynamic = true;
	nb->sock = sock_for(d, nb->own.addr.ss_family);
	if (nb->sock < 0)
		return -EAFNOSUPPORT;
	d->nnbrs++;
	kick(d, nb); /* a session now rather than at the next keepalive tick */
	return 0;
}

int icc_io_link_remove(struct daemon *d, const struct node_id *id)
{
	struct nbr_state *nb = daemon_nbr(d, id), *last;

	if (!nb)
		return -ENOENT;
	if (!nb->dynamic)
		return -EPERM; /* configured neighbours stay */
	if (nb->hp && nb->hp->used && node_id_eq(&nb->hp->id, id))
		nb->hp->want = false; /* its sessions run out; the slot may be reused */
	last = &d->nbrs[--d->nnbrs];
	if (nb != last) {
		*nb = *last;
		nb->cfg = &nb->own;
	}
	return 0;
}

json_t *icc_io_hs_json(struct daemon *d)
{
	const struct hs_stats *s = &d->hs.st;
	json_t *drops = json_object(), *cert = json_object();

	for (int r = HS_OK + 1; r < HS_DROP__MAX; r++)
		json_object_set_new(drops, hs_drop_names[r], json_integer((json_int_t)s->drop[r]));
	for (int r = CERT_OK + 1; r < CERT__MAX; r++)
		json_object_set_new(cert, cert_status_names[r],
				    json_integer((json_int_t)s->cert[r]));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "init_tx",
			 (json_int_t)s->init_tx, "init_rx", (json_int_t)s->init_rx, "cookie_tx",
			 (json_int_t)s->cookie_tx, "resp_tx", (json_int_t)s->resp_tx, "fin_tx",
			 (json_int_t)s->fin_tx, "established", (json_int_t)s->established, "rekeys",
			 (json_int_t)s->rekeys, "expired", (json_int_t)s->expired, "tx_no_session",
			 (json_int_t)d->icc.tx_no_session, "peers_cut",
			 (json_int_t)d->icc.peers_cut, "dropped", drops, "refused_cert", cert);
}
