// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The flow side's interfaces coming and going (flowd_int.h): rtnetlink link
 * messages (linkwatch.h) say which configured interface may have changed;
 * the name's current ifindex (if_nametoindex) says what happened. An
 * interface whose recorded ifindex no longer carries its name is lost
 * (deleted, renamed, moved to another namespace); a lost one whose name
 * exists again is attached again, with the same hook and options.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon_int.h"
#include "daemon/flowd_int.h"
#include "daemon/linkwatch.h"

#define RETRY_TICK_MS  250
#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS   30000
#define NS_PER_MS      1000000ull

struct flowd_link {
	const char *name;
	int ifindex; /* while attached */
	bool gone;
	uint64_t lost, reattached, failures;
	uint64_t next_try_ns, backoff_ms;
	char error[200]; /* why the last attach failed ("" after a success) */
};

static struct {
	struct daemon *d;
	struct linkwatch *w;
	int timer;
	int n;
	struct flowd_link l[FLOWD_IFACES_MAX];
} lk = { .timer = -1 };

static void link_lost(int i)
{
	struct flowd_link *l = &lk.l[i];

	daemon_log(lk.d, LOG_L_WARN,
		   "flows: interface %s (ifindex %d) is gone: accounting on it stopped; it is "
		   "attached again when an interface of that name appears",
		   l->name, l->ifindex);
	flowd_iface_forget(i, l->ifindex);
	l->gone = true;
	l->lost++;
	l->ifindex = 0;
	l->next_try_ns = 0;
	l->backoff_ms = RETRY_FIRST_MS;
}

static void link_try_attach(int i, int ifindex, uint64_t now)
{
	struct flowd_link *l = &lk.l[i];
	char msg[sizeof(l->error)] = "";
	int ret = flowd_iface_attach(i, msg, sizeof(msg));

	if (ret >= 0) {
		l->gone = false;
		l->ifindex = (int)if_nametoindex(l->name) ?: ifindex;
		l->reattached++;
		l->error[0] = '\0';
		daemon_log(lk.d, LOG_L_INFO, "flows: interface %s is back (ifindex %d): %s",
			   l->name, l->ifindex, ret == 1 ? "adopted what is attached" : "attached");
		return;
	}
	l->failures++;
	if (strcmp(msg, l->error)) /* say each new reason once, not every retry */
		daemon_log(lk.d, LOG_L_WARN, "flows: cannot attach %s again (retrying): %s",
			   l->name, msg);
	snprintf(l->error, sizeof(l->error), "%s", msg);
	l->next_try_ns = now + l->backoff_ms * NS_PER_MS;
	l->backoff_ms = l->backoff_ms * 2 < RETRY_MAX_MS ? l->backoff_ms * 2 : RETRY_MAX_MS;
}

/*
 * Compare interface i with the kernel's view of its name and act on a
 * difference: lost, or back (the first attempt at once, then with backoff).
 */
static void link_check(int i)
{
	struct flowd_link *l = &lk.l[i];
	int now_index = (int)if_nametoindex(l->name);
	uint64_t now = daemon_now_ns();

	if (!l->gone && now_index != l->ifindex)
		link_lost(i);
	if (l->gone && now_index > 0 && now >= l->next_try_ns)
		link_try_attach(i, now_index, now);
}

static void on_link(const struct lw_link *m, void *arg)
{
	(void)arg;
	for (int i = 0; i < lk.n; i++) {
		const struct flowd_link *l = &lk.l[i];

		/* NULL: messages were lost; else the message names it or its ifindex */
		if (!m || (!l->gone && m->ifindex == l->ifindex) || !strcmp(m->name, l->name))
			link_check(i);
	}
}

static void on_tick(struct daemon *d, void *arg)
{
	(void)d;
	(void)arg;
	for (int i = 0; i < lk.n; i++)
		if (lk.l[i].gone)
			link_check(i);
}

int flowd_links_start(struct daemon *d, const struct flowd_opts *o, char *msg, size_t msglen)
{
	int err = 0;

	memset(&lk, 0, sizeof(lk));
	lk.timer = -1;
	lk.d = d;
	lk.n = o->n_ifaces;
	for (int i = 0; i < lk.n; i++) {
		lk.l[i].name = o->ifaces[i];
		lk.l[i].ifindex = (int)if_nametoindex(o->ifaces[i]);
	}
	if (!d || !lk.n)
		return 0;
	lk.w = linkwatch_open(d, on_link, NULL, &err);
	if (!lk.w)
		return snprintf(msg, msglen, "cannot watch links (rtnetlink): %s", strerror(-err)),
		       err;
	lk.timer = daemon_loop_add_timer(d, RETRY_TICK_MS, on_tick, NULL);
	if (lk.timer < 0) {
		err = lk.timer;
		flowd_links_stop();
		return snprintf(msg, msglen, "cannot start the link retry timer: %s",
				strerror(-err)),
		       err;
	}
	/* a change between the attach and the watch's start */
	for (int i = 0; i < lk.n; i++)
		link_check(i);
	return 0;
}

void flowd_links_stop(void)
{
	if (lk.timer >= 0)
		daemon_loop_del_timer(lk.d, lk.timer);
	lk.timer = -1;
	linkwatch_close(lk.w);
	lk.w = NULL;
}

bool flowd_link_present(int i)
{
	return i >= 0 && i < lk.n && !lk.l[i].gone;
}

void flowd_links_json(json_t *status)
{
	json_t *a = json_array();
	struct lw_counters c;

	for (int i = 0; i < lk.n; i++) {
		const struct flowd_link *l = &lk.l[i];

		json_array_append_new(a, json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:s}", "name",
						   l->name, "ifindex", l->ifindex, "state",
						   l->gone ? "gone" : "attached", "lost",
						   (json_int_t)l->lost, "reattached",
						   (json_int_t)l->reattached, "attach_failures",
						   (json_int_t)l->failures, "error", l->error));
	}
	json_object_set_new(status, "links", a);
	linkwatch_counters(lk.w, &c);
	json_object_set_new(status, "link_watch",
			    json_pack("{s:b, s:I, s:I, s:I, s:I, s:I}", "running", lk.w != NULL,
				      "datagrams", (json_int_t)c.datagrams, "link_messages",
				      (json_int_t)c.links, "dropped_foreign",
				      (json_int_t)c.dropped_foreign, "malformed",
				      (json_int_t)c.malformed, "overruns", (json_int_t)c.overruns));
}
