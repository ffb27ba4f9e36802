// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Loading: open the skeleton, reuse or create the pinned maps, load, attach
 * the ingress program (XDP through libxdp, or TC) and the TC egress program
 * (tcx links pinned beside the maps, or clsact filters), record the
 * interface. Every step has its undo; a failure undoes them all.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "flow/errmsg.h"
#include "flow/loader.h"
#include "flow/pins.h"
#include "flow/tcfilt.h"
#include "flow/tcx.h"
#include "ipop_flow.skel.h"

static const char *const hook_names[] = { "xdp", "xdpgeneric", "tc" };

const char *loader_hook_name(__u32 hook)
{
	return hook <= IFACE_HOOK_TC ? hook_names[hook] : "?";
}

const char *loader_tc_name(const struct iface_info *info)
{
	return info->tc_attach == IFACE_TC_TCX ? "tcx" : "clsact";
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("IPOP_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int quiet_xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBXDP_WARN && getenv("IPOP_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void loader_quiet(void)
{
	libbpf_set_print(quiet_print);
	libxdp_set_print(quiet_xdp_print);
}

/*
 * The driver name (ethtool's "driver"): veth and tun carry locally generated
 * skbs, where native XDP costs more than TC (README "Benchmarks").
 */
int loader_default_hook(const char *ifname)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&di };
	int fd, hook = HOOK_XDP;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hook;
	if (!ioctl(fd, SIOCETHTOOL, &ifr) &&
	    (!strcmp(di.driver, "veth") || !strcmp(di.driver, "tun")))
		hook = HOOK_TC;
	close(fd);
	return hook;
}

/*
 * ARPHRD_ETHER: what the parser expects at the start of a frame. An ioctl, not
 * sysfs: /sys shows the devices of the namespace it was mounted in.
 */
static bool is_ethernet(const char *ifname)
{
	struct ifreq ifr = {};
	bool eth = true; /* cannot tell: let the attach decide */
	int fd;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return eth;
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		eth = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	close(fd);
	return eth;
}

static int prog_name_of(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &ilen);
	close(fd);
	if (err)
		return -errno;
	snprintf(name, len, "%s", info.name);
	return 0;
}

/* The XDP program attached to ifindex in any mode (0 if none). */
static __u32 xdp_attached_id(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	return q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
}

struct attach_state {
	const struct load_opts *o;
	int ifindex;
	int replaced_fd; /* --force: the XDP program we replaced, to put back on failure */
	struct ipop_flow_bpf *skel;
	struct xdp_program *xprog;
	enum xdp_attach_mode xmode;
	bool pinned_before[16];
	bool xdp_attached, tc_in_attached, tc_eg_attached, created_clsact;
	bool tcx_in, tcx_eg; /* a tcx link of this call pinned for ingress, egress */
	int tc_mode;	     /* enum tc_mode_opt, the environment applied */
	struct iface_info info;
	char *msg; /* the caller's error message buffer */
	size_t msglen;
};

/* Our program names (bpf/ipop_flow.bpf.c); BPF keeps 15 characters. */
static bool ours_by_name(__u32 id)
{
	char name[BPF_OBJ_NAME_LEN] = "";

	return id && !prog_name_of(id, name, sizeof(name)) &&
	       (!strcmp(name, "ipop_xdp") || !strcmp(name, "ipop_tc_in") ||
		!strcmp(name, "ipop_tc_eg"));
}

/* Is an XDP program of ours on ifindex, alone or in a libxdp dispatcher? */
static bool xdp_has_ours(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	bool found = false;

	if (!libxdp_get_error(mp) && mp) {
		for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p && !found;
		     p = xdp_multiprog__next_prog(p, mp))
			found = ours_by_name(xdp_program__id(p));
		xdp_multiprog__close(mp);
	}
	return found || (!bpf_xdp_query(ifindex, 0, &q) &&
			 (ours_by_name(q.drv_prog_id) || ours_by_name(q.skb_prog_id)));
}

