// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vpnnode: one VPN node's datapath from a static description, through
 * user/vpn's API, for the namespace tests and the benchmark (until the daemon
 * owns ipop0). Creates the TAP and the VXLAN device, loads and attaches the
 * programs, programs links, paths and MACs, then holds everything (the TAP
 * has carrier only while its fd is open) until SIGTERM/SIGINT or --time.
 * Frames the kernel leaves to the TAP reader (misses, broadcasts) are read
 * and counted as tap_read. --direct: the origin encapsulates IP frames on
 * VXLAN/IPv4 links itself and sends them on IFNAME (vpn_set_direct; needs
 * --underlay-ip4). --tc-transit: vpn_transit_tc at IFNAME's TC ingress. Every 100 ms the counters are written to --stats
 * as "name value" lines (replaced atomically).
 *
 *   vpnnode --id HEX [--tap NAME] [--tap-mac MAC] [--mtu N] [--addr4 CIDR] [--addr6 CIDR]
 *           [--vxlan NAME] [--port P] [--underlay-ip4 A.B.C.D]
 *           [--link LABEL,vxlan,NBR_HEX,REMOTE_IP,VNI] [--link LABEL,eth,IFNAME,NBR_HEX,NBR_MAC]
 *           [--path DST_HEX,FIRST_LABEL,HEX:LABEL,...,DST_HEX] [--mac MAC,NODE_HEX]
 *           [--guard IFNAME] [--xdp IFNAME] [--xdp-skb IFNAME] [--direct IFNAME]
 *           [--tc-transit IFNAME]
 *           --stats FILE [--ready FILE] [--time SECS (<= 600)]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vpn/vpn.h"

static volatile sig_atomic_t stop;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static int die(const char *what, const char *msg)
{
	fprintf(stderr, "vpnnode: %s: %s\n", what, msg);
	return 1;
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		m[i] = b[i];
	}
	return 0;
}

static int parse_link(char *s, struct vpn_link_desc *l)
{
	char *f[6] = {};
	int n = 0;

	memset(l, 0, sizeof(*l));
	for (char *t = strtok(s, ","); t && n < 6; t = strtok(NULL, ","))
		f[n++] = t;
	if (n != 5)
		return -1;
	l->label = atoi(f[0]);
	if (!strcmp(f[1], "vxlan")) {
		l->kind = VPN_LINK_VXLAN;
		if (id_parse(f[2], l->nbr.b))
			return -1;
		if (inet_pton(AF_INET, f[3], l->remote) == 1)
			l->af = 4;
		else if (inet_pton(AF_INET6, f[3], l->remote) == 1)
			l->af = 6;
		else
			return -1;
		l->vni = strtoul(f[4], NULL, 10);
		return 0;
	}
	if (!strcmp(f[1], "eth")) {
		l->kind = VPN_LINK_ETH;
		snprintf(l->ifname, sizeof(l->ifname), "%s", f[2]);
		if (id_parse(f[3], l->nbr.b) || parse_mac(f[4], l->nbr_mac))
			return -1;
		return 0;
	}
	return -1;
}

static int parse_path(char *s, struct vpn_path_desc *p)
{
	char *t = strtok(s, ",");
	int i = 0;

	memset(p, 0, sizeof(*p));
	if (!t || id_parse(t, p->dst.b))
		return -1;
	t = strtok(NULL, ",");
	if (!t)
		return -1;
	p->first_label = atoi(t);
	while ((t = strtok(NULL, ",")) && i < SR_HOPS_MAX) {
		char *colon = strchr(t, ':');

		if (colon)
			*colon = '\0';
		if (id_parse(t, p->nodes[i].b))
			return -1;
		p->labels[i++] = colon ? atoi(colon + 1) : 0;
	}
	p->n = i;
	return i ? 0 : -1;
}

