// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pktgen: a small traffic generator for the benchmark. Sends fixed-size
 * Ethernet/IPv4/UDP frames from an AF_PACKET socket (PACKET_QDISC_BYPASS,
 * sendmmsg batches) on one interface, over --flows flows (source port
 * sport, sport+1, ...), until --count frames are sent or --seconds have
 * passed, whichever comes first. Pinned to --cpu. Prints one line:
 *   sent=N elapsed_ns=T pps=R errors=E
 *
 * Usage: pktgen --ifname IF --dst-mac MAC --src IP --dst IP [--flows 16] [--count N]
 *               [--seconds S] [--len 64] [--batch 64] [--cpu C] [--sport P] [--dport P]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS 1024
#define MAX_BATCH 256
#define MAX_LEN	  1500
#define MIN_LEN	  42 /* Ethernet + IPv4 + UDP headers */

struct gen_opts {
	const char *ifname;
	uint8_t dst_mac[6];
	struct in_addr src, dst;
	unsigned int flows, batch, len, cpu;
	unsigned long count;
	double seconds;
	uint16_t sport, dport;
};

static uint16_t csum16(const uint8_t *p, int len)
{
	uint32_t s = 0;

	for (int i = 0; i + 1 < len; i += 2)
		s += (p[i] << 8) | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* UDP checksum 0 (allowed for IPv4): the receiver never verifies it here. */
static void build_frame(uint8_t *f, const struct gen_opts *o, const uint8_t *src_mac,
			unsigned int flow)
{
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, o->len);
	memcpy(f, o->dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, ETH_P_IP);
	ip[0] = 0x45;
	put16(ip + 2, o->len - 14);
	put16(ip + 4, flow);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &o->src, 4);
	memcpy(ip + 16, &o->dst, 4);
	put16(ip + 10, csum16(ip, 20));
	put16(udp, o->sport + flow);
	put16(udp + 2, o->dport);
	put16(udp + 4, o->len - 34);
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

static int parse_args(int argc, char **argv, struct gen_opts *o)
{
	int have = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--ifname"))
			o->ifname = v, have |= 1;
		else if (!strcmp(a, "--dst-mac") && !parse_mac(v, o->dst_mac))
			have |= 2;
		else if (!strcmp(a, "--src") && inet_pton(AF_INET, v, &o->src) == 1)
			have |= 4;
		else if (!strcmp(a, "--dst") && inet_pton(AF_INET, v, &o->dst) == 1)
			have |= 8;
		else if (!strcmp(a, "--flows"))
			o->flows = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--count"))
			o->count = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--seconds"))
			o->seconds = strtod(v, NULL);
		else if (!strcmp(a, "--len"))
			o->len = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--batch"))
			o->batch = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--cpu"))
			o->cpu = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--sport"))
			o->sport = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--dport"))
			o->dport = strtoul(v, NULL, 0);
		else {
			fprintf(stderr, "pktgen: bad option or value: %s %s\n", a, v);
			return -EINVAL;
		}
	}
	if (argc % 2 != 1 || have != 15) {
		fprintf(stderr, "pktgen: need --ifname, --dst-mac, --src and --dst (each with a "
				"value)\n");
		return -EINVAL;
	}
	if (!o->flows || o->flows > MAX_FLOWS || !o->batch || o->batch > MAX_BATCH ||
	    o->len < MIN_LEN || o->len > MAX_LEN || !o->count || o->seconds <= 0 ||
	    o->seconds > 60) {
		fprintf(stderr,
			"pktgen: need 0<flows<=%d, 0<batch<=%d, %d<=len<=%d, count>0, "
			"0<seconds<=60\n",
			MAX_FLOWS, MAX_BATCH, MIN_LEN, MAX_LEN);
		return -EINVAL;
	}
	return 0;
}

static int open_socket(const struct gen_opts *o, uint8_t *src_mac)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = {};
	int fd, one = 1;

	/* protocol 0: this socket receives nothing, it only sends */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto err;
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = if_nametoindex(o->ifname);
	if (!sll.sll_ifindex)
		goto err;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto err;
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		goto err;
	return fd;
err:
	one = -errno;
	close(fd);
	return one;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct gen_opts o = { .flows = 16,
			      .batch = 64,
			      .len = 64,
			      .count = 1000000,
			      .seconds = 2,
			      .sport = 10000,
			      .dport = 9 };
	static uint8_t frames[MAX_FLOWS][MAX_LEN];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	unsigned long sent = 0, errors = 0, next = 0;
	uint8_t src_mac[6];
	double t0, t1, deadline;
	cpu_set_t set;
	int fd;

	if (parse_args(argc, argv, &o))
		return 2;
	CPU_ZERO(&set);
	CPU_SET(o.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		perror("pktgen: sched_setaffinity");
	fd = open_socket(&o, src_mac);
	if (fd < 0) {
		fprintf(stderr, "pktgen: %s: %s\n", o.ifname, strerror(-fd));
		return 1;
	}
	for (unsigned int i = 0; i < o.flows; i++)
		build_frame(frames[i], &o, src_mac, i);
	t0 = now_s();
	deadline = t0 + o.seconds;
	while (sent < o.count) {
		unsigned int n = o.count - sent < o.batch ? o.count - sent : o.batch;
		int r;

		/* the same frames in flow order, round robin over the batch */
		for (unsigned int i = 0; i < n; i++) {
			iov[i].iov_base = frames[(next + i) % o.flows];
			iov[i].iov_len = o.len;
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			errors++;
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("pktgen: sendmmsg");
				break;
			}
		} else {
			sent += r;
			next += r;
		}
		if (now_s() >= deadline)
			break;
	}
	t1 = now_s();
	printf("sent=%lu elapsed_ns=%.0f pps=%.0f errors=%lu\n", sent, (t1 - t0) * 1e9,
	       sent / (t1 - t0), errors);
	close(fd);
	return 0;
}
