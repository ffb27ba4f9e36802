// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ctl_client.h"
#include "daemon/ctl.h"

static int ctl_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s (is the daemon running?)", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

/* Up to cap - 1 bytes, until a newline arrives; each wait at most timeout_ms. */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t len = 0;

	while (len < cap - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		len += (size_t)n;
		if (memchr(buf, '\n', len)) {
			buf[len] = '\0';
			return (int)len;
		}
	}
	return -EMSGSIZE;
}

int ctl_exchange(int fd, const char *what, json_t *req, json_t **reply, int timeout_ms, char *err,
		 size_t errlen)
{
	char *text = json_dumps(req, JSON_COMPACT), *buf = malloc(CTL_OUT_MAX);
	json_error_t jerr;
	int ret;

	*reply = NULL;
	if (!text || !buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", what);
		goto out;
	}
	if (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", what, strerror(-ret));
		goto out;
	}
	ret = read_line(fd, buf, CTL_OUT_MAX, timeout_ms);
	if (ret < 0) {
		snprintf(err, errlen, "%s: no reply: %s", what, strerror(-ret));
		goto out;
	}
	*reply = json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr);
	ret = *reply ? 0 : -EBADMSG;
	if (ret)
		snprintf(err, errlen, "%s: bad reply: %s", what, jerr.text);
out:
	free(text);
	free(buf);
	return ret;
}

int ctl_request(const char *path, json_t *req, json_t **reply, int timeout_ms, char *err,
		size_t errlen)
{
	int fd = ctl_connect(path, err, errlen), ret;

	*reply = NULL;
	if (fd < 0)
		return fd;
	ret = ctl_exchange(fd, path, req, reply, timeout_ms, err, errlen);
	close(fd);
	return ret;
}

int ctl_reply_status(const char *what, const json_t *rep, char *why, size_t whylen)
{
	const char *e;

	if (!json_is_object(rep)) {
		snprintf(why, whylen, "%s: bad reply: not a JSON object", what);
		return CTL_ASK_NO_ANSWER;
	}
	if (!json_object_get(rep, "error"))
		return CTL_ASK_OK;
	e = json_string_value(json_object_get(rep, "error"));
	snprintf(why, whylen, "%s", e ? e : "error");
	return CTL_ASK_REFUSED;
}

json_t *ctl_ask(const char *sock, json_t *req, int timeout_ms, unsigned int flags, char *why,
		size_t whylen, int *status)
{
	char err[CLI_MSG_MAX] = "";
	json_t *rep = NULL;
	int st;

	if (ctl_request(sock, req, &rep, timeout_ms, err, sizeof(err)))
		st = CTL_ASK_NO_ANSWER;
	else
		st = ctl_reply_status(sock, rep, err, sizeof(err));
	if (status)
		*status = st;
	if (st == CTL_ASK_OK)
		return rep;
	if (why && whylen)
		snprintf(why, whylen, "%s", err);
	if ((flags & CTL_ASK_REPORT) && st == CTL_ASK_REFUSED && cli_json) {
		json_dumpf(rep, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else if (flags & CTL_ASK_REPORT) {
		cli_err("%s", err);
	}
	json_decref(rep);
	return NULL;
}
