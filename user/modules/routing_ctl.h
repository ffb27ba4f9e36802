/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Control ops of TLFM, SPDM and SRUM (routing_ctl.c), in their module_ops. */
#ifndef IPOP_MOD_ROUTING_CTL_H
#define IPOP_MOD_ROUTING_CTL_H

#include "core/module.h"

extern const struct module_ctl_op tlfm_ctl_ops[];
extern const struct module_ctl_op spdm_ctl_ops[];
extern const struct module_ctl_op srum_ctl_ops[];

#endif /* IPOP_MOD_ROUTING_CTL_H */
