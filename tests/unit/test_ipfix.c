// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * IPFIX: the record builder (every element, IPv4/IPv6/ICMP/non-IP, end
 * reasons, wall clock from monotonic stamps with a literal clock), the
 * encoder against the raw bytes of RFC 7011 (message header, template set,
 * data set) and against libfixbuf's own decoder, target parsing, and the
 * config keys. The statistics code's active-timeout records are in
 * tests/bpf/test_ipfix_stats.c (BPF maps), the exporter on loopback in
 * tests/live/test_live_ipfix.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <time.h>

#include "daemon/flowd.h"
#include "flow/ipfix.h"
#include "ipfix_fixtures.h"

Test(ipfix, wall_clock_literal)
{
	cr_assert_eq(ipfix_wall_ms(&clk, MS(1000000)), WALL0_MS);
	cr_assert_eq(ipfix_wall_ms(&clk, MS(1000000) + 1), WALL0_MS, "sub-ms truncates");
	cr_assert_eq(ipfix_wall_ms(&clk, MS(1000001)), WALL0_MS + 1);
	cr_assert_eq(ipfix_wall_ms(&clk, MS(1000000) - MS(5)), WALL0_MS - 5);

	struct ipfix_clock now;
	struct timespec m, r;

	ipfix_clock_now(&now);
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	uint64_t want = (uint64_t)r.tv_sec * 1000 + r.tv_nsec / 1000000;
	uint64_t got = ipfix_wall_ms(&now, (uint64_t)m.tv_sec * 1000000000ull + m.tv_nsec);
	cr_assert(got + 50 >= want && got <= want + 50, "now: %llu vs %llu",
		  (unsigned long long)got, (unsigned long long)want);
}

Test(ipfix, build_ipv4_tcp_every_element)
{
	struct stats_ended e = ended4();
	struct ipfix_rec r;

	ipfix_rec_build(&r, &e, &clk);
	cr_assert_eq(ipfix_rec_tid(&e.key), IPFIX_TID_V4);
	cr_assert_eq(r.start_ms, WALL0_MS + 250);
	cr_assert_eq(r.end_ms, WALL0_MS + 1750);
	cr_assert_eq(r.packets, 10);
	cr_assert_eq(r.l2_octets, 10 * 18 + 5000);
	cr_assert_eq(r.octets, 5000, "octetDeltaCount is IP header + payload");
	cr_assert_eq(r.skbs, 4);
	cr_assert_eq(r.src4, 0x0a010203);
	cr_assert_eq(r.dst4, 0xc00002c8);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(r.src6[i] | r.dst6[i], 0);
	cr_assert_eq(r.in_if, 7);
	cr_assert_eq(r.out_if, 0);
	cr_assert_eq(r.table_id, 3);
	cr_assert_eq(r.sport, 40000);
	cr_assert_eq(r.dport, 443);
	cr_assert_eq(r.icmp4, 0);
	cr_assert_eq(r.icmp6, 0);
	cr_assert_eq(r.tcp_flags, 0x1b);
	cr_assert_eq(r.vlan, 42);
	cr_assert_eq(r.ethertype, 0x0800);
	cr_assert_eq(r.proto, 6);
	cr_assert_eq(r.direction, 0);
	cr_assert_eq(r.end_reason, IPFIX_END_IDLE);
}

Test(ipfix, build_ipv6_icmp_egress)
{
	struct stats_ended e = ended4();
	struct ipfix_rec r;

	e.key.l3 = FLOW_L3_IPV6;
	e.key.proto = 58;
	e.key.ethertype = 0x86dd;
	e.key.dir = FLOW_DIR_EGRESS;
	e.key.sport = 128; /* echo request */
	e.key.dport = 0;
	for (int i = 0; i < 16; i++) {
		e.key.src[i] = (uint8_t)(0x20 + i);
		e.key.dst[i] = (uint8_t)(0x80 + i);
	}
	e.val.tcp_flags = 0x12; /* not TCP: not exported */
	e.reason = STATS_END_ACTIVE;
	ipfix_rec_build(&r, &e, &clk);
	cr_assert_eq(ipfix_rec_tid(&e.key), IPFIX_TID_V6);
	cr_assert_eq(memcmp(r.src6, e.key.src, 16), 0);
	cr_assert_eq(memcmp(r.dst6, e.key.dst, 16), 0);
	cr_assert_eq(r.src4 | r.dst4, 0);
	cr_assert_eq(r.icmp6, 128 << 8);
	cr_assert_eq(r.icmp4, 0);
	cr_assert_eq(r.sport | r.dport, 0, "ICMP type/code only in icmpTypeCode");
	cr_assert_eq(r.tcp_flags, 0);
	cr_assert_eq(r.out_if, 7);
	cr_assert_eq(r.in_if, 0);
	cr_assert_eq(r.direction, 1);
	cr_assert_eq(r.end_reason, IPFIX_END_ACTIVE);

	e.key.l3 = FLOW_L3_IPV4;
	e.key.proto = 1;
	e.key.sport = 3; /* unreachable, port: code 3 */
	e.key.dport = 3;
	ipfix_rec_build(&r, &e, &clk);
	cr_assert_eq(r.icmp4, 0x0303);
	cr_assert_eq(r.icmp6, 0);
}

