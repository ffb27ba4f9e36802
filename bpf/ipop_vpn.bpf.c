// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The VPN datapath: source-routed overlay frames (layout in sr.h).
 *
 *   vpn_origin      TC egress on ipop0: destination MAC -> node -> path ->
 *                   push the header -> redirect to the first link. Group
 *                   addresses and misses go on to the TAP reader (the
 *                   daemon); nothing is dropped there.
 *   vpn_link_in     TC ingress on every link device (VXLAN or Ethernet):
 *                   transit (advance, redirect to the next link) or local
 *                   delivery (strip, learn the source MAC, redirect into
 *                   ipop0's ingress). Non-overlay frames pass untouched.
 *   vpn_transit_xdp XDP on the underlay interface: transit of VXLAN/IPv4
 *                   frames rewritten in place (outer IP and VXLAN headers,
 *                   hop index, TTL), sent back out with XDP_TX/redirect; what
 *                   it does not handle (last hop, IPv6, errors it cannot
 *                   judge) passes to the stack and so to vpn_link_in.
 *
 * Every frame an overlay program rejects is dropped and counted in
 * vpn_stats by reason.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sr.h"

#define TC_ACT_OK   0
#define TC_ACT_SHOT 2
#define ETH_P_IP_BE bpf_htons(0x0800)
#define VXLAN_PORT  4789
#define AF_INET_NUM 2
#define MOVE_MAX    2048 /* longest inner frame local delivery moves */
#define MOVE_STEPS  (MOVE_MAX / 8)
#define LEARN_EVERY 1000000000ull /* rewrite a learned entry at most once a second */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vpn_cfg);
} vpn_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SR_LABELS_MAX);
	__type(key, __u32);
	__type(value, struct vpn_link);
} vpn_links SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VPN_INLINKS_MAX);
	__type(key, struct vpn_inlink_key);
	__type(value, __u32); /* label */
} vpn_inlinks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VPN_PATHS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vpn_path_key);
	__type(value, struct vpn_path);
} vpn_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VPN_MACS_MAX);
	__type(key, struct vpn_mac_key);
	__type(value, struct vpn_mac_val);
} vpn_macs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VPN_ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} vpn_stats SEC(".maps");

/*
 * XDP transit's two caches (measured in docs/design.md, "VPN transit"):
 * both only say where to look, and what they point at is checked against
 * the authoritative maps on every frame, so a stale entry costs a lookup,
 * never a wrong decision.
 *
 * vpn_xdp_in: (outer source address, VNI) -> label, direct-mapped. A hit
 * is used only if vpn_links[label] is a VXLAN/IPv4 link on this node's
 * VXLAN device with that very address and VNI -- exactly what vpn_inlinks
 * would have answered (the control plane writes and removes the two maps
 * together); a miss or a failed check asks vpn_inlinks (a hash of a 28-byte
 * key: the costliest step of XDP transit before this cache).
 */
#define XDP_IN_SLOTS 256
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDP_IN_SLOTS);
	__type(key, __u32);
	__type(value, __u32); /* label + 1; 0 = empty */
} vpn_xdp_in SEC(".maps");

/*
 * vpn_xdp_fib[label]: the underlay next hop bpf_fib_lookup() found for a
 * link's remote address, per CPU, reused for FIB_TTL_NS (then looked up
 * again), so a route or neighbour change reaches XDP transit within that
 * time. An entry is used only for the remote address it was made for. Links
 * with a static next hop (ul_ifindex) never look.
 */
#define FIB_TTL_NS 1000000000ull
struct xdp_fib_ent {
	__u64 expires_ns;
	__u32 remote;
	__u32 ifindex;
	__u8 dmac[6];
	__u8 smac[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SR_LABELS_MAX);
	__type(key, __u32);
	__type(value, struct xdp_fib_ent);
} vpn_xdp_fib SEC(".maps");

