// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon runtime: rt_ops over epoll/UDP/timerfd, setup and teardown. */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "daemon/ctl_ops.h"
#include "daemon/daemon_int.h"

#define LOG_PER_SEC 50
#define NS_PER_SEC  1000000000ULL

uint64_t daemon_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static struct daemon *daemon_of(struct node *n)
{
	return n->rt_ctx;
}

struct node *daemon_node(struct daemon *d)
{
	return &d->node;
}

static void daemon_vlog(struct daemon *d, enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	uint64_t now = daemon_now_ns();

	if (lvl == LOG_L_DEBUG && !d->verbose)
		return;
	if (now - d->log_window >= NS_PER_SEC) {
		if (d->log_suppressed)
			fprintf(stderr, "ipop-bpf: %u log lines suppressed\n", d->log_suppressed);
		d->log_window = now;
		d->log_count = 0;
		d->log_suppressed = 0;
	}
	if (++d->log_count > LOG_PER_SEC && lvl > LOG_L_ERR) {
		d->log_suppressed++;
		return;
	}
	fprintf(stderr, "ipop-bpf: %s: ", names[lvl]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void daemon_log(struct daemon *d, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daemon_vlog(d, lvl, fmt, ap);
	va_end(ap);
}

/* ---- rt_ops ---- */

static int drt_send(struct node *n, const struct node_id *to, const char *module,
		    const struct mod_msg *msg)
{
	struct daemon *d = daemon_of(n);
	struct nbr_state *nb = daemon_nbr(d, to);
	struct icc_hdr h = { .type = msg->type ? msg->type : ICC_T_DATA,
			     .flags = msg->flags,
			     .ttl = msg->ttl,
			     .id = msg->id,
			     .src = n->id,
			     .dst = *to };

	if (!nb)
		return -EHOSTUNREACH;
	if (!icc_module_name_ok(module) || !module[0])
		return -EINVAL;
	strcpy(h.module, module);
	h.seq = ++d->seq;
	if (icc_io_send(d, nb, &h, msg->data, msg->len) < 0)
		return -EIO;
	d->icc.tx++;
	return 0;
}

static void timers_rearm(struct daemon *d)
{
	struct itimerspec its = { 0 };
	uint64_t first = UINT64_MAX;

	for (int i = 0; i < d->ntimers; i++)
		if (d->timers[i].at < first)
			first = d->timers[i].at;
	if (first != UINT64_MAX) {
		first = first ? first : 1;
		its.it_value.tv_sec = (time_t)(first / NS_PER_SEC);
		its.it_value.tv_nsec = (long)(first % NS_PER_SEC);
	}
	timerfd_settime(d->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int drt_timer_cancel(struct node *n, struct module *m, uint32_t timer_id)
{
	struct daemon *d = daemon_of(n);

	for (int i = 0; i < d->ntimers; i++)
		if (d->timers[i].mod == m->idx && d->timers[i].id == timer_id) {
			d->timers[i] = d->timers[--d->ntimers];
			timers_rearm(d);
			return 0;
		}
	return -ENOENT;
}

static int drt_timer_arm(struct node *n, struct module *m, uint32_t timer_id, uint64_t delay)
{
	struct daemon *d = daemon_of(n);

	drt_timer_cancel(n, m, timer_id);
	if (d->ntimers == d->tcap) {
		int nc = d->tcap ? 2 * d->tcap : 16;
		struct mod_timer *t = realloc(d->timers, sizeof(*t) * (size_t)nc);

		if (!t)
			return -ENOMEM;
		d->timers = t;
		d->tcap = nc;
	}
	d->timers[d->ntimers++] =
		(struct mod_timer){ .mod = m->idx, .id = timer_id, .at = daemon_now_ns() + delay };
	timers_rearm(d);
	return 0;
}

static void timers_fired(struct daemon *d, int fd, uint32_t events, void *arg)
{
	uint64_t n, now = daemon_now_ns();

	(void)events;
	(void)arg;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	for (int i = 0; i < d->ntimers;) {
		struct mod_timer t = d->timers[i];

		if (t.at > now) {
			i++;
			continue;
		}
		d->timers[i] = d->timers[--d->ntimers];
		node_timer(&d->node, t.mod, t.id); /* may arm or cancel timers */
		i = 0;
	}
	timers_rearm(d);
}

static uint64_t drt_now(struct node *n)
{
	(void)n;
	return daemon_now_ns();
}

static int drt_neighbours(struct node *n, struct nbr_info *out, int max)
{
	struct daemon *d = daemon_of(n);

	for (int i = 0; i < d->nnbrs && i < max; i++) {
		out[i].id = d->nbrs[i].cfg->id;
		out[i].up = d->nbrs[i].up;
	}
	return d->nnbrs;
}

static int drt_dp_install(struct node *n, const struct dp_entry *e)
{
	struct daemon *d = daemon_of(n);

	return d->dp.install ? d->dp.install(d->dp.ctx, e) : 0;
}

static int drt_dp_remove(struct node *n, const struct dp_entry *e)
{
	struct daemon *d = daemon_of(n);

	return d->dp.remove ? d->dp.remove(d->dp.ctx, e) : 0;
}

static void drt_count(struct module *m, unsigned int ctr, uint64_t delta)
{
	m->ctr[ctr] += delta;
}

static void drt_log(struct node *n, enum log_level lvl, const char *fmt, va_list ap)
{
	daemon_vlog(daemon_of(n), lvl, fmt, ap);
}

static int drt_link_add(struct node *n, const struct node_id *id, const struct rt_addr *addr)
{
	return icc_io_link_add(daemon_of(n), id, addr);
}

static int drt_link_remove(struct node *n, const struct node_id *id)
{
	return icc_io_link_remove(daemon_of(n), id);
}

static int drt_self_addr(struct node *n, struct rt_addr *out)
{
	return icc_io_self_addr(daemon_of(n), out);
}

/* Origin signatures with this node's identity key (docs/identity.md). */
static int drt_sign(struct node *n, const void *data, size_t len, uint8_t sig[RT_SIG_LEN],
		    uint8_t pub[RT_PUB_LEN])
{
	struct daemon *d = daemon_of(n);

	ident_sign(&d->cfg.ident, data, len, sig);
	memcpy(pub, d->cfg.ident.pub, RT_PUB_LEN);
	return 0;
}

static int drt_verify(struct node *n, const struct node_id *origin, const uint8_t pub[RT_PUB_LEN],
		      const void *data, size_t len, const uint8_t sig[RT_SIG_LEN])
{
	(void)n;
	return ident_verify_origin(origin, pub, data, len, sig);
}

static const struct rt_ops daemon_rt_ops = {
	.send = drt_send,
	.deliver = node_deliver,
	.timer_arm = drt_timer_arm,
	.timer_cancel = drt_timer_cancel,
	.now = drt_now,
	.neighbours = drt_neighbours,
	.dp_install = drt_dp_install,
	.dp_remove = drt_dp_remove,
	.count = drt_count,
	.log = drt_log,
	.link_add = drt_link_add,
	.link_remove = drt_link_remove,
	.self_addr = drt_self_addr,
	.sign = drt_sign,
	.verify = drt_verify,
};

void daemon_set_dp_ops(struct daemon *d, const struct daemon_dp_ops *ops)
{
	d->dp = *ops;
}

/* ---- status ---- */

json_t *daemon_stats_json(struct daemon *d)
{
	json_t *o = node_stats_json(&d->node), *drops = json_object();
	struct icc_stats *s = &d->icc;

	for (int r = ICC_OK + 1; r < ICC_DROP__MAX; r++)
		json_object_set_new(drops, icc_drop_names[r], json_integer((json_int_t)s->drop[r]));
	json_object_set_new(
		o, "icc",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "rx", (json_int_t)s->rx, "tx",
			  (json_int_t)s->tx, "tx_errors", (json_int_t)s->tx_errors, "keepalive_rx",
			  (json_int_t)s->keepalive_rx, "keepalive_tx", (json_int_t)s->keepalive_tx,
			  "link_up", (json_int_t)s->link_up, "link_down", (json_int_t)s->link_down,
			  "rx_dropped", drops));
	if (d->cfg.cert)
		json_object_set_new(o, "handshake", icc_io_hs_json(d));
	return o;
}

json_t *daemon_neighbours_json(struct daemon *d)
{
	json_t *a = json_array();
	uint64_t now = daemon_now_ns();

	for (int i = 0; i < d->nnbrs; i++) {
		struct nbr_state *nb = &d->nbrs[i];
		char id[ID_HEX_LEN + 1];

		id_fmt(nb->cfg->id.b, id);
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I}", "id", id, "address",
				     nb->cfg->text, "up", nb->up, "rx", (json_int_t)nb->rx, "tx",
				     (json_int_t)nb->tx, "last_rx_ms",
				     nb->last_rx ? (json_int_t)((now - nb->last_rx) / 1000000)
						 : (json_int_t)-1));
	}
	return a;
}