static void write_stats(struct vpn_dp *dp, const char *path, unsigned long long tap_read)
{
	uint64_t st[VPN_ST_MAX];
	char tmp[4096], err[256];
	FILE *f;

	if (vpn_stats_read(dp, st, err, sizeof(err)))
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (int i = 0; i < VPN_ST_MAX; i++)
		fprintf(f, "%s %llu\n", vpn_stat_name(i), (unsigned long long)st[i]);
	fprintf(f, "tap_read %llu\n", tap_read);
	fclose(f);
	rename(tmp, path);
}

enum {
	OPT_ID = 256,
	OPT_TAP,
	OPT_TAPMAC,
	OPT_MTU,
	OPT_A4,
	OPT_A6,
	OPT_VX,
	OPT_PORT,
	OPT_UL4,
	OPT_LINK,
	OPT_PATH,
	OPT_MAC,
	OPT_GUARD,
	OPT_XDP,
	OPT_XDPSKB,
	OPT_DIRECT,
	OPT_TCT,
	OPT_STATS,
	OPT_READY,
	OPT_TIME
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "id", 1, 0, OPT_ID },
		{ "tap", 1, 0, OPT_TAP },
		{ "tap-mac", 1, 0, OPT_TAPMAC },
		{ "mtu", 1, 0, OPT_MTU },
		{ "addr4", 1, 0, OPT_A4 },
		{ "addr6", 1, 0, OPT_A6 },
		{ "vxlan", 1, 0, OPT_VX },
		{ "port", 1, 0, OPT_PORT },
		{ "underlay-ip4", 1, 0, OPT_UL4 },
		{ "link", 1, 0, OPT_LINK },
		{ "path", 1, 0, OPT_PATH },
		{ "mac", 1, 0, OPT_MAC },
		{ "guard", 1, 0, OPT_GUARD },
		{ "xdp", 1, 0, OPT_XDP },
		{ "xdp-skb", 1, 0, OPT_XDPSKB },
		{ "direct", 1, 0, OPT_DIRECT },
		{ "tc-transit", 1, 0, OPT_TCT },
		{ "stats", 1, 0, OPT_STATS },
		{ "ready", 1, 0, OPT_READY },
		{ "time", 1, 0, OPT_TIME },
		{ 0, 0, 0, 0 },
	};
	struct vpn_node_cfg nc = {};
	struct vpn_tap_opts tap = {};
	struct vpn_vxlan_opts vx = {};
	const char *stats = NULL, *ready = NULL, *vxname = NULL, *direct = NULL, *tct = NULL;
	char *links[64], *paths[64], *macs[64], *guards[8], *xdps[8];
	int nl = 0, np = 0, nm = 0, ng = 0, nx = 0, xdp_native[8], opt, have_id = 0;
	unsigned long long tap_read = 0;
	struct vpn_dp *dp;
	char err[256];
	long secs = 600;
	time_t end;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case OPT_ID:
			if (id_parse(optarg, nc.id.b))
				return die("--id", "want 32 hex digits");
			have_id = 1;
			break;
		case OPT_TAP:
			snprintf(tap.name, sizeof(tap.name), "%s", optarg);
			break;
		case OPT_TAPMAC:
			if (parse_mac(optarg, tap.mac))
				return die("--tap-mac", optarg);
			tap.set_mac = true;
			break;
		case OPT_MTU:
			tap.mtu = atoi(optarg);
			break;
		case OPT_A4:
			tap.addr4 = optarg;
			break;
		case OPT_A6:
			tap.addr6 = optarg;
			break;
		case OPT_VX:
			vxname = optarg;
			break;
		case OPT_PORT:
			vx.port = atoi(optarg);
			break;
		case OPT_UL4:
			if (inet_pton(AF_INET, optarg, &nc.underlay_ip4) != 1)
				return die("--underlay-ip4", optarg);
			break;
		case OPT_LINK:
			if (nl < 64)
				links[nl++] = optarg;
			break;
		case OPT_PATH:
			if (np < 64)
				paths[np++] = optarg;
			break;
		case OPT_MAC:
			if (nm < 64)
				macs[nm++] = optarg;
			break;
		case OPT_GUARD:
			if (ng < 8)
				guards[ng++] = optarg;
			break;
		case OPT_XDP:
		case OPT_XDPSKB:
			if (nx < 8) {
				xdp_native[nx] = opt == OPT_XDP;
				xdps[nx++] = optarg;
			}
			break;
		case OPT_DIRECT:
			direct = optarg;
			break;
		case OPT_TCT:
			tct = optarg;
			break;
		case OPT_STATS:
			stats = optarg;
			break;
		case OPT_READY:
			ready = optarg;
			break;
		case OPT_TIME:
			secs = atol(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!have_id || !stats || secs <= 0 || secs > 600)
		return die("usage", "--id and --stats are required, --time 1..600");
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	if (vpn_dp_open(&dp, &nc, err, sizeof(err)))
		return die("open", err);
	if (vpn_tap_create(dp, &tap, err, sizeof(err)))
		goto fail;
	if (vxname) {
		snprintf(vx.name, sizeof(vx.name), "%s", vxname);
		if (vpn_vxlan_create(dp, &vx, err, sizeof(err)))
			goto fail;
	}
	for (int i = 0; i < ng; i++)
		if (vpn_attach_ingress(dp, guards[i], err, sizeof(err)))
			goto fail;
	for (int i = 0; i < nl; i++) {
		struct vpn_link_desc l;

		if (parse_link(links[i], &l)) {
			snprintf(err, sizeof(err), "bad --link");
			goto fail;
		}
		if (l.kind == VPN_LINK_ETH && vpn_attach_ingress(dp, l.ifname, err, sizeof(err)))
			goto fail;
		if (vpn_link_set(dp, &l, err, sizeof(err)))
			goto fail;
	}
	for (int i = 0; i < np; i++) {
		struct vpn_path_desc p;

		if (parse_path(paths[i], &p)) {
			snprintf(err, sizeof(err), "bad --path");
			goto fail;
		}
		if (vpn_path_set(dp, &p, err, sizeof(err)))
			goto fail;
	}
	for (int i = 0; i < nm; i++) {
		char *comma = strchr(macs[i], ',');
		struct node_id id;
		uint8_t m[6];

		if (!comma || (*comma = '\0', parse_mac(macs[i], m)) || id_parse(comma + 1, id.b)) {
			snprintf(err, sizeof(err), "bad --mac");
			goto fail;
		}
		if (vpn_mac_set(dp, m, &id, true, err, sizeof(err)))
			goto fail;
	}
	if (tct && vpn_attach_tc_transit(dp, tct, err, sizeof(err)))
		goto fail;
	if (direct && vpn_set_direct(dp, direct, vx.port, err, sizeof(err)))
		goto fail;
	for (int i = 0; i < nx; i++)
		if (vpn_attach_xdp(dp, xdps[i], xdp_native[i], err, sizeof(err)))
			goto fail;
	fcntl(vpn_tap_fd(dp), F_SETFL, fcntl(vpn_tap_fd(dp), F_GETFL) | O_NONBLOCK);
	write_stats(dp, stats, 0);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	end = time(NULL) + secs;
	while (!stop && time(NULL) < end) {
		struct pollfd pfd = { .fd = vpn_tap_fd(dp), .events = POLLIN };
		uint8_t buf[2048];

		if (poll(&pfd, 1, 100) > 0) {
			for (int k = 0; k < 64 && read(pfd.fd, buf, sizeof(buf)) > 0; k++)
				tap_read++;
		}
		write_stats(dp, stats, tap_read);
	}
	write_stats(dp, stats, tap_read);
	vpn_dp_close(dp);
	return 0;
fail:
	vpn_dp_close(dp);
	return die("setup", err);
}
