// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's epoll loop: fds and periodic timers other code can register. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/daemon_int.h"

static struct loop_fd *loop_find(struct daemon *d, int fd, struct loop_fd ***prev)
{
	struct loop_fd **pp = &d->fds;

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->fd == fd) {
			if (prev)
				*prev = pp;
			return *pp;
		}
	return NULL;
}

int daemon_loop_add_fd(struct daemon *d, int fd, uint32_t events, daemon_fd_cb cb, void *arg)
{
	struct loop_fd *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = events };

	if (!l)
		return -ENOMEM;
	l->fd = fd;
	l->cb = cb;
	l->arg = arg;
	ev.data.ptr = l;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(l);
		return -errno;
	}
	l->next = d->fds;
	d->fds = l;
	return 0;
}

int daemon_loop_mod_fd(struct daemon *d, int fd, uint32_t events)
{
	struct loop_fd *l = loop_find(d, fd, NULL);
	struct epoll_event ev = { .events = events };

	if (!l)
		return -ENOENT;
	ev.data.ptr = l;
	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

/* Unlinked entries are freed after the current batch of events. */
int daemon_loop_del_fd(struct daemon *d, int fd)
{
	struct loop_fd **pp, *l = loop_find(d, fd, &pp);

	if (!l)
		return -ENOENT;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
	*pp = l->next;
	l->dead = true;
	l->next = d->dead_fds;
	d->dead_fds = l;
	return 0;
}

struct loop_timer {
	daemon_timer_cb cb;
	void *arg;
};

static void loop_timer_fired(struct daemon *d, int fd, uint32_t events, void *arg)
{
	struct loop_timer *t = arg;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) == sizeof(n))
		t->cb(d, t->arg);
}

int daemon_loop_add_timer(struct daemon *d, uint64_t interval_ms, daemon_timer_cb cb, void *arg)
{
	struct itimerspec its = { 0 };
	struct loop_timer *t = calloc(1, sizeof(*t));
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), err;

	if (!t || fd < 0) {
		err = fd < 0 ? -errno : -ENOMEM;
		free(t);
		if (fd >= 0)
			close(fd);
		return err;
	}
	t->cb = cb;
	t->arg = arg;
	its.it_interval.tv_sec = (time_t)(interval_ms / 1000);
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	err = timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
	err = err ?: daemon_loop_add_fd(d, fd, EPOLLIN, loop_timer_fired, t);
	if (err) {
		free(t);
		close(fd);
		return err;
	}
	return fd;
}

int daemon_loop_del_timer(struct daemon *d, int tfd)
{
	struct loop_fd *l = loop_find(d, tfd, NULL);
	void *arg = l ? l->arg : NULL;
	int err = daemon_loop_del_fd(d, tfd);

	if (!err) {
		free(arg);
		close(tfd);
	}
	return err;
}

void daemon_stop(struct daemon *d)
{
	d->stop = true;
}

static void loop_reap(struct daemon *d)
{
	while (d->dead_fds) {
		struct loop_fd *l = d->dead_fds;

		d->dead_fds = l->next;
		free(l);
	}
}

int daemon_loop_run(struct daemon *d)
{
	struct epoll_event evs[64];

	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, 64, -1);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n && !d->stop; i++) {
			struct loop_fd *l = evs[i].data.ptr;

			if (!l->dead)
				l->cb(d, l->fd, evs[i].events, l->arg);
		}
		loop_reap(d);
	}
	return 0;
}

/*
 * Forget every fd. Timers belong to the loop (their timerfd and state were
 * made by daemon_loop_add_timer): those still registered are closed and
 * freed here; every other fd belongs to whoever added it.
 */
void daemon_loop_free(struct daemon *d)
{
	while (d->fds) {
		struct loop_fd *l = d->fds;

		d->fds = l->next;
		if (l->cb == loop_timer_fired) {
			free(l->arg);
			close(l->fd);
		}
		free(l);
	}
	loop_reap(d);
}
