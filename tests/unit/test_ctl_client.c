// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The one control-socket client (cli/ctl_client.h): the exchange over a
 * socketpair (good, bad, missing, late and oversized replies), no daemon at
 * a path, and what a reply means.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/ctl_client.h"
#include "daemon/ctl.h"

TestSuite(ctl_client);

static int ctlt_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	return 0;
}

/* Exchange {"op":"ping"} on sv[0] with `peer` already written by the other end. */
static int ctlt_exchange(const char *peer, bool close_peer, json_t **rep, char *err, size_t len)
{
	json_t *req = json_pack("{s:s}", "op", "ping");
	char got[64] = "";
	int sv[2], ret;
	ssize_t n;

	ctlt_pair(sv);
	if (peer)
		cr_assert_eq(write(sv[1], peer, strlen(peer)), (ssize_t)strlen(peer));
	if (close_peer)
		shutdown(sv[1], SHUT_WR);
	ret = ctl_exchange(sv[0], "test", req, rep, 200, err, len);
	n = read(sv[1], got, sizeof(got) - 1);
	cr_assert_gt(n, 0);
	got[n] = 0;
	cr_assert_str_eq(got, "{\"op\":\"ping\"}\n", "the request, one line");
	close(sv[0]);
	close(sv[1]);
	json_decref(req);
	return ret;
}

Test(ctl_client, good_reply)
{
	json_t *rep = NULL;
	char err[256] = "";

	cr_assert_eq(ctlt_exchange("{\"ok\":true}\n", false, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
}

Test(ctl_client, bad_reply_is_ebadmsg)
{
	json_t *rep = (void *)1;
	char err[256] = "";

	cr_assert_eq(ctlt_exchange("not json\n", false, &rep, err, sizeof(err)), -EBADMSG);
	cr_assert_null(rep);
	cr_assert(strstr(err, "test: bad reply"), "%s", err);
}

Test(ctl_client, closed_without_reply)
{
	json_t *rep = NULL;
	char err[256] = "";

	cr_assert_eq(ctlt_exchange(NULL, true, &rep, err, sizeof(err)), -ECONNRESET);
	cr_assert(strstr(err, "test: no reply"), "%s", err);
	cr_assert_null(rep);
}

Test(ctl_client, half_a_line_then_close)
{
	json_t *rep = NULL;
	char err[256] = "";

	cr_assert_eq(ctlt_exchange("{\"ok\":", true, &rep, err, sizeof(err)), -ECONNRESET);
	cr_assert_null(rep);
}

Test(ctl_client, silent_server_times_out)
{
	json_t *rep = NULL;
	char err[256] = "";

	cr_assert_eq(ctlt_exchange(NULL, false, &rep, err, sizeof(err)), -ETIMEDOUT);
	cr_assert(strstr(err, "no reply"), "%s", err);
}

static void *ctlt_flood(void *arg)
{
	int fd = *(int *)arg;
	size_t left = (size_t)CTL_REPLY_MAX + 4096;
	char buf[4096];

	memset(buf, 'a', sizeof(buf));
	while (left) {
		ssize_t n = write(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n <= 0)
			break;
		left -= (size_t)n;
	}
	return NULL;
}

Test(ctl_client, reply_without_newline_is_bounded)
{
	json_t *req = json_pack("{s:s}", "op", "ping"), *rep = NULL;
	char err[256] = "";
	pthread_t t;
	int sv[2];

	ctlt_pair(sv);
	cr_assert_eq(pthread_create(&t, NULL, ctlt_flood, &sv[1]), 0);
	cr_assert_eq(ctl_exchange(sv[0], "test", req, &rep, 2000, err, sizeof(err)), -EMSGSIZE);
	cr_assert_null(rep);
	close(sv[0]); /* the writer stops on EPIPE */
	pthread_join(t, NULL);
	close(sv[1]);
	json_decref(req);
}

Test(ctl_client, no_daemon)
{
	json_t *req = json_pack("{s:s}", "op", "ping"), *rep = (void *)1;
	char err[256] = "", why[256] = "";
	int st = 99;

	cr_assert_eq(ctl_request("/nonexistent/ipop.sock", req, &rep, 100, err, sizeof(err)),
		     -ENOENT);
	cr_assert_null(rep);
	cr_assert(strstr(err, "/nonexistent/ipop.sock") && strstr(err, "is the daemon running?"),
		  "%s", err);
	cr_assert_null(ctl_ask("/nonexistent/ipop.sock", req, 100, 0, why, sizeof(why), &st));
	cr_assert_eq(st, CTL_ASK_NO_ANSWER);
	cr_assert_str_eq(why, err, "ctl_ask says what ctl_request said");
	json_decref(req);
}

Test(ctl_client, path_too_long)
{
	json_t *req = json_pack("{s:s}", "op", "ping"), *rep = NULL;
	char path[200], err[256] = "";

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	cr_assert_eq(ctl_request(path, req, &rep, 100, err, sizeof(err)), -ENAMETOOLONG);
	cr_assert(strstr(err, "path too long"), "%s", err);
	json_decref(req);
}

Test(ctl_client, what_a_reply_means)
{
	json_t *ok = json_pack("{s:b}", "ok", 1),
	       *refused = json_pack("{s:s}", "error", "no table"),
	       *odd = json_pack("{s:i}", "error", 5), *arr = json_array();
	char why[128] = "";

	cr_assert_eq(ctl_reply_status("s", ok, why, sizeof(why)), CTL_ASK_OK);
	cr_assert_eq(ctl_reply_status("s", refused, why, sizeof(why)), CTL_ASK_REFUSED);
	cr_assert_str_eq(why, "no table");
	cr_assert_eq(ctl_reply_status("s", odd, why, sizeof(why)), CTL_ASK_REFUSED);
	cr_assert_str_eq(why, "error");
	cr_assert_eq(ctl_reply_status("s", arr, why, sizeof(why)), CTL_ASK_NO_ANSWER);
	cr_assert_str_eq(why, "s: bad reply: not a JSON object");
	cr_assert_eq(ctl_reply_status("s", NULL, why, sizeof(why)), CTL_ASK_NO_ANSWER);
	json_decref(ok);
	json_decref(refused);
	json_decref(odd);
	json_decref(arr);
}
