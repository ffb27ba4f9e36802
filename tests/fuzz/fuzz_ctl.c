// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the control socket: the real server (ctl.c: line
 * framing, JSON request parsing, dispatch, reply queue) on the real loop
 * (loop.c), fed each input as the bytes one client sends before it shuts
 * its side. One server per process; its long-lived connection comes
 * through its listening socket (accept), a connection per input is one
 * end of a socket pair handed to the server as accept does
 * (ctl_server_add_client), so that an input costs no connect/accept. The ops registered are those that need no BPF map: ping,
 * and table_add's argument parsing (the "tables" array and each table
 * through rule_from_json, as the daemon's op does before it touches a map).
 * Properties: one reply line per non-empty request line, each a JSON
 * object; malformed JSON and unknown ops get an error reply; the server
 * closes the connection after the last reply; nothing leaks (LSan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "daemon/daemon_int.h"
#include "flow/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

#define INPUT_MAX   8192
#define REPLY_MAX   (1 << 20)
#define PUMP_ROUNDS 100000

/* ---- what the server needs from the rest of the daemon ---- */

void daemon_log(struct daemon *d, enum log_level lvl, const char *fmt, ...)
{
	(void)d;
	(void)lvl;
	(void)fmt;
}

static json_t *op_ping(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)d;
	(void)req;
	(void)err;
	(void)errlen;
	return json_pack("{s:b}", "ok", 1);
}

/* table_add up to the first map access: the same checks, in the same order */
static json_t *op_table_add(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	json_t *tables = json_object_get(req, "tables"), *t;
	struct rule r;
	size_t i, n;

	(void)d;
	if (!json_is_array(tables) || !(n = json_array_size(tables)))
		return snprintf(err, errlen, "\"tables\" must be a non-empty array"), NULL;
	json_array_foreach(tables, i, t) {
		char why[200] = "";

		if (rule_from_json(&r, t, why, sizeof(why))) {
			CHECK(why[0]);
			snprintf(err, errlen, "tables[%zu]: %s", i, why);
			return NULL;
		}
	}
	return json_pack("{s:b, s:I}", "ok", 1, "added", (json_int_t)n);
}

static const struct ctl_op fz_ops[] = {
	{ "ping", op_ping },
	{ "table_add", op_table_add },
	{ NULL, NULL },
};

/* ---- the harness ---- */

static struct daemon d;
static struct ctl_server *srv;
static char sock_dir[32], sock_path[108];

static void teardown(void)
{
	ctl_server_stop(srv);
	daemon_loop_free(&d);
	close(d.epfd);
	rmdir(sock_dir);
}

static void setup(void)
{
	char err[256];

	if (srv)
		return;
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/ipop-fuzz-ctl.XXXXXX");
	CHECK(mkdtemp(sock_dir));
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", sock_dir);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(d.epfd >= 0);
	CHECK(ctl_table_add_ops(&d.ctl_ops, "fuzz", fz_ops, err, sizeof(err)) == 0);
	CHECK(ctl_server_start(&d, sock_path, &srv) == 0);
	d.ctl = srv; /* as the daemon does */
	atexit(teardown);
}

/* One round of the daemon's loop, without blocking. */
static void pump(void)
{
	struct epoll_event evs[64];
	int n = epoll_wait(d.epfd, evs, 64, 0);

	for (int i = 0; i < n; i++) {
		struct loop_fd *l = evs[i].data.ptr;

		if (!l->dead)
			l->cb(&d, l->fd, evs[i].events, l->arg);
	}
	while (d.dead_fds) {
		struct loop_fd *l = d.dead_fds;

		d.dead_fds = l->next;
		free(l);
	}
}

static size_t count_requests(const uint8_t *data, size_t size)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n') {
			n += i > start;
			start = i + 1;
		}
	return n; /* a last line without '\n' is never complete */
}

static void check_replies(char *buf, size_t len, size_t want)
{
	size_t got = 0;
	char *p = buf, *nl;

	CHECK(len == 0 || buf[len - 1] == '\n');
	while ((nl = memchr(p, '\n', len - (size_t)(p - buf)))) {
		json_t *j = json_loadb(p, (size_t)(nl - p), 0, NULL);

		CHECK(json_is_object(j));
		CHECK(json_object_get(j, "ok") || json_is_string(json_object_get(j, "error")));
		json_decref(j);
		got++;
		p = nl + 1;
	}
	CHECK(got == want);
}

/* A connection through the server's listening socket (accept_ready). */
static int client_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/* A connection of its own: one end of a socket pair, the other the server's. */
static int client_pair(void)
{
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(ctl_server_add_client(srv, sv[1]) == 0);
	return sv[0];
}

/*
 * Send data[0..size) on fd (then shut the write side if eof) while the
 * server runs; collect replies until want lines came back, or, with eof,
 * until the server closes. Returns the reply length.
 */
static size_t exchange(int fd, const uint8_t *data, size_t size, bool eof, size_t want, char *reply,
		       size_t cap)
{
	size_t off = 0, rlen = 0, lines = 0;
	bool closed = false, shut = false;

	for (int round = 0; round < PUMP_ROUNDS; round++) {
		ssize_t n;

		if (off < size) {
			n = send(fd, data + off, size - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
		}
		if (eof && off == size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		pump();
		while ((n = recv(fd, reply + rlen, cap - rlen, 0)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				lines += reply[rlen + (size_t)i] == '\n';
			rlen += (size_t)n;
		}
		CHECK(n >= 0 || errno == EAGAIN);
		CHECK(rlen < cap);
		closed = n == 0;
		if (eof ? closed : (off == size && lines >= want))
			break;
	}
	CHECK(eof ? closed : !closed); /* the server closes exactly after an end of input */
	return rlen;
}

/*
 * An input starting with a NUL byte is one whole connection: the rest is
 * sent and the write side shut; the server must answer and close. Any other
 * input goes down one long-lived connection, with a '\n' added at the end
 * so that no partial line carries over to the next input.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char reply[REPLY_MAX];
	static uint8_t buf[INPUT_MAX + 1];
	static int conn = -1;
	size_t rlen, want;
	int fd;

	if (size > INPUT_MAX)
		return 0;
	setup();
	if (size > 0 && data[0] == '\0') {
		want = count_requests(data + 1, size - 1);
		fd = client_pair();
		rlen = exchange(fd, data + 1, size - 1, true, want, reply, sizeof(reply));
		close(fd);
	} else {
		memcpy(buf, data, size);
		buf[size] = '\n';
		want = count_requests(buf, size + 1);
		if (conn < 0)
			conn = client_connect();
		rlen = exchange(conn, buf, size + 1, false, want, reply, sizeof(reply));
	}
	check_replies(reply, rlen, want);
	return 0;
}