#define BLAST_BATCH 64

/* Encode and send one batch with sendmmsg; returns datagrams sent. */
static int blast_batch(struct daemon *d, struct nbr_state *nb, struct icc_hdr *h, uint32_t first,
		       uint32_t n, uint32_t len)
{
	static const uint8_t zeros[ICC_MAX_PAYLOAD];
	static uint8_t bufs[BLAST_BATCH][ICC_MAX_DGRAM];
	struct mmsghdr mm[BLAST_BATCH];
	struct iovec iov[BLAST_BATCH];
	int sent;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = first + i;
		int bytes;

		memcpy(h->id.b + 8, &k, sizeof(k));
		h->seq = ++d->seq;
		bytes = icc_io_seal(d, nb, h, zeros, len, bufs[i], sizeof(bufs[i]));
		if (bytes < 0) {
			n = i;
			break;
		}
		iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = (size_t)bytes };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &nb->cfg->addr,
						       .msg_namelen = nb->cfg->alen,
						       .msg_iov = &iov[i],
						       .msg_iovlen = 1 } };
	}
	sent = sendmmsg(nb->sock, mm, n, 0);
	if (sent < (int)n)
		d->icc.tx_errors += n - (uint32_t)(sent > 0 ? sent : 0);
	return sent > 0 ? sent : 0;
}

