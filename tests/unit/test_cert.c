// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Identity and certificates: IDs from keys, encode/decode, every truncation, checks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>

#include "core/cert.h"

static struct ident cet_ca, cet_ca2, cet_node;

static void cet_setup(void)
{
	uint8_t seed[IDENT_SEED_LEN];

	cr_assert(sodium_init() >= 0);
	memset(seed, 1, sizeof(seed));
	cr_assert_eq(ident_from_seed(seed, &cet_ca), 0);
	memset(seed, 2, sizeof(seed));
	cr_assert_eq(ident_from_seed(seed, &cet_ca2), 0);
	memset(seed, 3, sizeof(seed));
	cr_assert_eq(ident_from_seed(seed, &cet_node), 0);
}

TestSuite(cert, .init = cet_setup);

static void cet_fill(struct cert *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->node_pub, cet_node.pub, IDENT_PUB_LEN);
	strcpy(c->name, "node-1.example");
	c->not_before = 1000;
	c->not_after = 2000;
	cr_assert_eq(cert_addr_parse("10.1.0.1/24", &c->addr[0]), 0);
	cr_assert_eq(cert_addr_parse("fd00::1/64", &c->addr[1]), 0);
	c->naddr = 2;
	strcpy(c->groups[0], "servers");
	strcpy(c->groups[1], "eu_west");
	c->ngroups = 2;
}

static int cet_issue(struct cert *c)
{
	char err[128];

	cet_fill(c);
	return cert_issue(c, &cet_ca, err, sizeof(err));
}

static const uint8_t (*cet_cas(void))[IDENT_PUB_LEN]
{
	return (const uint8_t(*)[IDENT_PUB_LEN])cet_ca.pub;
}

Test(cert, id_from_key)
{
	struct node_id a, b;
	uint8_t h[32];

	ident_node_id(cet_node.pub, &a);
	crypto_generichash(h, sizeof(h), cet_node.pub, IDENT_PUB_LEN, NULL, 0);
	cr_assert_eq(memcmp(a.b, h, ID_LEN), 0);
	ident_node_id(cet_ca.pub, &b);
	cr_assert(!node_id_eq(&a, &b));
}

Test(cert, sign_verify_origin)
{
	uint8_t sig[IDENT_SIG_LEN];
	struct node_id id, other;

	ident_node_id(cet_node.pub, &id);
	ident_node_id(cet_ca.pub, &other);
	ident_sign(&cet_node, "route", 5, sig);
	cr_assert_eq(ident_verify(cet_node.pub, "route", 5, sig), 0);
	cr_assert_eq(ident_verify(cet_node.pub, "routf", 5, sig), -EBADMSG);
	cr_assert_eq(ident_verify_origin(&id, cet_node.pub, "route", 5, sig), 0);
	/* the right signature, claimed for another node's ID */
	cr_assert_eq(ident_verify_origin(&other, cet_node.pub, "route", 5, sig), -EBADMSG);
	sig[7] ^= 1;
	cr_assert_eq(ident_verify_origin(&id, cet_node.pub, "route", 5, sig), -EBADMSG);
}

