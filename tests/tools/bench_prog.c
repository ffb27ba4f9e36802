// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_prog: per-packet cost of the flow programs through
 * BPF_PROG_TEST_RUN, against bare programs (XDP_PASS / TC_ACT_OK, two
 * instructions) measured in the same run. Configurations are interleaved
 * round by round; the median of the rounds is printed as a markdown table.
 *
 * Paths:
 *   hit   one 64-byte UDP frame, test_run with `repeat` (the flow exists
 *         after the first run, every later run is a lookup + atomic adds).
 *   miss  test_run with repeat=1 over N distinct frames (source address and
 *         port vary), the flow map emptied before each round: every run
 *         inserts a new flow. Compared with the bare program and with the
 *         hit path run the same way (repeat=1, one syscall per frame), since
 *         a single run costs more than one of a long repeat loop (cold
 *         caches after the syscall, timer overhead).
 *   full  the miss path with the flow map filled to capacity first (with
 *         flows no frame matches): every insert evicts an LRU entry, the
 *         steady state when there are more flows than entries.
 *   2cpu  the hit path on two threads pinned to CPU 0 and 1 at once, same
 *         flow: the shared map's atomic adds bounce one cache line, the
 *         per-CPU map's do not.
 *
 * Usage: bench_prog [--obj F] [--obj-percpu F] [--repeat N] [--miss N] [--rounds R]
 *                   [--cpu C] [--md FILE]
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow.h"

#define FRAME_LEN    64
#define FILL_IFINDEX 0xfffffff0 /* flows of map_fill(): no test frame matches them */
#define MAX_ROUNDS   15

struct bench_opts {
	const char *obj;
	const char *obj_percpu;
	unsigned int repeat;
	unsigned int miss;
	unsigned int rounds;
	int cpu;
	const char *md;
};

/* One loaded flow object: its programs and its flow map. */
struct flow_obj {
	struct bpf_object *obj;
	int xdp, tc_in, tc_eg; /* program fds */
	int flows;	       /* map fd */
};

enum run_kind {
	RUN_REPEAT, /* one frame, test_run repeat=N */
	RUN_SINGLE, /* N frames (or N times one frame), repeat=1 each */
	RUN_2CPU,   /* RUN_REPEAT on CPU 0 and CPU 1 at once */
};

struct bench_cfg {
	const char *name;
	const char *path;
	const char *base; /* bare row of the same run kind to compare with */
	int *prog_fd;
	int *flows_fd; /* emptied before each round when not NULL */
	enum run_kind kind;
	unsigned int flags;
	long flows_after; /* RUN_SINGLE: flows of the test frames in the map after the run */
	double ns[MAX_ROUNDS];
};

enum cfg_flags {
	F_DISTINCT = 1 << 0, /* RUN_SINGLE: a different frame each run */
	F_FULL = 1 << 1,     /* fill the flow map to capacity first: every insert evicts */
};

#define ROW(n, p, b, prog, map, kind, fl)         \
	{                                         \
		n, p, b, prog, map, kind, fl, -1, \
		{                                 \
		}                                 \
	}

static uint8_t *frames; /* opts.miss distinct frames; frames[0] is the hit frame */

