// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vpn_bench_prog: per-packet cost of the VPN programs through
 * BPF_PROG_TEST_RUN. The programs rewrite the frame, and test_run's
 * `repeat` would run them again on their own output, so every run is one
 * frame (repeat=1) and the figure is the kernel's own per-run duration
 * (around the program call, not the syscall), averaged over --runs runs,
 * median of --rounds rounds, configurations interleaved. The bare programs
 * (return pass) measured the same way give the floor (timer, dispatch).
 *
 * -c NAME measures only the programs whose name contains NAME (for perf);
 * -x OBJ runs OBJ's vpn_transit_xdp on the same maps instead of the built-in
 * one (to compare a variant of the program, interleaved with the bare ones).
 *
 *   vpn_bench_prog [-b OBJ] [-n RUNS] [-r ROUNDS] [-m FILE] [-c NAME] [-x OBJ]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpn/sr_wire.h"
#include "vpn/vpn_int.h"
#include "ipop_vpn.skel.h"

#define MAX_ROUNDS 15

enum { N_A, N_B, N_C, N_E, N_MAX };
static struct node_id id[N_MAX];
static const uint8_t mac[N_MAX][6] = { { 2, 0, 0, 0, 1, 0xa },
				       { 2, 0, 0, 0, 1, 0xb },
				       { 2, 0, 0, 0, 1, 0xc },
				       { 2, 0, 0, 0, 1, 0xe } };
static const uint8_t tap[N_MAX][6] = { { 2, 0, 0, 0, 2, 0xa },
				       { 2, 0, 0, 0, 2, 0xb },
				       { 2, 0, 0, 0, 2, 0xc },
				       { 2, 0, 0, 0, 2, 0xe } };
static const uint32_t ul[N_MAX] = { 0x0100000a, 0x0200000a, 0x0300000a, 0x0500000a };

static void check(int e, const char *what, const char *err)
{
	if (e) {
		fprintf(stderr, "vpn_bench_prog: %s: %s\n", what, err);
		exit(1);
	}
}

static struct vpn_dp *node(int n)
{
	struct vpn_node_cfg c = { .id = id[n], .underlay_ip4 = ul[n] };
	struct vpn_dp *dp;
	char err[256];

	check(vpn_dp_open(&dp, &c, err, sizeof(err)), "open", err);
	check(vpn_cfg_update(dp, 1, tap[n], 1, err, sizeof(err)), "cfg", err);
	return dp;
}

static void link_to(struct vpn_dp *dp, uint8_t label, int self, int nbr, int vxlan)
{
	struct vpn_link_desc l = { .label = label,
				   .kind = vxlan ? VPN_LINK_VXLAN : VPN_LINK_ETH,
				   .ifname = "lo",
				   .af = 4,
				   .vni = 42,
				   .ul_ifindex = 1 };
	char err[256];

	l.nbr = id[nbr];
	memcpy(l.remote, &ul[nbr], 4);
	memcpy(l.nbr_mac, mac[nbr], 6);
	memcpy(l.our_mac, mac[self], 6);
	memcpy(l.ul_dmac, mac[nbr], 6);
	memcpy(l.ul_smac, mac[self], 6);
	check(vpn_link_set(dp, &l, err, sizeof(err)), "link", err);
}

/* 64-byte IPv4/UDP frame to dst */
static void inner64(uint8_t *f, const uint8_t dst[6], const uint8_t src[6])
{
	memset(f, 0, 64);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 50;
	f[22] = 64;
	f[23] = 17;
	f[37] = 9;
	f[39] = 30;
}

struct cfg {
	const char *name;
	int fd;
	const uint8_t *data;
	size_t len;
	int xdp;
	uint32_t want;
	double ns[MAX_ROUNDS];
};