/* A TC program of ours at ifindex, on tcx or at our clsact handle (its id, 0 if none). */
static __u32 tc_ours(int ifindex)
{
	__u32 progs[TCX_QUERY_MAX], links[TCX_QUERY_MAX];

	for (int eg = 0; eg < 2; eg++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = eg ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IPOP_TC_HANDLE, .priority = IPOP_TC_PRIO);
		int n = tcx_query(ifindex, eg, progs, links, TCX_QUERY_MAX);

		for (int i = 0; i < n; i++)
			if (ours_by_name(progs[i]))
				return progs[i];
		if (!bpf_tc_query(&hook, &opts) && ours_by_name(opts.prog_id))
			return opts.prog_id;
	}
	return 0;
}

static int check_free(struct attach_state *s)
{
	const struct load_opts *o = s->o;
	char name[BPF_OBJ_NAME_LEN] = "";
	__u32 id = tc_ours(s->ifindex);

	/* (the ifaces map does not record this interface: already_loaded()) */
	if (id)
		return errmsg(s->msg, s->msglen, -EBUSY,
			      "%s already has an ipop-bpf TC program (id %u) that %s does not "
			      "record: another pin path, or pins removed while it was loaded; "
			      "unload it there, or with 'ipop-bpf unload --all --force'",
			      o->ifname, id, o->pin_path);
	if (s->info.ingress_hook == IFACE_HOOK_TC)
		return 0;
	id = xdp_attached_id(s->ifindex);
	if (!id || o->force)
		return 0;
	prog_name_of(id, name, sizeof(name));
	if (xdp_has_ours(s->ifindex))
		return errmsg(s->msg, s->msglen, -EBUSY,
			      "%s already has an ipop-bpf XDP program (id %u) that %s does not "
			      "record: another pin path, or pins removed while it was loaded; "
			      "unload it there, or with 'ipop-bpf unload --all --force'",
			      o->ifname, id, o->pin_path);
	return errmsg(s->msg, s->msglen, -EBUSY,
		      "%s already has an XDP program that is not ours (id %u, '%s'); "
		      "use --force to replace it",
		      o->ifname, id, name);
}

/* Size the flow map: what is pinned wins; a conflicting --flow-entries is an error. */
static int size_flow_map(struct attach_state *s)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	unsigned int want = s->o->flow_entries;
	int fd;

	fd = pins_open_map(s->o->pin_path, "flows");
	if (fd >= 0) {
		int err = bpf_obj_get_info_by_fd(fd, &info, &len);

		close(fd);
		if (err)
			return errmsg(s->msg, s->msglen, -errno, "cannot read pinned flow map: %s",
				      strerror(errno));
		if (want && want != info.max_entries)
			return errmsg(s->msg, s->msglen, -EINVAL,
				      "--flow-entries %u differs from the pinned flow map's %u "
				      "(unload --all first to resize)",
				      want, info.max_entries);
		want = info.max_entries;
	}
	if (!want)
		want = IPOP_FLOW_ENTRIES_DEFAULT;
	return bpf_map__set_max_entries(s->skel->maps.flows, want);
}

static int open_and_load(struct attach_state *s)
{
	char path[PATH_MAX];
	int err, i;

	s->skel = ipop_flow_bpf__open();
	if (!s->skel)
		return errmsg(s->msg, s->msglen, -errno, "cannot open the BPF object: %s",
			      strerror(errno));
	err = size_flow_map(s);
	if (err)
		return err;
	for (i = 0; pins_map_names[i]; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(s->skel->obj, pins_map_names[i]);

		pins_path(path, sizeof(path), s->o->pin_path, pins_map_names[i]);
		s->pinned_before[i] = !access(path, F_OK);
		err = bpf_map__set_pin_path(m, path);
		if (err)
			return errmsg(s->msg, s->msglen, err, "pin path '%s': %s", path,
				      strerror(-err));
	}
	err = ipop_flow_bpf__load(s->skel);
	if (err) {
		if (err == -EPERM)
			return errmsg(s->msg, s->msglen, err,
				      "permission denied loading BPF programs (run as root)");
		return errmsg(s->msg, s->msglen, err,
			      "cannot load the BPF programs (pinned maps under %s incompatible? "
			      "a flow map pinned by an older build: unload --all): %s",
			      s->o->pin_path, strerror(-err));
	}
	return 0;
}

