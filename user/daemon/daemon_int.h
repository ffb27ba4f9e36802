/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Daemon internals shared by loop.c, daemon.c, icc_io.c and ctl.c. */
#ifndef IPOP_FW_DAEMON_INT_H
#define IPOP_FW_DAEMON_INT_H

#include "core/hs.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"

struct loop_fd {
	int fd;
	bool dead;
	daemon_fd_cb cb;
	void *arg;
	struct loop_fd *next;
};

struct nbr_state {
	struct dconf_nbr *cfg; /* the config's entry, or own for a run-time link */
	struct dconf_nbr own;
	bool dynamic;
	int sock;
	bool up;
	uint64_t last_rx, rx, tx;
	struct hs_peer *hp; /* its session state (icc_io.c) */
};

struct mod_timer {
	uint16_t mod;
	uint32_t id;
	uint64_t at;
};

struct icc_stats {
	uint64_t rx, tx, tx_errors, keepalive_rx, keepalive_tx, link_up, link_down;
	uint64_t tx_no_session, peers_cut;
	uint64_t drop[ICC_DROP__MAX];
};

struct ctl_server;

struct daemon {
	struct dconf cfg;
	struct node node;
	bool node_up;
	int epfd, sigfd, tfd, kfd;
	bool stop;
	bool verbose;
	struct loop_fd *fds, *dead_fds;
	int socks[DAEMON_MAX_LISTEN];
	int nsocks;
	struct nbr_state *nbrs; /* DAEMON_MAX_NBRS slots: configured first, then run-time links */
	int nnbrs;
	struct hs_ctx hs;  /* sessions with peers (icc_io.c) */
	uint32_t hs_inits; /* INITs received this keepalive interval (load) */
	uint64_t seq;
	struct icc_stats icc;
	struct mod_timer *timers;
	int ntimers, tcap;
	struct ctl_server *ctl;
	struct ctl_table ctl_ops; /* built at start (ctl_assemble) */
	struct daemon_dp_ops dp;
	int exts_started;
	struct vpnd *vpn; /* the VPN (vpnd.c), NULL without one */
	uint64_t log_window;
	uint32_t log_count, log_suppressed;
};

int daemon_loop_run(struct daemon *d);
void daemon_loop_free(struct daemon *d);

/* icc_io.c */
/* Sockets and the handshake context; -errno with the reason (naming the address) in msg. */
int icc_io_open(struct daemon *d, char *msg, size_t msglen);
void icc_io_close(struct daemon *d);
int icc_io_send(struct daemon *d, struct nbr_state *nb, const struct icc_hdr *h,
		const void *payload, size_t len);
/* Seal h + payload under nb's session into buf (sets h->sid, h->seq); -ENOTCONN: none yet. */
int icc_io_seal(struct daemon *d, struct nbr_state *nb, struct icc_hdr *h, const void *payload,
		size_t len, uint8_t *buf, size_t cap);
/* SIGHUP: re-read the revocation list, cut peers whose certificates fail now. */
void icc_io_reload(struct daemon *d);
/* {"init_tx":..., "dropped": {...}, "cert": {...}} */
json_t *icc_io_hs_json(struct daemon *d);
struct nbr_state *daemon_nbr(struct daemon *d, const struct node_id *id);
void icc_io_keepalive(struct daemon *d, void *arg);
/* Run-time links (rt_ops.link_add/link_remove/self_addr). */
int icc_io_link_add(struct daemon *d, const struct node_id *id, const struct rt_addr *addr);
int icc_io_link_remove(struct daemon *d, const struct node_id *id);
int icc_io_self_addr(struct daemon *d, struct rt_addr *out);

/* Rate-limited daemon log (per-packet paths use this). */
void daemon_log(struct daemon *d, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The dispatch table from the daemon's, the extensions' and the modules' ops. */
int ctl_assemble(struct daemon *d, char *err, size_t errlen);

/* dconf_check.c: unknown keys, duplicate neighbours, keepalive_ms >= dead_ms. */
int dconf_check(const struct dconf *c, char *err, size_t errlen);

/* ctl.c */
int ctl_server_start(struct daemon *d, const char *path, struct ctl_server **out);
/*
 * Serve fd (a connected, non-blocking stream socket) as one more client,
 * as an accepted connection is: 0 (fd is the server's now), -EBUSY at
 * CTL_CLIENTS_MAX with none idle, -ENOMEM or the loop's error (fd is still
 * the caller's).
 */
int ctl_server_add_client(struct ctl_server *s, int fd);
void ctl_server_stop(struct ctl_server *s);

#endif /* IPOP_FW_DAEMON_INT_H */
