// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_cls: the flow-table classifier and the statistics thread at scale.
 *
 * 1. Per-packet cost of ipop_xdp through BPF_PROG_TEST_RUN with 0, 1, 4,
 *    100, 10,000 and 100,000 tables, one freshly loaded skeleton per size,
 *    programmed through the controller (user/clsctl.c). Tables are spread
 *    round robin over four shapes:
 *      d  prio 1   dst A/32                       (1 mask)
 *      n  prio 20  proto udp dst B/24             (1 mask)
 *      s  prio 30  proto tcp src C/16 dport 80    (1 mask)
 *      r  prio 40  proto tcp|sctp dport 4k+1-4k+3 (2 masks: a /16 and a /15 block)
 *    The test frames (UDP, port 9, to the addresses of the "d" tables) miss
 *    every higher-priority mask and match a "d" table, which has the lowest
 *    priority: every mask is searched (the worst case of the tuple space
 *    search). Paths, all measured in the same rounds, interleaved:
 *      miss     repeat=1 over F distinct frames, the flow map emptied first:
 *               every run parses, classifies and inserts a new flow.
 *      reclass  the same frames again right after a change of the tables
 *               (the controller adds and deletes a dummy table: the
 *               generation moves): every run finds its flow with a stale
 *               generation and classifies it again, no insert.
 *      hit      one frame, repeat=R: the flow's cached table is used, no
 *               classification at all.
 *    "0 tables" is the same program with an empty mask set: the difference
 *    to it is the classification plus the matched table's counter update.
 *    A last row has 100,000 tables but frames spread over only 25 of them
 *    (as many as the 100-table row touches): it separates the number of
 *    tables from the number of distinct tables (memory) the frames touch.
 *    ns/packet is the kernel's per-run duration, the median over rounds.
 * 2. Programming 100,000 tables: one cls_add() batch, deleting them one
 *    cls_del() at a time, then 100,000 single-table cls_add() calls (each
 *    publishes a generation), deleting again. Each step is bounded in time.
 * 3. The statistics thread: one stats_pass() at 1,000,000 live flows in an
 *    LRU flow map of 1,048,576 entries (the real maps of a skeleton), with
 *    no tables and then with 100,000 tables; wall and thread CPU time.
 *
 * Usage: bench_cls [--md FILE] [--rounds R] [--frames F] [--repeat N] [--cpu C]
 *                  [--budget S] [--parts abc]
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow/clsctl.h"
#include "flow.h"
#include "ipop_flow.skel.h"
#include "flow/rule.h"
#include "flow/stats.h"

#define FRAME_SZ     64
#define ROUNDS_MAX   15
#define FLOWS_BIG    1000000
#define FLOWS_MAPSZ  1048576
#define BIG_TABLES   100000
#define FILL_CHUNK   10000
#define STATS_PASSES 4

enum path { P_MISS, P_RECLASS, P_HIT, P_N };

static const char *const path_name[P_N] = { "miss (new flow)", "reclassify (stale generation)",
					    "hit (cached table)" };

struct opts {
	const char *md;
	unsigned int rounds, frames, repeat, budget_s;
	int cpu;
	const char *parts; /* which of a (per packet), b (programming), c (stats) to run */
};

/* One table count: its own skeleton, controller and frames. */
struct size_row {
	unsigned int ntables;
	struct ipop_flow_bpf *skel;
	struct cls *cls;
	struct cls_maps maps;
	int prog, flows, dp;
	uint8_t *frames;
	unsigned int ndst;    /* "d" tables */
	unsigned int hot;     /* frame i goes to d table i % hot (0: i % ndst) */
	__u32 *dst_tid;	      /* table id of d table k */
	double program_s;     /* time of the one cls_add batch */
	size_t masks;	      /* distinct masks after programming */
	__u64 new_flows[P_N]; /* DP_STAT_FLOW_NEW during each path, last round */
	double ns[P_N][ROUNDS_MAX];
};

static FILE *md_out;

/* Print to stdout and to the markdown file. */
static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (md_out) {
		va_start(ap, fmt);
		vfprintf(md_out, fmt, ap);
		va_end(ap);
	}
}

