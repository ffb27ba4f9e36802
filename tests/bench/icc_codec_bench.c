// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ICC codec cost on one core: encode+tag and decode+verify+replay, no sockets. */
#include <sodium.h>
#include <stdio.h>
#include <time.h>

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
	struct icc_replay r;
	struct icc_msg m;
	const int n = 300000;

	if (sodium_init() < 0 || icc_replay_init(&r, 16))
		return 1;
	for (size_t size = 64; size <= 1024; size *= 16) {
		double t0 = bench_now(), t1, t2;
		int len = 0;

		for (int i = 0; i < n; i++) {
			h.seq = (uint64_t)i + 1;
			len = icc_encode(&h, payload, size, key, buf, sizeof(buf));
		}
		t1 = bench_now();
		for (int i = 0; i < n; i++) {
			if (icc_decode(buf, (size_t)len, key, &m) != ICC_OK)
				return 1;
			icc_replay_check(&r, &m.h.src, (uint64_t)i + 1000000);
		}
		t2 = bench_now();
		printf("codec payload %5zu B: encode %9.0f msg/s, decode+verify+replay %9.0f "
		       "msg/s\n",
		       size, n / (t1 - t0), n / (t2 - t1));
	}
	icc_replay_free(&r);
	return 0;
}
