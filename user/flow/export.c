// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Prometheus text format 0.0.4 from a statistics snapshot; see export.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "flow/export.h"
#include "flow/fmt.h"
#include "flow/ifnames.h"
#include "flow/loader.h"
#include "flow/mapread.h"
#include "flow/pins.h"
#include "flow/stats.h"

void export_put_label_value(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '"')
			fputs("\\\"", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fputc('?',
			      f); /* the format wants UTF-8: an odd interface name must not break it */
		else
			fputc(*p, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k1="v1",...} : n label pairs from kv (key, value, key, value...) */
static void series(FILE *f, const char *name, int n, const char *const *kv)
{
	fputs(name, f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%c%s=\"", i ? ',' : '{', kv[2 * i]);
		export_put_label_value(f, kv[2 * i + 1]);
		fputc('"', f);
	}
	if (n)
		fputc('}', f);
}

static void put_u64(FILE *f, const char *name, int n, const char *const *kv, unsigned long long v)
{
	series(f, name, n, kv);
	fprintf(f, " %llu\n", v);
}

static void put_dbl(FILE *f, const char *name, int n, const char *const *kv, double v)
{
	series(f, name, n, kv);
	if (v != v)
		v = 0; /* never NaN: a rate over no time is 0 */
	fprintf(f, " %.10g\n", v);
}

/* ---- datapath, flow table and interface families ---- */

static const struct {
	int idx;
	const char *name, *help;
} dp_families[] = {
	{ DP_STAT_PACKETS, "ipop_datapath_packets_total", "Frames the datapath programs saw." },
	{ DP_STAT_PARSE_ERROR, "ipop_datapath_parse_errors_total",
	  "Malformed or truncated frames (not counted as flows)." },
	{ DP_STAT_NON_IP, "ipop_datapath_non_ip_total", "Non-IP frames (counted by EtherType)." },
	{ DP_STAT_FLOW_NEW, "ipop_datapath_flows_new_total", "Flows inserted into the flow map." },
	{ DP_STAT_INSERT_FAIL, "ipop_datapath_insert_failures_total",
	  "Failed inserts into the flow map." },
	{ DP_STAT_FRAGMENT, "ipop_datapath_fragments_total", "IP fragments seen." },
};

static void render_dp(FILE *f, const struct stats_snapshot *s)
{
	for (size_t i = 0; i < sizeof(dp_families) / sizeof(dp_families[0]); i++) {
		family(f, dp_families[i].name, "counter", dp_families[i].help);
		if (s)
			put_u64(f, dp_families[i].name, 0, NULL, s->dp[dp_families[i].idx]);
	}
	family(f, "ipop_flows", "gauge", "Live entries in the flow map.");
	if (s)
		put_u64(f, "ipop_flows", 0, NULL, s->flows_live);
	family(f, "ipop_flows_max", "gauge", "Capacity of the flow map.");
	if (s)
		put_u64(f, "ipop_flows_max", 0, NULL, s->flows_max);
	family(f, "ipop_flows_ended_total", "counter",
	       "Flows ended since the daemon started, by reason (evicted: by the LRU).");
	for (int r = 0; s && r < STATS_END_MAX; r++) {
		const char *kv[] = { "reason", stats_end_reason_name(r) };

		put_u64(f, "ipop_flows_ended_total", 1, kv, s->ended_count[r]);
	}
}

static void render_tables(FILE *f, const struct stats_snapshot *s)
{
	size_t n = s ? s->n_tables : 0;

	family(f, "ipop_table_packets_total", "counter", "Packets counted in the flow table.");
	for (size_t i = 0; i < n; i++)
		put_u64(f, "ipop_table_packets_total", 1,
			(const char *[]){ "table", s->tables[i].name }, s->tables[i].packets);
	family(f, "ipop_table_bytes_total", "counter",
	       "Bytes (frames, Ethernet header included) counted in the flow table.");
	for (size_t i = 0; i < n; i++)
		put_u64(f, "ipop_table_bytes_total", 1,
			(const char *[]){ "table", s->tables[i].name }, s->tables[i].bytes);
	family(f, "ipop_table_rate_bytes_per_second", "gauge",
	       "Rate of the flow table over the last statistics interval, in bytes/s.");
	for (size_t i = 0; i < n; i++)
		put_dbl(f, "ipop_table_rate_bytes_per_second", 1,
			(const char *[]){ "table", s->tables[i].name },
			s->tables[i].rate_mbps * 1e6 / 8);
	family(f, "ipop_table_idle_seconds", "gauge",
	       "Seconds since the flow table was last hit (absent for a table never hit).");
	for (size_t i = 0; i < n; i++)
		if (s->tables[i].idle_s >= 0)
			put_dbl(f, "ipop_table_idle_seconds", 1,
				(const char *[]){ "table", s->tables[i].name },
				s->tables[i].idle_s);
}

