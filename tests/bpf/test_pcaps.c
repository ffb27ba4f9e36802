// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Real captures nobody on this team wrote (tcpdump's test suite, many of them
 * malformed on purpose) through ipop_xdp and ipop_tc_eg: no crash, verdict
 * pass, frame unchanged, every frame accounted exactly once; and for the
 * well-formed IPv4/IPv6 frames, our flow key agrees with tshark's dissection.
 *
 * The captures live in $IPOP_PCAP_DIR, else ../shared/pcaps/tcpdump-tests
 * relative to the current directory (the tests run from the repo root).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <criterion/criterion.h>

#include "harness.h"

/* Observed limits of BPF_PROG_TEST_RUN on 6.18, 4K pages (see test_flow.c). */
#define XDP_LINEAR_MAX	 3520
#define TC_TEST_RUN_MAX	 3712
#define XDP_TEST_RUN_MAX (XDP_LINEAR_MAX + 17 * 4096)

enum outcome {
	OUT_REJECTED = 0, /* test_run refused the frame */
	OUT_PARSE_ERR,
	OUT_NON_IP,
	OUT_IP,
};

/* What ipop_xdp made of one frame. */
struct rec {
	int file;
	uint32_t no; /* frame number in its file, from 1 */
	uint32_t len, caplen;
	enum outcome out;
	struct flow_key k;
};

struct totals {
	int files, unreadable, not_ether, read_errors;
	size_t frames;
	size_t xdp[4];	     /* by enum outcome */
	size_t xdp_long;     /* of xdp[OUT_REJECTED]: too long for test_run */
	size_t xdp_multibuf; /* longer than the linear part: still counted whole */
	size_t tc[4];
	size_t tc_short, tc_long;
};

/* separate maps: XDP is checked frame by frame, TC egress file by file */
static struct harness hx, ht;
static struct run r;
static char **names;
static int nnames;
static const char *dir;

static int is_capture(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return (n > 5 && !strcmp(d->d_name + n - 5, ".pcap")) ||
	       (n > 7 && !strcmp(d->d_name + n - 7, ".pcapng"));
}

