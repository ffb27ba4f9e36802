/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef IPOP_TCFILT_H
#define IPOP_TCFILT_H

/*
 * The number of TC filters on ifindex's clsact ingress and egress together
 * (0 when it has none, or no clsact), or -errno. A creator of the qdisc
 * deletes it only at 0: the filters left belong to somebody else.
 */
int tc_filter_count(int ifindex);

#endif /* IPOP_TCFILT_H */