static double run(struct cfg *c, unsigned int runs)
{
	uint8_t out[2048];
	struct xdp_md x = { .data = 0, .data_end = c->len, .ingress_ifindex = 1 };
	unsigned long long sum = 0;

	for (unsigned int i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = c->data, .data_size_in = c->len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		if (c->xdp) {
			o.ctx_in = &x;
			o.ctx_size_in = sizeof(x);
		}
		if (bpf_prog_test_run_opts(c->fd, &o) || o.retval != c->want) {
			fprintf(stderr, "vpn_bench_prog: %s: err %d retval %u (want %u)\n", c->name,
				errno, o.retval, c->want);
			exit(1);
		}
		sum += o.duration;
	}
	return (double)sum / runs;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *bare = "build/bench_bare.bpf.o", *md = NULL, *only = NULL, *alt = NULL;
	unsigned int runs = 20000, rounds = 5;
	static uint8_t in64[64], sr_b[512], sr_e[512], vx[512], inner_e[64];
	struct vpn_path_desc p = { .first_label = 1, .n = 3, .labels = { 2, 3 } };
	struct sr_view v = { .version = SR_VERSION, .hop_count = 3, .ttl = 9 };
	struct bpf_object *bo;
	struct vpn_dp *a, *ad, *b, *bx, *e;
	char err[256];
	int opt, n_b, n_e, n_vx;
	FILE *out;

	while ((opt = getopt(argc, argv, "b:n:r:m:c:x:")) != -1) {
		if (opt == 'b')
			bare = optarg;
		else if (opt == 'n')
			runs = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'm')
			md = optarg;
		else if (opt == 'c')
			only = optarg;
		else if (opt == 'x')
			alt = optarg;
		else
			return 2;
	}
	if (runs < 1 || runs > 10000000 || rounds < 1 || rounds > MAX_ROUNDS)
		return 2;
	for (int n = 0; n < N_MAX; n++)
		memset(id[n].b, 0xa0 + n, ID_LEN);
	/* A: origin over a VXLAN link; B: transit ETH in -> VXLAN out; E: delivery */
	a = node(N_A);
	link_to(a, 1, N_A, N_B, 1);
	p.dst = p.nodes[2] = id[N_E];
	p.nodes[0] = id[N_B];
	p.nodes[1] = id[N_C];
	check(vpn_path_set(a, &p, err, sizeof(err)), "path", err);
	check(vpn_mac_set(a, tap[N_E], &id[N_E], true, err, sizeof(err)), "mac", err);
	inner64(in64, tap[N_E], tap[N_A]);
	/* A again, with direct encapsulation on lo (static next hop) */
	ad = node(N_A);
	link_to(ad, 1, N_A, N_B, 1);
	check(vpn_path_set(ad, &p, err, sizeof(err)), "path", err);
	check(vpn_mac_set(ad, tap[N_E], &id[N_E], true, err, sizeof(err)), "mac", err);
	check(vpn_set_direct(ad, "lo", 0, err, sizeof(err)), "direct", err);
	b = node(N_B);
	link_to(b, 7, N_B, N_A, 0);
	link_to(b, 2, N_B, N_C, 1);
	v.src = id[N_A];
	v.dst = id[N_E];
	v.hops[0] = (struct sr_path_hop){ sr_node_tag(&id[N_B]), 2 };
	v.hops[1] = (struct sr_path_hop){ sr_node_tag(&id[N_C]), 3 };
	v.hops[2] = (struct sr_path_hop){ sr_node_tag(&id[N_E]), 0 };
	n_b = sr_build_frame(mac[N_B], mac[N_A], &v, in64, 64, sr_b, sizeof(sr_b), err,
			     sizeof(err));
	check(n_b < 0, "frame", err);
	/* XDP: B with VXLAN links both ways, the frame inside VXLAN/UDP/IPv4 */
	bx = node(N_B);
	link_to(bx, 6, N_B, N_A, 1);
	link_to(bx, 2, N_B, N_C, 1);
	memset(vx, 0, 50);
	memcpy(vx, mac[N_B], 6);
	memcpy(vx + 6, mac[N_A], 6);
	vx[12] = 0x08;
	vx[14] = 0x45;
	vx[16] = (36 + n_b) >> 8;
	vx[17] = (36 + n_b) & 0xff;
	vx[22] = 64;
	vx[23] = 17;
	memcpy(vx + 26, &ul[N_A], 4);
	memcpy(vx + 30, &ul[N_B], 4);
	vx[36] = 4789 >> 8;
	vx[37] = 4789 & 0xff;
	vx[39] = 16 + n_b;
	vx[42] = 0x08;
	vx[48] = 42;
	memcpy(vx + 50, sr_b, n_b);
	n_vx = 50 + n_b;
	/* E: the last hop */
	e = node(N_E);
	link_to(e, 4, N_E, N_C, 0);
	inner64(inner_e, tap[N_E], tap[N_A]);
	v.hop_index = 2;
	n_e = sr_build_frame(mac[N_E], mac[N_C], &v, inner_e, 64, sr_e, sizeof(sr_e), err,
			     sizeof(err));
	check(n_e < 0, "frame", err);
	bo = bpf_object__open_file(bare, NULL);
	check(!bo || bpf_object__load(bo), "bare object", bare);

	struct cfg c[] = {
		{ "bare TC",
		  bpf_program__fd(bpf_object__find_program_by_name(bo, "bench_tc_ok")),
		  in64,
		  64,
		  0,
		  0,
		  { 0 } },
		{ "bare XDP",
		  bpf_program__fd(bpf_object__find_program_by_name(bo, "bench_xdp_pass")),
		  vx,
		  n_vx,
		  1,
		  2,
		  { 0 } },
		{ "origin (TC egress, encap + VXLAN key)",
		  bpf_program__fd(a->skel->progs.vpn_origin),
		  in64,
		  64,
		  0,
		  7,
		  { 0 } },
		{ "transit TC (ingress, VXLAN key)",
		  bpf_program__fd(b->skel->progs.vpn_link_in),
		  sr_b,
		  n_b,
		  0,
		  7,
		  { 0 } },
		{ "transit XDP (underlay, XDP_TX)",
		  bpf_program__fd(bx->skel->progs.vpn_transit_xdp),
		  vx,
		  n_vx,
		  1,
		  3,
		  { 0 } },
		{ "last hop TC (strip, learn, to ipop0)",
		  bpf_program__fd(e->skel->progs.vpn_link_in),
		  sr_e,
		  n_e,
		  0,
		  7,
		  { 0 } },
		{ "origin, direct encapsulation (TC egress, whole VXLAN/IPv4 packet)",
		  bpf_program__fd(ad->skel->progs.vpn_origin),
		  in64,
		  64,
		  0,
		  7,
		  { 0 } },
		{ "transit TC on the underlay (ingress, in place)",
		  bpf_program__fd(bx->skel->progs.vpn_transit_tc),
		  vx,
		  n_vx,
		  0,
		  7,
		  { 0 } },
	};
	size_t nc = sizeof(c) / sizeof(c[0]);

	if (alt) {
		/* -x OBJ: OBJ's programs instead of the built-in ones, on bx's maps */
		struct bpf_object *xo = bpf_object__open_file(alt, NULL);
		struct bpf_map *m;

		check(!xo, "alt object", alt);
		bpf_object__for_each_map(m, xo)
		{
			struct bpf_map *bm =
				bpf_object__find_map_by_name(bx->skel->obj, bpf_map__name(m));

			if (bm)
				check(bpf_map__reuse_fd(m, bpf_map__fd(bm)), "reuse",
				      bpf_map__name(m));
		}
		check(bpf_object__load(xo), "alt load", alt);
		c[4].fd = bpf_program__fd(bpf_object__find_program_by_name(xo, "vpn_transit_xdp"));
	}

	for (unsigned int r = 0; r < rounds; r++)
		for (size_t i = 0; i < nc; i++)
			if (!only || strstr(c[i].name, only))
				c[i].ns[r] = run(&c[i], runs);
	out = md ? fopen(md, "a") : NULL;
	printf("| program (BPF_PROG_TEST_RUN, %u runs x %u rounds, 64-byte inner) | ns/run "
	       "(median) | minus bare |\n|---|---:|---:|\n",
	       runs, rounds);
	if (out)
		fprintf(out, "\n### VPN programs\n\n| program | ns/run | minus bare "
			     "|\n|---|---:|---:|\n");
	for (size_t i = 0; i < nc; i++)
		qsort(c[i].ns, rounds, sizeof(double), cmp);
	for (size_t i = 0; i < nc; i++) {
		double med = c[i].ns[rounds / 2], floor = c[c[i].xdp ? 1 : 0].ns[rounds / 2];

		printf("| %s | %.0f | %.0f |\n", c[i].name, med, i < 2 ? 0 : med - floor);
		if (out)
			fprintf(out, "| %s | %.0f | %.0f |\n", c[i].name, med,
				i < 2 ? 0 : med - floor);
	}
	if (out)
		fclose(out);
	vpn_dp_close(a);
	vpn_dp_close(ad);
	vpn_dp_close(b);
	vpn_dp_close(bx);
	vpn_dp_close(e);
	bpf_object__close(bo);
	return 0;
}
