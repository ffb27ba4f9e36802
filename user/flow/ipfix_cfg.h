/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Configuration of the IPFIX exporter (flow/ipfix.h) and the parser of a
 * collector target. Kept apart (no libfixbuf, no BPF headers) so that the
 * parser builds alone, e.g. for its fuzz target.
 */
#ifndef IPOP_IPFIX_CFG_H
#define IPOP_IPFIX_CFG_H

#include <stddef.h>
#include <stdint.h>

enum ipfix_transport {
	IPFIX_UDP = 0,
	IPFIX_TCP = 1,
};

#define IPFIX_PORT_DEFAULT	     4739
#define IPFIX_QUEUE_DEFAULT	     65536
#define IPFIX_TEMPLATE_INTERVAL_S    60
#define IPFIX_TEMPLATE_MSGS	     100
#define IPFIX_BACKOFF_MAX_MS_DEFAULT 30000
#define IPFIX_EXPORT_INTERVAL_MS     1000

struct ipfix_cfg {
	char host[256];
	char port[16];
	int transport;			  /* enum ipfix_transport */
	uint32_t domain;		  /* observation domain ID */
	unsigned int queue_max;		  /* records waiting; 0 = default */
	unsigned int export_interval_ms;  /* longest a record waits to be sent; 0 = default */
	unsigned int template_interval_s; /* UDP; 0 = default */
	unsigned int template_msgs;	  /* UDP; 0 = default */
	unsigned int backoff_max_ms;	  /* TCP reconnect; 0 = default */
};

/*
 * Parse "HOST:PORT[/udp|/tcp]" ("[v6addr]:PORT" for IPv6 literals; PORT may
 * be omitted for 4739) into cfg->host/port/transport. -EINVAL with err.
 */
int ipfix_parse_target(struct ipfix_cfg *cfg, const char *s, char *err, size_t errlen);

#endif /* IPOP_IPFIX_CFG_H */
