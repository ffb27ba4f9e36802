// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lw_parse: rtnetlink link messages, well-formed, truncated and corrupt; and the kernel's own. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/daemon_int.h"
#include "daemon/linkwatch.h"

#define LWT_MAX 16

struct lwt_got {
	int n, resyncs;
	struct lw_link l[LWT_MAX];
};

static void lwt_cb(const struct lw_link *l, void *arg)
{
	struct lwt_got *g = arg;

	if (!l) {
		g->resyncs++;
		return;
	}
	cr_assert_lt(g->n, LWT_MAX);
	g->l[g->n++] = *l;
}

/* Append a link message to buf at *off; name NULL: no IFLA_IFNAME. */
static void lwt_put_link(uint8_t *buf, size_t *off, uint16_t type, int ifindex, unsigned int flags,
			 const char *name)
{
	struct nlmsghdr h = { .nlmsg_type = type };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC,
				 .ifi_index = ifindex,
				 .ifi_flags = flags };
	struct rtattr mtu = { .rta_len = RTA_LENGTH(4), .rta_type = IFLA_MTU };
	size_t start = *off, p = start + NLMSG_HDRLEN;
	uint32_t mtu_v = 1500;

	memcpy(buf + p, &ifi, sizeof(ifi));
	p += NLMSG_ALIGN(sizeof(ifi));
	memcpy(buf + p, &mtu, sizeof(mtu)); /* an attribute we skip, before the name */
	memcpy(buf + p + RTA_LENGTH(0), &mtu_v, 4);
	p += RTA_ALIGN(mtu.rta_len);
	if (name) {
		struct rtattr a = { .rta_len = RTA_LENGTH(strlen(name) + 1),
				    .rta_type = IFLA_IFNAME };

		memcpy(buf + p, &a, sizeof(a));
		memcpy(buf + p + RTA_LENGTH(0), name, strlen(name) + 1);
		p += RTA_ALIGN(a.rta_len);
	}
	h.nlmsg_len = (uint32_t)(p - start);
	memcpy(buf + start, &h, sizeof(h));
	*off = p;
}

static void lwt_put_hdr(uint8_t *buf, size_t *off, uint16_t type, const void *body, size_t len)
{
	struct nlmsghdr h = { .nlmsg_len = NLMSG_LENGTH(len), .nlmsg_type = type };

	memcpy(buf + *off, &h, sizeof(h));
	memcpy(buf + *off + NLMSG_HDRLEN, body, len);
	*off += NLMSG_ALIGN(h.nlmsg_len);
}

/* The offset of the IFLA_IFNAME attribute in a message lwt_put_link made at 0. */
#define LWT_NAME_OFF \
	(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg)) + RTA_ALIGN(RTA_LENGTH(4)))

Test(linkwatch, new_and_del_in_one_datagram)
{
	uint8_t buf[1024] = { 0 };
	size_t off = 0;
	struct lwt_got g = { 0 };
	uint32_t zero = 0;

	lwt_put_link(buf, &off, RTM_NEWLINK, 7, 0x1003, "veth-a");
	lwt_put_hdr(buf, &off, RTM_NEWADDR, &zero, sizeof(zero)); /* not ours: skipped */
	lwt_put_link(buf, &off, RTM_DELLINK, 9, 0, "veth-b");
	lwt_put_link(buf, &off, RTM_NEWLINK, 11, 0, NULL);
	lwt_put_hdr(buf, &off, NLMSG_DONE, &zero, sizeof(zero));
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), 3);
	cr_assert_eq(g.n, 3);
	cr_assert(!g.l[0].gone && g.l[0].ifindex == 7 && g.l[0].flags == 0x1003);
	cr_assert_str_eq(g.l[0].name, "veth-a");
	cr_assert(g.l[1].gone && g.l[1].ifindex == 9);
	cr_assert_str_eq(g.l[1].name, "veth-b");
	cr_assert(!g.l[2].gone && g.l[2].ifindex == 11);
	cr_assert_str_eq(g.l[2].name, "", "no IFLA_IFNAME: an empty name");
	cr_assert_eq(lw_parse(buf, 0, lwt_cb, &g), 0, "an empty datagram holds nothing");
}