static uint16_t ip_csum(const uint8_t *p, int len)
{
	uint32_t s = 0;

	for (int i = 0; i < len; i += 2)
		s += (p[i] << 8) | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/* A 64-byte Ethernet/IPv4/UDP frame; flow number n sets source address and port. */
static void build_frame(uint8_t *f, unsigned int n)
{
	static const uint8_t hdr[] = {
		0x02, 0,    0,	  0,	0,  0x02, 0x02, 0,  0,	0,  0, 0x01,
		0x08, 0x00,						  /* Ethernet */
		0x45, 0,    0,	  50,	0,  0,	  0x40, 0,  64, 17, 0, 0, /* IPv4 */
		10,   213,  0,	  1,	10, 213,  0,	99,		  /* src, dst */
		0,    0,    0x2f, 0xa9, 0,  30,	  0,	0		  /* UDP */
	};

	memset(f, 0, FRAME_LEN);
	memcpy(f, hdr, sizeof(hdr));
	f[27] = 16 + (n >> 16); /* source 10.213.(16 + n>>16).(n>>8): distinct per flow */
	f[28] = n >> 8;
	f[29] = n & 0xff;
	f[34] = 0x80 | ((n >> 8) & 0x7f); /* source port */
	f[35] = n & 0xff;
	uint16_t c = ip_csum(f + 14, 20);
	f[24] = c >> 8;
	f[25] = c & 0xff;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int test_run(int fd, const uint8_t *frame, unsigned int repeat, double *ns)
{
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = FRAME_LEN,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);
	int err = bpf_prog_test_run_opts(fd, &o);

	if (err)
		return -errno;
	*ns = o.duration; /* kernel-measured, ns per run */
	return 0;
}

/* Mean ns/run over n runs with repeat=1 (sum of the kernel's per-run durations). */
static int run_single(int fd, unsigned int n, bool distinct, double *ns)
{
	double sum = 0, d;
	int err;

	for (unsigned int i = 0; i < n; i++) {
		err = test_run(fd, frames + (distinct ? i : 0) * FRAME_LEN, 1, &d);
		if (err)
			return err;
		sum += d;
	}
	*ns = sum / n;
	return 0;
}

struct thr_arg {
	int fd, cpu;
	unsigned int repeat;
	double ns;
	int err;
};

static void *thr_run(void *p)
{
	struct thr_arg *a = p;

	pin_cpu(a->cpu);
	a->err = test_run(a->fd, frames, a->repeat, &a->ns);
	return NULL;
}

/* Both CPUs run the same frame at once; the result is the mean of their ns/run. */
static int run_2cpu(int fd, unsigned int repeat, double *ns)
{
	struct thr_arg a[2] = { { fd, 0, repeat, 0, 0 }, { fd, 1, repeat, 0, 0 } };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, thr_run, &a[i]))
			return -EAGAIN;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (a[0].err || a[1].err)
		return a[0].err ? a[0].err : a[1].err;
	*ns = (a[0].ns + a[1].ns) / 2;
	return 0;
}

static void map_clear(int fd)
{
	struct flow_key *keys, *prev = NULL;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), n = 0;

	/* collect every key, then delete: deleting while walking would skip entries */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size != sizeof(*keys))
		return;
	keys = calloc(info.max_entries + 1, sizeof(*keys));
	if (!keys)
		return;
	while (n < info.max_entries && !bpf_map_get_next_key(fd, prev, &keys[n])) {
		prev = &keys[n];
		n++;
	}
	for (__u32 i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
}

/*
 * Fill the flow map to max_entries with flows no test frame matches (another
 * ifindex), so that every insert the programs make must evict one.
 */
static int map_fill(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct flow_key k = {};
	int ncpu = libbpf_num_possible_cpus(), err;
	void *val;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	/* per-CPU maps take one 8-byte-aligned value per possible CPU */
	val = calloc(ncpu > 0 ? ncpu : 1, (info.value_size + 7) & ~7u);
	if (!val)
		return -ENOMEM;
	k.ifindex = FILL_IFINDEX;
	k.l3 = FLOW_L3_IPV4;
	k.proto = 17;
	for (__u32 i = 0; i < info.max_entries; i++) {
		memcpy(k.src, &i, sizeof(i));
		if (bpf_map_update_elem(fd, &k, val, BPF_ANY)) {
			err = -errno;
			free(val);
			return err;
		}
	}
	free(val);
	return 0;
}

/* Flows in the map that came from the test frames (not from map_fill). */
static long map_count_ours(int fd)
{
	struct flow_key k, prev;
	long n = 0, guard = 0;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &prev, &k) && guard++ < 10000000) {
		n += k.ifindex != FILL_IFINDEX;
		prev = k;
		first = false;
	}
	return n;
}

static int run_cfg(struct bench_cfg *c, const struct bench_opts *o, int round)
{
	int err;

	if (c->flows_fd)
		map_clear(*c->flows_fd);
	if (c->flows_fd && (c->flags & F_FULL)) {
		err = map_fill(*c->flows_fd);
		if (err) {
			fprintf(stderr, "bench_prog: filling the flow map: %s\n", strerror(-err));
			return err;
		}
	}
	switch (c->kind) {
	case RUN_REPEAT:
		test_run(*c->prog_fd, frames, 1, &c->ns[round]); /* warm: insert the flow */
		err = test_run(*c->prog_fd, frames, o->repeat, &c->ns[round]);
		break;
	case RUN_SINGLE:
		err = run_single(*c->prog_fd, o->miss, c->flags & F_DISTINCT, &c->ns[round]);
		if (!err && c->flows_fd)
			c->flows_after = map_count_ours(*c->flows_fd);
		break;
	default:
		test_run(*c->prog_fd, frames, 1, &c->ns[round]);
		err = run_2cpu(*c->prog_fd, o->repeat, &c->ns[round]);
		break;
	}
	if (err)
		fprintf(stderr, "bench_prog: %s (%s): test_run: %s\n", c->name, c->path,
			strerror(-err));
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int bare_prog(enum bpf_prog_type type, int ret)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, "bench_bare", "GPL", insns, 2, NULL);
}