int daemon_blast(struct daemon *d, const struct node_id *to, const char *module, uint32_t count,
		 uint32_t len)
{
	struct nbr_state *nb = daemon_nbr(d, to);
	struct icc_hdr h = { .type = ICC_T_DATA, .ttl = 1, .src = d->node.id, .dst = *to };
	uint64_t sent = 0;

	if (!nb || nb->sock < 0)
		return -EHOSTUNREACH;
	if (len > ICC_MAX_PAYLOAD || !icc_module_name_ok(module) || !module[0])
		return -EINVAL;
	strcpy(h.module, module);
	randombytes_buf(h.id.b, 8);
	for (uint32_t i = 0; i < count; i += BLAST_BATCH) {
		uint32_t n = count - i < BLAST_BATCH ? count - i : BLAST_BATCH;

		sent += (uint64_t)blast_batch(d, nb, &h, i, n, len);
	}
	nb->tx += sent;
	d->icc.tx += sent;
	return (int)sent;
}

/* ---- extensions ---- */

#define EXT_MAX 16
static const struct daemon_ext *exts[EXT_MAX];
static int nexts;

int daemon_register_ext(const struct daemon_ext *ext)
{
	for (int i = 0; i < nexts; i++)
		if (exts[i] == ext || !strcmp(exts[i]->name, ext->name))
			return -EEXIST;
	if (nexts == EXT_MAX)
		return -ENOSPC;
	exts[nexts++] = ext;
	return 0;
}

const json_t *daemon_config(struct daemon *d)
{
	return d->cfg.root;
}

/*
 * The composition root of the control socket: every op the daemon serves,
 * from one table of providers, in order: the daemon's own, each extension's
 * (the flow side's when it runs), each known module's (run on its instance
 * if the module is loaded). A name given twice stops the daemon here.
 */
int ctl_assemble(struct daemon *d, char *err, size_t errlen)
{
	const struct module_ops *mo;
	int ret;

	d->ctl_ops.n = 0;
	ret = ctl_table_add_ops(&d->ctl_ops, "daemon", daemon_ctl_ops, err, errlen);
	for (int i = 0; !ret && i < nexts; i++)
		ret = ctl_table_add_ops(&d->ctl_ops, exts[i]->name, exts[i]->ctl_ops, err, errlen);
	for (unsigned int i = 0; !ret && (mo = module_at(i)); i++)
		ret = ctl_table_add_module(&d->ctl_ops, mo, err, errlen);
	return ret;
}

