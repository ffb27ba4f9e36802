// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Prometheus text format 0.0.4 from hand-built snapshots: label escaping,
 * names and units, HELP and TYPE for every family, families grouped, no
 * timestamps, a final newline, no duplicate series (two flows differing only
 * in VLAN or the fragment flag are one series), top-K selection, module
 * counters flattened, and the atomic write.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow/export.h"
#include "flow/stats.h"

/* ---- fixtures ---- */

static struct stats_flow xf_flow(__u32 ifindex, __u8 dir, __u8 last_octet, __u16 sport, __u16 dport,
				 double mbps, __u64 packets, __u64 bytes)
{
	struct stats_flow f = { 0 };

	f.key.ifindex = ifindex;
	f.key.dir = dir;
	f.key.l3 = FLOW_L3_IPV4;
	f.key.proto = 17;
	f.key.ethertype = 0x0800;
	f.key.sport = sport;
	f.key.dport = dport;
	memcpy(f.key.src, (__u8[]){ 10, 0, 0, 1 }, 4);
	memcpy(f.key.dst, (__u8[]){ 10, 0, 0, last_octet }, 4);
	f.val.packets = packets;
	f.val.bytes = bytes;
	f.rate_mbps = mbps;
	f.idle_s = 0.5;
	return f;
}

static const struct export_iface xf_ifaces[] = {
	{ .ifindex = 7, .ifname = "veth0", .ingress_hook = IFACE_HOOK_TC },
	{ .ifindex = 9, .ifname = "tap0", .ingress_hook = IFACE_HOOK_XDP_NATIVE },
};

/* Render to a malloc'd string (caller frees). */
static char *xf_render(const struct export_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(export_render(f, in), 0);
	fclose(f);
	return buf;
}

/* ---- a small format checker: what promtool checks, and what it misses ---- */

#define XF_MAX_SERIES 4096

struct xf_check {
	char *families[256];
	int nfam;
	char *series[XF_MAX_SERIES];
	int nseries;
};

static bool xf_seen_family(struct xf_check *c, const char *name)
{
	for (int i = 0; i < c->nfam; i++)
		if (!strcmp(c->families[i], name))
			return true;
	return false;
}

/* Checks one sample line against the current family; records the series. */
static void xf_sample(struct xf_check *c, const char *line, const char *cur, const char *type)
{
	const char *p = line;
	size_t nlen = strcspn(line, "{ ");

	cr_assert(cur[0], "sample before any TYPE: %s", line);
	cr_assert(strlen(cur) == nlen && !strncmp(line, cur, nlen),
		  "sample of another family inside %s (families must be grouped): %s", cur, line);
	p += nlen;
	if (*p == '{') {
		for (p++; *p && *p != '}';) {
			size_t k = strspn(p, "abcdefghijklmnopqrstuvwxyz_");

			cr_assert(k > 0 && p[k] == '=' && p[k + 1] == '"', "bad label: %s", line);
			for (p += k + 2; *p && *p != '"'; p++) {
				if (*p == '\\') {
					p++;
					cr_assert(*p == '\\' || *p == '"' || *p == 'n',
						  "bad escape in %s", line);
				}
				cr_assert(*p != '\n');
			}
			cr_assert_eq(*p, '"', "unterminated label value: %s", line);
			p++;
			if (*p == ',')
				p++;
		}
		cr_assert_eq(*p, '}', "unterminated label set: %s", line);
		p++;
	}
	cr_assert_eq(*p, ' ', "no value: %s", line);
	/* exactly one value after the series: no timestamp */
	cr_assert(p[1] && !strchr(p + 1, ' '), "a timestamp or junk after the value: %s", line);
	cr_assert(strcmp(p + 1, "NaN"), "NaN value: %s", line);
	if (!strcmp(type, "counter"))
		cr_assert(nlen > 6 && !strncmp(line + nlen - 6, "_total", 6),
			  "counter without _total: %s", line);
	for (int i = 0; i < c->nseries; i++)
		cr_assert(strncmp(c->series[i], line, p - line) || c->series[i][p - line],
			  "duplicate series: %s", line);
	cr_assert_lt(c->nseries, XF_MAX_SERIES);
	c->series[c->nseries++] = strndup(line, p - line);
}

