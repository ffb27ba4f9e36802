// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * relay: the userspace relay of the VPN benchmark (tests/bench/vpn_chain.sh)
 * -- IPOP's own architecture, where a process on each node reads the
 * overlay's frames from one link and writes them to the next. Here a link
 * is a UDP socket: datagrams arriving on --listen PORT are sent on, payload
 * unchanged, to --to IP:PORT. Built to be fair to userspace: batched both
 * ways (recvmmsg with MSG_WAITFORONE, then one sendmmsg per batch, up to
 * --batch datagrams), a large receive buffer (SO_RCVBUFFORCE), pinned to
 * --cpu when given, no copy between receive and send.
 *
 * Runs until SIGTERM/SIGINT or --time seconds (<= 600), then prints
 *   received=N sent=N send_errors=N batches=N
 * Bounded: every wait is a poll of at most 200 ms, the run is time-bounded.
 *
 *   relay --listen PORT --to IP:PORT [--batch 64] [--cpu C] [--time 300]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_DGRAM 2048
#define RCVBUF	  (8 << 20)

static volatile sig_atomic_t stop;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: relay --listen PORT --to IP:PORT [--batch N<=%d] [--cpu C] "
		"[--time S<=600]\n",
		MAX_BATCH);
	return 2;
}

static int parse_to(char *v, struct sockaddr_in *sa)
{
	char *colon = strrchr(v, ':');
	long port;

	if (!colon)
		return -1;
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, v, &sa->sin_addr) != 1)
		return -1;
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return 0;
}

static uint8_t bufs[MAX_BATCH][MAX_DGRAM];

int main(int argc, char **argv)
{
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	struct sockaddr_in me = { .sin_family = AF_INET }, to = { 0 };
	unsigned long received = 0, sent = 0, errs = 0, batches = 0;
	long batch = 64, cpu = -1, port = 0;
	double secs = 300, t0;
	int fd, one = 1, rcvbuf = RCVBUF;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			port = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--to")) {
			if (parse_to(argv[i + 1], &to))
				return usage();
		} else if (!strcmp(argv[i], "--batch"))
			batch = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--cpu"))
			cpu = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--time"))
			secs = strtod(argv[i + 1], NULL);
		else
			return usage();
	}
	if (argc % 2 != 1 || port <= 0 || port > 65535 || !to.sin_family || batch < 1 ||
	    batch > MAX_BATCH || !(secs > 0 && secs <= 600))
		return usage();
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			perror("relay: sched_setaffinity");
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("relay: socket");
		return 1;
	}
	me.sin_port = htons(port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) ||
	    bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("relay: socket setup");
		return 1;
	}
	for (long i = 0; i < batch; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = MAX_DGRAM;
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	t0 = now_s();
	while (!stop && now_s() - t0 < secs) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n, k = 0;

		/* block in poll (bounded), then drain without sleeping */
		n = recvmmsg(fd, msgs, batch, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				perror("relay: recvmmsg");
				return 1;
			}
			if (poll(&p, 1, 200) < 0 && errno != EINTR) {
				perror("relay: poll");
				return 1;
			}
			continue;
		}
		received += n;
		batches++;
		for (int i = 0; i < n; i++) {
			/* the received lengths become the sent ones; the buffers stay */
			iov[i].iov_len = msgs[i].msg_len;
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &to,
							   .msg_namelen = sizeof(to),
							   .msg_iov = &iov[i],
							   .msg_iovlen = 1 };
		}
		/* a short sendmmsg leaves the rest: retry it, dropping on errors */
		for (int tries = 0; k < n && tries < 8; tries++) {
			int r = sendmmsg(fd, msgs + k, n - k, 0);

			if (r < 0) {
				errs++;
				k++; /* the datagram that failed (ENOBUFS...) is dropped */
				continue;
			}
			k += r;
			sent += r;
		}
		for (int i = 0; i < n; i++) {
			iov[i].iov_len = MAX_DGRAM;
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
	}
	printf("received=%lu sent=%lu send_errors=%lu batches=%lu\n", received, sent, errs,
	       batches);
	close(fd);
	return 0;
}