static int attach_xdp(struct attach_state *s)
{
	const struct load_opts *o = s->o;
	int fd = bpf_program__fd(s->skel->progs.ipop_xdp);
	int err;

	s->xmode = s->info.ingress_hook == IFACE_HOOK_XDP_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	if (o->force && xdp_attached_id(s->ifindex)) {
		/* atomic replace: the old program stays if ours cannot attach */
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
		__u32 old = xdp_attached_id(s->ifindex);
		__u32 flags = s->xmode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;

		ao.old_prog_fd = bpf_prog_get_fd_by_id(old);
		err = bpf_xdp_attach(s->ifindex, fd, flags | XDP_FLAGS_REPLACE, &ao);
		if (!err)
			s->replaced_fd = ao.old_prog_fd; /* undo() puts it back */
		else if (ao.old_prog_fd >= 0)
			close(ao.old_prog_fd);
		if (err)
			return errmsg(s->msg, s->msglen, err,
				      "cannot replace the XDP program on %s: %s", o->ifname,
				      strerror(-err));
		s->xdp_attached = true;
		return 0;
	}
	s->xprog = xdp_program__from_fd(fd);
	err = libxdp_get_error(s->xprog);
	if (err) {
		s->xprog = NULL;
		return errmsg(s->msg, s->msglen, err, "libxdp: %s", strerror(-err));
	}
	err = xdp_program__attach(s->xprog, s->ifindex, s->xmode, 0);
	if (err)
		return errmsg(s->msg, s->msglen, err, "cannot attach XDP (%s mode) to %s: %s",
			      s->xmode == XDP_MODE_SKB ? "skb" : "native", o->ifname,
			      strerror(-err));
	s->xdp_attached = true;
	return 0;
}

static int attach_tc(struct attach_state *s, enum bpf_tc_attach_point where,
		     struct bpf_program *prog, bool *attached)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = s->ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IPOP_TC_HANDLE, .priority = IPOP_TC_PRIO,
		    .prog_fd = bpf_program__fd(prog));
	int err;

	err = bpf_tc_hook_create(&hook);
	if (!err)
		s->created_clsact = true;
	else if (err != -EEXIST)
		return errmsg(s->msg, s->msglen, err, "cannot create clsact on %s: %s",
			      s->o->ifname, strerror(-err));
	/* no BPF_TC_F_REPLACE: a filter of ours already there means a stale load */
	err = bpf_tc_attach(&hook, &opts);
	if (err == -EEXIST)
		return errmsg(s->msg, s->msglen, err,
			      "%s already has a TC %s filter at handle 0x%x (ours, stale, or "
			      "another tool's); unload or remove it first ('ipop-bpf unload "
			      "--all --force' removes ours when no pin records them)",
			      s->o->ifname, where == BPF_TC_INGRESS ? "ingress" : "egress",
			      IPOP_TC_HANDLE);
	if (err)
		return errmsg(s->msg, s->msglen, err, "cannot attach TC %s on %s: %s",
			      where == BPF_TC_INGRESS ? "ingress" : "egress", s->o->ifname,
			      strerror(-err));
	*attached = true;
	return 0;
}

