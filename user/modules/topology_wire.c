// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Topology messages (ICC DATA to module "topology"; integers big-endian):
 *   u8 version (1) | u8 type | u8 flags | u8 count
 *   | u8 addr_len | addr[addr_len]            the sender's own address
 *   | count x (id[16] | u8 addr_len | addr)   gossiped peers
 * addr_len <= 19 (RT_ADDR_MAX), count <= 24 (TOPO_GOSSIP_MAX).
 */
#include <errno.h>

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

int topo_msg_decode(const uint8_t *buf, size_t len, struct topo_msg *m)
{
	struct cursor c = { buf, buf + len };
	uint8_t hdr[4];

	if (take(&c, hdr, sizeof(hdr)) || hdr[0] != TOPO_WIRE_VERSION || hdr[1] < TOPO_T_GOSSIP ||
	    hdr[1] > TOPO_T_RELEASE || hdr[3] > TOPO_GOSSIP_MAX)
		return -EBADMSG;
	m->type = hdr[1];
	m->flags = hdr[2];
	m->n = hdr[3];
	if (take_addr(&c, &m->addr))
		return -EBADMSG;
	for (int i = 0; i < m->n; i++)
		if (take(&c, m->e[i].id.b, ID_LEN) || take_addr(&c, &m->e[i].addr))
			return -EBADMSG;
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

int topo_msg_encode(const struct topo_msg *m, uint8_t *buf, size_t cap)
{
	uint8_t *p = buf, *end = buf + cap, hdr[4] = { TOPO_WIRE_VERSION, m->type, m->flags, m->n };
	int err;

	if (m->n > TOPO_GOSSIP_MAX)
		return -EINVAL;
	err = put(&p, end, hdr, sizeof(hdr)) ?: put_addr(&p, end, &m->addr);
	for (int i = 0; !err && i < m->n; i++)
		err = put(&p, end, m->e[i].id.b, ID_LEN) ?: put_addr(&p, end, &m->e[i].addr);
	return err ? err : (int)(p - buf);
}
