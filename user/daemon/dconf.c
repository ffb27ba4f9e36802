// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The daemon's JSON config: identity (key, certificate, CAs, revocations), listen addresses, neighbours, modules. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sodium.h>
#include <time.h>

#include "daemon/daemon.h"
#include "daemon/keyfile.h"
#include "daemon/vpnd.h"

#define NS_PER_MS 1000000ULL

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool port0)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	unsigned long port;
	char *end;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	colon = s[0] == '[' ? strstr(s, "]:") : strrchr(s, ':');
	if (!colon)
		return -EINVAL;
	hl = s[0] == '[' ? (size_t)(colon - s - 1) : (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s[0] == '[' ? s + 1 : s, hl);
	host[hl] = '\0';
	colon += s[0] == '[' ? 2 : 1;
	errno = 0;
	port = strtoul(colon, &end, 10);
	if (errno || *end || end == colon || (port == 0 && !port0) || port > 65535)
		return -EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -EINVAL;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -EINVAL;
	}
}

int dconf_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	return parse_addr(s, ss, len, false);
}

#define DCONF_MAX_CA 16

static const char *str_or_null(json_t *root, const char *key, bool *bad)
{
	json_t *v = json_object_get(root, key);

	if (v && !json_is_string(v))
		*bad = true;
	return json_string_value(v);
}

/* "ca_files": "ca.pub" or ["ca1.pub", ...] */
static int load_cas(struct dconf *c, json_t *root, char *err, size_t errlen)
{
	json_t *l = json_object_get(root, "ca_files"), *v;
	size_t i, n = json_is_string(l) ? 1 : json_is_array(l) ? json_array_size(l) : 0;
	int ret;

	if (n == 0 || n > DCONF_MAX_CA) {
		snprintf(err, errlen,
			 "'ca_files' must be a CA public key file or a list of 1..%d of them",
			 DCONF_MAX_CA);
		return -EINVAL;
	}
	c->ca = calloc(n, sizeof(*c->ca));
	if (!c->ca)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		v = json_is_string(l) ? l : json_array_get(l, i);
		if (!json_is_string(v)) {
			snprintf(err, errlen, "'ca_files'[%zu] must be a string", i);
			return -EINVAL;
		}
		ret = keyfile_read_public(json_string_value(v), c->ca[i], err, errlen);
		if (ret)
			return ret;
		c->nca++;
	}
	return 0;
}

int dconf_reload_revocations(struct dconf *c, char *err, size_t errlen)
{
	struct cert_revlist *r;
	int ret;

	if (!c->revocation_file)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = keyfile_read_revlist(c->revocation_file, r, err, errlen);
	if (ret) {
		free(r);
		return ret; /* the old list stays */
	}
	free(c->rev);
	c->rev = r;
	c->trust.rev = r;
	return 0;
}

static int prefix_err(const char *what, int ret, char *err, size_t errlen)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", err);
	snprintf(err, errlen, "%s: %s", what, tmp);
	return ret;
}

/* key_file, cert_file, ca_files, revocation_file; node_id, if given, must match the key. */
static int load_identity(struct dconf *c, json_t *root, char *err, size_t errlen)
{
	bool bad = false;
	const char *key = str_or_null(root, "key_file", &bad);
	const char *cert = str_or_null(root, "cert_file", &bad);
	const char *id = str_or_null(root, "node_id", &bad);
	struct node_id want;
	enum cert_status s;
	int ret;

	c->revocation_file = str_or_null(root, "revocation_file", &bad);
	if (bad || !key || !cert) {
		snprintf(err, errlen,
			 "'key_file' and 'cert_file' are required (strings); "
			 "make them with ipop-bpf key gen and ipop-bpf ca sign");
		return -EINVAL;
	}
	ret = keyfile_read_private(key, &c->ident, err, errlen);
	if (ret)
		return prefix_err("key_file", ret, err, errlen);
	ident_node_id(c->ident.pub, &c->id);
	if (json_object_get(root, "node_id") &&
	    (!id || id_parse(id, want.b) || !node_id_eq(&want, &c->id))) {
		char hex[ID_HEX_LEN + 1];

		id_fmt(c->id.b, hex);
		snprintf(err, errlen, "'node_id' must be the key's ID %s (or be left out)", hex);
		return -EINVAL;
	}
	c->cert = calloc(1, sizeof(*c->cert));
	if (!c->cert)
		return -ENOMEM;
	ret = keyfile_read_cert(cert, c->cert, err, errlen);
	if (ret)
		return prefix_err("cert_file", ret, err, errlen);
	ret = load_cas(c, root, err, errlen);
	if (ret)
		return ret;
	if (sodium_memcmp(c->cert->node_pub, c->ident.pub, IDENT_PUB_LEN)) {
		snprintf(err, errlen, "cert_file %s is not the certificate of key_file %s", cert,
			 key);
		return -EINVAL;
	}
	c->trust.ca = (const uint8_t(*)[IDENT_PUB_LEN])c->ca;
	c->trust.nca = (size_t)c->nca;
	ret = dconf_reload_revocations(c, err, errlen);
	if (ret)
		return ret;
	s = cert_check(c->cert, &c->trust, (uint64_t)time(NULL));
	if (s != CERT_OK) {
		snprintf(err, errlen, "cert_file %s: %s", cert, cert_status_names[s]);
		return -EINVAL;
	}
	return 0;
}

