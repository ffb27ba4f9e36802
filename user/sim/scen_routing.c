// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ipop-sim tlfm | spdm | srum: argument parsing and output. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scen_routing.h"
#include "sim/sim.h"

static const char routing_usage[] =
	"usage: ipop-sim tlfm|spdm|srum --graph ba|er|ws|file [--edges FILE] [--nodes N]\n"
	"         [--degree K] [--beta B] [--seed S] [--json]\n"
	"         tlfm: [--tokens B] [--plain]   spdm: [--pairs P]\n"
	"         srum: [--messages M] [--link-churn F]\n"
	"  tlfm: one token-limited flood of B tokens (default N) from a random node;\n"
	"  spdm: P route discoveries between random pairs, stretch against BFS;\n"
	"  srum: M messages to Zipf(1.0) destinations, F of the links failing per minute\n";

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_frac(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || !(v >= 0 && v <= 1))
		return -EINVAL;
	*out = v;
	return 0;
}

static int routing_parse(int argc, char **argv, struct routing_args *a, bool *json)
{
	static const struct option lo[] = {
		{ "graph", 1, 0, 'g' },	     { "edges", 1, 0, 'e' },
		{ "nodes", 1, 0, 'n' },	     { "degree", 1, 0, 'd' },
		{ "beta", 1, 0, 'b' },	     { "seed", 1, 0, 's' },
		{ "tokens", 1, 0, 't' },     { "plain", 0, 0, 'P' },
		{ "pairs", 1, 0, 'p' },	     { "messages", 1, 0, 'm' },
		{ "link-churn", 1, 0, 'c' }, { "json", 0, 0, 'j' },
		{ "help", 0, 0, 'h' },	     { 0, 0, 0, 0 },
	};
	uint64_t v;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'g':
			if (!strcmp(optarg, "ba"))
				a->graph = GRAPH_BA;
			else if (!strcmp(optarg, "er"))
				a->graph = GRAPH_ER;
			else if (!strcmp(optarg, "ws"))
				a->graph = GRAPH_WS;
			else if (!strcmp(optarg, "file"))
				a->graph = GRAPH_FILE;
			else
				goto bad;
			break;
		case 'e':
			a->edges = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, 2, 10000000, &v))
				goto bad;
			a->nodes = (uint32_t)v;
			break;
		case 'd':
			if (parse_u64(optarg, 2, 1000, &v))
				goto bad;
			a->degree = (uint32_t)v;
			break;
		case 'b':
			if (parse_frac(optarg, &a->beta))
				goto bad;
			break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &a->seed))
				goto bad;
			break;
		case 't':
			if (parse_u64(optarg, 1, UINT32_MAX, &a->tokens))
				goto bad;
			break;
		case 'P':
			a->plain = true;
			break;
		case 'p':
			if (parse_u64(optarg, 1, 1000000, &v))
				goto bad;
			a->pairs = (uint32_t)v;
			break;
		case 'm':
			if (parse_u64(optarg, 1, 100000000, &v))
				goto bad;
			a->messages = (uint32_t)v;
			break;
		case 'c':
			if (parse_frac(optarg, &a->churn))
				goto bad;
			break;
		case 'j':
			*json = true;
			break;
		case 'h':
			fputs(routing_usage, stdout);
			return 1;
		default:
			goto bad;
		}
	}
	if (optind == argc && (a->graph != GRAPH_FILE || a->edges))
		return 0;
bad:
	fputs(routing_usage, stderr);
	return -EINVAL;
}

int sim_routing_main(int argc, char **argv)
{
	struct routing_args a;
	char err[256] = "";
	bool json = false;
	json_t *res;
	int ret;

	routing_args_defaults(&a);
	ret = routing_parse(argc, argv, &a, &json);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (!strcmp(argv[0], "tlfm"))
		res = sim_tlfm_run(&a, err, sizeof(err));
	else if (!strcmp(argv[0], "spdm"))
		res = sim_spdm_run(&a, err, sizeof(err));
	else
		res = sim_srum_run(&a, err, sizeof(err));
	if (!res) {
		fprintf(stderr, "ipop-sim %s: %s\n", argv[0], err[0] ? err : "out of memory");
		return 1;
	}
	if (json) {
		json_dumpf(res, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else {
		sim_results_print(res, stdout);
	}
	json_decref(res);
	return 0;
}