Test(cert, round_trip)
{
	struct cert c, d;
	char err[128] = "", buf[64];
	int n = cet_issue(&c);
	struct cert_trust t = { .ca = cet_cas(), .nca = 1 };

	cr_assert_gt(n, CERT_FIXED_LEN);
	cr_assert_eq(n, CERT_FIXED_LEN + 14 + 2 * 2 + 4 + 16 + 8 + 8 + IDENT_SIG_LEN);
	cr_assert_eq(cert_decode(c.raw, (size_t)n, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(d.name, "node-1.example");
	cr_assert_eq(d.naddr, 2);
	cert_addr_fmt(&d.addr[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.1.0.1/24");
	cert_addr_fmt(&d.addr[1], buf, sizeof(buf));
	cr_assert_str_eq(buf, "fd00::1/64");
	cr_assert_eq(d.ngroups, 2);
	cr_assert_str_eq(d.groups[1], "eu_west");
	cr_assert_eq(d.not_before, 1000);
	cr_assert_eq(d.not_after, 2000);
	cr_assert(node_id_eq(&d.id, &c.id));
	cr_assert_eq(memcmp(d.hash, c.hash, CERT_HASH_LEN), 0);
	cr_assert_eq(memcmp(d.ca_pub, cet_ca.pub, IDENT_PUB_LEN), 0);
	cr_assert_eq(cert_check(&d, &t, 1500), CERT_OK);
	cr_assert_eq(cert_check_id(&d, &c.id, &t, 1000), CERT_OK);
	cr_assert_eq(cert_check(&d, &t, 2000), CERT_OK);
}

Test(cert, every_truncation_rejected)
{
	struct cert c, d;
	char err[128];
	int n = cet_issue(&c);

	for (int len = 0; len < n; len++) {
		err[0] = '\0';
		cr_assert_eq(cert_decode(c.raw, (size_t)len, &d, err, sizeof(err)), -EINVAL,
			     "length %d accepted", len);
		cr_assert_neq(err[0], '\0');
	}
	/* truncated with a consistent length field: each variable part names itself */
	for (int len = CERT_FIXED_LEN + IDENT_SIG_LEN + 1; len < n; len++) {
		uint8_t b[CERT_MAX_LEN];

		memcpy(b, c.raw, (size_t)len);
		b[6] = (uint8_t)(len >> 8);
		b[7] = len & 0xff;
		cr_assert_eq(cert_decode(b, (size_t)len, &d, err, sizeof(err)), -EINVAL);
		cr_assert(strstr(err, "truncated") || strstr(err, "unexpected") ||
				  strstr(err, "length") || strstr(err, "characters"),
			  "%d: %s", len, err);
	}
}

Test(cert, oversized_and_trailing)
{
	struct cert c, d;
	uint8_t b[CERT_MAX_LEN + 8];
	char err[128];
	int n = cet_issue(&c);

	memset(b, 0, sizeof(b));
	memcpy(b, c.raw, (size_t)n);
	cr_assert_eq(cert_decode(b, sizeof(b), &d, err, sizeof(err)), -EMSGSIZE);
	cr_assert(strstr(err, "at most"));
	cr_assert_eq(cert_decode(b, (size_t)n + 1, &d, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "length field"), "%s", err);
}

Test(cert, bad_header_fields)
{
	struct cert c, d;
	uint8_t b[CERT_MAX_LEN];
	char err[128];
	int n = cet_issue(&c);
	struct {
		int off;
		uint8_t v;
		const char *want;
	} cases[] = {
		{ 0, 'X', "magic" },	 { 4, 2, "version 2" },	   { 5, 1, "reserved" },
		{ 91, 1, "reserved" },	 { 88, 0, "name length" }, { 88, 64, "name length" },
		{ 89, 17, "addresses" }, { 90, 9, "groups" },	   { 92, ' ', "characters" },
		{ 106, 5, "family 5" },	 { 107, 33, "prefix 33" }, { 72, 0xff, "before" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(b, c.raw, (size_t)n);
		b[cases[i].off] = cases[i].v;
		cr_assert_eq(cert_decode(b, (size_t)n, &d, err, sizeof(err)), -EINVAL,
			     "case %zu accepted", i);
		cr_assert(strstr(err, cases[i].want), "case %zu: '%s' lacks '%s'", i, err,
			  cases[i].want);
	}
}

Test(cert, every_corrupted_byte_fails_check)
{
	struct cert c, d;
	uint8_t b[CERT_MAX_LEN];
	char err[128];
	int n = cet_issue(&c);
	struct cert_trust t = { .ca = cet_cas(), .nca = 1 };

	for (int i = 0; i < n; i++) {
		memcpy(b, c.raw, (size_t)n);
		b[i] ^= 0x01;
		if (cert_decode(b, (size_t)n, &d, err, sizeof(err)) != 0)
			continue;
		cr_assert_neq(cert_check(&d, &t, 1500), CERT_OK, "flip at %d accepted", i);
	}
}

Test(cert, status)
{
	struct cert c, d;
	char err[128];
	int n = cet_issue(&c);
	struct cert_revlist *rev = calloc(1, sizeof(*rev));
	uint8_t both[2][IDENT_PUB_LEN];
	struct cert_trust t = { .ca = cet_cas(), .nca = 1 };
	struct cert_trust t2 = { .ca = (const uint8_t(*)[IDENT_PUB_LEN])cet_ca2.pub, .nca = 1 };
	struct cert_trust tb = { .ca = (const uint8_t(*)[IDENT_PUB_LEN])both, .nca = 2 };
	struct node_id other;

	cr_assert_not_null(rev);
	cr_assert_eq(cert_decode(c.raw, (size_t)n, &d, err, sizeof(err)), 0);
	cr_assert_eq(cert_check(&d, &t, 999), CERT_NOT_YET_VALID);
	cr_assert_eq(cert_check(&d, &t, 2001), CERT_EXPIRED);
	cr_assert_eq(cert_check(&d, &t2, 1500), CERT_UNTRUSTED_CA);
	memcpy(both[0], cet_ca2.pub, IDENT_PUB_LEN);
	memcpy(both[1], cet_ca.pub, IDENT_PUB_LEN);
	cr_assert_eq(cert_check(&d, &tb, 1500), CERT_OK);
	ident_node_id(cet_ca.pub, &other);
	cr_assert_eq(cert_check_id(&d, &other, &t, 1500), CERT_WRONG_ID);
	/* a certificate signed by CA2 but naming CA1 as its issuer */
	cet_fill(&c);
	cr_assert_gt(cert_issue(&c, &cet_ca2, err, sizeof(err)), 0);
	memcpy(c.raw + 40, cet_ca.pub, IDENT_PUB_LEN);
	cr_assert_eq(cert_decode(c.raw, c.len, &d, err, sizeof(err)), 0);
	cr_assert_eq(cert_check(&d, &t, 1500), CERT_BAD_SIG);
	/* revoked by ID, then by hash */
	cr_assert_gt(cet_issue(&c), 0);
	cr_assert_eq(cert_decode(c.raw, c.len, &d, err, sizeof(err)), 0);
	t.rev = rev;
	cr_assert_eq(cert_check(&d, &t, 1500), CERT_OK);
	rev->ids[rev->nids++] = d.id;
	cr_assert_eq(cert_check(&d, &t, 1500), CERT_REVOKED);
	rev->nids = 0;
	memcpy(rev->hashes[rev->nhashes++], d.hash, CERT_HASH_LEN);
	cr_assert_eq(cert_check(&d, &t, 1500), CERT_REVOKED);
	cr_assert_str_eq(cert_status_names[CERT_REVOKED], "revoked");
	free(rev);
}

Test(cert, issue_rejects_bad_fields)
{
	struct cert c;
	char err[128];

	cet_fill(&c);
	strcpy(c.name, "has space");
	cr_assert_eq(cert_issue(&c, &cet_ca, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "name"));
	cet_fill(&c);
	c.name[0] = '\0';
	cr_assert_eq(cert_issue(&c, &cet_ca, err, sizeof(err)), -EINVAL);
	cet_fill(&c);
	strcpy(c.groups[1], "a/b");
	cr_assert_eq(cert_issue(&c, &cet_ca, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "group 1"), "%s", err);
	cet_fill(&c);
	c.not_after = 10;
	cr_assert_eq(cert_issue(&c, &cet_ca, err, sizeof(err)), -EINVAL);
	cet_fill(&c);
	c.naddr = CERT_MAX_ADDRS + 1;
	cr_assert_eq(cert_issue(&c, &cet_ca, err, sizeof(err)), -EINVAL);
}

Test(cert, largest_certificate_fits)
{
	struct cert c, d;
	char err[128];
	int n;

	cet_fill(&c);
	memset(c.name, 'n', CERT_NAME_MAX);
	c.name[CERT_NAME_MAX] = '\0';
	for (int i = 0; i < CERT_MAX_ADDRS; i++)
		cr_assert_eq(cert_addr_parse("fd00::1/128", &c.addr[i]), 0);
	c.naddr = CERT_MAX_ADDRS;
	for (int i = 0; i < CERT_MAX_GROUPS; i++) {
		memset(c.groups[i], 'g', CERT_GROUP_MAX);
		c.groups[i][CERT_GROUP_MAX] = '\0';
	}
	c.ngroups = CERT_MAX_GROUPS;
	n = cert_issue(&c, &cet_ca, err, sizeof(err));
	cr_assert_eq(n, CERT_MAX_LEN, "%d", n);
	cr_assert_eq(cert_decode(c.raw, (size_t)n, &d, err, sizeof(err)), 0, "%s", err);
}

Test(cert, addr_parse)
{
	struct cert_addr a;

	cr_assert_eq(cert_addr_parse("10.0.0.1/32", &a), 0);
	cr_assert_eq(a.family, 4);
	cr_assert_eq(cert_addr_parse("10.0.0.1/33", &a), -EINVAL);
	cr_assert_eq(cert_addr_parse("10.0.0.1", &a), -EINVAL);
	cr_assert_eq(cert_addr_parse("10.0.0.1/", &a), -EINVAL);
	cr_assert_eq(cert_addr_parse("10.0.0.1/-1", &a), -EINVAL);
	cr_assert_eq(cert_addr_parse("nohost/8", &a), -EINVAL);
	cr_assert_eq(cert_addr_parse("::/0", &a), 0);
	cr_assert_eq(a.family, 6);
	cr_assert_eq(cert_addr_parse("::1/129", &a), -EINVAL);
}

Test(cert, revlist_parse)
{
	struct cert_revlist *r = calloc(1, sizeof(*r));
	const char *ok = "# revoked\n\nid 00000000000000000000000000000002\n"
			 "  id   00000000000000000000000000000001  \n"
			 "cert 0101010101010101010101010101010101010101010101010101010101010101\n";
	char err[128];
	struct node_id want = { .b = { [15] = 1 } };

	cr_assert_not_null(r);
	cr_assert_eq(cert_revlist_parse(ok, strlen(ok), r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r->nids, 2);
	cr_assert_eq(r->nhashes, 1);
	cr_assert(node_id_eq(&r->ids[0], &want)); /* sorted */
	cr_assert_eq(cert_revlist_parse("id 12\n", 6, r, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 1"));
	cr_assert_eq(cert_revlist_parse("\nbogus x\n", 9, r, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 2"), "%s", err);
	cr_assert_eq(cert_revlist_parse("cert 00\n", 8, r, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cert_revlist_parse("id\0 00", 6, r, err, sizeof(err)), -EINVAL);
	free(r);
}