/* Whole exposition; returns the number of sample lines. */
static int xf_check_text(const char *text)
{
	struct xf_check c = { 0 };
	char *copy = strdup(text), *save = NULL, cur[128] = "", type[16] = "", help[128] = "";
	size_t len = strlen(text);
	int samples;

	cr_assert(len > 0 && text[len - 1] == '\n', "no final newline");
	cr_assert_null(strstr(text, "\n\n"), "empty line");
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[128], t[16];

		if (!strncmp(l, "# HELP ", 7)) {
			cr_assert_eq(sscanf(l + 7, "%127s", help), 1);
			cr_assert(strlen(l + 7) > strlen(help) + 1, "empty HELP: %s", l);
			continue;
		}
		if (!strncmp(l, "# TYPE ", 7)) {
			cr_assert_eq(sscanf(l + 7, "%127s %15s", name, t), 2);
			cr_assert_str_eq(name, help, "TYPE %s without its HELP just before", name);
			cr_assert(!strcmp(t, "counter") || !strcmp(t, "gauge"), "type %s", t);
			cr_assert(!xf_seen_family(&c, name), "family %s twice", name);
			cr_assert(!strncmp(name, "ipop_", 5), "no ipop_ prefix: %s", name);
			c.families[c.nfam++] = strdup(name);
			strcpy(cur, name);
			strcpy(type, t);
			continue;
		}
		cr_assert_neq(l[0], '#', "stray comment: %s", l);
		xf_sample(&c, l, cur, type);
	}
	samples = c.nseries;
	for (int i = 0; i < c.nfam; i++)
		free(c.families[i]);
	for (int i = 0; i < c.nseries; i++)
		free(c.series[i]);
	free(copy);
	return samples;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* ---- tests ---- */

Test(export, label_escaping)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	export_put_label_value(f, "a\\b\"c\nd");
	export_put_label_value(f, "|\x1b[2J\xff\t~");
	fclose(f);
	cr_assert_str_eq(buf, "a\\\\b\\\"c\\nd|?[2J??~");
	free(buf);
}

Test(export, empty_input_every_family_has_help_and_type)
{
	struct export_input in = { .version = "1.2.3", .top_k = 10 };
	char *t = xf_render(&in);
	static const char *const fams[] = {
		"ipop_build_info",
		"ipop_interface_info",
		"ipop_datapath_packets_total",
		"ipop_datapath_parse_errors_total",
		"ipop_datapath_non_ip_total",
		"ipop_datapath_insert_failures_total",
		"ipop_datapath_fragments_total",
		"ipop_flows",
		"ipop_flows_max",
		"ipop_flows_ended_total",
		"ipop_table_packets_total",
		"ipop_table_bytes_total",
		"ipop_table_rate_bytes_per_second",
		"ipop_table_idle_seconds",
		"ipop_flow_rate_bytes_per_second",
		"ipop_flow_packets_total",
		"ipop_flow_bytes_total",
		"ipop_flow_idle_seconds",
		"ipop_module_events_total",
	};

	xf_check_text(t);
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		char l[160];

		snprintf(l, sizeof(l), "# TYPE %s %s", fams[i],
			 strstr(fams[i], "_total") ? "counter" : "gauge");
		cr_assert(has_line(t, l), "missing: %s\n%s", l, t);
	}
	cr_assert(has_line(t, "ipop_build_info{version=\"1.2.3\"} 1"));
	free(t);
}

static struct stats_snapshot xf_snap(struct stats_flow *flows, size_t n, struct stats_table *tables,
				     size_t nt)
{
	struct stats_snapshot s = {
		.flows = flows, .n_flows = n, .tables = tables, .n_tables = nt
	};

	s.dp[DP_STAT_PACKETS] = 1000;
	s.dp[DP_STAT_PARSE_ERROR] = 3;
	s.dp[DP_STAT_INSERT_FAIL] = 2;
	s.flows_live = n;
	s.flows_max = 65536;
	s.ended_count[STATS_END_IDLE] = 4;
	s.ended_count[STATS_END_EVICTED] = 1;
	return s;
}

