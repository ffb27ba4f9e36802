/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcx (kernel 6.6+): BPF programs on a device's TC ingress/egress without a
 * clsact qdisc or a classifier, attached as BPF links. Raw bpf() calls: the
 * libbpf this builds against (1.1) and the UAPI headers (6.1) predate tcx.
 */
#ifndef IPOP_TCX_H
#define IPOP_TCX_H

#include <stdbool.h>
#include <linux/types.h>

#define TCX_QUERY_MAX 64 /* programs per device and direction we look at */

/*
 * Attach prog_fd at ifindex's tcx ingress or egress, in front of every tcx
 * program already there. The link fd (the caller pins or closes it), or
 * -errno: -EINVAL/-EOPNOTSUPP/-ENOSYS when the kernel has no tcx.
 */
int tcx_link_create(int prog_fd, int ifindex, bool egress);

/* Is err from tcx_link_create "this kernel has no tcx" (try clsact instead)? */
bool tcx_unsupported(int err);

/*
 * The programs on ifindex's tcx ingress or egress, in run order, with the
 * link that holds each (0: attached without a link). The count, or -errno.
 */
int tcx_query(int ifindex, bool egress, __u32 *prog_ids, __u32 *link_ids, int max);

/* Detach every attachment of prog_id at ifindex's tcx hook: how many, or -errno. */
int tcx_detach_prog(int ifindex, bool egress, __u32 prog_id);

#endif /* IPOP_TCX_H */