/* tcx: a link in front of every tcx program, pinned as DIR/tcx_{in,eg}_IFINDEX. 0 or -errno. */
static int attach_tcx(struct attach_state *s, bool egress, struct bpf_program *prog)
{
	char path[PATH_MAX];
	int fd, err;

	err = pins_link_path(path, sizeof(path), s->o->pin_path, s->ifindex, egress);
	if (err)
		return err;
	fd = tcx_link_create(bpf_program__fd(prog), s->ifindex, egress);
	if (fd < 0)
		return fd;
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	if (err == -EEXIST) {
		/* check_free() found no program of ours on this device: a left-over
		 * pin of a link that is defunct or elsewhere, under our lock */
		unlink(path);
		err = bpf_obj_pin(fd, path) ? -errno : 0;
	}
	close(fd); /* without a pin, this detaches the link */
	if (!err)
		*(egress ? &s->tcx_eg : &s->tcx_in) = true;
	return err;
}

/* Attach one TC program: tcx, or clsact when so chosen or the kernel has no tcx. */
static int attach_tc_prog(struct attach_state *s, bool egress, struct bpf_program *prog)
{
	if (s->tc_mode != TC_MODE_CLSACT) {
		int err = attach_tcx(s, egress, prog);

		if (!err) {
			s->info.tc_attach = IFACE_TC_TCX;
			return 0;
		}
		/* auto falls back on a kernel without tcx, before anything went there */
		if (s->tc_mode == TC_MODE_TCX || !tcx_unsupported(err) || s->tcx_in || s->tcx_eg)
			return errmsg(s->msg, s->msglen, err,
				      "cannot attach TC %s on %s through tcx: %s%s",
				      egress ? "egress" : "ingress", s->o->ifname, strerror(-err),
				      tcx_unsupported(err) ? " (tcx needs Linux 6.6+; try "
							     "--tc-mode clsact)"
							   : "");
		s->tc_mode = TC_MODE_CLSACT;
	}
	s->info.tc_attach = IFACE_TC_CLSACT;
	return attach_tc(s, egress ? BPF_TC_EGRESS : BPF_TC_INGRESS, prog,
			 egress ? &s->tc_eg_attached : &s->tc_in_attached);
}

static void tc_detach(int ifindex, enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IPOP_TC_HANDLE, .priority = IPOP_TC_PRIO);

	bpf_tc_detach(&hook, &opts);
}

/* the clsact we created goes, unless filters that are not ours are left on it */
static void tc_destroy_clsact(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (tc_filter_count(ifindex) == 0)
		bpf_tc_hook_destroy(&hook);
}

static __u32 prog_id(struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return 0;
	return info.id;
}

static void undo(struct attach_state *s)
{
	if (s->xdp_attached) {
		__u32 flags = s->xmode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;

		if (s->xprog) {
			xdp_program__detach(s->xprog, s->ifindex, s->xmode, 0);
		} else if (s->replaced_fd >= 0) {
			/* --force: the program we replaced goes back, atomically */
			LIBBPF_OPTS(bpf_xdp_attach_opts, ao,
				    .old_prog_fd = bpf_program__fd(s->skel->progs.ipop_xdp));

			bpf_xdp_attach(s->ifindex, s->replaced_fd, flags | XDP_FLAGS_REPLACE, &ao);
		} else {
			bpf_xdp_detach(s->ifindex, flags, NULL);
		}
	}
	for (int eg = 0; eg < 2; eg++) {
		char path[PATH_MAX];

		if ((eg ? s->tcx_eg : s->tcx_in) &&
		    !pins_link_path(path, sizeof(path), s->o->pin_path, s->ifindex, eg))
			unlink(path); /* the only reference: the link goes */
	}
	if (s->tc_in_attached)
		tc_detach(s->ifindex, BPF_TC_INGRESS);
	if (s->tc_eg_attached)
		tc_detach(s->ifindex, BPF_TC_EGRESS);
	if (s->created_clsact)
		tc_destroy_clsact(s->ifindex);
	if (s->skel) {
		for (int i = 0; pins_map_names[i]; i++) {
			struct bpf_map *m =
				bpf_object__find_map_by_name(s->skel->obj, pins_map_names[i]);

			if (!s->pinned_before[i] && bpf_map__is_pinned(m))
				bpf_map__unpin(m, NULL);
		}
	}
}

