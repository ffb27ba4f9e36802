// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ipop-sim: run N simulated controllers over a graph and print the results. */
#include "cli/sim_cmds.h"

int main(int argc, char **argv)
{
	return cli_main_prog(&sim_prog, argc, argv);
}
