// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * SMM header, after the CMM header (all integers big-endian):
 *   u8 version (1) | u8 flags (0) | u16 depth | bcast_id[16] | origin[16]
 *   | from[16] | to[16] | char dmm[16] NUL-padded | data
 */
#include <errno.h>

#include "modules/smm.h"

int smm_hdr_encode(const struct smm_hdr *h, uint8_t *buf, size_t cap)
{
	uint8_t *p = buf;

	if (cap < SMM_HDR_LEN || !icc_module_name_ok(h->dmm) || !h->dmm[0])
		return -EINVAL;
	*p++ = SMM_WIRE_VERSION;
	*p++ = h->flags;
	*p++ = (uint8_t)(h->depth >> 8);
	*p++ = (uint8_t)h->depth;
	memcpy(p, h->bcast.b, ID_LEN);
	memcpy(p + ID_LEN, h->origin.b, ID_LEN);
	memcpy(p + 2 * ID_LEN, h->from.b, ID_LEN);
	memcpy(p + 3 * ID_LEN, h->to.b, ID_LEN);
	p += 4 * ID_LEN;
	memset(p, 0, ICC_MOD_LEN);
	memcpy(p, h->dmm, strnlen(h->dmm, ICC_MOD_LEN));
	return SMM_HDR_LEN;
}

int smm_hdr_decode(const uint8_t *buf, size_t len, struct smm_hdr *h)
{
	const uint8_t *p = buf;

	if (len < SMM_HDR_LEN || p[0] != SMM_WIRE_VERSION || p[1] != 0)
		return -EBADMSG;
	h->version = p[0];
	h->flags = p[1];
	h->depth = (uint16_t)(p[2] << 8 | p[3]);
	p += 4;
	memcpy(h->bcast.b, p, ID_LEN);
	memcpy(h->origin.b, p + ID_LEN, ID_LEN);
	memcpy(h->from.b, p + 2 * ID_LEN, ID_LEN);
	memcpy(h->to.b, p + 3 * ID_LEN, ID_LEN);
	p += 4 * ID_LEN;
	memcpy(h->dmm, p, ICC_MOD_LEN);
	h->dmm[ICC_MOD_LEN] = '\0';
	for (size_t i = strlen(h->dmm); i < ICC_MOD_LEN; i++)
		if (p[i])
			return -EBADMSG;
	if (!h->dmm[0] || !icc_module_name_ok(h->dmm))
		return -EBADMSG;
	return SMM_HDR_LEN;
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

void smm_hop_id(const struct msg_id *bcast, const struct node_id *from, const struct node_id *to,
		struct msg_id *out)
{
	const uint8_t *parts[3] = { bcast->b, from->b, to->b };
	uint64_t a = 0x736d6d2d686f7031ULL, b = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 3; i++) {
		a = mix64(a ^ load64(parts[i])) + load64(parts[i] + 8);
		b = mix64(b + load64(parts[i] + 8)) ^ load64(parts[i]);
		a = mix64(a ^ b);
	}
	for (int i = 0; i < 8; i++) {
		out->b[i] = (uint8_t)(a >> (56 - 8 * i));
		out->b[8 + i] = (uint8_t)(b >> (56 - 8 * i));
	}
}
