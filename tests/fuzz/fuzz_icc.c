// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the ICC v2 decoder. Each input is parsed and opened
 * as received (almost always refused by the AEAD tag), and every input
 * whose header parses is sealed again under the harness key with its bytes
 * as the payload, so the fuzzer also reaches everything after the tag
 * check. Properties: the decoder never reads out of bounds; a sealed
 * datagram opens to the same header and payload; one flipped bit is refused.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/icc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[ICC_KEY_LEN] = { 0x11, 0x22, 0x33, 0x44, 0x55 };

static void reseal(const struct icc_msg *m, const uint8_t *payload)
{
	static uint8_t out[ICC_MAX_DGRAM];
	struct icc_msg back;
	int n = icc_seal(&m->h, payload, m->h.len, fuzz_key, out, sizeof(out));

	if (n < 0 || (size_t)n != ICC_HDR_LEN + m->h.len + ICC_TAG_LEN)
		abort();
	if (icc_parse(out, (size_t)n, &back) != ICC_OK || back.h.sid != m->h.sid ||
	    back.h.seq != m->h.seq || strcmp(back.h.module, m->h.module) ||
	    !node_id_eq(&back.h.src, &m->h.src) || !node_id_eq(&back.h.dst, &m->h.dst))
		abort();
	out[n - 1] ^= 1;
	if (icc_open(out, (size_t)n, fuzz_key, &back) == ICC_OK)
		abort();
	n = icc_seal(&m->h, payload, m->h.len, fuzz_key, out, sizeof(out));
	if (icc_open(out, (size_t)n, fuzz_key, &back) != ICC_OK ||
	    memcmp(back.payload, payload, m->h.len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[ICC_MAX_DGRAM + 128];
	struct icc_msg m;

	if (sodium_init() < 0)
		abort();
	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	if (icc_parse(buf, size, &m) != ICC_OK)
		return 0;
	if (m.h.len > ICC_MAX_PAYLOAD || ICC_HDR_LEN + m.h.len + ICC_TAG_LEN != size)
		abort();
	if (icc_open(buf, size, fuzz_key, &m) == ICC_OK)
		abort(); /* nobody but the harness holds fuzz_key */
	icc_parse(data, size, &m);
	reseal(&m, data + ICC_HDR_LEN);
	return 0;
}
