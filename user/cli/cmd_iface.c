// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `ipop-bpf load | unload | status`: xdp-loader's shape. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "cli/commands.h"
#include "flow/fmt.h"
#include "flow/loader.h"
#include "flow/pins.h"

static const char *const hook_opt_names[] = { "auto", "xdp", "tc", NULL };
static const char *const mode_opt_names[] = { "auto", "native", "skb", NULL };
static const char *const tc_mode_opt_names[] = { "auto", "tcx", "clsact", NULL };

struct load_cfg {
	struct cli_pos pos;
	const char *pin_path;
	int hook, mode, tc_mode;
	unsigned int flow_entries;
	bool force;
};

static void load_defaults(void *cfg)
{
	((struct load_cfg *)cfg)->pin_path = IPOP_PIN_PATH_DEFAULT;
}

static int load_run(void *cfg)
{
	struct load_cfg *c = cfg;
	struct load_opts o = { .ifname = c->pos.v[0],
			       .pin_path = c->pin_path,
			       .hook = c->hook,
			       .mode = c->mode,
			       .tc_mode = c->tc_mode,
			       .flow_entries = c->flow_entries,
			       .force = c->force };
	char msg[CLI_MSG_MAX] = "";

	return cli_fail(loader_attach(&o, msg, sizeof(msg)), msg);
}

static const struct cli_opt load_opts[] = {
	CLI_OPT_ENUM("mode", 'm', struct load_cfg, mode, mode_opt_names,
		     "XDP attach mode (default native)"),
	CLI_OPT_ENUM("ingress-hook", 'i', struct load_cfg, hook, hook_opt_names,
		     "where ingress is counted (auto: tc on veth/tun, xdp elsewhere)"),
	CLI_OPT_ENUM("tc-mode", 't', struct load_cfg, tc_mode, tc_mode_opt_names,
		     "how the TC programs attach (auto: tcx on Linux 6.6+, else clsact)"),
	CLI_OPT_STR("pin-path", 'p', struct load_cfg, pin_path, "DIR",
		    "bpffs directory of the maps (default " IPOP_PIN_PATH_DEFAULT ")"),
	CLI_OPT_UINT("flow-entries", 0, struct load_cfg, flow_entries, "N",
		     "flow map size when first created (default 65536)", 1, 1u << 26),
	CLI_OPT_FLAG("force", 'F', struct load_cfg, force,
		     "replace an XDP program that is not ours"),
	CLI_OPT_END,
};

const struct cli_cmd cmd_load = {
	.name = "load",
	.summary = "Attach flow accounting to an interface (ingress: XDP or TC; egress: TC)",
	.args = "IFNAME",
	.min_pos = 1,
	.max_pos = 1,
	.pos_offset = offsetof(struct load_cfg, pos),
	.opts = load_opts,
	.cfg_size = sizeof(struct load_cfg),
	.defaults = load_defaults,
	.run = load_run,
};

struct unload_cfg {
	struct cli_pos pos;
	const char *pin_path;
	bool all, keep_pins, force;
};

static void unload_defaults(void *cfg)
{
	((struct unload_cfg *)cfg)->pin_path = IPOP_PIN_PATH_DEFAULT;
}

static int unload_run(void *cfg)
{
	struct unload_cfg *c = cfg;
	char msg[CLI_MSG_MAX] = "";

	if (c->all == (c->pos.n == 1))
		return cli_err("give either IFNAME or --all");
	if (c->force) {
		struct force_unload fu;
		char ignored[CLI_MSG_MAX];
		int err;

		if (!c->all)
			return cli_err("--force goes with --all");
		if (c->keep_pins)
			return cli_err("--force removes the pins: it does not go with --keep-pins");
		/* what the pins still record goes the normal way (clsact too)... */
		loader_detach(c->pin_path, NULL, true, false, ignored, sizeof(ignored));
		/* ...then anything of ours still attached, found by name */
		err = loader_force_unload(c->pin_path, &fu, msg, sizeof(msg));
		if (!err)
			printf("detached %d program%s of ours from %d interface%s%s\n", fu.programs,
			       fu.programs == 1 ? "" : "s", fu.interfaces,
			       fu.interfaces == 1 ? "" : "s",
			       fu.pins_removed ? "; removed the pins" : "");
		return cli_fail(err, msg);
	}
	return cli_fail(loader_detach(c->pin_path, c->pos.n ? c->pos.v[0] : NULL, c->all,
				      c->keep_pins, msg, sizeof(msg)),
			msg);
}

static const struct cli_opt unload_opts[] = {
	CLI_OPT_FLAG("all", 'a', struct unload_cfg, all, "unload from every interface"),
	CLI_OPT_FLAG("keep-pins", 'k', struct unload_cfg, keep_pins,
		     "keep the pinned maps after the last interface"),
	CLI_OPT_FLAG("force", 'f', struct unload_cfg, force,
		     "with --all: also detach programs of ours that no pin records (found by "
		     "name on every interface of this network namespace), and remove the pins"),
	CLI_OPT_STR("pin-path", 'p', struct unload_cfg, pin_path, "DIR",
		    "bpffs directory of the maps (default " IPOP_PIN_PATH_DEFAULT ")"),
	CLI_OPT_END,
};

