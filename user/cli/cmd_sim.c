// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ipop-sim's commands, one per scenario file: `cmm` (neighbours, flood,
 * none; also what `ipop-sim --options...` runs) and `smm`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/sim_cmds.h"
#include "modules/topology.h"
#include "sim/scen_cmm.h"
#include "sim/scen_smm.h"

#define NS_PER_MS 1000000ULL
#define MS_MAX	  (UINT64_MAX / NS_PER_MS)

/* ---- ipop-sim cmm ---- */

struct sim_cmm_cli {
	unsigned int nodes, degree, sources, repeat, seen, payload;
	int graph, scenario;
	double p, beta, loss, link_fail, node_fail;
	uint64_t fail_at_ms, detect_ms, until_ms, window_ms, seed;
	const char *edges, *latency, *modules;
	bool json, verbose;
};

#define O struct sim_cmm_cli
static const struct cli_opt sim_cmm_opts[] = {
	CLI_OPT_UINT("nodes", 0, O, nodes, "N", "number of nodes (default 1000)", 0,
		     UINT32_MAX - 1),
	CLI_OPT_ENUM("graph", 0, O, graph, graph_names, "graph kind (default chord)"),
	CLI_OPT_UINT("degree", 0, O, degree, "K",
		     "regular: degree; er: mean degree; ba: 2m; ws: k (default 8)", 0, 100000),
	CLI_OPT_DOUBLE("p", 0, O, p, "P", "er: edge probability (instead of --degree)", 0, 1),
	CLI_OPT_DOUBLE("beta", 0, O, beta, "B", "ws: rewiring probability (default 0.1)", 0, 1),
	CLI_OPT_STR("edges", 0, O, edges, "FILE", "edge list for --graph file ('u v' per line)"),
	CLI_OPT_STR("latency", 0, O, latency, "MIN[:MAX]", "per-link latency in ms (default 5:50)"),
	CLI_OPT_DOUBLE("loss", 0, O, loss, "P", "per-message loss probability", 0, 1),
	CLI_OPT_DOUBLE("link-fail", 0, O, link_fail, "F", "fraction of links dead from the start",
		       0, 1),
	CLI_OPT_DOUBLE("node-fail", 0, O, node_fail, "F",
		       "fraction of nodes that fail at --fail-at", 0, 1),
	CLI_OPT_U64("fail-at", 0, O, fail_at_ms, "MS", "when nodes fail (default 100)", 0, MS_MAX),
	CLI_OPT_U64("detect", 0, O, detect_ms, "MS", "failure detection delay (default 3000)", 0,
		    MS_MAX),
	CLI_OPT_ENUM("scenario", 0, O, scenario, scen_cmm_names,
		     "what the nodes do (default neighbours)"),
	CLI_OPT_UINT("sources", 0, O, sources, "K", "flood: number of sources (default 1)", 0,
		     1000000),
	CLI_OPT_UINT("repeat", 0, O, repeat, "R", "issue every send R times, same ID (default 1)",
		     1, 255),
	CLI_OPT_U64("until", 0, O, until_ms, "MS", "stop the virtual clock at MS", 0, MS_MAX),
	CLI_OPT_U64("start-window", 0, O, window_ms, "MS",
		    "neighbours: nodes start within MS (default 1000)", 0, MS_MAX),
	CLI_OPT_UINT("seen-capacity", 0, O, seen, "N",
		     "CMM seen-cache bound per node (default 1024)", 1, 1u << 24),
	CLI_OPT_UINT("payload", 0, O, payload, "BYTES", "payload size (default 32)", 0, 1200),
	CLI_OPT_STR("modules", 0, O, modules, "FILE", "module config JSON (object of modules)"),
	CLI_OPT_U64("seed", 0, O, seed, "S", "PRNG seed (default 1)", 0, 0),
	CLI_OPT_FLAG("json", 0, O, json, "print results as JSON"),
	CLI_OPT_FLAG("verbose", 0, O, verbose, "print module logs"),
	CLI_OPT_END,
};
#undef O