Test(ipfix, build_non_ip_and_reasons)
{
	struct stats_ended e = ended4();
	struct ipfix_rec r;

	memset(&e.key, 0, sizeof(e.key));
	e.key.ethertype = 0x0806;
	e.key.ifindex = 2;
	e.val.l2_len = 14;
	e.val.bytes = 10 * 60;
	ipfix_rec_build(&r, &e, &clk);
	cr_assert_eq(ipfix_rec_tid(&e.key), IPFIX_TID_OTHER);
	cr_assert_eq(r.ethertype, 0x0806);
	cr_assert_eq(r.l2_octets, 600);
	cr_assert_eq(ipfix_end_reason(STATS_END_IDLE), 1);
	cr_assert_eq(ipfix_end_reason(STATS_END_ACTIVE), 2);
	cr_assert_eq(ipfix_end_reason(STATS_END_FORCED), 4);
	cr_assert_eq(ipfix_end_reason(STATS_END_EVICTED), 5);
	/* counts that cannot be (more L2 bytes than bytes): clamped, not wrapped */
	e.val.bytes = 5;
	e.val.seg_extra = 11;
	ipfix_rec_build(&r, &e, &clk);
	cr_assert_eq(r.octets, 0);
	cr_assert_eq(r.skbs, 0);
}

static int find_template(const uint8_t *m, size_t mlen, uint16_t tid, uint16_t *ie, uint16_t *len,
			 uint32_t *ent)
{
	for (size_t off = 16; off + 4 <= mlen;) {
		uint16_t sid = rd16(m + off), slen = rd16(m + off + 2);

		cr_assert_geq(slen, 4);
		cr_assert_leq(off + slen, mlen, "set runs past the message");
		if (sid == 2) {
			for (size_t p = off + 4; p + 4 <= off + slen;) {
				uint16_t t = rd16(m + p), n = rd16(m + p + 2);

				p += 4;
				for (int i = 0; i < n; i++) {
					uint16_t id = rd16(m + p), l = rd16(m + p + 2);

					p += 4;
					if (t == tid) {
						ie[i] = id & 0x7fff;
						len[i] = l;
						ent[i] = 0;
					}
					if (id & 0x8000) {
						if (t == tid)
							ent[i] = rd32(m + p);
						p += 4;
					}
				}
				if (t == tid)
					return n;
			}
		}
		off += slen;
	}
	return 0;
}

