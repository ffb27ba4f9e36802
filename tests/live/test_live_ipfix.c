// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The IPFIX exporter thread over UDP and TCP on loopback, against a
 * collector made here with libfixbuf's decoder: every record arrives once,
 * templates first on every connection and every N UDP messages, a collector
 * that closes loses nothing, one that is not there makes the exporter retry
 * with backoff while records wait (bounded, overflow counted) and the sink
 * never waits; a collector name that does not resolve fails at start.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flow/ipfix.h"
#include "ipfix_fixtures.h"

/* ---- the exporter on loopback ---- */

static int listen_on(int type, char *port, size_t plen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;

	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	snprintf(port, plen, "%u", ntohs(a.sin_port));
	return fd;
}

static struct ipfix *exporter_tm(int transport, const char *port, unsigned int queue_max,
				 unsigned int template_msgs)
{
	struct ipfix_cfg c = { .transport = transport,
			       .domain = 7,
			       .queue_max = queue_max,
			       .export_interval_ms = 20,
			       .backoff_max_ms = 200,
			       .template_msgs = template_msgs };
	char err[256];
	struct ipfix *x;

	snprintf(c.host, sizeof(c.host), "127.0.0.1");
	snprintf(c.port, sizeof(c.port), "%s", port);
	x = ipfix_new(&c, err, sizeof(err));
	cr_assert_not_null(x, "ipfix_new: %s", err);
	cr_assert_eq(ipfix_start(x), 0);
	return x;
}

static struct ipfix *exporter(int transport, const char *port, unsigned int queue_max)
{
	return exporter_tm(transport, port, queue_max, 0);
}

/*
 * Counters once records_sent reached n: the thread counts a message after
 * send() returns, which can be after the collector has read it (bounded).
 */
static void counters_at(struct ipfix *x, uint64_t n, struct ipfix_counters *c)
{
	for (int i = 0; i < 300; i++) {
		ipfix_counters(x, c);
		if (c->records_sent >= n)
			return;
		usleep(10000);
	}
}

static void feed(struct ipfix *x, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		struct stats_ended e = ended4();

		e.key.sport = (uint16_t)(10000 + i);
		e.val.packets = (uint64_t)i + 1;
		if (i % 2)
			e.key.l3 = FLOW_L3_IPV6;
		ipfix_sink(x, &e);
	}
}

/* Read one whole message from a stream (or a datagram); 0 on timeout/EOF. */
static size_t read_msg(int fd, bool stream, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0, want = 4;

	if (!stream) {
		if (poll(&p, 1, timeout_ms) != 1)
			return 0;
		ssize_t n = recv(fd, buf, cap, 0);
		return n > 0 ? (size_t)n : 0;
	}
	while (got < want) {
		if (poll(&p, 1, timeout_ms) != 1)
			return 0;
		ssize_t n = recv(fd, buf + got, want - got, 0);
		if (n <= 0)
			return 0;
		got += n;
		if (got == 4) {
			want = rd16(buf + 2);
			cr_assert_geq(want, 16);
			cr_assert_leq(want, cap);
		}
	}
	return got;
}

/* Messages until `want` data records arrived; checks templates come first. */
static void collect(int fd, bool stream, struct ipfix_dec *dec, int want, bool *seen_port)
{
	static uint8_t buf[65536];
	struct ipfix_rec r[512];
	char err[256];
	int got = 0;

	for (int guard = 0; got < want && guard < 200; guard++) {
		size_t n = read_msg(fd, stream, buf, sizeof(buf), 3000);

		cr_assert_gt(n, 0, "no message (have %d of %d records)", got, want);
		cr_assert_eq(rd16(buf), 10);
		cr_assert_eq(rd32(buf + 12), 7, "observation domain");
		int k = ipfix_dec_msg(dec, buf, n, r, NULL, 512, err, sizeof(err));
		cr_assert_geq(k, 0, "%s", err);
		for (int i = 0; i < k; i++) {
			int idx = r[i].sport - 10000;

			cr_assert(idx >= 0 && idx < 1000, "sport %u", r[i].sport);
			cr_assert_eq(r[i].packets, (uint64_t)idx + 1, "a template was missing");
			cr_assert(!seen_port[idx], "record %d twice", idx);
			seen_port[idx] = true;
		}
		got += k;
	}
	cr_assert_eq(got, want);
}

Test(ipfix, export_udp)
{
	char port[16], err[256];
	int fd = listen_on(SOCK_DGRAM, port, sizeof(port));
	struct ipfix *x = exporter(IPFIX_UDP, port, 1000);
	struct ipfix_dec *dec = ipfix_dec_new(err, sizeof(err));
	struct ipfix_counters c;
	bool seen[1000] = { false };

	feed(x, 0, 300);
	collect(fd, false, dec, 300, seen);
	counters_at(x, 300, &c);
	cr_assert_eq(c.records_queued, 300);
	cr_assert_eq(c.records_sent, 300);
	cr_assert_eq(c.records_dropped + c.records_lost, 0);
	cr_assert_geq(c.templates_sent, 1);
	cr_assert_gt(c.messages_sent, 5, "1400-byte datagrams: many");
	ipfix_free(x);
	ipfix_dec_free(dec);
	close(fd);
}

