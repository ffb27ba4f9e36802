// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * SMM header, after the CMM header (all integers big-endian):
 *   u8 version (1) | u8 flags (0) | u16 depth | bcast_id[16] | origin[16]
 *   | from[16] | to[16] | char dmm[16] NUL-padded | data
 */
#include <errno.h>

#include "modules/smm.h"
#include "core/wire.h"

int smm_hdr_encode(const struct smm_hdr *h, uint8_t *buf, size_t cap)
{
	uint8_t *p = buf;

	if (cap < SMM_HDR_LEN || !icc_module_name_ok(h->dmm) || !h->dmm[0])
		return -EINVAL;
	*p++ = SMM_WIRE_VERSION;
	*p++ = h->flags;
	wire_put16(p, h->depth);
	p += 2;
	memcpy(p, h->bcast.b, ID_LEN);
	memcpy(p + ID_LEN, h->origin.b, ID_LEN);
	memcpy(p + 2 * ID_LEN, h->from.b, ID_LEN);
	memcpy(p + 3 * ID_LEN, h->to.b, ID_LEN);
	p += 4 * ID_LEN;
	icc_modfield_put(p, h->dmm);
	return SMM_HDR_LEN;
}

int smm_hdr_decode(const uint8_t *buf, size_t len, struct smm_hdr *h)
{
	const uint8_t *p = buf;

	if (len < SMM_HDR_LEN || p[0] != SMM_WIRE_VERSION || p[1] != 0)
		return -EBADMSG;
	h->version = p[0];
	h->flags = p[1];
	h->depth = wire_get16(p + 2);
	p += 4;
	memcpy(h->bcast.b, p, ID_LEN);
	memcpy(h->origin.b, p + ID_LEN, ID_LEN);
	memcpy(h->from.b, p + 2 * ID_LEN, ID_LEN);
	memcpy(h->to.b, p + 3 * ID_LEN, ID_LEN);
	p += 4 * ID_LEN;
	if (!icc_modfield_get(p, h->dmm) || !h->dmm[0])
		return -EBADMSG;
	return SMM_HDR_LEN;
}

void smm_hop_id(const struct msg_id *bcast, const struct node_id *from, const struct node_id *to,
		struct msg_id *out)
{
	const uint8_t *parts[3] = { bcast->b, from->b, to->b };
	uint64_t a = 0x736d6d2d686f7031ULL, b = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 3; i++) {
		a = id_mix64(a ^ wire_get64(parts[i])) + wire_get64(parts[i] + 8);
		b = id_mix64(b + wire_get64(parts[i] + 8)) ^ wire_get64(parts[i]);
		a = id_mix64(a ^ b);
	}
	wire_put64(out->b, a);
	wire_put64(out->b + 8, b);
}
