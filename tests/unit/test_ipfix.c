// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * IPFIX: the record builder (every element, IPv4/IPv6/ICMP/non-IP, end
 * reasons, wall clock from monotonic stamps with a literal clock), the
 * encoder against the raw bytes of RFC 7011 (message header, template set,
 * data set) and against libfixbuf's own decoder, active-timeout records of
 * the real statistics code adding up to the flow's counts, target parsing,
 * and the exporter over UDP and TCP on loopback (collector away, collector
 * closing, a name that does not resolve).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "daemon/flowd.h"
#include "flow/ipfix.h"

#define MS(x) ((uint64_t)(x)*1000000ull)

/* 2026-01-01T00:00:00Z in ms, and a monotonic clock that read 1000 s then */
#define WALL0_MS 1767225600000ull
static const struct ipfix_clock clk = { .real_minus_mono_ns = (int64_t)(WALL0_MS * 1000000ull) -
							      (int64_t)MS(1000000) };

static struct stats_ended ended4(void)
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

/* ---- encoder: raw bytes ---- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/*
 * Walk a template set: fill ie[]/len[] of template tid (enterprise bit
 * folded in as ent[]). Returns the field count, 0 if tid is not there.
 */
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

/* ---- active-timeout records of the real statistics code ---- */

struct sink_log {
	struct ipfix_rec r[16];
	size_t n;
};

static void log_sink(void *ctx, const struct stats_ended *e)
{
	struct sink_log *l = ctx;

	cr_assert_lt(l->n, 16);
	ipfix_rec_build(&l->r[l->n++], e, &clk);
}

static int mkmap(enum bpf_map_type t, __u32 ks, __u32 vs, __u32 max)
{
	int fd = bpf_map_create(t, NULL, ks, vs, max, NULL);

	cr_assert_geq(fd, 0, "bpf_map_create: %s", strerror(errno));
	return fd;
}

/*
 * One long flow, cut by the active timeout twice and ended by the idle
 * timeout: each map entry the datapath made for it becomes one record, and
 * the records add up to exactly what the datapath counted, with no overlap
 * in time.
 */
Test(ipfix, active_timeout_records_add_up)
{
	struct stats_cfg cfg;
	struct stats_maps m;
	struct sink_log log = { .n = 0 };
	struct stats_ended e = ended4();
	struct stats *s;
	/* what the datapath counts between passes: packets, bytes, first, last (ms) */
	static const uint64_t seg[3][4] = {
		{ 1000, 1000 * 1514, 100, 1150 },
		{ 700, 700 * 1514 - 300, 1210, 2400 },
		{ 3, 3 * 66, 2500, 2600 },
	};
	static const uint64_t pass_ms[3] = { 1200, 2450, 4000 };
	uint64_t pk = 0, by = 0, ip = 0;

	cr_assert_eq(geteuid(), 0, "creates BPF maps: needs root");
	m.flows = mkmap(BPF_MAP_TYPE_LRU_HASH, sizeof(struct flow_key), sizeof(struct flow_value),
			64);
	m.dp_stats = mkmap(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, DP_STAT_MAX);
	m.table_stats = mkmap(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct cls_table_stats), 8);
	m.tables = mkmap(BPF_MAP_TYPE_HASH, 4, sizeof(struct cls_table_def), 8);
	stats_cfg_defaults(&cfg);
	cfg.active_timeout_s = 1;
	cfg.idle_timeout_s = 1;
	cfg.end_sink = log_sink;
	cfg.end_sink_ctx = &log;
	s = stats_new(&cfg, &m);
	cr_assert_not_null(s, "stats_new: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		struct flow_value v = { .packets = seg[i][0], .bytes = seg[i][1], .l2_len = 14 };

		v.first_seen_ns = MS(1000000) + MS(seg[i][2]);
		v.last_seen_ns = MS(1000000) + MS(seg[i][3]);
		v.seg_extra = seg[i][0] / 2;
		cr_assert_eq(bpf_map_update_elem(m.flows, &e.key, &v, BPF_NOEXIST), 0,
			     "the previous entry was ended (deleted)");
		cr_assert_eq(stats_pass(s, MS(1000000) + MS(pass_ms[i])), 0);
		cr_assert_eq(log.n, (size_t)i + 1, "one record per pass");
		pk += seg[i][0];
		by += seg[i][1];
		ip += seg[i][1] - 14 * seg[i][0];
	}
	uint64_t sp = 0, sb = 0, so = 0;
	for (size_t i = 0; i < log.n; i++) {
		sp += log.r[i].packets;
		sb += log.r[i].l2_octets;
		so += log.r[i].octets;
		cr_assert_eq(log.r[i].end_reason, i < 2 ? IPFIX_END_ACTIVE : IPFIX_END_IDLE);
		cr_assert_eq(log.r[i].start_ms, WALL0_MS + seg[i][2]);
		cr_assert_eq(log.r[i].end_ms, WALL0_MS + seg[i][3]);
		if (i)
			cr_assert_gt(log.r[i].start_ms, log.r[i - 1].end_ms, "records overlap");
	}
	cr_assert_eq(sp, pk, "packets: records %llu, datapath %llu", (unsigned long long)sp,
		     (unsigned long long)pk);
	cr_assert_eq(sb, by);
	cr_assert_eq(so, ip);
	stats_free(s);
	close(m.flows);
	close(m.dp_stats);
	close(m.table_stats);
	close(m.tables);
}

