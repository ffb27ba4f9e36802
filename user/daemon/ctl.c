// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Control socket server: non-blocking clients, line framing, op dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "daemon/daemon_int.h"

struct ctl_job {
	ctl_step_fn step;
	void *state;
	void (*free_state)(void *);
	struct ctl_client *c; /* NULL once the client is gone: the work still finishes */
	struct ctl_job *next;
};

/* Set by ctl_defer during one op call (the loop is one thread). */
static struct ctl_job *ctl_deferred;

struct ctl_client {
	int fd;
	struct ctl_job *job; /* deferred work of its current request */
	bool closing;	     /* close once out is flushed */
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outoff, outcap;
	uint64_t last_ms; /* last byte in or out, CLOCK_MONOTONIC */
	struct ctl_client *next;
};

struct ctl_server {
	struct daemon *d;
	int lfd;
	int spare; /* a descriptor held back, to refuse a client when we are out of them */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client *clients;
	int nclients;
	uint64_t idle_ms;
	int sweep_fd; /* the idle sweep timer */
	int evfd;     /* readable while jobs wait */
	struct ctl_job *jobs;
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

static uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void client_free(struct ctl_server *s, struct ctl_client *c)
{
	struct ctl_client **pp = &s->clients;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	if (c->job)
		c->job->c = NULL;
	daemon_loop_del_fd(s->d, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	s->nclients--;
}

/* Room for n more bytes of output, the sent part dropped first. */
static bool out_reserve(struct ctl_client *c, size_t n)
{
	size_t cap;
	char *p;

	if (c->outoff) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	if (c->outlen + n > CTL_REPLY_MAX + CTL_OUT_HIGH)
		return false;
	if (c->outlen + n <= c->outcap)
		return true;
	for (cap = c->outcap ? c->outcap : 4096; cap < c->outlen + n;)
		cap *= 2;
	p = realloc(c->out, cap);
	if (!p)
		return false;
	c->out = p;
	c->outcap = cap;
	return true;
}

/*
 * Queue one reply line. One reply may be large (a table list at 100,000
 * tables): the buffer grows for it, and back-pressure (no further request
 * is read while output is over CTL_OUT_HIGH) keeps the total bounded.
 */
static void client_reply(struct ctl_server *s, struct ctl_client *c, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	size_t n = text ? strlen(text) : 0;

	json_decref(reply);
	if (text && n > CTL_REPLY_MAX) {
		free(text);
		text = json_dumps(json_pack("{s:s}", "error", "reply too large"), JSON_COMPACT);
		n = text ? strlen(text) : 0;
	}
	if (!text || !out_reserve(c, n + 1)) {
		free(text);
		c->closing = true;
		c->outlen = c->outoff = 0;
		return;
	}
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

int ctl_defer(ctl_step_fn step, void *state, void (*free_state)(void *))
{
	struct ctl_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->step = step;
	j->state = state;
	j->free_state = free_state;
	free(ctl_deferred); /* an op deferring twice: the last one counts */
	ctl_deferred = j;
	return 0;
}

static void job_free(struct ctl_job *j)
{
	if (j->free_state)
		j->free_state(j->state);
	free(j);
}

/* One step of a job: the reply when done, else NULL. */
static json_t *job_step(struct daemon *d, struct ctl_job *j, bool *done)
{
	char err[256] = "";
	json_t *reply;

	*done = false;
	reply = j->step(d, j->state, done, err, sizeof(err));
	if (!*done && !reply)
		return NULL;
	*done = true;
	return reply ? reply : ctl_error(err[0] ? err : "failed");
}

/* The reply, or NULL with *job set: work that goes on over loop turns. */
static json_t *dispatch(struct daemon *d, const char *line, size_t len, struct ctl_job **job)
{
	char err[256] = "";
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *reply;
	const struct ctl_entry *e;
	const char *op;

	*job = NULL;
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
	ctl_deferred = NULL;
	reply = ctl_call(d, e, req, err, sizeof(err));
	json_decref(req);
	if (ctl_deferred && !reply) {
		*job = ctl_deferred;
		ctl_deferred = NULL;
		return NULL;
	}
	if (ctl_deferred) { /* deferred and answered: the answer counts */
		job_free(ctl_deferred);
		ctl_deferred = NULL;
	}
	return reply ? reply : ctl_error(err[0] ? err : "failed");
}

json_t *ctl_dispatch(struct daemon *d, const char *line, size_t len)
{
	struct ctl_job *j;
	json_t *reply = dispatch(d, line, len, &j);
	bool done = !j;

	while (!done)
		reply = job_step(d, j, &done);
	if (j)
		job_free(j);
	return reply;
}

static size_t out_pending(const struct ctl_client *c)
{
	return c->outlen - c->outoff;
}

/* Answer complete lines in c->in while the client's unsent output is under the bound. */
static void client_lines(struct ctl_server *s, struct ctl_client *c)
{
	size_t start = 0;
	char *nl;

	if (!c->inlen) /* nothing (and maybe no buffer yet) */
		return;
	while (!c->closing && !c->job && out_pending(c) < CTL_OUT_HIGH &&
	       (nl = memchr(c->in + start, '\n', c->inlen - start))) {
		size_t len = (size_t)(nl - (c->in + start));
		struct ctl_job *j = NULL;
		json_t *reply = len > 0 ? dispatch(s->d, c->in + start, len, &j) : NULL;

		start += len + 1;
		if (j) {
			uint64_t one = 1;

			j->c = c;
			j->next = s->jobs;
			s->jobs = j;
			c->job = j;
			if (write(s->evfd, &one, sizeof(one)) < 0)
				(void)0; /* already readable (counter full): fine */
		} else if (reply) {
			client_reply(s, c, reply);
		}
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	/* over the limit only if no line ends in it (lines may wait for back-pressure) */
	if (!c->closing && c->inlen > CTL_LINE_MAX && !memchr(c->in, '\n', c->inlen)) {
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
		c->last_ms = ctl_now_ms();
	}
	c->outoff = c->outlen = 0;
	if (c->outcap > CTL_OUT_HIGH) { /* give a big reply's memory back */
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	return true;
}

/* Room to read into: the input buffer grows up to CTL_LINE_MAX + 2. */
static bool in_reserve(struct ctl_client *c)
{
	size_t cap = c->incap;
	char *p;

	if (c->inlen < cap)
		return true;
	if (cap >= CTL_LINE_MAX + 2)
		return false;
	cap = cap ? cap * 2 : 4096;
	if (cap > CTL_LINE_MAX + 2)
		cap = CTL_LINE_MAX + 2;
	p = realloc(c->in, cap);
	if (!p)
		return false;
	c->in = p;
	c->incap = cap;
	return true;
}

/*
 * One read, then the lines it completed. End of input closes after the
 * replies are flushed. Nothing is read while output is over the bound.
 */
static bool client_read(struct ctl_server *s, struct ctl_client *c)
{
	ssize_t n;

	if (c->closing || c->job || out_pending(c) >= CTL_OUT_HIGH)
		return true;
	if (!in_reserve(c)) /* full of lines that wait: read when they are answered */
		return true;
	n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);
	if (n == 0)
		c->closing = true;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK;
	if (n > 0)
		c->last_ms = ctl_now_ms();
	c->inlen += (size_t)n;
	client_lines(s, c);
	return true;
}

/* Free a finished or broken client, else wait for what it can do next. */
static void client_rearm(struct ctl_server *s, struct ctl_client *c, bool ok)
{
	bool wait_out = c->closing || c->job || out_pending(c) >= CTL_OUT_HIGH;

	if (!ok || (c->closing && c->outlen == 0 && !c->job)) {
		client_free(s, c);
		return;
	}
	/* over the bound, busy or closing: wait only for the output to drain */
	daemon_loop_mod_fd(s->d, c->fd, (wait_out ? 0 : EPOLLIN) | (out_pending(c) ? EPOLLOUT : 0));
}

static void client_ready(struct daemon *d, int fd, uint32_t events, void *arg)
{
	struct ctl_client *c = arg;
	struct ctl_server *s = d->ctl;
	/* a peer that is gone both ways can take no reply (its deferred work goes on) */
	bool ok = !(events & (EPOLLERR | EPOLLHUP));

	(void)fd;
	/* drain first, then answer what is buffered, then read more (bounded per turn) */
	ok = ok && client_flush(c);
	if (ok)
		client_lines(s, c);
	if (ok && (events & (EPOLLIN | EPOLLHUP)))
		ok = client_read(s, c);
	ok = ok && client_flush(c);
	if (ok && !c->closing)
		client_lines(s, c);
	client_rearm(s, c, ok);
}

/* A step of every waiting job; a finished one answers its client. */
static void jobs_ready(struct daemon *d, int fd, uint32_t events, void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_job **pp = &s->jobs;
	uint64_t n;

	(void)events;
	while (*pp) {
		struct ctl_job *j = *pp;
		struct ctl_client *c = j->c;
		bool done;
		json_t *reply = job_step(d, j, &done);

		if (!done) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		job_free(j);
		if (!c) {
			json_decref(reply);
			continue;
		}
		c->job = NULL;
		client_reply(s, c, reply);
		client_lines(s, c); /* what it sent meanwhile (may defer again) */
		client_rearm(s, c, client_flush(c));
	}
	if (!s->jobs && read(fd, &n, sizeof(n)) < 0)
		(void)0; /* not readable: nothing to clear */
}

/* Close connections that neither sent nor took a byte for the idle timeout. */
static void ctl_sweep(struct daemon *d, void *arg)
{
	struct ctl_server *s = arg;
	uint64_t now = ctl_now_ms();
	struct ctl_client *c = s->clients, *next;
	int n = 0;

	for (; c; c = next) {
		next = c->next;
		if (!c->job && now - c->last_ms >= s->idle_ms) {
			client_free(s, c);
			n++;
		}
	}
	if (n)
		daemon_log(d, LOG_L_INFO, "ctl: closed %d idle connection(s)", n);
}

/* At the limit: the connection idle longest makes room, if any is idle. */
static bool evict_idle(struct ctl_server *s)
{
	struct ctl_client *c, *old = NULL;

	for (c = s->clients; c; c = c->next)
		if (!c->inlen && !c->job && !out_pending(c) && (!old || c->last_ms < old->last_ms))
			old = c;
	if (!old)
		return false;
	client_free(s, old);
	return true;
}

static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

int ctl_server_add_client(struct ctl_server *s, int fd)
{
	struct ctl_client *c;
	int err;

	if (s->nclients >= CTL_CLIENTS_MAX && !evict_idle(s))
		return -EBUSY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = daemon_loop_add_fd(s->d, fd, EPOLLIN, client_ready, c);
	if (err < 0) {
		free(c);
		return err;
	}
	c->fd = fd;
	c->last_ms = ctl_now_ms();
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
	return 0;
}

static void accept_ready(struct daemon *d, int lfd, uint32_t events, void *arg)
{
	struct ctl_server *s = arg;
	int fd, err;

	(void)events;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		err = peer_allowed(fd) ? ctl_server_add_client(s, fd) : -EPERM;
		if (err == -EPERM || err == -EBUSY)
			daemon_log(d, LOG_L_WARN, "ctl: connection refused (%s)",
				   err == -EBUSY ? "too many" : "not root");
		if (err)
			close(fd);
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

/* CTL_IDLE_MS, or IPOP_CTL_IDLE_MS from the environment (tests), 100 ms .. 1 hour */
static uint64_t ctl_idle_ms(void)
{
	const char *v = getenv("IPOP_CTL_IDLE_MS");
	char *end;
	unsigned long long ms;

	if (!v || !*v)
		return CTL_IDLE_MS;
	errno = 0;
	ms = strtoull(v, &end, 10);
	if (errno || *end || ms < 100 || ms > 3600 * 1000)
		return CTL_IDLE_MS;
	return ms;
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
	s->sweep_fd = -1;
	s->idle_ms = ctl_idle_ms();
	s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	err = ctl_listen(s, path);
	err = err ?: s->evfd < 0 ? -errno : 0;
	err = err ?: daemon_loop_add_fd(d, s->evfd, EPOLLIN, jobs_ready, s);
	err = err ?: daemon_loop_add_fd(d, s->lfd, EPOLLIN, accept_ready, s);
	if (!err) {
		s->sweep_fd = daemon_loop_add_timer(d, s->idle_ms / 4 ?: 1, ctl_sweep, s);
		if (s->sweep_fd < 0) {
			err = s->sweep_fd;
			daemon_loop_del_fd(d, s->lfd);
		}
	}
	if (err) {
		if (s->evfd >= 0) {
			daemon_loop_del_fd(d, s->evfd);
			close(s->evfd);
		}
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
	/*
	 * Work that was started is finished, its clients gone: a step of each in
	 * turn, as the loop would (a job may wait for another one).
	 */
	while (s->jobs) {
		struct ctl_job **pp = &s->jobs;

		while (*pp) {
			struct ctl_job *j = *pp;
			bool done;

			json_decref(job_step(s->d, j, &done));
			if (!done) {
				pp = &j->next;
				continue;
			}
			*pp = j->next;
			job_free(j);
		}
	}
	daemon_loop_del_fd(s->d, s->evfd);
	close(s->evfd);
	if (s->sweep_fd >= 0)
		daemon_loop_del_timer(s->d, s->sweep_fd);
	daemon_loop_del_fd(s->d, s->lfd);
	close(s->lfd);
	if (s->spare >= 0)
		close(s->spare);
	unlink(s->path);
	free(s);
}
