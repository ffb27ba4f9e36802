// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Control-server limits against a live in-process daemon: pipelined
 * requests, back-pressure, idle connections, replies larger than any fixed
 * buffer. Each test runs its client in a thread started by an extension and
 * stops the daemon with SIGTERM when done.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/ctl_client.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"
#include "live/livecfg.h"

static char lc_dir[64], lc_sock[100];
static int lc_failures;
static char lc_why[512];
static void *(*lc_body)(void *);
static pthread_t lc_thread;

#define LC_FAIL(...)                                                   \
	do {                                                           \
		if (!lc_failures++)                                    \
			snprintf(lc_why, sizeof(lc_why), __VA_ARGS__); \
	} while (0)

static uint64_t lc_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int lc_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, lc_sock, strnlen(lc_sock, sizeof(lc_sock) - 1));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A test op whose reply is ~n*100 bytes: {"items": [n strings]} */
static json_t *op_big(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	json_int_t n = json_integer_value(json_object_get(req, "n"));
	json_t *arr = json_array();
	char item[128];

	(void)d, (void)err, (void)errlen;
	memset(item, 'x', sizeof(item) - 1);
	item[90] = '\0';
	for (json_int_t i = 0; i < n; i++) {
		char num[24];

		snprintf(num, sizeof(num), "%010lld", (long long)i % 10000000000LL);
		memcpy(item, num, 10);
		json_array_append_new(arr, json_string(item));
	}
	return json_pack("{s:o, s:I}", "items", arr, "n", n);
}

/* A test op deferred over 50 steps of 20 ms each (1 s in all). */
static int lc_steps_run;

static json_t *slow_step(struct daemon *d, void *state, bool *done, char *err, size_t errlen)
{
	int *left = state;

	(void)d, (void)err, (void)errlen;
	usleep(20000);
	lc_steps_run++;
	*done = --*left == 0;
	return *done ? json_pack("{s:b, s:s}", "ok", 1, "slow", "done") : NULL;
}

static json_t *op_slow(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	int *left = malloc(sizeof(*left));

	(void)d, (void)req;
	if (!left)
		return NULL;
	*left = 50;
	if (ctl_defer(slow_step, left, free)) {
		free(left);
		return snprintf(err, errlen, "out of memory"), NULL;
	}
	return NULL;
}

static const struct ctl_op lc_ops[] = { { "lc_big", op_big },
					{ "lc_slow", op_slow },
					{ NULL, NULL } };

static int lc_start(struct daemon *d)
{
	(void)d;
	return -pthread_create(&lc_thread, NULL, lc_body, NULL);
}

static const struct daemon_ext lc_ext = { .name = "lc", .start = lc_start, .ctl_ops = lc_ops };

static void lc_run(void *(*body)(void *))
{
	char path[128];
	struct daemon_opts o = { 0 };

	cr_assert(sodium_init() >= 0);
	cfgt_setup();
	snprintf(lc_dir, sizeof(lc_dir), "%s", cfgt_dir);
	snprintf(path, sizeof(path), "%s/cfg.json", lc_dir);
	snprintf(lc_sock, sizeof(lc_sock), "%s/ctl.sock", lc_dir);
	cfgt_write(path, CFGT_ID ", \"listen\": \"127.0.0.1:0\", \"modules\": {}");
	lc_body = body;
	cr_assert_eq(daemon_register_ext(&lc_ext), 0);
	o.config = path;
	o.ctl_socket = lc_sock;
	cr_assert_eq(daemon_run(&o), 0);
	pthread_join(lc_thread, NULL);
	cfgt_cleanup();
	cr_assert_eq(lc_failures, 0, "%s", lc_why);
}

/* Count reply lines on fd until `want` arrived or deadline_ms passed. */
static long lc_count_lines(int fd, long want, uint64_t deadline_ms, long *pongs)
{
	static char buf[65536];
	long lines = 0;

	while (lines < want && lc_ms() < deadline_ms) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		if (pongs && memmem(buf, (size_t)n, "\"ok\":true", 9))
			(*pongs)++;
	}
	return lines;
}

/* ---- defect 4: pipelined requests, read as they come and read late ---- */

#define LC_PINGS 20000

