// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SRUM data header and route error codec (layouts in srum.h and README.md). */
#include <errno.h>

#include "modules/srum.h"

int srum_msg_type(const uint8_t *buf, size_t len)
{
	if (len < 2 || buf[0] != SRUM_WIRE_VERSION ||
	    (buf[1] != SRUM_T_DATA && buf[1] != SRUM_T_RERR))
		return -EBADMSG;
	return buf[1];
}

int srum_data_encode(const struct srum_data_hdr *h, uint8_t *buf, size_t cap)
{
	size_t need = SRUM_DATA_HDR(h->npath, h->salvage);
	uint8_t *p = buf;

	if (!h->npath || h->npath > SR_HOPS_MAX || h->pos >= h->npath || cap < need || !h->dmm[0] ||
	    !icc_module_name_ok(h->dmm))
		return -EINVAL;
	*p++ = SRUM_WIRE_VERSION;
	*p++ = SRUM_T_DATA;
	*p++ = h->npath;
	*p++ = h->pos;
	*p++ = h->ttl;
	*p++ = h->salvage;
	*p++ = 0;
	*p++ = 0;
	memcpy(p, h->src.b, ID_LEN);
	memcpy(p + ID_LEN, h->dst.b, ID_LEN);
	p += 2 * ID_LEN;
	icc_modfield_put(p, h->dmm);
	p += ICC_MOD_LEN;
	if (h->salvage) {
		memcpy(p, h->start.b, ID_LEN);
		p += ID_LEN;
	}
	for (int i = 0; i < h->npath; i++, p += ID_LEN)
		memcpy(p, h->path[i].b, ID_LEN);
	return (int)need;
}

int srum_data_decode(const uint8_t *buf, size_t len, struct srum_data_hdr *h)
{
	const uint8_t *p = buf;
	size_t need;

	if (len < SRUM_DATA_HDR(0, 0) || srum_msg_type(buf, len) != SRUM_T_DATA || p[6] || p[7])
		return -EBADMSG;
	h->npath = p[2];
	h->pos = p[3];
	h->ttl = p[4];
	h->salvage = p[5];
	if (!h->npath || h->npath > SR_HOPS_MAX || h->pos >= h->npath)
		return -EBADMSG;
	need = SRUM_DATA_HDR(h->npath, h->salvage);
	if (len < need)
		return -EBADMSG;
	p += 8;
	memcpy(h->src.b, p, ID_LEN);
	memcpy(h->dst.b, p + ID_LEN, ID_LEN);
	p += 2 * ID_LEN;
	if (!icc_modfield_get(p, h->dmm) || !h->dmm[0])
		return -EBADMSG;
	p += ICC_MOD_LEN;
	h->start = h->src;
	if (h->salvage) {
		memcpy(h->start.b, p, ID_LEN);
		p += ID_LEN;
	}
	for (int i = 0; i < h->npath; i++, p += ID_LEN)
		memcpy(h->path[i].b, p, ID_LEN);
	if (!node_id_eq(&h->path[h->npath - 1], &h->dst) ||
	    !sr_loop_free(&h->start, h->path, h->npath))
		return -EBADMSG;
	return (int)need;
}

int srum_rerr_encode(const struct srum_rerr *e, uint8_t *buf, size_t cap, size_t *body_len)
{
	size_t bl = SRUM_RERR_BODY(e->nback);
	uint8_t *p = buf;
	int al;

	if (!e->nback || e->nback > SR_HOPS_MAX || e->pos >= e->nback || cap < bl)
		return -EINVAL;
	*p++ = SRUM_WIRE_VERSION;
	*p++ = SRUM_T_RERR;
	*p++ = e->nback;
	*p++ = e->pos;
	memset(p, 0, 4);
	p += 4;
	memcpy(p, e->origin.b, ID_LEN);
	memcpy(p + ID_LEN, e->broken.b, ID_LEN);
	memcpy(p + 2 * ID_LEN, e->src.b, ID_LEN);
	p += 3 * ID_LEN;
	for (int i = 0; i < e->nback; i++, p += ID_LEN)
		memcpy(p, e->back[i].b, ID_LEN);
	if (body_len)
		*body_len = bl;
	al = sr_auth_encode(&e->auth, p, cap - bl);
	return al < 0 ? al : (int)(bl + (size_t)al);
}

int srum_rerr_decode(const uint8_t *buf, size_t len, struct srum_rerr *e, size_t *body_len)
{
	const uint8_t *p = buf;
	size_t bl;

	if (len < SRUM_RERR_BODY(0) || srum_msg_type(buf, len) != SRUM_T_RERR || p[4] || p[5] ||
	    p[6] || p[7])
		return -EBADMSG;
	e->nback = p[2];
	e->pos = p[3];
	if (!e->nback || e->nback > SR_HOPS_MAX || e->pos >= e->nback)
		return -EBADMSG;
	bl = SRUM_RERR_BODY(e->nback);
	if (len < bl)
		return -EBADMSG;
	p += 8;
	memcpy(e->origin.b, p, ID_LEN);
	memcpy(e->broken.b, p + ID_LEN, ID_LEN);
	memcpy(e->src.b, p + 2 * ID_LEN, ID_LEN);
	p += 3 * ID_LEN;
	for (int i = 0; i < e->nback; i++, p += ID_LEN)
		memcpy(e->back[i].b, p, ID_LEN);
	if (!node_id_eq(&e->back[e->nback - 1], &e->src) ||
	    !sr_loop_free(&e->origin, e->back, e->nback) || node_id_eq(&e->origin, &e->broken))
		return -EBADMSG;
	if (body_len)
		*body_len = bl;
	return sr_auth_decode(p, len - bl, &e->auth) < 0 ? -EBADMSG : 0;
}