static double clock_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double mono(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, unsigned int n)
{
	double s[ROUNDS_MAX];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_dbl);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- tables ---- */

/*
 * Definition of table j of a set: shape j % 4, k = j / 4 its index within
 * the shape. Names are unique per shape and index.
 */
static int make_rule(struct rule *r, unsigned int j, char *err, size_t errlen)
{
	unsigned int k = j / 4, rk = k % 16384;
	char buf[160], *argv[16];
	int argc = 0;

	switch (j % 4) {
	case 0:
		snprintf(buf, sizeof(buf), "d%u prio 1 dst 10.100.%u.%u/32", k, k >> 8, k & 255);
		break;
	case 1:
		snprintf(buf, sizeof(buf), "n%u prio 20 proto udp dst 11.%u.%u.0/24", k, k >> 8,
			 k & 255);
		break;
	case 2:
		snprintf(buf, sizeof(buf), "s%u prio 30 proto tcp src %u.%u.0.0/16 dport 80", k,
			 20 + (k >> 8), k & 255);
		break;
	default:
		snprintf(buf, sizeof(buf), "r%u prio 40 proto %s dport %u-%u", k,
			 k < 16384 ? "tcp" : "sctp", 4 * rk + 1, 4 * rk + 3);
		break;
	}
	for (char *t = strtok(buf, " "); t && argc < 16; t = strtok(NULL, " "))
		argv[argc++] = t;
	return rule_parse_words(r, argc, argv, err, errlen);
}

static struct rule *make_rules(unsigned int n)
{
	struct rule *r = calloc(n ? n : 1, sizeof(*r));
	char err[256];

	for (unsigned int j = 0; r && j < n; j++) {
		if (make_rule(&r[j], j, err, sizeof(err))) {
			fprintf(stderr, "bench_cls: rule %u: %s\n", j, err);
			free(r);
			return NULL;
		}
	}
	return r;
}

static void skel_maps(struct ipop_flow_bpf *s, struct cls_maps *m)
{
	*m = (struct cls_maps){ bpf_map__fd(s->maps.cls_state), bpf_map__fd(s->maps.cls_masks),
				bpf_map__fd(s->maps.cls_rules), bpf_map__fd(s->maps.table_stats),
				bpf_map__fd(s->maps.tables) };
}

/* ---- frames ---- */

static uint16_t csum16(const uint8_t *p, int len)
{
	uint32_t s = 0;

	for (int i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/*
 * 64-byte Ethernet/IPv4/UDP frame of flow n (source 10.213.n/16, source
 * port from n) to 10.100.(d >> 8).(d & 255), UDP port 9.
 */
static void frame_build(uint8_t *f, unsigned int n, unsigned int d)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t c, sport = 1024 + n % 60000;

	memset(f, 0, FRAME_SZ);
	f[0] = 0x02, f[5] = 0x01, f[6] = 0x02, f[11] = 0x02;
	f[12] = 0x08, f[13] = 0x00;
	ip[0] = 0x45, ip[3] = FRAME_SZ - 14, ip[6] = 0x40, ip[8] = 64, ip[9] = 17;
	ip[12] = 10, ip[13] = 213, ip[14] = n >> 8, ip[15] = n & 255;
	ip[16] = 10, ip[17] = 100, ip[18] = d >> 8, ip[19] = d & 255;
	c = csum16(ip, 20);
	ip[10] = c >> 8, ip[11] = c & 255;
	udp[0] = sport >> 8, udp[1] = sport & 255;
	udp[3] = 9;
	udp[5] = FRAME_SZ - 34;
}

static int test_run(int prog, const uint8_t *frame, unsigned int repeat, double *ns)
{
	uint8_t buf[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = FRAME_SZ,
		    .data_out = buf, .data_size_out = sizeof(buf), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog, &o))
		return -errno;
	*ns = o.duration;
	return 0;
}

/* Mean ns/run over every frame, one test_run (repeat=1) each. */
static int run_frames(struct size_row *z, unsigned int nframes, double *ns)
{
	double sum = 0, d;
	int err;

	for (unsigned int i = 0; i < nframes; i++) {
		err = test_run(z->prog, z->frames + (size_t)i * FRAME_SZ, 1, &d);
		if (err)
			return err;
		sum += d;
	}
	*ns = sum / nframes;
	return 0;
}