Test(ipfix, encoder_raw_bytes)
{
	char err[256];
	struct ipfix_enc *enc = ipfix_enc_new(99, 1400, err, sizeof(err));
	struct stats_ended e = ended4();
	struct ipfix_rec r;
	const uint8_t *m;
	uint16_t ie[64], len[64];
	uint32_t ent[64];
	ssize_t n;
	int nf;

	cr_assert_not_null(enc, "%s", err);
	ipfix_enc_set_time(enc, 1767225600);
	cr_assert_eq(ipfix_enc_templates(enc, err, sizeof(err)), 0, "%s", err);
	n = ipfix_enc_emit(enc, &m, err, sizeof(err));
	cr_assert_gt(n, 16, "%s", err);
	cr_assert_eq(rd16(m), 10, "IPFIX version");
	cr_assert_eq(rd16(m + 2), n, "message length");
	cr_assert_eq(rd32(m + 4), 1767225600, "export time");
	cr_assert_eq(rd32(m + 12), 99, "observation domain");
	nf = find_template(m, n, IPFIX_TID_V4, ie, len, ent);
	cr_assert_eq(nf, 19, "IPv4 template fields: %d", nf);
	/* IANA numbers of what we promised, with their lengths */
	static const uint16_t want_ie[] = { 152, 153, 1,  2,  352, 2,  8,  12,	10, 14,
					    1,	 7,   11, 32, 6,   58, 61, 136, 4 };
	int seen_ent = 0;
	for (int i = 0; i < nf; i++) {
		if (ent[i]) {
			cr_assert_eq(ent[i], IPFIX_PEN);
			seen_ent++;
			continue;
		}
		bool known = false;
		for (size_t k = 0; k < sizeof(want_ie) / sizeof(want_ie[0]); k++)
			known |= want_ie[k] == ie[i];
		cr_assert(known, "unexpected IE %u in the IPv4 template", ie[i]);
	}
	cr_assert_eq(seen_ent, 2, "flow table id and skb count under our PEN");
	cr_assert_gt(find_template(m, n, IPFIX_TID_V6, ie, len, ent), 0);
	cr_assert_gt(find_template(m, n, IPFIX_TID_OTHER, ie, len, ent), 0);

	/* one data record: find the v4 template's field offsets and read them raw */
	nf = find_template(m, n, IPFIX_TID_V4, ie, len, ent);
	ipfix_rec_build(&r, &e, &clk);
	cr_assert_eq(ipfix_enc_add(enc, &r, IPFIX_TID_V4, err, sizeof(err)), 0, "%s", err);
	n = ipfix_enc_emit(enc, &m, err, sizeof(err));
	cr_assert_gt(n, 20, "%s", err);
	cr_assert_eq(rd16(m + 16), IPFIX_TID_V4, "data set id = template id");
	const uint8_t *p = m + 20;
	for (int i = 0; i < nf; i++) {
		uint64_t v = len[i] == 8   ? rd64(p)
			     : len[i] == 4 ? rd32(p)
			     : len[i] == 2 ? rd16(p)
					   : *p;

		if (ent[i] && ie[i] == IPFIX_IE_FLOW_TABLE_ID)
			cr_assert_eq(v, 3);
		else if (ent[i])
			cr_assert_eq(v, 4, "skbs");
		else if (ie[i] == 152)
			cr_assert_eq(v, WALL0_MS + 250);
		else if (ie[i] == 153)
			cr_assert_eq(v, WALL0_MS + 1750);
		else if (ie[i] == 1)
			cr_assert_eq(v, 5000);
		else if (ie[i] == 2)
			cr_assert_eq(v, 10);
		else if (ie[i] == 352)
			cr_assert_eq(v, 5180);
		else if (ie[i] == 8)
			cr_assert_eq(v, 0x0a010203);
		else if (ie[i] == 12)
			cr_assert_eq(v, 0xc00002c8);
		else if (ie[i] == 10)
			cr_assert_eq(v, 7);
		else if (ie[i] == 14)
			cr_assert_eq(v, 0);
		else if (ie[i] == 7)
			cr_assert_eq(v, 40000);
		else if (ie[i] == 11)
			cr_assert_eq(v, 443);
		else if (ie[i] == 6)
			cr_assert_eq(v, 0x1b);
		else if (ie[i] == 58)
			cr_assert_eq(v, 42);
		else if (ie[i] == 4)
			cr_assert_eq(v, 6);
		else if (ie[i] == 136)
			cr_assert_eq(v, IPFIX_END_IDLE);
		p += len[i];
	}
	cr_assert_eq(p, m + n, "record fills the message");
	ipfix_enc_free(enc);
}

