// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The IPFIX exporter: a bounded queue of ended flows fed by the statistics
 * thread, and a thread that encodes them (ipfix.c) and sends them over UDP
 * or TCP; see ipfix.h.
 *
 * The queue is the record buffer of both transports. The thread copies
 * records from its head, encodes one message, sends it, and only then takes
 * them off the queue: over TCP a message that could not be sent whole is
 * sent again, templates first, on the next connection. Over UDP a message
 * the socket refuses twice is lost and counted. The sink never waits: a
 * record that finds the queue full is counted as dropped.
 *
 * TCP: before each message the socket is polled for the collector having
 * closed (collectors send nothing to exporters, so readability means EOF),
 * which catches a restart while we were idle; a collector that dies after
 * reading less than we wrote loses that tail, which TCP cannot tell us.
 * Reconnects back off from 100 ms, doubling to backoff_max_ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flow/ipfix.h"

#define MTU_UDP	       1400 /* fits an Ethernet path without fragments */
#define MTU_TCP	       16384
#define BATCH	       256 /* records copied from the queue at once */
#define BACKOFF_MIN_MS 100
#define IO_TIMEOUT_MS  2000 /* connect and send, per attempt */
#define STOP_FLUSH_NS  1000000000ull

struct ipfix {
	struct ipfix_cfg cfg;
	struct sockaddr_storage addr;
	socklen_t alen;
	struct ipfix_enc *enc;

	pthread_mutex_t lock; /* queue, counters, stop, last_err */
	pthread_cond_t cond;
	struct stats_ended *q;
	size_t q_head, q_n;
	struct ipfix_counters cnt;
	bool stop, running;
	char last_err[512];
	pthread_t thr;

	/* the thread's own */
	int fd;
	uint64_t next_try_ns;
	unsigned int backoff_ms;
	uint64_t tmpl_ns; /* when templates last went out (UDP) */
	unsigned int msgs_since_tmpl;
	bool tmpl_sent;
	struct stats_ended batch[BATCH];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- lifecycle ---- */

static int resolve(struct ipfix *x, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *ai;
	int rc;

	hints.ai_socktype = x->cfg.transport == IPFIX_TCP ? SOCK_STREAM : SOCK_DGRAM;
	rc = getaddrinfo(x->cfg.host, x->cfg.port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "IPFIX collector '%s': %s", x->cfg.host, gai_strerror(rc));
		return rc == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	}
	memcpy(&x->addr, ai->ai_addr, ai->ai_addrlen);
	x->alen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

struct ipfix *ipfix_new(const struct ipfix_cfg *cfg, char *err, size_t errlen)
{
	struct ipfix *x = calloc(1, sizeof(*x));
	int rc = -ENOMEM;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	x->cfg = *cfg;
	x->fd = -1;
	if (!x->cfg.queue_max)
		x->cfg.queue_max = IPFIX_QUEUE_DEFAULT;
	if (!x->cfg.export_interval_ms)
		x->cfg.export_interval_ms = IPFIX_EXPORT_INTERVAL_MS;
	if (!x->cfg.template_interval_s)
		x->cfg.template_interval_s = IPFIX_TEMPLATE_INTERVAL_S;
	if (!x->cfg.template_msgs)
		x->cfg.template_msgs = IPFIX_TEMPLATE_MSGS;
	if (!x->cfg.backoff_max_ms)
		x->cfg.backoff_max_ms = IPFIX_BACKOFF_MAX_MS_DEFAULT;
	if (x->cfg.transport != IPFIX_UDP && x->cfg.transport != IPFIX_TCP) {
		rc = -EINVAL;
		snprintf(err, errlen, "IPFIX transport %d unknown", x->cfg.transport);
		goto fail;
	}
	rc = resolve(x, err, errlen);
	if (rc)
		goto fail;
	x->q = calloc(x->cfg.queue_max, sizeof(*x->q));
	if (!x->q) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory for %u queued records", x->cfg.queue_max);
		goto fail;
	}
	x->enc = ipfix_enc_new(x->cfg.domain, x->cfg.transport == IPFIX_TCP ? MTU_TCP : MTU_UDP,
			       err, errlen);
	if (!x->enc) {
		rc = -errno;
		goto fail;
	}
	pthread_mutex_init(&x->lock, NULL);
	return x;
fail:
	if (x) {
		free(x->q);
		free(x);
	}
	errno = -rc;
	return NULL;
}

/* ---- the sink (statistics thread) ---- */

void ipfix_sink(void *ctx, const struct stats_ended *e)
{
	struct ipfix *x = ctx;
	bool wake;

	pthread_mutex_lock(&x->lock);
	if (x->q_n == x->cfg.queue_max) {
		x->cnt.records_dropped++;
		pthread_mutex_unlock(&x->lock);
		return;
	}
	x->q[(x->q_head + x->q_n) % x->cfg.queue_max] = *e;
	x->q_n++;
	x->cnt.records_queued++;
	/* the thread exports every interval; half a queue does not wait for it */
	wake = x->q_n == x->cfg.queue_max / 2;
	pthread_mutex_unlock(&x->lock);
	if (wake && x->running)
		pthread_cond_signal(&x->cond);
}

