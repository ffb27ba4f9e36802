// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow accounting of source-routed overlay frames (bpf/sr.h) through
 * ipop_xdp, ipop_tc_in and ipop_tc_eg with BPF_PROG_TEST_RUN, and through
 * the same parser compiled in userspace: every catalogue frame wrapped as
 * an overlay frame (EtherType 0x88B5, and the last-link form for IP inner
 * frames), whole and cut at every length, plus corrupt headers. The key is
 * the inner frame's, with FLOW_KEY_OVERLAY; the value carries the node IDs
 * and the per-packet L2 overhead (outer Ethernet + SR header + inner
 * Ethernet).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "harness.h"
#include "sr.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "parsing.h"
#pragma GCC diagnostic pop

static struct harness h;
static struct run r;

static void setup(void)
{
	harness_open(&h);
}

static void teardown(void)
{
	harness_close(&h);
}

TestSuite(flow_sr, .init = setup, .fini = teardown, .timeout = 240);

enum form {
	FORM_SR,   /* outer EtherType 0x88B5 */
	FORM_LAST, /* last link: the inner frame's IP EtherType outside */
};

/* A wrapped frame and what accounting must say about it. */
struct sr_case {
	uint8_t data[FRAME_MAX + SR_ETH_HLEN + SR_HDR_MAX];
	size_t len;
	size_t needed; /* shortest prefix that gives `key` */
	int result;    /* enum parse_result of the whole frame */
	struct flow_key key;
	uint16_t l2_len; /* bytes before the inner L3 header */
	uint8_t src[16], dst[16];
	uint8_t tcp_flags;
	int fragment;
};

/* Where the parser's Ethernet step leaves an inner frame: after at most two tags. */
static size_t inner_l3_off(const struct frame *f)
{
	size_t off = 14;

	for (int i = 0; i < 2; i++) {
		uint16_t et = (uint16_t)(f->data[off - 2] << 8 | f->data[off - 1]);

		if (et != 0x8100 && et != 0x88a8)
			break;
		off += 4;
	}
	return off;
}

/* Wrap inner frame f with a hops-entry SR header in the given form. */
static void wrap(struct sr_case *c, const struct frame *f, int hops, enum form form)
{
	static const uint8_t outer[12] = { 0x02, 0, 0, 0, 0, 0xd0, 0x02, 0, 0, 0, 0, 0x50 };
	size_t hl = SR_HDR_FIXED + SR_HOP_LEN * hops, off = SR_ETH_HLEN + hl;
	uint8_t *p = c->data;

	memset(c, 0, sizeof(*c));
	memcpy(p, outer, 12);
	if (form == FORM_SR) {
		p[12] = SR_ETH_P >> 8;
		p[13] = SR_ETH_P & 0xff;
	} else {
		p[12] = f->data[12]; /* untagged IP inner frames only */
		p[13] = f->data[13];
	}
	p += SR_ETH_HLEN;
	p[0] = SR_VERSION;
	p[1] = hops;
	p[2] = hops - 1; /* as it arrives at the last node */
	p[3] = 7;
	for (int i = 0; i < 16; i++) {
		c->src[i] = (uint8_t)(0xa0 + i);
		c->dst[i] = (uint8_t)(0x11 * (i + 1));
	}
	memcpy(p + 8, c->src, 16);
	memcpy(p + 24, c->dst, 16);
	for (int i = 0; i < hops; i++) {
		p[SR_HDR_FIXED + 4 * i] = 0x10 + i; /* tag */
		p[SR_HDR_FIXED + 4 * i + 3] = i + 1 < hops ? 2 : 0;
	}
	memcpy(c->data + off, f->data, f->len);
	c->len = off + f->len;
	c->key = f->key;
	c->tcp_flags = f->tcp_flags;
	c->fragment = f->fragment;
	c->result = f->result == FRAME_IP	? PARSE_IP
		    : f->result == FRAME_NON_IP ? PARSE_NON_IP
						: PARSE_ERR;
	c->needed = off + f->needed;
	if (f->result != FRAME_ERR) {
		c->key.flags |= FLOW_KEY_OVERLAY;
		c->l2_len = (uint16_t)(off + inner_l3_off(f));
	}
}

static void build(const struct frame_spec *s, struct frame *f)
{
	cr_assert_eq(frame_build(s, f), 0, "%s: spec does not build", s->name);
}

static int is_ip(const struct frame *f)
{
	uint16_t et = (uint16_t)(f->data[12] << 8 | f->data[13]);

	return et == 0x0800 || et == 0x86dd;
}

