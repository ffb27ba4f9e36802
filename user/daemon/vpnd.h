/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's VPN: with a "vpn" object in the config (README.md, "Run a
 * VPN"), the daemon creates and holds ipop0 (a TAP: carrier while the
 * daemon runs), the external VXLAN device, loads and attaches the programs
 * of bpf/ipop_vpn.bpf.c (user/vpn), gives every neighbour a link label
 * (1..255, in nbr_info.label), and turns SRUM's dp_install/dp_remove into
 * the kernel's path map. Frames the kernel leaves to the TAP (no path, an
 * unknown MAC, broadcast and multicast) are read by the daemon and carried
 * by the "vpn" module (modules/vpnmod.h), which the config's "vpn" object
 * loads; frames it receives are written into ipop0. A failed start and the
 * daemon's exit remove everything the VPN created.
 */
#ifndef IPOP_FW_VPND_H
#define IPOP_FW_VPND_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "core/id.h"
#include "core/node.h"
#include "daemon/ctl.h"

#define VPND_STATIC_MACS_MAX 256
#define VPND_ETH_LINKS_MAX   64

struct vpnd_eth_link {
	struct node_id nbr;
	char ifname[IF_NAMESIZE];
	uint8_t mac[6]; /* the neighbour's MAC on the device */
};

struct vpnd_static_mac {
	uint8_t mac[6];
	struct node_id node;
};

enum {
	VPND_ENCAP_DEVICE = 0, /* through the VXLAN device */
	VPND_ENCAP_DIRECT,     /* built by vpn_origin, sent on 'underlay' (vpn_set_direct) */
	VPND_ENCAP_AUTO,       /* direct if the underlay allows it (IPv4 address), else device */
};

/* The parsed "vpn" object (every field checked at load time). */
struct vpnd_conf {
	char tap[IF_NAMESIZE];
	uint8_t mac[6];
	bool set_mac;
	const char *ipv4, *ipv6;    /* borrowed from the config */
	unsigned int mtu;	    /* 0: SR_IPOP0_MTU */
	bool xdp;		    /* "transit": "xdp" (native, else generic) or "auto" */
	bool xdp_auto;		    /* "auto": native XDP where the device has it, else TC */
	int encap;		    /* VPND_ENCAP_*: how the origin sends on VXLAN/IPv4 links */
	char underlay[IF_NAMESIZE]; /* "" = none */
	uint32_t underlay_ip4;	    /* network order; 0 = from "listen" */
	uint32_t vni;
	char vxlan[IF_NAMESIZE];
	uint16_t vxlan_port;
	bool vxlan_links; /* neighbours without an Ethernet link get a VXLAN one */
	int neth;
	struct vpnd_eth_link eth[VPND_ETH_LINKS_MAX];
	int nstatic;
	struct vpnd_static_mac statics[VPND_STATIC_MACS_MAX];
	uint64_t mac_age_ns;
	uint8_t ttl;	    /* 0: SR_TTL_DEFAULT */
	json_t *mod_params; /* the vpn module's parameters (owned) */
};

/*
 * Parse obj (the config's "vpn" object) into *out (allocated) and append the
 * "vpn" module to mc (after checking that srum and the broadcast module are
 * there). -EINVAL with err naming the key.
 */
int vpnd_conf_parse(const json_t *obj, struct modcfg *mc, struct vpnd_conf **out, char *err,
		    size_t errlen);
void vpnd_conf_free(struct vpnd_conf *c);

struct daemon;
/* After the modules started: everything above; on error nothing stays. */
int vpnd_start(struct daemon *d, char *err, size_t errlen);
void vpnd_stop(struct daemon *d);
/* This node's label towards a neighbour, DP_LABEL_NONE if none. */
uint8_t vpnd_label(struct daemon *d, const struct node_id *nbr);
/* {"datapath": {...}, "daemon": {...}} counters, or NULL without a VPN. */
json_t *vpnd_stats_json(struct daemon *d);

/* vpn_status: TAP, links with labels, installed paths, counters. */
extern const struct ctl_op vpnd_ctl_ops[];

#endif /* IPOP_FW_VPND_H */
