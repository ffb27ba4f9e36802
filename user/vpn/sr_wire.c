// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vpn/sr_wire.h"
#include "core/wire.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint32_t sr_node_tag(const struct node_id *id)
{
	uint32_t t =
		(uint32_t)(mix(wire_get64(id->b) ^ mix(wire_get64(id->b + 8))) >> 40) & 0xffffff;

	return t ? t : 1;
}

#define FAIL(code, ...) (snprintf(err, errlen, __VA_ARGS__), (code))

/* The checks parse and build share; v is complete. */
static int check(const struct sr_view *v, char *err, size_t errlen)
{
	if (v->version != SR_VERSION)
		return FAIL(-EINVAL, "unknown version %u", v->version);
	if (v->flags)
		return FAIL(-EINVAL, "unknown flags 0x%02x", v->flags);
	if (v->hop_count == 0 || v->hop_count > SR_HOPS_MAX)
		return FAIL(-EINVAL, "hop count %u outside 1..%d", v->hop_count, SR_HOPS_MAX);
	if (v->hop_index >= v->hop_count)
		return FAIL(-EINVAL, "hop index %u past the last entry %u", v->hop_index,
			    v->hop_count - 1);
	if (v->ttl == 0)
		return FAIL(-EINVAL, "ttl 0");
	for (unsigned int i = 0; i < v->hop_count; i++) {
		const struct sr_path_hop *h = &v->hops[i];
		bool last = i + 1 == v->hop_count;

		if (h->tag == 0 || h->tag > 0xffffff)
			return FAIL(-EINVAL, "entry %u: tag 0x%x is not a 24-bit non-zero tag", i,
				    h->tag);
		if (last != (h->label == SR_LABEL_NONE))
			return FAIL(-EINVAL, "entry %u: label %u (only the last entry has label 0)",
				    i, h->label);
		for (unsigned int j = 0; j < i; j++)
			if (v->hops[j].tag == h->tag)
				return FAIL(-EINVAL,
					    "entries %u and %u name the same node (a loop)", j, i);
	}
	return 0;
}

int sr_parse(const uint8_t *buf, size_t len, struct sr_view *v, char *err, size_t errlen)
{
	size_t need;
	int e;

	memset(v, 0, sizeof(*v));
	if (len < SR_HDR_FIXED)
		return FAIL(-EMSGSIZE, "header cut short: %zu of %d fixed bytes", len,
			    SR_HDR_FIXED);
	v->version = buf[0];
	v->hop_count = buf[1];
	v->hop_index = buf[2];
	v->ttl = buf[3];
	v->flags = buf[4];
	if (buf[5] || buf[6] || buf[7])
		return FAIL(-EINVAL, "reserved bytes not zero");
	memcpy(v->src.b, buf + 8, SR_ID_LEN);
	memcpy(v->dst.b, buf + 24, SR_ID_LEN);
	if (v->hop_count == 0 || v->hop_count > SR_HOPS_MAX)
		return FAIL(-EINVAL, "hop count %u outside 1..%d", v->hop_count, SR_HOPS_MAX);
	need = sr_hdr_len(v->hop_count);
	if (len < need)
		return FAIL(-EMSGSIZE, "path cut short: %zu of %zu bytes", len, need);
	for (unsigned int i = 0; i < v->hop_count; i++) {
		const uint8_t *p = buf + SR_HDR_FIXED + i * SR_HOP_LEN;

		v->hops[i].tag = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		v->hops[i].label = p[3];
	}
	e = check(v, err, errlen);
	return e ? e : (int)need;
}

static bool ip_type(unsigned int t)
{
	return t == 0x0800 || t == 0x86DD;
}