/* The userspace parser on data[0..len): the case's answer, or an error when cut. */
static void check_user(const char *name, const struct sr_case *c, size_t len)
{
	static uint8_t buf[sizeof(c->data)];
	struct parse_info pi = { 0 };
	struct flow_key k = { 0 };
	int res;

	memcpy(buf, c->data, len); /* exactly len bytes: ASan-free reads past are a bug */
	res = parse_frame_info(buf, buf + len, &k, &pi);
	if (c->result == PARSE_ERR || len < c->needed) {
		cr_assert_eq(res, PARSE_ERR, "%s len %zu: %d, want a parse error", name, len, res);
		return;
	}
	cr_assert_eq(res, c->result, "%s len %zu: %d", name, len, res);
	cr_assert(!memcmp(&k, &c->key, sizeof(k)), "%s len %zu: key differs", name, len);
	cr_assert_eq(pi.sr, buf + SR_ETH_HLEN);
	cr_assert_eq(pi.l3_off, c->l2_len, "%s: l3_off %u, want %u", name, pi.l3_off, c->l2_len);
	cr_assert_eq(pi.tcp_flags, c->tcp_flags);
	cr_assert_eq(pi.frag, c->fragment);
}

/* One run on an empty map; the flow (or the parse error) it must make. */
static void check_bpf(const char *name, enum hook hk, const struct sr_case *c, size_t len)
{
	uint64_t before[DP_STAT_MAX], after[DP_STAT_MAX];
	struct flow_entry e[2];
	struct flow_key want;
	char b1[256], b2[256];
	size_t n;

	harness_clear_flows(&h);
	harness_stats(&h, before);
	harness_run(&h, hk, c->data, len, 0, &r);
	harness_stats(&h, after);
	n = harness_flows(&h, e, 2);
	if (len < hook_min_len(hk, c->data, len)) {
		cr_assert_eq(r.err, -EINVAL, "%s/%s len %zu", name, hook_name[hk], len);
		cr_assert_eq(n, 0);
		return;
	}
	cr_assert_eq(r.err, 0, "%s/%s len %zu: %s", name, hook_name[hk], len, strerror(-r.err));
	cr_assert_eq(r.retval, hook_pass_verdict(hk));
	cr_assert_eq(r.size_out, len);
	cr_assert_arr_eq(r.out, c->data, len, "%s/%s: frame modified", name, hook_name[hk]);
	if (c->result == PARSE_ERR || len < c->needed) {
		cr_assert_eq(after[DP_STAT_PARSE_ERROR] - before[DP_STAT_PARSE_ERROR], 1,
			     "%s/%s len %zu: want a parse error", name, hook_name[hk], len);
		cr_assert_eq(n, 0, "%s/%s len %zu: made flow %s", name, hook_name[hk], len,
			     key_str(&e[0].k, b1, sizeof(b1)));
		return;
	}
	want = c->key;
	want.ifindex = LOOPBACK_IFINDEX;
	want.dir = hook_dir(hk);
	cr_assert_eq(after[DP_STAT_PARSE_ERROR], before[DP_STAT_PARSE_ERROR],
		     "%s/%s len %zu: unexpected parse error", name, hook_name[hk], len);
	cr_assert_eq(n, 1, "%s/%s len %zu: %zu flows", name, hook_name[hk], len, n);
	cr_assert(!memcmp(&e[0].k, &want, sizeof(want)), "%s/%s len %zu: key %s, want %s", name,
		  hook_name[hk], len, key_str(&e[0].k, b1, sizeof(b1)),
		  key_str(&want, b2, sizeof(b2)));
	cr_assert_eq(e[0].v.packets, 1);
	cr_assert_eq(e[0].v.bytes, len);
	cr_assert_eq(e[0].v.l2_len, c->l2_len, "%s/%s: l2_len %u, want %u", name, hook_name[hk],
		     e[0].v.l2_len, c->l2_len);
	cr_assert_arr_eq(e[0].v.src_node, c->src, 16, "%s/%s: source node", name, hook_name[hk]);
	cr_assert_arr_eq(e[0].v.dst_node, c->dst, 16, "%s/%s: destination node", name,
			 hook_name[hk]);
	cr_assert_eq(e[0].v.tcp_flags, c->tcp_flags);
}

/* Every catalogue frame as an overlay frame, whole, through every hook and in userspace. */
Test(flow_sr, catalogue_wrapped_whole)
{
	static struct frame f;
	static struct sr_case c;
	int hops[] = { 1, 3, SR_HOPS_MAX };

	for (size_t i = 0; i < frame_catalogue_len; i++) {
		build(&frame_catalogue[i], &f);
		for (int form = FORM_SR; form <= FORM_LAST; form++) {
			if (form == FORM_LAST && (!is_ip(&f) || f.result == FRAME_ERR))
				continue;
			for (size_t hi = 0; hi < sizeof(hops) / sizeof(hops[0]); hi++) {
				wrap(&c, &f, hops[hi], form);
				check_user(frame_catalogue[i].name, &c, c.len);
				for (int hk = 0; hk < HOOK_MAX; hk++)
					check_bpf(frame_catalogue[i].name, hk, &c, c.len);
			}
		}
	}
}

/* Cut at every length: a parse error (never a flow with a wrong key) until the key is whole. */
Test(flow_sr, catalogue_wrapped_truncated)
{
	static struct frame f;
	static struct sr_case c;
	size_t runs = 0;

	for (size_t i = 0; i < frame_catalogue_len; i++) {
		build(&frame_catalogue[i], &f);
		for (int form = FORM_SR; form <= FORM_LAST; form++) {
			if (form == FORM_LAST && (!is_ip(&f) || f.result == FRAME_ERR))
				continue;
			wrap(&c, &f, 3, form);
			for (size_t len = 0; len <= c.len; len++, runs++) {
				check_user(frame_catalogue[i].name, &c, len);
				check_bpf(frame_catalogue[i].name,
					  form == FORM_SR ? HOOK_XDP : HOOK_TC_IN, &c, len);
			}
		}
	}
	cr_log_info("%zu truncated overlay frames", runs);
}

