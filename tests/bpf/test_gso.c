// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Wire-true counts of GSO skbs: BPF_PROG_TEST_RUN takes a struct __sk_buff
 * as ctx_in and copies gso_segs and gso_size into the skb's shared info
 * (observed on 6.18), so a TC program sees a GSO "super-packet" as the stack
 * would hand it over. A GSO skb of N segments must count N packets, its
 * length plus the headers each further segment repeats as bytes, and one
 * skb (packets - seg_extra).
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <criterion/criterion.h>

#include "frames.h"
#include "harness.h"

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

TestSuite(gso, .init = setup, .fini = teardown, .timeout = 60);

/* One run of a TC program with gso_segs/gso_size in the skb. */
static void run_gso(enum hook hk, const struct frame *f, __u32 segs, __u32 size)
{
	struct __sk_buff ctx = { .gso_segs = segs, .gso_size = size };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->data, .data_size_in = f->len,
		    .data_out = r.out, .data_size_out = sizeof(r.out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	cr_assert_eq(bpf_prog_test_run_opts(h.prog_fd[hk], &o), 0, "test_run: %s", strerror(errno));
	cr_assert_eq(o.retval, TC_ACT_UNSPEC_RET);
}

static void build(struct frame *f, int l3, uint8_t proto, int ip_opts, int tcp_opts, size_t payload,
		  int vlans)
{
	struct frame_spec s = {
		.name = "gso",
		.vlans = vlans,
		.vid = { 7, 8 },
		.l3 = l3,
		.proto = proto,
		.src = l3 == 4 ? "10.1.2.3" : "2001:db8::1",
		.dst = l3 == 4 ? "10.3.2.1" : "2001:db8::2",
		.ip_opts = ip_opts,
		.sport = 40000,
		.dport = 5201,
		.tcp_flags = 0x10,
		.tcp_opts = tcp_opts,
		.payload = payload,
	};

	cr_assert_eq(frame_build(&s, f), 0);
	cr_assert_eq(f->result, FRAME_IP);
}

static struct flow_value one_flow(void)
{
	struct flow_entry e[2];
	size_t n = harness_flows(&h, e, 2);

	cr_assert_eq(n, 1, "%zu flows", n);
	return e[0].v;
}

/* hdr: the bytes every segment repeats (L2 + L3 + L4 headers). */
static void check(const struct frame *f, size_t hdr, uint64_t segs, uint16_t l2)
{
	struct flow_value v = one_flow();

	cr_assert_eq(v.packets, segs, "packets %llu, want %llu", (unsigned long long)v.packets,
		     (unsigned long long)segs);
	cr_assert_eq(v.bytes, f->len + (segs - 1) * hdr, "bytes %llu, want %zu + %llu * %zu",
		     (unsigned long long)v.bytes, f->len, (unsigned long long)(segs - 1), hdr);
	cr_assert_eq(v.packets - v.seg_extra, 1, "skbs %llu",
		     (unsigned long long)(v.packets - v.seg_extra));
	cr_assert_eq(v.l2_len, l2);
}

Test(gso, tcp4_segments_and_headers)
{
	struct frame f;

	/* IPv4 with 8 option bytes, TCP with 12 option bytes: 14 + 28 + 32 */
	build(&f, 4, 6, 8, 12, 1400, 0);
	for (int hk = HOOK_TC_IN; hk <= HOOK_TC_EG; hk++) {
		harness_clear_flows(&h);
		run_gso(hk, &f, 5, 280);
		check(&f, 14 + 28 + 32, 5, 14);
	}
}

Test(gso, tcp6_tagged)
{
	struct frame f;

	build(&f, 6, 6, 0, 0, 1200, 1);
	run_gso(HOOK_TC_EG, &f, 3, 400);
	check(&f, 18 + 40 + 20, 3, 18);
	/* a second GSO skb and a plain one add up */
	run_gso(HOOK_TC_EG, &f, 2, 600);
	run_gso(HOOK_TC_EG, &f, 0, 0);
	struct flow_value v = one_flow();
	cr_assert_eq(v.packets, 3 + 2 + 1);
	cr_assert_eq(v.packets - v.seg_extra, 3);
	cr_assert_eq(v.bytes, 3 * f.len + (2 + 1) * (18 + 40 + 20));
}

Test(gso, udp4_segments)
{
	struct frame f;

	build(&f, 4, 17, 0, 0, 1000, 0);
	run_gso(HOOK_TC_EG, &f, 4, 250);
	check(&f, 14 + 20 + 8, 4, 14);
}

/* gso_size set, gso_segs not yet computed: what segmentation will make */
Test(gso, segs_from_gso_size)
{
	struct frame f;

	build(&f, 4, 6, 0, 0, 1000, 0);
	run_gso(HOOK_TC_EG, &f, 0, 300); /* ceil(1000 / 300) = 4 */
	check(&f, 14 + 20 + 20, 4, 14);
}

/* No GSO: one packet, one skb, bytes as seen; two tags give l2_len 22. */
Test(gso, plain_skb_and_qinq)
{
	struct frame f;

	build(&f, 4, 17, 0, 0, 100, 2);
	run_gso(HOOK_TC_IN, &f, 1, 0);
	check(&f, 0, 1, 22);
	cr_assert_eq(one_flow().bytes, f.len);
}
