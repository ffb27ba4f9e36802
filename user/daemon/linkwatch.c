// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Link watch: rtnetlink link messages into the daemon's loop (linkwatch.h). */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/linkwatch.h"

#define LW_RCVBUF	  (1 << 20) /* room for a burst of link changes */
#define LW_READS_PER_WAKE 64	    /* then back to the loop; epoll calls again */

/* The link in one RTM_NEWLINK/RTM_DELLINK payload (after the nlmsghdr). */
static int parse_link(const uint8_t *p, size_t len, bool gone, struct lw_link *l)
{
	struct ifinfomsg ifi;
	size_t off = NLMSG_ALIGN(sizeof(ifi));

	if (len < sizeof(ifi))
		return -EBADMSG;
	memcpy(&ifi, p, sizeof(ifi));
	if (ifi.ifi_index <= 0)
		return -EBADMSG;
	memset(l, 0, sizeof(*l));
	l->gone = gone;
	l->ifindex = ifi.ifi_index;
	l->flags = ifi.ifi_flags;
	while (off < len) {
		struct rtattr rta;
		size_t alen;

		if (len - off < sizeof(rta))
			return -EBADMSG;
		memcpy(&rta, p + off, sizeof(rta));
		alen = rta.rta_len;
		if (alen < sizeof(rta) || alen > len - off)
			return -EBADMSG;
		if ((rta.rta_type & NLA_TYPE_MASK) == IFLA_IFNAME) {
			const char *s = (const char *)p + off + RTA_LENGTH(0);
			size_t sl = alen - RTA_LENGTH(0), n = strnlen(s, sl);

			if (n == sl || n == 0 || n >= IF_NAMESIZE)
				return -EBADMSG;
			memcpy(l->name, s, n + 1);
		}
		off += RTA_ALIGN(alen) < len - off ? RTA_ALIGN(alen) : len - off;
	}
	return 0;
}

int lw_parse(const void *buf, size_t len, lw_cb cb, void *arg)
{
	const uint8_t *p = buf;
	size_t off = 0;
	int n = 0;

	while (off < len) {
		struct nlmsghdr h;
		struct lw_link l;
		size_t mlen;
		int err;

		if (len - off < sizeof(h))
			return -EBADMSG;
		memcpy(&h, p + off, sizeof(h));
		mlen = h.nlmsg_len;
		if (mlen < sizeof(h) || mlen > len - off)
			return -EBADMSG;
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (mlen - NLMSG_HDRLEN < sizeof(e.error))
				return -EBADMSG;
			memcpy(&e.error, p + off + NLMSG_HDRLEN, sizeof(e.error));
			if (e.error < 0 && e.error >= -4095)
				return e.error;
			if (e.error != 0)
				return -EBADMSG;
		} else if (h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK) {
			err = parse_link(p + off + NLMSG_HDRLEN, mlen - NLMSG_HDRLEN,
					 h.nlmsg_type == RTM_DELLINK, &l);
			if (err)
				return err;
			cb(&l, arg);
			n++;
		}
		/* NLMSG_DONE, NLMSG_NOOP and other types: nothing for us */
		off += NLMSG_ALIGN(mlen) < len - off ? NLMSG_ALIGN(mlen) : len - off;
	}
	return n;
}

struct linkwatch {
	struct daemon *d;
	int fd;
	lw_cb cb;
	void *arg;
	struct lw_counters c;
	uint8_t buf[LW_BUF_LEN];
};

static void lw_readable(struct daemon *d, int fd, uint32_t events, void *arg)
{
	struct linkwatch *w = arg;

	(void)d;
	(void)events;
	for (int i = 0; i < LW_READS_PER_WAKE; i++) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, w->buf, sizeof(w->buf), MSG_TRUNC,
				     (struct sockaddr *)&from, &flen);
		int got;

		if (n < 0 && errno == ENOBUFS) {
			w->c.overruns++; /* the kernel dropped messages: look at everything */
			w->cb(NULL, w->arg);
			continue;
		}
		if (n < 0)
			return; /* EAGAIN (drained), EINTR: epoll calls again when there is more */
		w->c.datagrams++;
		if (flen < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0) {
			w->c.dropped_foreign++; /* only the kernel speaks for links */
			continue;
		}
		got = (size_t)n > sizeof(w->buf) ? -EBADMSG
						 : lw_parse(w->buf, (size_t)n, w->cb, w->arg);
		if (got < 0) {
			w->c.malformed++;
			w->cb(NULL, w->arg);
		} else {
			w->c.links += (uint64_t)got;
		}
	}
}

struct linkwatch *linkwatch_open(struct daemon *d, lw_cb cb, void *arg, int *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct linkwatch *w = calloc(1, sizeof(*w));
	int rcvbuf = LW_RCVBUF;

	if (!w) {
		*err = -ENOMEM;
		return NULL;
	}
	w->d = d;
	w->cb = cb;
	w->arg = arg;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		*err = -errno;
		goto fail;
	}
	/* best effort: a small buffer only means more overruns (then a full look) */
	setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	*err = daemon_loop_add_fd(d, w->fd, EPOLLIN, lw_readable, w);
	if (*err)
		goto fail;
	return w;
fail:
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	return NULL;
}

void linkwatch_close(struct linkwatch *w)
{
	if (!w)
		return;
	daemon_loop_del_fd(w->d, w->fd);
	close(w->fd);
	free(w);
}

void linkwatch_counters(const struct linkwatch *w, struct lw_counters *c)
{
	if (w)
		*c = w->c;
	else
		memset(c, 0, sizeof(*c));
}
