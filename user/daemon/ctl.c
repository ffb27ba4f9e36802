// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Control socket server: non-blocking clients, line framing, op dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "daemon/daemon_int.h"

struct ctl_client {
	int fd;
	bool closing; /* close once out is flushed */
	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	struct ctl_client *next;
};

struct ctl_server {
	struct daemon *d;
	int lfd;
	int spare; /* a descriptor held back, to refuse a client when we are out of them */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client *clients;
	int nclients;
};

int ctl_table_add(struct ctl_table *t, const struct ctl_entry *e, char *err, size_t errlen)
{
	const struct ctl_entry *old = ctl_table_find(t, e->name);

	if (old) {
		snprintf(err, errlen, "control op '%s' defined twice (%s and %s)", e->name,
			 old->from, e->from);
		return -EEXIST;
	}
	if (t->n == CTL_OPS_MAX) {
		snprintf(err, errlen, "too many control ops (max %d)", CTL_OPS_MAX);
		return -ENOSPC;
	}
	t->e[t->n++] = *e;
	return 0;
}

int ctl_table_add_ops(struct ctl_table *t, const char *from, const struct ctl_op *ops, char *err,
		      size_t errlen)
{
	for (; ops && ops->name; ops++) {
		struct ctl_entry e = { .name = ops->name, .from = from, .fn = ops->fn };
		int ret = ctl_table_add(t, &e, err, errlen);

		if (ret)
			return ret;
	}
	return 0;
}

int ctl_table_add_module(struct ctl_table *t, const struct module_ops *ops, char *err,
			 size_t errlen)
{
	for (const struct module_ctl_op *o = ops->ctl_ops; o && o->name; o++) {
		struct ctl_entry e = {
			.name = o->name, .from = ops->name, .mod = ops, .mfn = o->fn
		};
		int ret = ctl_table_add(t, &e, err, errlen);

		if (ret)
			return ret;
	}
	return 0;
}

const struct ctl_entry *ctl_table_find(const struct ctl_table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].name, name))
			return &t->e[i];
	return NULL;
}