static void setup(void)
{
	struct dirent **ents;
	int i;

	harness_open(&hx);
	harness_open(&ht);
	dir = getenv("IPOP_PCAP_DIR");
	if (!dir || !*dir)
		dir = "../shared/pcaps/tcpdump-tests";
	nnames = scandir(dir, &ents, is_capture, alphasort);
	cr_assert_gt(nnames, 0, "no captures in %s (set IPOP_PCAP_DIR): %s", dir,
		     nnames < 0 ? strerror(errno) : "empty");
	names = calloc(nnames, sizeof(*names));
	cr_assert_not_null(names);
	for (i = 0; i < nnames; i++) {
		names[i] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
}

static void teardown(void)
{
	int i;

	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	harness_close(&hx);
	harness_close(&ht);
}

TestSuite(pcaps, .init = setup, .fini = teardown, .timeout = 240);

/*
 * One frame through ipop_xdp on an empty flow map: check it and take its
 * flow back out, so that the map is empty again.
 */
static void xdp_frame(struct rec *rc, const uint8_t *data, const char *file, struct totals *t)
{
	uint64_t b[DP_STAT_MAX], a[DP_STAT_MAX];
	struct flow_entry e[2];
	size_t n;

	harness_stats(&hx, b);
	harness_run(&hx, HOOK_XDP, data, rc->caplen, 0, &r);
	harness_stats(&hx, a);
	n = harness_flows(&hx, e, 2);
	cr_assert_eq(a[DP_STAT_INSERT_FAIL], b[DP_STAT_INSERT_FAIL]);
	if (r.err) {
		/*
		 * test_run takes 14 bytes at least, and at most the linear part
		 * plus MAX_SKB_FRAGS pages (BIG TCP captures go beyond that).
		 */
		cr_assert((rc->caplen < 14 && r.err == -EINVAL) || rc->caplen > XDP_TEST_RUN_MAX,
			  "%s #%u (%u bytes): test_run: %s", file, rc->no, rc->caplen,
			  strerror(-r.err));
		if (rc->caplen > XDP_TEST_RUN_MAX)
			t->xdp_long++;
		cr_assert(!memcmp(a, b, sizeof(a)) && n == 0, "%s #%u: refused but counted", file,
			  rc->no);
		rc->out = OUT_REJECTED;
		t->xdp[OUT_REJECTED]++;
		return;
	}
	cr_assert_eq(r.retval, XDP_PASS_RET, "%s #%u: verdict %u", file, rc->no, r.retval);
	cr_assert(r.size_out == rc->caplen && !memcmp(r.out, data, rc->caplen),
		  "%s #%u: frame modified", file, rc->no);
	cr_assert_eq(a[DP_STAT_PACKETS] - b[DP_STAT_PACKETS], 1, "%s #%u", file, rc->no);
	if (a[DP_STAT_PARSE_ERROR] != b[DP_STAT_PARSE_ERROR]) {
		cr_assert_eq(a[DP_STAT_PARSE_ERROR] - b[DP_STAT_PARSE_ERROR], 1);
		cr_assert(n == 0 && a[DP_STAT_FLOW_NEW] == b[DP_STAT_FLOW_NEW] &&
				  a[DP_STAT_NON_IP] == b[DP_STAT_NON_IP],
			  "%s #%u: parse error, and also counted", file, rc->no);
		rc->out = OUT_PARSE_ERR;
		t->xdp[OUT_PARSE_ERR]++;
		return;
	}
	cr_assert_eq(n, 1, "%s #%u: %zu flows from one frame", file, rc->no, n);
	cr_assert_eq(a[DP_STAT_FLOW_NEW] - b[DP_STAT_FLOW_NEW], 1);
	cr_assert_eq(e[0].v.packets, 1);
	cr_assert_eq(e[0].v.bytes, rc->caplen, "%s #%u", file, rc->no);
	if (rc->caplen > XDP_LINEAR_MAX)
		t->xdp_multibuf++;
	cr_assert_eq(e[0].k.ifindex, LOOPBACK_IFINDEX);
	cr_assert_eq(e[0].k.dir, FLOW_DIR_INGRESS);
	rc->k = e[0].k;
	rc->out = e[0].k.l3 ? OUT_IP : OUT_NON_IP;
	cr_assert_eq(a[DP_STAT_NON_IP] - b[DP_STAT_NON_IP], rc->out == OUT_NON_IP ? 1u : 0u,
		     "%s #%u", file, rc->no);
	if (e[0].k.l3)
		cr_assert(e[0].k.l3 == FLOW_L3_IPV4 || e[0].k.l3 == FLOW_L3_IPV6);
	cr_assert_eq(e[0].v.tcp_flags & ~0xffu, 0);
	t->xdp[rc->out]++;
	harness_clear_flows(&hx);
}

/* One frame through ipop_tc_eg, the flows kept for the per-file totals. */
static int tc_frame(const struct rec *rc, const uint8_t *data, const char *file, struct totals *t)
{
	harness_run(&ht, HOOK_TC_EG, data, rc->caplen, 0, &r);
	if (rc->caplen < hook_min_len(HOOK_TC_EG, data, rc->caplen)) {
		cr_assert_eq(r.err, -EINVAL, "%s #%u (%u bytes): %d", file, rc->no, rc->caplen,
			     r.err);
		t->tc_short++;
		return 0;
	}
	if (rc->caplen > TC_TEST_RUN_MAX) {
		cr_assert_eq(r.err, -EINVAL, "%s #%u (%u bytes): %d", file, rc->no, rc->caplen,
			     r.err);
		t->tc_long++;
		return 0;
	}
	cr_assert_eq(r.err, 0, "%s #%u (%u bytes): test_run: %s", file, rc->no, rc->caplen,
		     strerror(-r.err));
	cr_assert_eq(r.retval, TC_ACT_UNSPEC_RET, "%s #%u: verdict %u", file, rc->no, r.retval);
	cr_assert(r.size_out == rc->caplen && !memcmp(r.out, data, rc->caplen),
		  "%s #%u: frame modified", file, rc->no);
	return 1;
}

/*
 * The TC egress flows of one file must be exactly the XDP keys of the frames
 * TC accepted, with dir = egress, and the dp_stats deltas must add up.
 */
static void tc_check_file(const struct rec *recs, size_t n, const int *tc_ok,
			  const uint64_t b[DP_STAT_MAX], const char *file, struct totals *t)
{
	static struct flow_entry got[4096];
	static uint64_t tally[4096], bytes[4096];
	uint64_t a[DP_STAT_MAX], pk_ip = 0, pk_non = 0;
	size_t i, j, nflows, accepted = 0, errs = 0, nonip = 0;
	char kb[256];

	harness_stats(&ht, a);
	nflows = harness_flows(&ht, got, 4096);
	cr_assert_leq(nflows, 4096);
	memset(tally, 0, sizeof(tally));
	memset(bytes, 0, sizeof(bytes));
	for (i = 0; i < n; i++) {
		if (!tc_ok[i])
			continue;
		accepted++;
		if (recs[i].out == OUT_PARSE_ERR) {
			errs++;
			continue;
		}
		cr_assert_neq(recs[i].out, OUT_REJECTED, "%s #%u: TC took what XDP refused", file,
			      recs[i].no);
		nonip += recs[i].out == OUT_NON_IP;
		for (j = 0; j < nflows; j++) {
			struct flow_key k = recs[i].k;

			k.dir = FLOW_DIR_EGRESS;
			if (!memcmp(&k, &got[j].k, sizeof(k)))
				break;
		}
		cr_assert_lt(j, nflows, "%s #%u: XDP key %s has no TC egress flow", file,
			     recs[i].no, key_str(&recs[i].k, kb, sizeof(kb)));
		tally[j]++;
		bytes[j] += recs[i].caplen;
	}
	for (j = 0; j < nflows; j++) {
		cr_assert_eq(got[j].v.packets, tally[j], "%s: flow %s: %llu packets, want %llu",
			     file, key_str(&got[j].k, kb, sizeof(kb)),
			     (unsigned long long)got[j].v.packets, (unsigned long long)tally[j]);
		cr_assert_eq(got[j].v.bytes, bytes[j], "%s: flow %s: %llu bytes, want %llu", file,
			     key_str(&got[j].k, kb, sizeof(kb)), (unsigned long long)got[j].v.bytes,
			     (unsigned long long)bytes[j]);
		if (got[j].k.l3)
			pk_ip += got[j].v.packets;
		else
			pk_non += got[j].v.packets;
	}
	/* accounted exactly once: a flow, a non-IP frame or a parse error */
	cr_assert_eq(a[DP_STAT_PACKETS] - b[DP_STAT_PACKETS], accepted, "%s", file);
	cr_assert_eq(pk_ip + (a[DP_STAT_NON_IP] - b[DP_STAT_NON_IP]) +
			     (a[DP_STAT_PARSE_ERROR] - b[DP_STAT_PARSE_ERROR]),
		     accepted, "%s: frames not accounted exactly once", file);
	cr_assert_eq(pk_non, a[DP_STAT_NON_IP] - b[DP_STAT_NON_IP], "%s", file);
	cr_assert_eq(pk_non, nonip, "%s", file);
	cr_assert_eq(a[DP_STAT_PARSE_ERROR] - b[DP_STAT_PARSE_ERROR], errs, "%s", file);
	cr_assert_eq(a[DP_STAT_FLOW_NEW] - b[DP_STAT_FLOW_NEW], nflows, "%s", file);
	cr_assert_eq(a[DP_STAT_INSERT_FAIL], b[DP_STAT_INSERT_FAIL], "%s", file);
	t->tc[OUT_PARSE_ERR] += errs;
	t->tc[OUT_NON_IP] += nonip;
	t->tc[OUT_IP] += accepted - errs - nonip;
	harness_clear_flows(&ht);
}

/*
 * Walk every capture: XDP per frame, TC egress per file; if dump is set, the
 * Ethernet frames also go into it (for one tshark run over all of them).
 */
static struct rec *walk(struct totals *t, pcap_dumper_t *dump, size_t *nrecs)
{
	char err[PCAP_ERRBUF_SIZE], path[4096];
	struct rec *recs = NULL;
	size_t cap = 0, n = 0;
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < nnames; i++) {
		struct pcap_pkthdr *ph;
		const u_char *data;
		uint64_t b[DP_STAT_MAX];
		size_t first = n;
		int rc, *tc_ok;
		uint32_t no = 0;
		pcap_t *p;

		t->files++;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		p = pcap_open_offline(path, err);
		if (!p) {
			t->unreadable++;
			cr_log_warn("%s: %s", names[i], err);
			continue;
		}
		if (pcap_datalink(p) != DLT_EN10MB) {
			t->not_ether++;
			pcap_close(p);
			continue;
		}
		harness_stats(&ht, b);
		tc_ok = NULL;
		while ((rc = pcap_next_ex(p, &ph, &data)) == 1) {
			struct rec *rc_;
			int *nt;

			if (n == cap) {
				cap = cap ? 2 * cap : 4096;
				recs = realloc(recs, cap * sizeof(*recs));
				cr_assert_not_null(recs);
			}
			rc_ = &recs[n];
			memset(rc_, 0, sizeof(*rc_));
			rc_->file = i;
			rc_->no = ++no;
			rc_->len = ph->len;
			rc_->caplen = ph->caplen;
			nt = realloc(tc_ok, no * sizeof(*tc_ok));
			cr_assert_not_null(nt);
			tc_ok = nt;
			xdp_frame(rc_, data, names[i], t);
			tc_ok[no - 1] = tc_frame(rc_, data, names[i], t);
			if (dump)
				pcap_dump((u_char *)dump, ph, data);
			n++;
			t->frames++;
		}
		if (rc == -1) {
			t->read_errors++;
			cr_log_info("%s: read error after %u frames: %s", names[i], no,
				    pcap_geterr(p));
		}
		tc_check_file(recs + first, n - first, tc_ok, b, names[i], t);
		free(tc_ok);
		pcap_close(p);
	}
	*nrecs = n;
	return recs;
}

