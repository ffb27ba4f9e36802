// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ICC v2 codec: round trips, every truncation, every corrupted byte, keys, replay window. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>

#include "core/hs.h"
#include "core/icc.h"

static uint8_t icct_key[ICC_KEY_LEN], icct_key2[ICC_KEY_LEN];

static void icct_setup(void)
{
	cr_assert(sodium_init() >= 0);
	memset(icct_key, 0x42, sizeof(icct_key));
	memset(icct_key2, 0x43, sizeof(icct_key2));
}

static struct icc_hdr icct_hdr(void)
{
	struct icc_hdr h = { .type = ICC_T_DATA,
			     .flags = 0x5a,
			     .ttl = 7,
			     .sid = 0x1112131415161718,
			     .seq = 0x0102030405060708 };

	strcpy(h.module, "cmm");
	for (int i = 0; i < ID_LEN; i++) {
		h.id.b[i] = (uint8_t)i;
		h.src.b[i] = (uint8_t)(0xa0 + i);
		h.dst.b[i] = (uint8_t)(0xb0 + i);
	}
	return h;
}

static int icct_encode(uint8_t *buf, size_t cap, const char *payload)
{
	struct icc_hdr h = icct_hdr();

	return icc_seal(&h, payload, strlen(payload), icct_key, buf, cap);
}

/* parse, then open under key */
static enum icc_rc icct_decode(uint8_t *buf, size_t len, const uint8_t *key, struct icc_msg *m)
{
	enum icc_rc rc = icc_parse(buf, len, m);

	return rc != ICC_OK ? rc : icc_open(buf, len, key, m);
}

TestSuite(icc, .init = icct_setup);

Test(icc, round_trip)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_hdr h = icct_hdr();
	struct icc_msg m;
	int n = icct_encode(buf, sizeof(buf), "hello");

	cr_assert_eq(n, ICC_HDR_LEN + 5 + ICC_TAG_LEN);
	cr_assert_eq(icct_decode(buf, (size_t)n, icct_key, &m), ICC_OK);
	cr_assert_eq(m.h.type, ICC_T_DATA);
	cr_assert_eq(m.h.flags, 0x5a);
	cr_assert_eq(m.h.ttl, 7);
	cr_assert_str_eq(m.h.module, "cmm");
	cr_assert_eq(m.h.seq, h.seq);
	cr_assert_eq(m.h.sid, h.sid);
	cr_assert(msg_id_eq(&m.h.id, &h.id));
	cr_assert(node_id_eq(&m.h.src, &h.src));
	cr_assert(node_id_eq(&m.h.dst, &h.dst));
	cr_assert_eq(m.h.len, 5);
	cr_assert_eq(memcmp(m.payload, "hello", 5), 0);
}

Test(icc, network_byte_order)
{
	uint8_t buf[ICC_MAX_DGRAM];

	icct_encode(buf, sizeof(buf), "abc");
	cr_assert_eq(buf[0], 0x49);
	cr_assert_eq(buf[1], 0x43);
	cr_assert_eq(buf[2], ICC_VERSION);
	cr_assert_eq(buf[6], 0);
	cr_assert_eq(buf[7], 3);
	cr_assert_eq(buf[72], 0x11);
	cr_assert_eq(buf[79], 0x18);
	cr_assert_eq(buf[80], 0x01);
	cr_assert_eq(buf[87], 0x08);
	cr_assert_neq(memcmp(buf + ICC_HDR_LEN, "abc", 3), 0, "payload in the clear");
}

Test(icc, empty_and_max_payload)
{
	static uint8_t buf[ICC_MAX_DGRAM + 64], big[ICC_MAX_PAYLOAD + 1];
	struct icc_hdr h = icct_hdr();
	struct icc_msg m;
	int n;

	n = icc_seal(&h, NULL, 0, icct_key, buf, sizeof(buf));
	cr_assert_eq(icct_decode(buf, (size_t)n, icct_key, &m), ICC_OK);
	cr_assert_eq(m.h.len, 0);
	n = icc_seal(&h, big, ICC_MAX_PAYLOAD, icct_key, buf, sizeof(buf));
	cr_assert_eq(n, ICC_MAX_DGRAM);
	cr_assert_eq(icct_decode(buf, (size_t)n, icct_key, &m), ICC_OK);
	cr_assert_eq(icc_seal(&h, big, ICC_MAX_PAYLOAD + 1, icct_key, buf, sizeof(buf)), -EMSGSIZE);
	cr_assert_eq(icc_seal(&h, big, 10, icct_key, buf, ICC_HDR_LEN + 10), -EMSGSIZE);
}

Test(icc, encode_rejects_bad_fields)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_hdr h = icct_hdr();

	strcpy(h.module, "Bad Name");
	cr_assert_eq(icc_seal(&h, "x", 1, icct_key, buf, sizeof(buf)), -EINVAL);
	h = icct_hdr();
	h.type = 0;
	cr_assert_eq(icc_seal(&h, "x", 1, icct_key, buf, sizeof(buf)), -EINVAL);
	h.type = ICC_T__MAX;
	cr_assert_eq(icc_seal(&h, "x", 1, icct_key, buf, sizeof(buf)), -EINVAL);
}

Test(icc, every_truncation_is_dropped)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_msg m;
	int n = icct_encode(buf, sizeof(buf), "truncate me");

	for (int len = 0; len < n; len++)
		cr_assert_eq(icct_decode(buf, (size_t)len, icct_key, &m), ICC_DROP_MALFORMED,
			     "len %d", len);
}

