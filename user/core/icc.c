// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <sodium.h>

#include "core/icc.h"

/* Offsets in the header (network byte order). */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 2,
	OFF_TYPE = 3,
	OFF_FLAGS = 4,
	OFF_TTL = 5,
	OFF_LEN = 6,
	OFF_MODULE = 8,
	OFF_ID = 24,
	OFF_SRC = 40,
	OFF_DST = 56,
	OFF_SID = 72,
	OFF_SEQ = 80,
	OFF_END = 88,
};

_Static_assert(OFF_END == ICC_HDR_LEN, "header layout");
_Static_assert(ICC_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(ICC_KEY_LEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "key size");

const char *const icc_drop_names[ICC_DROP__MAX] = {
	[ICC_OK] = "ok",
	[ICC_DROP_MALFORMED] = "malformed",
	[ICC_DROP_OVERSIZED] = "oversized",
	[ICC_DROP_BAD_AUTH] = "bad_auth",
	[ICC_DROP_REPLAY] = "replay",
	[ICC_DROP_WRONG_DEST] = "wrong_dest",
	[ICC_DROP_UNKNOWN_MODULE] = "unknown_module",
	[ICC_DROP_NO_SESSION] = "no_session",
	[ICC_DROP_HANDSHAKE] = "handshake",
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

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

static int modchar_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int icc_module_name_ok(const char *name)
{
	size_t n = strnlen(name, ICC_MOD_LEN + 1);

	if (n > ICC_MOD_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!modchar_ok(name[i]))
			return 0;
	return 1;
}

static void nonce_of(uint64_t seq, uint8_t n[crypto_aead_chacha20poly1305_ietf_NPUBBYTES])
{
	memset(n, 0, crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
	put64(n + 4, seq);
}

int icc_seal(const struct icc_hdr *h, const void *payload, size_t len,
	     const uint8_t key[ICC_KEY_LEN], uint8_t *buf, size_t cap)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	size_t total = ICC_HDR_LEN + len + ICC_TAG_LEN;
	size_t mlen = strnlen(h->module, ICC_MOD_LEN + 1);

	if (len > ICC_MAX_PAYLOAD || total > cap)
		return -EMSGSIZE;
	if (h->type == 0 || h->type >= ICC_T__MAX || !icc_module_name_ok(h->module))
		return -EINVAL;
	put16(buf + OFF_MAGIC, ICC_MAGIC);
	buf[OFF_VERSION] = ICC_VERSION;
	buf[OFF_TYPE] = h->type;
	buf[OFF_FLAGS] = h->flags;
	buf[OFF_TTL] = h->ttl;
	put16(buf + OFF_LEN, (uint16_t)len);
	memset(buf + OFF_MODULE, 0, ICC_MOD_LEN);
	memcpy(buf + OFF_MODULE, h->module, mlen);
	memcpy(buf + OFF_ID, h->id.b, ID_LEN);
	memcpy(buf + OFF_SRC, h->src.b, ID_LEN);
	memcpy(buf + OFF_DST, h->dst.b, ID_LEN);
	put64(buf + OFF_SID, h->sid);
	put64(buf + OFF_SEQ, h->seq);
	nonce_of(h->seq, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf + ICC_HDR_LEN,
							   buf + ICC_HDR_LEN + len, NULL, payload,
							   len, buf, ICC_HDR_LEN, NULL, nonce, key);
	return (int)total;
}

/* Module field: name chars, then only NULs. */
static int module_field_ok(const uint8_t *f, char out[ICC_MOD_LEN + 1])
{
	size_t n = 0;

	while (n < ICC_MOD_LEN && f[n])
		n++;
	for (size_t i = n; i < ICC_MOD_LEN; i++)
		if (f[i])
			return 0;
	memcpy(out, f, n);
	out[n] = '\0';
	return icc_module_name_ok(out);
}

static enum icc_rc check_layout(const uint8_t *buf, size_t len)
{
	size_t plen;

	if (len > ICC_MAX_DGRAM)
		return ICC_DROP_OVERSIZED;
	if (len < ICC_HDR_LEN + ICC_TAG_LEN)
		return ICC_DROP_MALFORMED;
	if (get16(buf + OFF_MAGIC) != ICC_MAGIC || buf[OFF_VERSION] != ICC_VERSION)
		return ICC_DROP_MALFORMED;
	if (buf[OFF_TYPE] == 0 || buf[OFF_TYPE] >= ICC_T__MAX)
		return ICC_DROP_MALFORMED;
	plen = get16(buf + OFF_LEN);
	if (plen > ICC_MAX_PAYLOAD)
		return ICC_DROP_OVERSIZED;
	if (ICC_HDR_LEN + plen + ICC_TAG_LEN != len)
		return ICC_DROP_MALFORMED;
	return ICC_OK;
}

enum icc_rc icc_parse(const uint8_t *buf, size_t len, struct icc_msg *out)
{
	struct icc_hdr *h = &out->h;
	enum icc_rc rc = check_layout(buf, len);

	if (rc != ICC_OK)
		return rc;
	if (!module_field_ok(buf + OFF_MODULE, h->module))
		return ICC_DROP_MALFORMED;
	h->type = buf[OFF_TYPE];
	h->flags = buf[OFF_FLAGS];
	h->ttl = buf[OFF_TTL];
	h->len = get16(buf + OFF_LEN);
	memcpy(h->id.b, buf + OFF_ID, ID_LEN);
	memcpy(h->src.b, buf + OFF_SRC, ID_LEN);
	memcpy(h->dst.b, buf + OFF_DST, ID_LEN);
	h->sid = get64(buf + OFF_SID);
	h->seq = get64(buf + OFF_SEQ);
	out->payload = buf + ICC_HDR_LEN;
	return ICC_OK;
}

enum icc_rc icc_open(uint8_t *buf, size_t len, const uint8_t key[ICC_KEY_LEN], struct icc_msg *m)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	size_t plen = m->h.len;

	if (len != ICC_HDR_LEN + plen + ICC_TAG_LEN)
		return ICC_DROP_MALFORMED;
	nonce_of(m->h.seq, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    buf + ICC_HDR_LEN, NULL, buf + ICC_HDR_LEN, plen, buf + ICC_HDR_LEN + plen, buf,
		    ICC_HDR_LEN, nonce, key) != 0)
		return ICC_DROP_BAD_AUTH;
	m->payload = buf + ICC_HDR_LEN;
	return ICC_OK;
}