/* ---- the exporter on loopback ---- */

static int listen_on(int type, char *port, size_t plen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;

	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	snprintf(port, plen, "%u", ntohs(a.sin_port));
	return fd;
}

static struct ipfix *exporter_tm(int transport, const char *port, unsigned int queue_max,
				 unsigned int template_msgs)
{
	struct ipfix_cfg c = { .transport = transport,
			       .domain = 7,
			       .queue_max = queue_max,
			       .export_interval_ms = 20,
			       .backoff_max_ms = 200,
			       .template_msgs = template_msgs };
	char err[256];
	struct ipfix *x;

	snprintf(c.host, sizeof(c.host), "127.0.0.1");
	snprintf(c.port, sizeof(c.port), "%s", port);
	x = ipfix_new(&c, err, sizeof(err));
	cr_assert_not_null(x, "ipfix_new: %s", err);
	cr_assert_eq(ipfix_start(x), 0);
	return x;
}

static struct ipfix *exporter(int transport, const char *port, unsigned int queue_max)
{
	return exporter_tm(transport, port, queue_max, 0);
}

/*
 * Counters once records_sent reached n: the thread counts a message after
 * send() returns, which can be after the collector has read it (bounded).
 */
static void counters_at(struct ipfix *x, uint64_t n, struct ipfix_counters *c)
{
	for (int i = 0; i < 300; i++) {
		ipfix_counters(x, c);
		if (c->records_sent >= n)
			return;
		usleep(10000);
	}
}

static void feed(struct ipfix *x, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		struct stats_ended e = ended4();

		e.key.sport = (uint16_t)(10000 + i);
		e.val.packets = (uint64_t)i + 1;
		if (i % 2)
			e.key.l3 = FLOW_L3_IPV6;
		ipfix_sink(x, &e);
	}
}

/* Read one whole message from a stream (or a datagram); 0 on timeout/EOF. */
static size_t read_msg(int fd, bool stream, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0, want = 4;

	if (!stream) {
		if (poll(&p, 1, timeout_ms) != 1)
			return 0;
		ssize_t n = recv(fd, buf, cap, 0);
		return n > 0 ? (size_t)n : 0;
	}
	while (got < want) {
		if (poll(&p, 1, timeout_ms) != 1)
			return 0;
		ssize_t n = recv(fd, buf + got, want - got, 0);
		if (n <= 0)
			return 0;
		got += n;
		if (got == 4) {
			want = rd16(buf + 2);
			cr_assert_geq(want, 16);
			cr_assert_leq(want, cap);
		}
	}
	return got;
}

/* Messages until `want` data records arrived; checks templates come first. */
static void collect(int fd, bool stream, struct ipfix_dec *dec, int want, bool *seen_port)
{
	static uint8_t buf[65536];
	struct ipfix_rec r[512];
	char err[256];
	int got = 0;

	for (int guard = 0; got < want && guard < 200; guard++) {
		size_t n = read_msg(fd, stream, buf, sizeof(buf), 3000);

		cr_assert_gt(n, 0, "no message (have %d of %d records)", got, want);
		cr_assert_eq(rd16(buf), 10);
		cr_assert_eq(rd32(buf + 12), 7, "observation domain");
		int k = ipfix_dec_msg(dec, buf, n, r, NULL, 512, err, sizeof(err));
		cr_assert_geq(k, 0, "%s", err);
		for (int i = 0; i < k; i++) {
			int idx = r[i].sport - 10000;

			cr_assert(idx >= 0 && idx < 1000, "sport %u", r[i].sport);
			cr_assert_eq(r[i].packets, (uint64_t)idx + 1, "a template was missing");
			cr_assert(!seen_port[idx], "record %d twice", idx);
			seen_port[idx] = true;
		}
		got += k;
	}
	cr_assert_eq(got, want);
}

Test(ipfix, export_udp)
{
	char port[16], err[256];
	int fd = listen_on(SOCK_DGRAM, port, sizeof(port));
	struct ipfix *x = exporter(IPFIX_UDP, port, 1000);
	struct ipfix_dec *dec = ipfix_dec_new(err, sizeof(err));
	struct ipfix_counters c;
	bool seen[1000] = { false };

	feed(x, 0, 300);
	collect(fd, false, dec, 300, seen);
	counters_at(x, 300, &c);
	cr_assert_eq(c.records_queued, 300);
	cr_assert_eq(c.records_sent, 300);
	cr_assert_eq(c.records_dropped + c.records_lost, 0);
	cr_assert_geq(c.templates_sent, 1);
	cr_assert_gt(c.messages_sent, 5, "1400-byte datagrams: many");
	ipfix_free(x);
	ipfix_dec_free(dec);
	close(fd);
}

