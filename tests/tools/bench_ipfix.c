// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Cost of the IPFIX exporter (user/flow/ipfix*.c): feed ended flows through
 * ipfix_sink() at a fixed rate (as the statistics thread would, in one burst
 * per 1 s pass by default) for some seconds, the exporter sending over UDP to
 * a socket on loopback that a third thread drains. Prints records/s sent and
 * the CPU time of the exporter thread (process CPU minus the feeder's and the
 * drain's own thread CPU), as a share of one CPU and per record.
 *
 * Usage: bench_ipfix [--rate N] [--seconds S] [--tcp] [--md FILE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flow/ipfix.h"

static volatile int stop_drain;
static uint64_t drain_cpu_ns;

static uint64_t ts_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void *drain(void *arg)
{
	int fd = *(int *)arg, c = -1;
	static char buf[65536];
	struct timeval tv = { 0, 100000 };
	int type;
	socklen_t tl = sizeof(type);

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
	if (type == SOCK_STREAM) {
		c = accept(fd, NULL, NULL);
		fd = c;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!stop_drain)
		if (recv(fd, buf, sizeof(buf), 0) < 0 && errno != EAGAIN && errno != EINTR)
			break;
	drain_cpu_ns = ts_ns(CLOCK_THREAD_CPUTIME_ID);
	if (c >= 0)
		close(c);
	return NULL;
}

static uint64_t proc_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

int main(int argc, char **argv)
{
	unsigned long rate = 100000, secs = 5;
	int tcp = 0, fd, one = 1;
	const char *md = NULL;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct ipfix_cfg cfg = { .queue_max = 1 << 20 };
	struct ipfix_counters c;
	struct ipfix *x;
	pthread_t dt;
	char err[512];
	uint64_t t0, cpu0, feed_cpu, wall, exp_cpu;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--tcp"))
			tcp = 1;
		else if (!strcmp(argv[i], "--md") && i + 1 < argc)
			md = argv[++i];
		else
			return fprintf(stderr,
				       "usage: bench_ipfix [--rate N] [--seconds S] [--tcp] "
				       "[--md FILE]\n"),
			       2;
	}
	if (!rate || !secs || secs > 600)
		return fprintf(stderr, "bench_ipfix: bad rate or seconds\n"), 2;
	fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || (tcp && listen(fd, 1)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		return perror("bench_ipfix: socket"), 1;
	snprintf(cfg.host, sizeof(cfg.host), "127.0.0.1");
	snprintf(cfg.port, sizeof(cfg.port), "%u", ntohs(a.sin_port));
	cfg.transport = tcp ? IPFIX_TCP : IPFIX_UDP;
	x = ipfix_new(&cfg, err, sizeof(err));
	if (!x)
		return fprintf(stderr, "bench_ipfix: %s\n", err), 1;
	pthread_create(&dt, NULL, drain, &fd);
	if (ipfix_start(x))
		return fprintf(stderr, "bench_ipfix: cannot start\n"), 1;
	usleep(200000);
	t0 = ts_ns(CLOCK_MONOTONIC);
	cpu0 = proc_cpu_ns();
	uint64_t fcpu0 = ts_ns(CLOCK_THREAD_CPUTIME_ID);
	for (unsigned long s = 0; s < secs; s++) {
		/* one statistics pass per second: `rate` flows end at once */
		for (unsigned long i = 0; i < rate; i++) {
			struct stats_ended e = { .reason = STATS_END_IDLE };

			e.key.l3 = FLOW_L3_IPV4;
			e.key.proto = 17;
			e.key.ifindex = 2;
			e.key.sport = (uint16_t)i;
			e.key.dport = 53;
			e.key.src[0] = 10;
			e.key.src[2] = (uint8_t)(i >> 8);
			e.key.src[3] = (uint8_t)i;
			e.key.dst[0] = 192;
			e.val.packets = 2;
			e.val.bytes = 180;
			e.val.l2_len = 14;
			e.val.first_seen_ns = t0;
			e.val.last_seen_ns = t0 + i;
			ipfix_sink(x, &e);
		}
		uint64_t next = t0 + (s + 1) * 1000000000ull, now = ts_ns(CLOCK_MONOTONIC);
		if (next > now)
			usleep((next - now) / 1000);
	}
	feed_cpu = ts_ns(CLOCK_THREAD_CPUTIME_ID) - fcpu0;
	for (int i = 0; i < 500; i++) { /* let it finish what is queued (bounded: 5 s) */
		ipfix_counters(x, &c);
		if (!c.queue_len)
			break;
		usleep(10000);
	}
	wall = ts_ns(CLOCK_MONOTONIC) - t0;
	stop_drain = 1;
	pthread_join(dt, NULL);
	exp_cpu = proc_cpu_ns() - cpu0 - feed_cpu - drain_cpu_ns;
	ipfix_counters(x, &c);
	ipfix_free(x);
	close(fd);
	double rps = c.records_sent * 1e9 / wall;
	printf("| IPFIX exporter, %s, %lu ended flows/s | %.0f records/s sent | %.1f%% of a CPU | "
	       "%.0f ns/record | %llu dropped, %llu lost, %llu messages |\n",
	       tcp ? "TCP" : "UDP", rate, rps, 100.0 * exp_cpu / wall,
	       c.records_sent ? (double)exp_cpu / c.records_sent : 0,
	       (unsigned long long)c.records_dropped, (unsigned long long)c.records_lost,
	       (unsigned long long)c.messages_sent);
	if (md) {
		FILE *f = fopen(md, "a");

		if (f) {
			fprintf(f,
				"| IPFIX exporter, %s, %lu ended flows/s | %.0f records/s | %.1f%% "
				"of a CPU | %.0f ns/record | %llu dropped, %llu lost |\n",
				tcp ? "TCP" : "UDP", rate, rps, 100.0 * exp_cpu / wall,
				c.records_sent ? (double)exp_cpu / c.records_sent : 0,
				(unsigned long long)c.records_dropped,
				(unsigned long long)c.records_lost);
			fclose(f);
		}
	}
	return 0;
}