Test(linkwatch, every_truncation_is_refused_or_complete)
{
	uint8_t buf[512] = { 0 };
	size_t off = 0, first;

	lwt_put_link(buf, &off, RTM_NEWLINK, 3, 0, "eth0");
	first = off;
	lwt_put_link(buf, &off, RTM_DELLINK, 4, 0, "eth1");
	for (size_t len = 1; len < off; len++) {
		struct lwt_got g = { 0 };
		int ret = lw_parse(buf, len, lwt_cb, &g);

		if (len == first) {
			cr_assert_eq(ret, 1, "cut between the messages: the first is whole");
			continue;
		}
		cr_assert_eq(ret, -EBADMSG, "cut at %zu of %zu: %d", len, off, ret);
		cr_assert_eq(g.n, len > first ? 1 : 0, "cut at %zu: only whole messages before it",
			     len);
	}
}

Test(linkwatch, bad_lengths)
{
	uint8_t buf[256] = { 0 };
	size_t off = 0;
	struct nlmsghdr h;
	struct lwt_got g = { 0 };

	lwt_put_link(buf, &off, RTM_NEWLINK, 3, 0, "eth0");
	memcpy(&h, buf, sizeof(h));
	for (uint32_t bad = 0; bad < NLMSG_HDRLEN; bad++) { /* shorter than its header: no loop */
		h.nlmsg_len = bad;
		memcpy(buf, &h, sizeof(h));
		cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG, "nlmsg_len %u", bad);
	}
	h.nlmsg_len = (uint32_t)off + 1; /* past the datagram */
	memcpy(buf, &h, sizeof(h));
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
	h.nlmsg_len = UINT32_MAX;
	memcpy(buf, &h, sizeof(h));
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
	h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg) - 1); /* ifinfomsg cut short */
	memcpy(buf, &h, sizeof(h));
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
	cr_assert_eq(g.n, 0);
}

Test(linkwatch, bad_attributes)
{
	uint8_t buf[256];
	size_t off;
	struct rtattr a;
	struct lwt_got g = { 0 };

	for (uint16_t bad = 0; bad < sizeof(a); bad++) { /* an attribute shorter than itself */
		memset(buf, 0, sizeof(buf));
		off = 0;
		lwt_put_link(buf, &off, RTM_NEWLINK, 3, 0, "eth0");
		memcpy(&a, buf + LWT_NAME_OFF, sizeof(a));
		a.rta_len = bad;
		memcpy(buf + LWT_NAME_OFF, &a, sizeof(a));
		cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG, "rta_len %u", bad);
	}
	a.rta_len = 200; /* past its message */
	memcpy(buf + LWT_NAME_OFF, &a, sizeof(a));
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
	cr_assert_eq(g.n, 0);
}

Test(linkwatch, bad_names_and_indexes)
{
	uint8_t buf[256];
	size_t off;
	struct lwt_got g = { 0 };
	struct ifinfomsg ifi;

	/* 15 characters is the longest name; 16 is refused */
	memset(buf, 0, sizeof(buf));
	off = 0;
	lwt_put_link(buf, &off, RTM_NEWLINK, 3, 0, "abcdefghijklmno");
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), 1);
	cr_assert_str_eq(g.l[0].name, "abcdefghijklmno");
	memset(buf, 0, sizeof(buf));
	off = 0;
	lwt_put_link(buf, &off, RTM_NEWLINK, 3, 0, "abcdefghijklmnop");
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
	/* a name without its NUL */
	memset(buf, 0, sizeof(buf));
	off = 0;
	lwt_put_link(buf, &off, RTM_NEWLINK, 3, 0, "eth0");
	buf[LWT_NAME_OFF + RTA_LENGTH(0) + 4] = 'x';
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
	/* an empty name */
	memset(buf, 0, sizeof(buf));
	off = 0;
	lwt_put_link(buf, &off, RTM_NEWLINK, 3, 0, "");
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
	/* ifindex 0 and negative */
	for (int idx = -1; idx <= 0; idx++) {
		memset(buf, 0, sizeof(buf));
		off = 0;
		lwt_put_link(buf, &off, RTM_DELLINK, 3, 0, "eth0");
		memcpy(&ifi, buf + NLMSG_HDRLEN, sizeof(ifi));
		ifi.ifi_index = idx;
		memcpy(buf + NLMSG_HDRLEN, &ifi, sizeof(ifi));
		cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG, "ifindex %d", idx);
	}
	cr_assert_eq(g.n, 1, "only the good one was delivered");
}

