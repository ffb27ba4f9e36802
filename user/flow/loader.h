/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Attach/detach the flow accounting programs; the pinned maps they share. */
#ifndef IPOP_LOADER_H
#define IPOP_LOADER_H

#include <stdbool.h>
#include "flow.h"

enum ingress_hook_opt {
	HOOK_AUTO = 0, /* the cheaper hook for the device kind (README "Benchmarks") */
	HOOK_XDP,
	HOOK_TC,
};

enum xdp_mode_opt {
	MODE_AUTO = 0, /* native */
	MODE_NATIVE,
	MODE_SKB,
};

/* How the TC programs are attached (IFACE_TC_* records what was chosen). */
enum tc_mode_opt {
	TC_MODE_AUTO = 0, /* tcx when the kernel has it (6.6+), else clsact; IPOP_TC_MODE=tcx|clsact
			   * in the environment overrides auto */
	TC_MODE_TCX,
	TC_MODE_CLSACT,
};

struct load_opts {
	const char *ifname;
	const char *pin_path;
	int hook;		   /* enum ingress_hook_opt */
	int mode;		   /* enum xdp_mode_opt */
	int tc_mode;		   /* enum tc_mode_opt */
	unsigned int flow_entries; /* 0 = default, or what is pinned */
	bool force;		   /* replace a foreign XDP program */
};

/*
 * TC filter identity of our programs when attached through clsact (ingress
 * and egress). They return TC_ACT_UNSPEC (observe, the next filter decides);
 * a lower priority number runs earlier, so other filters that redirect (the
 * VPN's, VPN_TC_PRIO) take a larger one. Through tcx (the default where the
 * kernel has it) they are BPF links in front of every other tcx program, and
 * tcx runs before any cls_bpf filter; TC_ACT_UNSPEC is TCX_NEXT there.
 */
#define IPOP_TC_HANDLE 0x1b0f
#define IPOP_TC_PRIO   0xc0de

/*
 * All-or-nothing: on error nothing from this call stays attached or pinned.
 * 0, or -errno with one line naming the problem in msg (as for every call
 * below that takes msg).
 */
int loader_attach(const struct load_opts *o, char *msg, size_t msglen);

/* Detach from one interface (ifname) or all; remove pins after the last unless keep_pins. */
int loader_detach(const char *pin_path, const char *ifname, bool all, bool keep_pins, char *msg,
		  size_t msglen);

/*
 * Forget ifindex's record (the daemon, when that interface is deleted): what
 * is still attached there is detached, the pins stay. -ENOENT if none.
 */
int loader_forget_index(const char *pin_path, int ifindex, char *msg, size_t msglen);

/*
 * The way out when the pins are gone but programs stay attached (a daemon
 * killed after someone removed its pins): detach every program of ours,
 * found by name (ipop_xdp, ipop_tc_in, ipop_tc_eg), from every interface of
 * this network namespace, XDP through a libxdp dispatcher or alone, TC at
 * our clsact handle or anywhere on tcx (BPF_PROG_QUERY; through its link or
 * alone); then remove whatever is pinned under pin_path. A clsact qdisc is
 * left in place (whether we created it was recorded in the pins).
 */
struct force_unload {
	int programs, interfaces;
	bool pins_removed;
};
int loader_force_unload(const char *pin_path, struct force_unload *out, char *msg, size_t msglen);

/* The ingress hook `auto` picks for ifname. */
int loader_default_hook(const char *ifname);

const char *loader_hook_name(__u32 hook);
/* "tcx" or "clsact": how the TC programs of a record are attached. */
const char *loader_tc_name(const struct iface_info *info);

/* What the loader recorded for ifindex under pin_path; -ENOENT if not loaded. */
int loader_lookup(const char *pin_path, int ifindex, struct iface_info *info);
/* Is what we recorded still what the kernel has attached? */
bool loader_still_attached(int ifindex, const struct iface_info *info);

#endif /* IPOP_LOADER_H */