/* Many records: -ENOSPC, emit, go on; every message decodes back to what went in. */
Test(ipfix, encoder_decoder_roundtrip_many_messages)
{
	char err[256];
	struct ipfix_enc *enc = ipfix_enc_new(1, 600, err, sizeof(err));
	struct ipfix_dec *dec = ipfix_dec_new(err, sizeof(err));
	struct ipfix_rec in[40], out[40];
	uint16_t tids[40];
	const uint8_t *m;
	size_t got = 0, msgs = 0;
	ssize_t n;

	cr_assert_not_null(enc, "%s", err);
	cr_assert_not_null(dec, "%s", err);
	cr_assert_eq(ipfix_enc_templates(enc, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 40; i++) {
		struct stats_ended e = ended4();

		e.key.sport = (uint16_t)(1000 + i);
		e.val.packets = 100 + i;
		if (i % 3 == 1) {
			e.key.l3 = FLOW_L3_IPV6;
			memset(e.key.src, i, 16);
		} else if (i % 3 == 2) {
			e.key.l3 = FLOW_L3_OTHER;
			e.key.ethertype = 0x88cc;
		}
		ipfix_rec_build(&in[i], &e, &clk);
		int rc = ipfix_enc_add(enc, &in[i], ipfix_rec_tid(&e.key), err, sizeof(err));
		if (rc == -ENOSPC) {
			n = ipfix_enc_emit(enc, &m, err, sizeof(err));
			cr_assert_gt(n, 0);
			cr_assert_leq(n, 600);
			msgs++;
			int k = ipfix_dec_msg(dec, m, n, out + got, tids + got, 40 - got, err,
					      sizeof(err));
			cr_assert_geq(k, 0, "%s", err);
			got += k;
			rc = ipfix_enc_add(enc, &in[i], ipfix_rec_tid(&e.key), err, sizeof(err));
		}
		cr_assert_eq(rc, 0, "%s", err);
	}
	n = ipfix_enc_emit(enc, &m, err, sizeof(err));
	cr_assert_gt(n, 0);
	msgs++;
	int k = ipfix_dec_msg(dec, m, n, out + got, tids + got, 40 - got, err, sizeof(err));
	cr_assert_geq(k, 0, "%s", err);
	got += k;
	cr_assert_gt(msgs, 3, "600-byte messages: several");
	cr_assert_eq(got, 40);
	for (int i = 0; i < 40; i++) {
		struct ipfix_rec want = in[i];

		cr_assert_eq(tids[i], i % 3 == 0   ? IPFIX_TID_V4
				      : i % 3 == 1 ? IPFIX_TID_V6
						   : IPFIX_TID_OTHER);
		/* what a shape does not carry comes back 0 */
		if (i % 3 != 0)
			want.src4 = want.dst4 = want.icmp4 = 0;
		if (i % 3 != 1)
			memset(want.src6, 0, 32), want.icmp6 = 0;
		if (i % 3 == 2)
			want.octets = want.sport = want.dport = want.tcp_flags = want.proto = 0;
		else
			want.ethertype = 0;
		cr_assert_eq(memcmp(&want, &out[i], sizeof(want)), 0, "record %d differs", i);
	}
	ipfix_enc_free(enc);
	ipfix_dec_free(dec);
}

/*
 * An overlay flow (FLOW_KEY_OVERLAY): its own templates, 259-261, each the
 * plain one plus the two node IDs under our PEN (16-byte octetArray); the
 * IDs survive encoding and libfixbuf's decoding, and a plain flow's record
 * does not carry them.
 */
Test(ipfix, overlay_node_ids)
{
	char err[256];
	struct ipfix_enc *enc = ipfix_enc_new(5, 1400, err, sizeof(err));
	struct ipfix_dec *dec = ipfix_dec_new(err, sizeof(err));
	struct ipfix_rec in[3], out[3];
	uint16_t tids[3], ie[64], len[64], tid;
	uint32_t ent[64];
	const uint8_t *m;
	ssize_t n;
	int nf, nplain, ids;

	cr_assert_not_null(enc, "%s", err);
	cr_assert_not_null(dec, "%s", err);
	cr_assert_eq(ipfix_enc_templates(enc, err, sizeof(err)), 0, "%s", err);
	n = ipfix_enc_emit(enc, &m, err, sizeof(err));
	cr_assert_gt(n, 16, "%s", err);
	for (tid = IPFIX_TID_V4_OVL; tid <= IPFIX_TID_OTHER_OVL; tid++) {
		nplain = find_template(m, n, tid - (IPFIX_TID_V4_OVL - IPFIX_TID_V4), ie, len, ent);
		nf = find_template(m, n, tid, ie, len, ent);
		cr_assert_eq(nf, nplain + 2, "template %u: %d fields, plain %d", tid, nf, nplain);
		ids = 0;
		for (int i = 0; i < nf; i++)
			if (ent[i] == IPFIX_PEN &&
			    (ie[i] == IPFIX_IE_OVERLAY_SRC || ie[i] == IPFIX_IE_OVERLAY_DST)) {
				cr_assert_eq(len[i], 16);
				ids++;
			}
		cr_assert_eq(ids, 2, "template %u: both node IDs", tid);
	}
	cr_assert_eq(ipfix_dec_msg(dec, m, n, out, tids, 3, err, sizeof(err)), 0, "%s", err);

	for (int i = 0; i < 3; i++) {
		struct stats_ended e = ended4();

		if (i < 2)
			e.key.flags = FLOW_KEY_OVERLAY;
		if (i == 1) {
			e.key.l3 = FLOW_L3_IPV6;
			e.key.ethertype = 0x86dd;
			memset(e.key.src, 0x20, 16);
		}
		for (int b = 0; b < 16; b++) {
			e.val.src_node[b] = (uint8_t)(0x10 + b + i);
			e.val.dst_node[b] = (uint8_t)(0xe0 - b - i);
		}
		ipfix_rec_build(&in[i], &e, &clk);
		cr_assert_eq(memcmp(in[i].src_node, e.val.src_node, 16) == 0, i < 2,
			     "record %d: the IDs only for an overlay flow", i);
		cr_assert_eq(ipfix_rec_tid(&e.key), i == 0   ? IPFIX_TID_V4_OVL
						    : i == 1 ? IPFIX_TID_V6_OVL
							     : IPFIX_TID_V4);
		cr_assert_eq(ipfix_enc_add(enc, &in[i], ipfix_rec_tid(&e.key), err, sizeof(err)), 0,
			     "%s", err);
	}
	n = ipfix_enc_emit(enc, &m, err, sizeof(err));
	cr_assert_gt(n, 0, "%s", err);
	cr_assert_eq(ipfix_dec_msg(dec, m, n, out, tids, 3, err, sizeof(err)), 3, "%s", err);
	cr_assert_eq(tids[0], IPFIX_TID_V4_OVL);
	cr_assert_eq(tids[1], IPFIX_TID_V6_OVL);
	cr_assert_eq(tids[2], IPFIX_TID_V4);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(memcmp(out[i].src_node, in[i].src_node, 16), 0, "record %d src", i);
		cr_assert_eq(memcmp(out[i].dst_node, in[i].dst_node, 16), 0, "record %d dst", i);
		cr_assert_eq(out[i].packets, in[i].packets);
	}
	for (int b = 0; b < 16; b++)
		cr_assert_eq(out[2].src_node[b] | out[2].dst_node[b], 0);
	ipfix_enc_free(enc);
	ipfix_dec_free(dec);
}

