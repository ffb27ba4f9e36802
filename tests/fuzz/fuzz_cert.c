// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the certificate decoder and the revocation-list
 * parser. Properties: no out-of-bounds read; a decoded certificate has its
 * fields in bounds and re-issues (under the harness CA) to a certificate
 * that decodes to the same fields; the check never accepts a certificate
 * whose signature was not made by the trusted CA.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ident fuzz_ca;
static struct cert_revlist fuzz_rev;

static void check_decoded(const struct cert *c)
{
	static struct cert re, back;
	struct cert_trust t = { .ca = (const uint8_t(*)[IDENT_PUB_LEN])fuzz_ca.pub, .nca = 1 };
	char err[160];

	if (c->naddr > CERT_MAX_ADDRS || c->ngroups > CERT_MAX_GROUPS || !c->name[0] ||
	    c->len > CERT_MAX_LEN || c->not_after < c->not_before)
		abort();
	/* nobody but the harness holds fuzz_ca's key: a fuzzed input never checks */
	if (cert_check(c, &t, c->not_before) == CERT_OK)
		abort();
	re = *c;
	if (cert_issue(&re, &fuzz_ca, err, sizeof(err)) != c->len)
		abort();
	if (cert_decode(re.raw, re.len, &back, err, sizeof(err)) ||
	    cert_check(&back, &t, back.not_after) != CERT_OK)
		abort();
	if (strcmp(back.name, c->name) || back.naddr != c->naddr || back.ngroups != c->ngroups ||
	    memcmp(back.addr, c->addr, sizeof(c->addr)) ||
	    memcmp(back.groups, c->groups, sizeof(c->groups)) || !node_id_eq(&back.id, &c->id))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cert c;
	static const uint8_t seed[IDENT_SEED_LEN] = { 0x5e, 0xed };
	char err[160];

	if (!fuzz_ca.pub[0] && ident_from_seed(seed, &fuzz_ca))
		abort();
	if (cert_decode(data, size, &c, err, sizeof(err)) == 0)
		check_decoded(&c);
	else if (!err[0])
		abort();
	if (cert_revlist_parse((const char *)data, size, &fuzz_rev, err, sizeof(err)) == 0) {
		if (fuzz_rev.nids > CERT_REV_MAX || fuzz_rev.nhashes > CERT_REV_MAX)
			abort();
		for (uint32_t i = 1; i < fuzz_rev.nids; i++)
			if (memcmp(&fuzz_rev.ids[i - 1], &fuzz_rev.ids[i], ID_LEN) > 0)
				abort();
	}
	return 0;
}
