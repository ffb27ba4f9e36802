/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ipop-sim's command table (cmd_sim.c), parsed by the same CLI as ipop-bpf. */
#ifndef IPOP_CLI_SIM_CMDS_H
#define IPOP_CLI_SIM_CMDS_H

#include "cli/cli.h"

#ifndef IPOP_SIM_VERSION
#define IPOP_SIM_VERSION "0.1.0"
#endif

extern const struct cli_cmd cmd_sim_cmm, cmd_sim_smm;
extern const struct cli_cmd cmd_sim_tlfm, cmd_sim_spdm, cmd_sim_srum; /* cmd_sim_routing.c */
extern const struct cli_prog sim_prog;

#endif /* IPOP_CLI_SIM_CMDS_H */
