/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The built-in control ops: ping, stats, neighbours, cmm_send, icc_blast. */
#ifndef IPOP_FW_CTL_OPS_H
#define IPOP_FW_CTL_OPS_H

/* Idempotent; called before the first dispatch. */
void ctl_builtin_ops_register(void);

#endif /* IPOP_FW_CTL_OPS_H */