static void render_ifaces(FILE *f, const struct export_input *in)
{
	family(f, "ipop_interface_info", "gauge",
	       "Interfaces the datapath is attached to, with the ingress hook (always 1).");
	for (size_t i = 0; i < in->n_ifaces; i++) {
		const char *kv[] = { "ifname", in->ifaces[i].ifname, "ingress_hook",
				     loader_hook_name(in->ifaces[i].ingress_hook) };

		put_u64(f, "ipop_interface_info", 2, kv, 1);
	}
}

/* ---- per-flow series: merge by label set, then the top K by rate ---- */

#define FLOW_LABELS 7

struct frow {
	char ifname[IF_NAMESIZE], dir[8], src[FMT_ADDR_LEN], dst[FMT_ADDR_LEN], proto[16];
	char sport[8], dport[8];
	unsigned long long packets, bytes;
	double rate_Bps, idle_s;
};

static void frow_labels(const struct frow *r, const char *kv[2 * FLOW_LABELS])
{
	const char *v[FLOW_LABELS] = { r->ifname, r->dir,   r->src,  r->dst,
				       r->proto,  r->sport, r->dport };
	static const char *const k[FLOW_LABELS] = { "ifname", "direction", "src",  "dst",
						    "proto",  "sport",	   "dport" };

	for (int i = 0; i < FLOW_LABELS; i++) {
		kv[2 * i] = k[i];
		kv[2 * i + 1] = v[i];
	}
}

static int frow_cmp_labels(const void *a, const void *b)
{
	const char *ka[2 * FLOW_LABELS], *kb[2 * FLOW_LABELS];
	int c;

	frow_labels(a, ka);
	frow_labels(b, kb);
	for (int i = 0; i < FLOW_LABELS; i++)
		if ((c = strcmp(ka[2 * i + 1], kb[2 * i + 1])))
			return c;
	return 0;
}

/* highest rate first; ties: more bytes, then the labels (a stable, total order) */
static int frow_cmp_rate(const void *a, const void *b)
{
	const struct frow *x = a, *y = b;

	if (x->rate_Bps != y->rate_Bps)
		return x->rate_Bps < y->rate_Bps ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return frow_cmp_labels(a, b);
}

static void frow_fill(struct frow *r, struct ifnames *names, const struct stats_flow *fl)
{
	const struct flow_key *k = &fl->key;
	char buf[IF_NAMESIZE];

	snprintf(r->ifname, sizeof(r->ifname), "%s", ifnames_get(names, k->ifindex, buf));
	snprintf(r->dir, sizeof(r->dir), "%s", fmt_dir(k->dir));
	fmt_addr(r->src, sizeof(r->src), k->l3, k->src);
	fmt_addr(r->dst, sizeof(r->dst), k->l3, k->dst);
	if (k->l3 == FLOW_L3_IPV4 || k->l3 == FLOW_L3_IPV6)
		fmt_proto(r->proto, sizeof(r->proto), k->proto);
	else
		snprintf(r->proto, sizeof(r->proto), "eth-0x%04x", k->ethertype);
	snprintf(r->sport, sizeof(r->sport), "%u", k->sport);
	snprintf(r->dport, sizeof(r->dport), "%u", k->dport);
	r->packets = fl->val.packets;
	r->bytes = fl->val.bytes;
	r->rate_Bps = fl->rate_mbps * 1e6 / 8;
	r->idle_s = fl->idle_s;
}

