// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The config's "vpn" object: parsed and checked before anything is created. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/vpnd.h"
#include "modules/smm.h"
#include "modules/srum.h"
#include "modules/tlfm.h"
#include "modules/vpnmod.h"

static const char *const vpn_keys[] = {
	"tap",	      "mac",	     "ipv4",	       "ipv6",	      "mtu",
	"transit",    "underlay",    "underlay_ip4",   "vni",	      "vxlan_device",
	"vxlan_port", "vxlan_links", "ethernet_links", "static_macs", "mac_age_s",
	"ttl",	      "broadcast",   "tokens",	       "encap",	      NULL,
};

#define FAIL(...) (snprintf(err, errlen, "vpn: " __VA_ARGS__), -EINVAL)

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned int b[6];
	char tail;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			 &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	return 0;
}

static int get_ifname(const json_t *o, const char *key, char *out, const char *def, char *err,
		      size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s = v ? json_string_value(v) : def;

	if (!s || !s[0] || strlen(s) >= IF_NAMESIZE || strchr(s, '/') || strchr(s, ' '))
		return FAIL("'%s' must be an interface name (1..%d characters)", key,
			    IF_NAMESIZE - 1);
	snprintf(out, IF_NAMESIZE, "%s", s);
	return 0;
}

static int get_uint(const json_t *o, const char *key, uint64_t def, uint64_t lo, uint64_t hi,
		    uint64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
	    (uint64_t)json_integer_value(v) > hi)
		return FAIL("'%s' must be an integer %llu..%llu", key, (unsigned long long)lo,
			    (unsigned long long)hi);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* "10.0.0.1/24" / "fd00::1/64": checked here so that a bad one creates nothing. */
static int get_cidr(const json_t *o, const char *key, int af, const char **out, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(o, key);
	char buf[64], *slash, *end;
	uint8_t a[16];
	long plen;

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	slash = strchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	plen = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || plen < 0 || plen > (af == AF_INET ? 32 : 128) ||
	    inet_pton(af, buf, a) != 1)
		goto bad;
	*out = json_string_value(v);
	return 0;
bad:
	return FAIL("'%s' must be an %s address with its prefix length (e.g. \"%s\")", key,
		    af == AF_INET ? "IPv4" : "IPv6", af == AF_INET ? "10.0.0.1/24" : "fd00::1/64");
}

static int parse_eth_links(struct vpnd_conf *c, const json_t *l, char *err, size_t errlen)
{
	static const char *const keys[] = { "neighbour", "device", "mac", NULL };
	json_t *v;
	size_t i;

	if (!l)
		return 0;
	if (!json_is_array(l) || json_array_size(l) > VPND_ETH_LINKS_MAX)
		return FAIL("'ethernet_links' must be a list of at most %d "
			    "{\"neighbour\", \"device\", \"mac\"}",
			    VPND_ETH_LINKS_MAX);
	json_array_foreach(l, i, v) {
		struct vpnd_eth_link *e = &c->eth[c->neth];
		const char *key;
		json_t *x;

		if (!json_is_object(v))
			return FAIL("ethernet_links[%zu] must be an object", i);
		json_object_foreach(v, key, x) {
			int k = 0;

			while (keys[k] && strcmp(keys[k], key))
				k++;
			if (!keys[k])
				return FAIL("ethernet_links[%zu]: unknown key '%.64s'", i, key);
		}
		x = json_object_get(v, "neighbour");
		if (!json_is_string(x) || id_parse(json_string_value(x), e->nbr.b))
			return FAIL("ethernet_links[%zu]: 'neighbour' must be a node ID (32 hex "
				    "digits)",
				    i);
		if (get_ifname(v, "device", e->ifname, NULL, err, errlen))
			return FAIL("ethernet_links[%zu]: 'device' must be an interface name", i);
		if (parse_mac(json_string_value(json_object_get(v, "mac")), e->mac) ||
		    (e->mac[0] & 1))
			return FAIL("ethernet_links[%zu]: 'mac' must be the neighbour's unicast "
				    "MAC on the device (\"02:00:00:00:00:01\")",
				    i);
		for (int k = 0; k < c->neth; k++)
			if (node_id_eq(&c->eth[k].nbr, &e->nbr))
				return FAIL("ethernet_links[%zu]: the same neighbour as "
					    "ethernet_links[%d]",
					    i, k);
		c->neth++;
	}
	return 0;
}

