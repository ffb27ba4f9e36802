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

/*
 * One reply line into a buffer that grows up to CTL_REPLY_MAX + 1 bytes;
 * each wait at most timeout_ms. The length, or -errno.
 */
static ssize_t read_line(int fd, char **out, int timeout_ms)
{
	size_t len = 0, cap = 0, cap_max = (size_t)CTL_REPLY_MAX + 2;
	char *buf = NULL, *p;

	*out = NULL;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (len + 1 >= cap) {
			if (cap >= cap_max) {
				free(buf);
				return -EMSGSIZE;
			}
			cap = cap ? cap * 2 : 65536;
			cap = cap > cap_max ? cap_max : cap;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		if (poll(&pfd, 1, timeout_ms) <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0) {
			int e = n == 0 ? ECONNRESET : errno;

			free(buf);
			return -e;
		}
		/* only the new bytes can hold the newline */
		if (memchr(buf + len, '\n', (size_t)n)) {
			len += (size_t)n;
			buf[len] = '\0';
			*out = buf;
			return (ssize_t)len;
		}
		len += (size_t)n;
	}
}

/* Send all of buf; -errno. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_exchange(int fd, const char *what, json_t *req, json_t **reply, int timeout_ms, char *err,
		 size_t errlen)
{
	char *text = json_dumps(req, JSON_COMPACT), *buf = NULL;
	json_error_t jerr;
	ssize_t got;
	size_t len;
	int ret;

	*reply = NULL;
	if (!text) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", what);
		goto out;
	}
	len = strlen(text);
	if (len + 1 > CTL_LINE_MAX) {
		ret = -EMSGSIZE;
		snprintf(err, errlen,
			 "%s: request of %zu bytes, over the control socket's request limit of %d",
			 what, len + 1, CTL_LINE_MAX);
		goto out;
	}
	text[len] = '\n'; /* json_dumps left room: the NUL goes */
	ret = send_all(fd, text, len + 1);
	/* a server that refused the request may have said why before it closed */
	got = read_line(fd, &buf, ret ? 200 : timeout_ms);
	if (got < 0 && ret) {
		snprintf(err, errlen, "%s: %s", what, strerror(-ret));
		goto out;
	}
	ret = got < 0 ? (int)got : 0;
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