static void print_totals(const struct totals *t)
{
	printf("pcaps: %d files (%d unreadable, %d not Ethernet, %d ending in a read error), "
	       "%zu frames\n",
	       t->files, t->unreadable, t->not_ether, t->read_errors, t->frames);
	printf("pcaps: ipop_xdp: %zu IP flows, %zu non-IP, %zu parse errors, %zu refused by "
	       "test_run (%zu < 14 bytes, %zu > %d bytes); %zu multi-buffer (> %d bytes)\n",
	       t->xdp[OUT_IP], t->xdp[OUT_NON_IP], t->xdp[OUT_PARSE_ERR], t->xdp[OUT_REJECTED],
	       t->xdp[OUT_REJECTED] - t->xdp_long, t->xdp_long, XDP_TEST_RUN_MAX, t->xdp_multibuf,
	       XDP_LINEAR_MAX);
	printf("pcaps: ipop_tc_eg: %zu IP flows, %zu non-IP, %zu parse errors, %zu refused "
	       "short (< L2+L3 header), %zu refused long (> %d bytes)\n",
	       t->tc[OUT_IP], t->tc[OUT_NON_IP], t->tc[OUT_PARSE_ERR], t->tc_short, t->tc_long,
	       TC_TEST_RUN_MAX);
	fflush(stdout);
}