static void client_free(struct ctl_server *s, struct ctl_client *c)
{
	struct ctl_client **pp = &s->clients;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	daemon_loop_del_fd(s->d, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	s->nclients--;
}

/* Queue one reply line; too much unread output closes the client. */
static void client_reply(struct ctl_server *s, struct ctl_client *c, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	size_t n = text ? strlen(text) : 0;
	char *p;

	json_decref(reply);
	if (!text || c->outlen - c->outoff + n + 1 > CTL_OUT_MAX) {
		free(text);
		c->closing = true;
		c->outlen = c->outoff = 0;
		return;
	}
	/* drop what was already sent, so a client that keeps replies queued cannot grow it */
	if (c->outoff) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	p = realloc(c->out, c->outlen + n + 1);
	if (!p) {
		free(text);
		c->closing = true;
		return;
	}
	c->out = p;
	memcpy(c->out + c->outlen, text, n);
	c->out[c->outlen + n] = '\n';
	c->outlen += n + 1;
	free(text);
	(void)s;
}

static json_t *ctl_error(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

static json_t *ctl_call(struct daemon *d, const struct ctl_entry *e, json_t *req, char *err,
			size_t errlen)
{
	struct module *m;

	if (e->fn)
		return e->fn(d, req, err, errlen);
	m = node_module(&d->node, e->mod->name);
	if (!m) {
		snprintf(err, errlen, "module %s is not loaded", e->mod->name);
		return NULL;
	}
	return e->mfn(m, req, err, errlen);
}

json_t *ctl_dispatch(struct daemon *d, const char *line, size_t len)
{
	char err[256] = "";
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *reply;
	const struct ctl_entry *e;
	const char *op;

	if (!req)
		return ctl_error("malformed JSON");
	op = json_string_value(json_object_get(req, "op"));
	if (!json_is_object(req) || !op) {
		json_decref(req);
		return ctl_error("request must be an object with a string \"op\"");
	}
	e = ctl_table_find(&d->ctl_ops, op);
	if (!e) {
		snprintf(err, sizeof(err), "unknown op '%.64s'", op);
		json_decref(req);
		return ctl_error(err);
	}
	reply = ctl_call(d, e, req, err, sizeof(err));
	json_decref(req);
	return reply ? reply : ctl_error(err[0] ? err : "failed");
}

/* Handle every complete line in c->in. */
static void client_lines(struct ctl_server *s, struct ctl_client *c)
{
	size_t start = 0;
	char *nl;

	while (!c->closing && (nl = memchr(c->in + start, '\n', c->inlen - start))) {
		size_t len = (size_t)(nl - (c->in + start));

		if (len > 0)
			client_reply(s, c, ctl_dispatch(s->d, c->in + start, len));
		start += len + 1;
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	if (c->inlen > CTL_LINE_MAX) {
		client_reply(s, c, ctl_error("request line too long"));
		c->closing = true;
	}
}

static bool client_flush(struct ctl_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	return true;
}

/* Read what is there; end of input closes after the replies are flushed. */
static bool client_read(struct ctl_server *s, struct ctl_client *c)
{
	ssize_t n;

	while (!c->closing) {
		n = recv(c->fd, c->in + c->inlen, CTL_LINE_MAX + 2 - c->inlen, MSG_DONTWAIT);
		if (n == 0)
			c->closing = true;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		c->inlen += (size_t)n;
		client_lines(s, c);
	}
	return true;
}

static void client_ready(struct daemon *d, int fd, uint32_t events, void *arg)
{
	struct ctl_client *c = arg;
	struct ctl_server *s = d->ctl;
	bool ok = true;

	(void)fd;
	if (events & EPOLLIN)
		ok = client_read(s, c);
	if (ok && (events & EPOLLERR))
		ok = false;
	ok = ok && client_flush(c);
	if (!ok || (c->closing && c->outlen == 0)) {
		client_free(s, c);
		return;
	}
	/* a closing client only waits to drain its replies */
	daemon_loop_mod_fd(d, c->fd, (c->closing ? 0 : EPOLLIN) | (c->outlen ? EPOLLOUT : 0));
}

static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void accept_ready(struct daemon *d, int lfd, uint32_t events, void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_client *c;
	int fd;

	(void)events;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (s->nclients >= CTL_CLIENTS_MAX || !peer_allowed(fd)) {
			daemon_log(d, LOG_L_WARN, "ctl: connection refused (%s)",
				   s->nclients >= CTL_CLIENTS_MAX ? "too many" : "not root");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->in = malloc(CTL_LINE_MAX + 2);
		if (!c || !c->in || daemon_loop_add_fd(d, fd, EPOLLIN, client_ready, c) < 0) {
			if (c)
				free(c->in);
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->next = s->clients;
		s->clients = c;
		s->nclients++;
	}
	if ((errno == EMFILE || errno == ENFILE) && s->spare >= 0) {
		/* out of descriptors: accept with the spare and close, or epoll spins */
		close(s->spare);
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		s->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		daemon_log(d, LOG_L_WARN, "ctl: out of file descriptors, connection refused");
	}
}

/* A socket file left by a dead daemon is removed; a live one is an error. */
static int ctl_claim_path(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd;

	if (lstat(sa->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	if (fd >= 0)
		close(fd);
	return unlink(sa->sun_path) < 0 ? -errno : 0;
}

static int ctl_listen(struct ctl_server *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	err = ctl_claim_path(&sa);
	if (err)
		return err;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	/*
	 * The mode is set on the socket before bind, which creates the file
	 * with it (minus the umask): no chmod by path afterwards, which would
	 * follow a symlink put there in between, and no process-wide umask
	 * change that other threads would see.
	 */
	if (fchmod(s->lfd, 0600) < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	snprintf(s->path, sizeof(s->path), "%s", path); /* ours now: removed on failure */
	return listen(s->lfd, 16) < 0 ? -errno : 0;
}

int ctl_server_start(struct daemon *d, const char *path, struct ctl_server **out)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->d = d;
	s->lfd = -1;
	s->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	err = ctl_listen(s, path);
	err = err ?: daemon_loop_add_fd(d, s->lfd, EPOLLIN, accept_ready, s);
	if (err) {
		if (s->lfd >= 0)
			close(s->lfd);
		if (s->spare >= 0)
			close(s->spare);
		if (s->path[0])
			unlink(s->path);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void ctl_server_stop(struct ctl_server *s)
{
	while (s->clients)
		client_free(s, s->clients);
	daemon_loop_del_fd(s->d, s->lfd);
	close(s->lfd);
	if (s->spare >= 0)
		close(s->spare);
	unlink(s->path);
	free(s);
}
