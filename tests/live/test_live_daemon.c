// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Live-daemon tests: an in-process daemon with its control socket (a Unix
 * socket in a temporary directory) and an ICC socket on loopback. Not unit
 * tests (sockets, a fixed loopback port): build/live-tests, run by
 * tests/run-all.sh as its own suite.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
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
#include "core/icc.h"
#include "core/id.h"
#include "core/module.h"
#include "core/node.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"
#include "daemon/keyfile.h"

#include "live/livecfg.h"

/* ---- the daemon runtime, in-process: config -> modules -> timers -> extension stop ---- */

static uint32_t dmt_order[8];
static uint64_t dmt_at[8];
static int dmt_fired, dmt_stopped, dmt_ext_ticks;
static uint64_t dmt_t0;

static int dmt_init(struct module *m, const json_t *params)
{
	(void)params;
	dmt_t0 = rt_now(m);
	rt_timer_arm(m, 1, 60 * 1000000ULL);
	rt_timer_arm(m, 2, 20 * 1000000ULL);
	rt_timer_arm(m, 3, 40 * 1000000ULL);
	rt_timer_cancel(m, 3);
	return 0;
}

static int dmt_timer(struct module *m, uint32_t id)
{
	if (dmt_fired < 8) {
		dmt_at[dmt_fired] = rt_now(m) - dmt_t0;
		dmt_order[dmt_fired++] = id;
	}
	if (id == 2)
		rt_timer_arm(m, 4, 10 * 1000000ULL); /* armed from a timer: fires at ~30 ms */
	return 0;
}

static int dmt_stop(struct module *m)
{
	(void)m;
	dmt_stopped++;
	return 0;
}

static const struct module_ops dmt_module = {
	.name = "dmt", .init = dmt_init, .timer = dmt_timer, .stop = dmt_stop
};

static void dmt_tick(struct daemon *d, void *arg)
{
	(void)arg;
	if (++dmt_ext_ticks == 10)
		daemon_stop(d);
}

static int dmt_ext_start(struct daemon *d)
{
	int fd = daemon_loop_add_timer(d, 10, dmt_tick, NULL);

	cr_assert_not_null(daemon_config(d));
	cr_assert_not_null(node_module(daemon_node(d), "dmt"));
	return fd < 0 ? fd : 0;
}

static const struct daemon_ext dmt_ext = { .name = "dmt-ext", .start = dmt_ext_start };

