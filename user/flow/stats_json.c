// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* JSON views of a statistics snapshot (what the control socket answers). */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/fmt.h"
#include "flow/stats.h"

static const char *const dp_names[DP_STAT_MAX] = {
	[DP_STAT_PACKETS] = "packets",
	[DP_STAT_PARSE_ERROR] = "parse_errors",
	[DP_STAT_NON_IP] = "non_ip",
	[DP_STAT_FLOW_NEW] = "flows_new",
	[DP_STAT_INSERT_FAIL] = "insert_failures",
	[DP_STAT_FRAGMENT] = "fragments",
};

const char *stats_dp_name(unsigned int idx)
{
	return idx < DP_STAT_MAX ? dp_names[idx] : "unknown";
}

struct ifcache {
	size_t n;
	struct {
		__u32 ifindex;
		char name[IF_NAMESIZE];
	} e[32];
};

static const char *ifname_cached(struct ifcache *c, __u32 ifindex, char *buf)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].ifindex == ifindex)
			return c->e[i].name;
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	if (c->n < sizeof(c->e) / sizeof(c->e[0])) {
		c->e[c->n].ifindex = ifindex;
		memcpy(c->e[c->n++].name, buf, IF_NAMESIZE);
	}
	return buf;
}

static json_t *flow_json(struct ifcache *c, const struct flow_key *k, const struct flow_value *v)
{
	char ifname[IF_NAMESIZE];
	json_t *j = fmt_flow_json(k, v, ifname_cached(c, k->ifindex, ifname));

	if (j)
		json_object_set_new(j, "table_id", json_integer(v->table_id));
	return j;
}

json_t *stats_flow_json(const struct stats_flow *f, const char *ifname)
{
	json_t *j = fmt_flow_json(&f->key, &f->val, ifname);

	if (j && (json_object_set_new(j, "table_id", json_integer(f->val.table_id)) ||
		  json_object_set_new(j, "idle_s", json_real(f->idle_s)) ||
		  json_object_set_new(j, "rate_mbps", json_real(f->rate_mbps)) ||
		  json_object_set_new(j, "rate_avg_mbps", json_real(f->rate_avg_mbps)) ||
		  json_object_set_new(j, "pps", json_real(f->pps)))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int cmp_flow_bytes(const void *a, const void *b)
{
	const struct stats_flow *x = *(const struct stats_flow *const *)a;
	const struct stats_flow *y = *(const struct stats_flow *const *)b;

	if (x->val.bytes != y->val.bytes)
		return x->val.bytes < y->val.bytes ? 1 : -1;
	return x->val.packets < y->val.packets ? 1 : x->val.packets > y->val.packets ? -1 : 0;
}

static size_t limited(size_t n, size_t limit)
{
	return limit && limit < n ? limit : n;
}

json_t *stats_snapshot_json_flows_by(const struct stats_snapshot *snap, size_t limit,
				     int (*cmp)(const void *, const void *))
{
	const struct stats_flow **order = malloc((snap->n_flows + 1) * sizeof(*order));
	json_t *arr = json_array(), *j;
	struct ifcache c = { 0 };

	if (!order || !arr)
		goto fail;
	for (size_t i = 0; i < snap->n_flows; i++)
		order[i] = &snap->flows[i];
	qsort(order, snap->n_flows, sizeof(*order), cmp);
	for (size_t i = 0; i < limited(snap->n_flows, limit); i++) {
		const struct stats_flow *f = order[i];
		char ifname[IF_NAMESIZE];

		j = stats_flow_json(f, ifname_cached(&c, f->key.ifindex, ifname));
		if (!j || json_array_append_new(arr, j))
			goto fail;
	}
	free(order);
	return arr;
fail:
	free(order);
	json_decref(arr);
	return NULL;
}

json_t *stats_snapshot_json_flows(const struct stats_snapshot *snap, size_t limit)
{
	return stats_snapshot_json_flows_by(snap, limit, cmp_flow_bytes);
}

json_t *stats_snapshot_json_tables(const struct stats_snapshot *snap, size_t limit)
{
	json_t *arr = json_array(), *j;

	for (size_t i = 0; arr && i < limited(snap->n_tables, limit); i++) {
		const struct stats_table *t = &snap->tables[i];

		j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:f, s:f, s:f, s:I, s:I}", "name",
			      t->name, "id", (json_int_t)t->id, "prio", (json_int_t)t->prio,
			      "packets", (json_int_t)t->packets, "bytes", (json_int_t)t->bytes,
			      "idle_s", t->idle_s < 0 ? json_null() : json_real(t->idle_s),
			      "rate_mbps", t->rate_mbps, "rate_avg_mbps", t->rate_avg_mbps, "pps",
			      t->pps, "first_hit_ns", (json_int_t)t->first_hit_ns, "last_hit_ns",
			      (json_int_t)t->last_hit_ns);
		if (!j || json_array_append_new(arr, j)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *stats_snapshot_json_ended(const struct stats_snapshot *snap, size_t limit)
{
	json_t *arr = json_array(), *j;
	struct ifcache c = { 0 };

	for (size_t i = 0; arr && i < limited(snap->n_ended, limit); i++) {
		const struct stats_ended *e = &snap->ended[i];

		j = flow_json(&c, &e->key, &e->val);
		if (!j || json_array_append_new(arr, j)) {
			json_decref(arr);
			return NULL;
		}
		json_object_set_new(j, "reason", json_string(stats_end_reason_name(e->reason)));
		json_object_set_new(j, "ended_ns", json_integer(e->ended_ns));
	}
	return arr;
}

json_t *stats_snapshot_json_dp(const struct stats_snapshot *snap)
{
	json_t *j = json_object(), *ended = json_object();

	if (!j || !ended)
		goto fail;
	for (int k = 0; k < DP_STAT_MAX; k++)
		if (json_object_set_new(j, dp_names[k], json_integer(snap->dp[k])))
			goto fail;
	for (int r = 0; r < STATS_END_MAX; r++)
		if (json_object_set_new(ended, stats_end_reason_name(r),
					json_integer(snap->ended_count[r])))
			goto fail;
	/* "ended" first: set_new takes it over even when it fails */
	if (json_object_set_new(j, "ended", ended) ||
	    json_object_set_new(j, "flows_live", json_integer(snap->flows_live)) ||
	    json_object_set_new(j, "flows_max", json_integer(snap->flows_max)) ||
	    json_object_set_new(j, "pass_ms", json_real(snap->pass_ns / 1e6)) ||
	    json_object_set_new(j, "partial", json_boolean(snap->partial)) ||
	    json_object_set_new(j, "taken_ns", json_integer(snap->taken_ns)))
		goto fail_j;
	return j;
fail:
	json_decref(ended);
fail_j:
	json_decref(j);
	return NULL;
}