static int flow_obj_load(const char *path, struct flow_obj *f)
{
	struct bpf_program *p;
	int err;

	f->obj = bpf_object__open_file(path, NULL);
	if (!f->obj)
		return -errno;
	err = bpf_object__load(f->obj);
	if (err)
		return err;
	p = bpf_object__find_program_by_name(f->obj, "ipop_xdp");
	f->xdp = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(f->obj, "ipop_tc_in");
	f->tc_in = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(f->obj, "ipop_tc_eg");
	f->tc_eg = p ? bpf_program__fd(p) : -1;
	f->flows = bpf_object__find_map_fd_by_name(f->obj, "flows");
	if (f->xdp < 0 || f->tc_in < 0 || f->tc_eg < 0 || f->flows < 0)
		return -ENOENT;
	return 0;
}

static void print_table(FILE *out, struct bench_cfg *cfgs, int n, const struct bench_opts *o)
{
	fprintf(out, "| program | path | ns/packet (median of %u) | min..max | vs bare |\n",
		o->rounds);
	fprintf(out, "|---|---|---:|---:|---:|\n");
	for (int i = 0; i < n; i++) {
		double m = median(cfgs[i].ns, o->rounds), lo = cfgs[i].ns[0], hi = lo, b = 0;

		for (unsigned int r = 1; r < o->rounds; r++) {
			lo = cfgs[i].ns[r] < lo ? cfgs[i].ns[r] : lo;
			hi = cfgs[i].ns[r] > hi ? cfgs[i].ns[r] : hi;
		}
		for (int j = 0; j < n; j++)
			if (cfgs[i].base && !strcmp(cfgs[j].name, cfgs[i].base) &&
			    cfgs[j].kind == cfgs[i].kind)
				b = median(cfgs[j].ns, o->rounds);
		fprintf(out, "| %s | %s | %.1f | %.1f..%.1f |", cfgs[i].name, cfgs[i].path, m, lo,
			hi);
		if (b > 0)
			fprintf(out, " %.2fx (+%.1f ns) |\n", m / b, m - b);
		else
			fprintf(out, " 1.00x |\n");
	}
}

