// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <criterion/criterion.h>

#include "ipop_vpn.skel.h"
#include "sr_fixture.h"

struct node_id nid[N_MAX];
const uint8_t link_mac[N_MAX][6] = {
	{ 2, 0, 0, 0, 1, 0xa }, { 2, 0, 0, 0, 1, 0xb }, { 2, 0, 0, 0, 1, 0xc },
	{ 2, 0, 0, 0, 1, 0xd }, { 2, 0, 0, 0, 1, 0xe },
};
const uint8_t tap_mac[N_MAX][6] = {
	{ 2, 0, 0, 0, 2, 0xa }, { 2, 0, 0, 0, 2, 0xb }, { 2, 0, 0, 0, 2, 0xc },
	{ 2, 0, 0, 0, 2, 0xd }, { 2, 0, 0, 0, 2, 0xe },
};
const uint32_t ul_ip[N_MAX] = {
	0x0100000a, 0x0200000a, 0x0300000a, 0x0400000a, 0x0500000a, /* 10.0.0.x */
};

static void ids(void)
{
	for (int n = 0; n < N_MAX; n++)
		for (int i = 0; i < ID_LEN; i++)
			nid[n].b[i] = (uint8_t)(0x10 * (n + 1) + i);
}

struct vpn_dp *fx_open(enum node n)
{
	struct vpn_node_cfg c = { .mac_age_ns = 0 };
	struct vpn_dp *dp = NULL;
	char err[256] = "";

	cr_assert_eq(geteuid(), 0, "BPF program tests need root");
	ids();
	c.id = nid[n];
	c.underlay_ip4 = ul_ip[n];
	cr_assert_eq(vpn_dp_open(&dp, &c, err, sizeof(err)), 0, "vpn_dp_open: %s", err);
	/* ipop0 stands in as lo: test_run never really redirects */
	cr_assert_eq(vpn_cfg_update(dp, 1, tap_mac[n], 1, err, sizeof(err)), 0, "%s", err);
	return dp;
}

int fx_prog(struct vpn_dp *dp, enum prog p)
{
	struct ipop_vpn_bpf *s = dp->skel;

	return bpf_program__fd(p == P_ORIGIN	? s->progs.vpn_origin
			       : p == P_LINK_IN ? s->progs.vpn_link_in
						: s->progs.vpn_transit_xdp);
}

void fx_run(struct vpn_dp *dp, enum prog p, const void *data, size_t len, uint32_t xdp_ifindex,
	    struct srun *r)
{
	struct xdp_md x = { .data = 0, .data_end = len, .ingress_ifindex = xdp_ifindex };
	uint64_t before[VPN_ST_MAX], after[VPN_ST_MAX];
	char err[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);

