/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The subcommand table. */
#ifndef IPOP_COMMANDS_H
#define IPOP_COMMANDS_H

#include "cli/cli.h"
#include "flow/version.h"

extern const struct cli_cmd *const cli_commands[];
const struct cli_cmd *cli_find(const char *name);

extern const struct cli_cmd cmd_load, cmd_unload, cmd_status, cmd_flows, cmd_table, cmd_stats;
extern const struct cli_cmd cmd_export, cmd_top;
extern const struct cli_cmd cmd_smm;				   /* cli/cmd_smm.c */
extern const struct cli_cmd cmd_key, cmd_ca, cmd_cert;		   /* cli/cmd_ident.c */
extern const struct cli_cmd cmd_tlfm, cmd_spdm, cmd_srum, cmd_vpn; /* cli/cmd_routing.c */

#endif /* IPOP_COMMANDS_H */