void ipfix_counters(struct ipfix *x, struct ipfix_counters *c)
{
	pthread_mutex_lock(&x->lock);
	*c = x->cnt;
	c->queue_len = x->q_n;
	pthread_mutex_unlock(&x->lock);
}

void ipfix_last_error(struct ipfix *x, char *buf, size_t len)
{
	pthread_mutex_lock(&x->lock);
	snprintf(buf, len, "%s", x->last_err);
	pthread_mutex_unlock(&x->lock);
}

static void set_err(struct ipfix *x, const char *what, int e)
{
	pthread_mutex_lock(&x->lock);
	snprintf(x->last_err, sizeof(x->last_err), "%s %.255s:%s: %s", what, x->cfg.host,
		 x->cfg.port, strerror(e));
	pthread_mutex_unlock(&x->lock);
}

static void count(struct ipfix *x, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&x->lock);
	*field += n;
	pthread_mutex_unlock(&x->lock);
}

/* ---- transport ---- */

static void disconnect(struct ipfix *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->tmpl_sent = false;
}

/* Non-blocking connect bounded by IO_TIMEOUT_MS; then blocking with a send timeout. */
static int open_socket(struct ipfix *x)
{
	struct timeval tv = { IO_TIMEOUT_MS / 1000, (IO_TIMEOUT_MS % 1000) * 1000 };
	int type = x->cfg.transport == IPFIX_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int fd = socket(x->addr.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), e = 0;
	socklen_t el = sizeof(e);
	struct pollfd p;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&x->addr, x->alen)) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, IO_TIMEOUT_MS) != 1) {
			e = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) || e)
			goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	x->fd = fd;
	return 0;
fail:
	close(fd);
	return -(e ? e : EIO);
}

