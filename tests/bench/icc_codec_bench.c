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

/* Complete handshakes per second between two in-process contexts (one core). */
static int bench_handshakes(int n)
{
	static struct hs_ctx a, b;
	static struct hs_out o1, o2, o3, o4;
	static struct cert ca_, cb_;
	static uint8_t trusted[1][IDENT_PUB_LEN];
	struct cert_trust t = { .ca = (const uint8_t(*)[IDENT_PUB_LEN])trusted, .nca = 1 };
	uint8_t s0[IDENT_SEED_LEN] = { 1 }, s1[IDENT_SEED_LEN] = { 2 }, s2[IDENT_SEED_LEN] = { 3 };
	struct ident ca, ka, kb;
	char err[128];
	double t0;

	if (ident_from_seed(s0, &ca) || ident_from_seed(s1, &ka) || ident_from_seed(s2, &kb))
		return 1;
	memcpy(trusted[0], ca.pub, IDENT_PUB_LEN);
	memcpy(ca_.node_pub, ka.pub, IDENT_PUB_LEN);
	memcpy(cb_.node_pub, kb.pub, IDENT_PUB_LEN);
	strcpy(ca_.name, "a");
	strcpy(cb_.name, "b");
	ca_.not_after = cb_.not_after = ~0ULL;
	if (cert_issue(&ca_, &ca, err, sizeof(err)) < 0 ||
	    cert_issue(&cb_, &ca, err, sizeof(err)) < 0 ||
	    hs_ctx_init(&a, &ka, ca_.raw, ca_.len, &t, NULL, 4, 0) ||
	    hs_ctx_init(&b, &kb, cb_.raw, cb_.len, &t, NULL, 4, 0))
		return 1;
	t0 = bench_now();
	for (int i = 0; i < n; i++) {
		struct hs_time tm = { .mono = (uint64_t)i * 1000000000ULL,
				      .wall = 1700000000ULL * 1000000000ULL + (uint64_t)i };
		struct hs_peer *p = hs_peer_get(&a, &b.id, tm.mono);

		hs_start(&a, p, &tm, &o1);
		hs_recv(&b, o1.msg, o1.len, "a", 1, &tm, &o2);
		hs_recv(&a, o2.msg, o2.len, "b", 1, &tm, &o3);
		hs_recv(&b, o3.msg, o3.len, "a", 1, &tm, &o4);
		if (!o4.established)
			return 1;
		p->state = HS_IDLE;
	}
	printf("handshakes (INIT, RESP, FIN; both ends, one core): %.0f/s\n",
	       n / (bench_now() - t0));
	hs_ctx_free(&a);
	hs_ctx_free(&b);
	return 0;
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
	if (bench_handshakes(2000))
		return 1;
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
