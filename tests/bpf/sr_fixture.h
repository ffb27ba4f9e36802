/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fixtures for the VPN datapath tests: five nodes A..E (IDs, MACs, underlay
 * addresses), frames carrying the source-route header, and a runner for the
 * programs of ipop_vpn.bpf.c through BPF_PROG_TEST_RUN with the counters
 * read around each run.
 */
#ifndef IPOP_TESTS_BPF_SR_FIXTURE_H
#define IPOP_TESTS_BPF_SR_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "vpn/sr_wire.h"
#include "vpn/vpn_int.h"

#define TC_ACT_OK_V	  0
#define TC_ACT_SHOT_V	  2
#define TC_ACT_REDIRECT_V 7
#define XDP_DROP_V	  1
#define XDP_PASS_V	  2
#define XDP_TX_V	  3
#define XDP_REDIRECT_V	  4
#define SRF_MAX		  2048

enum node { N_A = 0, N_B, N_C, N_D, N_E, N_MAX };

extern struct node_id nid[N_MAX];
extern const uint8_t link_mac[N_MAX][6]; /* each node's outer (link) MAC */
extern const uint8_t tap_mac[N_MAX][6];	 /* each node's ipop0 MAC */
extern const uint32_t ul_ip[N_MAX];	 /* underlay IPv4, network order */

enum prog { P_ORIGIN = 0, P_LINK_IN, P_XDP, P_MAX };

struct srun {
	int err;
	uint32_t ret;
	uint32_t len;
	uint8_t out[SRF_MAX + 256];
	uint64_t d[VPN_ST_MAX]; /* counter deltas */
};

/* A datapath for node n: loaded, configured (tap ifindex 1 = lo, its MAC). */
struct vpn_dp *fx_open(enum node n);
int fx_prog(struct vpn_dp *dp, enum prog p);
/* Run one frame; xdp_ifindex != 0 passes an xdp_md with that ingress ifindex. */
void fx_run(struct vpn_dp *dp, enum prog p, const void *data, size_t len, uint32_t xdp_ifindex,
	    struct srun *r);
/* The sum of the deltas but LEARNED, i.e. how many outcomes the run counted. */
uint64_t fx_counted(const struct srun *r);

/* Ethernet link on lo (test_run's ifindex) from/to node nbr. */
void fx_eth_link(struct vpn_dp *dp, uint8_t label, enum node self, enum node nbr);
/* VXLAN link on lo to node nbr (remote ul_ip[nbr], VNI vni). */
void fx_vx_link(struct vpn_dp *dp, uint8_t label, enum node self, enum node nbr, uint32_t vni);

/* An inner IPv4/UDP frame from tap_mac[src] to dst_mac, len bytes (>= 60). */
size_t fx_inner(uint8_t *out, const uint8_t dst_mac[6], enum node src, size_t len);

/* A path as (node, label) entries; the last label is 0. */
struct fx_path {
	int n;
	enum node node[SR_HOPS_MAX];
	uint8_t label[SR_HOPS_MAX];
};

/* Overlay frame on an Ethernet link: outer smac/dmac, header, inner. */
size_t fx_sr_frame(uint8_t *out, const uint8_t dmac[6], const uint8_t smac[6], enum node src,
		   enum node dst, const struct fx_path *p, uint8_t index, uint8_t ttl,
		   const uint8_t *inner, size_t inner_len);
/* The same inside VXLAN/UDP/IPv4 from ul_ip[from] to ul_ip[to], VNI vni. */
size_t fx_vx_frame(uint8_t *out, enum node from, enum node to, uint32_t vni, const uint8_t *sr,
		   size_t sr_len);

#endif /* IPOP_TESTS_BPF_SR_FIXTURE_H */
