// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * IPFIX record builder, encoder and decoder; see ipfix.h. The encoding is
 * libfixbuf's: one internal template (struct ipfix_rec) and three external
 * templates (IPv4, IPv6, non-IP) made from the same element table.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fixbuf/public.h>

#include "flow/ipfix.h"

#define TID_INTERNAL 0x8000

_Static_assert(sizeof(struct ipfix_rec) == 152, "struct ipfix_rec is the internal template");

/* ---- record builder ---- */

void ipfix_clock_now(struct ipfix_clock *c)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	c->real_minus_mono_ns =
		((int64_t)r.tv_sec - m.tv_sec) * 1000000000ll + ((int64_t)r.tv_nsec - m.tv_nsec);
}

uint64_t ipfix_wall_ms(const struct ipfix_clock *c, uint64_t mono_ns)
{
	int64_t ns = (int64_t)mono_ns + c->real_minus_mono_ns;

	return ns > 0 ? (uint64_t)ns / 1000000u : 0;
}

uint8_t ipfix_end_reason(unsigned int stats_reason)
{
	switch (stats_reason) {
	case STATS_END_IDLE:
		return IPFIX_END_IDLE;
	case STATS_END_ACTIVE:
		return IPFIX_END_ACTIVE;
	case STATS_END_EVICTED: /* the LRU map made room: "lack of resources" */
		return IPFIX_END_RESOURCE;
	default:
		return IPFIX_END_FORCED;
	}
}