Test(export, snapshot_values_names_and_units)
{
	struct stats_flow fl[] = { xf_flow(7, 0, 2, 40001, 5001, 2.5, 10, 1420) };
	struct stats_table tb[] = {
		{ .id = 1,
		  .name = "dns",
		  .packets = 50,
		  .bytes = 7100,
		  .idle_s = 1.5,
		  .rate_mbps = 0.25,
		  .last_hit_ns = 5 },
		{ .id = 2, .name = "never", .idle_s = -1 },
		{ .id = 3, .name = "we\"ird\\na\nme", .packets = 1, .bytes = 60, .idle_s = 0 },
	};
	struct stats_snapshot s = xf_snap(fl, 1, tb, 3);
	struct export_input in = { .snap = &s, .ifaces = xf_ifaces, .n_ifaces = 2, .top_k = 10 };
	char *t = xf_render(&in);

	xf_check_text(t);
	cr_assert(has_line(t, "ipop_build_info{version=\"unknown\"} 1"));
	cr_assert(has_line(t, "ipop_interface_info{ifname=\"veth0\",ingress_hook=\"tc\"} 1"), "%s",
		  t);
	cr_assert(has_line(t, "ipop_interface_info{ifname=\"tap0\",ingress_hook=\"xdp\"} 1"));
	cr_assert(has_line(t, "ipop_datapath_packets_total 1000"));
	cr_assert(has_line(t, "ipop_datapath_parse_errors_total 3"));
	cr_assert(has_line(t, "ipop_datapath_insert_failures_total 2"));
	cr_assert(has_line(t, "ipop_flows 1"));
	cr_assert(has_line(t, "ipop_flows_max 65536"));
	cr_assert(has_line(t, "ipop_flows_ended_total{reason=\"idle\"} 4"));
	cr_assert(has_line(t, "ipop_flows_ended_total{reason=\"evicted\"} 1"));
	cr_assert(has_line(t, "ipop_flows_ended_total{reason=\"forced\"} 0"));
	cr_assert(has_line(t, "ipop_table_packets_total{table=\"dns\"} 50"));
	cr_assert(has_line(t, "ipop_table_bytes_total{table=\"dns\"} 7100"));
	cr_assert(has_line(t, "ipop_table_rate_bytes_per_second{table=\"dns\"} 31250"));
	cr_assert(has_line(t, "ipop_table_idle_seconds{table=\"dns\"} 1.5"));
	cr_assert(has_line(t, "ipop_table_packets_total{table=\"never\"} 0"));
	cr_assert_null(strstr(t, "ipop_table_idle_seconds{table=\"never\"}"),
		       "a table never hit has no idle series");
	cr_assert(has_line(t, "ipop_table_packets_total{table=\"we\\\"ird\\\\na\\nme\"} 1"), "%s",
		  t);
	cr_assert(has_line(t, "ipop_flow_bytes_total{ifname=\"veth0\",direction=\"ingress\","
			      "src=\"10.0.0.1\",dst=\"10.0.0.2\",proto=\"udp\",sport=\"40001\","
			      "dport=\"5001\"} 1420"),
		  "%s", t);
	cr_assert(has_line(t,
			   "ipop_flow_rate_bytes_per_second{ifname=\"veth0\",direction=\"ingress\","
			   "src=\"10.0.0.1\",dst=\"10.0.0.2\",proto=\"udp\",sport=\"40001\","
			   "dport=\"5001\"} 312500"));
	free(t);
}

Test(export, flows_differing_only_in_vlan_or_fragment_are_one_series)
{
	struct stats_flow fl[] = {
		xf_flow(7, 0, 2, 40001, 5001, 1.0, 10, 1000),
		xf_flow(7, 0, 2, 40001, 5001, 2.0, 5, 500),
		xf_flow(7, 0, 2, 40001, 5001, 0.5, 1, 100),
		xf_flow(7, 1, 2, 40001, 5001, 0.1, 1, 64), /* other direction: its own series */
	};
	struct stats_snapshot s;
	struct export_input in = { .ifaces = xf_ifaces, .n_ifaces = 2, .top_k = 10 };
	char *t;

	fl[1].key.vlan = 100;
	fl[1].idle_s = 0.1;
	fl[2].key.flags = FLOW_KEY_FRAG_LATER;
	s = xf_snap(fl, 4, NULL, 0);
	in.snap = &s;
	t = xf_render(&in);
	xf_check_text(t);
	cr_assert(has_line(t, "ipop_flow_packets_total{ifname=\"veth0\",direction=\"ingress\","
			      "src=\"10.0.0.1\",dst=\"10.0.0.2\",proto=\"udp\",sport=\"40001\","
			      "dport=\"5001\"} 16"),
		  "%s", t);
	cr_assert(has_line(t, "ipop_flow_bytes_total{ifname=\"veth0\",direction=\"ingress\","
			      "src=\"10.0.0.1\",dst=\"10.0.0.2\",proto=\"udp\",sport=\"40001\","
			      "dport=\"5001\"} 1600"));
	cr_assert(has_line(t,
			   "ipop_flow_rate_bytes_per_second{ifname=\"veth0\",direction=\"ingress\","
			   "src=\"10.0.0.1\",dst=\"10.0.0.2\",proto=\"udp\",sport=\"40001\","
			   "dport=\"5001\"} 437500"));
	cr_assert(has_line(t, "ipop_flow_idle_seconds{ifname=\"veth0\",direction=\"ingress\","
			      "src=\"10.0.0.1\",dst=\"10.0.0.2\",proto=\"udp\",sport=\"40001\","
			      "dport=\"5001\"} 0.1"));
	cr_assert(has_line(t, "ipop_flow_packets_total{ifname=\"veth0\",direction=\"egress\","
			      "src=\"10.0.0.1\",dst=\"10.0.0.2\",proto=\"udp\",sport=\"40001\","
			      "dport=\"5001\"} 1"));
	free(t);
}