/* TCP: the collector closes; nothing queued is lost; templates again on the new connection. */
Test(ipfix, export_tcp_collector_closes)
{
	char port[16], err[256];
	int lfd = listen_on(SOCK_STREAM, port, sizeof(port)), cfd;
	struct ipfix *x = exporter(IPFIX_TCP, port, 1000);
	struct ipfix_dec *dec = ipfix_dec_new(err, sizeof(err));
	struct ipfix_counters c;
	bool seen[1000] = { false };
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	feed(x, 0, 200);
	cr_assert_eq(poll(&p, 1, 3000), 1, "no connection");
	cfd = accept(lfd, NULL, NULL);
	collect(cfd, true, dec, 200, seen);
	close(cfd); /* collector goes away */
	usleep(100000);
	feed(x, 200, 300); /* queued while it is away */
	ipfix_dec_free(dec);
	dec = ipfix_dec_new(err, sizeof(err)); /* a new collector knows no templates */
	cr_assert_eq(poll(&p, 1, 3000), 1, "no reconnection");
	cfd = accept(lfd, NULL, NULL);
	collect(cfd, true, dec, 300, seen);
	counters_at(x, 500, &c);
	cr_assert_eq(c.records_sent, 500);
	cr_assert_eq(c.connects, 2);
	cr_assert_eq(c.templates_sent, 2, "once per connection");
	cr_assert_eq(c.records_dropped + c.records_lost, 0);
	ipfix_free(x);
	ipfix_dec_free(dec);
	close(cfd);
	close(lfd);
}

/* Nobody listens: connects fail and back off, records wait, the sink never blocks. */
Test(ipfix, export_tcp_unreachable_bounded)
{
	char port[16];
	int lfd = listen_on(SOCK_STREAM, port, sizeof(port));
	struct ipfix *x;
	struct ipfix_counters c;
	struct timespec t0, t1;
	char err[512];

	close(lfd); /* the port is now closed */
	x = exporter(IPFIX_TCP, port, 100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	feed(x, 0, 250);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt((t1.tv_sec - t0.tv_sec) * 1000000000ll + t1.tv_nsec - t0.tv_nsec, 100000000ll,
		     "the sink must not wait for the collector");
	usleep(700000);
	ipfix_counters(x, &c);
	cr_assert_eq(c.records_queued, 100);
	cr_assert_eq(c.records_dropped, 150, "overflow counted");
	cr_assert_eq(c.queue_len, 100, "records wait for the collector");
	cr_assert_eq(c.records_sent, 0);
	cr_assert_geq(c.connect_failures, 2, "retried");
	cr_assert_leq(c.connect_failures, 10, "with backoff (100, 200, 200... ms)");
	ipfix_last_error(x, err, sizeof(err));
	cr_assert(strstr(err, "refused"), "last error: %s", err);
	ipfix_free(x); /* does not hang */
}

Test(ipfix, unresolvable_collector)
{
	struct ipfix_cfg c = { .transport = IPFIX_UDP };
	char err[256] = "";

	snprintf(c.host, sizeof(c.host), "collector.invalid");
	snprintf(c.port, sizeof(c.port), "4739");
	cr_assert_null(ipfix_new(&c, err, sizeof(err)));
	cr_assert(strstr(err, "collector.invalid"), "error names the host: %s", err);
}

/* UDP: templates again every template_msgs messages (a collector that started late learns them). */
Test(ipfix, export_udp_template_every_n_messages)
{
	char port[16];
	int fd = listen_on(SOCK_DGRAM, port, sizeof(port));
	struct ipfix *x = exporter_tm(IPFIX_UDP, port, 1000, 3);
	static uint8_t buf[65536];
	int data_msgs = 0, tmpl_msgs = 0, since = 0, worst = 0;

	feed(x, 0, 400);
	for (int guard = 0; guard < 400; guard++) {
		size_t n = read_msg(fd, false, buf, sizeof(buf), 1000);

		if (!n)
			break;
		if (rd16(buf + 16) == 2) { /* first set: a template set */
			tmpl_msgs++;
			since = 0;
		} else {
			data_msgs++;
			since++;
			worst = since > worst ? since : worst;
		}
	}
	cr_assert_gt(data_msgs, 10);
	cr_assert_leq(worst, 3, "%d data messages without templates in between", worst);
	cr_assert_geq(tmpl_msgs, data_msgs / 3);
	ipfix_free(x);
	close(fd);
}