static __u64 dp_flow_new(int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc(ncpu > 0 ? ncpu : 1, sizeof(*v)), s = 0;
	__u32 k = DP_STAT_FLOW_NEW;

	if (v && !bpf_map_lookup_elem(fd, &k, v))
		for (int i = 0; i < ncpu; i++)
			s += v[i];
	free(v);
	return s;
}

/* Empty a hash map: read-and-delete in batches (falls back to one key at a time). */
static void map_empty(int fd, __u32 key_size, __u32 val_size)
{
	enum { BATCH = 4096 };
	int ncpu = libbpf_num_possible_cpus();
	void *keys = malloc((size_t)BATCH * key_size);
	void *vals = malloc((size_t)BATCH * ((val_size + 7) & ~7u) * (ncpu > 0 ? ncpu : 1));
	__u64 in = 0, outb = 0;
	bool first = true;
	char *k = malloc(key_size);

	while (keys && vals) {
		__u32 cnt = BATCH;
		int err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &outb, keys, vals,
							  &cnt, NULL);

		first = false;
		in = outb;
		if (err && errno != ENOENT)
			break;
		if (err) /* ENOENT: the end; cnt entries were still deleted */
			goto done;
	}
	/* fallback */
	while (k && !bpf_map_get_next_key(fd, NULL, k))
		if (bpf_map_delete_elem(fd, k))
			break;
done:
	free(k);
	free(keys);
	free(vals);
}

/* Move the classifier generation the controller's way: add and delete a dummy table. */
static int bump_generation(struct cls *c, unsigned int round)
{
	char err[256], buf[96], *argv[8];
	struct rule r;
	int argc = 0;

	snprintf(buf, sizeof(buf), "dummy%u prio 1 dst 10.99.0.%u/32", round, round & 255);
	for (char *t = strtok(buf, " "); t && argc < 8; t = strtok(NULL, " "))
		argv[argc++] = t;
	if (rule_parse_words(&r, argc, argv, err, sizeof(err)) ||
	    cls_add(c, &r, 1, err, sizeof(err)) || cls_del(c, r.def.name, err, sizeof(err))) {
		fprintf(stderr, "bench_cls: dummy table: %s\n", err);
		return -1;
	}
	return 0;
}

static int size_setup(struct size_row *z, const struct opts *o)
{
	char err[256] = "";
	struct rule *rules;
	double t0;
	int e;

	z->skel = ipop_flow_bpf__open_and_load();
	if (!z->skel) {
		fprintf(stderr, "bench_cls: loading the flow object: %s\n", strerror(errno));
		return -1;
	}
	skel_maps(z->skel, &z->maps);
	z->prog = bpf_program__fd(z->skel->progs.ipop_xdp);
	z->flows = bpf_map__fd(z->skel->maps.flows);
	z->dp = bpf_map__fd(z->skel->maps.dp_stats);
	if (cls_open_fds(&z->cls, &z->maps)) {
		fprintf(stderr, "bench_cls: cls_open_fds failed\n");
		return -1;
	}
	rules = make_rules(z->ntables);
	if (!rules)
		return -1;
	t0 = mono();
	e = z->ntables ? cls_add(z->cls, rules, z->ntables, err, sizeof(err)) : 0;
	z->program_s = mono() - t0;
	free(rules);
	if (e) {
		fprintf(stderr, "bench_cls: programming %u tables: %s\n", z->ntables, err);
		return -1;
	}
	z->masks = cls_mask_count(z->cls);
	z->ndst = z->ntables ? (z->ntables + 3) / 4 : 1;
	z->dst_tid = calloc(z->ndst, sizeof(*z->dst_tid));
	z->frames = malloc((size_t)o->frames * FRAME_SZ);
	if (!z->dst_tid || !z->frames)
		return -1;
	for (unsigned int k = 0; z->ntables && k < z->ndst; k++) {
		char name[32];

		snprintf(name, sizeof(name), "d%u", k);
		z->dst_tid[k] = cls_find(z->cls, name);
	}
	for (unsigned int i = 0; i < o->frames; i++)
		frame_build(z->frames + (size_t)i * FRAME_SZ, i, i % (z->hot ? z->hot : z->ndst));
	return 0;
}

