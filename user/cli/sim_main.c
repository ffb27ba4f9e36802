// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ipop-sim: run N simulated controllers over a graph and print the results. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/sim.h"
#include "sim/scen_routing.h"
#include "sim/smm_scen.h"

#define NS_PER_MS 1000000ULL

static const char usage[] =
	"usage: ipop-sim [options]   (or: ipop-sim smm --help)\n"
	"  --nodes N            number of nodes (default 1000)\n"
	"  --graph KIND         ring|chord|regular|er|ba|ws|file (default chord)\n"
	"  --degree K           regular: degree; er: mean degree; ba: 2m; ws: k (default 8)\n"
	"  --p P                er: edge probability (instead of --degree)\n"
	"  --beta B             ws: rewiring probability (default 0.1)\n"
	"  --edges FILE         edge list for --graph file ('u v' per line)\n"
	"  --latency MIN[:MAX]  per-link latency in ms (default 5:50)\n"
	"  --loss P             per-message loss probability\n"
	"  --link-fail F        fraction of links dead from the start\n"
	"  --node-fail F        fraction of nodes that fail at --fail-at\n"
	"  --fail-at MS         when nodes fail (default 100)\n"
	"  --detect MS          failure detection delay (default 3000)\n"
	"  --scenario NAME      neighbours|flood|none (default neighbours)\n"
	"  --sources K          flood: number of sources (default 1)\n"
	"  --repeat R           issue every send R times, same ID (default 1)\n"
	"  --until MS           stop the virtual clock at MS\n"
	"  --start-window MS    neighbours: nodes start within MS (default 1000)\n"
	"  --seen-capacity N    CMM seen-cache bound per node (default 1024)\n"
	"  --payload BYTES      payload size (default 32)\n"
	"  --modules FILE       module config JSON (object of modules)\n"
	"  --seed S             PRNG seed (default 1)\n"
	"  --json               print results as JSON\n"
	"  --verbose            print module logs\n";

enum {
	O_NODES = 256,
	O_GRAPH,
	O_DEGREE,
	O_P,
	O_BETA,
	O_EDGES,
	O_LAT,
	O_LOSS,
	O_LINKF,
	O_NODEF,
	O_FAILAT,
	O_DETECT,
	O_SCEN,
	O_SRC,
	O_REP,
	O_UNTIL,
	O_WINDOW,
	O_SEEN,
	O_PAYLOAD,
	O_MODS,
	O_SEED,
	O_JSON,
	O_VERB,
	O_HELP
};

static const struct option longopts[] = {
	{ "nodes", 1, 0, O_NODES },
	{ "graph", 1, 0, O_GRAPH },
	{ "degree", 1, 0, O_DEGREE },
	{ "p", 1, 0, O_P },
	{ "beta", 1, 0, O_BETA },
	{ "edges", 1, 0, O_EDGES },
	{ "latency", 1, 0, O_LAT },
	{ "loss", 1, 0, O_LOSS },
	{ "link-fail", 1, 0, O_LINKF },
	{ "node-fail", 1, 0, O_NODEF },
	{ "fail-at", 1, 0, O_FAILAT },
	{ "detect", 1, 0, O_DETECT },
	{ "scenario", 1, 0, O_SCEN },
	{ "sources", 1, 0, O_SRC },
	{ "repeat", 1, 0, O_REP },
	{ "until", 1, 0, O_UNTIL },
	{ "start-window", 1, 0, O_WINDOW },
	{ "seen-capacity", 1, 0, O_SEEN },
	{ "payload", 1, 0, O_PAYLOAD },
	{ "modules", 1, 0, O_MODS },
	{ "seed", 1, 0, O_SEED },
	{ "json", 0, 0, O_JSON },
	{ "verbose", 0, 0, O_VERB },
	{ "help", 0, 0, O_HELP },
	{ 0, 0, 0, 0 },
};

struct sim_args {
	struct sim_cfg cfg;
	const char *modules_file;
	bool json;
	bool nodes_set;
};

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' ? -EINVAL : 0;
}

static int parse_prob(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return end == s || *end || *out < 0 || *out > 1 ? -EINVAL : 0;
}

static int parse_enum(const char *s, const char *const *names, int *out)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s)) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

static int parse_latency(const char *s, struct sim_cfg *c)
{
	double lo, hi;
	char extra;
	int n = sscanf(s, "%lf:%lf%c", &lo, &hi, &extra);

	if (n == 1)
		hi = lo;
	if ((n != 1 && n != 2) || lo < 0 || hi < lo)
		return -EINVAL;
	c->lat_min_ns = (uint64_t)(lo * NS_PER_MS);
	c->lat_max_ns = (uint64_t)(hi * NS_PER_MS);
	return 0;
}

enum num_kind { K_U32, K_U64, K_PROB, K_MS };

struct num_opt {
	int o;
	enum num_kind kind;
	size_t off; /* in struct sim_cfg */
	uint64_t lo, hi;
};

#define CFG_OFF(f) offsetof(struct sim_cfg, f)