static int record(struct attach_state *s)
{
	struct timespec ts;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(s->info.ifname, sizeof(s->info.ifname), "%s", s->o->ifname);
	s->info.ingress_prog_id =
		prog_id(s->info.ingress_hook == IFACE_HOOK_TC ? s->skel->progs.ipop_tc_in
							      : s->skel->progs.ipop_xdp);
	s->info.egress_prog_id = prog_id(s->skel->progs.ipop_tc_eg);
	s->info.created_clsact = s->created_clsact;
	/* tc_attach: set by attach_tc_prog() */
	s->info.loaded_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	err = bpf_map__update_elem(s->skel->maps.ifaces, &s->ifindex, sizeof(s->ifindex), &s->info,
				   sizeof(s->info), BPF_NOEXIST);
	if (err)
		return errmsg(s->msg, s->msglen, err, "cannot record %s in the interface map: %s",
			      s->o->ifname, strerror(-err));
	return 0;
}

static int already_loaded(const struct load_opts *o, int ifindex, char *msg, size_t msglen)
{
	struct iface_info info;
	int fd, err;

	fd = pins_open_map(o->pin_path, "ifaces");
	if (fd < 0)
		return 0;
	err = bpf_map_lookup_elem(fd, &ifindex, &info);
	close(fd);
	if (!err)
		return errmsg(msg, msglen, -EEXIST,
			      "ipop-bpf is already loaded on %s (hook %s); unload it first",
			      o->ifname, loader_hook_name(info.ingress_hook));
	return 0;
}

int loader_attach(const struct load_opts *o, char *msg, size_t msglen)
{
	struct attach_state s = { .o = o, .replaced_fd = -1, .msg = msg, .msglen = msglen };
	int hook = o->hook, lock = -1, err;

	loader_quiet();
	s.ifindex = if_nametoindex(o->ifname);
	if (!s.ifindex)
		return errmsg(msg, msglen, -ENODEV, "unknown interface '%s'", o->ifname);
	if (geteuid() != 0)
		return errmsg(msg, msglen, -EPERM,
			      "loading needs root (CAP_BPF and CAP_NET_ADMIN)");
	if (!is_ethernet(o->ifname))
		return errmsg(msg, msglen, -EOPNOTSUPP,
			      "%s is not an Ethernet device (the parser starts at an Ethernet "
			      "header: use a TAP, not a TUN)",
			      o->ifname);
	if (hook == HOOK_AUTO)
		hook = o->mode != MODE_AUTO ? HOOK_XDP : loader_default_hook(o->ifname);
	if (hook == HOOK_TC && o->mode != MODE_AUTO)
		return errmsg(msg, msglen, -EINVAL, "--mode applies to --ingress-hook xdp only");
	s.info.ingress_hook = hook == HOOK_TC	    ? IFACE_HOOK_TC
			      : o->mode == MODE_SKB ? IFACE_HOOK_XDP_SKB
						    : IFACE_HOOK_XDP_NATIVE;
	s.tc_mode = o->tc_mode;
	if (s.tc_mode == TC_MODE_AUTO && getenv("IPOP_TC_MODE")) {
		const char *e = getenv("IPOP_TC_MODE");

		if (!strcmp(e, "tcx"))
			s.tc_mode = TC_MODE_TCX;
		else if (!strcmp(e, "clsact"))
			s.tc_mode = TC_MODE_CLSACT;
		else if (strcmp(e, "auto"))
			return errmsg(msg, msglen, -EINVAL,
				      "IPOP_TC_MODE='%s' (the environment): auto, tcx or clsact",
				      e);
	}
	err = pins_prepare(o->pin_path, 1, msg, msglen);
	if (err)
		return err;
	lock = pins_lock(o->pin_path);
	if (lock < 0)
		return errmsg(msg, msglen, lock, "cannot lock %s: %s", o->pin_path,
			      strerror(-lock));
	err = already_loaded(o, s.ifindex, msg, msglen);
	if (!err)
		err = check_free(&s);
	if (!err)
		err = open_and_load(&s);
	if (!err && hook == HOOK_TC)
		err = attach_tc_prog(&s, false, s.skel->progs.ipop_tc_in);
	else if (!err)
		err = attach_xdp(&s);
	if (!err)
		err = attach_tc_prog(&s, true, s.skel->progs.ipop_tc_eg);
	if (!err)
		err = record(&s);
	if (err) {
		undo(&s);
		/* the directory too, if this call made it and left it empty */
		rmdir(o->pin_path);
	}
	xdp_program__close(s.xprog);
	if (s.replaced_fd >= 0)
		close(s.replaced_fd);
	ipop_flow_bpf__destroy(s.skel);
	pins_unlock(lock);
	return err;
}