static int parse_statics(struct vpnd_conf *c, const json_t *o, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!o)
		return 0;
	if (!json_is_object(o) || json_object_size(o) > VPND_STATIC_MACS_MAX)
		return FAIL("'static_macs' must be an object {\"MAC\": \"node ID\"} of at most "
			    "%d entries",
			    VPND_STATIC_MACS_MAX);
	json_object_foreach((json_t *)o, key, v) {
		struct vpnd_static_mac *s = &c->statics[c->nstatic];

		if (parse_mac(key, s->mac) || (s->mac[0] & 1))
			return FAIL("static_macs: '%.64s' is not a unicast MAC", key);
		if (!json_is_string(v) || id_parse(json_string_value(v), s->node.b))
			return FAIL("static_macs[\"%s\"] must be a node ID (32 hex digits)", key);
		c->nstatic++;
	}
	return 0;
}

/* The modules the vpn module needs, and the module itself at the end of the list. */
static int add_module(struct vpnd_conf *c, struct modcfg *mc, const char *bcast, uint64_t tokens,
		      char *err, size_t errlen)
{
	bool srum = false, bc = false;

	for (int i = 0; i < mc->n; i++) {
		srum |= !strcmp(mc->ops[i]->name, SRUM_NAME);
		bc |= !strcmp(mc->ops[i]->name, bcast);
		if (!strcmp(mc->ops[i]->name, VPNMOD_NAME))
			return FAIL("the module 'vpn' comes with the \"vpn\" object: leave it out "
				    "of 'modules'");
	}
	if (!srum || !bc)
		return FAIL("needs the modules '%s' and '%s' (with their dependencies) in "
			    "'modules'",
			    SRUM_NAME, bcast);
	if (mc->n == MODCFG_MAX)
		return FAIL("no room for the vpn module (at most %d modules)", MODCFG_MAX);
	c->mod_params = json_pack("{s:s, s:I}", "broadcast", bcast, "tokens", (json_int_t)tokens);
	if (!c->mod_params)
		return -ENOMEM;
	mc->ops[mc->n] = &vpnmod_module;
	mc->params[mc->n] = c->mod_params;
	mc->n++;
	return 0;
}