static __always_inline void st(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&vpn_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline __u32 hop_tag(const struct sr_hop *h)
{
	return ((__u32)h->tag[0] << 16) | ((__u32)h->tag[1] << 8) | h->tag[2];
}

/* Byte-wise: the operands sit at odd offsets of packed stack buffers and packets. */
static __always_inline int bytes_eq(const __u8 *a, const __u8 *b, int n)
{
	__u8 d = 0;

	for (int i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/*
 * Node IDs as two 8-byte words: every ID compared sits 8-aligned (map
 * values, vpn_link_in's aligned header copy, the packet for XDP, where x86
 * allows any alignment): a quarter of the instructions of bytes_eq().
 */
static __always_inline int id_eq(const __u8 *a, const __u8 *b)
{
	const __u64 *x = (const void *)a, *y = (const void *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}
#define mac_eq(a, b) bytes_eq(a, b, 6)

static __always_inline struct vpn_link *link_get(__u32 label)
{
	struct vpn_link *l;

	if (label == SR_LABEL_NONE || label >= SR_LABELS_MAX)
		return 0;
	l = bpf_map_lookup_elem(&vpn_links, &label);
	if (!l || l->kind == VPN_LINK_NONE)
		return 0;
	return l;
}

static __always_inline int link_is_vx4(const struct vpn_link *l)
{
	return l->kind == VPN_LINK_VXLAN && l->af == 4;
}

static __always_inline int set_tunnel(struct __sk_buff *skb, const struct vpn_link *l)
{
	struct bpf_tunnel_key k = {};

	k.tunnel_id = l->vni;
	k.tunnel_ttl = 64;
	if (l->af == 6) {
		__builtin_memcpy(k.remote_ipv6, l->remote, 16);
		return bpf_skb_set_tunnel_key(skb, &k, sizeof(k), BPF_F_TUNINFO_IPV6);
	}
	k.remote_ipv4 = bpf_ntohl(*(__u32 *)l->remote);
	return bpf_skb_set_tunnel_key(skb, &k, sizeof(k), BPF_F_ZERO_CSUM_TX);
}

static __always_inline int is_ip_type(const __u8 *t)
{
	return (t[0] == 0x08 && t[1] == 0x00) || (t[0] == 0x86 && t[1] == 0xdd);
}

/*
 * The outer EtherType for the link to entry `to` of an n-entry path: the
 * last link carries an IP inner frame's own EtherType (sr.h, "last link").
 */
static __always_inline void outer_type(__u8 *eth, const __u8 *inner_type, __u32 to, __u32 n)
{
	if (to + 1 == n && is_ip_type(inner_type)) {
		eth[12] = inner_type[0];
		eth[13] = inner_type[1];
	} else {
		eth[12] = SR_ETH_P >> 8;
		eth[13] = SR_ETH_P & 0xff;
	}
}

/* Outer header, SR header and path, as they go on the wire. */
struct sr_frame_hdr {
	__u8 eth[SR_ETH_HLEN];
	struct sr_hdr h;
	struct sr_hop hops[SR_HOPS_MAX];
} __attribute__((packed));

/*
 * Direct encapsulation (the origin, VXLAN/IPv4 links, cfg->ul_ifindex set):
 * what the VXLAN device would put in front of the overlay frame, written by
 * the program, so that the frame goes straight to the underlay device. The
 * layout on the wire is the VXLAN device's, byte for byte, so neighbours
 * (TC or XDP transit, the last hop) cannot tell the difference.
 */
struct ul_frame_hdr {
	__u8 eth[SR_ETH_HLEN]; /* underlay Ethernet */
	struct iphdr ip;
	struct udphdr udp;
	__u8 vx[8];
	struct sr_frame_hdr sr; /* the overlay frame's Ethernet, SR header, path */
} __attribute__((packed));

#define UL_HLEN (SR_ETH_HLEN + 20 + 8 + 8) /* 50 */
/* what adjust_room inserts after the front Ethernet header: IPv4, UDP, VXLAN
 * (36), overlay Ethernet, SR header, then the path, then the inner Ethernet copy */
#define UL_GROW (UL_HLEN - SR_ETH_HLEN + SR_ETH_HLEN + SR_HDR_FIXED + SR_ETH_HLEN) /* 104 + path */

static __always_inline __u16 ip_csum(const void *ip)
{
	const __u16 *w = ip;
	__u32 s = 0;

	for (int i = 0; i < 10; i++)
		if (i != 5)
			s += w[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/*
 * The underlay next hop towards `remote`, the address of link `label`: from
 * the per-CPU cache vpn_xdp_fib (origin and transit share it: the same
 * label, the same remote), else bpf_fib_lookup() from `ifindex`, cached for
 * FIB_TTL_NS. out_if: the answer must leave through it (0: any).
 *
 * Either kind of lookup answers only where `ifindex` forwards IPv4 (the
 * kernel checks that first; else BPF_FIB_LKUP_RET_FWD_DISABLED:
 * tests/net/test_vpn_xdp.sh sets it, the daemon warns without it). An
 * output lookup is bound to `ifindex` as its output interface, so it finds
 * only next hops behind it; `input` adds an input lookup from `ifindex`
 * for a next hop behind another interface (transit along a chain of links).
 * NULL: no answer a program can use (no route, neighbour not resolved): the
 * caller leaves the frame to the kernel.
 */
static __always_inline struct xdp_fib_ent *fib_next_hop(void *ctx, __u32 label, __u32 src,
							__u32 remote, __u32 ifindex, __u32 out_if,
							__u16 tot_len, int input)
{
	struct bpf_fib_lookup fib = {};
	struct xdp_fib_ent *fe;
	__u64 now = bpf_ktime_get_coarse_ns();

	fe = bpf_map_lookup_elem(&vpn_xdp_fib, &label);
	if (!fe)
		return 0;
	if (fe->remote == remote && fe->ifindex && (!out_if || fe->ifindex == out_if) &&
	    now < fe->expires_ns)
		return fe;
	fib.family = AF_INET_NUM;
	fib.ipv4_src = src;
	fib.ipv4_dst = remote;
	fib.tot_len = tot_len;
	fib.ifindex = ifindex;
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT) !=
	    BPF_FIB_LKUP_RET_SUCCESS) {
		if (!input)
			return 0;
		__builtin_memset(&fib, 0, sizeof(fib));
		fib.family = AF_INET_NUM;
		fib.ipv4_src = src;
		fib.ipv4_dst = remote;
		fib.tot_len = tot_len;
		fib.ifindex = ifindex;
		if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
			return 0;
	}
	if (out_if && fib.ifindex != out_if)
		return 0;
	fe->remote = remote;
	fe->ifindex = fib.ifindex;
	__builtin_memcpy(fe->dmac, fib.dmac, 6);
	__builtin_memcpy(fe->smac, fib.smac, 6);
	fe->expires_ns = now + FIB_TTL_NS;
	return fe;
}

/*
 * Push underlay Ethernet, IPv4, UDP, VXLAN, the overlay Ethernet, SR header
 * and path in one bpf_skb_adjust_room() marked as an Ethernet-in-UDP
 * encapsulation whose inner MAC header is a copy of the inner frame's own
 * Ethernet header, placed right before its IP header. A GSO skb then carries
 * SKB_GSO_UDP_TUNNEL with inner_mac_header at that copy: software GSO copies
 * everything before it (VXLAN, overlay Ethernet, SR header) into every
 * segment as tunnel header and segments a plain Ethernet/IP/TCP frame
 * (skb_udp_tunnel_segment). Through the VXLAN device the inner MAC header
 * would be the overlay Ethernet (0x88B5), which GSO cannot segment past.
 * FIXED_GSO: ipop0's MTU already leaves room for all of it.
 * Returns a TC verdict, or -1: the kernel refused (nothing changed), the
 * caller sends the frame through the VXLAN device.
 */
static __always_inline int origin_direct(struct __sk_buff *skb, const struct vpn_cfg *cfg,
					 const struct vpn_link *l, __u32 label,
					 struct ul_frame_hdr *u, __u32 n, const __u8 *ieth)
{
	__u32 grow = UL_GROW + n * SR_HOP_LEN, hash, len, plen;
	struct xdp_fib_ent *fe;
	__u16 port = cfg->vxlan_port ? cfg->vxlan_port : VXLAN_PORT;

	if (n == 0 || n > SR_HOPS_MAX)
		return -1;
	hash = bpf_get_hash_recalc(skb);
	if (bpf_skb_adjust_room(skb, grow, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 |
					BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH |
					((__u64)SR_ETH_HLEN << BPF_ADJ_ROOM_ENCAP_L2_SHIFT)))
		return -1;
	/* from here on the frame is ours: a failure drops it, counted */
	len = skb->len - SR_ETH_HLEN;
	fe = l->ul_ifindex ? 0
			   : fib_next_hop(skb, label, cfg->underlay_ip4, *(__u32 *)l->remote,
					  cfg->ul_ifindex, cfg->ul_ifindex, 0, 0);
	if (l->ul_ifindex) {
		__builtin_memcpy(u->eth, l->ul_dmac, 6);
		__builtin_memcpy(u->eth + 6, l->ul_smac, 6);
	} else if (fe) {
		__builtin_memcpy(u->eth, fe->dmac, 6);
		__builtin_memcpy(u->eth + 6, fe->smac, 6);
	} /* else zeros: bpf_redirect_neigh() writes them */
	u->eth[12] = 0x08;
	u->eth[13] = 0x00;
	u->ip.version = 4;
	u->ip.ihl = 5;
	/* a GSO skb's length: inet_gso_segment() rewrites it per segment */
	u->ip.tot_len = bpf_htons(len > 0xffff ? 0xffff : len);
	u->ip.frag_off = bpf_htons(0x4000); /* DF: ipop0's MTU makes every segment fit */
	u->ip.ttl = 64;
	u->ip.protocol = 17;
	u->ip.saddr = cfg->underlay_ip4;
	u->ip.daddr = *(__u32 *)l->remote;
	u->ip.check = ip_csum(&u->ip);
	/* the source port spreads flows over the underlay's paths, as VXLAN does */
	u->udp.source = bpf_htons(0xc000 | ((hash ^ (hash >> 16)) & 0x3fff));
	u->udp.dest = bpf_htons(port);
	u->udp.len = bpf_htons((len - 20) > 0xffff ? 0xffff : (len - 20));
	u->udp.check = 0;
	u->vx[0] = 0x08;
	u->vx[4] = l->vni >> 16;
	u->vx[5] = l->vni >> 8;
	u->vx[6] = l->vni;
	plen = UL_HLEN + SR_ETH_HLEN + SR_HDR_FIXED + n * SR_HOP_LEN;
	if (plen > sizeof(*u) || bpf_skb_store_bytes(skb, 0, u, plen, 0) ||
	    bpf_skb_store_bytes(skb, plen, ieth, SR_ETH_HLEN, 0)) {
		st(VPN_ST_DROP_ERR);
		return TC_ACT_SHOT;
	}
	st(VPN_ST_ORIGIN_TX);
	st(VPN_ST_ORIGIN_UL);
	if (l->ul_ifindex)
		return bpf_redirect(l->ul_ifindex, 0);
	if (fe)
		return bpf_redirect(fe->ifindex, 0);
	st(VPN_ST_ORIGIN_UL_NEIGH);
	return bpf_redirect_neigh(cfg->ul_ifindex, 0, 0, 0);
}

/*
 * Origin, non-IP frame (ARP, ...): make room for the header by growing the
 * tail and moving the frame back, not with bpf_skb_change_head(). When the
 * head has no room, change_head reallocates it, and the kernel shifts an
 * unset transport header offset (~0) along with the others into a small,
 * bogus one past the inner frame; the last hop's bpf_skb_change_tail() then
 * refuses to trim the frame below it (EINVAL), and ARP between link
 * neighbours was lost. Growing the tail leaves the head, and the offsets,
 * where they are. Returns 0, or -1 with the frame unchanged (too long for
 * the move, or the kernel refused to grow it) or, after a failed move,
 * -2 (the frame is damaged: drop it).
 */
static __always_inline int push_by_move(struct __sk_buff *skb, __u32 hlen)
{
	__u32 len = skb->len, i;
	__u64 w;

	if (len < SR_ETH_HLEN || len > MOVE_MAX || bpf_skb_change_tail(skb, len + hlen, 0))
		return -1;
	/* back to front in 8-byte words: a word lands past every word still to be read */
	for (i = 1; i <= MOVE_STEPS; i++) {
		if (i * 8 > len)
			break;
		if (bpf_skb_load_bytes(skb, len - i * 8, &w, 8) ||
		    bpf_skb_store_bytes(skb, len - i * 8 + hlen, &w, 8, 0))
			return -2;
	}
	/* the first len % 8 bytes: the first word again (hlen > 8, nothing overwrote it) */
	if (bpf_skb_load_bytes(skb, 0, &w, 8) || bpf_skb_store_bytes(skb, hlen, &w, 8, 0))
		return -2;
	return 0;
}

SEC("tc")
int vpn_origin(struct __sk_buff *skb)
{
	struct ul_frame_hdr u = {};
	struct sr_frame_hdr *b = &u.sr;
	struct vpn_mac_key mk = {};
	struct vpn_path_key pk;
	struct vpn_mac_val *mv;
	struct vpn_path *p;
	struct vpn_link *l;
	struct vpn_cfg *cfg;
	__u32 zero = 0, n, hlen;
	__u8 dst[SR_ETH_HLEN];
	int ret, ip;

	if (bpf_skb_load_bytes(skb, 0, dst, SR_ETH_HLEN)) {
		st(VPN_ST_PUNT_ERR);
		return TC_ACT_OK;
	}
	if (dst[0] & 1) {
		st(VPN_ST_PUNT_GROUP);
		return TC_ACT_OK;
	}
	cfg = bpf_map_lookup_elem(&vpn_cfg, &zero);
	if (!cfg || !cfg->tag) {
		st(VPN_ST_NO_CFG);
		return TC_ACT_OK;
	}
	__builtin_memcpy(mk.mac, dst, 6);
	mv = bpf_map_lookup_elem(&vpn_macs, &mk);
	if (!mv || (!(mv->flags & VPN_MAC_STATIC) && cfg->mac_age_ns &&
		    bpf_ktime_get_coarse_ns() - mv->seen_ns > cfg->mac_age_ns)) {
		st(VPN_ST_PUNT_NO_MAC);
		return TC_ACT_OK;
	}
	__builtin_memcpy(pk.id, mv->node, SR_ID_LEN);
	p = bpf_map_lookup_elem(&vpn_paths, &pk);
	if (!p) {
		st(VPN_ST_PUNT_NO_PATH);
		return TC_ACT_OK;
	}
	n = p->hop_count;
	l = link_get(p->first_label);
	if (n == 0 || n > SR_HOPS_MAX || !l || l->nbr_tag != hop_tag(&p->hops[0])) {
		st(VPN_ST_PUNT_BAD_PATH);
		return TC_ACT_OK;
	}
	__builtin_memcpy(b->eth, l->dmac, 6);
	__builtin_memcpy(b->eth + 6, l->smac, 6);
	outer_type(b->eth, dst + 12, 0, n);
	b->h.version = SR_VERSION;
	b->h.hop_count = n;
	b->h.ttl = cfg->ttl ? cfg->ttl : SR_TTL_DEFAULT;
	__builtin_memcpy(b->h.src, cfg->id, SR_ID_LEN);
	__builtin_memcpy(b->h.dst, pk.id, SR_ID_LEN);
	__builtin_memcpy(b->hops, p->hops, sizeof(b->hops));
	/* only bpf_skb_adjust_room() sets up a tunnel GSO can segment, and it takes IP skbs */
	ip = skb->protocol == ETH_P_IP_BE || skb->protocol == bpf_htons(0x86dd);
	if (cfg->ul_ifindex && cfg->underlay_ip4 && link_is_vx4(l) && ip) {
		ret = origin_direct(skb, cfg, l, p->first_label, &u, n, dst);
		if (ret >= 0)
			return ret;
		st(VPN_ST_ORIGIN_UL_FALLBACK);
	}
	hlen = SR_ETH_HLEN + SR_HDR_FIXED + n * SR_HOP_LEN;
	ret = ip ? -1 : push_by_move(skb, hlen);
	if (ret == -2) {
		st(VPN_ST_DROP_ERR);
		return TC_ACT_SHOT;
	}
	if (ret < 0 && bpf_skb_change_head(skb, hlen, 0)) {
		st(VPN_ST_PUNT_ERR);
		return TC_ACT_OK;
	}
	/* from here on the frame is ours: a failure drops it, counted */
	if (hlen > sizeof(*b) || bpf_skb_store_bytes(skb, 0, b, hlen, 0) ||
	    (l->kind == VPN_LINK_VXLAN && set_tunnel(skb, l))) {
		st(VPN_ST_DROP_ERR);
		return TC_ACT_SHOT;
	}
	st(VPN_ST_ORIGIN_TX);
	return bpf_redirect(l->ifindex, 0);
}

/* The link a frame arrived on, or NULL (not a link of ours). */
static __always_inline struct vpn_link *ingress_link(struct __sk_buff *skb, const __u8 *outer_src,
						     __u32 *why)
{
	struct vpn_inlink_key k = {};
	struct bpf_tunnel_key tk = {};
	struct vpn_link *l;
	__u32 *label;

	k.ifindex = skb->ifindex;
	if (!bpf_skb_get_tunnel_key(skb, &tk, sizeof(tk), 0)) {
		k.af = 4;
		k.vni = tk.tunnel_id;
		*(__u32 *)k.remote = bpf_htonl(tk.remote_ipv4);
	} else if (!bpf_skb_get_tunnel_key(skb, &tk, sizeof(tk), BPF_F_TUNINFO_IPV6)) {
		k.af = 6;
		k.vni = tk.tunnel_id;
		__builtin_memcpy(k.remote, tk.remote_ipv6, 16);
	}
	*why = VPN_ST_DROP_NOT_LINK;
	label = bpf_map_lookup_elem(&vpn_inlinks, &k);
	if (!label)
		return 0;
	l = link_get(*label);
	if (!l || l->ifindex != k.ifindex)
		return 0;
	if (k.af == 0) {
		/* an Ethernet link: the neighbour's MAC is its identity */
		if (l->kind != VPN_LINK_ETH || !mac_eq(outer_src, l->dmac)) {
			*why = VPN_ST_DROP_WRONG_NBR;
			return 0;
		}
	} else if (l->kind != VPN_LINK_VXLAN) {
		return 0;
	}
	return l;
}

/*
 * The checks every node makes on an arriving header; the hop entries are in
 * hops[0..n). Returns 0 and sets *next (NULL at the last hop), or a
 * VPN_ST_DROP_* reason.
 */
static __always_inline __u32 check_hops(const struct sr_hdr *h, const struct sr_hop *hops,
					const struct vpn_link *in, const struct vpn_cfg *cfg,
					struct vpn_link **next)
{
	__u32 n = h->hop_count, i = h->hop_index, j, ntag;
	struct vpn_link *nl;

	if (h->version != SR_VERSION || h->flags)
		return VPN_ST_DROP_VERSION;
	if (n == 0 || n > SR_HOPS_MAX)
		return VPN_ST_DROP_HOP_COUNT;
	if (i >= n)
		return VPN_ST_DROP_HOP_INDEX;
	if (h->ttl == 0)
		return VPN_ST_DROP_TTL;
	i &= SR_HOPS_MAX - 1;
	if (hop_tag(&hops[i]) != cfg->tag)
		return VPN_ST_DROP_NOT_ME;
	if (i == 0 ? !id_eq(h->src, in->nbr_id)
		   : hop_tag(&hops[(i - 1) & (SR_HOPS_MAX - 1)]) != in->nbr_tag)
		return VPN_ST_DROP_WRONG_NBR;
	if (i == n - 1) {
		if (hops[i].label != SR_LABEL_NONE || !id_eq(h->dst, cfg->id))
			return VPN_ST_DROP_BAD_DST;
		*next = 0;
		return 0;
	}
	if (h->ttl <= 1)
		return VPN_ST_DROP_TTL;
	nl = link_get(hops[i].label);
	if (!nl)
		return VPN_ST_DROP_NO_NEXT_HOP;
	ntag = hop_tag(&hops[(i + 1) & (SR_HOPS_MAX - 1)]);
	if (nl->nbr_tag != ntag)
		return VPN_ST_DROP_NEXT_NOT_NBR;
	if (id_eq(nl->nbr_id, h->src))
		return VPN_ST_DROP_LOOP;
	for (j = 0; j < SR_HOPS_MAX; j++) {
		if (j > i)
			break;
		if (hop_tag(&hops[j]) == ntag)
			return VPN_ST_DROP_LOOP;
	}
	*next = nl;
	return 0;
}

static __always_inline void learn(const __u8 *mac, const __u8 *node)
{
	struct vpn_mac_key k = {};
	struct vpn_mac_val *v, nv = {};
	__u64 now = bpf_ktime_get_coarse_ns();

	if (mac[0] & 1)
		return;
	__builtin_memcpy(k.mac, mac, 6);
	v = bpf_map_lookup_elem(&vpn_macs, &k);
	if (v && ((v->flags & VPN_MAC_STATIC) ||
		  (id_eq(v->node, node) && now - v->seen_ns < LEARN_EVERY)))
		return;
	__builtin_memcpy(nv.node, node, SR_ID_LEN);
	nv.seen_ns = now;
	if (!bpf_map_update_elem(&vpn_macs, &k, &nv, BPF_ANY))
		st(VPN_ST_LEARNED);
}

/*
 * Last hop, non-IP inner frame (EtherType 0x88B5 on the wire, skb->protocol
 * not IP, so bpf_skb_adjust_room() refuses): move the inner frame to the
 * front and trim the tail. Such frames (ARP, ...) carry no checksum offload
 * state that the move could invalidate.
 */
static __always_inline int strip_by_move(struct __sk_buff *skb, __u32 off)
{
	__u32 len = skb->len, i;
	void *data, *end;

	if (len - off > MOVE_MAX) {
		st(VPN_ST_DROP_TOO_BIG);
		return -1;
	}
	if (bpf_skb_pull_data(skb, len)) {
		st(VPN_ST_DROP_ERR);
		return -1;
	}
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (off > SR_ETH_HLEN + SR_HDR_MAX)
		return -1;
	for (i = 0; i < MOVE_STEPS; i++) {
		__u8 *d = data + i * 8, *s = data + off + i * 8;

		if (s + 8 > (__u8 *)end || d + 8 > (__u8 *)end)
			break;
		__builtin_memcpy(d, s, 8);
	}
	/* the last 8 bytes again (the inner frame has >= 14): a partial last chunk */
	if (len - off >= 8) {
		__u64 w;

		if (bpf_skb_load_bytes(skb, len - 8, &w, 8) ||
		    bpf_skb_store_bytes(skb, len - off - 8, &w, 8, 0)) {
			st(VPN_ST_DROP_ERR);
			return -1;
		}
	}
	if (bpf_skb_change_tail(skb, len - off, 0)) {
		st(VPN_ST_DROP_ERR);
		return -1;
	}
	return 0;
}

/*
 * Last hop: check the inner destination, learn the source MAC, remove the
 * outer header, SR header and path (off bytes), hand the inner frame to
 * ipop0's ingress. An IP inner frame arrives in the last-link form (outer
 * EtherType = the inner one): bpf_skb_adjust_room() removes the header and
 * keeps the skb's checksum offsets right (a TCP segment from a local
 * socket is CHECKSUM_PARTIAL all the way here).
 */
static __always_inline int deliver(struct __sk_buff *skb, const struct sr_hdr *h, __u32 off,
				   const struct vpn_cfg *cfg, int last_form)
{
	__u8 ieth[SR_ETH_HLEN];

	if (bpf_skb_load_bytes(skb, off, ieth, sizeof(ieth))) {
		st(VPN_ST_DROP_TRUNCATED);
		return TC_ACT_SHOT;
	}
	if (!(ieth[0] & 1) && !mac_eq(ieth, cfg->tap_mac)) {
		st(VPN_ST_DROP_INNER_DST);
		return TC_ACT_SHOT;
	}
	if (last_form != is_ip_type(ieth + 12)) {
		/* an IP frame in the transit form, or the outer type lies */
		st(VPN_ST_DROP_VERSION);
		return TC_ACT_SHOT;
	}
	learn(ieth + 6, h->src);
	if (last_form) {
		if (skb->len < off + SR_ETH_HLEN + 20 ||
		    bpf_skb_adjust_room(skb, -(__s32)off, BPF_ADJ_ROOM_MAC, 0) ||
		    bpf_skb_store_bytes(skb, 0, ieth, 12, 0)) {
			st(VPN_ST_DROP_ERR);
			return TC_ACT_SHOT;
		}
	} else if (strip_by_move(skb, off)) {
		return TC_ACT_SHOT;
	}
	st(VPN_ST_DELIVERED);
	return bpf_redirect(cfg->tap_ifindex, BPF_F_INGRESS);
}

/* vpn_link_in's copy of the headers: the SR header first, 8-aligned (id_eq) */
struct link_in_buf {
	struct sr_hdr h;
	struct sr_hop hops[SR_HOPS_MAX];
	__u8 eth[SR_ETH_HLEN];
} __attribute__((aligned(8)));

static __always_inline int link_in(struct __sk_buff *skb)
{
	struct link_in_buf b;
	struct vpn_link *in, *next = 0;
	struct vpn_cfg *cfg;
	__u32 zero = 0, why, n, off;
	int last_form = 0;
	__u8 upd[2], itype[2] = {};

	if (bpf_skb_load_bytes(skb, 0, b.eth, SR_ETH_HLEN)) {
		st(VPN_ST_NON_SR);
		return TC_ACT_OK;
	}
	if (b.eth[12] != (SR_ETH_P >> 8) || b.eth[13] != (SR_ETH_P & 0xff)) {
		/* the last-link form: an IP EtherType, then SR_VERSION where IP has 0x4_/0x6_ */
		if (!is_ip_type(b.eth + 12) || bpf_skb_load_bytes(skb, SR_ETH_HLEN, &b.h, 1) ||
		    b.h.version != SR_VERSION) {
			st(VPN_ST_NON_SR);
			return TC_ACT_OK;
		}
		last_form = 1;
	}
	in = ingress_link(skb, b.eth + 6, &why);
	if (!in) {
		st(why);
		return TC_ACT_SHOT;
	}
	cfg = bpf_map_lookup_elem(&vpn_cfg, &zero);
	if (!cfg || !cfg->tag) {
		st(VPN_ST_NO_CFG);
		return TC_ACT_SHOT;
	}
	if (bpf_skb_load_bytes(skb, SR_ETH_HLEN, &b.h, SR_HDR_FIXED)) {
		st(VPN_ST_DROP_TRUNCATED);
		return TC_ACT_SHOT;
	}
	n = b.h.hop_count;
	if (n == 0 || n > SR_HOPS_MAX) {
		st(VPN_ST_DROP_HOP_COUNT);
		return TC_ACT_SHOT;
	}
	if (bpf_skb_load_bytes(skb, SR_ETH_HLEN + SR_HDR_FIXED, b.hops, n * SR_HOP_LEN)) {
		st(VPN_ST_DROP_TRUNCATED);
		return TC_ACT_SHOT;
	}
	why = check_hops(&b.h, b.hops, in, cfg, &next);
	if (why) {
		st(why);
		return TC_ACT_SHOT;
	}
	off = SR_ETH_HLEN + SR_HDR_FIXED + n * SR_HOP_LEN;
	if (!next)
		return deliver(skb, &b.h, off, cfg, last_form);
	if (last_form) {
		st(VPN_ST_DROP_VERSION); /* the last-link form before the last hop */
		return TC_ACT_SHOT;
	}
	/* the inner EtherType decides the form of the next link if it is the last */
	if (b.h.hop_index + 2 == n && bpf_skb_load_bytes(skb, off + 12, itype, 2)) {
		st(VPN_ST_DROP_TRUNCATED);
		return TC_ACT_SHOT;
	}
	upd[0] = b.h.hop_index + 1;
	upd[1] = b.h.ttl - 1;
	__builtin_memcpy(b.eth, next->dmac, 6);
	__builtin_memcpy(b.eth + 6, next->smac, 6);
	outer_type(b.eth, itype, upd[0], n);
	if (bpf_skb_store_bytes(skb, SR_ETH_HLEN + 2, upd, 2, 0) ||
	    bpf_skb_store_bytes(skb, 0, b.eth, SR_ETH_HLEN, 0) ||
	    (next->kind == VPN_LINK_VXLAN && set_tunnel(skb, next))) {
		st(VPN_ST_DROP_ERR);
		return TC_ACT_SHOT;
	}
	st(VPN_ST_TRANSIT_TX);
	return bpf_redirect(next->ifindex, 0);
}

SEC("tc")
int vpn_link_in(struct __sk_buff *skb)
{
	return link_in(skb);
}

/* ---- XDP transit on the underlay (VXLAN over IPv4) ---- */

struct vx_frame {
	__u8 eth[SR_ETH_HLEN];
	struct iphdr ip;
	struct udphdr udp;
	__u8 vx[8];
	__u8 ieth[SR_ETH_HLEN];
	struct sr_hdr h;
} __attribute__((packed));

/* The VXLAN/IPv4 link a frame from saddr with this VNI came in on, or NULL. */
static __always_inline struct vpn_link *xdp_in_link(const struct vpn_cfg *cfg, __u32 saddr,
						    __u32 vni)
{
	struct vpn_inlink_key k = {};
	__u32 slot = ((saddr ^ vni) * 2654435761u) >> 24, *c, *label;
	struct vpn_link *l;

	c = bpf_map_lookup_elem(&vpn_xdp_in, &slot);
	if (c && *c) {
		l = link_get(*c - 1);
		if (l && l->kind == VPN_LINK_VXLAN && l->af == 4 && l->vni == vni &&
		    *(__u32 *)l->remote == saddr && l->ifindex == cfg->vxlan_ifindex)
			return l;
	}
	k.ifindex = cfg->vxlan_ifindex;
	k.af = 4;
	k.vni = vni;
	*(__u32 *)k.remote = saddr;
	label = bpf_map_lookup_elem(&vpn_inlinks, &k);
	if (!label)
		return 0;
	l = link_get(*label);
	if (!l || l->kind != VPN_LINK_VXLAN)
		return 0;
	if (c)
		*c = *label + 1;
	return l;
}

enum { UL_PASS = 0, UL_DROP, UL_FWD };

/*
 * Transit of a VXLAN/IPv4 overlay frame in place, on the underlay: what
 * vpn_transit_xdp and vpn_transit_tc share. data..end holds at least the
 * headers (the caller makes them linear). Counts the outcome; UL_FWD with
 * *out_if the underlay egress. pass_stat: what a frame left to the stack
 * (and so to the VXLAN device and vpn_link_in) is counted as.
 */
static __always_inline int ul_transit(void *ctx, void *data, void *end, __u32 in_ifindex, int frags,
				      __u32 pass_stat, __u32 tx_stat, __u32 *out_if)
{
	struct vx_frame *f = data;
	struct vpn_link *in, *next = 0;
	struct sr_hop *hops, hc[SR_HOPS_MAX];
	struct xdp_fib_ent *fe;
	struct vpn_cfg *cfg;
	__u32 zero = 0, n, why, vni;
	__u8 itype[2] = {};

	if ((void *)(f + 1) > end || f->eth[12] != 0x08 || f->eth[13] != 0x00 || f->ip.ihl != 5 ||
	    f->ip.protocol != 17 || f->udp.dest != bpf_htons(VXLAN_PORT) ||
	    (f->ip.frag_off & bpf_htons(0x3fff)) || f->vx[0] != 0x08 ||
	    (!(f->ieth[12] == (SR_ETH_P >> 8) && f->ieth[13] == (SR_ETH_P & 0xff)) &&
	     !(is_ip_type(f->ieth + 12) && f->h.version == SR_VERSION))) {
		st(VPN_ST_NON_SR); /* not (or not wholly) an overlay frame: the stack's */
		return UL_PASS;
	}
	if (f->ieth[12] != (SR_ETH_P >> 8)) {
		st(pass_stat); /* the last-link form: for this node, delivered by TC */
		return UL_PASS;
	}
	cfg = bpf_map_lookup_elem(&vpn_cfg, &zero);
	if (!cfg || !cfg->tag || !cfg->vxlan_ifindex) {
		st(VPN_ST_NO_CFG);
		return UL_PASS;
	}
	if (frags) {
		st(pass_stat); /* multi-buffer: see vpn_transit_xdp */
		return UL_PASS;
	}
	vni = ((__u32)f->vx[4] << 16) | ((__u32)f->vx[5] << 8) | f->vx[6];
	in = xdp_in_link(cfg, f->ip.saddr, vni);
	if (!in) {
		/* the VXLAN device would accept it from anyone: this is where it is not */
		st(VPN_ST_DROP_NOT_LINK);
		return UL_DROP;
	}
	n = f->h.hop_count;
	if (n == 0 || n > SR_HOPS_MAX) {
		st(VPN_ST_DROP_HOP_COUNT);
		return UL_DROP;
	}
	hops = (struct sr_hop *)(f + 1);
	if ((void *)hops + n * SR_HOP_LEN > end) {
		st(VPN_ST_DROP_TRUNCATED);
		return UL_DROP;
	}
	if ((void *)(hops + SR_HOPS_MAX) > end) {
		/* a short frame: the checks need 64 bytes after the header; TC copes */
		st(pass_stat);
		return UL_PASS;
	}
	/* variable indexes: on a stack copy (packet pointers lose their range) */
	__builtin_memcpy(hc, hops, sizeof(hc));
	why = check_hops(&f->h, hc, in, cfg, &next);
	if (why) {
		st(why);
		return UL_DROP;
	}
	if (!next || next->kind != VPN_LINK_VXLAN || next->af != 4) {
		st(pass_stat); /* last hop, or a link this does not rewrite */
		return UL_PASS;
	}
	if (f->h.hop_index + 2 == n) {
		__u8 *t = (__u8 *)hops + (n & (SR_HOPS_MAX * 2 - 1)) * SR_HOP_LEN + 12;

		if ((void *)(t + 2) > end) {
			st(VPN_ST_DROP_TRUNCATED);
			return UL_DROP;
		}
		itype[0] = t[0];
		itype[1] = t[1];
	}
	if (next->ul_ifindex) {
		/* a static underlay next hop */
		__builtin_memcpy(f->eth, next->ul_dmac, 6);
		__builtin_memcpy(f->eth + 6, next->ul_smac, 6);
		fe = 0;
	} else {
		fe = fib_next_hop(ctx, hc[f->h.hop_index & (SR_HOPS_MAX - 1)].label,
				  cfg->underlay_ip4 ? cfg->underlay_ip4 : f->ip.daddr,
				  *(__u32 *)next->remote, in_ifindex, 0, bpf_ntohs(f->ip.tot_len),
				  1);
		if (!fe) {
			st(pass_stat);
			return UL_PASS;
		}
		__builtin_memcpy(f->eth, fe->dmac, 6);
		__builtin_memcpy(f->eth + 6, fe->smac, 6);
	}
	f->ip.saddr = cfg->underlay_ip4 ? cfg->underlay_ip4 : f->ip.daddr;
	f->ip.daddr = *(__u32 *)next->remote;
	f->ip.ttl = 64;
	f->ip.check = ip_csum(f->eth + SR_ETH_HLEN);
	f->udp.check = 0;
	f->vx[4] = next->vni >> 16;
	f->vx[5] = next->vni >> 8;
	f->vx[6] = next->vni;
	__builtin_memcpy(f->ieth, next->dmac, 6);
	__builtin_memcpy(f->ieth + 6, next->smac, 6);
	outer_type(f->ieth, itype, f->h.hop_index + 1, n);
	f->h.hop_index++;
	f->h.ttl--;
	st(tx_stat);
	*out_if = fe ? fe->ifindex : next->ul_ifindex;
	return UL_FWD;
}

/*
 * xdp.frags: a veth with native XDP drops frames larger than a page unless
 * the program accepts multi-buffer frames. Those (GSO super-frames of a
 * local sender) go on to the stack and TC: rewritten and sent as one XDP
 * frame they would exceed the link MTU.
 */
SEC("xdp.frags")
int vpn_transit_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 out = 0;
	int r;

	r = ul_transit(ctx, data, end, ctx->ingress_ifindex,
		       bpf_xdp_get_buff_len(ctx) > (__u64)(end - data), VPN_ST_XDP_PASS,
		       VPN_ST_XDP_TX, &out);
	if (r == UL_DROP)
		return XDP_DROP;
	if (r == UL_PASS)
		return XDP_PASS;
	if (out == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect(out, 0);
}

/*
 * TC transit on the underlay (TC ingress of the underlay device): the same
 * rewrite in place on an skb, then out of the underlay device again,
 * without the VXLAN device's decapsulation and encapsulation. A GSO
 * super-frame (a veth carries them whole) stays one: its tunnel offsets
 * (outer UDP, inner MAC at the inner frame's Ethernet header, set by the
 * origin's direct encapsulation) stay right, since nothing moves. What it
 * does not forward goes on as vpn_link_in would take it (the guard: an
 * overlay frame straight on the underlay is no link's) or to the stack
 * (VXLAN, the last hop, links it does not rewrite).
 */
#define CSUM_OFF (SR_ETH_HLEN + 20) /* the UDP header */
#define CSUM_LEN 36		    /* to the SR header's TTL, rounded to 4 */

SEC("tc")
int vpn_transit_tc(struct __sk_buff *skb)
{
	__u32 need = sizeof(struct vx_frame) + SR_HOPS_MAX * SR_HOP_LEN, out = 0;
	__u32 before[CSUM_LEN / 4], after[CSUM_LEN / 4];
	void *data, *end;
	int r, complete;

	if (skb->protocol != ETH_P_IP_BE)
		return link_in(skb);
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	/* the headers are linear already on most skbs: no helper call then */
	if (data + need > end) {
		if (skb->len < need || bpf_skb_pull_data(skb, need)) {
			__u8 v = 0;

			/* too short for a transit frame here: the stack's, unless an
			 * overlay frame in the last-link form straight on the underlay */
			if (!bpf_skb_load_bytes(skb, SR_ETH_HLEN, &v, 1) && v == SR_VERSION)
				return link_in(skb);
			st(VPN_ST_NON_SR);
			return TC_ACT_OK;
		}
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		if (data + need > end) {
			st(VPN_ST_NON_SR);
			return TC_ACT_OK;
		}
	}
	/* an overlay frame in the last-link form straight on the underlay: the guard's */
	if (*(__u8 *)(data + SR_ETH_HLEN) == SR_VERSION)
		return link_in(skb);
	/*
	 * A CHECKSUM_COMPLETE skb (from a NIC) keeps a sum over everything after
	 * the outer Ethernet header, which a veth would carry on to the next
	 * node's decapsulation: add what changed. The IPv4 header, checksum
	 * included, sums to the same before and after; the rest is UDP's
	 * checksum, VXLAN, overlay Ethernet and the SR index/TTL (36 bytes).
	 * bpf_csum_update() refuses other skbs, so adding 0 asks which it is,
	 * and the copies and the difference are made only where they count.
	 */
	complete = bpf_csum_update(skb, 0) >= 0;
	if (complete)
		__builtin_memcpy(before, data + CSUM_OFF, CSUM_LEN);
	r = ul_transit(skb, data, end, skb->ingress_ifindex, 0, VPN_ST_UL_PASS, VPN_ST_TRANSIT_TX,
		       &out);
	if (r == UL_DROP)
		return TC_ACT_SHOT;
	if (r == UL_PASS)
		return TC_ACT_OK;
	if (complete) {
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		if (data + CSUM_OFF + CSUM_LEN <= end) {
			__builtin_memcpy(after, data + CSUM_OFF, CSUM_LEN);
			bpf_csum_update(skb, bpf_csum_diff(before, CSUM_LEN, after, CSUM_LEN, 0));
		}
	}
	st(VPN_ST_TRANSIT_UL);
	return bpf_redirect(out, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
