/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon runtime: one epoll loop thread running the node's modules over
 * UDP ICC sockets (IPv4 and IPv6), a neighbour table with keepalives and
 * link up/down, module timers on a timerfd, and the control socket.
 *
 * Other code extends it through the loop (register fds and periodic timers)
 * and extensions (struct daemon_ext), which may bring control ops. The
 * daemon assembles its control ops when it starts: its own, each
 * extension's, each known module's (module_ops.ctl_ops).
 */
#ifndef IPOP_FW_DAEMON_H
#define IPOP_FW_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <jansson.h>

#include "core/cert.h"
#include "core/node.h"

struct cli_cmd;
extern const struct cli_cmd cmd_daemon; /* ipop-bpf daemon --config FILE ... */
extern const struct cli_cmd cmd_cmm;	/* ipop-bpf cmm send --to ID,... --module M ... */

#define DAEMON_CTL_SOCKET "/run/ipop-bpf/ctl.sock"
#define DAEMON_MAX_LISTEN 4
#define DAEMON_MAX_NBRS	  1024

struct daemon;
struct vpnd_conf;
struct vpnd;

/* ---- parsed config file ---- */

struct dconf_nbr {
	struct node_id id;
	struct sockaddr_storage addr;
	socklen_t alen;
	char text[64];
};

struct dconf {
	json_t *root;
	struct node_id id;
	/* identity (docs/identity.md): key, certificate, trusted CAs, revocations */
	struct ident ident;
	struct cert *cert;
	uint8_t (*ca)[IDENT_PUB_LEN];
	int nca;
	const char *revocation_file; /* may be NULL; reloaded on SIGHUP */
	struct cert_revlist *rev;
	struct cert_trust trust; /* points at ca and rev */
	int nlisten;
	struct sockaddr_storage listen[DAEMON_MAX_LISTEN];
	socklen_t llen[DAEMON_MAX_LISTEN];
	int nnbrs;
	struct dconf_nbr *nbrs;
	uint64_t keepalive_ns, dead_ns;
	uint32_t replay_sources;
	const char *ctl_socket; /* from the config; the CLI option wins */
	struct modcfg mc;
	struct vpnd_conf *vpn; /* the "vpn" object, NULL without one (daemon/vpnd.h) */
};

/* Parse the daemon's JSON config (format in README.md, "Daemon config"). -errno with err set. */
int dconf_load(const char *path, struct dconf *c, char *err, size_t errlen);
void dconf_free(struct dconf *c);
/* Re-read revocation_file (SIGHUP); on error the old list stays. */
int dconf_reload_revocations(struct dconf *c, char *err, size_t errlen);
/* "1.2.3.4:port" or "[v6]:port" */
int dconf_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* ---- the loop ---- */

typedef void (*daemon_fd_cb)(struct daemon *d, int fd, uint32_t events, void *arg);
typedef void (*daemon_timer_cb)(struct daemon *d, void *arg);

int daemon_loop_add_fd(struct daemon *d, int fd, uint32_t events, daemon_fd_cb cb, void *arg);
int daemon_loop_mod_fd(struct daemon *d, int fd, uint32_t events);
int daemon_loop_del_fd(struct daemon *d, int fd);
/* A periodic timer on its own timerfd; returns the fd (remove with daemon_loop_del_timer). */
int daemon_loop_add_timer(struct daemon *d, uint64_t interval_ms, daemon_timer_cb cb, void *arg);
int daemon_loop_del_timer(struct daemon *d, int tfd);
void daemon_stop(struct daemon *d);

/*
 * Extensions: code that lives in the daemon (flow statistics, datapath
 * loaders...) registers before daemon_run. start() runs after the modules,
 * sockets and control socket are up (it may add fds and timers); stop()
 * runs in reverse order before teardown. start returns 0 or -errno.
 * ctl_ops (optional, ending with {NULL, NULL}) join the daemon's control
 * ops; a name another provider has too stops the daemon at start.
 */
struct ctl_op;
struct daemon_ext {
	const char *name;
	int (*start)(struct daemon *d);
	void (*stop)(struct daemon *d);
	const struct ctl_op *ctl_ops;
};

int daemon_register_ext(const struct daemon_ext *ext);
/* The whole config file, for an extension's own keys (borrowed reference). */
const json_t *daemon_config(struct daemon *d);

/* ---- run time ---- */

struct daemon_opts {
	const char *config;
	const char *ctl_socket;
	bool foreground;
	bool verbose;
};

/* Build everything from opts, loop until SIGINT/SIGTERM, tear down. */
int daemon_run(const struct daemon_opts *o);

struct node *daemon_node(struct daemon *d);
uint64_t daemon_now_ns(void);
/* {"<module>": {...counters}, "icc": {...}}; new reference. */
json_t *daemon_stats_json(struct daemon *d);
json_t *daemon_neighbours_json(struct daemon *d);
/* Send count ICC DATA messages of len bytes to module on neighbour to (benchmark). */
int daemon_blast(struct daemon *d, const struct node_id *to, const char *module, uint32_t count,
		 uint32_t len);

/* Datapath hooks for rt_ops.dp_install/dp_remove (default: accept, do nothing). */
struct daemon_dp_ops {
	int (*install)(void *ctx, const struct dp_entry *e);
	int (*remove)(void *ctx, const struct dp_entry *e);
	void *ctx;
};
void daemon_set_dp_ops(struct daemon *d, const struct daemon_dp_ops *ops);

#endif /* IPOP_FW_DAEMON_H */