static int exts_start(struct daemon *d, char *err, size_t errlen)
{
	for (; d->exts_started < nexts; d->exts_started++) {
		const struct daemon_ext *e = exts[d->exts_started];
		int ret = e->start ? e->start(d) : 0;

		if (ret) {
			snprintf(err, errlen, "%s: %s", e->name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void exts_stop(struct daemon *d)
{
	while (d->exts_started > 0) {
		const struct daemon_ext *e = exts[--d->exts_started];

		if (e->stop)
			e->stop(d);
	}
}

/* ---- setup and teardown ---- */

static void signal_ready(struct daemon *d, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si = { 0 };

	(void)events;
	(void)arg;
	if (read(fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGHUP) {
		if (d->cfg.cert)
			icc_io_reload(d);
	} else if (si.ssi_signo) {
		daemon_log(d, LOG_L_INFO, "signal %u: stopping", si.ssi_signo);
		daemon_stop(d);
	}
}

static int daemon_fds_open(struct daemon *d)
{
	sigset_t set;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->epfd < 0 || d->sigfd < 0 || d->tfd < 0)
		return -errno;
	err = daemon_loop_add_fd(d, d->sigfd, EPOLLIN, signal_ready, NULL);
	return err ?: daemon_loop_add_fd(d, d->tfd, EPOLLIN, timers_fired, NULL);
}

static void daemon_teardown(struct daemon *d)
{
	exts_stop(d);
	if (d->ctl)
		ctl_server_stop(d->ctl);
	if (d->kfd >= 0)
		daemon_loop_del_timer(d, d->kfd);
	if (d->node_up)
		node_stop(&d->node);
	icc_io_close(d);
	daemon_loop_free(d);
	if (d->tfd >= 0)
		close(d->tfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d->timers);
	dconf_free(&d->cfg);
}

/* The overlay side: ICC sockets, modules, keepalives. Only with a config file. */
static int overlay_setup(struct daemon *d, char *err, size_t errlen)
{
	char why[200];
	int ret;

	ret = icc_io_open(d, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "setting up sockets: %s", why);
		return ret;
	}
	d->seq = realtime_ns();
	ret = node_init(&d->node, &d->cfg.id, &daemon_rt_ops, d, &d->cfg.mc);
	if (ret) {
		snprintf(err, errlen, "starting modules: %s", strerror(-ret));
		return ret;
	}
	d->node_up = true;
	ret = daemon_loop_add_timer(d, d->cfg.keepalive_ns / 1000000, icc_io_keepalive, NULL);
	if (ret < 0) {
		snprintf(err, errlen, "keepalive timer: %s", strerror(-ret));
		return ret;
	}
	d->kfd = ret;
	return 0;
}

static int daemon_setup(struct daemon *d, const struct daemon_opts *o, char *err, size_t errlen)
{
	const char *ctl;
	int ret;

	if (o->config) {
		ret = dconf_load(o->config, &d->cfg, err, errlen);
		ret = ret ?: dconf_check(&d->cfg, err, errlen);
		if (ret)
			return ret;
	}
	ctl = o->ctl_socket ? o->ctl_socket : d->cfg.ctl_socket;
	ret = ctl_assemble(d, err, errlen);
	if (ret)
		return ret;
	ret = daemon_fds_open(d);
	if (ret) {
		snprintf(err, errlen, "setting up the event loop: %s", strerror(-ret));
		return ret;
	}
	if (o->config) {
		ret = overlay_setup(d, err, errlen);
		if (ret)
			return ret;
	}
	ret = ctl_server_start(d, ctl ? ctl : DAEMON_CTL_SOCKET, &d->ctl);
	if (ret) {
		snprintf(err, errlen, "control socket %s: %s", ctl ? ctl : DAEMON_CTL_SOCKET,
			 strerror(-ret));
		return ret;
	}
	return exts_start(d, err, errlen);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon *d;
	char err[512] = "", id[ID_HEX_LEN + 1];
	int ret;

	if (sodium_init() < 0) {
		fprintf(stderr, "ipop-bpf: daemon: libsodium failed to initialise\n");
		return -EIO;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->epfd = d->sigfd = d->tfd = d->kfd = -1;
	d->verbose = o->verbose;
	ret = daemon_setup(d, o, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ipop-bpf: daemon: %s\n", err);
	} else {
		id_fmt(d->node.id.b, id);
		if (o->config)
			daemon_log(d, LOG_L_INFO, "node %s up: %d modules, %d neighbours", id,
				   d->node.nmods, d->cfg.nnbrs);
		else
			daemon_log(d, LOG_L_INFO, "up without an overlay (no --config)");
		ret = daemon_loop_run(d);
	}
	daemon_teardown(d);
	free(d);
	return ret;
}
