// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ICC codec: round trips, every truncation, every corrupted byte, keys, replay. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>

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
	struct icc_hdr h = {
		.type = ICC_T_DATA, .flags = 0x5a, .ttl = 7, .seq = 0x0102030405060708
	};

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

	return icc_encode(&h, payload, strlen(payload), icct_key, buf, cap);
}

TestSuite(icc, .init = icct_setup);

Test(icc, round_trip)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_hdr h = icct_hdr();
	struct icc_msg m;
	int n = icct_encode(buf, sizeof(buf), "hello");

	cr_assert_eq(n, ICC_HDR_LEN + 5 + ICC_TAG_LEN);
	cr_assert_eq(icc_decode(buf, (size_t)n, icct_key, &m), ICC_OK);
	cr_assert_eq(m.h.type, ICC_T_DATA);
	cr_assert_eq(m.h.flags, 0x5a);
	cr_assert_eq(m.h.ttl, 7);
	cr_assert_str_eq(m.h.module, "cmm");
	cr_assert_eq(m.h.seq, h.seq);
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
	cr_assert_eq(buf[72], 0x01);
	cr_assert_eq(buf[79], 0x08);
}

Test(icc, empty_and_max_payload)
{
	static uint8_t buf[ICC_MAX_DGRAM + 64], big[ICC_MAX_PAYLOAD + 1];
	struct icc_hdr h = icct_hdr();
	struct icc_msg m;
	int n;

	n = icc_encode(&h, NULL, 0, icct_key, buf, sizeof(buf));
	cr_assert_eq(icc_decode(buf, (size_t)n, icct_key, &m), ICC_OK);
	cr_assert_eq(m.h.len, 0);
	n = icc_encode(&h, big, ICC_MAX_PAYLOAD, icct_key, buf, sizeof(buf));
	cr_assert_eq(n, ICC_MAX_DGRAM);
	cr_assert_eq(icc_decode(buf, (size_t)n, icct_key, &m), ICC_OK);
	cr_assert_eq(icc_encode(&h, big, ICC_MAX_PAYLOAD + 1, icct_key, buf, sizeof(buf)),
		     -EMSGSIZE);
	cr_assert_eq(icc_encode(&h, big, 10, icct_key, buf, ICC_HDR_LEN + 10), -EMSGSIZE);
}

Test(icc, encode_rejects_bad_fields)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_hdr h = icct_hdr();

	strcpy(h.module, "Bad Name");
	cr_assert_eq(icc_encode(&h, "x", 1, icct_key, buf, sizeof(buf)), -EINVAL);
	h = icct_hdr();
	h.type = 0;
	cr_assert_eq(icc_encode(&h, "x", 1, icct_key, buf, sizeof(buf)), -EINVAL);
	h.type = ICC_T__MAX;
	cr_assert_eq(icc_encode(&h, "x", 1, icct_key, buf, sizeof(buf)), -EINVAL);
}

Test(icc, every_truncation_is_dropped)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_msg m;
	int n = icct_encode(buf, sizeof(buf), "truncate me");

	for (int len = 0; len < n; len++)
		cr_assert_eq(icc_decode(buf, (size_t)len, icct_key, &m), ICC_DROP_MALFORMED,
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
			rc = icc_decode(copy, (size_t)n, icct_key, &m);
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
	cr_assert_eq(icc_decode(c, (size_t)n, icct_key, &m), ICC_DROP_MALFORMED);
	memcpy(c, buf, (size_t)n);
	c[2] = 2; /* version */
	cr_assert_eq(icc_decode(c, (size_t)n, icct_key, &m), ICC_DROP_MALFORMED);
	memcpy(c, buf, (size_t)n);
	c[6] = 0xff; /* payload length above the maximum */
	cr_assert_eq(icc_decode(c, (size_t)n, icct_key, &m), ICC_DROP_OVERSIZED);
	memcpy(c, buf, (size_t)n);
	c[7] += 1; /* length disagrees with the datagram */
	cr_assert_eq(icc_decode(c, (size_t)n, icct_key, &m), ICC_DROP_MALFORMED);
	memcpy(c, buf, (size_t)n);
	c[8 + 5] = 'x'; /* garbage after the module name's NUL */
	cr_assert_eq(icc_decode(c, (size_t)n, icct_key, &m), ICC_DROP_MALFORMED);
	memcpy(c, buf, (size_t)n);
	c[30] ^= 1; /* message ID: only the tag can tell */
	cr_assert_eq(icc_decode(c, (size_t)n, icct_key, &m), ICC_DROP_BAD_AUTH);
	memcpy(c, buf, (size_t)n);
	c[n - 1] ^= 1; /* tag */
	cr_assert_eq(icc_decode(c, (size_t)n, icct_key, &m), ICC_DROP_BAD_AUTH);
}