/* Did the miss rows really insert one flow per frame (and the hit rows one)? */
static void print_checks(FILE *out, struct bench_cfg *cfgs, int n, const struct bench_opts *o)
{
	fprintf(out,
		"\nFlows in the map after the last round of each repeat=1 row (expected: "
		"1 for hit, %u for miss):",
		o->miss);
	for (int i = 0; i < n; i++)
		if (cfgs[i].flows_after >= 0)
			fprintf(out, " %s %s: %ld;", cfgs[i].name, cfgs[i].path,
				cfgs[i].flows_after);
	fprintf(out, "\n");
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fprintf(stderr, "bench_prog: %s needs a value\n", a);
			return -EINVAL;
		}
		i++;
		if (!strcmp(a, "--obj"))
			o->obj = v;
		else if (!strcmp(a, "--obj-percpu"))
			o->obj_percpu = v;
		else if (!strcmp(a, "--repeat"))
			o->repeat = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--miss"))
			o->miss = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--rounds"))
			o->rounds = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--cpu"))
			o->cpu = atoi(v);
		else if (!strcmp(a, "--md"))
			o->md = v;
		else {
			fprintf(stderr, "bench_prog: unknown option %s\n", a);
			return -EINVAL;
		}
	}
	if (!o->repeat || !o->miss || o->miss > 60000 || !o->rounds || o->rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_prog: need repeat>0, 0<miss<=60000, 0<rounds<=%d\n",
			MAX_ROUNDS);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		"build/ipop_flow.bpf.o", "build/ipop_flow_percpu.bpf.o", 2000000, 20000, 5, 0, NULL
	};
	struct flow_obj sh = {}, pc = {};
	int bare_xdp, bare_tc, err, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double t0 = now_s();

	if (parse_args(argc, argv, &o))
		return 2;
	libbpf_set_print(NULL);
	frames = calloc(o.miss, FRAME_LEN);
	if (!frames)
		return 1;
	for (unsigned int i = 0; i < o.miss; i++)
		build_frame(frames + i * FRAME_LEN, i);
	bare_xdp = bare_prog(BPF_PROG_TYPE_XDP, 2 /* XDP_PASS */);
	bare_tc = bare_prog(BPF_PROG_TYPE_SCHED_CLS, 0 /* TC_ACT_OK */);
	if (bare_xdp < 0 || bare_tc < 0) {
		fprintf(stderr, "bench_prog: loading the bare programs: %s\n", strerror(errno));
		return 1;
	}
	err = flow_obj_load(o.obj, &sh);
	if (!err)
		err = flow_obj_load(o.obj_percpu, &pc);
	if (err) {
		fprintf(stderr, "bench_prog: loading %s / %s: %s\n", o.obj, o.obj_percpu,
			strerror(-err));
		return 1;
	}

	/* name, path, bare row to compare with, program, flow map to empty, kind, flags */
	struct bench_cfg cfgs[] = {
		ROW("bare XDP", "hit, repeat", NULL, &bare_xdp, NULL, RUN_REPEAT, 0),
		ROW("ipop_xdp shared", "hit, repeat", "bare XDP", &sh.xdp, NULL, RUN_REPEAT, 0),
		ROW("ipop_xdp per-CPU", "hit, repeat", "bare XDP", &pc.xdp, NULL, RUN_REPEAT, 0),
		ROW("bare TC", "hit, repeat", NULL, &bare_tc, NULL, RUN_REPEAT, 0),
		ROW("ipop_tc_in shared", "hit, repeat", "bare TC", &sh.tc_in, NULL, RUN_REPEAT, 0),
		ROW("ipop_tc_in per-CPU", "hit, repeat", "bare TC", &pc.tc_in, NULL, RUN_REPEAT, 0),
		ROW("ipop_tc_eg shared", "hit, repeat", "bare TC", &sh.tc_eg, NULL, RUN_REPEAT, 0),
		ROW("ipop_tc_eg per-CPU", "hit, repeat", "bare TC", &pc.tc_eg, NULL, RUN_REPEAT, 0),
		ROW("bare XDP", "hit, 2 CPUs", NULL, &bare_xdp, NULL, RUN_2CPU, 0),
		ROW("ipop_xdp shared", "hit, 2 CPUs", "bare XDP", &sh.xdp, NULL, RUN_2CPU, 0),
		ROW("ipop_xdp per-CPU", "hit, 2 CPUs", "bare XDP", &pc.xdp, NULL, RUN_2CPU, 0),
		ROW("bare XDP", "distinct frames, repeat=1", NULL, &bare_xdp, NULL, RUN_SINGLE,
		    F_DISTINCT),
		ROW("ipop_xdp shared", "hit, repeat=1", "bare XDP", &sh.xdp, &sh.flows, RUN_SINGLE,
		    0),
		ROW("ipop_xdp shared", "miss, repeat=1", "bare XDP", &sh.xdp, &sh.flows, RUN_SINGLE,
		    F_DISTINCT),
		ROW("ipop_xdp shared", "miss, map full (evicts), repeat=1", "bare XDP", &sh.xdp,
		    &sh.flows, RUN_SINGLE, F_DISTINCT | F_FULL),
		ROW("ipop_xdp per-CPU", "hit, repeat=1", "bare XDP", &pc.xdp, &pc.flows, RUN_SINGLE,
		    0),
		ROW("ipop_xdp per-CPU", "miss, repeat=1", "bare XDP", &pc.xdp, &pc.flows,
		    RUN_SINGLE, F_DISTINCT),
		ROW("ipop_xdp per-CPU", "miss, map full (evicts), repeat=1", "bare XDP", &pc.xdp,
		    &pc.flows, RUN_SINGLE, F_DISTINCT | F_FULL),
	};
	int n = sizeof(cfgs) / sizeof(cfgs[0]);

	pin_cpu(o.cpu);
	for (unsigned int r = 0; r < o.rounds; r++)
		for (int i = 0; i < n; i++) {
			if (cfgs[i].kind == RUN_2CPU && ncpu < 2) {
				cfgs[i].ns[r] = 0;
				continue;
			}
			pin_cpu(o.cpu);
			if (run_cfg(&cfgs[i], &o, r))
				return 1;
		}
	print_table(stdout, cfgs, n, &o);
	printf("\n(%u rounds interleaved, repeat=%u, %u distinct frames for repeat=1 rows, "
	       "%.1f s)\n",
	       o.rounds, o.repeat, o.miss, now_s() - t0);
	print_checks(stdout, cfgs, n, &o);
	if (o.md) {
		FILE *f = fopen(o.md, "a");

		if (f) {
			print_table(f, cfgs, n, &o);
			print_checks(f, cfgs, n, &o);
			fclose(f);
		}
	}
	return 0;
}
