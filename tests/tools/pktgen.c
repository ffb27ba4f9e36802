// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pktgen: a small traffic generator for the benchmark. Sends fixed-size
 * Ethernet/IPv4/UDP frames from AF_PACKET sockets (PACKET_QDISC_BYPASS,
 * sendmmsg batches) over --flows flows (source port sport, sport+1, ...),
 * pinned to --cpu, until every interface has sent --count frames or
 * --seconds have passed, whichever comes first.
 *
 * With several interfaces (--ifname a,b,c and one --dst-mac per interface)
 * the batches go round robin to each interface in turn and the time of each
 * sendmmsg call is charged to its interface. On a veth the receive path runs
 * in the softirq at the end of each transmit, on the same CPU, so that time
 * covers sending and receiving; configurations measured side by side this
 * way see the same machine at the same moment, whatever the host does.
 *
 * The time charged is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) by
 * default, so that being preempted by other tasks on a busy machine costs
 * no configuration anything. Without CONFIG_IRQ_TIME_ACCOUNTING the softirq
 * run at the end of a transmit is charged to the thread, so it is counted;
 * receive work deferred to ksoftirqd is not (check ksoftirqd's CPU time).
 * --clock wall charges wall time instead.
 *
 * Prints one line per interface:
 *   ifname=IF sent=N busy_ns=T wall_ns=W pps=R errors=E
 * (busy_ns in the chosen clock, pps = sent / busy_ns)
 * and a last line: total sent=N elapsed_ns=T
 *
 * --gap-us G sleeps G microseconds after each turn of the round robin (one
 * batch per interface), so that receivers working in their own threads keep
 * up instead of overflowing their queues (sleeping costs no CPU time).
 *
 * --xdp-live OBJ sends through XDP instead of a packet socket: OBJ's program
 * gen_redirect (tests/net/xdp_gen.bpf.c) runs under BPF_PROG_TEST_RUN in
 * live-frames mode, one call per batch, and redirects the batch to the
 * interface, so its peer receives XDP frames, as from a NIC driver, rather
 * than skbs from a socket (all frames of a batch are flow 0's).
 *
 * --payload HEX sets the UDP payload (and so the length, which --len then
 * must not contradict): e.g. a VXLAN-encapsulated overlay frame for the VPN
 * benchmark (tests/bench/vpn_chain.sh).
 *
 * Usage: pktgen --ifname IF[,IF...] --dst-mac MAC[,MAC...] --src IP --dst IP [--flows 16]
 *               [--count N] [--seconds S] [--len 64] [--batch 64] [--cpu C] [--sport P]
 *               [--dport P] [--clock cpu|wall] [--payload HEX]
 *               [--gap-us G] [--xdp-live OBJ]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_FLOWS 256
#define MAX_BATCH 256
#define MAX_LEN	  1500
#define MIN_LEN	  42 /* Ethernet + IPv4 + UDP headers */
#define MAX_IFS	  16

struct gen_if {
	const char *name;
	uint8_t dst_mac[6], src_mac[6];
	int fd, ifindex;
	unsigned long sent, errors, next;
	double busy; /* seconds in sendmmsg for this interface, chosen clock */
	double wall; /* the same in wall time */
};

struct gen_opts {
	struct gen_if ifs[MAX_IFS];
	int nifs, nmacs;
	struct in_addr src, dst;
	unsigned int flows, batch, len, cpu, gap_us;
	unsigned long count;
	double seconds;
	uint16_t sport, dport;
	clockid_t clock;
	const char *xdp_obj;
	int xdp_prog, xdp_map; /* --xdp-live: program and gen_tgt map fds */
	uint8_t payload[MAX_LEN - MIN_LEN];
	unsigned int plen; /* 0: zeros */
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
static void build_frame(uint8_t *f, const struct gen_opts *o, const struct gen_if *gi,
			unsigned int flow)
{
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, o->len);
	memcpy(f, gi->dst_mac, 6);
	memcpy(f + 6, gi->src_mac, 6);
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
	memcpy(udp + 8, o->payload, o->plen);
}

static int parse_hex(const char *v, struct gen_opts *o)
{
	size_t n = strlen(v);

	if (n % 2 || n / 2 > sizeof(o->payload))
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++)
		if (sscanf(v + 2 * i, "%2hhx", &o->payload[i]) != 1)
			return -EINVAL;
	o->plen = n / 2;
	o->len = MIN_LEN + o->plen;
	return 0;
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

/* Split a comma-separated list in place (v stays owned by argv). */
static int split_list(char *v, struct gen_opts *o, bool macs)
{
	int n = 0;

	for (char *t = strtok(v, ","); t; t = strtok(NULL, ",")) {
		if (n == MAX_IFS)
			return -E2BIG;
		if (macs && parse_mac(t, o->ifs[n].dst_mac))
			return -EINVAL;
		if (!macs)
			o->ifs[n].name = t;
		n++;
	}
	if (macs)
		o->nmacs = n;
	else
		o->nifs = n;
	return n ? 0 : -EINVAL;
}

static int parse_opt(const char *a, char *v, struct gen_opts *o, int *have)
{
	if (!strcmp(a, "--ifname"))
		return split_list(v, o, false) ?: (*have |= 1, 0);
	if (!strcmp(a, "--dst-mac"))
		return split_list(v, o, true) ?: (*have |= 2, 0);
	if (!strcmp(a, "--src"))
		return inet_pton(AF_INET, v, &o->src) == 1 ? (*have |= 4, 0) : -EINVAL;
	if (!strcmp(a, "--dst"))
		return inet_pton(AF_INET, v, &o->dst) == 1 ? (*have |= 8, 0) : -EINVAL;
	if (!strcmp(a, "--payload"))
		return parse_hex(v, o);
	if (!strcmp(a, "--flows"))
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
	else if (!strcmp(a, "--xdp-live"))
		o->xdp_obj = v;
	else if (!strcmp(a, "--gap-us"))
		o->gap_us = strtoul(v, NULL, 0);
	else if (!strcmp(a, "--dport"))
		o->dport = strtoul(v, NULL, 0);
	else if (!strcmp(a, "--clock") && (!strcmp(v, "cpu") || !strcmp(v, "wall")))
		o->clock = !strcmp(v, "cpu") ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
	else
		return -EINVAL;
	return 0;
}

static int parse_args(int argc, char **argv, struct gen_opts *o)
{
	int have = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (parse_opt(argv[i], argv[i + 1], o, &have)) {
			fprintf(stderr, "pktgen: bad option or value: %s %s\n", argv[i],
				argv[i + 1]);
			return -EINVAL;
		}
	}
	if (argc % 2 != 1 || have != 15 || o->nifs != o->nmacs) {
		fprintf(stderr, "pktgen: need --ifname, --dst-mac (one per interface), --src and "
				"--dst, each with a value\n");
		return -EINVAL;
	}
	if (!o->flows || o->flows > MAX_FLOWS || !o->batch || o->batch > MAX_BATCH ||
	    o->len < MIN_LEN || o->len > MAX_LEN || !o->count || o->seconds <= 0 ||
	    o->seconds > 60 || o->gap_us > 1000000 || (o->plen && o->len != MIN_LEN + o->plen)) {
		fprintf(stderr,
			"pktgen: need 0<flows<=%d, 0<batch<=%d, %d<=len<=%d, count>0, "
			"0<seconds<=60, gap-us<=1000000, --len agreeing with --payload\n",
			MAX_FLOWS, MAX_BATCH, MIN_LEN, MAX_LEN);
		return -EINVAL;
	}
	return 0;
}

static int open_socket(struct gen_if *gi)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = {};
	int fd, one = 1;

	/* protocol 0: this socket receives nothing, it only sends */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", gi->name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto err;
	memcpy(gi->src_mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = if_nametoindex(gi->name);
	if (!sll.sll_ifindex)
		goto err;
	gi->ifindex = sll.sll_ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto err;
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		goto err;
	gi->fd = fd;
	return 0;
err:
	one = -errno;
	close(fd);
	return one;
}

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static uint8_t frames[MAX_IFS][MAX_FLOWS][MAX_LEN];

/* One batch on one interface; frames go in flow order, round robin. */
static int send_batch(struct gen_if *gi, uint8_t (*fr)[MAX_LEN], const struct gen_opts *o)
{
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	unsigned int n = o->count - gi->sent < o->batch ? o->count - gi->sent : o->batch;
	double t0, w0;
	int r;

	for (unsigned int i = 0; i < n; i++) {
		iov[i].iov_base = fr[(gi->next + i) % o->flows];
		iov[i].iov_len = o->len;
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	w0 = now_s();
	t0 = clock_s(o->clock);
	if (o->xdp_obj) {
		struct xdp_md ctx = { .data_end = o->len, .ingress_ifindex = gi->ifindex };
		uint32_t zero = 0, tgt = gi->ifindex;
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = fr[gi->next % o->flows],
			    .data_size_in = o->len, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = n, .batch_size = n, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		r = bpf_map_update_elem(o->xdp_map, &zero, &tgt, 0);
		if (!r)
			r = bpf_prog_test_run_opts(o->xdp_prog, &t);
		r = r ? -1 : (int)n;
	} else {
		r = sendmmsg(gi->fd, msgs, n, 0);
	}
	gi->busy += clock_s(o->clock) - t0;
	gi->wall += now_s() - w0;
	if (r < 0) {
		gi->errors++;
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "pktgen: %s: sendmmsg: %s\n", gi->name, strerror(errno));
			return -errno;
		}
		return 0;
	}
	gi->sent += r;
	gi->next += r;
	return 0;
}

