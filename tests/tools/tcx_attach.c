// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcx_attach: attach a TC program through tcx (BPF_TCX_INGRESS/EGRESS,
 * kernel 6.6+, no qdisc, no classifier) for the benchmark, or detach every
 * tcx program of a device. The program stays attached after exit (tcx holds
 * it, as tc holds a filter's), so the bench can compare the hook with
 * clsact/cls_bpf.
 *
 *   tcx_attach OBJ PROG IFNAME [ingress|egress]
 *   tcx_attach --detach IFNAME [ingress|egress]
 *   tcx_attach --query IFNAME [ingress|egress]
 *
 * --query prints the tcx programs of the device, in run order, one
 * "PROG_NAME PROG_ID LINK_ID" line each (LINK_ID 0: attached without a link);
 * bpftool 7.1 does not list tcx. Exit 1 when the kernel has no tcx.
 *
 * The raw syscall: this libbpf (1.1) predates tcx; the attach types are the
 * kernel's numbers.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "flow/tcx.h"

#define TCX_INGRESS 46 /* BPF_TCX_INGRESS */
#define TCX_EGRESS  47 /* BPF_TCX_EGRESS */

static int sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a)) ? -errno : 0;
}

static int detach_all(int ifindex, int type)
{
	union bpf_attr a;
	__u32 ids[64];
	int err;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = ifindex; /* target_ifindex in newer headers */
	a.query.attach_type = type;
	a.query.prog_ids = (unsigned long)ids;
	a.query.prog_cnt = 64;
	err = sys_bpf(BPF_PROG_QUERY, &a);
	if (err)
		return err;
	for (__u32 i = 0; i < a.query.prog_cnt && i < 64; i++) {
		union bpf_attr d;
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			return -errno;
		memset(&d, 0, sizeof(d));
		d.target_fd = ifindex;
		d.attach_bpf_fd = fd;
		d.attach_type = type;
		err = sys_bpf(BPF_PROG_DETACH, &d);
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

static int query(int ifindex, int egress)
{
	__u32 progs[TCX_QUERY_MAX], links[TCX_QUERY_MAX];
	int n = tcx_query(ifindex, egress, progs, links, TCX_QUERY_MAX);

	if (n < 0) {
		fprintf(stderr, "tcx_attach: query: %s\n", strerror(-n));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(progs[i]);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len))
			info.name[0] = 0;
		if (fd >= 0)
			close(fd);
		printf("%s %u %u\n", info.name[0] ? info.name : "?", progs[i], links[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int qry = argc >= 3 && !strcmp(argv[1], "--query");
	int det = (argc >= 3 && !strcmp(argv[1], "--detach")) || qry, base = det ? 3 : 4, ifindex,
	    type, err;
	struct bpf_object *obj;
	struct bpf_program *p;
	union bpf_attr a;

	if (argc < base || argc > base + 1) {
		fprintf(stderr, "usage: tcx_attach OBJ PROG IFNAME [ingress|egress]\n"
				"       tcx_attach --detach IFNAME [ingress|egress]\n"
				"       tcx_attach --query IFNAME [ingress|egress]\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[base - 1]);
	type = argc > base && !strcmp(argv[base], "egress") ? TCX_EGRESS : TCX_INGRESS;
	if (!ifindex) {
		fprintf(stderr, "tcx_attach: no device %s\n", argv[base - 1]);
		return 1;
	}
	if (qry)
		return query(ifindex, type == TCX_EGRESS);
	if (det) {
		err = detach_all(ifindex, type);
		if (err)
			fprintf(stderr, "tcx_attach: detach from %s: %s\n", argv[2],
				strerror(-err));
		return err ? 1 : 0;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "tcx_attach: cannot load %s\n", argv[1]);
		return 1;
	}
	p = bpf_object__find_program_by_name(obj, argv[2]);
	if (!p) {
		fprintf(stderr, "tcx_attach: no program %s in %s\n", argv[2], argv[1]);
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.target_fd = ifindex;
	a.attach_bpf_fd = bpf_program__fd(p);
	a.attach_type = type;
	err = sys_bpf(BPF_PROG_ATTACH, &a);
	if (err)
		fprintf(stderr, "tcx_attach: attach to %s: %s (tcx needs kernel 6.6)\n", argv[3],
			strerror(-err));
	bpf_object__close(obj);
	return err ? 1 : 0;
}
