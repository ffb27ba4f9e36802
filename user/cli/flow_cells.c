// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/flow_cells.h"

json_int_t flow_jint(json_t *f, const char *k)
{
	return json_integer_value(json_object_get(f, k));
}

const char *flow_jstr(json_t *f, const char *k)
{
	const char *s = json_string_value(json_object_get(f, k));

	return s ? s : "";
}

static void endpoint(char *buf, size_t len, json_t *f, const char *addr, const char *port)
{
	int proto = flow_jint(f, "proto");
	bool ports = proto == 6 || proto == 17 || proto == 132 || proto == 136;
	const char *a = flow_jstr(f, addr);

	if (!*a)
		snprintf(buf, len, "-");
	else if (!ports || json_is_true(json_object_get(f, "fragment")))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, strchr(a, ':') ? "[%s]:%lld" : "%s:%lld", a,
			 (long long)flow_jint(f, port));
}

void flow_cells(struct flow_cells *c, json_t *f)
{
	__u8 proto = flow_jint(f, "proto");
	size_t n;

	endpoint(c->src, sizeof(c->src), f, "src", "sport");
	endpoint(c->dst, sizeof(c->dst), f, "dst", "dport");
	if (!*flow_jstr(f, "src")) {
		snprintf(c->proto, sizeof(c->proto), "eth 0x%04llx",
			 (long long)flow_jint(f, "ethertype"));
		return;
	}
	fmt_proto(c->proto, sizeof(c->proto), proto);
	n = strlen(c->proto);
	if (proto == 1 || proto == 58) /* type/code */
		n += snprintf(c->proto + n, sizeof(c->proto) - n, " %lld/%lld",
			      (long long)flow_jint(f, "sport"), (long long)flow_jint(f, "dport"));
	if (n < sizeof(c->proto) && json_is_true(json_object_get(f, "fragment")))
		snprintf(c->proto + n, sizeof(c->proto) - n, " frag");
}
