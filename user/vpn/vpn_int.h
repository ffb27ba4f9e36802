/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internals shared by vpn.c (BPF) and vpn_dev.c (devices). */
#ifndef IPOP_VPN_VPN_INT_H
#define IPOP_VPN_VPN_INT_H

#include "vpn/vpn.h"

#define VPN_ATTACH_MAX 16

struct vpn_attach {
	int ifindex;
	int kind; /* 0 TC ingress, 1 TC egress, 2 XDP */
	uint32_t xdp_flags;
	bool created_clsact;
};

struct vpn_dp {
	struct ipop_vpn_bpf *skel;
	struct node_id id;
	int tap_fd, tap_ifindex;
	int vx_ifindex; /* the VXLAN device we created, 0 if none */
	struct vpn_attach att[VPN_ATTACH_MAX];
	int n_att;
};

#define VPN_FAIL(code, ...) (snprintf(err, errlen, __VA_ARGS__), (code))

int vpn_tc_attach(struct vpn_dp *dp, int ifindex, bool egress, int prog_fd, char *err,
		  size_t errlen);
int vpn_cfg_update(struct vpn_dp *dp, int tap_ifindex, const uint8_t tap_mac[6], int vx_ifindex,
		   char *err, size_t errlen);

/* vpn_dev.c */
int vpn_dev_tap(const struct vpn_tap_opts *o, int *fd, int *ifindex, uint8_t mac[6], char *err,
		size_t errlen);
int vpn_dev_vxlan(const struct vpn_vxlan_opts *o, int *ifindex, char *err, size_t errlen);
void vpn_dev_del(int ifindex);
int vpn_dev_up(const char *name, char *err, size_t errlen);
/* the device's Ethernet address; -errno (-EOPNOTSUPP: not Ethernet) */
int vpn_dev_mac(const char *name, uint8_t mac[6]);

#endif /* IPOP_VPN_VPN_INT_H */