Test(icc, every_corrupted_byte_is_dropped)
{
	uint8_t buf[ICC_MAX_DGRAM], copy[ICC_MAX_DGRAM];
	struct icc_msg m;
	int n = icct_encode(buf, sizeof(buf), "corrupt me");

	for (int i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			enum icc_rc rc;

			memcpy(copy, buf, (size_t)n);
			copy[i] ^= (uint8_t)(1 << bit);
			rc = icct_decode(copy, (size_t)n, icct_key, &m);
			cr_assert_neq(rc, ICC_OK, "byte %d bit %d accepted", i, bit);
		}
}

Test(icc, corrupted_fields_give_reasons)
{
	uint8_t buf[ICC_MAX_DGRAM], c[ICC_MAX_DGRAM];
	struct icc_msg m;
	int n = icct_encode(buf, sizeof(buf), "payload");

	memcpy(c, buf, (size_t)n);
	c[0] ^= 0xff; /* magic */
	cr_assert_eq(icct_decode(c, (size_t)n, icct_key, &m), ICC_DROP_MALFORMED);
	memcpy(c, buf, (size_t)n);
	c[2] = 1; /* version 1 (shared key) is gone */
	cr_assert_eq(icct_decode(c, (size_t)n, icct_key, &m), ICC_DROP_MALFORMED);
	memcpy(c, buf, (size_t)n);
	c[6] = 0xff; /* payload length above the maximum */
	cr_assert_eq(icct_decode(c, (size_t)n, icct_key, &m), ICC_DROP_OVERSIZED);
	memcpy(c, buf, (size_t)n);
	c[7] += 1; /* length disagrees with the datagram */
	cr_assert_eq(icct_decode(c, (size_t)n, icct_key, &m), ICC_DROP_MALFORMED);
	memcpy(c, buf, (size_t)n);
	c[8 + 5] = 'x'; /* garbage after the module name's NUL */
	cr_assert_eq(icct_decode(c, (size_t)n, icct_key, &m), ICC_DROP_MALFORMED);
	memcpy(c, buf, (size_t)n);
	c[30] ^= 1; /* message ID: only the tag can tell */
	cr_assert_eq(icct_decode(c, (size_t)n, icct_key, &m), ICC_DROP_BAD_AUTH);
	memcpy(c, buf, (size_t)n);
	c[85] ^= 1; /* counter (the nonce) */
	cr_assert_eq(icct_decode(c, (size_t)n, icct_key, &m), ICC_DROP_BAD_AUTH);
	memcpy(c, buf, (size_t)n);
	c[n - 1] ^= 1; /* tag */
	cr_assert_eq(icct_decode(c, (size_t)n, icct_key, &m), ICC_DROP_BAD_AUTH);
}

Test(icc, oversized_datagram)
{
	static uint8_t buf[ICC_MAX_DGRAM + 100];
	struct icc_msg m;

	icct_encode(buf, sizeof(buf), "x");
	cr_assert_eq(icct_decode(buf, sizeof(buf), icct_key, &m), ICC_DROP_OVERSIZED);
}

Test(icc, wrong_key)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_msg m;
	int n = icct_encode(buf, sizeof(buf), "secret");

	cr_assert_eq(icct_decode(buf, (size_t)n, icct_key2, &m), ICC_DROP_BAD_AUTH);
	/* a failed open zeroes the ciphertext: nothing unauthenticated is left behind */
	for (int i = 0; i < 6; i++)
		cr_assert_eq(buf[ICC_HDR_LEN + i], 0);
	n = icct_encode(buf, sizeof(buf), "secret");
	cr_assert_eq(icct_decode(buf, (size_t)n, icct_key, &m), ICC_OK);
	cr_assert_eq(memcmp(m.payload, "secret", 6), 0);
}

/* The per-session replay window (core/hs.c), multi-word shifts included. */
Test(icc, replay_window)
{
	static struct hs_peer p;
	struct hs_session *s = &p.cur;

	s->valid = true;
	cr_assert_eq(hs_rx_accept(&p, s, 0), -EALREADY);
	cr_assert_eq(hs_rx_accept(&p, s, 100), 0);
	cr_assert_eq(hs_rx_accept(&p, s, 100), -EALREADY);
	cr_assert_eq(hs_rx_accept(&p, s, 99), 0); /* late, in window */
	cr_assert_eq(hs_rx_accept(&p, s, 99), -EALREADY);
	cr_assert_eq(hs_rx_accept(&p, s, 100 + HS_REPLAY_WINDOW), 0);
	cr_assert_eq(hs_rx_accept(&p, s, 98), -EALREADY); /* left the window */
	cr_assert_eq(hs_rx_accept(&p, s, 300), 0);
	cr_assert_eq(hs_rx_accept(&p, s, 300), -EALREADY);
	/* a shift by more than one word keeps the older bits */
	cr_assert_eq(hs_rx_accept(&p, s, 100 + HS_REPLAY_WINDOW + 70), 0);
	cr_assert_eq(hs_rx_accept(&p, s, 300), -EALREADY);
	cr_assert_eq(hs_rx_accept(&p, s, 301), 0);
	cr_assert_eq(hs_rx_accept(&p, s, 100 + HS_REPLAY_WINDOW), -EALREADY);
}
