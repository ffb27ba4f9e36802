/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The source-route header (bpf/sr.h) in userspace: parse and build it, and
 * compute node tags. Sans-I/O; the parser takes outside input (frames a
 * daemon reads from a TAP or a ring buffer) and checks every bound.
 */
#ifndef IPOP_VPN_SR_WIRE_H
#define IPOP_VPN_SR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "core/id.h"
#include "sr.h" /* relative: the fuzz build has -Iuser only */

struct sr_path_hop {
	uint32_t tag;  /* low 24 bits */
	uint8_t label; /* SR_LABEL_NONE in the last entry */
};

struct sr_view {
	uint8_t version;
	uint8_t hop_count;
	uint8_t hop_index;
	uint8_t ttl;
	uint8_t flags;
	struct node_id src;
	struct node_id dst;
	struct sr_path_hop hops[SR_HOPS_MAX];
};

/* The 24-bit tag of a node ID (never 0); the same on every host. */
uint32_t sr_node_tag(const struct node_id *id);

/* Length of the header (without the outer Ethernet) for hop_count entries. */
static inline size_t sr_hdr_len(unsigned int hop_count)
{
	return SR_HDR_FIXED + (size_t)hop_count * SR_HOP_LEN;
}

/*
 * Parse the header at buf[0..len) (the bytes after the outer Ethernet
 * header). Checks version, flags, reserved bytes, 1 <= hop_count <= 16,
 * hop_index < hop_count, ttl > 0, the last label is SR_LABEL_NONE, no other
 * label is, no tag repeats (a loop), and that len holds the whole header.
 * Returns the header length, or -EINVAL (malformed) / -EMSGSIZE (cut short)
 * with a message in err.
 */
int sr_parse(const uint8_t *buf, size_t len, struct sr_view *v, char *err, size_t errlen);

/*
 * A whole overlay frame: outer Ethernet (EtherType SR_ETH_P, or on the last
 * link of an IP inner frame the inner EtherType: sr.h), header, inner frame.
 * Returns the offset of the inner frame (which must hold at least an
 * Ethernet header), or a negative errno as sr_parse().
 */
int sr_parse_frame(const uint8_t *frame, size_t len, struct sr_view *v, char *err, size_t errlen);

/*
 * Write v's header into out[0..cap) after checking it as sr_parse() would.
 * Returns the bytes written, or -EINVAL / -ENOSPC with a message.
 */
int sr_build(const struct sr_view *v, uint8_t *out, size_t cap, char *err, size_t errlen);

/* Outer Ethernet + header + inner frame (the EtherType as the datapath
 * sends it for v->hop_index). Returns the frame length or -errno. */
int sr_build_frame(const uint8_t dmac[6], const uint8_t smac[6], const struct sr_view *v,
		   const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap, char *err,
		   size_t errlen);

#endif /* IPOP_VPN_SR_WIRE_H */