const struct cli_cmd cmd_unload = {
	.name = "unload",
	.summary = "Detach flow accounting from an interface (or --all)",
	.args = "[IFNAME]",
	.min_pos = 0,
	.max_pos = 1,
	.pos_offset = offsetof(struct unload_cfg, pos),
	.opts = unload_opts,
	.cfg_size = sizeof(struct unload_cfg),
	.defaults = unload_defaults,
	.run = unload_run,
};

struct status_cfg {
	struct cli_pos pos;
	const char *pin_path;
	bool json;
};

static void status_defaults(void *cfg)
{
	((struct status_cfg *)cfg)->pin_path = IPOP_PIN_PATH_DEFAULT;
}

static json_t *iface_json(int ifindex, const struct iface_info *info)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:I, s:I, s:b, s:I}", "ifname", info->ifname,
			 "ifindex", ifindex, "ingress_hook", loader_hook_name(info->ingress_hook),
			 "tc", loader_tc_name(info), "ingress_prog_id",
			 (json_int_t)info->ingress_prog_id, "egress_prog_id",
			 (json_int_t)info->egress_prog_id, "attached",
			 loader_still_attached(ifindex, info), "loaded_unix_ns",
			 (json_int_t)info->loaded_ns);
}

static int status_run(void *cfg)
{
	struct status_cfg *c = cfg;
	struct iface_info info;
	json_t *arr = json_array();
	__u32 key, next, *prev = NULL;
	int fd, want = 0, n = 0;

	if (c->pos.n && !(want = if_nametoindex(c->pos.v[0])))
		return json_decref(arr), cli_err("unknown interface '%s'", c->pos.v[0]);
	fd = pins_open_map(c->pin_path, "ifaces");
	if (fd < 0 && fd != -ENOENT)
		return json_decref(arr),
		       cli_err("cannot open %s/ifaces: %s", c->pin_path, strerror(-fd));
	/* a removal under us restarts the walk: skip what we have, bound the steps */
	for (int steps = 0;
	     fd >= 0 && steps < 4 * IPOP_IFACE_MAX && !bpf_map_get_next_key(fd, prev, &next);
	     steps++) {
		bool dup = false;

		key = next;
		prev = &key;
		for (size_t i = 0; i < json_array_size(arr); i++)
			dup |= json_integer_value(
				       json_object_get(json_array_get(arr, i), "ifindex")) == key;
		if (dup || bpf_map_lookup_elem(fd, &key, &info) || (want && (int)key != want))
			continue;
		json_array_append_new(arr, iface_json(key, &info));
	}
	if (fd >= 0)
		close(fd);
	if (want && json_array_size(arr) == 0) {
		json_decref(arr);
		return cli_err("ipop-bpf is not loaded on %s", c->pos.v[0]);
	}
	if (c->json) {
		json_t *root = json_pack("{s:s, s:o}", "pin_path", c->pin_path, "interfaces", arr);
		int err = fmt_json_print(root);

		json_decref(root);
		return err ? 1 : 0;
	}
	printf("%-16s %7s %-11s %-6s %8s %8s %s\n", "INTERFACE", "IFINDEX", "INGRESS", "TC",
	       "IN_PROG", "EG_PROG", "STATE");
	for (size_t i = 0; i < json_array_size(arr); i++, n++) {
		json_t *e = json_array_get(arr, i);

		printf("%-16s %7d %-11s %-6s %8d %8d %s\n",
		       json_string_value(json_object_get(e, "ifname")),
		       (int)json_integer_value(json_object_get(e, "ifindex")),
		       json_string_value(json_object_get(e, "ingress_hook")),
		       json_string_value(json_object_get(e, "tc")),
		       (int)json_integer_value(json_object_get(e, "ingress_prog_id")),
		       (int)json_integer_value(json_object_get(e, "egress_prog_id")),
		       json_is_true(json_object_get(e, "attached")) ? "attached"
								    : "DETACHED (by someone else)");
	}
	if (!n)
		printf("(not loaded on any interface; pin path %s)\n", c->pin_path);
	json_decref(arr);
	return 0;
}

static const struct cli_opt status_opts[] = {
	CLI_OPT_STR("pin-path", 'p', struct status_cfg, pin_path, "DIR",
		    "bpffs directory of the maps (default " IPOP_PIN_PATH_DEFAULT ")"),
	CLI_OPT_FLAG("json", 'j', struct status_cfg, json, "print JSON"),
	CLI_OPT_END,
};

const struct cli_cmd cmd_status = {
	.name = "status",
	.summary = "Show where flow accounting is attached",
	.args = "[IFNAME]",
	.min_pos = 0,
	.max_pos = 1,
	.pos_offset = offsetof(struct status_cfg, pos),
	.opts = status_opts,
	.cfg_size = sizeof(struct status_cfg),
	.defaults = status_defaults,
	.run = status_run,
};
