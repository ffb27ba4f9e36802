// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* JSON views of a statistics snapshot (what the control socket answers). */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/fmt.h"
#include "flow/ifnames.h"
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

static json_t *flow_json(struct ifnames *names, const struct flow_key *k,
			 const struct flow_value *v)
{
	char ifname[IF_NAMESIZE];
	json_t *j = fmt_flow_json(k, v, ifnames_get(names, k->ifindex, ifname));

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

static const char *const sort_names[STATS_SORT_MAX] = {
	[STATS_SORT_BYTES] = "bytes",
	[STATS_SORT_PACKETS] = "packets",
	[STATS_SORT_RATE] = "rate",
};

const char *stats_sort_name(int how)
{
	return how >= 0 && how < STATS_SORT_MAX ? sort_names[how] : sort_names[STATS_SORT_BYTES];
}

int stats_sort_parse(const char *name)
{
	for (int i = 0; name && i < STATS_SORT_MAX; i++)
		if (!strcmp(sort_names[i], name))
			return i;
	return -1;
}

static int cmp_u64(__u64 x, __u64 y)
{
	return x < y ? 1 : x > y ? -1 : 0; /* largest first */
}

static int cmp_dbl(double x, double y)
{
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The order: the key `how`, then bytes, packets and rate, then the flow key (a total order). */
static int flow_cmp(const void *a, const void *b, void *ctx)
{
	const struct stats_flow *x = *(const struct stats_flow *const *)a;
	const struct stats_flow *y = *(const struct stats_flow *const *)b;
	int how = *(const int *)ctx, c = 0;

	if (how == STATS_SORT_PACKETS)
		c = cmp_u64(x->val.packets, y->val.packets);
	else if (how == STATS_SORT_RATE)
		c = cmp_dbl(x->rate_mbps, y->rate_mbps);
	c = c ?: cmp_u64(x->val.bytes, y->val.bytes);
	c = c ?: cmp_u64(x->val.packets, y->val.packets);
	c = c ?: cmp_dbl(x->rate_mbps, y->rate_mbps);
	return c ?: memcmp(&x->key, &y->key, sizeof(x->key));
}

void stats_flows_sort(const struct stats_flow **v, size_t n, int how)
{
	if (n < 2)
		return; /* qsort_r(NULL, 0, ...) is undefined */
	qsort_r(v, n, sizeof(*v), flow_cmp, &how);
}

static size_t limited(size_t n, size_t limit)
{
	return limit && limit < n ? limit : n;
}

json_t *stats_snapshot_json_flows(const struct stats_snapshot *snap, size_t limit, int how,
				  struct ifnames *names)
{
	const struct stats_flow **order = malloc((snap->n_flows + 1) * sizeof(*order));
	json_t *arr = json_array(), *j;

	if (!order || !arr)
		goto fail;
	for (size_t i = 0; i < snap->n_flows; i++)
		order[i] = &snap->flows[i];
	stats_flows_sort(order, snap->n_flows, how);
	for (size_t i = 0; i < limited(snap->n_flows, limit); i++) {
		const struct stats_flow *f = order[i];
		char ifname[IF_NAMESIZE];

		j = stats_flow_json(f, ifnames_get(names, f->key.ifindex, ifname));
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

json_t *stats_snapshot_json_ended(const struct stats_snapshot *snap, size_t limit,
				  struct ifnames *names)
{
	json_t *arr = json_array(), *j;

	for (size_t i = 0; arr && i < limited(snap->n_ended, limit); i++) {
		const struct stats_ended *e = &snap->ended[i];

		j = flow_json(names, &e->key, &e->val);
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