/* One recorded TC program off ifindex, tcx or clsact. */
static void tc_prog_detach(int ifindex, const struct iface_info *info, bool egress)
{
	if (info->tc_attach == IFACE_TC_TCX)
		tcx_detach_prog(ifindex, egress,
				egress ? info->egress_prog_id : info->ingress_prog_id);
	else
		tc_detach(ifindex, egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
}

/* The pinned tcx links of ifindex (what still holds a link then lets it go). */
static void unpin_links(const char *pin_path, int ifindex)
{
	char path[PATH_MAX];

	for (int eg = 0; eg < 2; eg++)
		if (!pins_link_path(path, sizeof(path), pin_path, ifindex, eg))
			unlink(path);
}

static int detach_one(const char *pin_path, int ifaces_fd, int ifindex,
		      const struct iface_info *info, char *msg, size_t msglen)
{
	char name[IF_NAMESIZE];

	/* The interface may be gone (a deleted veth): then only forget it. */
	if (if_indextoname(ifindex, name)) {
		if (info->ingress_hook == IFACE_HOOK_TC) {
			tc_prog_detach(ifindex, info, false);
		} else if (xdp_attached_id(ifindex) == info->ingress_prog_id) {
			struct xdp_program *p = xdp_program__from_id(info->ingress_prog_id);
			enum xdp_attach_mode m = info->ingress_hook == IFACE_HOOK_XDP_SKB
							 ? XDP_MODE_SKB
							 : XDP_MODE_NATIVE;
			int err = libxdp_get_error(p);

			if (!err)
				err = xdp_program__detach(p, ifindex, m, 0);
			xdp_program__close(err ? NULL : p);
			if (err)
				return errmsg(msg, msglen, err, "cannot detach XDP from %s: %s",
					      name, strerror(-err));
		}
		tc_prog_detach(ifindex, info, true);
		if (info->created_clsact)
			tc_destroy_clsact(ifindex);
	}
	if (info->tc_attach == IFACE_TC_TCX)
		unpin_links(pin_path, ifindex);
	if (bpf_map_delete_elem(ifaces_fd, &ifindex))
		return errmsg(msg, msglen, -errno, "cannot forget ifindex %d: %s", ifindex,
			      strerror(errno));
	return 0;
}

/* Is what we recorded still what the kernel has attached? */
/* Is prog_id attached at ifindex's TC ingress or egress the way info records? */
static bool tc_has(int ifindex, const struct iface_info *info, bool egress, __u32 prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IPOP_TC_HANDLE, .priority = IPOP_TC_PRIO);
	__u32 progs[TCX_QUERY_MAX], links[TCX_QUERY_MAX];
	int n;

	if (info->tc_attach != IFACE_TC_TCX)
		return !bpf_tc_query(&hook, &opts) && opts.prog_id == prog_id;
	n = tcx_query(ifindex, egress, progs, links, TCX_QUERY_MAX);
	for (int i = 0; i < n; i++)
		if (progs[i] == prog_id)
			return true;
	return false;
}

