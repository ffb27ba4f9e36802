// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Devices of the VPN: the TAP (ioctls) and the collect-metadata VXLAN device
 * (one rtnetlink request; no libnl dependency for two messages).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/ipv6.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vpn/vpn_int.h"

static int ifreq_ioctl(int family, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), e = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr))
		e = -errno;
	close(fd);
	return e;
}

int vpn_dev_up(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr = {};
	int e;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	e = ifreq_ioctl(AF_INET, SIOCGIFFLAGS, &ifr);
	if (!e) {
		ifr.ifr_flags |= IFF_UP;
		e = ifreq_ioctl(AF_INET, SIOCSIFFLAGS, &ifr);
	}
	return e ? VPN_FAIL(e, "cannot bring %s up: %s", name, strerror(-e)) : 0;
}

/* "a.b.c.d/len" */
static int set_addr4(const char *name, const char *cidr, char *err, size_t errlen)
{
	struct ifreq ifr = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	char buf[64], *slash;
	long plen = 32;
	int e;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = '\0';
		plen = strtol(slash + 1, &end, 10);
		if (*end || plen < 0 || plen > 32)
			return VPN_FAIL(-EINVAL, "bad IPv4 prefix '%s'", cidr);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
		return VPN_FAIL(-EINVAL, "bad IPv4 address '%s'", cidr);
	e = ifreq_ioctl(AF_INET, SIOCSIFADDR, &ifr);
	if (!e) {
		sin->sin_addr.s_addr = plen ? htonl(~0u << (32 - plen)) : 0;
		e = ifreq_ioctl(AF_INET, SIOCSIFNETMASK, &ifr);
	}
	return e ? VPN_FAIL(e, "cannot set %s on %s: %s", cidr, name, strerror(-e)) : 0;
}

static int set_addr6(const char *name, int ifindex, const char *cidr, char *err, size_t errlen)
{
	struct in6_ifreq r = { .ifr6_ifindex = ifindex, .ifr6_prefixlen = 128 };
	char buf[80], *slash;
	int fd, e = 0;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;
		long plen;

		*slash = '\0';
		plen = strtol(slash + 1, &end, 10);
		if (*end || plen < 0 || plen > 128)
			return VPN_FAIL(-EINVAL, "bad IPv6 prefix '%s'", cidr);
		r.ifr6_prefixlen = plen;
	}
	if (inet_pton(AF_INET6, buf, &r.ifr6_addr) != 1)
		return VPN_FAIL(-EINVAL, "bad IPv6 address '%s'", cidr);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCSIFADDR, &r))
		e = -errno;
	if (fd >= 0)
		close(fd);
	return e ? VPN_FAIL(e, "cannot set %s on %s: %s", cidr, name, strerror(-e)) : 0;
}

int vpn_dev_tap(const struct vpn_tap_opts *o, int *fdp, int *ifindex, uint8_t mac[6], char *err,
		size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	const char *name = o->name[0] ? o->name : "ipop0";
	int fd, e;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return VPN_FAIL(-errno, "cannot open /dev/net/tun: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		e = -errno;
		close(fd);
		return VPN_FAIL(e, "cannot create TAP %s: %s", name, strerror(-e));
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (o->set_mac) {
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, o->mac, 6);
		e = ifreq_ioctl(AF_INET, SIOCSIFHWADDR, &ifr);
		if (e)
			goto fail_msg;
	}
	ifr.ifr_mtu = o->mtu ? (int)o->mtu : SR_IPOP0_MTU;
	e = ifreq_ioctl(AF_INET, SIOCSIFMTU, &ifr);
	if (e)
		goto fail_msg;
	e = ifreq_ioctl(AF_INET, SIOCGIFHWADDR, &ifr);
	if (e)
		goto fail_msg;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	*ifindex = (int)if_nametoindex(name);
	e = vpn_dev_up(name, err, errlen);
	if (!e && o->addr4)
		e = set_addr4(name, o->addr4, err, errlen);
	if (!e && o->addr6)
		e = set_addr6(name, *ifindex, o->addr6, err, errlen);
	if (e) {
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
fail_msg:
	close(fd);
	return VPN_FAIL(e, "cannot configure TAP %s: %s", name, strerror(-e));
}

/* ---- rtnetlink ---- */

struct nlreq {
	struct nlmsghdr n;
	struct ifinfomsg i;
	char buf[512];
};

static struct rtattr *nla_put(struct nlreq *r, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)&r->n + NLMSG_ALIGN(r->n.nlmsg_len));

	if (NLMSG_ALIGN(r->n.nlmsg_len) + RTA_SPACE(len) > sizeof(*r))
		return NULL;
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + RTA_SPACE(len);
	return a;
}

static void nla_end(struct nlreq *r, struct rtattr *a)
{
	a->rta_len = (char *)&r->n + r->n.nlmsg_len - (char *)a;
}

static int nl_talk(struct nlreq *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char ans[1024];
	int fd, e = 0;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	r->n.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->n.nlmsg_seq = 1;
	if (sendto(fd, r, r->n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = -errno;
		goto out;
	}
	n = recv(fd, ans, sizeof(ans), 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr)) {
		e = n < 0 ? -errno : -EIO;
		goto out;
	}
	if (((struct nlmsghdr *)ans)->nlmsg_type == NLMSG_ERROR)
		e = ((struct nlmsgerr *)NLMSG_DATA(ans))->error;
out:
	close(fd);
	return e;
}

int vpn_dev_vxlan(const struct vpn_vxlan_opts *o, int *ifindex, char *err, size_t errlen)
{
	const char *name = o->name[0] ? o->name : "ipop-vx0";
	struct nlreq r = {};
	struct rtattr *li, *data;
	uint16_t port = htons(o->port ? o->port : 4789);
	uint8_t one = 1, zero = 0;
	uint32_t mtu = o->mtu;
	int e;

	r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.n.nlmsg_type = RTM_NEWLINK;
	r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	r.i.ifi_family = AF_UNSPEC;
	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu)
		nla_put(&r, IFLA_MTU, &mtu, sizeof(mtu));
	li = nla_put(&r, IFLA_LINKINFO, NULL, 0);
	nla_put(&r, IFLA_INFO_KIND, "vxlan", 6);
	data = nla_put(&r, IFLA_INFO_DATA, NULL, 0);
	nla_put(&r, IFLA_VXLAN_COLLECT_METADATA, &one, 1);
	nla_put(&r, IFLA_VXLAN_LEARNING, &zero, 1);
	if (!nla_put(&r, IFLA_VXLAN_PORT, &port, 2))
		return VPN_FAIL(-ENOSPC, "netlink request too long");
	nla_end(&r, data);
	nla_end(&r, li);
	e = nl_talk(&r);
	if (e)
		return VPN_FAIL(e, "cannot create VXLAN device %s: %s", name, strerror(-e));
	*ifindex = (int)if_nametoindex(name);
	e = vpn_dev_up(name, err, errlen);
	if (e) {
		vpn_dev_del(*ifindex);
		return e;
	}
	return 0;
}

void vpn_dev_del(int ifindex)
{
	struct nlreq r = {};

	r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.n.nlmsg_type = RTM_DELLINK;
	r.i.ifi_family = AF_UNSPEC;
	r.i.ifi_index = ifindex;
	nl_talk(&r);
}

/* ---- Ethernet links, shared clsact ---- */

int vpn_dev_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr = {};
	int e;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	e = ifreq_ioctl(AF_INET, SIOCGIFHWADDR, &ifr);
	if (e)
		return e;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -EOPNOTSUPP;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}