int main(int argc, char **argv)
{
	struct gen_opts o = { .flows = 16,
			      .batch = 64,
			      .len = 64,
			      .count = 1000000,
			      .seconds = 2,
			      .sport = 10000,
			      .dport = 9,
			      .clock = CLOCK_THREAD_CPUTIME_ID };
	unsigned long total = 0;
	double t0, t1;
	int err, done = 0;
	cpu_set_t set;

	if (parse_args(argc, argv, &o))
		return 2;
	if (o.xdp_obj) {
		struct bpf_object *bo = bpf_object__open_file(o.xdp_obj, NULL);
		struct bpf_program *bp;
		struct bpf_map *bm;

		if (!bo || bpf_object__load(bo)) {
			fprintf(stderr, "pktgen: cannot load %s\n", o.xdp_obj);
			return 1;
		}
		bp = bpf_object__find_program_by_name(bo, "gen_redirect");
		bm = bpf_object__find_map_by_name(bo, "gen_tgt");
		if (!bp || !bm) {
			fprintf(stderr, "pktgen: %s has no gen_redirect/gen_tgt\n", o.xdp_obj);
			return 1;
		}
		o.xdp_prog = bpf_program__fd(bp);
		o.xdp_map = bpf_map__fd(bm);
	}
	CPU_ZERO(&set);
	CPU_SET(o.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		perror("pktgen: sched_setaffinity");
	for (int k = 0; k < o.nifs; k++) {
		err = open_socket(&o.ifs[k]);
		if (err) {
			fprintf(stderr, "pktgen: %s: %s\n", o.ifs[k].name, strerror(-err));
			return 1;
		}
		for (unsigned int i = 0; i < o.flows; i++)
			build_frame(frames[k][i], &o, &o.ifs[k], i);
	}
	t0 = now_s();
	for (unsigned long it = 0; done < o.nifs; it++) {
		struct gen_if *gi = &o.ifs[it % o.nifs];

		if (gi->sent >= o.count)
			continue;
		if (send_batch(gi, frames[it % o.nifs], &o))
			return 1;
		if (gi->sent >= o.count)
			done++;
		if (o.gap_us && it % o.nifs == (unsigned long)o.nifs - 1) {
			struct timespec gap = { .tv_nsec = o.gap_us * 1000L };

			while (gap.tv_nsec >= 1000000000L) {
				gap.tv_sec++;
				gap.tv_nsec -= 1000000000L;
			}
			nanosleep(&gap, NULL);
		}
		if (now_s() - t0 >= o.seconds)
			break;
	}
	t1 = now_s();
	for (int k = 0; k < o.nifs; k++) {
		struct gen_if *gi = &o.ifs[k];

		printf("ifname=%s sent=%lu busy_ns=%.0f wall_ns=%.0f pps=%.0f errors=%lu\n",
		       gi->name, gi->sent, gi->busy * 1e9, gi->wall * 1e9,
		       gi->busy > 0 ? gi->sent / gi->busy : 0, gi->errors);
		total += gi->sent;
		close(gi->fd);
	}
	printf("total sent=%lu elapsed_ns=%.0f\n", total, (t1 - t0) * 1e9);
	return 0;
}