/* TCP: has the collector closed? (It never sends: readable means EOF or error.) */
static bool peer_gone(struct ipfix *x)
{
	struct pollfd p = { .fd = x->fd, .events = POLLIN | POLLRDHUP };
	char junk[256];
	ssize_t n;

	if (poll(&p, 1, 0) != 1)
		return false;
	if (p.revents & (POLLERR | POLLHUP | POLLRDHUP))
		return true;
	n = recv(x->fd, junk, sizeof(junk), MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int send_all(struct ipfix *x, const uint8_t *m, size_t len)
{
	size_t off = 0;

	if (x->cfg.transport == IPFIX_UDP) {
		/* a connected UDP socket reports an earlier ICMP error on this send: once more */
		for (int i = 0; i < 2; i++)
			if (send(x->fd, m, len, MSG_NOSIGNAL) == (ssize_t)len)
				return 0;
		return -errno;
	}
	while (off < len) {
		ssize_t n = send(x->fd, m + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += n;
	}
	return 0;
}

/* Ready to send: connected (TCP, with backoff), templates out where due. */
static int ensure_ready(struct ipfix *x, uint64_t now)
{
	char err[256];
	const uint8_t *m;
	ssize_t n;
	int rc;

	if (x->fd >= 0 && x->cfg.transport == IPFIX_TCP && peer_gone(x)) {
		set_err(x, "collector closed the connection", ECONNRESET);
		disconnect(x);
		x->next_try_ns = now;
	}
	if (x->fd < 0) {
		if (now < x->next_try_ns)
			return -EAGAIN;
		rc = open_socket(x);
		if (rc) {
			count(x, &x->cnt.connect_failures, 1);
			set_err(x, "cannot connect to", -rc);
			x->backoff_ms = x->backoff_ms ? x->backoff_ms * 2 : BACKOFF_MIN_MS;
			if (x->backoff_ms > x->cfg.backoff_max_ms)
				x->backoff_ms = x->cfg.backoff_max_ms;
			x->next_try_ns = now + (uint64_t)x->backoff_ms * 1000000;
			return rc;
		}
		x->backoff_ms = 0;
		if (x->cfg.transport == IPFIX_TCP)
			count(x, &x->cnt.connects, 1);
	}
	if (x->tmpl_sent &&
	    (x->cfg.transport == IPFIX_TCP ||
	     (now - x->tmpl_ns < (uint64_t)x->cfg.template_interval_s * 1000000000ull &&
	      x->msgs_since_tmpl < x->cfg.template_msgs)))
		return 0;
	ipfix_enc_set_time(x->enc, 0);
	rc = ipfix_enc_templates(x->enc, err, sizeof(err));
	n = rc ? rc : ipfix_enc_emit(x->enc, &m, err, sizeof(err));
	if (n > 0)
		rc = send_all(x, m, n);
	else
		rc = n < 0 ? (int)n : -EIO;
	if (rc) {
		count(x, &x->cnt.send_errors, 1);
		set_err(x, "cannot send templates to", -rc);
		disconnect(x);
		x->next_try_ns = now + BACKOFF_MIN_MS * 1000000ull;
		return rc;
	}
	count(x, &x->cnt.templates_sent, 1);
	x->tmpl_sent = true;
	x->tmpl_ns = now;
	x->msgs_since_tmpl = 0;
	return 0;
}

/* Records [0, n) of the queue's head into x->batch. */
static size_t peek(struct ipfix *x, size_t max)
{
	size_t n;

	pthread_mutex_lock(&x->lock);
	n = x->q_n < max ? x->q_n : max;
	for (size_t i = 0; i < n; i++)
		x->batch[i] = x->q[(x->q_head + i) % x->cfg.queue_max];
	pthread_mutex_unlock(&x->lock);
	return n;
}

static void pop(struct ipfix *x, size_t n, bool sent)
{
	pthread_mutex_lock(&x->lock);
	x->q_head = (x->q_head + n) % x->cfg.queue_max;
	x->q_n -= n;
	if (sent) {
		x->cnt.records_sent += n;
		x->cnt.messages_sent++;
	} else {
		x->cnt.records_lost += n;
	}
	pthread_mutex_unlock(&x->lock);
}

/*
 * Encode and send what is queued, one message at a time. Stops at an empty
 * queue, a transport that is not ready, or a TCP send failure (the message's
 * records stay queued).
 */
static void export_queued(struct ipfix *x)
{
	struct ipfix_clock clk;
	struct ipfix_rec r;
	char err[256];
	const uint8_t *m;
	size_t n, used;
	ssize_t len;
	int rc;

	ipfix_clock_now(&clk);
	while ((n = peek(x, BATCH))) {
		if (ensure_ready(x, mono_ns()))
			return;
		ipfix_enc_set_time(x->enc, 0);
		for (used = 0; used < n; used++) {
			ipfix_rec_build(&r, &x->batch[used], &clk);
			rc = ipfix_enc_add(x->enc, &r, ipfix_rec_tid(&x->batch[used].key), err,
					   sizeof(err));
			if (rc == -ENOSPC && used)
				break;
			if (rc) { /* cannot encode (not even alone): never will */
				pthread_mutex_lock(&x->lock);
				snprintf(x->last_err, sizeof(x->last_err), "%.255s", err);
				pthread_mutex_unlock(&x->lock);
				ipfix_enc_emit(x->enc, &m, err, sizeof(err));
				pop(x, used + 1, false);
				return;
			}
		}
		len = ipfix_enc_emit(x->enc, &m, err, sizeof(err));
		rc = len > 0 ? send_all(x, m, len) : -EIO;
		if (rc) {
			count(x, &x->cnt.send_errors, 1);
			set_err(x, "cannot send to", -rc);
			if (x->cfg.transport == IPFIX_TCP) {
				disconnect(x);
				x->next_try_ns = mono_ns() + BACKOFF_MIN_MS * 1000000ull;
				return; /* resent, templates first, on the next connection */
			}
			pop(x, used, false);
			continue;
		}
		x->msgs_since_tmpl++;
		pop(x, used, true);
	}
	/* UDP: templates on their interval even when no flow ends */
	if (x->cfg.transport == IPFIX_UDP)
		ensure_ready(x, mono_ns());
}

static void *ipfix_thread(void *arg)
{
	struct ipfix *x = arg;
	struct timespec ts;
	uint64_t deadline, stop_by = 0;

	for (;;) {
		export_queued(x);
		pthread_mutex_lock(&x->lock);
		if (x->stop) {
			bool more = x->q_n > 0 && x->fd >= 0;

			pthread_mutex_unlock(&x->lock);
			if (!stop_by)
				stop_by = mono_ns() + STOP_FLUSH_NS;
			if (!more || mono_ns() >= stop_by)
				break;
			continue;
		}
		deadline = mono_ns() + (uint64_t)x->cfg.export_interval_ms * 1000000;
		if (x->fd < 0 && x->next_try_ns > mono_ns() && x->next_try_ns < deadline)
			deadline = x->next_try_ns;
		ts.tv_sec = deadline / 1000000000ull;
		ts.tv_nsec = deadline % 1000000000ull;
		pthread_cond_timedwait(&x->cond, &x->lock, &ts);
		pthread_mutex_unlock(&x->lock);
	}
	disconnect(x);
	return NULL;
}

int ipfix_start(struct ipfix *x)
{
	pthread_condattr_t ca;
	int err;

	if (x->running)
		return -EALREADY;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = pthread_cond_init(&x->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		return -err;
	x->stop = false;
	err = pthread_create(&x->thr, NULL, ipfix_thread, x);
	if (err) {
		pthread_cond_destroy(&x->cond);
		return -err;
	}
	x->running = true;
	return 0;
}

void ipfix_free(struct ipfix *x)
{
	if (!x)
		return;
	if (x->running) {
		pthread_mutex_lock(&x->lock);
		x->stop = true;
		pthread_cond_signal(&x->cond);
		pthread_mutex_unlock(&x->lock);
		pthread_join(x->thr, NULL);
		pthread_cond_destroy(&x->cond);
	}
	disconnect(x);
	pthread_mutex_destroy(&x->lock);
	ipfix_enc_free(x->enc);
	free(x->q);
	free(x);
}
