// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Topology's control op: {"op": "topology"} -> this node's route entries. */
#include "modules/topology.h"

static json_t *op_topology(struct module *topo, json_t *req, char *err, size_t errlen)
{
	(void)req;
	(void)err;
	(void)errlen;
	return topology_state_json(topo);
}

const struct module_ctl_op topology_ctl_ops[] = {
	{ "topology", op_topology },
	{ NULL, NULL },
};