static int get_ms(json_t *root, const char *key, uint64_t def, uint64_t *out, char *err,
		  size_t errlen)
{
	json_t *v = json_object_get(root, key);

	*out = def * NS_PER_MS;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 10 || json_integer_value(v) > 3600000) {
		snprintf(err, errlen, "'%s' must be an integer 10..3600000 (ms)", key);
		return -EINVAL;
	}
	*out = (uint64_t)json_integer_value(v) * NS_PER_MS;
	return 0;
}

static int load_listen(struct dconf *c, json_t *root, char *err, size_t errlen)
{
	json_t *l = json_object_get(root, "listen"), *v;
	size_t i;

	if (json_is_string(l)) {
		c->nlisten = 1;
		if (parse_addr(json_string_value(l), &c->listen[0], &c->llen[0], true) == 0)
			return 0;
	} else if (json_is_array(l) && json_array_size(l) > 0 &&
		   json_array_size(l) <= DAEMON_MAX_LISTEN) {
		json_array_foreach(l, i, v) {
			if (!json_is_string(v) ||
			    parse_addr(json_string_value(v), &c->listen[i], &c->llen[i], true))
				break;
			c->nlisten++;
		}
		if (c->nlisten == (int)json_array_size(l))
			return 0;
	}
	snprintf(err, errlen,
		 "'listen' must be \"addr:port\" or a list of 1..%d of them "
		 "(IPv6 as \"[addr]:port\")",
		 DAEMON_MAX_LISTEN);
	return -EINVAL;
}

static int load_nbr(struct dconf_nbr *n, json_t *v, size_t i, char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(v, "id"));
	const char *addr = json_string_value(json_object_get(v, "address"));

	if (!json_is_object(v) || !id || id_parse(id, n->id.b)) {
		snprintf(err, errlen, "neighbours[%zu]: 'id' must be 32 hex digits", i);
		return -EINVAL;
	}
	if (!addr || dconf_parse_addr(addr, &n->addr, &n->alen)) {
		snprintf(err, errlen, "neighbours[%zu]: bad 'address'", i);
		return -EINVAL;
	}
	snprintf(n->text, sizeof(n->text), "%s", addr);
	return 0;
}

static int load_nbrs(struct dconf *c, json_t *root, char *err, size_t errlen)
{
	json_t *l = json_object_get(root, "neighbours"), *v;
	size_t i;
	int ret;

	if (!l)
		return 0;
	if (!json_is_array(l) || json_array_size(l) > DAEMON_MAX_NBRS) {
		snprintf(err, errlen, "'neighbours' must be a list of at most %d", DAEMON_MAX_NBRS);
		return -EINVAL;
	}
	c->nbrs = calloc(json_array_size(l) + 1, sizeof(*c->nbrs));
	if (!c->nbrs)
		return -ENOMEM;
	json_array_foreach(l, i, v) {
		ret = load_nbr(&c->nbrs[i], v, i, err, errlen);
		if (ret)
			return ret;
		if (node_id_eq(&c->nbrs[i].id, &c->id)) {
			snprintf(err, errlen, "neighbours[%zu]: that is this node's own ID", i);
			return -EINVAL;
		}
		c->nnbrs++;
	}
	return 0;
}

static int load_root(struct dconf *c, json_t *root, char *err, size_t errlen)
{
	json_t *ctl = json_object_get(root, "ctl_socket");
	int ret;

	if (!json_is_object(root)) {
		snprintf(err, errlen, "config must be a JSON object");
		return -EINVAL;
	}
	if (ctl && !json_is_string(ctl)) {
		snprintf(err, errlen, "'ctl_socket' must be a string");
		return -EINVAL;
	}
	c->ctl_socket = json_string_value(ctl);
	ret = load_identity(c, root, err, errlen);
	ret = ret ?: load_listen(c, root, err, errlen);
	ret = ret ?: load_nbrs(c, root, err, errlen);
	ret = ret ?: get_ms(root, "keepalive_ms", 1000, &c->keepalive_ns, err, errlen);
	ret = ret ?: get_ms(root, "dead_ms", 3500, &c->dead_ns, err, errlen);
	if (ret)
		return ret;
	c->replay_sources = 4096;
	ret = modcfg_load(json_object_get(root, "modules"), &c->mc, err, errlen);
	return ret ?: vpnd_conf_parse(json_object_get(root, "vpn"), &c->mc, &c->vpn, err, errlen);
}

int dconf_load(const char *path, struct dconf *c, char *err, size_t errlen)
{
	json_error_t jerr;
	int ret;

	memset(c, 0, sizeof(*c));
	c->root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!c->root) {
		snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
		return -EINVAL;
	}
	ret = load_root(c, c->root, err, errlen);
	if (ret)
		dconf_free(c);
	return ret;
}

void dconf_free(struct dconf *c)
{
	json_decref(c->root);
	free(c->nbrs);
	ident_wipe(&c->ident);
	free(c->cert);
	free(c->ca);
	free(c->rev);
	vpnd_conf_free(c->vpn);
	memset(c, 0, sizeof(*c));
}
