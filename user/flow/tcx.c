// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcx through the raw bpf() syscall. The attribute layouts are the kernel's
 * (include/uapi/linux/bpf.h, 6.6+), written out here because the installed
 * UAPI headers stop at 6.1; the kernel zero-checks whatever it does not know.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "flow/tcx.h"

#define ATTACH_TCX_INGRESS 46	     /* BPF_TCX_INGRESS */
#define ATTACH_TCX_EGRESS  47	     /* BPF_TCX_EGRESS */
#define F_BEFORE	   (1U << 3) /* BPF_F_BEFORE: with no relative program, the front */

/* union bpf_attr's link_create, as far as tcx uses it */
struct tcx_link_attr {
	__u32 prog_fd;
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 flags;
	__u32 relative_fd;
	__u32 pad;
	__u64 expected_revision;
};

/* union bpf_attr's query (BPF_PROG_QUERY) with the tcx fields */
struct tcx_query_attr {
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 query_flags;
	__u32 attach_flags;
	__u64 prog_ids;
	__u32 count;
	__u32 pad;
	__u64 prog_attach_flags;
	__u64 link_ids;
	__u64 link_attach_flags;
	__u64 revision;
};

/* union bpf_attr's prog detach */
struct tcx_detach_attr {
	__u32 target_ifindex;
	__u32 attach_bpf_fd;
	__u32 attach_type;
	__u32 attach_flags;
	__u32 replace_bpf_fd;
	__u32 relative_fd;
	__u64 expected_revision;
};

/* the size the kernel is told: a whole union bpf_attr, the rest zero */
union attr_buf {
	union bpf_attr attr;
	struct tcx_link_attr link;
	struct tcx_query_attr query;
	struct tcx_detach_attr detach;
	char pad[sizeof(union bpf_attr) > 128 ? sizeof(union bpf_attr) : 128];
};

static long sys_bpf(int cmd, union attr_buf *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static __u32 attach_type(bool egress)
{
	return egress ? ATTACH_TCX_EGRESS : ATTACH_TCX_INGRESS;
}

int tcx_link_create(int prog_fd, int ifindex, bool egress)
{
	union attr_buf a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.link.prog_fd = prog_fd;
	a.link.target_ifindex = ifindex;
	a.link.attach_type = attach_type(egress);
	a.link.flags = F_BEFORE;
	fd = sys_bpf(BPF_LINK_CREATE, &a);
	return fd < 0 ? -errno : (int)fd;
}

bool tcx_unsupported(int err)
{
	/* older kernels: unknown attach type (EINVAL), or no link support at all */
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS || err == -E2BIG;
}

int tcx_query(int ifindex, bool egress, __u32 *prog_ids, __u32 *link_ids, int max)
{
	union attr_buf a;

	memset(&a, 0, sizeof(a));
	a.query.target_ifindex = ifindex;
	a.query.attach_type = attach_type(egress);
	a.query.prog_ids = (unsigned long)prog_ids;
	a.query.link_ids = (unsigned long)link_ids;
	a.query.count = max;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return errno == ENOSPC ? max : -errno; /* ENOSPC: the first max are filled */
	return (int)a.query.count < max ? (int)a.query.count : max;
}

static int detach_one(int ifindex, bool egress, __u32 prog_id, __u32 link_id)
{
	union attr_buf a;
	int fd, err = 0;

	if (link_id) {
		fd = bpf_link_get_fd_by_id(link_id);
		if (fd < 0)
			return -errno;
		if (bpf_link_detach(fd))
			err = -errno;
		close(fd);
		return err;
	}
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.detach.target_ifindex = ifindex;
	a.detach.attach_bpf_fd = fd;
	a.detach.attach_type = attach_type(egress);
	if (sys_bpf(BPF_PROG_DETACH, &a) < 0)
		err = -errno;
	close(fd);
	return err;
}

int tcx_detach_prog(int ifindex, bool egress, __u32 prog_id)
{
	__u32 progs[TCX_QUERY_MAX], links[TCX_QUERY_MAX];
	int n = tcx_query(ifindex, egress, progs, links, TCX_QUERY_MAX), done = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int err;

		if (progs[i] != prog_id)
			continue;
		err = detach_one(ifindex, egress, progs[i], links[i]);
		if (err)
			return err;
		done++;
	}
	return done;
}
