/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Frame builder for the BPF program tests: describe a frame (tags, L3, L4,
 * fragments, extension headers), get its bytes, the flow key the parser must
 * produce for it and the shortest prefix from which it produces that key.
 */
#ifndef IPOP_TESTS_BPF_FRAMES_H
#define IPOP_TESTS_BPF_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define FRAME_MAX      2048
#define FRAME_EXT_MAX  12
#define FRAME_NEVER_OK ((size_t)-1) /* `needed` of a frame that never parses */

/* What the parser must say about the whole frame. */
enum frame_result {
	FRAME_IP = 0,
	FRAME_NON_IP = 1,
	FRAME_ERR = 2,
};

struct frame_spec {
	const char *name;
	int vlans;	    /* 0..3 tags */
	uint16_t tpid[3];   /* 0 = 0x8100 */
	uint16_t vid[3];    /* VLAN ID; the PCP bits are set too (must be ignored) */
	uint16_t ethertype; /* for l3 == 0: EtherType or 802.3 length */
	int l3;		    /* 0, 4 or 6 */
	uint8_t proto;	    /* IPv4 protocol / IPv6 upper layer */
	const char *src;    /* textual address */
	const char *dst;
	int ip_opts;		    /* IPv4: option bytes (multiple of 4, <= 40) */
	int frag;		    /* add a fragment (IPv4: flags/offset, IPv6: a header) */
	uint16_t frag_off;	    /* fragment offset in 8-byte units */
	int frag_mf;		    /* more fragments */
	int n_ext;		    /* IPv6 extension headers before the upper layer */
	uint8_t ext[FRAME_EXT_MAX]; /* their types (44 = a fragment header) */
	uint16_t sport;		    /* ICMP: type */
	uint16_t dport;		    /* ICMP: code */
	uint8_t tcp_flags;
	int tcp_opts;	/* TCP option bytes (multiple of 4) */
	size_t payload; /* bytes after the L4 header */
};

struct frame {
	uint8_t data[FRAME_MAX];
	size_t len;
	size_t needed; /* prefix length from which the parser gives `key` */
	enum frame_result result;
	struct flow_key key; /* expected key, ifindex and dir 0 */
	uint8_t tcp_flags;   /* expected TCP flags of one packet */
	int fragment;	     /* expected to count as an IP fragment */
};

/* Build s into f. Returns 0, or -1 if the spec does not fit. */
int frame_build(const struct frame_spec *s, struct frame *f);

/* The catalogue the tests iterate: every protocol, tag and header shape. */
extern const struct frame_spec frame_catalogue[];
extern const size_t frame_catalogue_len;

/* L4 header bytes the parser needs for proto (0 for "no ports"). */
size_t frame_l4_need(uint8_t proto);

#endif /* IPOP_TESTS_BPF_FRAMES_H */
