/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Node certificates issued by an overlay CA. Pure code: no I/O, no clock
 * (the time of a check is a parameter, Unix seconds).
 *
 * Wire format, version 1 (all integers big-endian; docs/identity.md):
 *   off size
 *     0    4  magic "IPCT"
 *     4    1  version (1)
 *     5    1  flags (0; anything else is rejected)
 *     6    2  total length of the certificate, signature included
 *     8   32  node public key (Ed25519); node ID = BLAKE2b-256(key)[0..16)
 *    40   32  issuing CA's public key (Ed25519)
 *    72    8  not_before (Unix seconds)
 *    80    8  not_after (Unix seconds, >= not_before)
 *    88    1  name length N (1..CERT_NAME_MAX)
 *    89    1  address count A (0..CERT_MAX_ADDRS)
 *    90    1  group count G (0..CERT_MAX_GROUPS)
 *    91    1  reserved (0)
 *    92    N  name, characters [A-Za-z0-9._-]
 *          A  addresses: family (4 or 6), prefix length, 4 or 16 address bytes
 *          G  groups: length L (1..CERT_GROUP_MAX), L characters [A-Za-z0-9._-]
 *   end-64 64 CA's Ed25519 signature over every byte before it
 * Nothing may follow the signature; the total length must match the input.
 */
#ifndef IPOP_FW_CERT_H
#define IPOP_FW_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ident.h"

#define CERT_MAGIC	"IPCT"
#define CERT_VERSION	1
#define CERT_FIXED_LEN	92
#define CERT_NAME_MAX	63
#define CERT_MAX_ADDRS	16
#define CERT_MAX_GROUPS 8
#define CERT_GROUP_MAX	31
#define CERT_HASH_LEN	32
#define CERT_MAX_LEN                                            \
	(CERT_FIXED_LEN + CERT_NAME_MAX + CERT_MAX_ADDRS * 18 + \
	 CERT_MAX_GROUPS * (1 + CERT_GROUP_MAX) + IDENT_SIG_LEN)
#define CERT_REV_MAX 4096 /* entries of each kind in a revocation list */

struct cert_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* <= 32 or <= 128 */
	uint8_t a[16];
};

struct cert {
	uint8_t node_pub[IDENT_PUB_LEN];
	uint8_t ca_pub[IDENT_PUB_LEN];
	struct node_id id; /* derived from node_pub */
	uint64_t not_before, not_after;
	char name[CERT_NAME_MAX + 1];
	uint8_t naddr, ngroups;
	struct cert_addr addr[CERT_MAX_ADDRS];
	char groups[CERT_MAX_GROUPS][CERT_GROUP_MAX + 1];
	uint8_t sig[IDENT_SIG_LEN];
	uint8_t hash[CERT_HASH_LEN]; /* BLAKE2b-256 of the whole encoding (revocation) */
	uint16_t len;		     /* encoded length */
	uint8_t raw[CERT_MAX_LEN];   /* the encoding (signature checked over it) */
};

enum cert_status {
	CERT_OK = 0,
	CERT_BAD_SIG,
	CERT_UNTRUSTED_CA,
	CERT_REVOKED,
	CERT_NOT_YET_VALID,
	CERT_EXPIRED,
	CERT_WRONG_ID, /* cert_check_id: not the node that claimed it */
	CERT__MAX,
};

extern const char *const cert_status_names[CERT__MAX];

/* Revoked node IDs and certificate hashes (sorted by cert_revlist_parse). */
struct cert_revlist {
	uint32_t nids, nhashes;
	struct node_id ids[CERT_REV_MAX];
	uint8_t hashes[CERT_REV_MAX][CERT_HASH_LEN];
};

struct cert_trust {
	const uint8_t (*ca)[IDENT_PUB_LEN]; /* trusted CA public keys */
	size_t nca;
	const struct cert_revlist *rev; /* may be NULL */
};

/*
 * Fill c's fields before: node_pub, not_before/after, name, addr, groups.
 * Sets ca_pub, id, sig, hash, len, raw; returns the length or -EINVAL
 * (err names the bad field) / -EMSGSIZE.
 */
int cert_issue(struct cert *c, const struct ident *ca, char *err, size_t errlen);

/* Parse (no signature or trust check). 0, or -EINVAL/-EMSGSIZE with err naming the problem. */
int cert_decode(const uint8_t *buf, size_t len, struct cert *out, char *err, size_t errlen);

/* Signature, trusted CA, revocation, validity at now (Unix seconds). */
enum cert_status cert_check(const struct cert *c, const struct cert_trust *t, uint64_t now);
/* cert_check, plus: the certificate is that of node id. */
enum cert_status cert_check_id(const struct cert *c, const struct node_id *id,
			       const struct cert_trust *t, uint64_t now);

bool cert_revoked(const struct cert_revlist *r, const struct cert *c);

/*
 * Revocation list text: one entry a line, "id <32 hex>" (a node) or
 * "cert <64 hex>" (a certificate hash); '#' starts a comment; blank lines
 * are skipped. At most CERT_REV_MAX of each kind, lines of at most 255
 * characters. 0 or -EINVAL/-E2BIG with err naming the line.
 */
int cert_revlist_parse(const char *text, size_t len, struct cert_revlist *out, char *err,
		       size_t errlen);

/* "10.1.0.1/24", "fd00::1/64" <-> cert_addr. parse: 0 or -EINVAL. */
int cert_addr_parse(const char *s, struct cert_addr *out);
void cert_addr_fmt(const struct cert_addr *a, char *out, size_t cap);
/* A name or group: 1..max characters of [A-Za-z0-9._-]. */
bool cert_label_ok(const char *s, size_t max);

#endif /* IPOP_FW_CERT_H */
