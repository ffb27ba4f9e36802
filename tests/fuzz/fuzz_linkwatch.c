// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the daemon's rtnetlink link-message parser
 * (user/daemon/linkwatch.c, lw_parse): an input is one datagram as read from
 * the socket. Properties: no out-of-bounds read; the result is the number
 * of links delivered, -EBADMSG, or an errno from an NLMSG_ERROR; every link
 * delivered has ifindex > 0 and a NUL-terminated name shorter than
 * IF_NAMESIZE; the links delivered, encoded again as the kernel would, parse
 * back to the same links. Seeds (tests/fuzz/corpus-linkwatch): datagrams
 * the kernel sent (a link dump, veths made and deleted), and hand-made ones.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/linkwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

#define MAX_LINKS 4096

struct got {
	size_t n;
	struct lw_link l[MAX_LINKS];
};

static void collect(const struct lw_link *l, void *arg)
{
	struct got *g = arg;

	CHECK(l && l->ifindex > 0);
	CHECK(memchr(l->name, '\0', sizeof(l->name)));
	if (g->n < MAX_LINKS)
		g->l[g->n] = *l;
	g->n++;
}

/* The links as RTM_NEWLINK/RTM_DELLINK messages (name only when there is one). */
static size_t encode(const struct got *g, uint8_t *buf, size_t cap)
{
	size_t off = 0;

	for (size_t i = 0; i < g->n && i < MAX_LINKS; i++) {
		const struct lw_link *l = &g->l[i];
		size_t nl = strlen(l->name), p = off + NLMSG_HDRLEN;
		struct ifinfomsg ifi = { .ifi_index = l->ifindex, .ifi_flags = l->flags };
		struct nlmsghdr h = { .nlmsg_type = l->gone ? RTM_DELLINK : RTM_NEWLINK };

		CHECK(off + NLMSG_SPACE(sizeof(ifi)) + RTA_SPACE(IF_NAMESIZE) <= cap);
		memset(buf + off, 0, NLMSG_SPACE(sizeof(ifi)) + RTA_SPACE(IF_NAMESIZE));
		memcpy(buf + p, &ifi, sizeof(ifi));
		p += NLMSG_ALIGN(sizeof(ifi));
		if (nl) {
			struct rtattr a = { .rta_len = RTA_LENGTH(nl + 1),
					    .rta_type = IFLA_IFNAME };

			memcpy(buf + p, &a, sizeof(a));
			memcpy(buf + p + RTA_LENGTH(0), l->name, nl + 1);
			p += RTA_ALIGN(a.rta_len);
		}
		h.nlmsg_len = (uint32_t)(p - off);
		memcpy(buf + off, &h, sizeof(h));
		off = p;
	}
	return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct got g, back;
	static uint8_t again[MAX_LINKS * 64];
	int ret;

	g.n = 0;
	ret = lw_parse(data, size, collect, &g);
	CHECK(ret == -EBADMSG || (ret < 0 && ret >= -4095) || (ret >= 0 && (size_t)ret == g.n));
	CHECK(g.n <= size / NLMSG_SPACE(sizeof(struct ifinfomsg)));
	if (g.n > MAX_LINKS)
		return 0;
	back.n = 0;
	CHECK(lw_parse(again, encode(&g, again, sizeof(again)), collect, &back) == (int)g.n);
	for (size_t i = 0; i < g.n; i++)
		CHECK(back.l[i].gone == g.l[i].gone && back.l[i].ifindex == g.l[i].ifindex &&
		      back.l[i].flags == g.l[i].flags && !strcmp(back.l[i].name, g.l[i].name));
	return 0;
}
