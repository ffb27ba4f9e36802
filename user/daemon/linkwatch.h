/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Link watch: interfaces appearing, disappearing and being renamed, from
 * rtnetlink (a NETLINK_ROUTE socket joined to RTMGRP_LINK, non-blocking, in
 * the daemon's event loop). The parser is pure code over one datagram (it is
 * outside input: tests/unit/test_linkwatch.c, tests/fuzz/fuzz_linkwatch.c).
 */
#ifndef IPOP_FW_LINKWATCH_H
#define IPOP_FW_LINKWATCH_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_BUF_LEN 32768 /* one recv; the kernel's link messages are ~1-2 KiB each */

struct lw_link {
	bool gone;		/* RTM_DELLINK (else RTM_NEWLINK: new, changed or renamed) */
	int ifindex;		/* > 0 */
	unsigned int flags;	/* IFF_* */
	char name[IF_NAMESIZE]; /* "" when the message carries no IFLA_IFNAME */
};

/* One link message; l == NULL: messages were lost, look at every link again. */
typedef void (*lw_cb)(const struct lw_link *l, void *arg);

/*
 * Every RTM_NEWLINK/RTM_DELLINK in one datagram, in order, through cb.
 * Other message types are skipped. Returns the number of link messages, or
 * -EBADMSG at the first malformed one (a header or attribute shorter than
 * itself or running past the end, an ifinfomsg cut short, an ifindex <= 0,
 * a name without its NUL or longer than IF_NAMESIZE - 1); the messages
 * before it were delivered. An NLMSG_ERROR carrying an error returns it
 * (-errno).
 */
int lw_parse(const void *buf, size_t len, lw_cb cb, void *arg);

struct daemon;
struct linkwatch;

/*
 * Open the socket and add it to d's loop; cb runs in the loop for each link
 * message from the kernel (messages from any other sender are dropped), and
 * with NULL after an overrun (ENOBUFS) or a malformed datagram. NULL with
 * *err = -errno on failure.
 */
struct linkwatch *linkwatch_open(struct daemon *d, lw_cb cb, void *arg, int *err);
void linkwatch_close(struct linkwatch *w);

struct lw_counters {
	uint64_t datagrams, links, dropped_foreign, malformed, overruns;
};
void linkwatch_counters(const struct linkwatch *w, struct lw_counters *c);

#endif /* IPOP_FW_LINKWATCH_H */
