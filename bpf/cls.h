/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel/user ABI of the flow-table classifier (tuple space search).
 *
 * A table's match is compiled by the controller into (mask, value) pairs:
 * masks are struct flow_key bit masks (port ranges become several prefix
 * masks). Each distinct mask gets a small id; every (mask id, key & mask)
 * pair is one entry of the rules hash, whose value names the winning table.
 * A packet costs one hash lookup per distinct mask, whatever the number of
 * tables. Flows cache the table they matched, tagged with the classifier
 * generation; the controller bumps the generation after every change, so a
 * cached answer is never used across a change.
 */
#ifndef IPOP_CLS_H
#define IPOP_CLS_H

#include "flow.h"

#define CLS_MASKS_MAX	   32	  /* distinct match shapes in use at once */
#define CLS_TABLES_MAX	   131072 /* table ids 1 .. CLS_TABLES_MAX-1 */
#define CLS_RULES_MAX	   1048576
#define CLS_TABLE_NAME_LEN 48

struct cls_mask {
	struct flow_key mask;
	__u32 id;	/* stable id, part of the rules key */
	__u32 max_prio; /* highest priority among the rules of this mask */
};

/* Masks sorted by max_prio, highest first: the search stops early. */
struct cls_mask_set {
	__u32 n;
	__u32 pad;
	struct cls_mask masks[CLS_MASKS_MAX];
};

/*
 * Two mask sets; cls_masks[gen & 1] is the live one. The controller writes
 * cls_masks[(gen + 1) & 1], then stores gen + 1: one 32-bit store switches
 * the mask set and invalidates every flow's cached table at once.
 */
struct cls_state {
	__u32 gen;
	__u32 pad;
};

struct cls_rule_key {
	__u32 mask_id;
	__u32 pad;
	struct flow_key key; /* already masked */
};

struct cls_rule_val {
	__u32 table_id;
	__u32 prio;
};

/* Per-table counters (one shared array, atomic adds), indexed by table id. */
struct cls_table_stats {
	__u64 packets;
	__u64 bytes;
	__u64 first_hit_ns;
	__u64 last_hit_ns;
};

/* The table as programmed, pinned so a restarted daemon can recover it. */
enum cls_match_flags {
	CLS_M_IFINDEX = 1 << 0,
	CLS_M_DIR = 1 << 1,
	CLS_M_L3 = 1 << 2,
	CLS_M_PROTO = 1 << 3,
	CLS_M_SRC = 1 << 4,
	CLS_M_DST = 1 << 5,
	CLS_M_SPORT = 1 << 6,
	CLS_M_DPORT = 1 << 7,
};

struct cls_table_def {
	char name[CLS_TABLE_NAME_LEN];
	__u32 prio;
	__u32 match; /* enum cls_match_flags */
	__u32 ifindex;
	__u8 dir;
	__u8 l3;
	__u8 proto;
	__u8 src_len; /* prefix lengths */
	__u8 dst_len;
	__u8 pad[3];
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u8 src[16];
	__u8 dst[16];
	__u64 created_ns; /* CLOCK_REALTIME */
};

#endif /* IPOP_CLS_H */
