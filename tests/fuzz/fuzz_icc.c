// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the ICC decoder. Each input is decoded twice: as
 * received (almost always rejected by the tag), and with its tag recomputed
 * with the harness key, so the fuzzer also reaches everything after the
 * authentication check. Properties: the decoder never reads out of bounds;
 * an accepted datagram re-encodes to the same bytes; replay never accepts a
 * sequence twice.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/icc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[ICC_KEY_LEN] = { 0x11, 0x22, 0x33, 0x44, 0x55 };

static void check_accepted(const uint8_t *buf, size_t size, const struct icc_msg *m)
{
	static uint8_t out[ICC_MAX_DGRAM];
	static struct icc_replay replay;
	int n;

	if (!replay.ents && icc_replay_init(&replay, 8))
		abort();
	if ((size_t)m->h.len + ICC_HDR_LEN + ICC_TAG_LEN != size)
		abort();
	n = icc_encode(&m->h, m->payload, m->h.len, fuzz_key, out, sizeof(out));
	if (n < 0 || (size_t)n != size || memcmp(out, buf, size))
		abort();
	if (icc_replay_check(&replay, &m->h.src, m->h.seq) == ICC_OK &&
	    icc_replay_check(&replay, &m->h.src, m->h.seq) == ICC_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[ICC_MAX_DGRAM + 128];
	struct icc_msg m;

	if (sodium_init() < 0)
		abort();
	if (icc_decode(data, size, fuzz_key, &m) == ICC_OK)
		check_accepted(data, size, &m);
	if (size < ICC_TAG_LEN || size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	crypto_auth(buf + size - ICC_TAG_LEN, buf, size - ICC_TAG_LEN, fuzz_key);
	if (icc_decode(buf, size, fuzz_key, &m) == ICC_OK)
		check_accepted(buf, size, &m);
	return 0;
}
