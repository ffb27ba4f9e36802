// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ipop-sim tlfm | spdm | srum: the unstructured overlay's scenarios (sim/scen_{tlfm,spdm,srum}.c). */
#include <errno.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/sim_cmds.h"
#include "sim/scen_routing.h"
#include "sim/sim.h"

static const char *const routing_graphs[] = { "ba", "er", "ws", "file", NULL };
static const enum graph_kind routing_kinds[] = { GRAPH_BA, GRAPH_ER, GRAPH_WS, GRAPH_FILE };

struct sim_routing_cli {
	int graph;
	const char *edges;
	unsigned int nodes, degree, pairs, messages;
	double beta, churn;
	uint64_t seed, tokens;
	bool plain, json;
};

#define O struct sim_routing_cli
#define ROUTING_COMMON_OPTS                                                                       \
	CLI_OPT_ENUM("graph", 0, O, graph, routing_graphs, "ba|er|ws|file (default ba)"),         \
		CLI_OPT_STR("edges", 0, O, edges, "FILE",                                         \
			    "edge list for --graph file ('u v' per line; --nodes ignored)"),      \
		CLI_OPT_UINT("nodes", 0, O, nodes, "N", "number of nodes (default 1000)", 2,      \
			     10000000),                                                           \
		CLI_OPT_UINT("degree", 0, O, degree, "K",                                         \
			     "mean degree; ba: 2m; ws: k (default 6)", 2, 1000),                  \
		CLI_OPT_DOUBLE("beta", 0, O, beta, "B", "ws: rewiring probability (default 0.1)", \
			       0, 1),                                                             \
		CLI_OPT_U64("seed", 0, O, seed, "S", "PRNG seed (default 1)", 0, 0),              \
		CLI_OPT_FLAG("json", 0, O, json, "print results as JSON")

static const struct cli_opt sim_tlfm_opts[] = {
	ROUTING_COMMON_OPTS,
	CLI_OPT_U64("tokens", 0, O, tokens, "B", "flood budget (default N)", 1, UINT32_MAX),
	CLI_OPT_FLAG("plain", 0, O, plain, "the plain-flood baseline instead (tokens ignored)"),
	CLI_OPT_END,
};

static const struct cli_opt sim_spdm_opts[] = {
	ROUTING_COMMON_OPTS,
	CLI_OPT_UINT("pairs", 0, O, pairs, "P", "discoveries between random pairs (default 100)", 1,
		     1000000),
	CLI_OPT_END,
};

static const struct cli_opt sim_srum_opts[] = {
	ROUTING_COMMON_OPTS,
	CLI_OPT_UINT("messages", 0, O, messages, "M", "messages sent (default 1000)", 1, 100000000),
	CLI_OPT_DOUBLE(
		"link-churn", 0, O, churn, "F",
		"fraction of the links failing per simulated minute, 30 s each (default 0.01)", 0,
		1),
	CLI_OPT_END,
};
#undef O

static void sim_routing_defaults(void *cfg)
{
	struct sim_routing_cli *o = cfg;
	struct routing_args a;

	routing_args_defaults(&a);
	o->graph = 0;
	o->nodes = a.nodes;
	o->degree = a.degree;
	o->beta = a.beta;
	o->seed = a.seed;
	o->pairs = a.pairs;
	o->messages = a.messages;
	o->churn = a.churn;
}

static int sim_routing_go(const struct sim_routing_cli *o,
			  json_t *(*run)(const struct routing_args *, char *, size_t))
{
	struct routing_args a;
	char err[256] = "";
	json_t *res;

	routing_args_defaults(&a);
	a.graph = routing_kinds[o->graph];
	a.edges = o->edges;
	a.nodes = o->nodes;
	a.degree = o->degree;
	a.beta = o->beta;
	a.seed = o->seed;
	a.tokens = o->tokens;
	a.plain = o->plain;
	a.pairs = o->pairs;
	a.messages = o->messages;
	a.churn = o->churn;
	if (a.graph == GRAPH_FILE && !a.edges)
		return cli_err("--graph file needs --edges FILE"), 2;
	if (a.edges)
		a.graph = GRAPH_FILE;
	res = run(&a, err, sizeof(err));
	if (!res)
		return cli_err("%s", err[0] ? err : "out of memory");
	if (o->json) {
		json_dumpf(res, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else {
		sim_results_print(res, stdout);
	}
	json_decref(res);
	return 0;
}

static int sim_tlfm_cmd(void *cfg)
{
	return sim_routing_go(cfg, sim_tlfm_run);
}

static int sim_spdm_cmd(void *cfg)
{
	return sim_routing_go(cfg, sim_spdm_run);
}

static int sim_srum_cmd(void *cfg)
{
	return sim_routing_go(cfg, sim_srum_run);
}

const struct cli_cmd cmd_sim_tlfm = {
	.name = "tlfm",
	.summary = "one token-limited flood (or the plain flood): coverage against the budget",
	.opts = sim_tlfm_opts,
	.cfg_size = sizeof(struct sim_routing_cli),
	.defaults = sim_routing_defaults,
	.run = sim_tlfm_cmd,
};

const struct cli_cmd cmd_sim_spdm = {
	.name = "spdm",
	.summary = "route discoveries between random pairs: success, stretch, messages",
	.opts = sim_spdm_opts,
	.cfg_size = sizeof(struct sim_routing_cli),
	.defaults = sim_routing_defaults,
	.run = sim_spdm_cmd,
};

const struct cli_cmd cmd_sim_srum = {
	.name = "srum",
	.summary = "source-routed unicast to Zipf destinations under link churn: delivery",
	.opts = sim_srum_opts,
	.cfg_size = sizeof(struct sim_routing_cli),
	.defaults = sim_routing_defaults,
	.run = sim_srum_cmd,
};
