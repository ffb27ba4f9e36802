// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>

#include "sim/scen_routing_int.h"

json_t *sim_srum_run(const struct routing_args *a, char *err, size_t errlen)
{
	(void)a;
	snprintf(err, errlen, "not built yet");
	return NULL;
}