/* Rows for the top K merged flows, in rate order; count or -ENOMEM. */
static ssize_t top_flows(const struct export_input *in, struct frow **out)
{
	const struct stats_snapshot *s = in->snap;
	size_t n = s ? s->n_flows : 0, m = 0;
	struct ifnames names;
	struct frow *r;

	*out = NULL;
	if (!n || !in->top_k)
		return 0;
	r = calloc(n, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ifnames_init(&names); /* the loader's records first: see ifnames.h */
	for (size_t i = 0; i < in->n_ifaces; i++)
		ifnames_record(&names, in->ifaces[i].ifindex, in->ifaces[i].ifname);
	for (size_t i = 0; i < n; i++)
		frow_fill(&r[i], &names, &s->flows[i]);
	qsort(r, n, sizeof(*r), frow_cmp_labels);
	for (size_t i = 0; i < n; i++) {
		if (m && !frow_cmp_labels(&r[m - 1], &r[i])) {
			r[m - 1].packets += r[i].packets;
			r[m - 1].bytes += r[i].bytes;
			r[m - 1].rate_Bps += r[i].rate_Bps;
			if (r[i].idle_s < r[m - 1].idle_s)
				r[m - 1].idle_s = r[i].idle_s;
			continue;
		}
		if (m != i)
			r[m] = r[i];
		m++;
	}
	qsort(r, m, sizeof(*r), frow_cmp_rate);
	*out = r;
	return m < in->top_k ? m : in->top_k;
}

static int render_flows(FILE *f, const struct export_input *in)
{
	const char *kv[2 * FLOW_LABELS];
	struct frow *r;
	ssize_t n = top_flows(in, &r);

	if (n < 0)
		return n;
	family(f, "ipop_flow_rate_bytes_per_second", "gauge",
	       "Rate of the flow over the last statistics interval, in bytes/s (top flows only).");
	for (ssize_t i = 0; i < n; i++) {
		frow_labels(&r[i], kv);
		put_dbl(f, "ipop_flow_rate_bytes_per_second", FLOW_LABELS, kv, r[i].rate_Bps);
	}
	family(f, "ipop_flow_packets_total", "counter", "Packets of the flow (top flows only).");
	for (ssize_t i = 0; i < n; i++) {
		frow_labels(&r[i], kv);
		put_u64(f, "ipop_flow_packets_total", FLOW_LABELS, kv, r[i].packets);
	}
	family(f, "ipop_flow_bytes_total", "counter", "Bytes of the flow (top flows only).");
	for (ssize_t i = 0; i < n; i++) {
		frow_labels(&r[i], kv);
		put_u64(f, "ipop_flow_bytes_total", FLOW_LABELS, kv, r[i].bytes);
	}
	family(f, "ipop_flow_idle_seconds", "gauge",
	       "Seconds since the flow's last packet (top flows only).");
	for (ssize_t i = 0; i < n; i++) {
		frow_labels(&r[i], kv);
		put_dbl(f, "ipop_flow_idle_seconds", FLOW_LABELS, kv, r[i].idle_s);
	}
	free(r);
	return 0;
}

/* ---- overlay module counters: integer leaves, nested keys joined by '_' ---- */

struct mcounter {
	char module[64], counter[128];
	unsigned long long v;
};

struct mlist {
	struct mcounter *v;
	size_t n, cap;
};

static int mlist_walk(struct mlist *l, const char *module, const char *prefix, const json_t *o)
{
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)o, key, val) {
		char name[128];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "_" : "", key);
		if (json_is_object(val)) {
			if (mlist_walk(l, module, name, val))
				return -ENOMEM;
			continue;
		}
		if (!json_is_integer(val) || json_integer_value(val) < 0)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			struct mcounter *nv = realloc(l->v, cap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			l->v = nv;
			l->cap = cap;
		}
		snprintf(l->v[l->n].module, sizeof(l->v[0].module), "%s", module);
		snprintf(l->v[l->n].counter, sizeof(l->v[0].counter), "%s", name);
		l->v[l->n++].v = json_integer_value(val);
	}
	return 0;
}

static int mcounter_cmp(const void *a, const void *b)
{
	const struct mcounter *x = a, *y = b;
	int c = strcmp(x->module, y->module);

	return c ? c : strcmp(x->counter, y->counter);
}

