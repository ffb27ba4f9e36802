// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * How many TC filters a device's clsact qdisc holds (rtnetlink dumps of both
 * directions): whoever created the qdisc deletes it only when no filter is
 * left, so flow accounting and the VPN (and anybody else's filters) can
 * share one.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "flow/tcfilt.h"

/* Count the RTM_NEWTFILTER answers to one dump request on fd; -errno on error. */
static int count_dump(int fd, uint32_t seq)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int count = 0;

	for (int i = 0; i < 4096; i++) { /* bounded: each reply holds at least one filter */
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n < 0)
			return -errno;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return count;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error ?: -EIO;
			if (h->nlmsg_type == RTM_NEWTFILTER)
				count++;
		}
	}
	return -E2BIG;
}

int tc_filter_count(int ifindex)
{
	static const uint32_t parents[] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
					    TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2 };
	int fd, total = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (uint32_t p = 0; p < 2; p++) {
		struct {
			struct nlmsghdr n;
			struct tcmsg t;
		} req = {
			.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
			       .nlmsg_type = RTM_GETTFILTER,
			       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			       .nlmsg_seq = p + 1 },
			.t = { .tcm_family = AF_UNSPEC,
			       .tcm_ifindex = ifindex,
			       .tcm_parent = parents[p] },
		};
		int n;

		if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			total = -errno;
			break;
		}
		n = count_dump(fd, p + 1);
		if (n < 0) {
			total = n;
			break;
		}
		total += n;
	}
	close(fd);
	return total;
}
