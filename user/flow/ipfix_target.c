// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* "HOST:PORT[/udp|/tcp]" -> struct ipfix_cfg; see ipfix_cfg.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flow/ipfix_cfg.h"

static int parse_port(const char *p, size_t n, char *out, size_t outlen)
{
	unsigned long v = 0;

	if (!n || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (p[i] - '0');
	}
	if (!v || v > 65535)
		return -EINVAL;
	snprintf(out, outlen, "%lu", v);
	return 0;
}

int ipfix_parse_target(struct ipfix_cfg *cfg, const char *s, char *err, size_t errlen)
{
	const char *slash = strrchr(s, '/'), *end = slash ? slash : s + strlen(s);
	const char *host = s, *hend, *port = NULL;
	int transport = IPFIX_UDP;

	if (slash) {
		if (!strcmp(slash, "/tcp"))
			transport = IPFIX_TCP;
		else if (strcmp(slash, "/udp"))
			goto bad;
	}
	if (*s == '[') {
		host = s + 1;
		hend = memchr(host, ']', end - host);
		if (!hend)
			goto bad;
		if (hend + 1 < end) {
			if (hend[1] != ':')
				goto bad;
			port = hend + 2;
		}
	} else {
		hend = memchr(s, ':', end - s);
		if (hend) {
			port = hend + 1;
			if (memchr(port, ':', end - port))
				goto bad; /* an IPv6 literal wants brackets */
		} else {
			hend = end;
		}
	}
	if (hend == host || (size_t)(hend - host) >= sizeof(cfg->host))
		goto bad;
	if (port && parse_port(port, end - port, cfg->port, sizeof(cfg->port)))
		goto bad;
	if (!port)
		snprintf(cfg->port, sizeof(cfg->port), "%d", IPFIX_PORT_DEFAULT);
	memcpy(cfg->host, host, hend - host);
	cfg->host[hend - host] = 0;
	cfg->transport = transport;
	return 0;
bad:
	snprintf(err, errlen,
		 "IPFIX collector '%.200s': want HOST:PORT[/udp|/tcp] ([ADDR]:PORT for IPv6)", s);
	return -EINVAL;
}