Test(pcaps, every_frame_accounted_exactly_once)
{
	struct totals t;
	struct rec *recs;
	size_t n;

	recs = walk(&t, NULL, &n);
	print_totals(&t);
	cr_assert_eq(t.frames, n);
	cr_assert_gt(t.frames, 1000, "only %zu frames: wrong capture directory?", t.frames);
	cr_assert_eq(t.unreadable, 0);
	cr_assert_eq(t.xdp[OUT_REJECTED] + t.xdp[OUT_PARSE_ERR] + t.xdp[OUT_NON_IP] + t.xdp[OUT_IP],
		     t.frames);
	cr_assert_eq(t.tc[OUT_PARSE_ERR] + t.tc[OUT_NON_IP] + t.tc[OUT_IP] + t.tc_short + t.tc_long,
		     t.frames);
	/* refusals are explained frame by frame above; they must also stay rare */
	cr_assert_lt(t.xdp[OUT_REJECTED] * 100, t.frames, "XDP refused %zu frames",
		     t.xdp[OUT_REJECTED]);
	cr_assert_lt((t.tc_short + t.tc_long) * 50, t.frames, "TC refused %zu frames",
		     t.tc_short + t.tc_long);
	free(recs);
}

/* tshark's view of one frame: the fields we compare */
enum tf {
	TF_NO,
	TF_LEN,
	TF_CAPLEN,
	TF_PROTOS,
	TF_SEVERITY,
	TF_ETH_TYPE,
	TF_VLAN_ID,
	TF_VLAN_ETYPE,
	TF_QINQ_ID,
	TF_IP_SRC,
	TF_IP_DST,
	TF_IP_PROTO,
	TF_IP_MF,
	TF_IP_FRAGOFF,
	TF_IP6_SRC,
	TF_IP6_DST,
	TF_IP6_NXT,
	TF_IP6_HBH_NXT,
	TF_IP6_RT_NXT,
	TF_IP6_DST_NXT,
	TF_IP6_FRAG_NXT,
	TF_IP6_FRAGOFF,
	TF_AH_NXT,
	TF_MIP6_NXT,
	TF_TCP_SPORT,
	TF_TCP_DPORT,
	TF_UDP_SPORT,
	TF_UDP_DPORT,
	TF_ICMP_TYPE,
	TF_ICMP_CODE,
	TF_ICMP6_TYPE,
	TF_ICMP6_CODE,
	TF_MAX,
};

