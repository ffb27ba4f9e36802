// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ICC v2 codec cost on one core: seal (AEAD) and parse+open+replay, no sockets. */
#include <sodium.h>
#include <stdio.h>
#include <time.h>

#include "core/hs.h"
#include "core/icc.h"

static double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	static uint8_t buf[ICC_MAX_DGRAM], payload[ICC_MAX_PAYLOAD];
	uint8_t key[ICC_KEY_LEN] = { 1 };
	struct icc_hdr h = { .type = ICC_T_DATA, .module = "echo" };
	static struct hs_peer peer;
	struct icc_msg m;
	const int n = 300000;

	if (sodium_init() < 0)
		return 1;
	peer.cur.valid = true;
	for (size_t size = 64; size <= 1024; size *= 16) {
		double t0 = bench_now(), t1, t2;
		int len = 0;

		for (int i = 0; i < n; i++) {
			h.seq = (uint64_t)i + 1;
			len = icc_seal(&h, payload, size, key, buf, sizeof(buf));
		}
		t1 = bench_now();
		for (int i = 0; i < n; i++) {
			static uint8_t copy[ICC_MAX_DGRAM];

			memcpy(copy, buf, (size_t)len); /* opened in place */
			if (icc_parse(copy, (size_t)len, &m) != ICC_OK ||
			    icc_open(copy, (size_t)len, key, &m) != ICC_OK)
				return 1;
			hs_rx_accept(&peer, &peer.cur, (uint64_t)i + 1000000);
		}
		t2 = bench_now();
		printf("codec payload %5zu B: seal %9.0f msg/s, parse+open+replay %9.0f "
		       "msg/s\n",
		       size, n / (t1 - t0), n / (t2 - t1));
	}
	return 0;
}