int sr_parse_frame(const uint8_t *frame, size_t len, struct sr_view *v, char *err, size_t errlen)
{
	unsigned int et, it;
	size_t inner;
	bool last_form;
	int n;

	memset(v, 0, sizeof(*v));
	if (len < SR_ETH_HLEN)
		return FAIL(-EMSGSIZE, "frame of %zu bytes has no Ethernet header", len);
	et = frame[12] << 8 | frame[13];
	last_form = ip_type(et) && len > SR_ETH_HLEN && frame[SR_ETH_HLEN] == SR_VERSION;
	if (et != SR_ETH_P && !last_form)
		return FAIL(-EINVAL, "EtherType 0x%04x is not 0x%04x", et, SR_ETH_P);
	n = sr_parse(frame + SR_ETH_HLEN, len - SR_ETH_HLEN, v, err, errlen);
	if (n < 0)
		return n;
	inner = len - SR_ETH_HLEN - (size_t)n;
	if (inner < SR_ETH_HLEN)
		return FAIL(-EMSGSIZE, "inner frame of %zu bytes has no Ethernet header", inner);
	it = frame[SR_ETH_HLEN + n + 12] << 8 | frame[SR_ETH_HLEN + n + 13];
	if (last_form && (v->hop_index + 1 != v->hop_count || it != et))
		return FAIL(-EINVAL, "last-link form (EtherType 0x%04x) but %s", et,
			    it != et ? "the inner EtherType differs" : "not on the last link");
	if (!last_form && v->hop_index + 1 == v->hop_count && ip_type(it))
		return FAIL(-EINVAL, "IP inner frame on the last link must use the last-link form");
	return SR_ETH_HLEN + n;
}

int sr_build(const struct sr_view *v, uint8_t *out, size_t cap, char *err, size_t errlen)
{
	size_t need;
	int e = check(v, err, errlen);

	if (e)
		return e;
	need = sr_hdr_len(v->hop_count);
	if (cap < need)
		return FAIL(-ENOSPC, "header needs %zu bytes, buffer has %zu", need, cap);
	memset(out, 0, SR_HDR_FIXED);
	out[0] = v->version;
	out[1] = v->hop_count;
	out[2] = v->hop_index;
	out[3] = v->ttl;
	out[4] = v->flags;
	memcpy(out + 8, v->src.b, SR_ID_LEN);
	memcpy(out + 24, v->dst.b, SR_ID_LEN);
	for (unsigned int i = 0; i < v->hop_count; i++) {
		uint8_t *p = out + SR_HDR_FIXED + i * SR_HOP_LEN;

		p[0] = v->hops[i].tag >> 16;
		p[1] = v->hops[i].tag >> 8;
		p[2] = v->hops[i].tag;
		p[3] = v->hops[i].label;
	}
	return (int)need;
}

int sr_build_frame(const uint8_t dmac[6], const uint8_t smac[6], const struct sr_view *v,
		   const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap, char *err,
		   size_t errlen)
{
	int n;

	if (inner_len < SR_ETH_HLEN)
		return FAIL(-EINVAL, "inner frame of %zu bytes has no Ethernet header", inner_len);
	if (cap < SR_ETH_HLEN)
		return FAIL(-ENOSPC, "buffer of %zu bytes", cap);
	memcpy(out, dmac, 6);
	memcpy(out + 6, smac, 6);
	/* the last link of an IP inner frame: the inner EtherType (sr.h) */
	if (v->hop_index + 1 == v->hop_count && ip_type(inner[12] << 8 | inner[13])) {
		out[12] = inner[12];
		out[13] = inner[13];
	} else {
		out[12] = SR_ETH_P >> 8;
		out[13] = SR_ETH_P & 0xff;
	}
	n = sr_build(v, out + SR_ETH_HLEN, cap - SR_ETH_HLEN, err, errlen);
	if (n < 0)
		return n;
	if (cap - SR_ETH_HLEN - (size_t)n < inner_len)
		return FAIL(-ENOSPC, "frame needs %zu bytes, buffer has %zu",
			    SR_ETH_HLEN + (size_t)n + inner_len, cap);
	memcpy(out + SR_ETH_HLEN + n, inner, inner_len);
	return SR_ETH_HLEN + n + (int)inner_len;
}
