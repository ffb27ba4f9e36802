/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The run of a command that is one request to the daemon (cmm, smm, tlfm, spdm, srum). */
#ifndef IPOP_CLI_CTL_CMD_H
#define IPOP_CLI_CTL_CMD_H

#include <jansson.h>

/*
 * Send req (consumed; NULL reports "bad arguments") to the daemon at sock,
 * the failure reported once (ctl_ask), and print the reply: compact JSON in
 * JSON mode, otherwise through print (NULL: indented JSON). Returns the exit
 * code, 0 or 1.
 */
int cli_ctl_run(const char *sock, json_t *req, int timeout_ms, void (*print)(const json_t *reply));

/* The reply of a send op ({"ok", "id", "sent"}) for people: "sent N message(s), id X". */
void cli_print_sent(const json_t *reply);

#endif /* IPOP_CLI_CTL_CMD_H */