static void sim_cmm_defaults(void *cfg)
{
	struct sim_cmm_cli *o = cfg;
	struct scen_cmm sc;
	struct sim_cfg c;

	sim_cfg_defaults(&c);
	scen_cmm_defaults(&sc);
	o->graph = c.graph.kind;
	o->degree = c.graph.degree;
	o->beta = c.graph.beta;
	o->fail_at_ms = c.fail_at_ns / NS_PER_MS;
	o->detect_ms = c.detect_ns / NS_PER_MS;
	o->seed = c.seed;
	o->sources = sc.sources;
	o->repeat = sc.repeat;
	o->window_ms = sc.start_window_ns / NS_PER_MS;
	o->seen = sc.seen_capacity;
	o->payload = sc.payload_len;
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

static int sim_cmm_cfg(const struct sim_cmm_cli *o, struct sim_cfg *c, struct scen_cmm *sc)
{
	sim_cfg_defaults(c);
	scen_cmm_defaults(sc);
	c->graph.kind = (enum graph_kind)o->graph;
	c->graph.n = o->nodes ? o->nodes : o->edges ? 0 : c->graph.n;
	c->graph.degree = o->degree;
	c->graph.p = o->p;
	c->graph.beta = o->beta;
	if (o->edges) {
		c->graph.file = o->edges;
		c->graph.kind = GRAPH_FILE;
	}
	if (o->latency && parse_latency(o->latency, c))
		return cli_err("invalid value '%s' for --latency (expected MIN[:MAX] in ms)",
			       o->latency);
	c->loss = o->loss;
	c->link_fail = o->link_fail;
	c->node_fail = o->node_fail;
	c->fail_at_ns = o->fail_at_ms * NS_PER_MS;
	c->detect_ns = o->detect_ms * NS_PER_MS;
	c->until_ns = o->until_ms * NS_PER_MS;
	c->seed = o->seed;
	c->verbose = o->verbose;
	sc->sources = o->sources;
	sc->repeat = o->repeat;
	sc->start_window_ns = o->window_ms * NS_PER_MS;
	sc->seen_capacity = o->seen;
	sc->payload_len = o->payload;
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_results(json_t *res, bool json, size_t indent)
{
	if (json) {
		json_dumpf(res, stdout, indent ? JSON_INDENT(indent) : JSON_COMPACT);
		fputc('\n', stdout);
	} else {
		sim_results_print(res, stdout);
	}
}

static int sim_cmm_run(void *cfg)
{
	struct sim_cmm_cli *o = cfg;
	json_t *mods = NULL, *res;
	struct scen_cmm sc;
	struct sim_cfg c;
	json_error_t jerr;
	char err[256] = "";
	struct sim *s;
	double t0, t1;

	if (sim_cmm_cfg(o, &c, &sc))
		return 2;
	if (o->modules) {
		mods = json_load_file(o->modules, 0, &jerr);
		if (!mods)
			return cli_err("%s:%d: %s", o->modules, jerr.line, jerr.text);
	}
	t0 = mono_s();
	s = sim_new(&c, mods, scen_cmm_find(scen_cmm_names[o->scenario]), &sc, err, sizeof(err));
	json_decref(mods);
	if (!s)
		return cli_err("%s", err[0] ? err : "out of memory");
	t1 = mono_s();
	sim_run(s);
	res = sim_results_json(s, mono_s() - t1);
	json_object_set_new(res, "setup_s", json_real(t1 - t0));
	print_results(res, o->json, 2);
	json_decref(res);
	sim_free(s);
	return 0;
}

const struct cli_cmd cmd_sim_cmm = {
	.name = "cmm",
	.summary = "N nodes over a graph: CMM to all neighbours, CMM floods (the default command)",
	.opts = sim_cmm_opts,
	.cfg_size = sizeof(struct sim_cmm_cli),
	.defaults = sim_cmm_defaults,
	.run = sim_cmm_run,
	.help = "Scenarios: neighbours (each node CMM-sends one message to all its neighbours'\n"
		"echo), flood (K sources flood through CMM), none (nothing is sent).\n"
		"Graphs: ring, chord, regular, er, ba, ws, file (--edges).\n",
};

/* ---- ipop-sim smm ---- */

struct sim_smm_cli {
	unsigned int nodes, runs, successors;
	uint64_t seed;
	double fail;
	bool repair, undetected, json;
};

#define O struct sim_smm_cli
static const struct cli_opt sim_smm_opts[] = {
	CLI_OPT_UINT("nodes", 0, O, nodes, "N", "ring size (default 1000)", 2, 10000000),
	CLI_OPT_U64("seed", 0, O, seed, "S", "PRNG seed (default 1)", 0, 0),
	CLI_OPT_UINT("runs", 0, O, runs, "R", "broadcasts from R random live roots (default 10)", 1,
		     100000),
	CLI_OPT_DOUBLE("fail", 0, O, fail, "FRACTION",
		       "that fraction of nodes failed first (links down, tables not rebuilt)", 0,
		       1),
	CLI_OPT_FLAG("repair", 0, O, repair, "tables rebuilt over the live nodes"),
	CLI_OPT_FLAG("undetected", 0, O, undetected, "failures not detected yet (no link down)"),
	CLI_OPT_UINT("successors", 0, O, successors, "K", "successor list length (default 4)", 1,
		     TOPO_SUCC_MAX),
	CLI_OPT_FLAG("json", 0, O, json, "print results as JSON"),
	CLI_OPT_END,
};
#undef O

static void sim_smm_defaults(void *cfg)
{
	struct sim_smm_cli *o = cfg;

	o->nodes = 1000;
	o->runs = 10;
	o->successors = 4;
	o->seed = 1;
}

static int sim_smm_run(void *cfg)
{
	struct sim_smm_cli *o = cfg;
	struct scen_smm_args a = { .nodes = o->nodes,
				   .runs = o->runs,
				   .successors = o->successors,
				   .seed = o->seed,
				   .fail = o->fail,
				   .repair = o->repair,
				   .undetected = o->undetected };
	char err[256] = "";
	json_t *res;

	if (o->fail >= 1)
		return cli_err("invalid value '%g' for --fail (expected 0 <= F < 1)", o->fail), 2;
	res = scen_smm_run(&a, err, sizeof(err));
	if (!res)
		return cli_err("%s", err[0] ? err : "out of memory");
	print_results(res, o->json, 0);
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_sim_smm = {
	.name = "smm",
	.summary = "SMM broadcasts on a converged Chord ring, with and without failures",
	.opts = sim_smm_opts,
	.cfg_size = sizeof(struct sim_smm_cli),
	.defaults = sim_smm_defaults,
	.run = sim_smm_run,
};

static const struct cli_cmd *const sim_cmds[] = { &cmd_sim_cmm,	 &cmd_sim_smm,	&cmd_sim_tlfm,
						  &cmd_sim_spdm, &cmd_sim_srum, NULL };

const struct cli_prog sim_prog = {
	.name = "ipop-sim",
	.version = IPOP_SIM_VERSION,
	.summary = "Run N simulated controllers (the same module code) on a virtual clock.",
	.cmds = sim_cmds,
	.default_cmd = &cmd_sim_cmm,
};