	if (p == P_XDP && xdp_ifindex) {
		o.ctx_in = &x;
		o.ctx_size_in = sizeof(x);
	}
	cr_assert_eq(vpn_stats_read(dp, before, err, sizeof(err)), 0, "%s", err);
	r->err = bpf_prog_test_run_opts(fx_prog(dp, p), &o) ? -errno : 0;
	r->ret = o.retval;
	r->len = o.data_size_out;
	cr_assert_eq(vpn_stats_read(dp, after, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < VPN_ST_MAX; i++)
		r->d[i] = after[i] - before[i];
}

uint64_t fx_counted(const struct srun *r)
{
	uint64_t s = 0;

	/* LEARNED and the detail counters: side effects, not outcomes */
	for (int i = 0; i < VPN_ST_DETAIL_FIRST; i++)
		if (i != VPN_ST_LEARNED)
			s += r->d[i];
	return s;
}

void fx_eth_link(struct vpn_dp *dp, uint8_t label, enum node self, enum node nbr)
{
	struct vpn_link_desc l = { .label = label, .kind = VPN_LINK_ETH, .ifname = "lo" };
	char err[256] = "";

	l.nbr = nid[nbr];
	memcpy(l.nbr_mac, link_mac[nbr], 6);
	memcpy(l.our_mac, link_mac[self], 6);
	cr_assert_eq(vpn_link_set(dp, &l, err, sizeof(err)), 0, "vpn_link_set: %s", err);
}

void fx_vx_link(struct vpn_dp *dp, uint8_t label, enum node self, enum node nbr, uint32_t vni)
{
	struct vpn_link_desc l = { .label = label, .kind = VPN_LINK_VXLAN, .ifname = "lo" };
	char err[256] = "";

	l.nbr = nid[nbr];
	l.af = 4;
	l.vni = vni;
	memcpy(l.remote, &ul_ip[nbr], 4);
	memcpy(l.nbr_mac, link_mac[nbr], 6);
	memcpy(l.our_mac, link_mac[self], 6);
	/* XDP transit: straight back out of lo, static next-hop MACs */
	l.ul_ifindex = 1;
	memcpy(l.ul_dmac, link_mac[nbr], 6);
	memcpy(l.ul_smac, link_mac[self], 6);
	cr_assert_eq(vpn_link_set(dp, &l, err, sizeof(err)), 0, "vpn_link_set: %s", err);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (p[i] << 8) | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t fx_inner(uint8_t *out, const uint8_t dst_mac[6], enum node src, size_t len)
{
	uint16_t ck;

	cr_assert(len >= 60 && len <= 1514);
	memset(out, 0, len);
	memcpy(out, dst_mac, 6);
	memcpy(out + 6, tap_mac[src], 6);
	out[12] = 0x08;
	out[14] = 0x45;
	out[16] = (len - 14) >> 8;
	out[17] = (len - 14) & 0xff;
	out[22] = 64;
	out[23] = 17;
	memcpy(out + 26, (uint8_t[]){ 10, 9, 0, (uint8_t)(src + 1) }, 4);
	memcpy(out + 30, (uint8_t[]){ 10, 9, 0, 5 }, 4);
	ck = csum(out + 14, 20);
	out[24] = ck >> 8;
	out[25] = ck & 0xff;
	out[34] = 0x30;
	out[35] = 0x39; /* sport 12345 */
	out[37] = 9;
	out[38] = (len - 34) >> 8;
	out[39] = (len - 34) & 0xff;
	for (size_t i = 42; i < len; i++)
		out[i] = (uint8_t)i;
	return len;
}

size_t fx_sr_frame(uint8_t *out, const uint8_t dmac[6], const uint8_t smac[6], enum node src,
		   enum node dst, const struct fx_path *p, uint8_t index, uint8_t ttl,
		   const uint8_t *inner, size_t inner_len)
{
	uint8_t *h = out + 14;

	/* by hand, not sr_build(): tests need headers the builder refuses */
	memcpy(out, dmac, 6);
	memcpy(out + 6, smac, 6);
	out[12] = SR_ETH_P >> 8;
	out[13] = SR_ETH_P & 0xff;
	/* the last-link form, as a sender makes it (sr.h) */
	if (index + 1 == p->n && inner[12] == 0x08 && inner[13] == 0x00) {
		out[12] = 0x08;
		out[13] = 0x00;
	}
	memset(h, 0, SR_HDR_FIXED);
	h[0] = SR_VERSION;
	h[1] = p->n;
	h[2] = index;
	h[3] = ttl;
	memcpy(h + 8, nid[src].b, ID_LEN);
	memcpy(h + 24, nid[dst].b, ID_LEN);
	for (int i = 0; i < p->n; i++) {
		uint32_t t = sr_node_tag(&nid[p->node[i]]);
		uint8_t *e = h + SR_HDR_FIXED + i * SR_HOP_LEN;

		e[0] = t >> 16;
		e[1] = t >> 8;
		e[2] = t;
		e[3] = p->label[i];
	}
	memcpy(h + sr_hdr_len(p->n), inner, inner_len);
	return 14 + sr_hdr_len(p->n) + inner_len;
}

size_t fx_vx_frame(uint8_t *out, enum node from, enum node to, uint32_t vni, const uint8_t *sr,
		   size_t sr_len)
{
	uint8_t *ip = out + 14, *udp = ip + 20, *vx = udp + 8;
	size_t ulen = 8 + 8 + sr_len;
	uint16_t ck;

	memcpy(out, link_mac[to], 6);
	memcpy(out + 6, link_mac[from], 6);
	out[12] = 0x08;
	out[13] = 0;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (20 + ulen) >> 8;
	ip[3] = (20 + ulen) & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &ul_ip[from], 4);
	memcpy(ip + 16, &ul_ip[to], 4);
	ck = csum(ip, 20);
	ip[10] = ck >> 8;
	ip[11] = ck & 0xff;
	udp[0] = 0xc0;
	udp[1] = 0x01;
	udp[2] = 4789 >> 8;
	udp[3] = 4789 & 0xff;
	udp[4] = ulen >> 8;
	udp[5] = ulen & 0xff;
	udp[6] = udp[7] = 0;
	memset(vx, 0, 8);
	vx[0] = 0x08;
	vx[4] = vni >> 16;
	vx[5] = vni >> 8;
	vx[6] = vni;
	memcpy(vx + 8, sr, sr_len);
	return 14 + 20 + ulen;
}
