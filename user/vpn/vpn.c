// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The VPN datapath's BPF side: load ipop_vpn.bpf.c, attach its programs,
 * program its maps from plain structs. See vpn.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "flow/tcfilt.h"
#include "vpn/sr_wire.h"
#include "vpn/vpn_int.h"
#include "ipop_vpn.skel.h"

#define VPN_TC_HANDLE 0xb5
/* after flow accounting (IPOP_TC_PRIO 0xc0de, which returns TC_ACT_UNSPEC) */
#define VPN_TC_PRIO 0xc0e0

static const char *const stat_names[VPN_ST_MAX] = {
	[VPN_ST_ORIGIN_TX] = "origin_tx",
	[VPN_ST_PUNT_GROUP] = "punt_group",
	[VPN_ST_PUNT_NO_MAC] = "punt_no_mac",
	[VPN_ST_PUNT_NO_PATH] = "punt_no_path",
	[VPN_ST_PUNT_BAD_PATH] = "punt_bad_path",
	[VPN_ST_PUNT_ERR] = "punt_err",
	[VPN_ST_TRANSIT_TX] = "transit_tx",
	[VPN_ST_XDP_TX] = "xdp_tx",
	[VPN_ST_XDP_PASS] = "xdp_pass",
	[VPN_ST_DELIVERED] = "delivered",
	[VPN_ST_LEARNED] = "learned",
	[VPN_ST_NON_SR] = "non_sr",
	[VPN_ST_DROP_NOT_LINK] = "drop_not_link",
	[VPN_ST_DROP_WRONG_NBR] = "drop_wrong_nbr",
	[VPN_ST_DROP_TRUNCATED] = "drop_truncated",
	[VPN_ST_DROP_VERSION] = "drop_version",
	[VPN_ST_DROP_HOP_COUNT] = "drop_hop_count",
	[VPN_ST_DROP_HOP_INDEX] = "drop_hop_index",
	[VPN_ST_DROP_NOT_ME] = "drop_not_me",
	[VPN_ST_DROP_TTL] = "drop_ttl",
	[VPN_ST_DROP_NO_NEXT_HOP] = "drop_no_next_hop",
	[VPN_ST_DROP_NEXT_NOT_NBR] = "drop_next_not_nbr",
	[VPN_ST_DROP_LOOP] = "drop_loop",
	[VPN_ST_DROP_BAD_DST] = "drop_bad_dst",
	[VPN_ST_DROP_INNER_DST] = "drop_inner_dst",
	[VPN_ST_DROP_TOO_BIG] = "drop_too_big",
	[VPN_ST_DROP_ERR] = "drop_err",
	[VPN_ST_NO_CFG] = "no_cfg",
	[VPN_ST_UL_PASS] = "ul_pass",
	[VPN_ST_ORIGIN_UL] = "origin_ul",
	[VPN_ST_ORIGIN_UL_NEIGH] = "origin_ul_neigh",
	[VPN_ST_ORIGIN_UL_FALLBACK] = "origin_ul_fallback",
	[VPN_ST_TRANSIT_UL] = "transit_ul",
};