Test(linkwatch, errors_and_acks)
{
	uint8_t buf[256] = { 0 };
	size_t off = 0;
	struct lwt_got g = { 0 };
	struct nlmsgerr e = { .error = -EPERM };
	int weird = 5;

	lwt_put_hdr(buf, &off, NLMSG_ERROR, &e, sizeof(e));
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EPERM);
	off = 0;
	e.error = 0; /* an ACK */
	lwt_put_hdr(buf, &off, NLMSG_ERROR, &e, sizeof(e));
	lwt_put_link(buf, &off, RTM_NEWLINK, 2, 0, "eth0");
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), 1);
	off = 0;
	lwt_put_hdr(buf, &off, NLMSG_ERROR, &weird, sizeof(weird)); /* positive: not an errno */
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
	off = 0;
	lwt_put_hdr(buf, &off, NLMSG_ERROR, &weird, 2); /* the error field cut short */
	cr_assert_eq(lw_parse(buf, off, lwt_cb, &g), -EBADMSG);
}

static void lwt_find_lo(const struct lw_link *l, void *arg)
{
	cr_assert(l && l->ifindex > 0);
	if (l->ifindex == 1 && !strcmp(l->name, "lo") && !l->gone)
		*(bool *)arg = true;
}

/* The kernel's own messages: a dump of this namespace's links names "lo" as ifindex 1. */
Test(linkwatch, kernel_dump_of_lo)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { .h = { .nlmsg_len = sizeof(req),
			 .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = 1 },
		  .ifi = { .ifi_family = AF_UNSPEC } };
	static uint8_t buf[LW_BUF_LEN];
	bool lo = false, done = false;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	cr_assert_geq(fd, 0);
	cr_assert_eq(send(fd, &req, sizeof(req), 0), (ssize_t)sizeof(req));
	for (int i = 0; i < 100 && !done; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int got;

		cr_assert_gt(n, 0);
		done = ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_DONE;
		got = lw_parse(buf, (size_t)n, lwt_find_lo, &lo);
		cr_assert_geq(got, 0, "the kernel's dump refused: %d", got);
	}
	close(fd);
	cr_assert(lo, "lo (ifindex 1) not in the kernel's link dump");
}

static void lwt_never(const struct lw_link *l, void *arg)
{
	(void)l;
	(void)arg;
	cr_assert_fail("a message from a process reached the callback");
}

/* Only the kernel speaks for links: a forged RTM_DELLINK from a process is dropped and counted. */
Test(linkwatch, forged_sender_dropped)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct sockaddr_nl me, to = { .nl_family = AF_NETLINK };
	socklen_t ml = sizeof(me);
	uint8_t buf[256] = { 0 };
	size_t off = 0;
	struct linkwatch *w;
	struct lw_counters c;
	int err = 0, forger = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	cr_assert_not_null(d);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	cr_assert(d->epfd >= 0 && forger >= 0);
	w = linkwatch_open(d, lwt_never, NULL, &err);
	cr_assert_not_null(w, "linkwatch_open: %d", err);
	cr_assert_not_null(d->fds, "the watch is in the loop");
	cr_assert_eq(getsockname(d->fds->fd, (struct sockaddr *)&me, &ml), 0);
	to.nl_pid = me.nl_pid;
	lwt_put_link(buf, &off, RTM_DELLINK, 1, 0, "lo");
	cr_assert_eq(sendto(forger, buf, off, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)off);
	d->fds->cb(d, d->fds->fd, EPOLLIN, d->fds->arg); /* one turn of the loop */
	linkwatch_counters(w, &c);
	cr_assert_eq(c.dropped_foreign, 1);
	cr_assert_eq(c.links, 0);
	linkwatch_close(w);
	daemon_loop_free(d);
	close(forger);
	close(d->epfd);
	free(d);
}
