// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ipfix_send: hand a few known ended flows to the real exporter
 * (user/flow/ipfix*.c) bound for a collector, then stop it (which sends what
 * is queued). For checking a collector's configuration by hand (README,
 * "Export to a collector"): an IPv4 TCP flow, an IPv6 UDP flow and an IPv4
 * UDP flow of source-routed overlay frames (node IDs 0x11.. -> 0x22..).
 *
 * Usage: ipfix_send HOST:PORT[/udp|/tcp] [DOMAIN]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/ipfix.h"

static struct stats_ended flow(int l3, uint8_t proto, uint16_t sport, uint16_t dport,
			       uint64_t packets, uint64_t ip_bytes)
{
	struct stats_ended e = { .reason = STATS_END_IDLE };
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	e.key.ifindex = 2;
	e.key.dir = FLOW_DIR_INGRESS;
	e.key.l3 = l3;
	e.key.proto = proto;
	e.key.ethertype = l3 == FLOW_L3_IPV4 ? 0x0800 : 0x86dd;
	e.key.sport = sport;
	e.key.dport = dport;
	if (l3 == FLOW_L3_IPV4) {
		memcpy(e.key.src, (uint8_t[]){ 192, 0, 2, 1 }, 4);
		memcpy(e.key.dst, (uint8_t[]){ 198, 51, 100, 2 }, 4);
	} else {
		memcpy(e.key.src, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 16);
		memcpy(e.key.dst, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }, 16);
	}
	e.val.packets = packets;
	e.val.l2_len = 14;
	e.val.bytes = ip_bytes + 14 * packets;
	e.val.last_seen_ns = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
	e.val.first_seen_ns = e.val.last_seen_ns - 2000000000ull;
	e.val.tcp_flags = proto == 6 ? 0x1b : 0;
	return e;
}

int main(int argc, char **argv)
{
	struct ipfix_cfg cfg = { 0 };
	struct stats_ended e[3];
	struct ipfix_counters c;
	struct ipfix *x;
	char err[256];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ipfix_send HOST:PORT[/udp|/tcp] [DOMAIN]\n");
		return 2;
	}
	if (ipfix_parse_target(&cfg, argv[1], err, sizeof(err))) {
		fprintf(stderr, "ipfix_send: %s\n", err);
		return 2;
	}
	cfg.domain = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1;
	x = ipfix_new(&cfg, err, sizeof(err));
	if (!x || ipfix_start(x)) {
		fprintf(stderr, "ipfix_send: %s\n", x ? "cannot start the exporter" : err);
		return 1;
	}
	e[0] = flow(FLOW_L3_IPV4, 6, 40000, 443, 10, 5000);
	e[1] = flow(FLOW_L3_IPV6, 17, 5353, 53, 3, 300);
	e[2] = flow(FLOW_L3_IPV4, 17, 1234, 4321, 7, 700);
	e[2].key.flags = FLOW_KEY_OVERLAY;
	memset(e[2].val.src_node, 0x11, 16);
	memset(e[2].val.dst_node, 0x22, 16);
	for (int i = 0; i < 3; i++)
		ipfix_sink(x, &e[i]);
	for (int i = 0; i < 50; i++) { /* at most 5 s */
		ipfix_counters(x, &c);
		if (c.records_sent + c.records_lost + c.records_dropped >= 3)
			break;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	ipfix_free(x);
	printf("records: %llu queued, %llu sent, %llu lost; %llu messages, %llu template "
	       "messages\n",
	       (unsigned long long)c.records_queued, (unsigned long long)c.records_sent,
	       (unsigned long long)c.records_lost, (unsigned long long)c.messages_sent,
	       (unsigned long long)c.templates_sent);
	return c.records_sent == 3 ? 0 : 1;
}
