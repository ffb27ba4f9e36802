// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TLFM header, after the CMM header (integers big-endian):
 *   u8 version (1) | u8 flags | u16 depth | u32 tokens | flood_id[16]
 *   | origin[16] | char dmm[16] NUL-padded | u8 nknown (<= 8)
 *   | known[nknown][16] | data
 */
#include <errno.h>

#include "modules/tlfm.h"

static bool dmm_ok(const char *dmm)
{
	return dmm[0] && icc_module_name_ok(dmm);
}

int tlfm_hdr_encode(const struct tlfm_hdr *h, uint8_t *buf, size_t cap)
{
	size_t need = TLFM_HDR_LEN + (size_t)h->nknown * ID_LEN;
	uint8_t *p = buf;

	if (h->nknown > TLFM_KNOWN_MAX || cap < need || !dmm_ok(h->dmm) ||
	    (h->flags & ~TLFM_F_MASK))
		return -EINVAL;
	*p++ = TLFM_WIRE_VERSION;
	*p++ = h->flags;
	*p++ = (uint8_t)(h->depth >> 8);
	*p++ = (uint8_t)h->depth;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(h->tokens >> (24 - 8 * i));
	memcpy(p, h->flood.b, ID_LEN);
	memcpy(p + ID_LEN, h->origin.b, ID_LEN);
	p += 2 * ID_LEN;
	memset(p, 0, ICC_MOD_LEN);
	memcpy(p, h->dmm, strnlen(h->dmm, ICC_MOD_LEN));
	p += ICC_MOD_LEN;
	*p++ = h->nknown;
	for (int i = 0; i < h->nknown; i++, p += ID_LEN)
		memcpy(p, h->known[i].b, ID_LEN);
	return (int)need;
}

int tlfm_hdr_decode(const uint8_t *buf, size_t len, struct tlfm_hdr *h)
{
	const uint8_t *p = buf;
	size_t need;

	if (len < TLFM_HDR_LEN || p[0] != TLFM_WIRE_VERSION || (p[1] & ~TLFM_F_MASK))
		return -EBADMSG;
	h->version = p[0];
	h->flags = p[1];
	h->depth = (uint16_t)(p[2] << 8 | p[3]);
	h->tokens = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	p += 8;
	memcpy(h->flood.b, p, ID_LEN);
	memcpy(h->origin.b, p + ID_LEN, ID_LEN);
	p += 2 * ID_LEN;
	memcpy(h->dmm, p, ICC_MOD_LEN);
	h->dmm[ICC_MOD_LEN] = '\0';
	for (size_t i = strlen(h->dmm); i < ICC_MOD_LEN; i++)
		if (p[i])
			return -EBADMSG;
	if (!dmm_ok(h->dmm))
		return -EBADMSG;
	p += ICC_MOD_LEN;
	h->nknown = *p++;
	need = TLFM_HDR_LEN + (size_t)h->nknown * ID_LEN;
	if (h->nknown > TLFM_KNOWN_MAX || len < need)
		return -EBADMSG;
	if (!(h->flags & TLFM_F_PLAIN) && h->tokens == 0)
		return -EBADMSG;
	for (int i = 0; i < h->nknown; i++, p += ID_LEN)
		memcpy(h->known[i].b, p, ID_LEN);
	return (int)need;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void tlfm_hop_id(const struct msg_id *flood, const struct node_id *from, uint64_t seq,
		 struct msg_id *out)
{
	uint64_t a = mix64(load64(flood->b) ^ 0x746c666d2d686f70ULL) + load64(from->b + 8);
	uint64_t b = mix64(load64(flood->b + 8) + seq) ^ load64(from->b);

	a = mix64(a ^ mix64(b));
	b = mix64(b + a + seq);
	for (int i = 0; i < 8; i++) {
		out->b[i] = (uint8_t)(a >> (56 - 8 * i));
		out->b[8 + i] = (uint8_t)(b >> (56 - 8 * i));
	}
}