static void *pipeline_body(void *arg)
{
	static const char ping[] = "{\"op\":\"ping\"}\n";
	int fd = lc_connect();
	long got = 0, sent = 0;
	uint64_t end = lc_ms() + 20000;
	static char buf[65536];

	(void)arg;
	if (fd < 0) {
		LC_FAIL("connect: %s", strerror(errno));
		goto out;
	}
	/* interleaved: write as much as the socket takes, read whatever came */
	while ((sent < LC_PINGS || got < LC_PINGS) && lc_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < LC_PINGS ? POLLOUT : 0) };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		if (p.revents & POLLOUT) {
			n = send(fd, ping, sizeof(ping) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n == (ssize_t)sizeof(ping) - 1)
				sent++;
			else if (n > 0)
				send(fd, ping + n, sizeof(ping) - 1 - (size_t)n, MSG_NOSIGNAL),
					sent++;
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0)
				break;
			for (ssize_t i = 0; i < n; i++)
				got += buf[i] == '\n';
		}
	}
	if (got != LC_PINGS)
		LC_FAIL("interleaved: sent %ld pings, got %ld replies", sent, got);
	close(fd);

	/* write-ahead: 20,000 pings sent before reading anything (the server must
	 * stop reading, not drop us), then all replies are read */
	fd = lc_connect();
	if (fd < 0) {
		LC_FAIL("connect: %s", strerror(errno));
		goto out;
	}
	{
		struct timeval tv = { .tv_sec = 2 };
		size_t total = (sizeof(ping) - 1) * LC_PINGS, off = 0;
		char *all = malloc(total);

		for (int i = 0; i < LC_PINGS; i++)
			memcpy(all + (size_t)i * (sizeof(ping) - 1), ping, sizeof(ping) - 1);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		while (off < total) {
			ssize_t n = send(fd, all + off, total - off, MSG_NOSIGNAL);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
		free(all);
		/* the rest may still sit in our send buffer: reading drains both ways */
		got = lc_count_lines(fd, LC_PINGS, lc_ms() + 20000, NULL);
		if (got != LC_PINGS)
			LC_FAIL("write-ahead: wrote %zu of %zu bytes, got %ld replies", off, total,
				got);
	}
	close(fd);
out:
	kill(getpid(), SIGTERM);
	return NULL;
}

Test(live_ctl, pipelined_requests_all_answered, .timeout = 60)
{
	lc_run(pipeline_body);
}

/* ---- defect 5: idle connections do not lock others out ---- */

#define LC_IDLE 200

static json_t *lc_ask(const char *op, int timeout_ms, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "op", op), *rep = NULL;

	ctl_request(lc_sock, req, &rep, timeout_ms, err, errlen);
	json_decref(req);
	return rep;
}