static const char *const tf_name[TF_MAX] = {
	"frame.number",
	"frame.len",
	"frame.cap_len",
	"frame.protocols",
	"_ws.expert.severity",
	"eth.type",
	"vlan.id",
	"vlan.etype",
	"ieee8021ad.id",
	"ip.src",
	"ip.dst",
	"ip.proto",
	"ip.flags.mf",
	"ip.frag_offset",
	"ipv6.src",
	"ipv6.dst",
	"ipv6.nxt",
	"ipv6.hopopts.nxt",
	"ipv6.routing.nxt",
	"ipv6.dstopts.nxt",
	"ipv6.fraghdr.nxt",
	"ipv6.fraghdr.offset",
	"ah.next_header",
	"mip6.proto",
	"tcp.srcport",
	"tcp.dstport",
	"udp.srcport",
	"udp.dstport",
	"icmp.type",
	"icmp.code",
	"icmpv6.type",
	"icmpv6.code",
};

/* The idx-th value of a multi-valued field (0 = outermost layer), or -1. */
static long nth_num(const char *s, int idx)
{
	char *end;
	long v;

	while (idx-- > 0) {
		s = strchr(s, ',');
		if (!s)
			return -1;
		s++;
	}
	if (!*s || *s == ',')
		return -1;
	if (!strncmp(s, "True", 4))
		return 1;
	if (!strncmp(s, "False", 5))
		return 0;
	v = strtol(s, &end, 0);
	return end == s ? -1 : v;
}