const char *vpn_stat_name(unsigned int i)
{
	return i < VPN_ST_MAX && stat_names[i] ? stat_names[i] : "?";
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("IPOP_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int vpn_cfg_update(struct vpn_dp *dp, int tap_ifindex, const uint8_t tap_mac[6], int vx_ifindex,
		   char *err, size_t errlen)
{
	struct vpn_cfg c;
	uint32_t zero = 0;
	int e;

	e = bpf_map__lookup_elem(dp->skel->maps.vpn_cfg, &zero, sizeof(zero), &c, sizeof(c), 0);
	if (e)
		return VPN_FAIL(e, "cannot read vpn_cfg: %s", strerror(-e));
	if (tap_ifindex) {
		c.tap_ifindex = tap_ifindex;
		memcpy(c.tap_mac, tap_mac, 6);
	}
	if (vx_ifindex)
		c.vxlan_ifindex = vx_ifindex;
	e = bpf_map__update_elem(dp->skel->maps.vpn_cfg, &zero, sizeof(zero), &c, sizeof(c), 0);
	return e ? VPN_FAIL(e, "cannot write vpn_cfg: %s", strerror(-e)) : 0;
}

int vpn_dp_open(struct vpn_dp **out, const struct vpn_node_cfg *nc, char *err, size_t errlen)
{
	struct vpn_cfg c = {};
	struct vpn_dp *dp;
	uint32_t zero = 0;
	int e;

	libbpf_set_print(quiet);
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return VPN_FAIL(-ENOMEM, "out of memory");
	dp->tap_fd = -1;
	dp->id = nc->id;
	dp->skel = ipop_vpn_bpf__open_and_load();
	if (!dp->skel) {
		e = -errno;
		free(dp);
		return VPN_FAIL(e, "cannot load the VPN BPF programs: %s", strerror(-e));
	}
	memcpy(c.id, nc->id.b, SR_ID_LEN);
	c.tag = sr_node_tag(&nc->id);
	c.ttl = nc->ttl;
	c.mac_age_ns = nc->mac_age_ns;
	c.underlay_ip4 = nc->underlay_ip4;
	e = bpf_map__update_elem(dp->skel->maps.vpn_cfg, &zero, sizeof(zero), &c, sizeof(c), 0);
	if (e) {
		vpn_dp_close(dp);
		return VPN_FAIL(e, "cannot write vpn_cfg: %s", strerror(-e));
	}
	*out = dp;
	return 0;
}

int vpn_tc_attach(struct vpn_dp *dp, int ifindex, bool egress, int prog_fd, char *err,
		  size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VPN_TC_HANDLE, .priority = VPN_TC_PRIO,
		    .prog_fd = prog_fd);
	struct vpn_attach *a;
	bool created;
	int e;

	if (dp->n_att >= VPN_ATTACH_MAX)
		return VPN_FAIL(-ENOSPC, "too many attachments (max %d)", VPN_ATTACH_MAX);
	e = bpf_tc_hook_create(&hook);
	if (e && e != -EEXIST)
		return VPN_FAIL(e, "cannot create clsact on ifindex %d: %s", ifindex, strerror(-e));
	created = !e;
	e = bpf_tc_attach(&hook, &opts);
	if (e) {
		if (created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		return VPN_FAIL(e, "cannot attach TC %s on ifindex %d: %s",
				egress ? "egress" : "ingress", ifindex, strerror(-e));
	}
	a = &dp->att[dp->n_att++];
	a->ifindex = ifindex;
	a->kind = egress ? 1 : 0;
	a->created_clsact = created;
	return 0;
}

int vpn_tap_create(struct vpn_dp *dp, const struct vpn_tap_opts *o, char *err, size_t errlen)
{
	uint8_t mac[6];
	int e;

	if (dp->tap_fd >= 0)
		return VPN_FAIL(-EEXIST, "this datapath already has its TAP");
	e = vpn_dev_tap(o, &dp->tap_fd, &dp->tap_ifindex, mac, err, errlen);
	if (e)
		return e;
	e = vpn_cfg_update(dp, dp->tap_ifindex, mac, 0, err, errlen);
	if (!e)
		e = vpn_tc_attach(dp, dp->tap_ifindex, true,
				  bpf_program__fd(dp->skel->progs.vpn_origin), err, errlen);
	if (e) {
		close(dp->tap_fd);
		dp->tap_fd = -1;
	}
	return e;
}

int vpn_tap_fd(const struct vpn_dp *dp)
{
	return dp->tap_fd;
}

int vpn_tap_ifindex(const struct vpn_dp *dp)
{
	return dp->tap_ifindex;
}

int vpn_vxlan_create(struct vpn_dp *dp, const struct vpn_vxlan_opts *o, char *err, size_t errlen)
{
	int e, ifindex;

	if (dp->vx_ifindex)
		return VPN_FAIL(-EEXIST, "this datapath already has its VXLAN device");
	e = vpn_dev_vxlan(o, &ifindex, err, errlen);
	if (e)
		return e;
	e = vpn_cfg_update(dp, 0, NULL, ifindex, err, errlen);
	if (!e)
		e = vpn_tc_attach(dp, ifindex, false, bpf_program__fd(dp->skel->progs.vpn_link_in),
				  err, errlen);
	if (e) {
		vpn_dev_del(ifindex);
		return e;
	}
	dp->vx_ifindex = ifindex;
	return 0;
}

static int ifindex_of(const char *name, char *err, size_t errlen)
{
	int i = (int)if_nametoindex(name);

	return i ? i : VPN_FAIL(-ENODEV, "unknown interface '%s'", name);
}

int vpn_attach_ingress(struct vpn_dp *dp, const char *ifname, char *err, size_t errlen)
{
	int ifindex = ifindex_of(ifname, err, errlen);

	if (ifindex < 0)
		return ifindex;
	return vpn_tc_attach(dp, ifindex, false, bpf_program__fd(dp->skel->progs.vpn_link_in), err,
			     errlen);
}

int vpn_attach_tc_transit(struct vpn_dp *dp, const char *ifname, char *err, size_t errlen)
{
	int ifindex = ifindex_of(ifname, err, errlen);

	if (ifindex < 0)
		return ifindex;
	return vpn_tc_attach(dp, ifindex, false, bpf_program__fd(dp->skel->progs.vpn_transit_tc),
			     err, errlen);
}

int vpn_set_direct(struct vpn_dp *dp, const char *ifname, uint16_t port, char *err, size_t errlen)
{
	struct vpn_cfg c;
	uint32_t zero = 0;
	int e, ifindex = 0;

	if (ifname && ifname[0]) {
		ifindex = ifindex_of(ifname, err, errlen);
		if (ifindex < 0)
			return ifindex;
	}
	e = bpf_map__lookup_elem(dp->skel->maps.vpn_cfg, &zero, sizeof(zero), &c, sizeof(c), 0);
	if (e)
		return VPN_FAIL(e, "cannot read vpn_cfg: %s", strerror(-e));
	if (ifindex && !c.underlay_ip4)
		return VPN_FAIL(-EINVAL,
				"direct encapsulation on %s needs the underlay IPv4 address",
				ifname);
	c.ul_ifindex = (uint32_t)ifindex;
	c.vxlan_port = port;
	e = bpf_map__update_elem(dp->skel->maps.vpn_cfg, &zero, sizeof(zero), &c, sizeof(c), 0);
	return e ? VPN_FAIL(e, "cannot write vpn_cfg: %s", strerror(-e)) : 0;
}

int vpn_attach_xdp(struct vpn_dp *dp, const char *ifname, bool native, char *err, size_t errlen)
{
	uint32_t flags = native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	int ifindex = ifindex_of(ifname, err, errlen), e;
	struct vpn_attach *a;

	if (ifindex < 0)
		return ifindex;
	if (dp->n_att >= VPN_ATTACH_MAX)
		return VPN_FAIL(-ENOSPC, "too many attachments (max %d)", VPN_ATTACH_MAX);
	e = bpf_xdp_attach(ifindex, bpf_program__fd(dp->skel->progs.vpn_transit_xdp),
			   flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (e)
		return VPN_FAIL(e, "cannot attach XDP (%s) to %s: %s", native ? "native" : "skb",
				ifname, strerror(-e));
	a = &dp->att[dp->n_att++];
	a->ifindex = ifindex;
	a->kind = 2;
	a->xdp_flags = flags;
	return 0;
}

void vpn_dp_close(struct vpn_dp *dp)
{
	if (!dp)
		return;
	for (int i = dp->n_att - 1; i >= 0; i--) {
		struct vpn_attach *a = &dp->att[i];

		if (a->kind == 2) {
			bpf_xdp_detach(a->ifindex, a->xdp_flags, NULL);
			continue;
		}
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = a->kind ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VPN_TC_HANDLE, .priority = VPN_TC_PRIO);
		bpf_tc_detach(&hook, &opts);
		/* only our filter: flow accounting may share this clsact (and the qdisc) */
		if (a->created_clsact && tc_filter_count(a->ifindex) == 0) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
	}
	if (dp->vx_ifindex)
		vpn_dev_del(dp->vx_ifindex);
	if (dp->tap_fd >= 0)
		close(dp->tap_fd);
	ipop_vpn_bpf__destroy(dp->skel);
	free(dp);
}

int vpn_link_set(struct vpn_dp *dp, const struct vpn_link_desc *d, char *err, size_t errlen)
{
	struct vpn_inlink_key k = {};
	struct vpn_link l = {};
	uint32_t label = d->label;
	int e;

	if (d->label == SR_LABEL_NONE)
		return VPN_FAIL(-EINVAL, "label 0 is reserved (deliver here)");
	if (node_id_eq(&d->nbr, &dp->id))
		return VPN_FAIL(-EINVAL, "link %u: the neighbour is this node", d->label);
	l.kind = d->kind;
	memcpy(l.smac, d->our_mac, 6);
	if (d->kind == VPN_LINK_VXLAN) {
		if (d->af != 4 && d->af != 6)
			return VPN_FAIL(-EINVAL, "link %u: address family %d", d->label, d->af);
		if (d->vni > 0xffffff)
			return VPN_FAIL(-EINVAL, "link %u: VNI %u > 24 bits", d->label, d->vni);
		l.ifindex = d->ifname[0] ? (uint32_t)ifindex_of(d->ifname, err, errlen)
					 : (uint32_t)dp->vx_ifindex;
		if (!l.ifindex || (int)l.ifindex < 0)
			return d->ifname[0] ? -ENODEV
					    : VPN_FAIL(-ENODEV, "link %u: no VXLAN device yet",
						       d->label);
		l.af = d->af;
		l.vni = d->vni;
		memcpy(l.remote, d->remote, 16);
		if (d->af == 4)
			memset(l.remote + 4, 0, 12);
	} else if (d->kind == VPN_LINK_ETH) {
		static const uint8_t none[6];
		int i = ifindex_of(d->ifname, err, errlen);

		if (i < 0)
			return i;
		l.ifindex = i;
		/* the neighbour checks the outer source MAC: the device's own unless given */
		if (!memcmp(l.smac, none, 6)) {
			e = vpn_dev_mac(d->ifname, l.smac);
			if (e)
				return VPN_FAIL(e, "link %u: cannot read the MAC of %s: %s",
						d->label, d->ifname, strerror(-e));
		}
	} else {
		return VPN_FAIL(-EINVAL, "link %u: unknown kind %u", d->label, d->kind);
	}
	l.nbr_tag = sr_node_tag(&d->nbr);
	memcpy(l.nbr_id, d->nbr.b, SR_ID_LEN);
	memcpy(l.dmac, d->nbr_mac, 6);
	l.ul_ifindex = d->ul_ifindex;
	memcpy(l.ul_dmac, d->ul_dmac, 6);
	memcpy(l.ul_smac, d->ul_smac, 6);
	k.ifindex = l.ifindex;
	k.vni = l.kind == VPN_LINK_VXLAN ? l.vni : 0;
	k.af = l.kind == VPN_LINK_VXLAN ? l.af : 0;
	if (l.kind == VPN_LINK_VXLAN)
		memcpy(k.remote, l.remote, 16);
	e = bpf_map__update_elem(dp->skel->maps.vpn_links, &label, sizeof(label), &l, sizeof(l), 0);
	if (!e)
		e = bpf_map__update_elem(dp->skel->maps.vpn_inlinks, &k, sizeof(k), &label,
					 sizeof(label), 0);
	return e ? VPN_FAIL(e, "link %u: cannot write the link maps: %s", d->label, strerror(-e))
		 : 0;
}

int vpn_link_del(struct vpn_dp *dp, uint8_t label, char *err, size_t errlen)
{
	struct vpn_inlink_key k = {};
	struct vpn_link l, none = {};
	uint32_t key = label;
	int e;

	e = bpf_map__lookup_elem(dp->skel->maps.vpn_links, &key, sizeof(key), &l, sizeof(l), 0);
	if (e || l.kind == VPN_LINK_NONE)
		return VPN_FAIL(-ENOENT, "no link %u", label);
	k.ifindex = l.ifindex;
	if (l.kind == VPN_LINK_VXLAN) {
		k.vni = l.vni;
		k.af = l.af;
		memcpy(k.remote, l.remote, 16);
	}
	bpf_map__delete_elem(dp->skel->maps.vpn_inlinks, &k, sizeof(k), 0);
	e = bpf_map__update_elem(dp->skel->maps.vpn_links, &key, sizeof(key), &none, sizeof(none),
				 0);
	return e ? VPN_FAIL(e, "cannot clear link %u: %s", label, strerror(-e)) : 0;
}

int vpn_path_encode(const struct vpn_path_desc *p, struct vpn_path *out, char *err, size_t errlen)
{
	struct sr_view v = { .version = SR_VERSION, .ttl = 1 };
	uint8_t tmp[SR_HDR_MAX];
	int e;

	memset(out, 0, sizeof(*out));
	if (p->n == 0 || p->n > SR_HOPS_MAX)
		return VPN_FAIL(-EINVAL, "path of %u hops (1..%d)", p->n, SR_HOPS_MAX);
	if (p->first_label == SR_LABEL_NONE)
		return VPN_FAIL(-EINVAL, "first label 0");
	if (!node_id_eq(&p->nodes[p->n - 1], &p->dst))
		return VPN_FAIL(-EINVAL, "the path does not end at its destination");
	v.hop_count = p->n;
	for (unsigned int i = 0; i < p->n; i++) {
		v.hops[i].tag = sr_node_tag(&p->nodes[i]);
		v.hops[i].label = i + 1 < p->n ? p->labels[i] : SR_LABEL_NONE;
		out->hops[i].tag[0] = v.hops[i].tag >> 16;
		out->hops[i].tag[1] = v.hops[i].tag >> 8;
		out->hops[i].tag[2] = v.hops[i].tag;
		out->hops[i].label = v.hops[i].label;
	}
	/* the wire rules: labels, loops (by tag) */
	e = sr_build(&v, tmp, sizeof(tmp), err, errlen);
	if (e < 0)
		return e;
	out->hop_count = p->n;
	out->first_label = p->first_label;
	return 0;
}

int vpn_path_set(struct vpn_dp *dp, const struct vpn_path_desc *p, char *err, size_t errlen)
{
	struct vpn_path_key k;
	struct vpn_path v;
	int e;

	for (unsigned int i = 0; i < p->n && i < SR_HOPS_MAX; i++)
		if (node_id_eq(&p->nodes[i], &dp->id))
			return VPN_FAIL(-EINVAL, "the path revisits this node (entry %u)", i);
	e = vpn_path_encode(p, &v, err, errlen);
	if (e)
		return e;
	memcpy(k.id, p->dst.b, SR_ID_LEN);
	e = bpf_map__update_elem(dp->skel->maps.vpn_paths, &k, sizeof(k), &v, sizeof(v), 0);
	return e ? VPN_FAIL(e, "cannot write the path: %s", strerror(-e)) : 0;
}

int vpn_path_del(struct vpn_dp *dp, const struct node_id *dst, char *err, size_t errlen)
{
	struct vpn_path_key k;
	int e;

	memcpy(k.id, dst->b, SR_ID_LEN);
	e = bpf_map__delete_elem(dp->skel->maps.vpn_paths, &k, sizeof(k), 0);
	return e ? VPN_FAIL(e, "cannot delete the path: %s", strerror(-e)) : 0;
}

int vpn_mac_set(struct vpn_dp *dp, const uint8_t mac[6], const struct node_id *node, bool is_static,
		char *err, size_t errlen)
{
	struct vpn_mac_key k = {};
	struct vpn_mac_val v = {};
	struct timespec ts;
	int e;

	if (mac[0] & 1)
		return VPN_FAIL(-EINVAL, "a group MAC cannot belong to one node");
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	memcpy(k.mac, mac, 6);
	memcpy(v.node, node->b, SR_ID_LEN);
	v.seen_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	v.flags = is_static ? VPN_MAC_STATIC : 0;
	e = bpf_map__update_elem(dp->skel->maps.vpn_macs, &k, sizeof(k), &v, sizeof(v), 0);
	return e ? VPN_FAIL(e, "cannot write the MAC entry: %s", strerror(-e)) : 0;
}

int vpn_mac_get(struct vpn_dp *dp, const uint8_t mac[6], struct node_id *node, bool *is_static)
{
	struct vpn_mac_key k = {};
	struct vpn_mac_val v;

	memcpy(k.mac, mac, 6);
	if (bpf_map__lookup_elem(dp->skel->maps.vpn_macs, &k, sizeof(k), &v, sizeof(v), 0))
		return -ENOENT;
	memcpy(node->b, v.node, SR_ID_LEN);
	if (is_static)
		*is_static = v.flags & VPN_MAC_STATIC;
	return 0;
}

int vpn_stats_read(struct vpn_dp *dp, uint64_t out[VPN_ST_MAX], char *err, size_t errlen)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0 || ncpu > 4096)
		return VPN_FAIL(-EINVAL, "cannot count CPUs");
	uint64_t v[ncpu];

	for (uint32_t i = 0; i < VPN_ST_MAX; i++) {
		int e = bpf_map__lookup_elem(dp->skel->maps.vpn_stats, &i, sizeof(i), v,
					     sizeof(uint64_t) * ncpu, 0);

		if (e)
			return VPN_FAIL(e, "vpn_stats[%u]: %s", i, strerror(-e));
		out[i] = 0;
		for (int c = 0; c < ncpu; c++)
			out[i] += v[c];
	}
	return 0;
}
