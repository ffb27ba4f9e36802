/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel/user ABI of the VPN datapath: the source-route header carried by
 * overlay frames, the maps the control plane programs, the drop counters.
 *
 * On a link, an overlay frame is
 *
 *   outer Ethernet (14, EtherType SR_ETH_P = 0x88B5)
 *   struct sr_hdr (SR_HDR_FIXED = 40 bytes)
 *   hop_count path entries, 4 bytes each (struct sr_hop)
 *   the inner Ethernet frame (what ipop0 sent)
 *
 * Path: the origin n0 sends to n1, ..., n_k = the destination (k =
 * hop_count links, 1 <= k <= SR_HOPS_MAX). Entry i (0-based) describes node
 * n_(i+1): a 24-bit tag (a hash of its node ID, for the checks) and the
 * label, local to that node, of the link it forwards on (SR-MPLS adjacency
 * segment style; 0 in the last entry, which is the destination's). The
 * origin's own first label is not carried: it takes it from its path map.
 * hop_index is the entry of the node that receives the frame next: the
 * origin sends 0, each transit node increments it.
 *
 *   byte 0  version (SR_VERSION)       byte 4     flags (0)
 *   byte 1  hop_count (1..16)          bytes 5-7  reserved (0)
 *   byte 2  hop_index (< hop_count)    bytes 8-23 source node ID
 *   byte 3  ttl (> 0)                  bytes 24-39 destination node ID
 *   then hop_count x { tag (24 bits, big endian), label (8 bits) }
 *
 * The last link. The destination must remove the header, and the only TC
 * helper that removes bytes at the front while keeping the skb's checksum
 * offsets right, bpf_skb_adjust_room(), refuses an skb whose protocol is
 * not IP (a TCP segment from a local socket travels CHECKSUM_PARTIAL, its
 * csum_start fixed in the buffer: moving the bytes instead breaks it). So
 * on the link to the last entry, a frame whose inner EtherType is IPv4 or
 * IPv6 carries that EtherType as its outer one ("last-link form"); the
 * header's first byte (SR_VERSION = 1) cannot start an IPv4 (0x4_) or IPv6
 * (0x6_) header, which tells the two apart. Other inner frames (ARP...) keep
 * SR_ETH_P and are moved by copy at the destination. Only a link program
 * ever sees either form.
 *
 * Over VXLAN, the overlay frame above is the VXLAN payload. An origin with
 * direct encapsulation (vpn_cfg.ul_ifindex) writes the VXLAN/UDP/IPv4
 * headers itself and adds nothing else to the wire; inside the skb, its GSO
 * metadata points at the inner frame's own Ethernet header, so software
 * GSO treats VXLAN, overlay Ethernet and SR header as one tunnel header
 * (ipop_vpn.bpf.c, origin_direct).
 *
 * Header size: 40 + 4 * hop_count, i.e. 44 (one link) to 104 bytes (16
 * links); 52 for the 3-hop path of the tests. The VXLAN device's MTU (1450
 * on a 1500-byte IPv4 underlay, 1430 on IPv6) must hold the SR header, the
 * inner Ethernet header and ipop0's packet, so ipop0's MTU is
 * 1450 - 104 - 14 = 1332 for paths of any length (SR_IPOP0_MTU; 1312 on an
 * IPv6 underlay); paths of at most 4 links would allow 1380.
 */
#ifndef IPOP_SR_H
#define IPOP_SR_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SR_ETH_P       0x88B5 /* IEEE 802 local experimental EtherType 1 */
#define SR_VERSION     1
#define SR_HOPS_MAX    16
#define SR_HDR_FIXED   40
#define SR_HOP_LEN     4
#define SR_HDR_MAX     (SR_HDR_FIXED + SR_HOPS_MAX * SR_HOP_LEN) /* 104 */
#define SR_TTL_DEFAULT 32
#define SR_ID_LEN      16
#define SR_ETH_HLEN    14

/* ipop0 MTU for a 1500-byte underlay (see above) */
#define SR_VXLAN4_OVERHEAD 50
#define SR_VXLAN6_OVERHEAD 70
#define SR_IPOP0_MTU	   (1500 - SR_VXLAN4_OVERHEAD - SR_HDR_MAX - SR_ETH_HLEN) /* 1332 */

