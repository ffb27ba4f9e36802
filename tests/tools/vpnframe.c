// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vpnframe: print, as one line of hex, the UDP payload an origin node's VXLAN
 * device sends on its first link for a source-routed frame (user/vpn's
 * builder): the VXLAN header, then the overlay frame (outer Ethernet, the
 * source-route header at hop index 0, the inner frame). The inner frame is
 * an Ethernet/IPv4/UDP frame of INNER_LEN bytes (>= 42) to port 9, IP
 * checksum set, UDP checksum 0. For the VPN benchmark
 * (tests/bench/vpn_chain.sh), whose generator sends it as the payload of its
 * UDP frames to the first transit node's port 4789.
 *
 *   vpnframe VNI SRC_HEX DST_HEX PATH INNER_DMAC INNER_SRC_IP INNER_DST_IP INNER_LEN
 *
 * PATH is HEX:LABEL,...,HEX (the last entry has no label), as srsend's.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpn/sr_wire.h"

static int usage(void)
{
	fprintf(stderr, "usage: vpnframe VNI SRC_HEX DST_HEX PATH INNER_DMAC INNER_SRC_IP "
			"INNER_DST_IP INNER_LEN\n");
	return 2;
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static unsigned int ip_csum(const uint8_t *ip)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += (ip[i] << 8) | ip[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

int main(int argc, char **argv)
{
	uint8_t inner[256] = { 0 }, out[1024], *ip = inner + 14, *udp = ip + 20;
	uint8_t odmac[6] = { 2, 0, 0, 0, 0xb0, 2 }, osmac[6] = { 2, 0, 0, 0, 0xb0, 1 };
	struct sr_view v = { .version = SR_VERSION, .ttl = SR_TTL_DEFAULT };
	unsigned long vni, ilen;
	char err[256], *t;
	int n;

	if (argc != 9)
		return usage();
	vni = strtoul(argv[1], NULL, 10);
	ilen = strtoul(argv[8], NULL, 10);
	if (vni > 0xffffff || ilen < 42 || ilen > sizeof(inner) || id_parse(argv[2], v.src.b) ||
	    id_parse(argv[3], v.dst.b))
		return usage();
	for (t = strtok(argv[4], ","); t && v.hop_count < SR_HOPS_MAX; t = strtok(NULL, ",")) {
		char *colon = strchr(t, ':');
		struct node_id id;

		if (colon)
			*colon = '\0';
		if (id_parse(t, id.b))
			return usage();
		v.hops[v.hop_count].tag = sr_node_tag(&id);
		v.hops[v.hop_count++].label = colon ? atoi(colon + 1) : 0;
	}
	if (sscanf(argv[5], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &inner[0], &inner[1], &inner[2],
		   &inner[3], &inner[4], &inner[5]) != 6 ||
	    inet_pton(AF_INET, argv[6], ip + 12) != 1 || inet_pton(AF_INET, argv[7], ip + 16) != 1)
		return usage();
	memcpy(inner + 6, osmac, 6);
	inner[11] = 0x10;
	put16(inner + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, ilen - 14);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 10, ip_csum(ip));
	put16(udp, 10000);
	put16(udp + 2, 9);
	put16(udp + 4, ilen - 34);
	memset(out, 0, 8);
	out[0] = 0x08;
	out[4] = vni >> 16;
	out[5] = vni >> 8;
	out[6] = vni;
	n = sr_build_frame(odmac, osmac, &v, inner, ilen, out + 8, sizeof(out) - 8, err,
			   sizeof(err));
	if (n < 0) {
		fprintf(stderr, "vpnframe: %s\n", err);
		return 1;
	}
	for (int i = 0; i < n + 8; i++)
		printf("%02x", out[i]);
	printf("\n");
	return 0;
}
