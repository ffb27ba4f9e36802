// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ICC over UDP: sockets, the receive path with its drop counters, keepalives. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "daemon/daemon_int.h"

#define RX_BATCH    32
#define RX_BUF	    (ICC_MAX_DGRAM + 64)
#define SOCK_BUF_SZ (4 << 20)

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

static enum icc_rc rx_check(struct daemon *d, const uint8_t *buf, size_t len, int flags,
			    struct icc_msg *m)
{
	enum icc_rc rc;

	if (flags & MSG_TRUNC)
		return ICC_DROP_OVERSIZED;
	rc = icc_decode(buf, len, d->cfg.key, m);
	if (rc == ICC_OK && !node_id_eq(&m->h.dst, &d->node.id))
		rc = ICC_DROP_WRONG_DEST;
	if (rc == ICC_OK)
		rc = icc_replay_check(&d->replay, &m->h.src, m->h.seq);
	return rc;
}

static void rx_one(struct daemon *d, const uint8_t *buf, size_t len, int flags)
{
	struct icc_msg m;
	struct mod_msg msg;
	struct nbr_state *nb;
	enum icc_rc rc = rx_check(d, buf, len, flags, &m);
	int idx;

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
	struct mmsghdr mm[RX_BATCH];
	struct iovec iov[RX_BATCH];
	int n;

	(void)events;
	(void)arg;
	for (int i = 0; i < RX_BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = RX_BUF };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	/* bounded: at most 8 batches per wakeup, so other fds get their turn */
	for (int round = 0; round < 8; round++) {
		n = recvmmsg(fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			rx_one(d, bufs[i], mm[i].msg_len, mm[i].msg_hdr.msg_flags);
		if (n < RX_BATCH)
			break;
	}
}

int icc_io_send(struct daemon *d, struct nbr_state *nb, const struct icc_hdr *h,
		const void *payload, size_t len)
{
	uint8_t buf[ICC_MAX_DGRAM];
	int n = icc_encode(h, payload, len, d->cfg.key, buf, sizeof(buf));

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

void icc_io_keepalive(struct daemon *d, void *arg)
{
	uint64_t now = daemon_now_ns();

	(void)arg;
	/* backwards: a link-down hook may remove this entry (the last moves here) */
	for (int i = d->nnbrs - 1; i >= 0; i--) {
		struct nbr_state *nb = &d->nbrs[i];
		struct icc_hdr h = { .type = ICC_T_KEEPALIVE,
				     .ttl = 1,
				     .src = d->node.id,
				     .dst = nb->cfg->id,
				     .seq = ++d->seq };

		if (icc_io_send(d, nb, &h, NULL, 0) == 0)
			d->icc.keepalive_tx++;
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

int icc_io_open(struct daemon *d)
{
	int err;

	for (int i = 0; i < d->cfg.nlisten; i++) {
		err = open_one(d, i);
		if (err)
			return err;
	}
	d->nbrs = calloc(DAEMON_MAX_NBRS, sizeof(*d->nbrs));
	if (!d->nbrs)
		return -ENOMEM;
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
	struct icc_hdr h = { .type = ICC_T_KEEPALIVE, .ttl = 1, .src = d->node.id, .dst = *id };

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
	/* say hello now rather than at the next keepalive tick */
	h.seq = ++d->seq;
	if (icc_io_send(d, nb, &h, NULL, 0) == 0)
		d->icc.keepalive_tx++;
	return 0;
}

int icc_io_link_remove(struct daemon *d, const struct node_id *id)
{
	struct nbr_state *nb = daemon_nbr(d, id), *last;

	if (!nb)
		return -ENOENT;
	if (!nb->dynamic)
		return -EPERM; /* configured neighbours stay */
	last = &d->nbrs[--d->nnbrs];
	if (nb != last) {
		*nb = *last;
		nb->cfg = &nb->own;
	}
	return 0;
}
