/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The daemon's own control ops: ping, stats, neighbours, icc_blast. */
#ifndef IPOP_FW_CTL_OPS_H
#define IPOP_FW_CTL_OPS_H

#include "daemon/ctl.h"

extern const struct ctl_op daemon_ctl_ops[];

#endif /* IPOP_FW_CTL_OPS_H */