Test(export, non_ip_flows_by_ethertype_and_unknown_ifindex)
{
	struct stats_flow fl[2] = { 0 };
	struct stats_snapshot s;
	struct export_input in = { .top_k = 10 };
	char *t;

	for (int i = 0; i < 2; i++) {
		fl[i].key.ifindex = 4000000000u; /* no such interface */
		fl[i].key.ethertype = i ? 0x0806 : 0x88cc;
		fl[i].val.packets = 1 + i;
	}
	s = xf_snap(fl, 2, NULL, 0);
	in.snap = &s;
	t = xf_render(&in);
	xf_check_text(t);
	cr_assert(has_line(t,
			   "ipop_flow_packets_total{ifname=\"if4000000000\",direction=\"ingress\","
			   "src=\"\",dst=\"\",proto=\"eth-0x0806\",sport=\"0\",dport=\"0\"} 2"),
		  "%s", t);
	cr_assert(has_line(t,
			   "ipop_flow_packets_total{ifname=\"if4000000000\",direction=\"ingress\","
			   "src=\"\",dst=\"\",proto=\"eth-0x88cc\",sport=\"0\",dport=\"0\"} 1"));
	free(t);
}

static int count_prefix(const char *text, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, len);
	return n;
}

Test(export, top_k_by_rate)
{
	struct stats_flow fl[20];
	struct stats_snapshot s;
	struct export_input in = { .ifaces = xf_ifaces, .n_ifaces = 2, .top_k = 3 };
	char *t, want[256];

	/* rates 0..19 Mbps, in a scrambled order; bytes favour the slow ones */
	for (int i = 0; i < 20; i++) {
		int r = (i * 7) % 20;

		fl[i] = xf_flow(7, 0, 2, 1000 + r, 80, r, 1, 100000 - r);
	}
	s = xf_snap(fl, 20, NULL, 0);
	in.snap = &s;
	t = xf_render(&in);
	xf_check_text(t);
	cr_assert_eq(count_prefix(t, "ipop_flow_rate_bytes_per_second{"), 3, "%s", t);
	cr_assert_eq(count_prefix(t, "ipop_flow_bytes_total{"), 3);
	for (int r = 17; r < 20; r++) {
		snprintf(want, sizeof(want),
			 "ipop_flow_rate_bytes_per_second{ifname=\"veth0\",direction=\"ingress\","
			 "src=\"10.0.0.1\",dst=\"10.0.0.2\",proto=\"udp\",sport=\"%d\",dport="
			 "\"80\"} "
			 "%d",
			 1000 + r, r * 125000);
		cr_assert(has_line(t, want), "missing %s\n%s", want, t);
	}
	free(t);

	in.top_k = 0;
	t = xf_render(&in);
	xf_check_text(t);
	cr_assert_eq(count_prefix(t, "ipop_flow_"), 0, "K=0: no per-flow series");
	cr_assert(has_line(t, "# TYPE ipop_flow_bytes_total counter"));
	free(t);
}

Test(export, module_counters_flattened)
{
	json_t *m = json_loads("{\"cmm\": {\"sent\": 3, \"skipped\": {\"self\": 1, \"repeat\": 2},"
			       " \"note\": \"x\", \"ratio\": 0.5},"
			       " \"icc\": {\"rx\": 5, \"rx_dropped\": {\"bad_auth\": 0}},"
			       " \"weird\": 7}",
			       0, NULL);
	struct export_input in = { .modules = m, .top_k = 10 };
	char *t = xf_render(&in);

	xf_check_text(t);
	cr_assert(has_line(t, "ipop_module_events_total{module=\"cmm\",event=\"sent\"} 3"));
	cr_assert(has_line(t, "ipop_module_events_total{module=\"cmm\",event=\"skipped_self\"} 1"));
	cr_assert(
		has_line(t, "ipop_module_events_total{module=\"cmm\",event=\"skipped_repeat\"} 2"));
	cr_assert(has_line(t, "ipop_module_events_total{module=\"icc\",event=\"rx\"} 5"));
	cr_assert(has_line(t, "ipop_module_events_total{module=\"icc\","
			      "event=\"rx_dropped_bad_auth\"} 0"));
	cr_assert_null(strstr(t, "note"), "strings are not counters");
	cr_assert_null(strstr(t, "ratio"), "reals are not counters");
	cr_assert_null(strstr(t, "weird"), "a module is an object");
	free(t);
	json_decref(m);
}

