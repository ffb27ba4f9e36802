// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `ipop-bpf stats`: the datapath counters and the overlay modules' counters
 * from the daemon; without a daemon, the datapath counters from the pins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli/commands.h"
#include "cli/ctl_client.h"
#include "daemon/daemon.h"
#include "flow/fmt.h"
#include "flow/pins.h"
#include "flow/stats.h"

#define CTL_TIMEOUT_MS 10000

struct stats_cfg_cli {
	const char *ctl_socket;
	const char *pin_path;
	bool json;
};

static void stats_defaults(void *cfg)
{
	((struct stats_cfg_cli *)cfg)->ctl_socket = DAEMON_CTL_SOCKET;
	((struct stats_cfg_cli *)cfg)->pin_path = IPOP_PIN_PATH_DEFAULT;
}

/* No daemon: the datapath counters straight from the pinned per-CPU map. */
static json_t *dp_from_pins(const char *pin_path)
{
	int fd = pins_open_map(pin_path, "dp_stats"), ncpu = libbpf_num_possible_cpus();
	json_t *j = json_object();

	if (fd < 0 || ncpu <= 0)
		return json_decref(j), NULL;
	for (__u32 k = 0; k < DP_STAT_MAX; k++) {
		__u64 v[ncpu], sum = 0;

		if (!bpf_map_lookup_elem(fd, &k, v))
			for (int c = 0; c < ncpu; c++)
				sum += v[c];
		json_object_set_new(j, stats_dp_name(k), json_integer(sum));
	}
	close(fd);
	return j;
}

static int stats_run(void *cfg)
{
	struct stats_cfg_cli *c = cfg;
	json_t *out = json_object(), *req, *dp = NULL, *mods = NULL, *v;
	const char *k;
	int st;

	/* no daemon, or one without flow accounting: not an error (the pins, or no datapath) */
	req = json_pack("{s:s}", "op", "dp_stats");
	v = ctl_ask(c->ctl_socket, req, CTL_TIMEOUT_MS, 0, NULL, 0, &st);
	json_decref(req);
	if (st != CTL_ASK_NO_ANSWER) {
		dp = json_incref(json_object_get(v, "datapath"));
		json_decref(v);
		req = json_pack("{s:s}", "op", "stats");
		mods = ctl_ask(c->ctl_socket, req, CTL_TIMEOUT_MS, 0, NULL, 0, NULL);
		json_decref(req);
	}
	if (!dp && !mods) {
		dp = dp_from_pins(c->pin_path);
		if (!dp) {
			json_decref(out);
			return cli_err("no daemon on %s and no maps pinned under %s", c->ctl_socket,
				       c->pin_path);
		}
	}
	if (dp)
		json_object_set_new(out, "datapath", dp);
	if (mods)
		json_object_update(out, mods);
	json_decref(mods);
	if (c->json) {
		fmt_json_print(out);
		json_decref(out);
		return 0;
	}
	json_object_foreach(out, k, v) {
		const char *kk;
		json_t *vv;

		printf("%s:\n", k);
		json_object_foreach(v, kk, vv) {
			char *s = json_dumps(vv, JSON_COMPACT | JSON_ENCODE_ANY |
							 JSON_REAL_PRECISION(6));

			printf("  %-18s %s\n", kk, s ? s : "?");
			free(s);
		}
	}
	json_decref(out);
	return 0;
}

static const struct cli_opt stats_opts[] = {
	CLI_OPT_FLAG("json", 'j', struct stats_cfg_cli, json, "print JSON"),
	CLI_OPT_STR("ctl-socket", 0, struct stats_cfg_cli, ctl_socket, "PATH",
		    "daemon control socket (default " DAEMON_CTL_SOCKET ")"),
	CLI_OPT_STR(
		"pin-path", 'p', struct stats_cfg_cli, pin_path, "DIR",
		"without a daemon: read the pinned counters here (default " IPOP_PIN_PATH_DEFAULT
		")"),
	CLI_OPT_END,
};

const struct cli_cmd cmd_stats = {
	.name = "stats",
	.summary = "Datapath counters and the overlay modules' counters",
	.opts = stats_opts,
	.cfg_size = sizeof(struct stats_cfg_cli),
	.defaults = stats_defaults,
	.run = stats_run,
};
