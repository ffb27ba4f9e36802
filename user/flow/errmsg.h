/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Error messages of library code: a function that fails returns -errno and
 * writes one line naming the problem into the caller's buffer; the caller
 * (the CLI) prints it once, in its own format.
 */
#ifndef IPOP_ERRMSG_H
#define IPOP_ERRMSG_H

#include <stddef.h>

/*
 * snprintf into msg (msg may be NULL when msglen is 0) and return ret, so that
 * a failing path reads `return errmsg(msg, msglen, -EINVAL, "bad %s", x);`.
 */
int errmsg(char *msg, size_t msglen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* IPOP_ERRMSG_H */
