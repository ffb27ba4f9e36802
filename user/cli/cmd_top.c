// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `ipop-bpf top`: the daemon's flows sorted by rate, refreshed every second,
 * with plain ANSI escape codes (works over ssh, no terminfo needed): the
 * alternate screen, cursor home, erase to end of line/screen. Keys: r, p, b
 * sort by rate, packets, bytes; q quits. --once prints one frame without any
 * control code.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/ctl_client.h"
#include "cli/flow_cells.h"
#include "daemon/daemon.h"
#include "daemon/flowd.h"
#include "flow/fmt.h"

#define TOP_CTL_TIMEOUT_MS 2000
#define TOP_ROWS_MAX	   4096

enum top_sort { TOP_SORT_RATE = 0, TOP_SORT_PACKETS, TOP_SORT_BYTES };
static const char *const top_sort_names[] = { "rate", "packets", "bytes", NULL };

struct top_cfg {
	const char *ctl_socket;
	const char *interval;
	int sort;
	unsigned int limit;
	bool once;
};

static const struct cli_opt top_opts_tbl[] = {
	CLI_OPT_STR("ctl-socket", 0, struct top_cfg, ctl_socket, "PATH",
		    "daemon control socket (default " DAEMON_CTL_SOCKET ")"),
	CLI_OPT_FLAG("once", 0, struct top_cfg, once,
		     "print one frame to stdout (no terminal control codes) and exit"),
	CLI_OPT_STR("interval", 'n', struct top_cfg, interval, "S",
		    "refresh every S seconds (default 1)"),
	CLI_OPT_ENUM("sort", 's', struct top_cfg, sort, top_sort_names,
		     "initial order (keys r, p, b change it)"),
	CLI_OPT_UINT("limit", 'l', struct top_cfg, limit, "N",
		     "--once: at most N flows (default and most: 2000)", 0, FLOWD_TOP_LIMIT_MAX),
	CLI_OPT_END,
};

static void top_defaults(void *cfg)
{
	((struct top_cfg *)cfg)->ctl_socket = DAEMON_CTL_SOCKET;
}

struct trow {
	char ifname[IF_NAMESIZE], dir[8];
	char src[FMT_ADDR_LEN + 8], dst[FMT_ADDR_LEN + 8], proto[24];
	double rate_bps, idle_s;
	unsigned long long packets, bytes;
};

struct tframe {
	int sort;	   /* enum top_sort: what the rows are sorted by (on the daemon) */
	struct trow *rows; /* in the daemon's order */
	size_t n, total;   /* rows fetched, live flows in the daemon */
	char err[300];	   /* the daemon stopped answering: shown instead of the rows */
};

static void row_from_json(struct trow *r, json_t *f)
{
	struct flow_cells c;

	flow_cells(&c, f);
	snprintf(r->ifname, sizeof(r->ifname), "%s", flow_jstr(f, "ifname"));
	for (char *p = r->ifname; *p; p++) /* no escape sequence reaches the terminal */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	snprintf(r->dir, sizeof(r->dir), "%s", flow_jstr(f, "direction"));
	snprintf(r->src, sizeof(r->src), "%s", c.src);
	snprintf(r->dst, sizeof(r->dst), "%s", c.dst);
	snprintf(r->proto, sizeof(r->proto), "%s", c.proto);
	r->rate_bps = json_number_value(json_object_get(f, "rate_mbps")) * 1e6;
	r->idle_s = json_number_value(json_object_get(f, "idle_s"));
	r->packets = json_integer_value(json_object_get(f, "packets"));
	r->bytes = json_integer_value(json_object_get(f, "bytes"));
}

/*
 * Ask the daemon for its `limit` first flows in f->sort order (the daemon
 * sorts: stats_flows_sort). 0, or enum ctl_ask_status; f->err says why.
 */