static const struct num_opt num_opts[] = {
	{ O_NODES, K_U32, CFG_OFF(graph.n), 0, UINT32_MAX - 1 },
	{ O_DEGREE, K_U32, CFG_OFF(graph.degree), 0, 100000 },
	{ O_P, K_PROB, CFG_OFF(graph.p), 0, 0 },
	{ O_BETA, K_PROB, CFG_OFF(graph.beta), 0, 0 },
	{ O_LOSS, K_PROB, CFG_OFF(loss), 0, 0 },
	{ O_LINKF, K_PROB, CFG_OFF(link_fail), 0, 0 },
	{ O_NODEF, K_PROB, CFG_OFF(node_fail), 0, 0 },
	{ O_FAILAT, K_MS, CFG_OFF(fail_at_ns), 0, UINT64_MAX / NS_PER_MS },
	{ O_DETECT, K_MS, CFG_OFF(detect_ns), 0, UINT64_MAX / NS_PER_MS },
	{ O_UNTIL, K_MS, CFG_OFF(until_ns), 0, UINT64_MAX / NS_PER_MS },
	{ O_WINDOW, K_MS, CFG_OFF(start_window_ns), 0, UINT64_MAX / NS_PER_MS },
	{ O_SRC, K_U32, CFG_OFF(sources), 0, 1000000 },
	{ O_REP, K_U32, CFG_OFF(repeat), 1, 255 },
	{ O_SEEN, K_U32, CFG_OFF(seen_capacity), 1, 1u << 24 },
	{ O_PAYLOAD, K_U32, CFG_OFF(payload_len), 0, 1200 },
	{ O_SEED, K_U64, CFG_OFF(seed), 0, UINT64_MAX },
};

static int parse_num(const struct num_opt *n, const char *arg, struct sim_cfg *c)
{
	char *field = (char *)c + n->off;
	uint64_t v;
	double d;

	if (n->kind == K_PROB) {
		if (parse_prob(arg, &d))
			return -EINVAL;
		memcpy(field, &d, sizeof(d));
		return 0;
	}
	if (parse_u64(arg, &v) || v < n->lo || v > n->hi)
		return -EINVAL;
	if (n->kind == K_U32) {
		uint32_t v32 = (uint32_t)v;

		memcpy(field, &v32, sizeof(v32));
		return 0;
	}
	v *= n->kind == K_MS ? NS_PER_MS : 1;
	memcpy(field, &v, sizeof(v));
	return 0;
}

static int parse_opt(int o, const char *arg, struct sim_args *a)
{
	struct sim_cfg *c = &a->cfg;
	int e = 0, ret = 0;

	a->nodes_set |= o == O_NODES;
	for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++)
		if (num_opts[i].o == o)
			return parse_num(&num_opts[i], arg, c);
	switch (o) {
	case O_GRAPH:
		ret = parse_enum(arg, graph_names, &e);
		c->graph.kind = (enum graph_kind)e;
		break;
	case O_EDGES:
		c->graph.file = arg;
		c->graph.kind = GRAPH_FILE;
		if (!a->nodes_set)
			c->graph.n = 0;
		break;
	case O_LAT:
		ret = parse_latency(arg, c);
		break;
	case O_SCEN:
		ret = parse_enum(arg, sim_scenario_names, &e);
		c->scenario = (enum sim_scenario)e;
		break;
	case O_MODS:
		a->modules_file = arg;
		break;
	default:
		ret = -EINVAL;
	}
	return ret;
}

static int parse_args(int argc, char **argv, struct sim_args *a)
{
	int o;

	sim_cfg_defaults(&a->cfg);
	while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (o == O_HELP) {
			fputs(usage, stdout);
			return 1;
		} else if (o == O_JSON) {
			a->json = true;
		} else if (o == O_VERB) {
			a->cfg.verbose = true;
		} else if (o == '?' || parse_opt(o, optarg, a) < 0) {
			if (o != '?')
				fprintf(stderr, "ipop-sim: bad value '%s' for --%s\n", optarg,
					longopts[o - O_NODES].name);
			fputs(usage, stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipop-sim: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sim_args a = { 0 };
	json_t *mods = NULL, *res;
	json_error_t jerr;
	char err[256] = "";
	struct sim *s;
	double t0, t1;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "smm"))
		return sim_smm_main(argc - 1, argv + 1);
	if (argc > 1 &&
	    (!strcmp(argv[1], "tlfm") || !strcmp(argv[1], "spdm") || !strcmp(argv[1], "srum")))
		return sim_routing_main(argc - 1, argv + 1);
	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (a.modules_file) {
		mods = json_load_file(a.modules_file, 0, &jerr);
		if (!mods) {
			fprintf(stderr, "ipop-sim: %s:%d: %s\n", a.modules_file, jerr.line,
				jerr.text);
			return 1;
		}
	}
	t0 = mono_s();
	s = sim_new(&a.cfg, mods, err, sizeof(err));
	json_decref(mods);
	if (!s) {
		fprintf(stderr, "ipop-sim: %s\n", err[0] ? err : "out of memory");
		return 1;
	}
	t1 = mono_s();
	sim_run(s);
	res = sim_results_json(s, mono_s() - t1);
	json_object_set_new(res, "setup_s", json_real(t1 - t0));
	if (a.json) {
		json_dumpf(res, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		sim_results_print(res, stdout);
	}
	json_decref(res);
	sim_free(s);
	return 0;
}
