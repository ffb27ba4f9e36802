// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Topology messages (ICC DATA to module "topology"; integers big-endian):
 *   u8 version (1) | u8 type | u8 flags | u8 count
 *   | u8 addr_len | addr[addr_len]            the sender's own address
 *   | [sig]                                   flags & 2 (signed): the sender's record
 *   | count x (id[16] | u8 addr_len | addr | [sig])   gossiped peers
 *   sig = u64 stamp | pub[32] | sig[64], present iff the message is signed
 * addr_len <= 19 (RT_ADDR_MAX), count <= 24 (TOPO_GOSSIP_MAX), or <= 8
 * (TOPO_GOSSIP_SIGNED_MAX) when signed. A record's signature covers
 * "ipoptop1" | id[16] | u8 addr_len | addr | u64 stamp.
 */
#include <errno.h>

#include "core/wire.h"
#include "modules/topology.h"

struct cursor {
	const uint8_t *p, *end;
};

static int take(struct cursor *c, void *out, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return -EBADMSG;
	memcpy(out, c->p, n);
	c->p += n;
	return 0;
}

static int take_addr(struct cursor *c, struct rt_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (take(c, &a->len, 1) || a->len > RT_ADDR_MAX)
		return -EBADMSG;
	return take(c, a->b, a->len);
}

static int take_sig(struct cursor *c, struct topo_sig *s)
{
	uint8_t st[8];

	if (take(c, st, 8) || take(c, s->pub, RT_PUB_LEN) || take(c, s->sig, RT_SIG_LEN))
		return -EBADMSG;
	s->stamp = wire_get64(st);
	return 0;
}

int topo_msg_decode(const uint8_t *buf, size_t len, struct topo_msg *m)
{
	struct cursor c = { buf, buf + len };
	uint8_t hdr[4];

	if (take(&c, hdr, sizeof(hdr)) || hdr[0] != TOPO_WIRE_VERSION || hdr[1] < TOPO_T_GOSSIP ||
	    hdr[1] > TOPO_T_RELEASE || hdr[3] > TOPO_GOSSIP_MAX ||
	    (hdr[2] & TOPO_F_SIGNED && hdr[3] > TOPO_GOSSIP_SIGNED_MAX))
		return -EBADMSG;
	m->type = hdr[1];
	m->flags = hdr[2];
	m->n = hdr[3];
	memset(&m->self, 0, sizeof(m->self));
	if (take_addr(&c, &m->addr) || (m->flags & TOPO_F_SIGNED && take_sig(&c, &m->self)))
		return -EBADMSG;
	for (int i = 0; i < m->n; i++) {
		memset(&m->e[i].s, 0, sizeof(m->e[i].s));
		if (take(&c, m->e[i].id.b, ID_LEN) || take_addr(&c, &m->e[i].addr) ||
		    (m->flags & TOPO_F_SIGNED && take_sig(&c, &m->e[i].s)))
			return -EBADMSG;
	}
	return c.p == c.end ? 0 : -EBADMSG;
}

static int put(uint8_t **p, const uint8_t *end, const void *src, size_t n)
{
	if ((size_t)(end - *p) < n)
		return -EMSGSIZE;
	memcpy(*p, src, n);
	*p += n;
	return 0;
}

static int put_addr(uint8_t **p, const uint8_t *end, const struct rt_addr *a)
{
	if (a->len > RT_ADDR_MAX)
		return -EINVAL;
	return put(p, end, &a->len, 1) ?: put(p, end, a->b, a->len);
}

static int put_sig(uint8_t **p, const uint8_t *end, const struct topo_sig *s)
{
	uint8_t st[8];

	wire_put64(st, s->stamp);
	return put(p, end, st, 8) ?: put(p, end, s->pub, RT_PUB_LEN)
					   ?: put(p, end, s->sig, RT_SIG_LEN);
}

int topo_msg_encode(const struct topo_msg *m, uint8_t *buf, size_t cap)
{
	uint8_t *p = buf, *end = buf + cap, hdr[4] = { TOPO_WIRE_VERSION, m->type, m->flags, m->n };

	bool sig = m->flags & TOPO_F_SIGNED;
	int err;

	if (m->n > (sig ? TOPO_GOSSIP_SIGNED_MAX : TOPO_GOSSIP_MAX))
		return -EINVAL;
	err = put(&p, end, hdr, sizeof(hdr)) ?: put_addr(&p, end, &m->addr);
	if (!err && sig)
		err = put_sig(&p, end, &m->self);
	for (int i = 0; !err && i < m->n; i++) {
		err = put(&p, end, m->e[i].id.b, ID_LEN) ?: put_addr(&p, end, &m->e[i].addr);
		if (!err && sig)
			err = put_sig(&p, end, &m->e[i].s);
	}
	return err ? err : (int)(p - buf);
}

size_t topo_rec_bytes(const struct node_id *id, const struct rt_addr *a, uint64_t stamp,
		      uint8_t out[TOPO_REC_MAX])
{
	size_t n = 0, alen = a->len > RT_ADDR_MAX ? RT_ADDR_MAX : a->len;

	memcpy(out, "ipoptop1", 8);
	n += 8;
	memcpy(out + n, id->b, ID_LEN);
	n += ID_LEN;
	out[n++] = (uint8_t)alen;
	memcpy(out + n, a->b, alen);
	n += alen;
	wire_put64(out + n, stamp);
	return n + 8;
}

int topo_rec_sign(struct module *m, const struct rt_addr *a, uint64_t stamp, struct topo_sig *s)
{
	uint8_t rec[TOPO_REC_MAX];
	size_t len = topo_rec_bytes(&m->node->id, a, stamp, rec);

	s->stamp = stamp;
	return rt_sign(m, rec, len, s->sig, s->pub);
}

int topo_rec_verify(struct module *m, const struct node_id *id, const struct rt_addr *a,
		    const struct topo_sig *s)
{
	uint8_t rec[TOPO_REC_MAX];
	size_t len = topo_rec_bytes(id, a, s->stamp, rec);

	return rt_verify(m, id, s->pub, rec, len, s->sig) == 0 ? 0 : -EBADMSG;
}
