// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>

#include "core/cert.h"

enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_FLAGS = 5,
	OFF_LEN = 6,
	OFF_NODE = 8,
	OFF_CA = 40,
	OFF_NB = 72,
	OFF_NA = 80,
	OFF_NAMELEN = 88,
	OFF_NADDR = 89,
	OFF_NGROUPS = 90,
	OFF_RSVD = 91,
	OFF_VAR = 92,
};

_Static_assert(OFF_VAR == CERT_FIXED_LEN, "cert layout");
_Static_assert(CERT_MAX_LEN < 65536, "length field");

const char *const cert_status_names[CERT__MAX] = {
	[CERT_OK] = "ok",
	[CERT_BAD_SIG] = "bad_signature",
	[CERT_UNTRUSTED_CA] = "untrusted_ca",
	[CERT_REVOKED] = "revoked",
	[CERT_NOT_YET_VALID] = "not_yet_valid",
	[CERT_EXPIRED] = "expired",
	[CERT_WRONG_ID] = "wrong_id",
};

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static bool label_ok_n(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!label_char(s[i]))
			return false;
	return true;
}

bool cert_label_ok(const char *s, size_t max)
{
	return label_ok_n(s, strnlen(s, max + 1), max);
}

static size_t addr_len(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static bool addr_ok(const struct cert_addr *a)
{
	return (a->family == 4 && a->prefix <= 32) || (a->family == 6 && a->prefix <= 128);
}

int cert_issue(struct cert *c, const struct ident *ca, char *err, size_t errlen)
{
	uint8_t *p = c->raw;
	size_t n = strnlen(c->name, CERT_NAME_MAX + 1), len;

	if (!label_ok_n(c->name, n, CERT_NAME_MAX))
		return ERR("name '%.*s' must be 1..%d characters of [A-Za-z0-9._-]",
			   (int)(n > CERT_NAME_MAX ? CERT_NAME_MAX : n), c->name, CERT_NAME_MAX);
	if (c->naddr > CERT_MAX_ADDRS)
		return ERR("%u addresses, at most %d", c->naddr, CERT_MAX_ADDRS);
	if (c->ngroups > CERT_MAX_GROUPS)
		return ERR("%u groups, at most %d", c->ngroups, CERT_MAX_GROUPS);
	if (c->not_after < c->not_before)
		return ERR("not_after is before not_before");
	memcpy(c->ca_pub, ca->pub, IDENT_PUB_LEN);
	memcpy(p + OFF_MAGIC, CERT_MAGIC, 4);
	p[OFF_VERSION] = CERT_VERSION;
	p[OFF_FLAGS] = 0;
	memcpy(p + OFF_NODE, c->node_pub, IDENT_PUB_LEN);
	memcpy(p + OFF_CA, c->ca_pub, IDENT_PUB_LEN);
	put64(p + OFF_NB, c->not_before);
	put64(p + OFF_NA, c->not_after);
	p[OFF_NAMELEN] = (uint8_t)n;
	p[OFF_NADDR] = c->naddr;
	p[OFF_NGROUPS] = c->ngroups;
	p[OFF_RSVD] = 0;
	len = OFF_VAR;
	memcpy(p + len, c->name, n);
	len += n;
	for (unsigned int i = 0; i < c->naddr; i++) {
		const struct cert_addr *a = &c->addr[i];

		if (!addr_ok(a))
			return ERR("address %u: family must be 4 or 6 with a prefix within it", i);
		p[len++] = a->family;
		p[len++] = a->prefix;
		memcpy(p + len, a->a, addr_len(a->family));
		len += addr_len(a->family);
	}
	for (unsigned int i = 0; i < c->ngroups; i++) {
		size_t g = strnlen(c->groups[i], CERT_GROUP_MAX + 1);

		if (!label_ok_n(c->groups[i], g, CERT_GROUP_MAX))
			return ERR("group %u must be 1..%d characters of [A-Za-z0-9._-]", i,
				   CERT_GROUP_MAX);
		p[len++] = (uint8_t)g;
		memcpy(p + len, c->groups[i], g);
		len += g;
	}
	len += IDENT_SIG_LEN;
	p[OFF_LEN] = (uint8_t)(len >> 8);
	p[OFF_LEN + 1] = len & 0xff;
	ident_sign(ca, p, len - IDENT_SIG_LEN, c->sig);
	memcpy(p + len - IDENT_SIG_LEN, c->sig, IDENT_SIG_LEN);
	c->len = (uint16_t)len;
	ident_node_id(c->node_pub, &c->id);
	crypto_generichash(c->hash, CERT_HASH_LEN, p, len, NULL, 0);
	return (int)len;
}

int cert_decode(const uint8_t *buf, size_t len, struct cert *c, char *err, size_t errlen)
{
	size_t off, total, n;

	memset(c, 0, sizeof(*c));
	if (len > CERT_MAX_LEN) {
		snprintf(err, errlen, "certificate of %zu bytes, at most %d", len, CERT_MAX_LEN);
		return -EMSGSIZE;
	}
	if (len < CERT_FIXED_LEN + 1 + IDENT_SIG_LEN)
		return ERR("truncated: %zu bytes, a certificate has at least %d", len,
			   CERT_FIXED_LEN + 1 + IDENT_SIG_LEN);
	if (memcmp(buf + OFF_MAGIC, CERT_MAGIC, 4))
		return ERR("not a certificate (bad magic)");
	if (buf[OFF_VERSION] != CERT_VERSION)
		return ERR("certificate version %u, this build reads %d", buf[OFF_VERSION],
			   CERT_VERSION);
	if (buf[OFF_FLAGS] || buf[OFF_RSVD])
		return ERR("reserved flags/field set");
	total = (size_t)buf[OFF_LEN] << 8 | buf[OFF_LEN + 1];
	if (total != len)
		return ERR("length field says %zu bytes, input has %zu", total, len);
	memcpy(c->node_pub, buf + OFF_NODE, IDENT_PUB_LEN);
	memcpy(c->ca_pub, buf + OFF_CA, IDENT_PUB_LEN);
	c->not_before = get64(buf + OFF_NB);
	c->not_after = get64(buf + OFF_NA);
	if (c->not_after < c->not_before)
		return ERR("not_after is before not_before");
	n = buf[OFF_NAMELEN];
	c->naddr = buf[OFF_NADDR];
	c->ngroups = buf[OFF_NGROUPS];
	if (n == 0 || n > CERT_NAME_MAX)
		return ERR("name length %zu, must be 1..%d", n, CERT_NAME_MAX);
	if (c->naddr > CERT_MAX_ADDRS)
		return ERR("%u addresses, at most %d", c->naddr, CERT_MAX_ADDRS);
	if (c->ngroups > CERT_MAX_GROUPS)
		return ERR("%u groups, at most %d", c->ngroups, CERT_MAX_GROUPS);
	total -= IDENT_SIG_LEN; /* end of the signed part */
	off = OFF_VAR;
	if (off + n > total)
		return ERR("truncated in the name");
	if (!label_ok_n((const char *)buf + off, n, CERT_NAME_MAX))
		return ERR("name has characters outside [A-Za-z0-9._-]");
	memcpy(c->name, buf + off, n);
	off += n;
	for (unsigned int i = 0; i < c->naddr; i++) {
		struct cert_addr *a = &c->addr[i];

		if (off + 2 > total)
			return ERR("truncated in address %u", i);
		a->family = buf[off];
		a->prefix = buf[off + 1];
		if (!addr_ok(a))
			return ERR("address %u: family %u prefix %u", i, a->family, a->prefix);
		off += 2;
		if (off + addr_len(a->family) > total)
			return ERR("truncated in address %u", i);
		memcpy(a->a, buf + off, addr_len(a->family));
		off += addr_len(a->family);
	}
	for (unsigned int i = 0; i < c->ngroups; i++) {
		if (off + 1 > total)
			return ERR("truncated in group %u", i);
		n = buf[off++];
		if (n == 0 || n > CERT_GROUP_MAX)
			return ERR("group %u: length %zu, must be 1..%d", i, n, CERT_GROUP_MAX);
		if (off + n > total)
			return ERR("truncated in group %u", i);
		if (!label_ok_n((const char *)buf + off, n, CERT_GROUP_MAX))
			return ERR("group %u has characters outside [A-Za-z0-9._-]", i);
		memcpy(c->groups[i], buf + off, n);
		off += n;
	}
	if (off != total)
		return ERR("%zu unexpected bytes before the signature", total - off);
	memcpy(c->sig, buf + total, IDENT_SIG_LEN);
	memcpy(c->raw, buf, len);
	c->len = (uint16_t)len;
	ident_node_id(c->node_pub, &c->id);
	crypto_generichash(c->hash, CERT_HASH_LEN, buf, len, NULL, 0);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, ID_LEN);
}

