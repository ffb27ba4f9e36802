/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel/user ABI of the flow accounting datapath: map keys, map values,
 * statistics indices, constants. Nothing else lives here.
 */
#ifndef IPOP_FLOW_H
#define IPOP_FLOW_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IPOP_FLOW_ENTRIES_DEFAULT 65536
#define IPOP_IFACE_MAX		  256

enum flow_dir {
	FLOW_DIR_INGRESS = 0,
	FLOW_DIR_EGRESS = 1,
};

/* l3 field of a flow key */
enum flow_l3 {
	FLOW_L3_OTHER = 0, /* not IP: the flow is the EtherType */
	FLOW_L3_IPV4 = 4,
	FLOW_L3_IPV6 = 6,
};

/* flags field of a flow key */
enum flow_key_flags {
	FLOW_KEY_FRAG_LATER = 1 << 0, /* non-first fragment: no L4 header, ports are 0 */
	FLOW_KEY_OVERLAY = 1 << 1,    /* source-routed overlay frame (sr.h): keyed by the inner
				       * frame; the value carries the overlay node IDs */
};

/*
 * One flow. Addresses are in network byte order (IPv4 in the first four
 * bytes, the rest zero); ports, EtherType and VLAN are in host order so that
 * `bpftool map dump` prints readable numbers. For ICMP and ICMPv6, sport is
 * the type and dport the code. For a non-IP frame only ifindex, dir, vlan
 * and ethertype are set (an 802.3 length field is recorded as EtherType 0).
 */
struct flow_key {
	__u32 ifindex;
	__u8 dir;   /* enum flow_dir */
	__u8 l3;    /* enum flow_l3 */
	__u8 proto; /* IANA protocol number; 0 when not IP */
	__u8 flags; /* enum flow_key_flags */
	__u16 ethertype;
	__u16 vlan; /* outermost VLAN ID, 0 when untagged */
	__u16 sport;
	__u16 dport;
	__u8 src[16];
	__u8 dst[16];
};

/*
 * Counts are wire-true: a GSO/GRO skb (one "packet" at the hook, up to 64K
 * or more) counts as the gso_segs packets it stands for on the wire, and its
 * bytes include the headers each further segment will carry. The skbs the
 * hook saw are packets - seg_extra (kept as the difference so that a non-GSO
 * packet costs no extra atomic add). Changing this struct changes the pinned
 * flow map's value size: a map pinned by an older layout is refused at load
 * ("unload --all" recreates it).
 */
struct flow_value {
	__u64 packets;	     /* wire packets: GSO segments counted one by one */
	__u64 bytes;	     /* wire bytes, Ethernet header (and tags) of each segment included */
	__u64 first_seen_ns; /* CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns), one tick */
	__u64 last_seen_ns;
	__u32 tcp_flags; /* OR of the TCP flag bytes seen (FIN=0x01 ... CWR=0x80) */
	__u32 table_id;	 /* flow table the flow matched (0 = none); see cls.h */
	__u32 cls_gen;	 /* classifier generation table_id was computed in */
	__u16 l2_len;	 /* bytes before the L3 header, per packet (14, 18, 22; an overlay frame's
		       * outer Ethernet, SR header and inner Ethernet): bytes - packets * l2_len =
		       * IP bytes */
	__u16 pad;
	__u64 seg_extra; /* GSO segments beyond the first of each skb: skbs = packets - seg_extra */
	/* FLOW_KEY_OVERLAY flows: the overlay source and destination node IDs of the
	 * first packet (sr.h); zero otherwise */
	__u8 src_node[16];
	__u8 dst_node[16];
};

/* Per-CPU counters of the datapath, indexed by enum dp_stat. */
enum dp_stat {
	DP_STAT_PACKETS = 0, /* every frame a program saw */
	DP_STAT_PARSE_ERROR, /* malformed or truncated: not counted as a flow */
	DP_STAT_NON_IP,	     /* counted by EtherType */
	DP_STAT_FLOW_NEW,    /* flows inserted */
	DP_STAT_INSERT_FAIL, /* insert into the flow map failed */
	DP_STAT_FRAGMENT,    /* IP fragments (any) */
	DP_STAT_MAX,
};

/* Interface registry, pinned beside the flows: who is loaded where. */
enum iface_hook {
	IFACE_HOOK_XDP_NATIVE = 0,
	IFACE_HOOK_XDP_SKB = 1,
	IFACE_HOOK_TC = 2,
};

/*
 * How the TC programs are attached. tcx (kernel 6.6+): BPF links pinned as
 * tcx_in_IFINDEX / tcx_eg_IFINDEX under the pin path, in front of every
 * other tcx program and so before any cls_bpf filter. clsact: cls_bpf
 * filters at IPOP_TC_HANDLE/IPOP_TC_PRIO (user/flow/loader.h).
 */
enum iface_tc {
	IFACE_TC_CLSACT = 0,
	IFACE_TC_TCX = 1,
};

struct iface_info {
	char ifname[16];
	__u32 ingress_hook; /* enum iface_hook */
	__u32 ingress_prog_id;
	__u32 egress_prog_id;
	__u8 created_clsact; /* 1 if the loader created the clsact qdisc */
	__u8 tc_attach;	     /* enum iface_tc: how the TC programs are attached */
	__u16 pad;
	__u64 loaded_ns; /* CLOCK_REALTIME of the load, ns */
};

#endif /* IPOP_FLOW_H */