static void *idle_body(void *arg)
{
	int fds[LC_IDLE], n = 0, closed = 0;
	char err[256] = "";
	json_t *rep;
	uint64_t t0;

	(void)arg;
	for (int i = 0; i < LC_IDLE; i++) {
		fds[i] = lc_connect();
		n += fds[i] >= 0;
	}
	if (n != LC_IDLE)
		LC_FAIL("only %d of %d idle connections connected", n, LC_IDLE);
	/* one more, well-behaved: answered at once, though 200 sit idle */
	t0 = lc_ms();
	rep = lc_ask("ping", 2000, err, sizeof(err));
	if (!json_is_true(json_object_get(rep, "ok")))
		LC_FAIL("ping with %d idle connections: %s", LC_IDLE, err);
	json_decref(rep);
	if (lc_ms() - t0 > 1000)
		LC_FAIL("ping took %llu ms", (unsigned long long)(lc_ms() - t0));
	/* and the idle ones are closed after IPOP_CTL_IDLE_MS (500 ms here) */
	usleep(1500 * 1000);
	for (int i = 0; i < LC_IDLE; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		char c;

		if (fds[i] >= 0 && poll(&p, 1, 0) == 1 && recv(fds[i], &c, 1, MSG_DONTWAIT) == 0)
			closed++;
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (closed != LC_IDLE)
		LC_FAIL("%d of %d idle connections closed after the idle timeout", closed, LC_IDLE);
	/* a busy client is not idle: 3 s of a request every 100 ms on one connection */
	{
		int fd = lc_connect(), ok = 0;

		for (int i = 0; i < 30 && fd >= 0; i++, usleep(100 * 1000)) {
			json_t *req = json_pack("{s:s}", "op", "ping");

			if (!ctl_exchange(fd, "busy", req, &rep, 2000, err, sizeof(err)))
				ok++;
			json_decref(req);
			json_decref(rep);
			rep = NULL;
		}
		if (ok != 30)
			LC_FAIL("busy client: %d of 30 answered (%s)", ok, err);
		if (fd >= 0)
			close(fd);
	}
	kill(getpid(), SIGTERM);
	return NULL;
}

Test(live_ctl, idle_connections_do_not_lock_out, .timeout = 60)
{
	setenv("IPOP_CTL_IDLE_MS", "500", 1);
	lc_run(idle_body);
}

/* ---- defect 3: a reply far over any fixed buffer (~30 MB) is delivered whole ---- */

#define LC_BIG 300000

static void *big_body(void *arg)
{
	json_t *req = json_pack("{s:s, s:i}", "op", "lc_big", "n", LC_BIG), *rep = NULL, *items;
	char err[256] = "";
	int fd = lc_connect();

	(void)arg;
	/* two big replies and a ping pipelined on one connection */
	for (int round = 0; round < 2 && fd >= 0; round++) {
		if (ctl_exchange(fd, "big", req, &rep, 10000, err, sizeof(err))) {
			LC_FAIL("big reply %d: %s", round, err);
			break;
		}
		items = json_object_get(rep, "items");
		if (json_array_size(items) != LC_BIG ||
		    strncmp(json_string_value(json_array_get(items, LC_BIG - 1)), "0000299999", 10))
			LC_FAIL("big reply %d: %zu items", round, json_array_size(items));
		json_decref(rep);
		rep = NULL;
	}
	json_decref(req);
	if (fd >= 0)
		close(fd);
	rep = lc_ask("ping", 2000, err, sizeof(err));
	if (!json_is_true(json_object_get(rep, "ok")))
		LC_FAIL("ping after big replies: %s", err);
	json_decref(rep);
	kill(getpid(), SIGTERM);
	return NULL;
}

Test(live_ctl, big_reply_delivered_whole, .timeout = 60)
{
	lc_run(big_body);
}

/* ---- a request over the limit: a clear error from the client, nothing sent ---- */

Test(live_ctl, request_over_limit_refused_by_client)
{
	json_t *req = json_pack("{s:s}", "op", "table_add");
	char *big = malloc(CTL_LINE_MAX + 10), err[256] = "";
	json_t *rep = NULL;
	int sv[2];

	memset(big, 'a', CTL_LINE_MAX + 9);
	big[CTL_LINE_MAX + 9] = '\0';
	json_object_set_new(req, "x", json_string(big));
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(ctl_exchange(sv[0], "t", req, &rep, 100, err, sizeof(err)), -EMSGSIZE);
	cr_assert(strstr(err, "over the control socket's request limit"), "%s", err);
	close(sv[0]);
	close(sv[1]);
	free(big);
	json_decref(req);
}

/* ---- defect 2: work deferred over loop turns; others are answered meanwhile ---- */

static void *slow_body(void *arg)
{
	static const char two[] = "{\"op\":\"lc_slow\"}\n{\"op\":\"ping\"}\n";
	int fd = lc_connect(), pings = 0;
	uint64_t worst = 0, t0 = lc_ms();
	char buf[256] = "", err[256] = "";
	size_t len = 0;

	(void)arg;
	if (fd < 0 || send(fd, two, sizeof(two) - 1, MSG_NOSIGNAL) != sizeof(two) - 1) {
		LC_FAIL("slow client: %s", strerror(errno));
		goto out;
	}
	/* while the 1 s job runs: pings on other connections, each answered quickly */
	while (lc_ms() - t0 < 800) {
		uint64_t a = lc_ms();
		json_t *rep = lc_ask("ping", 2000, err, sizeof(err));

		if (json_is_true(json_object_get(rep, "ok")))
			pings++;
		json_decref(rep);
		worst = lc_ms() - a > worst ? lc_ms() - a : worst;
		usleep(20000);
	}
	/* generous bound for a loaded 2-core machine: one step is 20 ms */
	if (pings < 10 || worst > 250)
		LC_FAIL("during deferred work: %d pings, slowest %llu ms", pings,
			(unsigned long long)worst);
	/* the slow reply, then the pipelined ping, in order */
	while (lc_ms() - t0 < 10000 &&
	       !(strchr(buf, '\n') && strchr(buf, '\n') != strrchr(buf, '\n'))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (len + 1 >= sizeof(buf))
			break;
	}
	if (!strstr(buf, "\"slow\":\"done\"") || strstr(buf, "pong") ||
	    strchr(buf, '\n') == strrchr(buf, '\n'))
		LC_FAIL("slow client got '%s'", buf);
	else if (strstr(buf, "\"slow\"") > strrchr(buf, '{'))
		LC_FAIL("replies out of order: '%s'", buf);
	if (lc_steps_run != 50)
		LC_FAIL("%d steps ran", lc_steps_run);
	close(fd);
out:
	kill(getpid(), SIGTERM);
	return NULL;
}

Test(live_ctl, deferred_work_does_not_block_others, .timeout = 60)
{
	lc_run(slow_body);
}
