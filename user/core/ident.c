// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <sodium.h>

#include "core/ident.h"

_Static_assert(IDENT_PUB_LEN == crypto_sign_PUBLICKEYBYTES, "pub size");
_Static_assert(IDENT_SEC_LEN == crypto_sign_SECRETKEYBYTES, "sec size");
_Static_assert(IDENT_SEED_LEN == crypto_sign_SEEDBYTES, "seed size");
_Static_assert(IDENT_SIG_LEN == crypto_sign_BYTES, "sig size");

int ident_generate(struct ident *out)
{
	if (sodium_init() < 0)
		return -EIO;
	return crypto_sign_keypair(out->pub, out->sec) ? -EIO : 0;
}

int ident_from_seed(const uint8_t seed[IDENT_SEED_LEN], struct ident *out)
{
	if (sodium_init() < 0)
		return -EIO;
	return crypto_sign_seed_keypair(out->pub, out->sec, seed) ? -EIO : 0;
}

void ident_node_id(const uint8_t pub[IDENT_PUB_LEN], struct node_id *out)
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), pub, IDENT_PUB_LEN, NULL, 0);
	memcpy(out->b, h, ID_LEN);
}

void ident_sign(const struct ident *k, const void *data, size_t len, uint8_t sig[IDENT_SIG_LEN])
{
	crypto_sign_detached(sig, NULL, data, len, k->sec);
}

int ident_verify(const uint8_t pub[IDENT_PUB_LEN], const void *data, size_t len,
		 const uint8_t sig[IDENT_SIG_LEN])
{
	return crypto_sign_verify_detached(sig, data, len, pub) ? -EBADMSG : 0;
}

int ident_verify_origin(const struct node_id *id, const uint8_t pub[IDENT_PUB_LEN],
			const void *data, size_t len, const uint8_t sig[IDENT_SIG_LEN])
{
	struct node_id got;

	ident_node_id(pub, &got);
	if (!node_id_eq(&got, id))
		return -EBADMSG;
	return ident_verify(pub, data, len, sig);
}

void ident_wipe(struct ident *k)
{
	sodium_memzero(k->sec, sizeof(k->sec));
}