static int top_fetch(const char *sock, struct tframe *f, size_t limit)
{
	json_t *req = json_pack("{s:s, s:s, s:I}", "op", "flows_top", "sort",
				top_sort_names[f->sort], "limit", (json_int_t)limit),
	       *rep, *arr, *j;
	size_t i;
	int st;

	f->n = f->total = 0;
	f->err[0] = 0;
	rep = ctl_ask(sock, req, TOP_CTL_TIMEOUT_MS, 0, f->err, sizeof(f->err), &st);
	json_decref(req);
	if (!rep)
		return st;
	arr = json_object_get(rep, "flows");
	f->total = json_integer_value(json_object_get(rep, "total"));
	free(f->rows);
	f->rows = calloc(json_array_size(arr) + 1, sizeof(*f->rows));
	if (!f->rows) {
		snprintf(f->err, sizeof(f->err), "out of memory");
		json_decref(rep);
		return -2;
	}
	json_array_foreach(arr, i, j)
		row_from_json(&f->rows[f->n++], j);
	json_decref(rep);
	return 0;
}

/* Column widths: the widest cell of each text column (at least the header). */
struct widths {
	int ifname, dir, src, dst, proto;
};

static void measure(const struct tframe *f, size_t n, struct widths *w)
{
	*w = (struct widths){ 5, 7, 3, 3, 5 };
	for (size_t i = 0; i < n; i++) {
		const struct trow *r = &f->rows[i];
#define WIDEN(field) w->field = (int)strlen(r->field) > w->field ? (int)strlen(r->field) : w->field
		WIDEN(ifname);
		WIDEN(dir);
		WIDEN(src);
		WIDEN(dst);
		WIDEN(proto);
#undef WIDEN
	}
}

/* One line into buf (no newline), cut at cols (0: no cut). */
static void format_row(char *buf, size_t len, const struct widths *w, const struct trow *r,
		       int cols)
{
	char rate[16], idle[16];

	snprintf(rate, sizeof(rate), "%sb/s", fmt_si(idle, sizeof(idle), r->rate_bps));
	snprintf(idle, sizeof(idle), "%.1fs", r->idle_s);
	snprintf(buf, len, "%-*s %-*s %-*s %-*s %-*s %10s %12llu %14llu %8s", w->ifname, r->ifname,
		 w->dir, r->dir, w->src, r->src, w->dst, r->dst, w->proto, r->proto, rate,
		 r->packets, r->bytes, idle);
	if (cols > 0 && (size_t)cols < len)
		buf[cols] = 0;
}

/*
 * One frame. tty: cursor home first, erase each line's rest and the screen
 * below the frame, at most `lines` lines, each cut at cols. Otherwise plain text.
 */
static void top_draw(FILE *out, struct tframe *f, bool tty, int lines, int cols)
{
	const char *eol = tty ? "\033[K\n" : "\n";
	size_t n = f->total > f->n ? f->total : f->n, shown = f->n;
	struct widths w;
	char line[512], now[16];
	time_t t = time(NULL);

	if (tty && lines > 3 && shown > (size_t)(lines - 3))
		shown = lines - 3;
	measure(f, shown, &w);
	strftime(now, sizeof(now), "%H:%M:%S", localtime(&t));
	if (tty)
		fputs("\033[H", out);
	snprintf(line, sizeof(line), "ipop-bpf top - %s - %zu flows, sorted by %s%s", now, n,
		 top_sort_names[f->sort], tty ? " (r/p/b: sort, q: quit)" : "");
	if (tty && cols > 0 && (size_t)cols < sizeof(line))
		line[cols] = 0;
	fprintf(out, "%s%s", line, eol);
	/* same widths as format_row's */
	snprintf(line, sizeof(line), "%-*s %-*s %-*s %-*s %-*s %10s %12s %14s %8s", w.ifname,
		 "IFACE", w.dir, "DIR", w.src, "SRC", w.dst, "DST", w.proto, "PROTO", "RATE",
		 "PACKETS", "BYTES", "IDLE");
	if (tty && cols > 0 && (size_t)cols < sizeof(line))
		line[cols] = 0;
	fprintf(out, "%s%s", line, eol);
	if (f->err[0])
		fprintf(out, "daemon: %s%s", f->err, eol);
	for (size_t i = 0; !f->err[0] && i < shown; i++) {
		format_row(line, sizeof(line), &w, &f->rows[i], tty ? cols : 0);
		fprintf(out, "%s%s", line, eol);
	}
	if (tty)
		fputs("\033[J", out);
	fflush(out);
}

