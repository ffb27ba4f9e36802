/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Flow side internals shared by flowd.c and flowd_links.c. */
#ifndef IPOP_FLOWD_INT_H
#define IPOP_FLOWD_INT_H

#include <jansson.h>
#include <stddef.h>

#include "daemon/flowd.h"

/* flowd.c: attach (or adopt) configured interface i again: 0 attached, 1 adopted, -errno. */
int flowd_iface_attach(int i, char *msg, size_t msglen);
/* flowd.c: interface i (at old_ifindex) is gone: forget its record; nothing to detach later. */
void flowd_iface_forget(int i, int old_ifindex);

/*
 * flowd_links.c: the configured interfaces' presence. start records their
 * ifindexes and, with a loop, watches rtnetlink: an interface deleted is
 * logged and forgotten (flowd_iface_forget); one of that name coming back
 * is attached again (flowd_iface_attach), retried with a backoff while
 * that fails. stop closes the watch.
 */
int flowd_links_start(struct daemon *d, const struct flowd_opts *o, char *msg, size_t msglen);
void flowd_links_stop(void);
/* Is interface i attached now (not gone)? */
bool flowd_link_present(int i);
/*
 * Into status: "links": [{"name", "ifindex", "state": "attached"|"gone",
 * "lost", "reattached", "attach_failures", "error"}] and "link_watch":
 * {"running", "datagrams", "link_messages", "dropped_foreign", "malformed",
 * "overruns"}.
 */
void flowd_links_json(json_t *status);

#endif /* IPOP_FLOWD_INT_H */