bool loader_still_attached(int ifindex, const struct iface_info *info)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	bool in_ok;

	if (info->ingress_hook == IFACE_HOOK_TC)
		in_ok = tc_has(ifindex, info, false, info->ingress_prog_id);
	else
		in_ok = !bpf_xdp_query(ifindex, 0, &q) && (q.prog_id == info->ingress_prog_id ||
							   q.drv_prog_id == info->ingress_prog_id ||
							   q.skb_prog_id == info->ingress_prog_id);
	return in_ok && tc_has(ifindex, info, true, info->egress_prog_id);
}

int loader_lookup(const char *pin_path, int ifindex, struct iface_info *info)
{
	int fd = pins_open_map(pin_path, "ifaces"), err = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &ifindex, info))
		err = -errno;
	close(fd);
	return err;
}

static bool map_empty(int fd)
{
	__u32 key;

	return bpf_map_get_next_key(fd, NULL, &key) != 0;
}

/* The pinned ifaces map and the pin-path lock, both or neither: 0 or -errno with msg. */
static int open_ifaces_locked(const char *pin_path, int *fd, int *lock, char *msg, size_t msglen)
{
	*fd = pins_open_map(pin_path, "ifaces");
	if (*fd < 0)
		return errmsg(msg, msglen, *fd, "nothing is loaded (no maps pinned under %s)",
			      pin_path);
	*lock = pins_lock(pin_path);
	if (*lock < 0) {
		close(*fd);
		return errmsg(msg, msglen, *lock, "cannot lock %s: %s", pin_path, strerror(-*lock));
	}
	return 0;
}

int loader_detach(const char *pin_path, const char *ifname, bool all, bool keep_pins, char *msg,
		  size_t msglen)
{
	struct iface_info info;
	int fd, lock, err = 0, ifindex;
	__u32 key, next;

	loader_quiet();
	if (geteuid() != 0)
		return errmsg(msg, msglen, -EPERM,
			      "unloading needs root (CAP_BPF and CAP_NET_ADMIN)");
	err = pins_prepare(pin_path, 0, msg, msglen);
	if (err)
		return err;
	err = open_ifaces_locked(pin_path, &fd, &lock, msg, msglen);
	if (err)
		return err;
	if (all) {
		while (!err && !bpf_map_get_next_key(fd, NULL, &next)) {
			key = next;
			if (bpf_map_lookup_elem(fd, &key, &info))
				break;
			err = detach_one(pin_path, fd, key, &info, msg, msglen);
		}
	} else {
		ifindex = if_nametoindex(ifname);
		if (!ifindex)
			err = errmsg(msg, msglen, -ENODEV, "unknown interface '%s'", ifname);
		else if (bpf_map_lookup_elem(fd, &ifindex, &info))
			err = errmsg(msg, msglen, -ENOENT, "ipop-bpf is not loaded on %s", ifname);
		else
			err = detach_one(pin_path, fd, ifindex, &info, msg, msglen);
	}
	if (!err && !keep_pins && map_empty(fd))
		pins_remove_all(pin_path);
	close(fd);
	pins_unlock(lock);
	return err;
}

int loader_forget_index(const char *pin_path, int ifindex, char *msg, size_t msglen)
{
	struct iface_info info;
	int fd, lock, err;

	loader_quiet();
	err = open_ifaces_locked(pin_path, &fd, &lock, msg, msglen);
	if (err)
		return err;
	if (bpf_map_lookup_elem(fd, &ifindex, &info))
		err = errmsg(msg, msglen, -ENOENT, "nothing recorded for ifindex %d", ifindex);
	else
		err = detach_one(pin_path, fd, ifindex, &info, msg, msglen);
	close(fd);
	pins_unlock(lock);
	return err;
}

