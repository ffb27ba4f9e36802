// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the source-route header parser (user/vpn/sr_wire.c).
 * Properties: never reads out of bounds; an accepted header or frame builds
 * back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "vpn/sr_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[4096];
	struct sr_view v;
	char err[128];
	int n, m;

	n = sr_parse(data, size, &v, err, sizeof(err));
	if (n >= 0) {
		m = sr_build(&v, out, sizeof(out), err, sizeof(err));
		if (m != n || memcmp(out, data, n))
			abort();
	}
	n = sr_parse_frame(data, size, &v, err, sizeof(err));
	if (n >= 0) {
		if ((size_t)n + SR_ETH_HLEN > size || size > sizeof(out))
			abort();
		m = sr_build_frame(data, data + 6, &v, data + n, size - n, out, sizeof(out), err,
				   sizeof(err));
		if (m != (int)size || memcmp(out, data, size))
			abort();
	}
	return 0;
}