static volatile sig_atomic_t top_quit, top_resized;

static void top_signal(int sig)
{
	if (sig == SIGWINCH)
		top_resized = 1;
	else
		top_quit = 1;
}

static void term_size(int *lines, int *cols)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		*lines = ws.ws_row;
		*cols = ws.ws_col;
	} else {
		*lines = 24;
		*cols = 80;
	}
}

/* Wait up to ms for a key and act on it; true when the order (*sort) changed. */
static bool top_keys(int ms, int *sort)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	int old = *sort;
	char c;

	if (poll(&p, 1, ms) <= 0 || read(STDIN_FILENO, &c, 1) != 1)
		return false;
	if (c == 'q' || c == 'Q')
		top_quit = 1;
	else if (c == 'r')
		*sort = TOP_SORT_RATE;
	else if (c == 'p')
		*sort = TOP_SORT_PACKETS;
	else if (c == 'b')
		*sort = TOP_SORT_BYTES;
	return *sort != old;
}

static int top_live(const struct top_cfg *c, struct tframe *f, int interval_ms)
{
	struct termios saved, raw;
	struct sigaction sa = { .sa_handler = top_signal };
	int lines, cols;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return cli_err("not a terminal (use --once to print one frame)");
	tcgetattr(STDIN_FILENO, &saved);
	raw = saved;
	raw.c_lflag &= ~(ICANON | ECHO); /* ISIG stays: Ctrl-C quits too */
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	fputs("\033[?1049h\033[?25l\033[2J", stdout); /* alternate screen, hide cursor */
	while (!top_quit) {
		struct timespec t0, t1;
		int left = interval_ms;

		term_size(&lines, &cols);
		top_fetch(c->ctl_socket, f, lines > 4 ? lines - 3 : 1);
		top_draw(stdout, f, true, lines, cols);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* until the next refresh: keys, and a new frame on a resize */
		while (!top_quit && left > 0 && !top_keys(left, &f->sort)) {
			if (top_resized) {
				top_resized = 0;
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &t1);
			left = interval_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
						   (t1.tv_nsec - t0.tv_nsec) / 1000000);
		}
	}
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return 0;
}

static int top_run(void *cfg)
{
	struct top_cfg *c = cfg;
	struct tframe f = { 0 };
	double s = 1;
	char *end;
	int ret;

	if (c->interval) {
		s = strtod(c->interval, &end);
		if (end == c->interval || *end || !(s >= 0.1 && s <= 3600))
			return cli_err("bad --interval '%s' (seconds, 0.1..3600)", c->interval);
	}
	f.sort = c->sort;
	ret = top_fetch(c->ctl_socket, &f, c->once && c->limit ? c->limit : FLOWD_TOP_LIMIT_MAX);
	if (ret) {
		if (ret == CTL_ASK_NO_ANSWER)
			cli_err("no daemon answers on %s (%s); start one with 'ipop-bpf daemon "
				"--iface IF'",
				c->ctl_socket, f.err);
		else
			cli_err("%s", f.err);
		free(f.rows);
		return 1;
	}
	if (c->once) {
		top_draw(stdout, &f, false, 0, 0);
		ret = ferror(stdout) ? 1 : 0;
	} else {
		ret = top_live(c, &f, (int)(s * 1000));
	}
	free(f.rows);
	return ret;
}

const struct cli_cmd cmd_top = {
	.name = "top",
	.summary = "Live view of the daemon's flows, fastest first (r/p/b: sort, q: quit)",
	.opts = top_opts_tbl,
	.cfg_size = sizeof(struct top_cfg),
	.defaults = top_defaults,
	.run = top_run,
	.help = "Keys: r sort by rate, p by packets, b by bytes, q quit. Needs a running daemon.",
};
