// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's own control ops, and the control socket client. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "daemon/ctl_ops.h"
#include "daemon/daemon.h"

static json_t *op_ping(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	char id[ID_HEX_LEN + 1];

	(void)req;
	(void)err;
	(void)errlen;
	id_fmt(daemon_node(d)->id.b, id);
	return json_pack("{s:b, s:s}", "ok", 1, "node_id", id);
}

static json_t *op_stats(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)req;
	(void)err;
	(void)errlen;
	return daemon_stats_json(d);
}

static json_t *op_neighbours(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)req;
	(void)err;
	(void)errlen;
	return json_pack("{s:o}", "neighbours", daemon_neighbours_json(d));
}

static json_t *op_icc_blast(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	const char *to = json_string_value(json_object_get(req, "to"));
	const char *mod = json_string_value(json_object_get(req, "module"));
	json_t *cnt = json_object_get(req, "count"), *len = json_object_get(req, "size");
	struct node_id id;
	struct timespec a, b;
	int sent;

	if (!to || id_parse(to, id.b) || !json_is_integer(cnt) || json_integer_value(cnt) < 1 ||
	    json_integer_value(cnt) > 10000000 || (len && !json_is_integer(len))) {
		snprintf(err, errlen,
			 "need 'to' (node ID), 'count' (1..10000000), optional "
			 "'size' and 'module'");
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	sent = daemon_blast(d, &id, mod ? mod : "echo", (uint32_t)json_integer_value(cnt),
			    len ? (uint32_t)json_integer_value(len) : 64);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (sent < 0) {
		snprintf(err, errlen, "icc_blast: %s", strerror(-sent));
		return NULL;
	}
	return json_pack("{s:b, s:i, s:f}", "ok", 1, "sent", sent, "seconds",
			 (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

/* The daemon's own ops; the rest come from the flow side and the modules (ctl_assemble). */
const struct ctl_op daemon_ctl_ops[] = {
	{ "ping", op_ping },	       { "stats", op_stats }, { "neighbours", op_neighbours },
	{ "icc_blast", op_icc_blast }, { NULL, NULL },
};

/* ---- client ---- */

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

int ctl_request(const char *path, json_t *req, json_t **reply, int timeout_ms, char *err,
		size_t errlen)
{
	char *text = json_dumps(req, JSON_COMPACT), *buf = malloc(CTL_OUT_MAX);
	json_error_t jerr;
	int fd = ctl_connect(path, err, errlen), ret = 0;

	if (fd < 0 || !text || !buf) {
		ret = fd < 0 ? fd : -ENOMEM;
		goto out;
	}
	if (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto out;
	}
	ret = read_line(fd, buf, CTL_OUT_MAX, timeout_ms);
	if (ret < 0) {
		snprintf(err, errlen, "%s: no reply: %s", path, strerror(-ret));
		goto out;
	}
	*reply = json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr);
	ret = *reply ? 0 : -EBADMSG;
	if (ret)
		snprintf(err, errlen, "%s: bad reply: %s", path, jerr.text);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(buf);
	return ret;
}