static void first_str(const char *s, char *out, size_t len)
{
	size_t n = strcspn(s, ",");

	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

struct cmp_totals {
	size_t lines, compared, agreed, ip, non_ip, ports, later_frags, tagged;
	size_t excluded_refused, excluded_malformed, excluded_cut, excluded_shape;
};

#define TOK_MAX 64

/* Split frame.protocols ("eth:ethertype:ip:udp:dns") in place. */
static int tokens(char *protos, char **tok)
{
	int n = 0;
	char *s = protos, *c;

	while (n < TOK_MAX - 1 && *s) {
		tok[n++] = s;
		c = strchr(s, ':');
		if (!c)
			break;
		*c = 0;
		s = c + 1;
	}
	tok[n] = "";
	return n;
}

static int is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

/*
 * What tshark says our key must be, for one frame: fills *want and returns 1,
 * or returns 0 when the frame is not one we compare (counted by reason).
 */
static int tshark_key(char **f, struct flow_key *want, struct cmp_totals *c)
{
	/* the extension headers we walk; tshark also calls type 62 "mipv6": we do not walk it */
	static const struct {
		const char *tok;
		int type, field;
	} ext6[] = { { "ipv6.hopopts", 0, TF_IP6_HBH_NXT },
		     { "ipv6.routing", 43, TF_IP6_RT_NXT },
		     { "ipv6.dstopts", 60, TF_IP6_DST_NXT },
		     { "ipv6.fraghdr", 44, TF_IP6_FRAG_NXT },
		     { "ah", 51, TF_AH_NXT },
		     { "mipv6", 135, TF_MIP6_NXT } };
	int nth[TF_MAX] = { 0 }, ntok, i = 1, j, tags = 0, nvlan = 0, l3, proto, nexts = 0;
	char *tok[TOK_MAX], protos[1024], a[64], b[64];
	long sport = 0, dport = 0, v;
	const char *l4;

	memset(want, 0, sizeof(*want));
	snprintf(protos, sizeof(protos), "%s", f[TF_PROTOS]);
	ntok = tokens(protos, tok);
	if (ntok < 2 || !is(tok[0], "eth")) {
		c->excluded_shape++;
		return 0;
	}
	/* up to two tags: the first one's ID is the key's VLAN */
	while (is(tok[i], "ethertype") &&
	       (is(tok[i + 1], "vlan") || is(tok[i + 1], "ieee8021ad"))) {
		if (tags == 0)
			want->vlan = is(tok[i + 1], "vlan") ? nth_num(f[TF_VLAN_ID], 0)
							    : nth_num(f[TF_QINQ_ID], 0);
		nvlan += is(tok[i + 1], "vlan");
		tags++;
		i += 2;
	}
	if (tags > 2 || (tags && want->vlan == (uint16_t)-1)) {
		c->excluded_shape++;
		return 0;
	}
	if (tags)
		c->tagged++;
	if (is(tok[i], "llc")) {
		/* an 802.3 length field: EtherType 0 */
		want->ethertype = 0;
		c->non_ip++;
		return 1;
	}
	if (!is(tok[i], "ethertype") || !*tok[i + 1]) {
		c->excluded_shape++;
		return 0;
	}
	i++;
	if (!is(tok[i], "ip") && !is(tok[i], "ipv6")) {
		/* non-IP: the EtherType after the tags */
		if (tags && !is(tok[i - 2], "vlan")) {
			c->excluded_shape++; /* no field for the type after an 802.1ad tag */
			return 0;
		}
		v = tags ? nth_num(f[TF_VLAN_ETYPE], nvlan - 1) : nth_num(f[TF_ETH_TYPE], 0);
		if (v < 0x0600) {
			c->excluded_shape++;
			return 0;
		}
		want->ethertype = v;
		c->non_ip++;
		return 1;
	}
	l3 = is(tok[i], "ip") ? 4 : 6;
	i++;
	want->l3 = l3;
	want->ethertype = l3 == 4 ? 0x0800 : 0x86dd;
	first_str(f[l3 == 4 ? TF_IP_SRC : TF_IP6_SRC], a, sizeof(a));
	first_str(f[l3 == 4 ? TF_IP_DST : TF_IP6_DST], b, sizeof(b));
	if (inet_pton(l3 == 4 ? AF_INET : AF_INET6, a, want->src) != 1 ||
	    inet_pton(l3 == 4 ? AF_INET : AF_INET6, b, want->dst) != 1) {
		c->excluded_shape++;
		return 0;
	}
	if (l3 == 4) {
		proto = nth_num(f[TF_IP_PROTO], 0);
		if (nth_num(f[TF_IP_FRAGOFF], 0) > 0)
			want->flags = FLOW_KEY_FRAG_LATER;
	} else {
		/* the IPv6 chain: each extension header's next header, outermost first */
		proto = nth_num(f[TF_IP6_NXT], 0);
		for (;;) {
			for (j = 0; j < (int)(sizeof(ext6) / sizeof(ext6[0])); j++)
				if (is(tok[i], ext6[j].tok) && proto == ext6[j].type)
					break;
			if (j == (int)(sizeof(ext6) / sizeof(ext6[0])))
				break;
			proto = nth_num(f[ext6[j].field], nth[ext6[j].field]++);
			nexts++;
			i++;
			if (ext6[j].field == TF_IP6_FRAG_NXT &&
			    nth_num(f[TF_IP6_FRAGOFF], nth[TF_IP6_FRAG_NXT] - 1) > 0) {
				want->flags = FLOW_KEY_FRAG_LATER;
				break;
			}
		}
		if (nexts > 8) {
			c->excluded_shape++;
			return 0;
		}
	}
	if (proto < 0) {
		c->excluded_shape++;
		return 0;
	}
	want->proto = proto;
	c->ip++;
	if (want->flags) {
		c->later_frags++;
		return 1; /* no ports */
	}
	l4 = tok[i];
	switch (proto) {
	case 6:
		if (!is(l4, "tcp"))
			goto not_dissected;
		sport = nth_num(f[TF_TCP_SPORT], 0);
		dport = nth_num(f[TF_TCP_DPORT], 0);
		break;
	case 17:
		if (!is(l4, "udp"))
			goto not_dissected;
		sport = nth_num(f[TF_UDP_SPORT], 0);
		dport = nth_num(f[TF_UDP_DPORT], 0);
		break;
	case 1:
		if (!is(l4, "icmp") || l3 != 4)
			goto not_dissected;
		sport = nth_num(f[TF_ICMP_TYPE], 0);
		dport = nth_num(f[TF_ICMP_CODE], 0);
		break;
	case 58:
		if (!is(l4, "icmpv6") || l3 != 6)
			goto not_dissected;
		sport = nth_num(f[TF_ICMP6_TYPE], 0);
		dport = nth_num(f[TF_ICMP6_CODE], 0);
		break;
	case 132:
	case 136:
		goto not_dissected; /* SCTP and UDP-Lite ports: not compared */
	default:
		return 1; /* no ports */
	}
	if (sport < 0 || dport < 0)
		goto not_dissected;
	want->sport = sport;
	want->dport = dport;
	c->ports++;
	return 1;
not_dissected:
	c->ip--;
	c->excluded_shape++;
	return 0;
}

/* Compare one tshark line with what ipop_xdp made of the same frame. */
static int compare(char **f, const struct rec *rc, struct cmp_totals *c)
{
	struct flow_key want, ours;
	char kb[256], wb[256];

	if (rc->out == OUT_REJECTED) {
		c->excluded_refused++;
		return 1;
	}
	if (strstr(f[TF_PROTOS], "_ws.malformed") || strstr(f[TF_PROTOS], "_ws.short") ||
	    strstr(f[TF_SEVERITY], "8388608")) {
		c->excluded_malformed++;
		return 1;
	}
	if (nth_num(f[TF_LEN], 0) != nth_num(f[TF_CAPLEN], 0) || rc->caplen != rc->len) {
		c->excluded_cut++;
		return 1;
	}
	if (!tshark_key(f, &want, c))
		return 1;
	c->compared++;
	want.ifindex = LOOPBACK_IFINDEX;
	want.dir = FLOW_DIR_INGRESS;
	ours = rc->k;
	if (rc->out != OUT_PARSE_ERR && !memcmp(&ours, &want, sizeof(want))) {
		c->agreed++;
		return 1;
	}
	cr_log_error("%s #%u: ours %s (outcome %d), tshark %s [%s]", names[rc->file], rc->no,
		     key_str(&ours, kb, sizeof(kb)), rc->out, key_str(&want, wb, sizeof(wb)),
		     f[TF_PROTOS]);
	return 0;
}

Test(pcaps, keys_agree_with_tshark, .timeout = 240)
{
	char tmpl[] = "/tmp/ipop-bpf-tests-XXXXXX", cmd[8192], *line = NULL, *f[TF_MAX];
	struct cmp_totals c = { 0 };
	pcap_dumper_t *dump;
	struct totals t;
	struct rec *recs;
	size_t n, cap = 0, bad = 0;
	pcap_t *dead;
	FILE *p;
	int fd, i, st;
	size_t off;

	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	close(fd);
	dead = pcap_open_dead(DLT_EN10MB, 262144);
	dump = pcap_dump_open(dead, tmpl);
	cr_assert_not_null(dump, "%s", pcap_geterr(dead));
	recs = walk(&t, dump, &n);
	pcap_dump_close(dump);
	pcap_close(dead);

	/* one tshark over every frame: one start-up instead of 479 */
	off = snprintf(
		cmd, sizeof(cmd),
		"tshark -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r '%s' -T fields "
		"-E separator=/t -E occurrence=a -E aggregator=, -E quote=n",
		tmpl);
	for (i = 0; i < TF_MAX; i++)
		off += snprintf(cmd + off, sizeof(cmd) - off, " -e %s", tf_name[i]);
	snprintf(cmd + off, sizeof(cmd) - off, " 2>/dev/null");
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen tshark: %s", strerror(errno));
	while (getline(&line, &cap, p) > 0) {
		char *s = line;
		long no;

		line[strcspn(line, "\n")] = 0;
		for (i = 0; i < TF_MAX; i++) {
			f[i] = s;
			s = strchr(s, '\t');
			if (!s) {
				s = f[i] + strlen(f[i]);
				i++;
				break;
			}
			*s++ = 0;
		}
		cr_assert_eq(i, TF_MAX, "tshark line %zu: %d fields", c.lines + 1, i);
		no = nth_num(f[TF_NO], 0);
		cr_assert(no >= 1 && (size_t)no <= n, "tshark frame %ld of %zu", no, n);
		cr_assert_eq((size_t)no, c.lines + 1);
		c.lines++;
		if (!compare(f, &recs[no - 1], &c))
			bad++;
	}
	free(line);
	st = pclose(p);
	unlink(tmpl);
	cr_assert_eq(st, 0, "tshark exited with %d (is it installed? apt-get install tshark)", st);
	printf("pcaps: tshark dissected %zu frames; compared %zu keys, %zu agree (%zu IP: %zu "
	       "with ports or ICMP type/code, %zu later fragments; %zu non-IP; %zu tagged); "
	       "excluded: %zu malformed or expert error, %zu cut by snaplen, %zu refused by "
	       "test_run, %zu other shapes\n",
	       c.lines, c.compared, c.agreed, c.ip, c.ports, c.later_frags, c.non_ip, c.tagged,
	       c.excluded_malformed, c.excluded_cut, c.excluded_refused, c.excluded_shape);
	fflush(stdout);
	cr_assert_eq(c.lines, n, "tshark saw %zu frames, we ran %zu", c.lines, n);
	cr_assert_gt(c.compared, 5000, "only %zu frames compared", c.compared);
	cr_assert_gt(c.ports, 2000, "only %zu frames with ports compared", c.ports);
	cr_assert_eq(bad, 0, "%zu of %zu frames disagree with tshark", bad, c.compared);
	cr_assert_eq(c.agreed, c.compared);
	free(recs);
}
