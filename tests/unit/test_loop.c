// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's epoll loop: what daemon_loop_free releases and what it leaves alone. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/daemon_int.h"

static void loopt_tick(struct daemon *d, void *arg)
{
	(void)d;
	(void)arg;
}

static void loopt_fd(struct daemon *d, int fd, uint32_t events, void *arg)
{
	(void)d;
	(void)fd;
	(void)events;
	(void)arg;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

Test(loop, free_releases_timers_but_not_other_fds)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int t1, t2, t3, other;

	cr_assert_not_null(d);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	cr_assert_geq(d->epfd, 0);
	other = eventfd(0, EFD_CLOEXEC);
	cr_assert_geq(other, 0);
	cr_assert_eq(daemon_loop_add_fd(d, other, EPOLLIN, loopt_fd, NULL), 0);
	t1 = daemon_loop_add_timer(d, 1000, loopt_tick, NULL);
	t2 = daemon_loop_add_timer(d, 1000, loopt_tick, NULL);
	t3 = daemon_loop_add_timer(d, 5, loopt_tick, NULL);
	cr_assert(t1 >= 0 && t2 >= 0 && t3 >= 0);
	cr_assert_eq(daemon_loop_del_timer(d, t2), 0);
	cr_assert_not(fd_open(t2), "a deleted timer's fd is closed");
	daemon_loop_free(d);
	/* still-registered timers are the loop's own: closed (and, under LSan, freed) */
	cr_assert_not(fd_open(t1), "timer fd %d left open by daemon_loop_free", t1);
	cr_assert_not(fd_open(t3), "timer fd %d left open by daemon_loop_free", t3);
	/* an fd someone else added stays theirs */
	cr_assert(fd_open(other));
	cr_assert_null(d->fds);
	cr_assert_null(d->dead_fds);
	close(other);
	close(d->epfd);
	free(d);
}
