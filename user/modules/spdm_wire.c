// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SPDM request/reply codec and the origin-authentication block SPDM and SRUM share. */
#include <errno.h>

#include "modules/spdm.h"
#include "core/wire.h"

bool sr_loop_free(const struct node_id *first, const struct node_id *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (first && node_id_eq(first, &v[i]))
			return false;
		for (int j = 0; j < i; j++)
			if (node_id_eq(&v[i], &v[j]))
				return false;
	}
	return true;
}

int sr_auth_encode(const struct sr_auth *a, uint8_t *p, size_t cap)
{
	size_t need = a->signed_ ? SR_AUTH_LEN : 1;

	if (cap < need || a->signed_ > 1)
		return -EINVAL;
	p[0] = a->signed_;
	if (a->signed_) {
		memcpy(p + 1, a->pub, RT_PUB_LEN);
		memcpy(p + 1 + RT_PUB_LEN, a->sig, RT_SIG_LEN);
	}
	return (int)need;
}

int sr_auth_decode(const uint8_t *p, size_t len, struct sr_auth *a)
{
	if (len < 1 || p[0] > 1)
		return -EBADMSG;
	a->signed_ = p[0];
	if (!a->signed_)
		return len == 1 ? 1 : -EBADMSG;
	if (len != SR_AUTH_LEN)
		return -EBADMSG;
	memcpy(a->pub, p + 1, RT_PUB_LEN);
	memcpy(a->sig, p + 1 + RT_PUB_LEN, RT_SIG_LEN);
	return SR_AUTH_LEN;
}

void sr_auth_sign(struct module *m, const uint8_t *body, size_t len, struct sr_auth *a)
{
	memset(a, 0, sizeof(*a));
	if (rt_sign(m, body, len, a->sig, a->pub) == 0)
		a->signed_ = 1;
}

int sr_auth_check(struct module *m, const struct node_id *origin, const uint8_t *body, size_t len,
		  const struct sr_auth *a)
{
	bool can_verify = m->node->rt->verify != NULL;

	if (!a->signed_)
		return can_verify ? -EBADMSG : 0;
	if (!can_verify)
		return 0; /* no identities here: nothing to check against */
	return rt_verify(m, origin, a->pub, body, len, a->sig) == 0 ? 0 : -EBADMSG;
}

int spdm_msg_encode(const struct spdm_msg *m, uint8_t *buf, size_t cap, size_t *body_len)
{
	size_t bl = SPDM_BODY_LEN(m->nrec);
	uint8_t *p = buf;
	int al;

	if ((m->type != SPDM_T_RREQ && m->type != SPDM_T_RREP) || m->nrec > SR_HOPS_MAX ||
	    (m->flags & ~SPDM_F_NONPROP) || cap < bl || (m->type == SPDM_T_RREP && !m->nrec))
		return -EINVAL;
	*p++ = SPDM_WIRE_VERSION;
	*p++ = m->type;
	*p++ = m->flags;
	*p++ = m->nrec;
	wire_put32(p, m->req_id);
	p += 4;
	memcpy(p, m->initiator.b, ID_LEN);
	memcpy(p + ID_LEN, m->target.b, ID_LEN);
	p += 2 * ID_LEN;
	for (int i = 0; i < m->nrec; i++, p += ID_LEN)
		memcpy(p, m->rec[i].b, ID_LEN);
	if (m->type == SPDM_T_RREQ) {
		if (body_len)
			*body_len = bl;
		return (int)bl;
	}
	if (cap < bl + 2 + m->nrec || m->pos >= m->nrec || m->replier >= m->nrec ||
	    m->labels[m->nrec - 1] != DP_LABEL_NONE)
		return -EINVAL;
	*p++ = m->replier;
	bl++;
	if (body_len)
		*body_len = bl;
	*p++ = m->pos;
	memcpy(p, m->labels, m->nrec);
	p += m->nrec;
	al = sr_auth_encode(&m->auth, p, cap - bl - 1 - m->nrec);
	return al < 0 ? al : (int)(bl + 1 + m->nrec + (size_t)al);
}

int spdm_msg_decode(const uint8_t *buf, size_t len, struct spdm_msg *m, size_t *body_len)
{
	const uint8_t *p = buf;
	size_t bl;

	if (len < SPDM_BODY_LEN(0) || p[0] != SPDM_WIRE_VERSION ||
	    (p[1] != SPDM_T_RREQ && p[1] != SPDM_T_RREP) || (p[2] & ~SPDM_F_NONPROP) ||
	    p[3] > SR_HOPS_MAX)
		return -EBADMSG;
	m->type = p[1];
	m->flags = p[2];
	m->nrec = p[3];
	bl = SPDM_BODY_LEN(m->nrec);
	if (len < bl)
		return -EBADMSG;
	m->req_id = wire_get32(p + 4);
	p += 8;
	memcpy(m->initiator.b, p, ID_LEN);
	memcpy(m->target.b, p + ID_LEN, ID_LEN);
	p += 2 * ID_LEN;
	for (int i = 0; i < m->nrec; i++, p += ID_LEN)
		memcpy(m->rec[i].b, p, ID_LEN);
	if (!sr_loop_free(&m->initiator, m->rec, m->nrec))
		return -EBADMSG;
	m->pos = m->replier = 0;
	memset(m->labels, 0, sizeof(m->labels));
	memset(&m->auth, 0, sizeof(m->auth));
	if (m->type == SPDM_T_RREQ) {
		if (body_len)
			*body_len = bl;
		return len == bl ? 0 : -EBADMSG;
	}
	/* a reply: ends at the target; replier and pos inside the path */
	if (!m->nrec || len < bl + 2 + m->nrec || !node_id_eq(&m->rec[m->nrec - 1], &m->target))
		return -EBADMSG;
	m->replier = *p++;
	m->pos = *p++;
	memcpy(m->labels, p, m->nrec);
	p += m->nrec;
	bl++;
	if (body_len)
		*body_len = bl;
	/* the replier never receives its own reply: pos is before it; the target has no label */
	if (m->replier >= m->nrec || m->pos > m->replier || m->labels[m->nrec - 1])
		return -EBADMSG;
	return sr_auth_decode(p, len - bl - 1 - m->nrec, &m->auth) < 0 ? -EBADMSG : 0;
}
