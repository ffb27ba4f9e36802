/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Identity files: key pairs, certificates and revocation lists on disk
 * (formats in docs/identity.md). Used by the daemon and the CLI. Private
 * key files are written 0600 and refused when group or other may read them.
 * All return 0 or -errno with err naming the file and the problem.
 */
#ifndef IPOP_FW_KEYFILE_H
#define IPOP_FW_KEYFILE_H

#include <stddef.h>

#include "core/cert.h"

#define KEYFILE_PRIV_TAG "ipop-bpf-ed25519-private-key-v1"
#define KEYFILE_PUB_TAG	 "ipop-bpf-ed25519-public-key-v1"

/* path (private, 0600) and path.pub (public, 0644); refuses to overwrite. */
int keyfile_write_pair(const char *path, const struct ident *k, char *err, size_t errlen);
/* The key pair from a private key file (mode must deny group/other). Wipe with ident_wipe. */
int keyfile_read_private(const char *path, struct ident *out, char *err, size_t errlen);
int keyfile_read_public(const char *path, uint8_t pub[IDENT_PUB_LEN], char *err, size_t errlen);
/* A certificate file holds the binary encoding (core/cert.h). */
int keyfile_write_cert(const char *path, const struct cert *c, char *err, size_t errlen);
int keyfile_read_cert(const char *path, struct cert *out, char *err, size_t errlen);
/* Revocation list text (cert_revlist_parse). */
int keyfile_read_revlist(const char *path, struct cert_revlist *out, char *err, size_t errlen);

#endif /* IPOP_FW_KEYFILE_H */
