// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stddef.h>

#include "cli/commands.h"
#include "daemon/daemon.h"

const struct cli_cmd *const cli_commands[] = {
	/* one line a command, in the order of ipop-bpf --help */
	// clang-format off
	&cmd_load,
	&cmd_unload,
	&cmd_status,
	&cmd_flows,
	&cmd_table,
	&cmd_stats,
	&cmd_daemon,
	&cmd_export,
	&cmd_top,
	&cmd_key,
	&cmd_ca,
	&cmd_cert,
	&cmd_cmm,
	&cmd_smm,
	&cmd_tlfm,
	&cmd_spdm,
	&cmd_srum,
	&cmd_vpn,
	NULL,
	// clang-format on
};