Test(icc, oversized_datagram)
{
	static uint8_t buf[ICC_MAX_DGRAM + 100];
	struct icc_msg m;

	icct_encode(buf, sizeof(buf), "x");
	cr_assert_eq(icc_decode(buf, sizeof(buf), icct_key, &m), ICC_DROP_OVERSIZED);
}

Test(icc, wrong_key)
{
	uint8_t buf[ICC_MAX_DGRAM];
	struct icc_msg m;
	int n = icct_encode(buf, sizeof(buf), "secret");

	cr_assert_eq(icc_decode(buf, (size_t)n, icct_key2, &m), ICC_DROP_BAD_AUTH);
	cr_assert_eq(icc_decode(buf, (size_t)n, icct_key, &m), ICC_OK);
}

Test(icc, replay_window)
{
	struct icc_replay r;
	struct node_id a = { { 1 } }, b = { { 2 } };

	cr_assert_eq(icc_replay_init(&r, 8), 0);
	cr_assert_eq(icc_replay_check(&r, &a, 0), ICC_DROP_REPLAY);
	cr_assert_eq(icc_replay_check(&r, &a, 100), ICC_OK);
	cr_assert_eq(icc_replay_check(&r, &a, 100), ICC_DROP_REPLAY);
	cr_assert_eq(icc_replay_check(&r, &a, 99), ICC_OK); /* late, in window */
	cr_assert_eq(icc_replay_check(&r, &a, 99), ICC_DROP_REPLAY);
	cr_assert_eq(icc_replay_check(&r, &b, 99), ICC_OK); /* sources are separate */
	cr_assert_eq(icc_replay_check(&r, &a, 100 + ICC_REPLAY_WINDOW), ICC_OK);
	cr_assert_eq(icc_replay_check(&r, &a, 98), ICC_DROP_REPLAY); /* left the window */
	cr_assert_eq(icc_replay_check(&r, &a, 300), ICC_OK);
	cr_assert_eq(icc_replay_check(&r, &a, 300), ICC_DROP_REPLAY);
	/* a shift by more than one word keeps the older bits */
	cr_assert_eq(icc_replay_check(&r, &a, 100 + ICC_REPLAY_WINDOW + 70), ICC_OK);
	cr_assert_eq(icc_replay_check(&r, &a, 300), ICC_DROP_REPLAY);
	cr_assert_eq(icc_replay_check(&r, &a, 301), ICC_OK);
	cr_assert_eq(icc_replay_check(&r, &a, 100 + ICC_REPLAY_WINDOW), ICC_DROP_REPLAY);
	icc_replay_free(&r);
}

Test(icc, replay_table_is_bounded)
{
	struct icc_replay r;
	struct node_id ids[3] = { { { 1 } }, { { 2 } }, { { 3 } } };

	cr_assert_eq(icc_replay_init(&r, 2), 0);
	cr_assert_eq(icc_replay_check(&r, &ids[0], 10), ICC_OK);
	cr_assert_eq(icc_replay_check(&r, &ids[1], 10), ICC_OK);
	cr_assert_eq(icc_replay_check(&r, &ids[2], 10), ICC_OK); /* evicts ids[0] */
	cr_assert_eq(r.n, 2);
	cr_assert_eq(icc_replay_check(&r, &ids[1], 10), ICC_DROP_REPLAY);
	cr_assert_eq(icc_replay_check(&r, &ids[2], 10), ICC_DROP_REPLAY);
	icc_replay_free(&r);
}