/* Our XDP program on ifindex, through a libxdp dispatcher or attached alone: 1 if detached. */
static int force_xdp(int ifindex, const char *ifname, char *msg, size_t msglen)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int n = 0, err = 0;

	if (!libxdp_get_error(mp) && mp && !xdp_multiprog__is_legacy(mp)) {
		enum xdp_attach_mode m = xdp_multiprog__attach_mode(mp);
		struct xdp_program *p;

		for (p = xdp_multiprog__next_prog(NULL, mp); p && !err;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (!ours_by_name(xdp_program__id(p)))
				continue;
			err = xdp_program__detach(p, ifindex, m, 0);
			n += !err;
		}
	}
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	if (err)
		return errmsg(msg, msglen, err, "cannot detach XDP from %s: %s", ifname,
			      strerror(-err));
	/* attached without a dispatcher (legacy mode, or replaced with --force) */
	if (!bpf_xdp_query(ifindex, 0, &q)) {
		if (ours_by_name(q.drv_prog_id))
			err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL), n += !err;
		if (!err && ours_by_name(q.skb_prog_id))
			err = bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL), n += !err;
		if (err)
			return errmsg(msg, msglen, err, "cannot detach XDP from %s: %s", ifname,
				      strerror(-err));
	}
	return n;
}

int loader_force_unload(const char *pin_path, struct force_unload *out, char *msg, size_t msglen)
{
	struct if_nameindex *ifs, *i;
	struct stat st;
	int err = 0;

	loader_quiet();
	memset(out, 0, sizeof(*out));
	if (geteuid() != 0)
		return errmsg(msg, msglen, -EPERM,
			      "unloading needs root (CAP_BPF and CAP_NET_ADMIN)");
	ifs = if_nameindex();
	if (!ifs)
		return errmsg(msg, msglen, -errno, "cannot list the interfaces: %s",
			      strerror(errno));
	for (i = ifs; i->if_index && !err; i++) {
		int n = force_xdp(i->if_index, i->if_name, msg, msglen);

		err = n < 0 ? n : 0;
		for (int w = 0; !err && w < 2; w++) {
			enum bpf_tc_attach_point where = w ? BPF_TC_EGRESS : BPF_TC_INGRESS;
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = i->if_index,
				    .attach_point = where);
			LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IPOP_TC_HANDLE,
				    .priority = IPOP_TC_PRIO);

			if (bpf_tc_query(&hook, &opts) || !ours_by_name(opts.prog_id))
				continue;
			opts.prog_id = 0; /* detach matches handle and priority only */
			opts.prog_fd = 0;
			opts.flags = 0;
			err = bpf_tc_detach(&hook, &opts);
			if (err)
				errmsg(msg, msglen, err,
				       "cannot detach the TC %s filter from %s: %s",
				       w ? "egress" : "ingress", i->if_name, strerror(-err));
			n += !err;
		}
		for (int eg = 0; !err && eg < 2; eg++) {
			__u32 progs[TCX_QUERY_MAX], links[TCX_QUERY_MAX];
			int k = tcx_query(i->if_index, eg, progs, links, TCX_QUERY_MAX);

			for (int j = 0; !err && j < k; j++) {
				int r;

				if (!ours_by_name(progs[j]))
					continue;
				r = tcx_detach_prog(i->if_index, eg, progs[j]);
				if (r < 0)
					err = errmsg(
						msg, msglen, r,
						"cannot detach the tcx %s program %u from %s: %s",
						eg ? "egress" : "ingress", progs[j], i->if_name,
						strerror(-r));
				else
					n += r;
			}
		}
		if (n > 0) {
			out->programs += n;
			out->interfaces++;
		}
	}
	if_freenameindex(ifs);
	if (!err && !stat(pin_path, &st)) {
		pins_remove_all(pin_path);
		out->pins_removed = stat(pin_path, &st) != 0;
	}
	return err;
}
