/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The VPN datapath's control: the node's TAP (ipop0), the collect-metadata
 * VXLAN device, the BPF programs of bpf/ipop_vpn.bpf.c and their maps.
 *
 * One struct vpn_dp per node, held by the process that owns ipop0 (the
 * daemon): the TAP has carrier only while its fd is open, and closing the
 * vpn_dp detaches everything it attached and deletes the devices it created.
 * Every call returns 0 or -errno with a message in err; nothing prints.
 *
 * Typical use (what tests/tools/vpnnode.c does):
 *   vpn_dp_open(&dp, &node)            load the programs, write this node's config
 *   vpn_tap_create(dp, &tap)           ipop0 up, origin program on its egress
 *   vpn_vxlan_create(dp, &vx)          the VXLAN device, link program on its ingress
 *   vpn_link_set(dp, &link) ...        this node's links (label -> neighbour)
 *   vpn_path_set(dp, &path) ...        routes (SRUM: from rt_dp_install)
 *   vpn_mac_set(dp, mac, node, true)   optional static MAC -> node entries
 *
 * For the daemon: labels are local to each node (a node's label names one
 * of its links), so a route SRUM installs must carry, for every node on it,
 * the label that node uses towards the next one: a route reply has to
 * collect (node ID, label) per hop on its way back. vpn_path_set() checks
 * the path (1..16 hops, ends at dst, no node twice, never this node) and
 * computes the tags. Misses (unknown MAC, no path, stale first link) and
 * broadcast/multicast frames are not dropped: they reach the TAP reader
 * (vpn_tap_fd()), counted in vpn_stats by reason.
 */
#ifndef IPOP_VPN_VPN_H
#define IPOP_VPN_VPN_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/id.h"
#include "sr.h"

struct vpn_dp;

struct vpn_node_cfg {
	struct node_id id;
	uint8_t ttl;	       /* 0: SR_TTL_DEFAULT */
	uint64_t mac_age_ns;   /* 0: learned MACs never age */
	uint32_t underlay_ip4; /* network order; XDP transit's outer source (0: keep) */
};

struct vpn_tap_opts {
	char name[IF_NAMESIZE]; /* "" = "ipop0" */
	uint8_t mac[6];
	bool set_mac;	   /* else the kernel's random MAC */
	unsigned int mtu;  /* 0 = SR_IPOP0_MTU */
	const char *addr4; /* "10.0.0.1/24" or NULL */
	const char *addr6; /* "fd00::1/64" or NULL */
};

struct vpn_vxlan_opts {
	char name[IF_NAMESIZE]; /* "" = "ipop-vx0" */
	uint16_t port;		/* 0 = 4789 */
	unsigned int mtu;	/* 0 = the kernel's default */
};

struct vpn_link_desc {
	uint8_t label;		  /* 1..255, local to this node */
	uint8_t kind;		  /* VPN_LINK_VXLAN or VPN_LINK_ETH */
	char ifname[IF_NAMESIZE]; /* ETH: the device; VXLAN: "" = the one vpn_vxlan_create made */
	struct node_id nbr;
	uint32_t vni;	     /* VXLAN */
	int af;		     /* VXLAN: 4 or 6 */
	uint8_t remote[16];  /* VXLAN: the neighbour's underlay address (IPv4: first 4 bytes) */
	uint8_t nbr_mac[6];  /* ETH: the neighbour's MAC on the link */
	uint8_t our_mac[6];  /* outer source MAC (ETH: zero = the device's) */
	uint32_t ul_ifindex; /* XDP transit: underlay egress and next-hop MACs; 0 = FIB */
	uint8_t ul_dmac[6], ul_smac[6];
};

/* A path to dst: first_label is this node's link to nodes[0]; labels[i]
 * is nodes[i]'s link to nodes[i + 1]; nodes[n - 1] == dst. */
struct vpn_path_desc {
	struct node_id dst;
	uint8_t first_label;
	uint8_t n; /* 1..SR_HOPS_MAX */
	struct node_id nodes[SR_HOPS_MAX];
	uint8_t labels[SR_HOPS_MAX]; /* labels[n - 1] is ignored (0 on the wire) */
};

int vpn_dp_open(struct vpn_dp **out, const struct vpn_node_cfg *c, char *err, size_t errlen);
void vpn_dp_close(struct vpn_dp *dp);

/* Create ipop0 (a TAP held open by dp), set MAC/MTU/addresses, bring it up,
 * attach vpn_origin at its TC egress. */
int vpn_tap_create(struct vpn_dp *dp, const struct vpn_tap_opts *o, char *err, size_t errlen);
int vpn_tap_fd(const struct vpn_dp *dp);
int vpn_tap_ifindex(const struct vpn_dp *dp);

/* Create the external (collect-metadata) VXLAN device, bring it up, attach
 * vpn_link_in at its TC ingress. */
int vpn_vxlan_create(struct vpn_dp *dp, const struct vpn_vxlan_opts *o, char *err, size_t errlen);

/* vpn_link_in at the TC ingress of ifname: an Ethernet link device, or any
 * interface where overlay frames must be refused (counted, dropped). */
int vpn_attach_ingress(struct vpn_dp *dp, const char *ifname, char *err, size_t errlen);
/*
 * Direct encapsulation at the origin: IP frames from ipop0 on VXLAN/IPv4
 * links leave as whole VXLAN packets built by vpn_origin and sent straight
 * on ifname (the underlay), so that software GSO can segment them (see
 * bpf/ipop_vpn.bpf.c, origin_direct). Needs the node's underlay_ip4
 * (vpn_dp_open). port: the neighbours' VXLAN port (0 = 4789). ifname NULL
 * or "": off (frames go through the VXLAN device).
 */
int vpn_set_direct(struct vpn_dp *dp, const char *ifname, uint16_t port, char *err, size_t errlen);
/* vpn_transit_tc at the TC ingress of the underlay interface: transit of
 * VXLAN/IPv4 frames in place there, and the guard of vpn_attach_ingress. */
int vpn_attach_tc_transit(struct vpn_dp *dp, const char *ifname, char *err, size_t errlen);
/* vpn_transit_xdp on the underlay interface (native, or skb mode if !native). */
int vpn_attach_xdp(struct vpn_dp *dp, const char *ifname, bool native, char *err, size_t errlen);

int vpn_link_set(struct vpn_dp *dp, const struct vpn_link_desc *l, char *err, size_t errlen);
int vpn_link_del(struct vpn_dp *dp, uint8_t label, char *err, size_t errlen);
int vpn_path_set(struct vpn_dp *dp, const struct vpn_path_desc *p, char *err, size_t errlen);
int vpn_path_del(struct vpn_dp *dp, const struct node_id *dst, char *err, size_t errlen);
int vpn_mac_set(struct vpn_dp *dp, const uint8_t mac[6], const struct node_id *node, bool is_static,
		char *err, size_t errlen);

/* The node a MAC maps to (learned or static, aged or not): 0, or -ENOENT. */
int vpn_mac_get(struct vpn_dp *dp, const uint8_t mac[6], struct node_id *node, bool *is_static);

/* Per-CPU counters summed; names for people and Prometheus. */
int vpn_stats_read(struct vpn_dp *dp, uint64_t out[VPN_ST_MAX], char *err, size_t errlen);
const char *vpn_stat_name(unsigned int i);

/* Path descriptions to the map value (tags computed from IDs); exposed for tests. */
int vpn_path_encode(const struct vpn_path_desc *p, struct vpn_path *out, char *err, size_t errlen);

#endif /* IPOP_VPN_VPN_H */