static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, CERT_HASH_LEN);
}

bool cert_revoked(const struct cert_revlist *r, const struct cert *c)
{
	if (!r)
		return false;
	return bsearch(&c->id, r->ids, r->nids, sizeof(r->ids[0]), cmp_id) ||
	       bsearch(c->hash, r->hashes, r->nhashes, CERT_HASH_LEN, cmp_hash);
}

enum cert_status cert_check(const struct cert *c, const struct cert_trust *t, uint64_t now)
{
	size_t i;

	for (i = 0; i < t->nca; i++)
		if (!sodium_memcmp(t->ca[i], c->ca_pub, IDENT_PUB_LEN))
			break;
	if (i == t->nca)
		return CERT_UNTRUSTED_CA;
	if (c->len <= IDENT_SIG_LEN ||
	    ident_verify(c->ca_pub, c->raw, c->len - IDENT_SIG_LEN, c->sig))
		return CERT_BAD_SIG;
	if (cert_revoked(t->rev, c))
		return CERT_REVOKED;
	if (now < c->not_before)
		return CERT_NOT_YET_VALID;
	if (now > c->not_after)
		return CERT_EXPIRED;
	return CERT_OK;
}

enum cert_status cert_check_id(const struct cert *c, const struct node_id *id,
			       const struct cert_trust *t, uint64_t now)
{
	if (!node_id_eq(&c->id, id))
		return CERT_WRONG_ID;
	return cert_check(c, t, now);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex(const char *s, size_t n, uint8_t *out, size_t outlen)
{
	if (n != 2 * outlen)
		return -EINVAL;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int rev_line(const char *l, size_t n, struct cert_revlist *r, unsigned int lineno, char *err,
		    size_t errlen)
{
	size_t kw, v;

	while (n && is_space(l[n - 1]))
		n--;
	while (n && is_space(*l))
		l++, n--;
	if (n == 0 || *l == '#')
		return 0;
	for (kw = 0; kw < n && !is_space(l[kw]);)
		kw++;
	for (v = kw; v < n && is_space(l[v]);)
		v++;
	if (kw == 2 && !memcmp(l, "id", 2)) {
		if (r->nids == CERT_REV_MAX)
			return snprintf(err, errlen, "line %u: more than %d node IDs", lineno,
					CERT_REV_MAX),
			       -E2BIG;
		if (parse_hex(l + v, n - v, r->ids[r->nids].b, ID_LEN))
			return ERR("line %u: 'id' needs 32 hex digits", lineno);
		r->nids++;
		return 0;
	}
	if (kw == 4 && !memcmp(l, "cert", 4)) {
		if (r->nhashes == CERT_REV_MAX)
			return snprintf(err, errlen, "line %u: more than %d certificate hashes",
					lineno, CERT_REV_MAX),
			       -E2BIG;
		if (parse_hex(l + v, n - v, r->hashes[r->nhashes], CERT_HASH_LEN))
			return ERR("line %u: 'cert' needs 64 hex digits", lineno);
		r->nhashes++;
		return 0;
	}
	return ERR("line %u: expected 'id <32 hex>' or 'cert <64 hex>'", lineno);
}

int cert_revlist_parse(const char *text, size_t len, struct cert_revlist *r, char *err,
		       size_t errlen)
{
	unsigned int lineno = 0;
	size_t off = 0;
	int ret;

	r->nids = r->nhashes = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		lineno++;
		if (n > 255)
			return ERR("line %u: longer than 255 characters", lineno);
		if (memchr(text + off, '\0', n))
			return ERR("line %u: NUL byte", lineno);
		ret = rev_line(text + off, n, r, lineno, err, errlen);
		if (ret)
			return ret;
		off += n + 1;
	}
	qsort(r->ids, r->nids, sizeof(r->ids[0]), cmp_id);
	qsort(r->hashes, r->nhashes, CERT_HASH_LEN, cmp_hash);
	return 0;
}

int cert_addr_parse(const char *s, struct cert_addr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned long pfx;
	char *end;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (!slash || (hl = (size_t)(slash - s)) == 0 || hl >= sizeof(host) || !slash[1])
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	pfx = strtoul(slash + 1, &end, 10);
	if (errno || *end || slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	if (inet_pton(AF_INET, host, out->a) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, host, out->a) == 1)
		out->family = 6;
	else
		return -EINVAL;
	if (pfx > (out->family == 4 ? 32u : 128u))
		return -EINVAL;
	out->prefix = (uint8_t)pfx;
	return 0;
}

void cert_addr_fmt(const struct cert_addr *a, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, host, sizeof(host));
	snprintf(out, cap, "%s/%u", host, a->prefix);
}
