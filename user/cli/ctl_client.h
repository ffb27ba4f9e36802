/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one control-socket client (the protocol: daemon/ctl.h). ctl_request
 * is the exchange; ctl_ask is how every command asks the daemon and reports
 * what went wrong.
 */
#ifndef IPOP_CTL_CLIENT_H
#define IPOP_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/*
 * Send one request on an open stream socket, wait (up to timeout_ms) for one
 * reply line and parse it. 0, or -errno with err filled: -ETIMEDOUT,
 * -ECONNRESET (closed without a reply), -EMSGSIZE (a request over
 * CTL_LINE_MAX, nothing sent; or no newline within CTL_REPLY_MAX), -EBADMSG
 * (not JSON). `what` names the peer in err.
 */
int ctl_exchange(int fd, const char *what, json_t *req, json_t **reply, int timeout_ms, char *err,
		 size_t errlen);

/* Connect to the daemon at path and ctl_exchange. 0 or -errno with err. */
int ctl_request(const char *path, json_t *req, json_t **reply, int timeout_ms, char *err,
		size_t errlen);

enum ctl_ask_status {
	CTL_ASK_OK = 0,
	CTL_ASK_NO_ANSWER = -1, /* no daemon, or no (valid) reply */
	CTL_ASK_REFUSED = -2,	/* the daemon answered {"error": ...} (or not an object) */
};

/*
 * What a reply means: CTL_ASK_OK for an object without "error";
 * CTL_ASK_REFUSED with the daemon's error text in why; CTL_ASK_NO_ANSWER
 * for anything that is not an object (why names `what`).
 */
int ctl_reply_status(const char *what, const json_t *rep, char *why, size_t whylen);

#define CTL_ASK_REPORT 1u /* report a failure once (see ctl_ask) */

/*
 * Ask the daemon at sock: req is sent (the caller keeps its reference).
 * Returns the reply (a new reference) when it is an object without "error";
 * otherwise NULL, *status (when given) says which failure and why (when
 * given) the reason: the client's, or the daemon's error text. With
 * CTL_ASK_REPORT the failure is also reported once: in JSON mode a daemon's
 * error reply goes to stdout as it came, otherwise cli_err(reason).
 */
json_t *ctl_ask(const char *sock, json_t *req, int timeout_ms, unsigned int flags, char *why,
		size_t whylen, int *status);

#endif /* IPOP_CTL_CLIENT_H */