static int render_modules(FILE *f, const json_t *modules)
{
	struct mlist l = { 0 };
	const char *mod;
	json_t *o;

	family(f, "ipop_module_events_total", "counter",
	       "Counters of the overlay modules and ICC, as the control op 'stats' reports them.");
	json_object_foreach((json_t *)modules, mod, o) {
		if (json_is_object(o) && mlist_walk(&l, mod, "", o)) {
			free(l.v);
			return -ENOMEM;
		}
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), mcounter_cmp);
	for (size_t i = 0; i < l.n; i++) {
		const char *kv[] = { "module", l.v[i].module, "event", l.v[i].counter };

		if (i && !mcounter_cmp(&l.v[i - 1], &l.v[i]))
			continue; /* "a_b" both nested and flat: keep one series */
		put_u64(f, "ipop_module_events_total", 2, kv, l.v[i].v);
	}
	free(l.v);
	return 0;
}

int export_render(FILE *f, const struct export_input *in)
{
	const char *ver[] = { "version", in->version ? in->version : "unknown" };
	int err;

	family(f, "ipop_build_info", "gauge", "Version of ipop-bpf (always 1).");
	put_u64(f, "ipop_build_info", 1, ver, 1);
	render_ifaces(f, in);
	render_dp(f, in->snap);
	render_tables(f, in->snap);
	err = render_flows(f, in);
	if (!err)
		err = render_modules(f, in->modules);
	/* the reason of a failed write (ENOSPC on a full disk), not a bare EIO */
	if (!err && fflush(f))
		err = errno ? -errno : -EIO;
	if (!err && ferror(f))
		err = -EIO;
	return err;
}

int export_write(const char *dir, const struct export_input *in)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	FILE *f;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, EXPORT_FILE_NAME) >=
		    (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%s", dir, EXPORT_FILE_NAME) >= (int)sizeof(dst))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out_unlink;
	}
	err = export_render(f, in);
	if (!err && (fsync(fd) || fchmod(fd, 0644)))
		err = -errno;
	if (fclose(f) && !err)
		err = errno ? -errno : -EIO;
	if (!err && rename(tmp, dst))
		err = -errno;
	if (!err)
		return 0;
out_unlink:
	unlink(tmp);
	return err;
}

static int iface_cmp(const void *a, const void *b)
{
	return strcmp(((const struct export_iface *)a)->ifname,
		      ((const struct export_iface *)b)->ifname);
}

struct ifaces_ctx {
	struct export_iface *v;
	int n;
};

static int ifaces_batch(void *ctx, const void *keys, const void *vals, __u32 cnt)
{
	const struct iface_info *info = vals;
	const __u32 *key = keys;
	struct ifaces_ctx *c = ctx;

	for (__u32 i = 0; i < cnt && c->n < IPOP_IFACE_MAX; i++) {
		struct export_iface *e = &c->v[c->n++];

		e->ifindex = key[i];
		snprintf(e->ifname, sizeof(e->ifname), "%.*s", IF_NAMESIZE - 1, info[i].ifname);
		e->ingress_hook = info[i].ingress_hook;
	}
	return 0;
}

int export_read_ifaces(const char *pin_path, struct export_iface **out)
{
	int fd = pins_open_map(pin_path, "ifaces"), err;
	__u32 keys[32];
	struct iface_info vals[32];
	struct ifaces_ctx c = { calloc(IPOP_IFACE_MAX, sizeof(*c.v)), 0 };
	struct mapread r = { .fd = fd,
			     .key_size = sizeof(keys[0]),
			     .val_size = sizeof(vals[0]),
			     .keys = keys,
			     .vals = vals,
			     .batch = 32,
			     .max = IPOP_IFACE_MAX,
			     .fn = ifaces_batch,
			     .ctx = &c };

	*out = NULL;
	if (fd < 0 || !c.v) {
		free(c.v);
		if (fd >= 0)
			close(fd);
		return fd < 0 ? fd : -ENOMEM;
	}
	err = mapread_all(&r);
	close(fd);
	if (err && !c.n) {
		free(c.v);
		return err;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), iface_cmp);
	*out = c.v;
	return c.n;
}
