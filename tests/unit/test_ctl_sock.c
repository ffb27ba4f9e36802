// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket file: created 0600 whatever the umask, without a chmod
 * by path after bind (which would follow a symlink swapped in meanwhile).
 * chmod is interposed here to see the calls; it forwards to fchmodat.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon_int.h"

static char ctlt_watch[108];
static int ctlt_chmods;

int chmod(const char *path, mode_t mode)
{
	if (ctlt_watch[0] && !strcmp(path, ctlt_watch))
		ctlt_chmods++;
	return fchmodat(AT_FDCWD, path, mode, 0);
}

Test(ctl_sock, created_0600_without_chmod_by_path)
{
	char dir[] = "/tmp/ipop-ctlt.XXXXXX";
	struct daemon *d = calloc(1, sizeof(*d));
	struct ctl_server *s = NULL;
	mode_t old = umask(0);
	struct stat st;
	int err;

	cr_assert_not_null(d);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(ctlt_watch, sizeof(ctlt_watch), "%s/ctl.sock", dir);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	cr_assert_geq(d->epfd, 0);
	err = ctl_server_start(d, ctlt_watch, &s);
	cr_assert_eq(err, 0, "ctl_server_start: %s", strerror(-err));
	cr_assert_eq(umask(old), 0, "the process umask was left changed");
	cr_assert_eq(lstat(ctlt_watch, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_assert_eq(ctlt_chmods, 0, "chmod by path on the socket (follows symlinks)");
	ctl_server_stop(s);
	cr_assert_neq(access(ctlt_watch, F_OK), 0, "socket file left behind");
	daemon_loop_free(d);
	close(d->epfd);
	free(d);
	rmdir(dir);
}
