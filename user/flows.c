// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `ipop-bpf flows`: the pinned flow map as a table or JSON, no daemon needed. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "commands.h"
#include "flows.h"
#include "fmt.h"
#include "pins.h"

#define BATCH 256

static ssize_t read_iter(int fd, struct flow_rec **out)
{
	struct flow_key key, *prev = NULL;
	struct flow_rec *r = NULL, *t;
	size_t n = 0, cap = 0;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			t = realloc(r, cap * sizeof(*r));
			if (!t)
				return free(r), -ENOMEM;
			r = t;
		}
		r[n].key = key;
		if (!bpf_map_lookup_elem(fd, &key, &r[n].val))
			n++; /* else: evicted under us */
		prev = &r[n ? n - 1 : 0].key;
		if (!n)
			prev = NULL; /* restart: nothing stable to continue from */
		key = r[n ? n - 1 : 0].key;
	}
	*out = r;
	return n;
}

ssize_t flows_read(int fd, struct flow_rec **out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct flow_key keys[BATCH];
	struct flow_value vals[BATCH];
	struct flow_rec *r = NULL, *t;
	size_t n = 0, cap = 0;
	__u32 in = 0, outb = 0, cnt;
	bool first = true;
	int err;

	*out = NULL;
	for (;;) {
		cnt = BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &outb, keys, vals, &cnt, &opts);
		err = err ? -errno : 0;
		if (err && err != -ENOENT) {
			free(r);
			if (first && (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP))
				return read_iter(fd, out);
			return err;
		}
		if (n + cnt > cap) {
			cap = (n + cnt) * 2;
			t = realloc(r, cap * sizeof(*r));
			if (!t)
				return free(r), -ENOMEM;
			r = t;
		}
		for (__u32 i = 0; i < cnt; i++, n++) {
			r[n].key = keys[i];
			r[n].val = vals[i];
		}
		if (err == -ENOENT)
			break;
		in = outb;
		first = false;
	}
	*out = r;
	return n;
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct flow_rec *x = a, *y = b;

	if (x->val.bytes != y->val.bytes)
		return x->val.bytes < y->val.bytes ? 1 : -1;
	return x->val.packets < y->val.packets ? 1 : x->val.packets > y->val.packets ? -1 : 0;
}

static int cmp_packets(const void *a, const void *b)
{
	const struct flow_rec *x = a, *y = b;

	if (x->val.packets != y->val.packets)
		return x->val.packets < y->val.packets ? 1 : -1;
	return x->val.bytes < y->val.bytes ? 1 : x->val.bytes > y->val.bytes ? -1 : 0;
}

void flows_sort(struct flow_rec *r, size_t n, int how)
{
	qsort(r, n, sizeof(*r), how == FLOWS_SORT_PACKETS ? cmp_packets : cmp_bytes);
}

/* ifindex -> name: the loader's record first (it survives a deleted device), then the kernel. */
static const char *ifname_of(int ifaces_fd, __u32 ifindex, char *buf)
{
	struct iface_info info;

	if (ifaces_fd >= 0 && !bpf_map_lookup_elem(ifaces_fd, &ifindex, &info)) {
		snprintf(buf, IF_NAMESIZE, "%s", info.ifname);
		return buf;
	}
	if (if_indextoname(ifindex, buf))
		return buf;
	snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

struct flows_cfg {
	const char *pin_path;
	int sort;
	unsigned int limit;
	bool json;
};

static void flows_defaults(void *cfg)
{
	((struct flows_cfg *)cfg)->pin_path = IPOP_PIN_PATH_DEFAULT;
}

struct row {
	char ifname[IF_NAMESIZE];
	char src[FMT_ADDR_LEN + 8], dst[FMT_ADDR_LEN + 8], proto[24];
};

static void endpoint(char *buf, size_t len, const struct flow_key *k, const __u8 *addr, __u16 port)
{
	bool ports = k->proto == 6 || k->proto == 17 || k->proto == 132 || k->proto == 136;
	char a[FMT_ADDR_LEN];

	if (!k->l3) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_addr(a, sizeof(a), k->l3, addr);
	if (!ports || (k->flags & FLOW_KEY_FRAG_LATER))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, k->l3 == FLOW_L3_IPV6 ? "[%s]:%u" : "%s:%u", a, port);
}