static const struct frame_spec *spec(const char *name)
{
	for (size_t i = 0; i < frame_catalogue_len; i++)
		if (!strcmp(frame_catalogue[i].name, name))
			return &frame_catalogue[i];
	cr_assert_fail("no catalogue frame %s", name);
	return NULL;
}

/* Headers that are not ours or are broken. */
Test(flow_sr, corrupt_headers)
{
	static struct frame f, g;
	static struct sr_case c;
	struct flow_entry e[2];

	build(spec("ipv4-tcp-syn"), &f);

	/* hop count 0 and 17: no inner frame can be found, a parse error */
	for (int hk = 0; hk < HOOK_MAX; hk++) {
		wrap(&c, &f, 3, FORM_SR);
		c.data[SR_ETH_HLEN + 1] = 0;
		c.result = PARSE_ERR;
		check_user("hop count 0", &c, c.len);
		check_bpf("hop count 0", hk, &c, c.len);
		c.data[SR_ETH_HLEN + 1] = SR_HOPS_MAX + 1;
		check_user("hop count 17", &c, c.len);
		check_bpf("hop count 17", hk, &c, c.len);
		/* a hop count whose path runs past the frame */
		wrap(&c, &f, 1, FORM_SR);
		c.data[SR_ETH_HLEN + 1] = SR_HOPS_MAX;
		c.len = SR_ETH_HLEN + SR_HDR_FIXED + 4 * SR_HOPS_MAX - 1;
		c.result = PARSE_ERR;
		check_user("path past the end", &c, c.len);
		check_bpf("path past the end", hk, &c, c.len);
	}

	/* another version under 0x88B5: someone else's frame, counted by EtherType */
	wrap(&c, &f, 3, FORM_SR);
	c.data[SR_ETH_HLEN] = SR_VERSION + 1;
	for (int hk = 0; hk < HOOK_MAX; hk++) {
		for (size_t len = 15; len <= c.len; len += c.len - 15) {
			harness_clear_flows(&h);
			harness_run(&h, hk, c.data, len, 0, &r);
			cr_assert_eq(r.err, 0);
			cr_assert_eq(harness_flows(&h, e, 2), 1);
			cr_assert_eq(e[0].k.ethertype, SR_ETH_P);
			cr_assert_eq(e[0].k.l3, FLOW_L3_OTHER);
			cr_assert_eq(e[0].k.flags, 0, "not an overlay flow");
			for (int i = 0; i < 16; i++)
				cr_assert_eq(e[0].v.src_node[i] | e[0].v.dst_node[i], 0);
		}
	}

	/* the last-link form with another first byte is an IP header with version 0..3 */
	wrap(&c, &f, 3, FORM_LAST);
	c.data[SR_ETH_HLEN] = 2;
	c.result = PARSE_ERR;
	check_user("last link, byte 2", &c, c.len);
	for (int hk = 0; hk < HOOK_MAX; hk++)
		check_bpf("last link, byte 2", hk, &c, c.len);

	/* an inner SR frame is not walked again: a non-IP flow of the inner EtherType */
	wrap(&c, &f, 2, FORM_SR);
	memset(&g, 0, sizeof(g));
	memcpy(g.data, c.data, c.len);
	g.len = c.len;
	g.result = FRAME_NON_IP;
	g.needed = 14;
	g.key.ethertype = SR_ETH_P;
	wrap(&c, &g, 2, FORM_SR);
	cr_assert_eq(c.l2_len, SR_ETH_HLEN + SR_HDR_FIXED + 8 + 14);
	check_user("SR in SR", &c, c.len);
	for (int hk = 0; hk < HOOK_MAX; hk++)
		check_bpf("SR in SR", hk, &c, c.len);
}

/*
 * One inner flow seen from two overlay pairs on the same link: one flow
 * (the key is the inner 5-tuple); the IDs are the first packet's.
 */
Test(flow_sr, first_packet_ids_kept)
{
	static struct frame f;
	static struct sr_case c;
	struct flow_entry e[2];
	uint8_t first[16];

	build(spec("ipv4-udp"), &f);
	wrap(&c, &f, 3, FORM_SR);
	memcpy(first, c.src, 16);
	harness_clear_flows(&h);
	harness_run(&h, HOOK_TC_IN, c.data, c.len, 0, &r);
	c.data[SR_ETH_HLEN + 8] ^= 0xff;
	harness_run(&h, HOOK_TC_IN, c.data, c.len, 0, &r);
	cr_assert_eq(harness_flows(&h, e, 2), 1);
	cr_assert_eq(e[0].v.packets, 2);
	cr_assert_arr_eq(e[0].v.src_node, first, 16);
}
