/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The text cells of one flow as `flows` and `top` print it, from the JSON
 * object of the flows views (fmt_flow_json): "10.0.0.1:80" or
 * "[fd00::1]:80" (the bare address when the protocol has no ports or the
 * packet is a later fragment, "-" without an address), and the protocol
 * ("udp", "icmp 8/0", "tcp frag", "eth 0x88cc" for non-IP).
 */
#ifndef IPOP_FLOW_CELLS_H
#define IPOP_FLOW_CELLS_H

#include <jansson.h>

#include "flow/fmt.h"

struct flow_cells {
	char src[FMT_ADDR_LEN + 8], dst[FMT_ADDR_LEN + 8], proto[24];
};

void flow_cells(struct flow_cells *c, json_t *f);

/* Integer and string members of f (0 and "" when absent). */
json_int_t flow_jint(json_t *f, const char *k);
const char *flow_jstr(json_t *f, const char *k);

#endif /* IPOP_FLOW_CELLS_H */