/* A path entry on the wire: tag << 8 | label, big endian. */
#define SR_TAG_MASK   0xffffff00u /* host order */
#define SR_LABEL_MASK 0x000000ffu
#define SR_LABEL_NONE 0 /* last entry: deliver here */
#define SR_LABELS_MAX 256

struct sr_hop {
	__u8 tag[3];
	__u8 label;
};

struct sr_hdr {
	__u8 version;
	__u8 hop_count;
	__u8 hop_index;
	__u8 ttl;
	__u8 flags;
	__u8 rsvd[3];
	__u8 src[SR_ID_LEN];
	__u8 dst[SR_ID_LEN];
	/* then hop_count x struct sr_hop */
};

/* ---- maps (bpf/ipop_vpn.bpf.c) ---- */

/* vpn_cfg[0]: this node. */
struct vpn_cfg {
	__u8 id[SR_ID_LEN];
	__u32 tag;	   /* this node's tag, host order, low 24 bits */
	__u32 tap_ifindex; /* ipop0: where local delivery goes */
	__u8 tap_mac[6];   /* ipop0's MAC: inner frames must carry it (or a group address) */
	__u8 ttl;	   /* initial TTL; 0 = SR_TTL_DEFAULT */
	__u8 pad;
	__u64 mac_age_ns;   /* learned MAC entries older than this are ignored; 0 = never */
	__u32 underlay_ip4; /* XDP transit, direct encap: this node's underlay IPv4 (network order) */
	__u32 vxlan_ifindex; /* XDP transit: the VXLAN device whose frames it handles */
	__u32 ul_ifindex;    /* direct encap: the underlay device (0 = through the VXLAN device) */
	__u16 vxlan_port;    /* direct encap: the neighbours' VXLAN port, host order (0 = 4789) */
	__u16 pad2;
};

enum vpn_link_kind {
	VPN_LINK_NONE = 0,
	VPN_LINK_VXLAN = 1, /* collect-metadata VXLAN device: tunnel key per link */
	VPN_LINK_ETH = 2,   /* an Ethernet device with one neighbour behind it */
};

/* vpn_links[label]: this node's links. Label 0 is never a link. */
struct vpn_link {
	__u32 ifindex; /* VXLAN device or Ethernet device */
	__u8 kind;     /* enum vpn_link_kind */
	__u8 af;       /* VXLAN: 4 or 6 */
	__u8 pad[2];
	__u32 vni;     /* VXLAN: network identifier */
	__u32 nbr_tag; /* neighbour's tag, host order */
	__u8 nbr_id[SR_ID_LEN];
	__u8 remote[16];  /* VXLAN: neighbour's underlay address (IPv4 in the first 4 bytes) */
	__u8 dmac[6];	  /* outer destination MAC (ETH: the neighbour's; VXLAN: any) */
	__u8 smac[6];	  /* outer source MAC */
	__u32 ul_ifindex; /* XDP transit: underlay egress (0 = bpf_fib_lookup) */
	__u8 ul_dmac[6];  /* XDP transit: underlay next-hop MAC, with ul_ifindex */
	__u8 ul_smac[6];
};

/* vpn_inlinks: which link a frame came in on (ingress check). */
struct vpn_inlink_key {
	__u32 ifindex;
	__u32 vni; /* 0 for an Ethernet link */
	__u8 af;   /* 4, 6, or 0 for an Ethernet link */
	__u8 pad[3];
	__u8 remote[16]; /* zero for an Ethernet link */
};

/* vpn_paths[destination node ID]: what SRUM installs. */
struct vpn_path_key {
	__u8 id[SR_ID_LEN];
};

struct vpn_path {
	__u8 hop_count;	  /* 1..SR_HOPS_MAX */
	__u8 first_label; /* the origin's link to hops[0] */
	__u8 pad[2];
	struct sr_hop hops[SR_HOPS_MAX];
};

/* vpn_macs[MAC]: learned at local delivery (or static). */
struct vpn_mac_key {
	__u8 mac[6];
	__u8 pad[2];
};

enum vpn_mac_flags {
	VPN_MAC_STATIC = 1 << 0, /* never ages, never overwritten by learning */
};