static int size_round(struct size_row *z, const struct opts *o, unsigned int r)
{
	__u64 n0;
	double d;
	int err;

	map_empty(z->flows, sizeof(struct flow_key), sizeof(struct flow_value));
	n0 = dp_flow_new(z->dp);
	err = run_frames(z, o->frames, &z->ns[P_MISS][r]);
	z->new_flows[P_MISS] = dp_flow_new(z->dp) - n0;
	if (!err)
		err = bump_generation(z->cls, r);
	n0 = dp_flow_new(z->dp);
	if (!err)
		err = run_frames(z, o->frames, &z->ns[P_RECLASS][r]);
	z->new_flows[P_RECLASS] = dp_flow_new(z->dp) - n0;
	if (!err)
		err = test_run(z->prog, z->frames, 1, &d); /* frame 0's flow exists: warm */
	if (!err)
		err = test_run(z->prog, z->frames, o->repeat, &z->ns[P_HIT][r]);
	if (err)
		fprintf(stderr, "bench_cls: test_run (%u tables): %s\n", z->ntables,
			strerror(err < 0 ? -err : err));
	return err;
}

/* Flows in the map, and those whose cached table is the one their destination names. */
static void flows_check(struct size_row *z, long *nflows, long *right)
{
	struct flow_key k, prev;
	struct flow_value v;
	bool first = true;

	*nflows = *right = 0;
	while (!bpf_map_get_next_key(z->flows, first ? NULL : &prev, &k)) {
		unsigned int d = k.dst[2] << 8 | k.dst[3];

		first = false;
		prev = k;
		if (bpf_map_lookup_elem(z->flows, &k, &v))
			continue;
		(*nflows)++;
		if (z->ntables && k.dst[0] == 10 && k.dst[1] == 100 && d < z->ndst &&
		    v.table_id == z->dst_tid[d])
			(*right)++;
		else if (!z->ntables && v.table_id == 0)
			(*right)++;
	}
}

static __u64 table_packets(struct size_row *z)
{
	const struct rule *r;
	struct cls_table_stats st;
	__u64 s = 0;

	for (__u32 id = cls_next(z->cls, 0, &r); id; id = cls_next(z->cls, id, &r))
		if (!bpf_map_lookup_elem(z->maps.stats, &id, &st))
			s += st.packets;
	return s;
}

static void size_free(struct size_row *z)
{
	cls_close(z->cls);
	ipop_flow_bpf__destroy(z->skel);
	free(z->frames);
	free(z->dst_tid);
	z->cls = NULL;
	z->skel = NULL;
}

static const char *row_label(const struct size_row *z)
{
	static char buf[4][64];
	static int n;
	char *b = buf[n++ % 4];

	if (z->hot)
		snprintf(b, 64, "%u (frames over %u of them)", z->ntables, z->hot);
	else
		snprintf(b, 64, "%u", z->ntables);
	return b;
}

