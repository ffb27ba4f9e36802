/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Node identity: an Ed25519 key pair (libsodium). The node ID is the first
 * 128 bits of BLAKE2b-256 of the public key, so no node can claim an ID
 * without holding its key. Pure code: no I/O, no clock.
 */
#ifndef IPOP_FW_IDENT_H
#define IPOP_FW_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/id.h"

#define IDENT_PUB_LEN  32 /* crypto_sign_PUBLICKEYBYTES */
#define IDENT_SEC_LEN  64 /* crypto_sign_SECRETKEYBYTES (seed || pub) */
#define IDENT_SEED_LEN 32 /* crypto_sign_SEEDBYTES */
#define IDENT_SIG_LEN  64 /* crypto_sign_BYTES */

struct ident {
	uint8_t pub[IDENT_PUB_LEN];
	uint8_t sec[IDENT_SEC_LEN];
};

/* A fresh key pair from the system RNG. 0 or -EIO. */
int ident_generate(struct ident *out);
/* The key pair of a 32-byte seed (the private key file holds the seed). */
int ident_from_seed(const uint8_t seed[IDENT_SEED_LEN], struct ident *out);
/* node ID = BLAKE2b-256(pub)[0..16) */
void ident_node_id(const uint8_t pub[IDENT_PUB_LEN], struct node_id *out);
/* Ed25519 detached signature over data. */
void ident_sign(const struct ident *k, const void *data, size_t len, uint8_t sig[IDENT_SIG_LEN]);
/* 0 if sig is pub's signature over data, -EBADMSG otherwise. */
int ident_verify(const uint8_t pub[IDENT_PUB_LEN], const void *data, size_t len,
		 const uint8_t sig[IDENT_SIG_LEN]);
/* 0 if pub hashes to id and sig checks; -EBADMSG otherwise (rt_ops.verify). */
int ident_verify_origin(const struct node_id *id, const uint8_t pub[IDENT_PUB_LEN],
			const void *data, size_t len, const uint8_t sig[IDENT_SIG_LEN]);
/* Wipe the private half (sodium_memzero). */
void ident_wipe(struct ident *k);

#endif /* IPOP_FW_IDENT_H */
