// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for handshake message decoding (core/hs.c). Each input
 * goes to a responder and to an initiator waiting for a RESP, once as is
 * and once with its destination set to the receiver (to get past the
 * address check). Properties: no out-of-bounds access; a reply fits
 * HS_MAX_MSG; nothing a fuzzer can forge (it holds no trusted key)
 * establishes a session.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/hs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hs_ctx fz_resp, fz_init;
static struct hs_peer *fz_peer;
static uint8_t fz_ca_pub[1][IDENT_PUB_LEN];
static struct cert_trust fz_trust = { .ca = (const uint8_t (*)[IDENT_PUB_LEN])fz_ca_pub, .nca = 1 };

static void fz_node(struct hs_ctx *c, uint8_t seed_byte, const struct ident *ca)
{
	static struct cert cert;
	struct ident k;
	uint8_t seed[IDENT_SEED_LEN];
	char err[128];

	memset(seed, seed_byte, sizeof(seed));
	memset(&cert, 0, sizeof(cert));
	if (ident_from_seed(seed, &k))
		abort();
	memcpy(cert.node_pub, k.pub, IDENT_PUB_LEN);
	strcpy(cert.name, "fuzz");
	cert.not_after = ~0ULL;
	if (cert_issue(&cert, ca, err, sizeof(err)) < 0 ||
	    hs_ctx_init(c, &k, cert.raw, cert.len, &fz_trust, NULL, 4, 0))
		abort();
}

static void fz_init_once(void)
{
	struct ident ca;
	uint8_t seed[IDENT_SEED_LEN] = { 0xca };
	struct hs_time t = { 1, 1 };
	static struct hs_out o;

	if (sodium_init() < 0 || ident_from_seed(seed, &ca))
		abort();
	memcpy(fz_ca_pub[0], ca.pub, IDENT_PUB_LEN);
	fz_node(&fz_resp, 1, &ca);
	fz_node(&fz_init, 2, &ca);
	fz_peer = hs_peer_get(&fz_init, &fz_resp.id, 0);
	hs_start(&fz_init, fz_peer, &t, &o);
}

static void fz_one(struct hs_ctx *c, const uint8_t *buf, size_t len)
{
	static struct hs_out o;
	struct hs_time t = { 2, 2 };
	uint64_t est = c->st.established;

	hs_recv(c, buf, len, "fz", 2, &t, &o);
	if (o.len > HS_MAX_MSG || o.drop >= HS_DROP__MAX || c->st.established != est)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[HS_MAX_MSG + 64];

	if (!fz_peer)
		fz_init_once();
	fz_one(&fz_resp, data, size);
	fz_one(&fz_init, data, size);
	if (size < HS_PREFIX_LEN || size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	memcpy(buf + 24, fz_resp.id.b, ID_LEN);
	fz_one(&fz_resp, buf, size);
	memcpy(buf + 8, fz_resp.id.b, ID_LEN);
	memcpy(buf + 24, fz_init.id.b, ID_LEN);
	fz_one(&fz_init, buf, size);
	/* keep the initiator waiting for a RESP */
	if (fz_peer->state != HS_INIT_SENT) {
		struct hs_time t = { 3, 3 };
		static struct hs_out o;

		hs_start(&fz_init, fz_peer, &t, &o);
	}
	return 0;
}
