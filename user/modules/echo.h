/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Small destination modules: echo/log (count and log what arrives, so an
 * operator can see a delivery) and flood (re-send through CMM to every
 * neighbour but the sender: the baseline the simulator measures).
 */
#ifndef IPOP_MOD_ECHO_H
#define IPOP_MOD_ECHO_H

#include "core/module.h"

enum echo_ctr { ECHO_C_RECEIVED, ECHO_C_BYTES, ECHO_C_LOG_SUPPRESSED, ECHO_C__MAX };
enum flood_ctr { FLOOD_C_ORIGINATED, FLOOD_C_RECEIVED, FLOOD_C_FORWARDED, FLOOD_C__MAX };

extern const struct module_ops echo_module;
extern const struct module_ops log_module;
extern const struct module_ops flood_module;

/* Start a flood of (id, data) from this node. Returns messages sent or -errno. */
int flood_start(struct module *flood, const struct msg_id *id, const void *data, size_t len);

#endif /* IPOP_MOD_ECHO_H */