/* TCP: the collector closes; nothing queued is lost; templates again on the new connection. */
Test(ipfix, export_tcp_collector_closes)
{
	char port[16], err[256];
	int lfd = listen_on(SOCK_STREAM, port, sizeof(port)), cfd;
	struct ipfix *x = exporter(IPFIX_TCP, port, 1000);
	struct ipfix_dec *dec = ipfix_dec_new(err, sizeof(err));
	struct ipfix_counters c;
	bool seen[1000] = { false };
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	feed(x, 0, 200);
	cr_assert_eq(poll(&p, 1, 3000), 1, "no connection");
	cfd = accept(lfd, NULL, NULL);
	collect(cfd, true, dec, 200, seen);
	close(cfd); /* collector goes away */
	usleep(100000);
	feed(x, 200, 300); /* queued while it is away */
	ipfix_dec_free(dec);
	dec = ipfix_dec_new(err, sizeof(err)); /* a new collector knows no templates */
	cr_assert_eq(poll(&p, 1, 3000), 1, "no reconnection");
	cfd = accept(lfd, NULL, NULL);
	collect(cfd, true, dec, 300, seen);
	counters_at(x, 500, &c);
	cr_assert_eq(c.records_sent, 500);
	cr_assert_eq(c.connects, 2);
	cr_assert_eq(c.templates_sent, 2, "once per connection");
	cr_assert_eq(c.records_dropped + c.records_lost, 0);
	ipfix_free(x);
	ipfix_dec_free(dec);
	close(cfd);
	close(lfd);
}

/* Nobody listens: connects fail and back off, records wait, the sink never blocks. */
Test(ipfix, export_tcp_unreachable_bounded)
{
	char port[16];
	int lfd = listen_on(SOCK_STREAM, port, sizeof(port));
	struct ipfix *x;
	struct ipfix_counters c;
	struct timespec t0, t1;
	char err[512];

	close(lfd); /* the port is now closed */
	x = exporter(IPFIX_TCP, port, 100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	feed(x, 0, 250);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt((t1.tv_sec - t0.tv_sec) * 1000000000ll + t1.tv_nsec - t0.tv_nsec, 100000000ll,
		     "the sink must not wait for the collector");
	usleep(700000);
	ipfix_counters(x, &c);
	cr_assert_eq(c.records_queued, 100);
	cr_assert_eq(c.records_dropped, 150, "overflow counted");
	cr_assert_eq(c.queue_len, 100, "records wait for the collector");
	cr_assert_eq(c.records_sent, 0);
	cr_assert_geq(c.connect_failures, 2, "retried");
	cr_assert_leq(c.connect_failures, 10, "with backoff (100, 200, 200... ms)");
	ipfix_last_error(x, err, sizeof(err));
	cr_assert(strstr(err, "refused"), "last error: %s", err);
	ipfix_free(x); /* does not hang */
}

Test(ipfix, unresolvable_collector)
{
	struct ipfix_cfg c = { .transport = IPFIX_UDP };
	char err[256] = "";

	snprintf(c.host, sizeof(c.host), "collector.invalid");
	snprintf(c.port, sizeof(c.port), "4739");
	cr_assert_null(ipfix_new(&c, err, sizeof(err)));
	cr_assert(strstr(err, "collector.invalid"), "error names the host: %s", err);
}

/* UDP: templates again every template_msgs messages (a collector that started late learns them). */
Test(ipfix, export_udp_template_every_n_messages)
{
	char port[16];
	int fd = listen_on(SOCK_DGRAM, port, sizeof(port));
	struct ipfix *x = exporter_tm(IPFIX_UDP, port, 1000, 3);
	static uint8_t buf[65536];
	int data_msgs = 0, tmpl_msgs = 0, since = 0, worst = 0;

	feed(x, 0, 400);
	for (int guard = 0; guard < 400; guard++) {
		size_t n = read_msg(fd, false, buf, sizeof(buf), 1000);

		if (!n)
			break;
		if (rd16(buf + 16) == 2) { /* first set: a template set */
			tmpl_msgs++;
			since = 0;
		} else {
			data_msgs++;
			since++;
			worst = since > worst ? since : worst;
		}
	}
	cr_assert_gt(data_msgs, 10);
	cr_assert_leq(worst, 3, "%d data messages without templates in between", worst);
	cr_assert_geq(tmpl_msgs, data_msgs / 3);
	ipfix_free(x);
	close(fd);
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
