/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow-table definitions: parsed from the command line's words
 * ("web prio 10 proto tcp dport 80-443") or from JSON, and printed back.
 */
#ifndef IPOP_RULE_H
#define IPOP_RULE_H

#include <stddef.h>
#include <jansson.h>

#include "cls.h"

/*
 * A definition before the interface name is resolved: `dev` stays a name
 * until the daemon (in its own network namespace) resolves it.
 */
struct rule {
	struct cls_table_def def;
	char dev[16];
};

/*
 * Parse "NAME [prio N] [dev IF] [dir ingress|egress] [ip 4|6] [proto P]
 * [src PREFIX] [dst PREFIX] [sport N[-M]] [dport N[-M]]". On error returns
 * -EINVAL and writes a message naming the offending word into err.
 */
int rule_parse_words(struct rule *r, int argc, char **argv, char *err, size_t errlen);

/* The same from a JSON object {"name": ..., "prio": N, "proto": "tcp", ...}. */
int rule_from_json(struct rule *r, json_t *j, char *err, size_t errlen);

/* The definition as a JSON object (the shape rule_from_json reads). */
json_t *rule_to_json(const struct rule *r);

/* Check the combination (ports need tcp/udp/sctp/udplite, prefix family agrees with ip). */
int rule_validate(struct rule *r, char *err, size_t errlen);

#endif /* IPOP_RULE_H */