struct vpn_mac_val {
	__u8 node[SR_ID_LEN];
	__u64 seen_ns; /* bpf_ktime_get_coarse_ns() of the last learning */
	__u32 flags;   /* enum vpn_mac_flags */
	__u32 pad;
};

#define VPN_PATHS_MAX	65536
#define VPN_MACS_MAX	65536
#define VPN_INLINKS_MAX 1024

/* Per-CPU counters, indexed by enum vpn_stat. Every frame a program sees
 * is counted once in VPN_ST_ORIGIN_TX..VPN_ST_NO_CFG (its outcome);
 * VPN_ST_LEARNED and VPN_ST_DETAIL_FIRST.. count side effects and details. */
enum vpn_stat {
	VPN_ST_ORIGIN_TX = 0,	  /* frames encapsulated and sent on a link */
	VPN_ST_PUNT_GROUP,	  /* broadcast/multicast: left to the daemon */
	VPN_ST_PUNT_NO_MAC,	  /* unknown or aged destination MAC: to the daemon */
	VPN_ST_PUNT_NO_PATH,	  /* no path to the node: to the daemon */
	VPN_ST_PUNT_BAD_PATH,	  /* installed path invalid or its first link gone */
	VPN_ST_PUNT_ERR,	  /* a helper failed while encapsulating: to the daemon */
	VPN_ST_TRANSIT_TX,	  /* transit frames forwarded (TC) */
	VPN_ST_XDP_TX,		  /* transit frames forwarded (XDP) */
	VPN_ST_XDP_PASS,	  /* XDP left the frame to the stack / TC */
	VPN_ST_DELIVERED,	  /* last hop: inner frame into ipop0 */
	VPN_ST_LEARNED,		  /* MAC table entries written at delivery */
	VPN_ST_NON_SR,		  /* not an overlay frame: passed */
	VPN_ST_DROP_NOT_LINK,	  /* arrived on an interface / tunnel that is not a link */
	VPN_ST_DROP_WRONG_NBR,	  /* from a link whose neighbour is not the previous hop */
	VPN_ST_DROP_TRUNCATED,	  /* header cut short */
	VPN_ST_DROP_VERSION,	  /* unknown version or flags */
	VPN_ST_DROP_HOP_COUNT,	  /* hop_count 0 or > SR_HOPS_MAX */
	VPN_ST_DROP_HOP_INDEX,	  /* hop_index past the end */
	VPN_ST_DROP_NOT_ME,	  /* the entry at hop_index is not this node */
	VPN_ST_DROP_TTL,	  /* TTL 0 (or 1 when it would be forwarded) */
	VPN_ST_DROP_NO_NEXT_HOP,  /* label names no link of this node */
	VPN_ST_DROP_NEXT_NOT_NBR, /* the link's neighbour is not the next entry */
	VPN_ST_DROP_LOOP,	  /* the path revisits a node */
	VPN_ST_DROP_BAD_DST,	  /* last entry reached but the destination is not this node */
	VPN_ST_DROP_INNER_DST,	  /* inner destination MAC neither ipop0's nor a group */
	VPN_ST_DROP_TOO_BIG,	  /* frame longer than local delivery can move */
	VPN_ST_DROP_ERR,	  /* a helper failed (redirect, tunnel key, resize) */
	VPN_ST_NO_CFG,	/* the node is not configured yet (origin: passed, links: dropped) */
	VPN_ST_UL_PASS, /* TC on the underlay left an overlay frame to the stack (last hop...) */
	/* details of outcomes counted above (how, not what): */
	VPN_ST_ORIGIN_UL,	   /* origin_tx sent straight on the underlay (direct encap) */
	VPN_ST_ORIGIN_UL_NEIGH,	   /* of those, next hop left to the kernel (bpf_redirect_neigh) */
	VPN_ST_ORIGIN_UL_FALLBACK, /* direct encap refused by the kernel: via the VXLAN device */
	VPN_ST_TRANSIT_UL,	   /* transit_tx done on the underlay (vpn_transit_tc) */
	VPN_ST_MAX,
};
#define VPN_ST_DETAIL_FIRST VPN_ST_ORIGIN_UL

#endif /* IPOP_SR_H */