Test(export, write_is_atomic_and_readable)
{
	char dir[] = "/tmp/ipop-export-XXXXXX", path[300];
	struct stats_flow fl[] = { xf_flow(7, 0, 2, 1, 2, 1, 1, 1) };
	struct stats_snapshot s = xf_snap(fl, 1, NULL, 0);
	struct export_input in = { .snap = &s, .top_k = 10, .version = "t" };
	struct stat st;
	struct dirent *e;
	DIR *d;
	int n = 0;
	char *text;
	FILE *f;
	long len;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(export_write(dir, &in), 0);
	cr_assert_eq(export_write(dir, &in), 0); /* replaces */
	snprintf(path, sizeof(path), "%s/ipop.prom", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644, "node_exporter runs as another user");
	d = opendir(dir);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || strlen(e->d_name) > 2;
	closedir(d);
	cr_assert_eq(n, 1, "a temporary file was left behind");
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, len + 1);
	cr_assert_eq(fread(text, 1, len, f), (size_t)len);
	fclose(f);
	xf_check_text(text);
	cr_assert(has_line(text, "ipop_build_info{version=\"t\"} 1"));
	free(text);
	unlink(path);
	rmdir(dir);
	cr_assert_lt(export_write("/nonexistent/dir", &in), 0);
}

Test(export, exporter_thread_writes_on_request)
{
	char dir[] = "/tmp/ipop-exporter-XXXXXX", path[300], line[256];
	struct exporter_cfg cfg = { .dir = dir, .top_k = 10 };
	json_t *m = json_pack("{s:{s:i}}", "echo", "received", 42);
	struct exporter *x;
	bool found = false;
	int err = -1;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	x = exporter_start(&cfg, NULL);
	cr_assert_not_null(x);
	exporter_set_modules(x, m);
	json_decref(m); /* the exporter holds its own copy */
	for (int i = 0; i < 500 && exporter_writes(x, &err) < 1; i++)
		usleep(10000);
	cr_assert_geq(exporter_writes(x, &err), 1, "no write within 5 s");
	cr_assert_eq(err, 0);
	exporter_stop(x);
	snprintf(path, sizeof(path), "%s/ipop.prom", dir);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		found |= !strcmp(
			line, "ipop_module_events_total{module=\"echo\",event=\"received\"} 42\n");
	fclose(f);
	cr_assert(found, "module counter not in the file");
	unlink(path);
	rmdir(dir);
}

/* A full disk is reported as such (ENOSPC), not as a bare I/O error. */
Test(export, full_device_is_enospc)
{
	struct export_input in = { .top_k = 10, .version = "t" };
	FILE *f = fopen("/dev/full", "w");

	cr_assert_not_null(f, "/dev/full: %s", strerror(errno));
	cr_assert_eq(export_render(f, &in), -ENOSPC);
	fclose(f);
}

/*
 * The whole write path on a full filesystem: a tiny tmpfs in a mount
 * namespace of this test's own process (criterion runs each test in its own
 * process), filled up first.
 */
Test(export, full_textfile_dir_is_enospc)
{
	char dir[] = "/tmp/ipop-export-full-XXXXXX", path[300];
	struct export_input in = { .top_k = 10, .version = "t" };
	char block[4096];
	int fd, e;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		cr_skip_test("no private mount namespace here (%s): needs root", strerror(errno));
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(mount("tmpfs", dir, "tmpfs", 0, "size=64k"), 0, "%s", strerror(errno));
	snprintf(path, sizeof(path), "%s/fill", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(fd, 0);
	memset(block, 'x', sizeof(block));
	for (int i = 0; i < 64 && write(fd, block, sizeof(block)) > 0; i++)
		;
	close(fd);
	e = export_write(dir, &in);
	umount(dir);
	rmdir(dir);
	cr_assert_eq(e, -ENOSPC, "got %d (%s)", e, strerror(-e));
	cr_assert_str_eq(strerror(-e), "No space left on device");
}
