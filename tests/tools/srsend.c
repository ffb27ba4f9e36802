// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * srsend: send COUNT hand-made overlay frames (user/vpn's builder), for the
 * tests that check what the datapath refuses:
 *   srsend eth IFNAME DST_MAC COUNT SRC_HEX DST_HEX INDEX PATH [SRC_MAC]
 *       raw Ethernet on IFNAME (a packet socket), not through any link; the
 *       outer source MAC is 02:00:00:00:99:98 unless SRC_MAC is given (a
 *       neighbour's, to pass an Ethernet link's MAC check);
 *   srsend udp REMOTE_IP VNI COUNT SRC_HEX DST_HEX INDEX PATH
 *       VXLAN built here and sent in a UDP datagram to REMOTE_IP:4789, as a
 *       neighbour (or a stranger) whose VXLAN device would send it.
 * PATH is HEX:LABEL,...,HEX (the last entry has no label). The inner frame
 * is a broadcast ARP-sized frame. Bounded: COUNT <= 10000.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vpn/sr_wire.h"

static int usage(void)
{
	fprintf(stderr, "usage: srsend eth IFNAME DST_MAC COUNT SRC DST INDEX PATH [SRC_MAC]\n"
			"       srsend udp REMOTE_IP VNI COUNT SRC DST INDEX PATH\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint8_t inner[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0x99, 0x99, 0x08, 0x06
	};
	uint8_t dmac[6] = { 0 }, smac[6] = { 2, 0, 0, 0, 0x99, 0x98 }, buf[2048];
	struct sr_view v = { .version = SR_VERSION, .ttl = 16 };
	char err[256], *path, *t;
	long count;
	int fd, n, off = 0;

	if (argc != 9 && !(argc == 10 && !strcmp(argv[1], "eth")))
		return usage();
	if (argc == 10 && sscanf(argv[9], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &smac[0], &smac[1],
				 &smac[2], &smac[3], &smac[4], &smac[5]) != 6)
		return usage();
	count = atol(argv[4]);
	if (count < 1 || count > 10000 || id_parse(argv[5], v.src.b) || id_parse(argv[6], v.dst.b))
		return usage();
	v.hop_index = atoi(argv[7]);
	path = argv[8];
	for (t = strtok(path, ","); t && v.hop_count < SR_HOPS_MAX; t = strtok(NULL, ",")) {
		char *colon = strchr(t, ':');
		struct node_id id;

		if (colon)
			*colon = '\0';
		if (id_parse(t, id.b))
			return usage();
		v.hops[v.hop_count].tag = sr_node_tag(&id);
		v.hops[v.hop_count++].label = colon ? atoi(colon + 1) : 0;
	}
	if (!strcmp(argv[1], "udp")) {
		unsigned long vni = strtoul(argv[3], NULL, 10);

		memset(buf, 0, 8);
		buf[0] = 0x08;
		buf[4] = vni >> 16;
		buf[5] = vni >> 8;
		buf[6] = vni;
		off = 8;
	} else if (sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
			  &dmac[3], &dmac[4], &dmac[5]) != 6) {
		return usage();
	}
	n = sr_build_frame(dmac, smac, &v, inner, sizeof(inner), buf + off, sizeof(buf) - off, err,
			   sizeof(err));
	if (n < 0) {
		fprintf(stderr, "srsend: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[1], "udp")) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(4789) };

		if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
			return usage();
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		for (long i = 0; fd >= 0 && i < count; i++)
			if (sendto(fd, buf, n + off, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				perror("srsend: sendto");
				return 1;
			}
	} else if (!strcmp(argv[1], "eth")) {
		struct sockaddr_ll sl = { .sll_family = AF_PACKET, .sll_halen = 6 };

		sl.sll_ifindex = if_nametoindex(argv[2]);
		memcpy(sl.sll_addr, dmac, 6);
		fd = socket(AF_PACKET, SOCK_RAW, 0);
		for (long i = 0; fd >= 0 && i < count; i++)
			if (sendto(fd, buf, n, 0, (struct sockaddr *)&sl, sizeof(sl)) < 0) {
				perror("srsend: sendto");
				return 1;
			}
	} else {
		return usage();
	}
	if (fd < 0) {
		perror("srsend: socket");
		return 1;
	}
	close(fd);
	return 0;
}
