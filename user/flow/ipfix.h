/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPFIX export (RFC 7011/7012) of ended flows, encoded with libfixbuf (CERT
 * NetSA).
 *
 * Three layers:
 *  - the record builder, ipfix_rec_build(): one ended flow (any end reason;
 *    an active-timeout end is the delta since the flow's previous record,
 *    because the statistics thread deletes the map entry and the next packet
 *    starts a new one) -> one struct ipfix_rec, with the monotonic stamps of
 *    the datapath converted to wall-clock milliseconds by a given offset.
 *    Pure: no clock, no I/O.
 *  - the encoder, struct ipfix_enc: records -> IPFIX messages in memory
 *    (libfixbuf's buffer exporter), templates on demand.
 *  - the exporter, struct ipfix: a bounded queue the statistics thread feeds
 *    through ipfix_sink() (never blocks: what does not fit is counted as
 *    dropped), and a thread that encodes and sends over UDP (templates every
 *    template_interval_s and every template_msgs messages) or TCP (templates
 *    once per connection; reconnect with exponential backoff; records wait in
 *    the queue while the collector is away).
 *
 * Information elements: source/destinationIPv4Address or IPv6Address,
 * protocolIdentifier, source/destinationTransportPort, icmpTypeCodeIPv4/IPv6,
 * octetDeltaCount (IP header + payload: bytes - packets * l2_len),
 * layer2OctetDeltaCount (frames), packetDeltaCount, flowStart/EndMilliseconds,
 * tcpControlBits, ingressInterface/egressInterface (the flow's interface on
 * the side of its direction, 0 on the other), flowDirection, vlanId,
 * flowEndReason; non-IP flows carry ethernetType instead of addresses. Under
 * private enterprise number IPFIX_PEN: ipopFlowTableId (1, unsigned32),
 * ipopSkbDeltaCount (2, unsigned64, the skbs the hook saw) and, for flows of
 * source-routed overlay frames (FLOW_KEY_OVERLAY, templates 259-261),
 * ipopOverlaySourceNodeId (3) and ipopOverlayDestinationNodeId (4), the
 * 16-byte node IDs as octetArray.
 */
#ifndef IPOP_IPFIX_H
#define IPOP_IPFIX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flow.h"
#include "flow/ipfix_cfg.h"
#include "flow/stats.h"

/*
 * 32473 is the enterprise number RFC 5612 reserves for documentation and
 * examples: a placeholder until the project has its own registered number.
 */
#define IPFIX_PEN		 32473
#define IPFIX_IE_FLOW_TABLE_ID	 1
#define IPFIX_IE_SKB_DELTA_COUNT 2
#define IPFIX_IE_OVERLAY_SRC	 3
#define IPFIX_IE_OVERLAY_DST	 4

/* Template IDs of the record shapes: plain, and overlay (plus the two node IDs). */
#define IPFIX_TID_V4	    256
#define IPFIX_TID_V6	    257
#define IPFIX_TID_OTHER	    258
#define IPFIX_TID_V4_OVL    259
#define IPFIX_TID_V6_OVL    260
#define IPFIX_TID_OTHER_OVL 261

/* flowEndReason values (RFC 5102 / IANA) */
#define IPFIX_END_IDLE	   1
#define IPFIX_END_ACTIVE   2
#define IPFIX_END_END	   3
#define IPFIX_END_FORCED   4
#define IPFIX_END_RESOURCE 5

/*
 * One record as libfixbuf's internal template describes it: fields in
 * template order, none padded by the compiler. Integers and IPv4 addresses
 * in host order (libfixbuf writes network order); IPv6 addresses as bytes.
 */
struct ipfix_rec {
	uint64_t start_ms;  /* flowStartMilliseconds */
	uint64_t end_ms;    /* flowEndMilliseconds */
	uint64_t octets;    /* octetDeltaCount */
	uint64_t packets;   /* packetDeltaCount */
	uint64_t l2_octets; /* layer2OctetDeltaCount */
	uint64_t skbs;	    /* ipopSkbDeltaCount */
	uint8_t src6[16];
	uint8_t dst6[16];
	uint8_t src_node[16]; /* ipopOverlaySourceNodeId */
	uint8_t dst_node[16]; /* ipopOverlayDestinationNodeId */
	uint32_t src4;
	uint32_t dst4;
	uint32_t in_if;	   /* ingressInterface */
	uint32_t out_if;   /* egressInterface */
	uint32_t table_id; /* ipopFlowTableId */
	uint16_t sport;
	uint16_t dport;
	uint16_t icmp4; /* icmpTypeCodeIPv4: type << 8 | code */
	uint16_t icmp6;
	uint16_t tcp_flags;
	uint16_t vlan;
	uint16_t ethertype;
	uint8_t proto;
	uint8_t direction; /* flowDirection: 0 ingress, 1 egress */
	uint8_t end_reason;
	uint8_t pad[3];
};

/* Wall clock = monotonic + offset (CLOCK_REALTIME - CLOCK_MONOTONIC, ns). */
struct ipfix_clock {
	int64_t real_minus_mono_ns;
};

/* The offset now (two clock reads). */
void ipfix_clock_now(struct ipfix_clock *c);
/* Wall-clock milliseconds since the epoch of a monotonic stamp (0 stays 0 only if before the epoch). */
uint64_t ipfix_wall_ms(const struct ipfix_clock *c, uint64_t mono_ns);
/* The flowEndReason of a stats_end_reason. */
uint8_t ipfix_end_reason(unsigned int stats_reason);
/* The template a record goes out with (IPFIX_TID_*). */
uint16_t ipfix_rec_tid(const struct flow_key *k);

/* Build the record of one ended flow. */
void ipfix_rec_build(struct ipfix_rec *r, const struct stats_ended *e, const struct ipfix_clock *c);

/* ---- encoder ---- */

struct ipfix_enc;

/* mtu: largest message (bytes, 512..65535). NULL with errno set, err filled. */
struct ipfix_enc *ipfix_enc_new(uint32_t domain, unsigned int mtu, char *err, size_t errlen);
void ipfix_enc_free(struct ipfix_enc *e);
/* export_s: the export time of the messages started from now on (0 = the system clock). */
void ipfix_enc_set_time(struct ipfix_enc *e, uint32_t export_s);
/*
 * Add the templates (ipfix_enc_templates) or a record to the message being
 * built. -ENOSPC: the message is full; emit it and add again. Other -errno
 * with err filled.
 */
int ipfix_enc_templates(struct ipfix_enc *e, char *err, size_t errlen);
int ipfix_enc_add(struct ipfix_enc *e, const struct ipfix_rec *r, uint16_t tid, char *err,
		  size_t errlen);
/*
 * Finish the message being built. Returns its length (0 if nothing was added)
 * with *msg pointing at it until the next call on e, or -errno.
 */
ssize_t ipfix_enc_emit(struct ipfix_enc *e, const uint8_t **msg, char *err, size_t errlen);

/*
 * Decode the data records of one message into out[0..max), for tests and
 * tools: records of every template land in struct ipfix_rec (absent
 * elements 0), *tids gets the template of each. Returns the count or -errno.
 * dec is a separate libfixbuf collector session kept across calls (templates
 * of earlier messages stay known); ipfix_dec_free() releases it.
 */
struct ipfix_dec;
struct ipfix_dec *ipfix_dec_new(char *err, size_t errlen);
void ipfix_dec_free(struct ipfix_dec *d);
int ipfix_dec_msg(struct ipfix_dec *d, const uint8_t *msg, size_t len, struct ipfix_rec *out,
		  uint16_t *tids, size_t max, char *err, size_t errlen);

/* ---- exporter ---- */

struct ipfix_counters {
	uint64_t records_queued;  /* handed over by the statistics thread */
	uint64_t records_sent;	  /* in messages the transport accepted */
	uint64_t records_dropped; /* queue full: not exported, counted here */
	uint64_t records_lost;	  /* UDP: in a message the socket refused twice */
	uint64_t messages_sent;
	uint64_t templates_sent; /* template messages */
	uint64_t send_errors;	 /* failed sends (UDP: the message is lost; TCP: resent) */
	uint64_t connects;	 /* TCP connections made */
	uint64_t connect_failures;
	uint64_t queue_len; /* now */
};

struct ipfix;

/*
 * Resolve the collector (a name that does not resolve fails here) and set
 * up the encoder. NULL with errno set and err filled.
 */
struct ipfix *ipfix_new(const struct ipfix_cfg *cfg, char *err, size_t errlen);
int ipfix_start(struct ipfix *x);
/* Stop the thread after a last attempt to send what is queued (bounded: 1 s). */
void ipfix_free(struct ipfix *x);

/* The statistics thread's end sink (struct stats_cfg.end_sink); ctx is the struct ipfix. */
void ipfix_sink(void *ctx, const struct stats_ended *e);
void ipfix_counters(struct ipfix *x, struct ipfix_counters *c);
/* The last transport error as text ("" if none). */
void ipfix_last_error(struct ipfix *x, char *buf, size_t len);

#endif /* IPOP_IPFIX_H */