static int parse(struct vpnd_conf *c, const json_t *o, struct modcfg *mc, char *err, size_t errlen)
{
	const char *key, *s;
	uint64_t u, tokens;
	json_t *v;
	int ret;

	json_object_foreach((json_t *)o, key, v) {
		int k = 0;

		while (vpn_keys[k] && strcmp(vpn_keys[k], key))
			k++;
		if (!vpn_keys[k])
			return FAIL("unknown key '%.64s'", key);
	}
	ret = get_ifname(o, "tap", c->tap, "ipop0", err, errlen);
	ret = ret ?: get_ifname(o, "vxlan_device", c->vxlan, "ipop-vx0", err, errlen);
	if (ret)
		return ret;
	v = json_object_get(o, "mac");
	if (v) {
		if (parse_mac(json_string_value(v), c->mac) || (c->mac[0] & 1) ||
		    !memcmp(c->mac, "\0\0\0\0\0\0", 6))
			return FAIL("'mac' must be a unicast MAC (\"02:00:00:00:00:01\")");
		c->set_mac = true;
	}
	ret = get_cidr(o, "ipv4", AF_INET, &c->ipv4, err, errlen);
	ret = ret ?: get_cidr(o, "ipv6", AF_INET6, &c->ipv6, err, errlen);
	ret = ret ?: get_uint(o, "mtu", 0, 576, 9000, &u, err, errlen);
	if (ret)
		return ret;
	c->mtu = (unsigned int)u;
	v = json_object_get(o, "transit");
	s = v ? json_string_value(v) : "auto";
	if (!s || (strcmp(s, "tc") && strcmp(s, "xdp") && strcmp(s, "auto")))
		return FAIL("'transit' must be \"tc\", \"xdp\" or \"auto\"");
	c->xdp = !strcmp(s, "xdp");
	c->xdp_auto = !strcmp(s, "auto");
	v = json_object_get(o, "encap");
	s = v ? json_string_value(v) : "auto";
	if (!s || (strcmp(s, "device") && strcmp(s, "direct") && strcmp(s, "auto")))
		return FAIL("'encap' must be \"direct\", \"device\" or \"auto\"");
	c->encap = !strcmp(s, "direct")	  ? VPND_ENCAP_DIRECT
		   : !strcmp(s, "device") ? VPND_ENCAP_DEVICE
					  : VPND_ENCAP_AUTO;
	if (json_object_get(o, "underlay")) {
		ret = get_ifname(o, "underlay", c->underlay, NULL, err, errlen);
		if (ret)
			return ret;
	} else if (c->xdp) {
		return FAIL(
			"\"transit\": \"xdp\" needs 'underlay' (the interface XDP attaches to)");
	} else if (c->encap == VPND_ENCAP_DIRECT) {
		return FAIL("\"encap\": \"direct\" needs 'underlay' (the interface it sends on)");
	} else {
		c->xdp_auto = false; /* nothing to attach XDP to */
		c->encap = VPND_ENCAP_DEVICE;
	}
	v = json_object_get(o, "underlay_ip4");
	if (v &&
	    (!json_is_string(v) || inet_pton(AF_INET, json_string_value(v), &c->underlay_ip4) != 1))
		return FAIL("'underlay_ip4' must be an IPv4 address");
	ret = get_uint(o, "vni", 1, 0, 0xffffff, &u, err, errlen);
	if (ret)
		return ret;
	c->vni = (uint32_t)u;
	ret = get_uint(o, "vxlan_port", 4789, 1, 65535, &u, err, errlen);
	if (ret)
		return ret;
	c->vxlan_port = (uint16_t)u;
	v = json_object_get(o, "vxlan_links");
	if (v && !json_is_boolean(v))
		return FAIL("'vxlan_links' must be true or false");
	c->vxlan_links = !v || json_is_true(v);
	ret = parse_eth_links(c, json_object_get(o, "ethernet_links"), err, errlen);
	ret = ret ?: parse_statics(c, json_object_get(o, "static_macs"), err, errlen);
	ret = ret ?: get_uint(o, "mac_age_s", 300, 0, 86400, &u, err, errlen);
	if (ret)
		return ret;
	c->mac_age_ns = u * 1000000000ull;
	ret = get_uint(o, "ttl", 0, 2, 255, &u, err, errlen);
	if (ret)
		return ret;
	c->ttl = (uint8_t)u;
	v = json_object_get(o, "broadcast");
	s = v ? json_string_value(v) : TLFM_NAME;
	if (!s || (strcmp(s, SMM_NAME) && strcmp(s, TLFM_NAME)))
		return FAIL("'broadcast' must be \"smm\" (structured overlay) or \"tlfm\" "
			    "(unstructured)");
	ret = get_uint(o, "tokens", VPNMOD_TOKENS, 1, 4096, &tokens, err, errlen);
	return ret ?: add_module(c, mc, s, tokens, err, errlen);
}

int vpnd_conf_parse(const json_t *obj, struct modcfg *mc, struct vpnd_conf **out, char *err,
		    size_t errlen)
{
	struct vpnd_conf *c;
	int ret;

	*out = NULL;
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return FAIL("\"vpn\" must be an object");
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = parse(c, obj, mc, err, errlen);
	if (ret) {
		vpnd_conf_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void vpnd_conf_free(struct vpnd_conf *c)
{
	if (!c)
		return;
	json_decref(c->mod_params);
	free(c);
}
