// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: ipfix_parse_target() on arbitrary bytes (the --ipfix
 * option and the config's flows.ipfix). Accepted input must give a
 * non-empty, terminated host without ':' unless it came in brackets, a port
 * 1..65535 and a known transport; rejected input leaves a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/ipfix_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipfix_cfg c;
	char err[300] = "", *s = malloc(size + 1);
	int rc;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	memset(&c, 0x5a, sizeof(c));
	rc = ipfix_parse_target(&c, s, err, sizeof(err));
	if (rc == 0) {
		size_t hl = strnlen(c.host, sizeof(c.host));
		long port = strtol(c.port, NULL, 10);

		if (hl == 0 || hl == sizeof(c.host) || port < 1 || port > 65535 ||
		    (c.transport != IPFIX_UDP && c.transport != IPFIX_TCP) ||
		    (strchr(c.host, ':') && s[0] != '['))
			abort();
	} else if (rc != -22 || !err[0]) {
		abort();
	}
	free(s);
	return 0;
}
