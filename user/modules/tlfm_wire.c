// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TLFM header, after the CMM header (integers big-endian):
 *   u8 version (1) | u8 flags | u16 depth | u32 tokens | flood_id[16]
 *   | origin[16] | char dmm[16] NUL-padded | u8 nknown (<= 8)
 *   | known[nknown][16] | data
 */
#include <errno.h>

#include "modules/tlfm.h"
#include "core/wire.h"

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
	wire_put16(p, h->depth);
	wire_put32(p + 2, h->tokens);
	p += 6;
	memcpy(p, h->flood.b, ID_LEN);
	memcpy(p + ID_LEN, h->origin.b, ID_LEN);
	p += 2 * ID_LEN;
	icc_modfield_put(p, h->dmm);
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
	h->depth = wire_get16(p + 2);
	h->tokens = wire_get32(p + 4);
	p += 8;
	memcpy(h->flood.b, p, ID_LEN);
	memcpy(h->origin.b, p + ID_LEN, ID_LEN);
	p += 2 * ID_LEN;
	if (!icc_modfield_get(p, h->dmm) || !h->dmm[0])
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

void tlfm_hop_id(const struct msg_id *flood, const struct node_id *from, uint64_t seq,
		 struct msg_id *out)
{
	uint64_t a =
		id_mix64(wire_get64(flood->b) ^ 0x746c666d2d686f70ULL) + wire_get64(from->b + 8);
	uint64_t b = id_mix64(wire_get64(flood->b + 8) + seq) ^ wire_get64(from->b);

	a = id_mix64(a ^ id_mix64(b));
	b = id_mix64(b + a + seq);
	wire_put64(out->b, a);
	wire_put64(out->b + 8, b);
}