static int bench_packets(const struct opts *o)
{
	/* the last row: 100,000 tables, the frames spread over only 25 of them (a control) */
	static const unsigned int sizes[] = { 0, 1, 4, 100, 10000, 100000, 100000 };
	static const unsigned int hot[] = { 0, 0, 0, 0, 0, 0, 25 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	struct size_row z[NS] = {};
	double t0 = mono(), base[P_N], one[P_N], four[P_N];
	int err = 0;

	for (int i = 0; i < NS && !err; i++) {
		z[i].ntables = sizes[i];
		z[i].hot = hot[i];
		err = size_setup(&z[i], o);
	}
	pin_cpu(o->cpu);
	for (unsigned int r = 0; r < o->rounds && !err; r++)
		for (int i = 0; i < NS && !err; i++)
			err = size_round(&z[i], o, r);
	if (err)
		goto done;

	out("\n## Flow-table classification per packet (ipop_xdp, BPF_PROG_TEST_RUN, CPU %d)\n\n",
	    o->cpu);
	out("Tables spread round robin over 4 shapes (dst /32; proto + dst /24; proto + src /16 + "
	    "dport; proto + dport range, which splits into a /16 and a /15 block); the frames "
	    "match a dst /32 table, the lowest priority, so every mask is searched (worst case). "
	    "miss = %u distinct frames, repeat=1 each, flow map emptied first (classify + insert); "
	    "reclassify = the same frames after a table change (generation moved: classify, no "
	    "insert); hit = one frame, repeat=%u (cached table, no classification). Median of %u "
	    "interleaved rounds, ns/packet.\n\n",
	    o->frames, o->repeat, o->rounds);
	for (int p = 0; p < P_N; p++) {
		base[p] = median(z[0].ns[p], o->rounds);
		one[p] = median(z[1].ns[p], o->rounds);
		four[p] = median(z[2].ns[p], o->rounds);
	}
	out("| tables | masks | path | ns/packet | min..max | vs 1 table | vs 4 tables (same "
	    "masks) | "
	    "vs 0 tables |\n");
	out("|---|---:|---|---:|---:|---:|---:|---:|\n");
	for (int p = 0; p < P_N; p++) {
		for (int i = 0; i < NS; i++) {
			double m = median(z[i].ns[p], o->rounds), lo = z[i].ns[p][0], hi = lo;

			for (unsigned int r = 1; r < o->rounds; r++) {
				lo = z[i].ns[p][r] < lo ? z[i].ns[p][r] : lo;
				hi = z[i].ns[p][r] > hi ? z[i].ns[p][r] : hi;
			}
			out("| %s | %zu | %s | %.1f | %.1f..%.1f | %.2fx | %.2fx | %+.1f ns |\n",
			    row_label(&z[i]), z[i].masks, path_name[p], m, lo, hi, m / one[p],
			    m / four[p], m - base[p]);
		}
	}
	out("\nClassification plus the table's counter update (reclassify minus the 0-table "
	    "reclassify row), by tables: ");
	for (int i = 1; i < NS; i++)
		out("%s: %.1f ns%s", row_label(&z[i]),
		    median(z[i].ns[P_RECLASS], o->rounds) - base[P_RECLASS],
		    i + 1 < NS ? "; " : ".\n");
	out("\nCross-check after the last round (expected: every miss run inserts a flow, no "
	    "reclassify run does, every flow holds the table its destination names, and the "
	    "tables counted %u x (2 x %u + 1 + %u) packets):\n\n",
	    o->rounds, o->frames, o->repeat);
	for (int i = 0; i < NS; i++) {
		long nf, right;
		__u64 exp = z[i].ntables ? (__u64)o->rounds * (2ull * o->frames + 1 + o->repeat)
					 : 0,
		      got = table_packets(&z[i]);

		flows_check(&z[i], &nf, &right);
		out("- %s tables: new flows %llu (miss) / %llu (reclassify); %ld flows in the map, "
		    "%ld with the expected table%s; table packet counters %llu (expected %llu)%s; "
		    "programmed in %.3f s\n",
		    row_label(&z[i]), (unsigned long long)z[i].new_flows[P_MISS],
		    (unsigned long long)z[i].new_flows[P_RECLASS], nf, right,
		    z[i].ntables ? "" : " (none)", (unsigned long long)got, (unsigned long long)exp,
		    got == exp && right == (long)o->frames && z[i].new_flows[P_MISS] == o->frames &&
				    z[i].new_flows[P_RECLASS] == 0
			    ? " OK"
			    : " MISMATCH",
		    z[i].program_s);
	}
	out("\n(%.1f s)\n", mono() - t0);
done:
	for (int i = 0; i < NS; i++)
		size_free(&z[i]);
	return err;
}

/* ---- programming 100,000 tables ---- */

struct prog_step {
	const char *what;
	unsigned int done;
	double wall, cpu;
};

static void step_row(const struct prog_step *s, unsigned int want)
{
	out("| %s | %u%s | %.3f | %.3f | %.2f |\n", s->what, s->done,
	    s->done < want ? " (time bound hit)" : "", s->wall, s->cpu,
	    s->done ? s->wall * 1e6 / s->done : 0.0);
}

/* Delete the tables of rules[0..n) one by one, within budget seconds. */
static void del_all(struct cls *c, const struct rule *rules, unsigned int n, double budget,
		    struct prog_step *s)
{
	double t0 = mono(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	char err[256];

	for (s->done = 0; s->done < n; s->done++) {
		if (s->done % 1000 == 0 && mono() - t0 > budget)
			break;
		if (cls_del(c, rules[s->done].def.name, err, sizeof(err))) {
			fprintf(stderr, "bench_cls: cls_del %s: %s\n", rules[s->done].def.name,
				err);
			break;
		}
	}
	s->wall = mono() - t0;
	s->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
}

static int bench_programming(const struct opts *o)
{
	struct prog_step st[4] = { { "add, one cls_add batch", 0, 0, 0 },
				   { "delete, one cls_del per table", 0, 0, 0 },
				   { "add, one cls_add per table", 0, 0, 0 },
				   { "delete, one cls_del per table", 0, 0, 0 } };
	double budget = o->budget_s, t0, c0, tstart = mono();
	struct ipop_flow_bpf *skel = ipop_flow_bpf__open_and_load();
	struct rule *rules = make_rules(BIG_TABLES);
	struct cls_maps m;
	struct cls *c = NULL;
	char err[256] = "";
	size_t masks = 0;
	int e = -1;

	if (!skel || !rules) {
		fprintf(stderr, "bench_cls: loading the flow object / rules failed\n");
		goto done;
	}
	skel_maps(skel, &m);
	if (cls_open_fds(&c, &m))
		goto done;
	t0 = mono();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	e = cls_add(c, rules, BIG_TABLES, err, sizeof(err));
	st[0].wall = mono() - t0;
	st[0].cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (e) {
		fprintf(stderr, "bench_cls: cls_add batch: %s\n", err);
		goto done;
	}
	st[0].done = cls_count(c);
	masks = cls_mask_count(c);
	del_all(c, rules, BIG_TABLES, budget, &st[1]);
	/* what the time bound left: not measured */
	for (unsigned int i = st[1].done; i < BIG_TABLES; i++)
		cls_del(c, rules[i].def.name, err, sizeof(err));
	t0 = mono();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (st[2].done = 0; st[2].done < BIG_TABLES; st[2].done++) {
		if (st[2].done % 1000 == 0 && mono() - t0 > budget)
			break;
		if (cls_add(c, &rules[st[2].done], 1, err, sizeof(err))) {
			fprintf(stderr, "bench_cls: cls_add %u: %s\n", st[2].done, err);
			e = -1;
			goto done;
		}
	}
	st[2].wall = mono() - t0;
	st[2].cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	del_all(c, rules, st[2].done, budget, &st[3]);
	e = 0;

	out("\n## Programming %u flow tables (controller, user/clsctl.c, into a loaded "
	    "skeleton)\n\n",
	    BIG_TABLES);
	out("The same 4 shapes as above (%zu masks, %u entries in cls_rules: the dport ranges are "
	    "2 entries each). Every cls_add/cls_del publishes a new mask set and generation. "
	    "Time bound per step: %u s.\n\n",
	    masks, BIG_TABLES / 4 * 5, o->budget_s);
	out("| step | tables | wall s | CPU s (process) | µs per table (wall) |\n");
	out("|---|---:|---:|---:|---:|\n");
	for (int i = 0; i < 4; i++)
		step_row(&st[i], BIG_TABLES);
	out("\n(%.1f s)\n", mono() - tstart);
done:
	cls_close(c);
	ipop_flow_bpf__destroy(skel);
	free(rules);
	return e;
}

/* ---- the statistics thread at 1,000,000 flows ---- */

static int fill_flows(int fd, unsigned int n)
{
	static struct flow_key keys[FILL_CHUNK];
	static struct flow_value vals[FILL_CHUNK];
	uint64_t now = mono_ns();

	for (unsigned int base = 0; base < n; base += FILL_CHUNK) {
		__u32 cnt = n - base < FILL_CHUNK ? n - base : FILL_CHUNK;

		for (unsigned int i = 0; i < cnt; i++) {
			unsigned int f = base + i;
			struct flow_key *k = &keys[i];

			memset(k, 0, sizeof(*k));
			k->ifindex = 1;
			k->l3 = FLOW_L3_IPV4;
			k->proto = 17;
			k->ethertype = 0x0800;
			k->src[0] = 10, k->src[1] = f >> 16, k->src[2] = f >> 8, k->src[3] = f;
			k->dst[0] = 10, k->dst[1] = 100, k->dst[2] = (f >> 8) % 98,
			k->dst[3] = f & 255;
			k->sport = 1024 + f % 60000;
			k->dport = 9;
			vals[i] = (struct flow_value){ .packets = 10,
						       .bytes = 6400,
						       .first_seen_ns = now,
						       .last_seen_ns = now };
		}
		if (bpf_map_update_batch(fd, keys, vals, &cnt, NULL))
			return -errno;
	}
	return 0;
}

/* Passes 2.. of each row: the steady state (pass 1 faults its arrays in). */
struct pass_times {
	const char *label;
	double wall[STATS_PASSES], cpu[STATS_PASSES];
};

static int stats_passes(struct stats *s, unsigned int nflows, struct pass_times *pt)
{
	const char *label = pt->label;

	for (int p = 0; p < STATS_PASSES; p++) {
		double w0 = mono(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w, c;
		struct stats_snapshot *snap;
		int e = stats_pass(s, mono_ns());

		w = mono() - w0;
		c = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		if (e) {
			fprintf(stderr, "bench_cls: stats_pass: %s\n", strerror(-e));
			return e;
		}
		pt->wall[p] = w;
		pt->cpu[p] = c;
		snap = stats_snapshot_get(s);
		out("| %s | %zu | %zu | %zu | %d | %.1f | %.1f | %.1f%% | %s |\n", label,
		    snap ? snap->n_flows : 0, snap ? snap->n_tables : 0, snap ? snap->n_ended : 0,
		    p + 1, w * 1e3, c * 1e3, c * 100.0,
		    snap && snap->n_flows == nflows && !snap->partial && w < 1.0 ? "yes" : "NO");
		stats_snapshot_put(snap);
		usleep(100000);
	}
	return 0;
}

static int bench_stats(const struct opts *o)
{
	struct ipop_flow_bpf *skel = ipop_flow_bpf__open();
	struct rule *rules = NULL;
	struct stats *s = NULL;
	struct stats_maps sm;
	struct stats_cfg cfg;
	struct pass_times pt[2] = { { "0", { 0 }, { 0 } }, { "100,000", { 0 }, { 0 } } };
	struct cls_maps m;
	struct cls *c = NULL;
	double t0 = mono(), tf;
	char err[256] = "";
	int e = -1;

	(void)o;
	if (!skel || bpf_map__set_max_entries(skel->maps.flows, FLOWS_MAPSZ) ||
	    ipop_flow_bpf__load(skel)) {
		fprintf(stderr, "bench_cls: loading the flow object with %u flows: %s\n",
			FLOWS_MAPSZ, strerror(errno));
		goto done;
	}
	sm = (struct stats_maps){ bpf_map__fd(skel->maps.flows), bpf_map__fd(skel->maps.dp_stats),
				  bpf_map__fd(skel->maps.table_stats),
				  bpf_map__fd(skel->maps.tables) };
	tf = mono();
	e = fill_flows(sm.flows, FLOWS_BIG);
	tf = mono() - tf;
	if (e) {
		fprintf(stderr, "bench_cls: filling the flow map: %s\n", strerror(-e));
		goto done;
	}
	stats_cfg_defaults(&cfg);
	s = stats_new(&cfg, &sm);
	if (!s) {
		fprintf(stderr, "bench_cls: stats_new: %s\n", strerror(errno));
		goto done;
	}
	out("\n## Statistics thread: one pass at %u live flows (LRU flow map of %u entries)\n\n",
	    FLOWS_BIG, FLOWS_MAPSZ);
	out("stats_pass() called directly on this thread with the real clock, %d passes 0.1 s "
	    "apart per row (pass 1 has no previous snapshot). CPU = this thread's CPU time (user "
	    "+ kernel, the batch reads included); CPU share = CPU per pass at the default 1 s "
	    "interval. Default config (no idle/active timeout: nothing expires). Map filled with "
	    "bpf_map_update_batch in %.2f s.\n\n",
	    STATS_PASSES, tf);
	out("| tables programmed | flows in snapshot | tables in snapshot | ended | pass | "
	    "wall ms | CPU ms | CPU share at 1 s | < 1 s, complete |\n");
	out("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
	e = stats_passes(s, FLOWS_BIG, &pt[0]);
	if (e)
		goto done;
	skel_maps(skel, &m);
	rules = make_rules(BIG_TABLES);
	e = -1;
	if (!rules || cls_open_fds(&c, &m) || cls_add(c, rules, BIG_TABLES, err, sizeof(err))) {
		fprintf(stderr, "bench_cls: programming tables for the stats pass: %s\n", err);
		goto done;
	}
	e = stats_passes(s, FLOWS_BIG, &pt[1]);
	if (e)
		goto done;
	out("\nSteady state (median of passes 2..%d), target a pass under 1 s:", STATS_PASSES);
	for (int i = 0; i < 2; i++) {
		double w = median(pt[i].wall + 1, STATS_PASSES - 1),
		       c = median(pt[i].cpu + 1, STATS_PASSES - 1), wmax = 0;

		for (int p = 0; p < STATS_PASSES; p++)
			wmax = pt[i].wall[p] > wmax ? pt[i].wall[p] : wmax;
		out(" %s tables: %.0f ms wall, %.0f ms CPU, %.0f%% of one CPU at 1 s, slowest pass "
		    "%.0f ms (%s);",
		    pt[i].label, w * 1e3, c * 1e3, c * 100, wmax * 1e3,
		    wmax < 1.0 ? "met"
		    : w < 1.0  ? "met in steady state only"
			       : "NOT met");
	}
	out("\n\n(%.1f s)\n", mono() - t0);
done:
	stats_free(s);
	cls_close(c);
	free(rules);
	ipop_flow_bpf__destroy(skel);
	return e;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fprintf(stderr, "bench_cls: %s needs a value\n", a);
			return -1;
		}
		if (!strcmp(a, "--md"))
			o->md = v;
		else if (!strcmp(a, "--rounds"))
			o->rounds = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--frames"))
			o->frames = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--repeat"))
			o->repeat = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--cpu"))
			o->cpu = atoi(v);
		else if (!strcmp(a, "--budget"))
			o->budget_s = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--parts"))
			o->parts = v;
		else {
			fprintf(stderr, "bench_cls: unknown option %s\n", a);
			return -1;
		}
	}
	/* frames stay below the flow map's 65,536 entries and inside 10.213.0.0/16 */
	if (!o->rounds || o->rounds > ROUNDS_MAX || !o->frames || o->frames > 60000 || !o->repeat ||
	    !o->budget_s) {
		fprintf(stderr,
			"bench_cls: need 0<rounds<=%d, 0<frames<=60000, repeat>0, budget>0\n",
			ROUNDS_MAX);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { NULL, 5, 20000, 1000000, 15, 0, "abc" };
	double t0 = mono();
	int err;

	if (parse_args(argc, argv, &o))
		return 2;
	if (geteuid()) {
		fprintf(stderr, "bench_cls: needs root (BPF maps and programs)\n");
		return 1;
	}
	libbpf_set_print(NULL);
	if (o.md) {
		md_out = fopen(o.md, "a");
		if (!md_out) {
			fprintf(stderr, "bench_cls: %s: %s\n", o.md, strerror(errno));
			return 1;
		}
	}
	err = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strchr(o.parts, 'a')) {
		fprintf(stderr, "bench_cls: per-packet classification ...\n");
		err = bench_packets(&o);
	}
	if (!err && strchr(o.parts, 'b')) {
		fprintf(stderr, "bench_cls: programming %u tables ...\n", BIG_TABLES);
		err = bench_programming(&o);
	}
	if (!err && strchr(o.parts, 'c')) {
		fprintf(stderr, "bench_cls: statistics pass at %u flows ...\n", FLOWS_BIG);
		err = bench_stats(&o);
	}
	out("\nbench_cls total runtime %.1f s.\n", mono() - t0);
	if (md_out)
		fclose(md_out);
	return err ? 1 : 0;
}
