// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Config mistakes the loader would let through: a key nobody reads (a typo
 * such as "neighbors"), the same neighbour twice, keepalive_ms not below
 * dead_ms. Kept apart from dconf.c; called by the daemon after dconf_load.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon.h"

/* Every top-level key something reads (the daemon, its extensions, identity). */
static const char *const top_keys[] = {
	"node_id",	"key_file",	   "ctl_socket", "listen", "neighbours",
	"keepalive_ms", "dead_ms",	   "modules",	 "flows",  "ca_files",
	"cert_file",	"revocation_file", "vpn",	 NULL,
};
static const char *const nbr_keys[] = { "id", "address", NULL };

/* Edit distance of two short strings (at most 63 characters each, else large). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (la >= 64 || lb >= 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			tmp = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/* -EINVAL with err naming the first key of obj not in known (where: "" or "neighbours[2]: "). */
static int check_keys(const json_t *obj, const char *const *known, const char *where, char *err,
		      size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		const char *close = NULL;
		size_t best = 3; /* "did you mean" only for a distance of 1 or 2 */
		bool found = false;

		for (int i = 0; known[i] && !found; i++) {
			size_t dist = edit_distance(key, known[i]);

			found = dist == 0;
			if (dist < best) {
				best = dist;
				close = known[i];
			}
		}
		if (found)
			continue;
		if (close)
			snprintf(err, errlen, "%sunknown key '%.64s' (did you mean '%s'?)", where,
				 key, close);
		else
			snprintf(err, errlen, "%sunknown key '%.64s'", where, key);
		return -EINVAL;
	}
	return 0;
}

int dconf_check(const struct dconf *c, char *err, size_t errlen)
{
	json_t *nbrs = json_object_get(c->root, "neighbours"), *v;
	char where[48];
	size_t i;
	int ret = check_keys(c->root, top_keys, "", err, errlen);

	json_array_foreach(nbrs, i, v) {
		snprintf(where, sizeof(where), "neighbours[%zu]: ", i);
		ret = ret ?: check_keys(v, nbr_keys, where, err, errlen);
	}
	for (int a = 0; !ret && a < c->nnbrs; a++)
		for (int b = 0; b < a; b++)
			if (node_id_eq(&c->nbrs[a].id, &c->nbrs[b].id)) {
				snprintf(err, errlen,
					 "neighbours[%d]: the same 'id' as neighbours[%d]", a, b);
				return -EINVAL;
			}
	if (!ret && c->keepalive_ns >= c->dead_ns) {
		snprintf(err, errlen,
			 "'keepalive_ms' (%llu) must be below 'dead_ms' (%llu): a link would be "
			 "declared dead between two keepalives",
			 (unsigned long long)(c->keepalive_ns / 1000000),
			 (unsigned long long)(c->dead_ns / 1000000));
		return -EINVAL;
	}
	return ret;
}
