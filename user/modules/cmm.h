/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * CMM, core multicast: one ICC message per listed neighbour, delivered by
 * the neighbour's CMM to a named destination module, at most once per
 * message ID per node (bounded, expiring seen-cache).
 */
#ifndef IPOP_MOD_CMM_H
#define IPOP_MOD_CMM_H

#include "core/module.h"

#define CMM_NAME	   "cmm"
#define CMM_HDR_LEN	   (2 + ICC_MOD_LEN)
#define CMM_MAX_DATA	   (ICC_MAX_PAYLOAD - CMM_HDR_LEN)
#define CMM_DEFAULT_SEEN   4096
#define CMM_DEFAULT_TTL_MS 60000

enum cmm_ctr {
	CMM_C_SENT,
	CMM_C_RECEIVED,
	CMM_C_DELIVERED,
	CMM_C_DUPLICATES,
	CMM_C_SKIPPED_SELF,
	CMM_C_SKIPPED_REPEAT,
	CMM_C_DROP_MALFORMED,
	CMM_C_DROP_UNKNOWN_MODULE,
	CMM_C_DROP_SEND_FAILED,
	CMM_C_DROP_NO_MEMORY,
	CMM_C__MAX,
};

extern const struct module_ops cmm_module;
/* Control ops (cmm_ctl.c): cmm_send. */
extern const struct module_ctl_op cmm_ctl_ops[];

/*
 * Send (id, data) to the module dmm on each node of to[] through their CMM.
 * Self and repeated entries are skipped; the ID is marked seen here, so it
 * is never delivered back to this node. Returns the number of messages sent
 * or -errno (-EINVAL bad name/size, -ENOENT no CMM on this node).
 */
int cmm_send(struct module *cmm, const struct msg_id *id, const void *data, size_t len,
	     const struct node_id *to, int nto, const char *dmm);
/* The same, from any module on the node (finds its CMM). */
int cmm_send_from(struct module *caller, const struct msg_id *id, const void *data, size_t len,
		  const struct node_id *to, int nto, const char *dmm);

#endif /* IPOP_MOD_CMM_H */