Test(live, daemon_runs_modules_timers_and_extensions, .init = cfgt_setup, .fini = cfgt_cleanup)
{
	char path[128], sock[128], body[512];
	struct daemon_opts o = { 0 };
	struct stat st;

	module_unregister_all_extra();
	cr_assert_eq(module_register(&dmt_module), 0);
	cr_assert_eq(daemon_register_ext(&dmt_ext), 0);
	cr_assert_eq(daemon_register_ext(&dmt_ext), -EEXIST);
	snprintf(path, sizeof(path), "%s/cfg.json", cfgt_dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", cfgt_dir);
	snprintf(body, sizeof(body),
		 CFGT_ID ", \"listen\": \"127.0.0.1:0\", \"modules\": {\"dmt\": {}}");
	cfgt_write(path, body);
	o.config = path;
	o.ctl_socket = sock;
	cr_assert_eq(daemon_run(&o), 0);
	cr_assert_eq(dmt_ext_ticks, 10);
	cr_assert_eq(dmt_stopped, 1);
	cr_assert_eq(dmt_fired, 3, "fired %d", dmt_fired);
	cr_assert_eq(dmt_order[0], 2);
	cr_assert_eq(dmt_order[1], 4);
	cr_assert_eq(dmt_order[2], 1);
	cr_assert_geq(dmt_at[0], 20 * 1000000ULL);
	cr_assert_geq(dmt_at[1], 30 * 1000000ULL);
	cr_assert_geq(dmt_at[2], 60 * 1000000ULL);
	cr_assert_neq(stat(sock, &st), 0, "control socket left behind");
	module_unregister_all_extra();
}

/* ---- control socket and ICC receive path against a live in-process daemon ---- */

#define LIVET_PORT 47890

struct livet {
	char sock[128];
	int failures;
	char why[512];
};

static void livet_fail(struct livet *t, const char *what, const char *got)
{
	if (!t->failures++)
		snprintf(t->why, sizeof(t->why), "%s: got '%.200s'", what, got ? got : "(nothing)");
}

/* One raw line on a fresh connection; the reply line (or "" if closed). */
static void livet_raw(const char *path, const char *line, size_t len, char *out, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = 0;

	out[0] = '\0';
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	/* the server may close before it read all of an over-long line: read the reply anyway */
	send(fd, line, len, MSG_NOSIGNAL);
	if (poll(&p, 1, 3000) == 1)
		n = recv(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
}

static json_int_t livet_stat(const char *path, const char *a, const char *b, const char *c)
{
	json_t *req = json_pack("{s:s}", "op", "stats"), *rep = NULL, *v;
	char err[256];
	json_int_t r = -1;

	if (!ctl_request(path, req, &rep, 3000, err, sizeof(err))) {
		v = json_object_get(json_object_get(rep, a), b);
		v = c ? json_object_get(v, c) : v;
		r = json_is_integer(v) ? json_integer_value(v) : -1;
	}
	json_decref(req);
	json_decref(rep);
	return r;
}

static void livet_send(const void *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(LIVET_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
}

/* A well-formed DATA datagram under a session the daemon never made. */
static void livet_udp(uint64_t sid)
{
	struct icc_hdr h = { .type = ICC_T_DATA, .module = "echo", .sid = sid, .seq = 7 };
	uint8_t buf[ICC_MAX_DGRAM], key[ICC_KEY_LEN] = { 9 };
	int n;

	id_parse("0000000000000000000000000000beef", h.src.b);
	cr_assert_eq(id_parse(cfgt_id, h.dst.b), 0);
	n = icc_seal(&h, "hi", 2, key, buf, sizeof(buf));
	livet_send(buf, (size_t)n);
}

static void livet_errors(struct livet *t)
{
	static const char *const cases[][2] = {
		{ "not json\n", "malformed JSON" },
		{ "{\"op\": \"nope\"}\n", "unknown op" },
		{ "{\"op\": 5}\n", "with a string" },
		{ "{\"op\": \"cmm_send\", \"to\": \"zz\", \"module\": \"echo\", \"payload\": "
		  "\"x\"}\n",
		  "'to'" },
		{ "{\"op\": \"cmm_send\", \"to\": [\"0000000000000000000000000000a002\"], "
		  "\"module\": \"echo\", \"payload\": 3}\n",
		  "must be strings" },
		{ "{\"op\": \"ping\"}\n", "\"ok\":true" },
	};
	char out[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		livet_raw(t->sock, cases[i][0], strlen(cases[i][0]), out, sizeof(out));
		if (!strstr(out, cases[i][1]))
			livet_fail(t, cases[i][0], out);
	}
}

static void livet_long_line(struct livet *t)
{
	size_t len = CTL_LINE_MAX + 100;
	char *line = malloc(len + 1), out[256];

	memset(line, 'a', len);
	line[len] = '\n';
	livet_raw(t->sock, line, len + 1, out, sizeof(out));
	/* the server must say why it closes: no reply at all is a failure too */
	if (!strstr(out, "request line too long"))
		livet_fail(t, "over-long line", out);
	free(line);
}

static void *livet_client(void *arg)
{
	struct livet *t = arg;
	uint8_t junk[100] = { 0x49, 0x43, 2, 3 }; /* a truncated handshake INIT */
	uint8_t v1[120] = { 0x49, 0x43, 1, 1 };	  /* ICC version 1 */
	json_int_t v = -1;

	livet_errors(t);
	livet_long_line(t);
	livet_udp(1);
	livet_udp(2);
	livet_send(junk, sizeof(junk));
	livet_send(v1, sizeof(v1));
	for (int i = 0; i < 100 && v != 2; i++, usleep(20000))
		v = livet_stat(t->sock, "icc", "rx_dropped", "no_session");
	if (v != 2)
		livet_fail(t, "no_session counter", "not 2");
	for (int i = 0; i < 100 && v != 1; i++, usleep(20000))
		v = livet_stat(t->sock, "handshake", "dropped", "wrong_dest");
	if (v != 1)
		livet_fail(t, "handshake wrong_dest counter", "not 1");
	if (livet_stat(t->sock, "icc", "rx_dropped", "malformed") != 1)
		livet_fail(t, "malformed counter", "not 1");
	if (livet_stat(t->sock, "echo", "received", NULL) != 0)
		livet_fail(t, "echo delivery without a session", "not 0");
	livet_errors(t); /* still serving */
	kill(getpid(), SIGTERM);
	return NULL;
}

static pthread_t livet_thread;
static struct livet livet_state;

static int livet_ext_start(struct daemon *d)
{
	(void)d;
	return -pthread_create(&livet_thread, NULL, livet_client, &livet_state);
}

static const struct daemon_ext livet_ext = { .name = "livet", .start = livet_ext_start };

Test(live, daemon_ctl_and_icc_drops, .init = cfgt_setup, .fini = cfgt_cleanup, .timeout = 30)
{
	char path[128], body[512];
	struct daemon_opts o = { 0 };

	cr_assert(sodium_init() >= 0);
	snprintf(path, sizeof(path), "%s/cfg.json", cfgt_dir);
	snprintf(livet_state.sock, sizeof(livet_state.sock), "%s/ctl.sock", cfgt_dir);
	snprintf(body, sizeof(body),
		 CFGT_ID ", \"listen\": \"127.0.0.1:%d\", "
			 "\"modules\": {\"cmm\": {}, \"echo\": {}}",
		 LIVET_PORT);
	cfgt_write(path, body);
	cr_assert_eq(daemon_register_ext(&livet_ext), 0);
	o.config = path;
	o.ctl_socket = livet_state.sock;
	cr_assert_eq(daemon_run(&o), 0);
	pthread_join(livet_thread, NULL);
	cr_assert_eq(livet_state.failures, 0, "%s", livet_state.why);
}

/* ---- a listen address that cannot be bound: the error names it ---- */

Test(live, listen_address_in_use_is_named, .init = cfgt_setup, .fini = cfgt_cleanup)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	char path[128], sock[128], body[512], logp[160], log[2048] = "", want[64];
	struct daemon_opts o = { 0 };
	int hold = socket(AF_INET, SOCK_DGRAM, 0), saved, lfd;
	FILE *f;

	/* a port of 127.0.0.1 that this test holds: the daemon cannot bind it */
	cr_assert_geq(hold, 0);
	cr_assert_eq(bind(hold, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(hold, (struct sockaddr *)&sa, &slen), 0);
	snprintf(path, sizeof(path), "%s/cfg.json", cfgt_dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", cfgt_dir);
	snprintf(logp, sizeof(logp), "%s/stderr.log", cfgt_dir);
	snprintf(body, sizeof(body), CFGT_ID ", \"listen\": \"127.0.0.1:%u\", \"modules\": {}",
		 ntohs(sa.sin_port));
	cfgt_write(path, body);
	o.config = path;
	o.ctl_socket = sock;
	/* the daemon reports on stderr: catch it in a file */
	fflush(stderr);
	saved = dup(2);
	lfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(lfd, 0);
	dup2(lfd, 2);
	close(lfd);
	int rc = daemon_run(&o);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(hold);
	f = fopen(logp, "r");
	cr_assert_not_null(f);
	log[fread(log, 1, sizeof(log) - 1, f)] = 0;
	fclose(f);
	unlink(logp);
	cr_assert_neq(rc, 0, "the daemon started on a port in use");
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%u: Address already in use",
		 ntohs(sa.sin_port));
	cr_assert(strstr(log, want), "want '%s' in: %s", want, log);
}