/* ---- targets ---- */

Test(ipfix, parse_target)
{
	struct ipfix_cfg c;
	char err[200];

	memset(&c, 0, sizeof(c));
	cr_assert_eq(ipfix_parse_target(&c, "127.0.0.1:9995", err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.host, "127.0.0.1");
	cr_assert_str_eq(c.port, "9995");
	cr_assert_eq(c.transport, IPFIX_UDP);
	cr_assert_eq(ipfix_parse_target(&c, "collector.example:4740/tcp", err, sizeof(err)), 0);
	cr_assert_str_eq(c.host, "collector.example");
	cr_assert_eq(c.transport, IPFIX_TCP);
	cr_assert_eq(ipfix_parse_target(&c, "[::1]:2055/udp", err, sizeof(err)), 0);
	cr_assert_str_eq(c.host, "::1");
	cr_assert_str_eq(c.port, "2055");
	cr_assert_eq(c.transport, IPFIX_UDP);
	cr_assert_eq(ipfix_parse_target(&c, "host", err, sizeof(err)), 0);
	cr_assert_str_eq(c.port, "4739");
	const char *bad[] = { "",     ":9995",	"h:0",	"h:65536", "h:12x", "h:1/sctp",
			      "[::1", "[::1]x", "h:1/", "::1:5",   NULL };
	for (int i = 0; bad[i]; i++)
		cr_assert_eq(ipfix_parse_target(&c, bad[i], err, sizeof(err)), -EINVAL,
			     "'%s' accepted", bad[i]);
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	cr_assert_eq(ipfix_parse_target(&c, big, err, sizeof(err)), -EINVAL, "oversized host");
}

/* The config's "flows" object: ipfix, ipfix_domain, ipfix_interval_ms; the command line wins. */
Test(ipfix, flows_config_keys)
{
	struct flowd_opts o;
	char err[256];
	json_error_t je;
	json_t *j = json_loads("{\"ipfix\": \"127.0.0.1:4739/tcp\", \"ipfix_domain\": 9, "
			       "\"ipfix_interval_ms\": 250}",
			       0, &je);

	memset(&o, 0, sizeof(o));
	cr_assert_eq(flowd_opts_from_json(&o, j, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(o.ipfix, "127.0.0.1:4739/tcp");
	cr_assert_eq(o.ipfix_domain, 9);
	cr_assert_eq(o.ipfix_interval_ms, 250);
	memset(&o, 0, sizeof(o));
	o.ipfix = "10.0.0.1:2055";
	cr_assert_eq(flowd_opts_from_json(&o, j, err, sizeof(err)), 0);
	cr_assert_str_eq(o.ipfix, "10.0.0.1:2055", "the command line wins");
	json_decref(j);
	j = json_loads("{\"ipfix\": 4739}", 0, &je);
	memset(&o, 0, sizeof(o));
	cr_assert_eq(flowd_opts_from_json(&o, j, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "flows.ipfix"), "%s", err);
	json_decref(j);
	j = json_loads("{\"ipfix_domain\": -1}", 0, &je);
	cr_assert_eq(flowd_opts_from_json(&o, j, err, sizeof(err)), -EINVAL);
	json_decref(j);
}