uint16_t ipfix_rec_tid(const struct flow_key *k)
{
	uint16_t ovl = k->flags & FLOW_KEY_OVERLAY ? IPFIX_TID_V4_OVL - IPFIX_TID_V4 : 0;

	return ovl + (k->l3 == FLOW_L3_IPV4   ? IPFIX_TID_V4
		      : k->l3 == FLOW_L3_IPV6 ? IPFIX_TID_V6
					      : IPFIX_TID_OTHER);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void ipfix_rec_build(struct ipfix_rec *r, const struct stats_ended *e, const struct ipfix_clock *c)
{
	const struct flow_key *k = &e->key;
	const struct flow_value *v = &e->val;
	uint64_t l2 = (uint64_t)v->l2_len * v->packets;

	memset(r, 0, sizeof(*r));
	r->start_ms = ipfix_wall_ms(c, v->first_seen_ns);
	r->end_ms = ipfix_wall_ms(c, v->last_seen_ns);
	r->packets = v->packets;
	r->l2_octets = v->bytes;
	r->octets = v->bytes > l2 ? v->bytes - l2 : 0;
	r->skbs = v->packets >= v->seg_extra ? v->packets - v->seg_extra : 0;
	if (k->l3 == FLOW_L3_IPV4) {
		r->src4 = be32(k->src);
		r->dst4 = be32(k->dst);
	} else if (k->l3 == FLOW_L3_IPV6) {
		memcpy(r->src6, k->src, 16);
		memcpy(r->dst6, k->dst, 16);
	}
	if (k->dir == FLOW_DIR_EGRESS)
		r->out_if = k->ifindex;
	else
		r->in_if = k->ifindex;
	r->table_id = v->table_id;
	if (k->flags & FLOW_KEY_OVERLAY) {
		memcpy(r->src_node, v->src_node, 16);
		memcpy(r->dst_node, v->dst_node, 16);
	}
	if (k->l3 == FLOW_L3_IPV4 && k->proto == 1)
		r->icmp4 = (uint16_t)(k->sport << 8 | (k->dport & 0xff));
	else if (k->l3 == FLOW_L3_IPV6 && k->proto == 58)
		r->icmp6 = (uint16_t)(k->sport << 8 | (k->dport & 0xff));
	else {
		r->sport = k->sport;
		r->dport = k->dport;
	}
	r->tcp_flags = k->proto == 6 ? (uint16_t)(v->tcp_flags & 0xff) : 0;
	r->vlan = k->vlan;
	r->ethertype = k->ethertype;
	r->proto = k->proto;
	r->direction = k->dir == FLOW_DIR_EGRESS;
	r->end_reason = ipfix_end_reason(e->reason);
}

/* ---- information model and templates ---- */

/* M_OVL: only in the overlay templates (a plain template's mask plus M_OVL) */
enum { M_V4 = 1, M_V6 = 2, M_OTHER = 4, M_ALL = 7, M_OVL = 8, M_INTERNAL = 0 };

static const struct field {
	const char *name;
	uint16_t len;
	unsigned int in; /* external templates carrying it (M_*); 0: internal only */
} fields[] = {
	{ "flowStartMilliseconds", 8, M_ALL },
	{ "flowEndMilliseconds", 8, M_ALL },
	{ "octetDeltaCount", 8, M_V4 | M_V6 },
	{ "packetDeltaCount", 8, M_ALL },
	{ "layer2OctetDeltaCount", 8, M_ALL },
	{ "ipopSkbDeltaCount", 8, M_ALL },
	{ "sourceIPv6Address", 16, M_V6 },
	{ "destinationIPv6Address", 16, M_V6 },
	{ "ipopOverlaySourceNodeId", 16, M_OVL },
	{ "ipopOverlayDestinationNodeId", 16, M_OVL },
	{ "sourceIPv4Address", 4, M_V4 },
	{ "destinationIPv4Address", 4, M_V4 },
	{ "ingressInterface", 4, M_ALL },
	{ "egressInterface", 4, M_ALL },
	{ "ipopFlowTableId", 4, M_ALL },
	{ "sourceTransportPort", 2, M_V4 | M_V6 },
	{ "destinationTransportPort", 2, M_V4 | M_V6 },
	{ "icmpTypeCodeIPv4", 2, M_V4 },
	{ "icmpTypeCodeIPv6", 2, M_V6 },
	{ "tcpControlBits", 2, M_V4 | M_V6 },
	{ "vlanId", 2, M_ALL },
	{ "ethernetType", 2, M_OTHER },
	{ "protocolIdentifier", 1, M_V4 | M_V6 },
	{ "flowDirection", 1, M_ALL },
	{ "flowEndReason", 1, M_ALL },
	{ "paddingOctets", 3, M_INTERNAL },
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static fbInfoElement_t ipop_elements[] = {
	FB_IE_INIT_FULL("ipopFlowTableId", IPFIX_PEN, IPFIX_IE_FLOW_TABLE_ID, 4,
			FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 0, FB_UINT_32,
			"ipop-bpf flow table the flow matched (0 = none)"),
	FB_IE_INIT_FULL("ipopSkbDeltaCount", IPFIX_PEN, IPFIX_IE_SKB_DELTA_COUNT, 8,
			FB_IE_F_ENDIAN | FB_IE_DELTACOUNTER | FB_UNITS_PACKETS, 0, 0, FB_UINT_64,
			"skbs (frames as the hook saw them, a GSO skb as one) since the last "
			"record"),
	FB_IE_INIT_FULL("ipopOverlaySourceNodeId", IPFIX_PEN, IPFIX_IE_OVERLAY_SRC, 16,
			FB_IE_IDENTIFIER, 0, 0, FB_OCTET_ARRAY,
			"overlay node ID (16 bytes) that sent the source-routed frames"),
	FB_IE_INIT_FULL("ipopOverlayDestinationNodeId", IPFIX_PEN, IPFIX_IE_OVERLAY_DST, 16,
			FB_IE_IDENTIFIER, 0, 0, FB_OCTET_ARRAY,
			"overlay node ID (16 bytes) the source-routed frames go to"),
	FB_IE_NULL,
};

static void gerr(GError **ge, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, *ge ? (*ge)->message : "libfixbuf error");
	g_clear_error(ge);
}

static fbInfoModel_t *model_new(void)
{
	fbInfoModel_t *m = fbInfoModelAlloc();

	fbInfoModelAddElementArray(m, ipop_elements);
	return m;
}

/*
 * The template of the fields in mask (M_INTERNAL: all of them; with M_OVL,
 * those of the rest of mask plus the overlay ones).
 */
static fbTemplate_t *tmpl_new(fbInfoModel_t *m, unsigned int mask, char *err, size_t errlen)
{
	fbInfoElementSpec_t spec[N_FIELDS + 1];
	fbTemplate_t *t = fbTemplateAlloc(m);
	GError *ge = NULL;
	size_t n = 0;

	for (size_t i = 0; i < N_FIELDS; i++) {
		if (mask != M_INTERNAL && !(fields[i].in & mask))
			continue;
		spec[n].name = (char *)fields[i].name;
		spec[n].len_override = fields[i].len;
		spec[n].flags = 0;
		n++;
	}
	memset(&spec[n], 0, sizeof(spec[n]));
	if (!fbTemplateAppendSpecArray(t, spec, 0, &ge)) {
		gerr(&ge, err, errlen, "IPFIX template");
		fbTemplateFreeUnused(t);
		return NULL;
	}
	return t;
}

/* Internal and the three external templates into session s. 0 or -EINVAL. */
static int session_templates(fbSession_t *s, fbInfoModel_t *m, bool external, char *err,
			     size_t errlen)
{
	static const struct {
		uint16_t tid;
		unsigned int mask;
	} ext[] = { { IPFIX_TID_V4, M_V4 },
		    { IPFIX_TID_V6, M_V6 },
		    { IPFIX_TID_OTHER, M_OTHER },
		    { IPFIX_TID_V4_OVL, M_V4 | M_OVL },
		    { IPFIX_TID_V6_OVL, M_V6 | M_OVL },
		    { IPFIX_TID_OTHER_OVL, M_OTHER | M_OVL } };
	GError *ge = NULL;
	fbTemplate_t *t = tmpl_new(m, M_INTERNAL, err, errlen);

	if (!t)
		return -EINVAL;
	if (!fbSessionAddTemplate(s, TRUE, TID_INTERNAL, t, &ge)) {
		fbTemplateFreeUnused(t);
		return gerr(&ge, err, errlen, "IPFIX internal template"), -EINVAL;
	}
	for (size_t i = 0; external && i < sizeof(ext) / sizeof(ext[0]); i++) {
		t = tmpl_new(m, ext[i].mask, err, errlen);
		if (!t)
			return -EINVAL;
		if (!fbSessionAddTemplate(s, FALSE, ext[i].tid, t, &ge)) {
			fbTemplateFreeUnused(t);
			return gerr(&ge, err, errlen, "IPFIX template"), -EINVAL;
		}
	}
	return 0;
}

/* ---- encoder ---- */

struct ipfix_enc {
	fbInfoModel_t *model;
	fbExporter_t *exp; /* owned by fbuf once attached */
	fBuf_t *fbuf;	   /* owns the session and the exporter */
	uint8_t *buf;
	unsigned int mtu;
	size_t in_msg; /* templates or records added since the last emit */
};

struct ipfix_enc *ipfix_enc_new(uint32_t domain, unsigned int mtu, char *err, size_t errlen)
{
	struct ipfix_enc *e = calloc(1, sizeof(*e));
	fbSession_t *s;
	GError *ge = NULL;

	if (!e || mtu < 512 || mtu > 65535) {
		snprintf(err, errlen,
			 e ? "IPFIX message size %u not in 512..65535" : "out of memory", mtu);
		free(e);
		errno = e ? EINVAL : ENOMEM;
		return NULL;
	}
	e->mtu = mtu;
	e->buf = malloc(mtu);
	e->model = model_new();
	s = fbSessionAlloc(e->model);
	fbSessionSetDomain(s, domain);
	/* templates before the buffer: a session tied to a buffer exports on add */
	if (!e->buf || session_templates(s, e->model, true, err, errlen)) {
		fbSessionFree(s);
		goto fail;
	}
	e->exp = fbExporterAllocBuffer(e->buf, (uint16_t)mtu);
	e->fbuf = fBufAllocForExport(s, e->exp);
	fBufSetAutomaticMode(e->fbuf, FALSE);
	if (!fBufSetInternalTemplate(e->fbuf, TID_INTERNAL, &ge)) {
		gerr(&ge, err, errlen, "IPFIX internal template");
		goto fail;
	}
	return e;
fail:
	ipfix_enc_free(e);
	errno = EINVAL;
	return NULL;
}

void ipfix_enc_free(struct ipfix_enc *e)
{
	if (!e)
		return;
	if (e->fbuf)
		fBufFree(e->fbuf);
	if (e->model)
		fbInfoModelFree(e->model);
	free(e->buf);
	free(e);
}

void ipfix_enc_set_time(struct ipfix_enc *e, uint32_t export_s)
{
	fBufSetExportTime(e->fbuf, export_s);
}

static int eom(GError **ge)
{
	int full = g_error_matches(*ge, FB_ERROR_DOMAIN, FB_ERROR_EOM);

	if (full)
		g_clear_error(ge);
	return full;
}

int ipfix_enc_templates(struct ipfix_enc *e, char *err, size_t errlen)
{
	GError *ge = NULL;

	/*
	 * In manual mode libfixbuf answers "end of message" to the first
	 * template after data (and to the first record after templates) even
	 * in an empty message: it only switches the message kind. Once more.
	 */
	for (int i = 0; !fbSessionExportTemplates(fBufGetSession(e->fbuf), &ge); i++) {
		if (!eom(&ge))
			return gerr(&ge, err, errlen, "IPFIX templates"), -EIO;
		if (e->in_msg || i)
			return -ENOSPC;
	}
	e->in_msg++;
	return 0;
}

int ipfix_enc_add(struct ipfix_enc *e, const struct ipfix_rec *r, uint16_t tid, char *err,
		  size_t errlen)
{
	GError *ge = NULL;

	if (!fBufSetExportTemplate(e->fbuf, tid, &ge)) {
		if (eom(&ge))
			return -ENOSPC;
		return gerr(&ge, err, errlen, "IPFIX export template"), -EIO;
	}
	for (int i = 0; !fBufAppend(e->fbuf, (uint8_t *)r, sizeof(*r), &ge); i++) {
		if (!eom(&ge))
			return gerr(&ge, err, errlen, "IPFIX record"), -EIO;
		if (e->in_msg || i) /* see ipfix_enc_templates() */
			return -ENOSPC;
	}
	e->in_msg++;
	return 0;
}

ssize_t ipfix_enc_emit(struct ipfix_enc *e, const uint8_t **msg, char *err, size_t errlen)
{
	GError *ge = NULL;

	*msg = e->buf;
	if (!e->in_msg)
		return 0;
	if (!fBufEmit(e->fbuf, &ge))
		return gerr(&ge, err, errlen, "IPFIX message"), -EIO;
	e->in_msg = 0;
	return (ssize_t)fbExporterGetMsgLen(e->exp);
}

/* ---- decoder ---- */

struct ipfix_dec {
	fbInfoModel_t *model;
	fBuf_t *fbuf;
};

struct ipfix_dec *ipfix_dec_new(char *err, size_t errlen)
{
	struct ipfix_dec *d = calloc(1, sizeof(*d));
	fbSession_t *s;

	if (!d)
		return snprintf(err, errlen, "out of memory"), errno = ENOMEM, NULL;
	d->model = model_new();
	s = fbSessionAlloc(d->model);
	if (session_templates(s, d->model, false, err, errlen)) {
		fbSessionFree(s);
		fbInfoModelFree(d->model);
		free(d);
		errno = EINVAL;
		return NULL;
	}
	d->fbuf = fBufAllocForCollection(s, NULL);
	fBufSetAutomaticMode(d->fbuf, FALSE);
	return d;
}

void ipfix_dec_free(struct ipfix_dec *d)
{
	if (!d)
		return;
	fBufFree(d->fbuf);
	fbInfoModelFree(d->model);
	free(d);
}

int ipfix_dec_msg(struct ipfix_dec *d, const uint8_t *msg, size_t len, struct ipfix_rec *out,
		  uint16_t *tids, size_t max, char *err, size_t errlen)
{
	GError *ge = NULL;
	size_t n = 0;

	fBufSetBuffer(d->fbuf, (uint8_t *)msg, len);
	for (;;) {
		struct ipfix_rec r;
		size_t rlen = sizeof(r);
		uint16_t tid = 0;

		memset(&r, 0, sizeof(r));
		if (!fBufSetInternalTemplate(d->fbuf, TID_INTERNAL, &ge))
			return gerr(&ge, err, errlen, "IPFIX decode"), -EINVAL;
		if (!fBufNext(d->fbuf, (uint8_t *)&r, &rlen, &ge)) {
			if (g_error_matches(ge, FB_ERROR_DOMAIN, FB_ERROR_EOM) ||
			    g_error_matches(ge, FB_ERROR_DOMAIN, FB_ERROR_BUFSZ) ||
			    g_error_matches(ge, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
				g_clear_error(&ge);
				return (int)n;
			}
			return gerr(&ge, err, errlen, "IPFIX decode"), -EINVAL;
		}
		if (n == max)
			return snprintf(err, errlen, "more than %zu records", max), -E2BIG;
		fBufGetCollectionTemplate(d->fbuf, &tid);
		out[n] = r;
		if (tids)
			tids[n] = tid;
		n++;
	}
}