static void make_row(struct row *r, const struct flow_key *k)
{
	endpoint(r->src, sizeof(r->src), k, k->src, k->sport);
	endpoint(r->dst, sizeof(r->dst), k, k->dst, k->dport);
	if (!k->l3) {
		snprintf(r->proto, sizeof(r->proto), "eth 0x%04x", k->ethertype);
		return;
	}
	fmt_proto(r->proto, sizeof(r->proto), k->proto);
	if (k->proto == 1 || k->proto == 58)
		snprintf(r->proto + strlen(r->proto), sizeof(r->proto) - strlen(r->proto), " %u/%u",
			 k->sport, k->dport);
	if (k->flags & FLOW_KEY_FRAG_LATER)
		snprintf(r->proto + strlen(r->proto), sizeof(r->proto) - strlen(r->proto), " frag");
}

static int width(int cur, const char *s)
{
	int n = strlen(s);

	return n > cur ? n : cur;
}

static void print_table(const struct flow_rec *f, size_t n, int ifd)
{
	struct row *rows = calloc(n ? n : 1, sizeof(*rows));
	int wi = 5, ws = 3, wd = 3, wp = 5;
	char pk[16], by[16], fl[12];

	if (!rows)
		return;
	for (size_t i = 0; i < n; i++) {
		ifname_of(ifd, f[i].key.ifindex, rows[i].ifname);
		make_row(&rows[i], &f[i].key);
		wi = width(wi, rows[i].ifname);
		ws = width(ws, rows[i].src);
		wd = width(wd, rows[i].dst);
		wp = width(wp, rows[i].proto);
	}
	printf("%-*s %-7s %-*s %-*s %-*s %8s %8s %s\n", wi, "IFACE", "DIR", ws, "SRC", wd, "DST",
	       wp, "PROTO", "PACKETS", "BYTES", "TCP");
	for (size_t i = 0; i < n; i++)
		printf("%-*s %-7s %-*s %-*s %-*s %8s %8s %s\n", wi, rows[i].ifname,
		       fmt_dir(f[i].key.dir), ws, rows[i].src, wd, rows[i].dst, wp, rows[i].proto,
		       fmt_si(pk, sizeof(pk), f[i].val.packets),
		       fmt_si(by, sizeof(by), f[i].val.bytes),
		       fmt_tcp_flags(fl, sizeof(fl), f[i].val.tcp_flags));
	free(rows);
}

static int flows_run(void *cfg)
{
	struct flows_cfg *c = cfg;
	struct flow_rec *r = NULL;
	char ifname[IF_NAMESIZE];
	int fd, ifd, ret = 0;
	ssize_t n;
	size_t shown;

	fd = pins_open_map(c->pin_path, "flows");
	if (fd < 0)
		return cli_err("cannot open %s/flows: %s%s", c->pin_path, strerror(-fd),
			       fd == -ENOENT ? " (is ipop-bpf loaded? see 'ipop-bpf load')" : "");
	ifd = pins_open_map(c->pin_path, "ifaces");
	n = flows_read(fd, &r);
	if (n < 0) {
		ret = cli_err("cannot read %s/flows: %s", c->pin_path, strerror(-n));
		goto out;
	}
	flows_sort(r, n, c->sort);
	shown = c->limit && c->limit < (size_t)n ? c->limit : (size_t)n;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < shown; i++)
			json_array_append_new(
				arr, fmt_flow_json(&r[i].key, &r[i].val,
						   ifname_of(ifd, r[i].key.ifindex, ifname)));
		json_t *root = json_pack("{s:o}", "flows", arr);

		ret = fmt_json_print(root) ? 1 : 0;
		json_decref(root);
		goto out;
	}
	print_table(r, shown, ifd);
	if (shown < (size_t)n)
		printf("(%zu more; --limit 0 shows all)\n", (size_t)n - shown);
out:
	free(r);
	close(fd);
	if (ifd >= 0)
		close(ifd);
	return ret;
}

static const char *const sort_names[] = { "bytes", "packets", NULL };

static const struct cli_opt flows_opts[] = {
	CLI_OPT_FLAG("json", 'j', struct flows_cfg, json, "print JSON: {\"flows\": [...]}"),
	CLI_OPT_STR("pin-path", 'p', struct flows_cfg, pin_path, "DIR",
		    "bpffs directory of the maps (default " IPOP_PIN_PATH_DEFAULT ")"),
	CLI_OPT_ENUM("sort", 's', struct flows_cfg, sort, sort_names,
		     "order, largest first (default bytes)"),
	CLI_OPT_UINT("limit", 'n', struct flows_cfg, limit, "N", "show at most N flows (0 = all)",
		     0, 0),
	CLI_OPT_END,
};

const struct cli_cmd cmd_flows = {
	.name = "flows",
	.summary = "List the flows counted in the pinned flow map",
	.opts = flows_opts,
	.cfg_size = sizeof(struct flows_cfg),
	.defaults = flows_defaults,
	.run = flows_run,
};
