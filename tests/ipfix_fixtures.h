/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by the IPFIX tests (unit, bpf, live): a literal clock, one ended flow, big-endian reads. */
#ifndef IPOP_TESTS_IPFIX_FIXTURES_H
#define IPOP_TESTS_IPFIX_FIXTURES_H

#include <stdint.h>
#include <string.h>

#include "flow/ipfix.h"

#define MS(x) ((uint64_t)(x)*1000000ull)

/* 2026-01-01T00:00:00Z in ms, and a monotonic clock that read 1000 s then */
#define WALL0_MS 1767225600000ull
static const struct ipfix_clock clk
	__attribute__((unused)) = { .real_minus_mono_ns = (int64_t)(WALL0_MS * 1000000ull) -
							  (int64_t)MS(1000000) };

static inline struct stats_ended ended4(void)
{
	struct stats_ended e = { .reason = STATS_END_IDLE };
	const uint8_t s[4] = { 10, 1, 2, 3 }, d[4] = { 192, 0, 2, 200 };

	e.key.ifindex = 7;
	e.key.dir = FLOW_DIR_INGRESS;
	e.key.l3 = FLOW_L3_IPV4;
	e.key.proto = 6;
	e.key.ethertype = 0x0800;
	e.key.vlan = 42;
	e.key.sport = 40000;
	e.key.dport = 443;
	memcpy(e.key.src, s, 4);
	memcpy(e.key.dst, d, 4);
	e.val.packets = 10;
	e.val.bytes = 10 * 18 + 5000; /* tagged: 18 bytes of L2 header per packet */
	e.val.l2_len = 18;
	e.val.seg_extra = 6; /* 4 skbs */
	e.val.first_seen_ns = MS(1000000) + MS(250);
	e.val.last_seen_ns = MS(1000000) + MS(1750) + 999999; /* truncated to the ms */
	e.val.tcp_flags = 0x1b;
	e.val.table_id = 3;
	return e;
}

/* ---- encoder: raw bytes ---- */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static inline uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/*
 * Walk a template set: fill ie[]/len[] of template tid (enterprise bit
 * folded in as ent[]). Returns the field count, 0 if tid is not there.
 */

#endif /* IPOP_TESTS_IPFIX_FIXTURES_H */
