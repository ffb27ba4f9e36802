// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow accounting: one parser and one accounting path, compiled into three
 * entry points (XDP ingress, TC ingress, TC egress). Every program returns
 * "pass": accounting never drops or modifies a frame.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flow.h"
#include "cls.h"
#include "parsing.h"

/*
 * The TC programs only observe: TC_ACT_UNSPEC lets cls_bpf (direct-action)
 * go on to the next filter, e.g. the VPN's (a higher priority number, after
 * ours), and a frame no filter decides on passes at the end of the chain.
 */
#define TC_ACT_UNSPEC (-1)
#define READ_ONCE(x)  (*(volatile typeof(x) *)&(x))

/*
 * Shared (not per-CPU) LRU hash: one entry per flow, updated with atomic adds.
 * tests/bench compares it with LRU_PERCPU_HASH (IPOP_FLOW_PERCPU) on this
 * machine; see README "Benchmarks".
 */
struct {
#ifdef IPOP_FLOW_PERCPU
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
#else
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
#endif
	__uint(max_entries, IPOP_FLOW_ENTRIES_DEFAULT);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} dp_stats SEC(".maps");

/* Written only by the loader; the programs never read it. Pinned with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPOP_IFACE_MAX);
	__type(key, __u32); /* ifindex */
	__type(value, struct iface_info);
} ifaces SEC(".maps");

/* Flow tables: see cls.h. Written by the controller, read per new flow. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cls_state);
} cls_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct cls_mask_set);
} cls_masks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CLS_RULES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cls_rule_key);
	__type(value, struct cls_rule_val);
} cls_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CLS_TABLES_MAX);
	__type(key, __u32);
	__type(value, struct cls_table_stats);
} table_stats SEC(".maps");

/* Userspace only: the definitions, so a restarted controller finds its tables. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CLS_TABLES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct cls_table_def);
} tables SEC(".maps");

/*
 * Per-CPU, not pinned: the coarse clock as this CPU last read it, and the
 * jiffies it read it at. The coarse clock only moves on a tick, so within a
 * tick one helper call serves every packet; bpf_jiffies64() is one load
 * (the verifier inlines it).
 */
struct coarse_clock {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct coarse_clock);
} clock_cache SEC(".maps");

/*
 * bpf_ktime_get_coarse_ns(), once per tick and CPU. The tick moves jiffies
 * first and the clock just after (on another CPU, a reader can fall in
 * between): a read that finds the clock where it was is not cached, so the
 * next packet reads again. Only a CPU that saw no packet for a whole tick
 * and then lands in that gap keeps a time one tick behind, until the next
 * tick: the coarse clock's own resolution.
 */
static __always_inline __u64 coarse_now(void)
{
	struct coarse_clock *c;
	__u32 zero = 0;
	__u64 j = bpf_jiffies64(), ns;

	c = bpf_map_lookup_elem(&clock_cache, &zero);
	if (!c)
		return bpf_ktime_get_coarse_ns();
	if (c->jiffies == j)
		return c->ns;
	ns = bpf_ktime_get_coarse_ns();
	if (ns != c->ns) {
		c->ns = ns;
		c->jiffies = j;
	}
	return ns;
}

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&dp_stats, &idx);

	if (v)
		*v += 1;
}

/*
 * Tuple space search: one lookup per distinct mask, highest priority first;
 * stop once no remaining mask can beat or tie what was found. Returns the table id
 * (0: no table).
 */
static __always_inline __u32 classify(const struct flow_key *k, __u32 active)
{
	struct cls_rule_key rk = {};
	struct cls_mask_set *set;
	struct cls_rule_val *r;
	__u32 best = 0, best_prio = 0, i;
	const __u64 *kw = (const __u64 *)k;
	__u64 *rw = (__u64 *)&rk.key;

	set = bpf_map_lookup_elem(&cls_masks, &active);
	if (!set)
		return 0;
	for (i = 0; i < CLS_MASKS_MAX; i++) {
		const struct cls_mask *m;
		const __u64 *mw;

		if (i >= set->n)
			break;
		m = &set->masks[i];
		/* masks come highest max_prio first: none further on can win */
		if (best && m->max_prio < best_prio)
			break;
		mw = (const __u64 *)&m->mask;
		rk.mask_id = m->id;
		for (int w = 0; w < (int)(sizeof(struct flow_key) / 8); w++)
			rw[w] = kw[w] & mw[w];
		r = bpf_map_lookup_elem(&cls_rules, &rk);
		/* highest priority; a tie goes to the lower (older) table id */
		if (r && (!best || r->prio > best_prio ||
			  (r->prio == best_prio && r->table_id < best))) {
			best = r->table_id;
			best_prio = r->prio;
		}
	}
	return best;
}

static __always_inline void table_count(__u32 tid, __u64 pkts, __u64 len, __u64 now)
{
	struct cls_table_stats *t;

	if (!tid)
		return;
	t = bpf_map_lookup_elem(&table_stats, &tid);
	if (!t)
		return;
	__sync_fetch_and_add(&t->packets, pkts);
	__sync_fetch_and_add(&t->bytes, len);
	if (!t->first_hit_ns)
		t->first_hit_ns = now;
	t->last_hit_ns = now;
}

/*
 * What one skb stands for on the wire: segs packets of len bytes in all
 * (segs > 1 only for GSO/GRO skbs), and the L2 header length of its frames.
 */
struct wire {
	__u64 now; /* coarse_now() */
	__u64 len;
	__u32 segs;
	__u16 l2_len;
};

static __always_inline void flow_add(struct flow_value *v, const struct wire *w, __u8 tcp_flags)
{
#ifdef IPOP_FLOW_PERCPU
	v->packets += w->segs;
	v->bytes += w->len;
	if (w->segs > 1)
		v->seg_extra += w->segs - 1;
	v->tcp_flags |= tcp_flags;
#else
	__sync_fetch_and_add(&v->packets, w->segs);
	__sync_fetch_and_add(&v->bytes, w->len);
	if (w->segs > 1)
		__sync_fetch_and_add(&v->seg_extra, w->segs - 1);
	if (tcp_flags && (v->tcp_flags & tcp_flags) != tcp_flags)
		__sync_fetch_and_or(&v->tcp_flags, tcp_flags);
#endif
}

/* The classifier generation now (0 if the state cannot be read); cls.h. */
static __always_inline __u32 cls_gen_now(void)
{
	struct cls_state *cs;
	__u32 zero = 0;

	cs = bpf_map_lookup_elem(&cls_state, &zero);
	return cs ? READ_ONCE(cs->gen) : 0;
}

/* One more skb of a flow the map has, classified: its table, counters and last seen. */
static __always_inline void flow_hit(struct flow_value *v, const struct wire *w, __u8 tcp_flags)
{
	table_count(v->table_id, w->segs, w->len, w->now);
	flow_add(v, w, tcp_flags);
	v->last_seen_ns = w->now;
}

/* The overlay node IDs of a new flow's first packet, into its value. */
static __always_inline void flow_nodes(struct flow_value *nv, const struct parse_info *pi,
				       const __u8 *data_end)
{
	const __u8 *h = pi->sr;

	if (!h || h + SR_HDR_FIXED > data_end) /* parse_sr() checked it; so must the verifier */
		return;
	__builtin_memcpy(nv->src_node, h + 8, SR_ID_LEN);
	__builtin_memcpy(nv->dst_node, h + 8 + SR_ID_LEN, SR_ID_LEN);
}

/*
 * A flow the map does not have: its first value, inserted. The value is
 * built here, not in flow_update(), so that the hit path does not zero it.
 */
static __always_inline void flow_insert(const struct flow_key *k, const struct wire *w,
					const struct parse_info *pi, const __u8 *data_end,
					__u32 gen)
{
	struct flow_value *v, nv = {};
	int err;

	nv.packets = w->segs;
	nv.bytes = w->len;
	nv.seg_extra = w->segs - 1;
	nv.l2_len = w->l2_len;
	nv.first_seen_ns = w->now;
	nv.last_seen_ns = w->now;
	nv.tcp_flags = pi->tcp_flags;
	nv.table_id = classify(k, gen & 1);
	nv.cls_gen = gen;
	if (k->flags & FLOW_KEY_OVERLAY)
		flow_nodes(&nv, pi, data_end);
	table_count(nv.table_id, w->segs, w->len, w->now);
	err = bpf_map_update_elem(&flows, k, &nv, BPF_NOEXIST);
	if (!err) {
		stat_inc(DP_STAT_FLOW_NEW);
		return;
	}
	/* Another CPU inserted the same flow between our lookup and update. */
	v = bpf_map_lookup_elem(&flows, k);
	if (!v) {
		stat_inc(DP_STAT_INSERT_FAIL);
		return;
	}
	flow_add(v, w, pi->tcp_flags);
	v->last_seen_ns = w->now;
}

static __always_inline void flow_update(const struct flow_key *k, const struct wire *w,
					const struct parse_info *pi, const __u8 *data_end)
{
	__u32 gen = cls_gen_now();
	struct flow_value *v;

	v = bpf_map_lookup_elem(&flows, k);
	/*
	 * The hints are for the verifier, not for speed (on real traffic they
	 * measured within the noise): with the rare blocks laid out last, it
	 * prunes the TC program at ~391,000 instructions instead of ~572,000.
	 */
	if (__builtin_expect(!v, 0)) {
		flow_insert(k, w, pi, data_end, gen);
		return;
	}
	if (__builtin_expect(v->cls_gen != gen, 0)) {
		v->table_id = classify(k, gen & 1);
		v->cls_gen = gen;
	}
	flow_hit(v, w, pi->tcp_flags);
}

/*
 * The hot path, in a straight line: a plain frame (parse_frame_fast()) of a
 * flow the map has, classified in the live generation, one packet (the
 * caller knows it is not GSO). Returns 1 when it counted the frame, or 0
 * having changed nothing: account() then does it all (and looks the flow up
 * again). Same counts as account() would make: tests/bpf/test_flow.c.
 */
static __always_inline int account_fast(const void *data, const void *data_end, __u32 ifindex,
					__u8 dir, __u64 len)
{
	struct flow_key k = { .ifindex = ifindex, .dir = dir };
	struct parse_info pi = {};
	struct wire w = { .len = len, .segs = 1 };
	struct flow_value *v;
	__u32 gen;

	if (!parse_frame_fast(data, data_end, &k, &pi))
		return 0;
	gen = cls_gen_now();
	v = bpf_map_lookup_elem(&flows, &k);
	if (!v || v->cls_gen != gen)
		return 0;
	w.now = coarse_now();
	stat_inc(DP_STAT_PACKETS);
	flow_hit(v, &w, pi.tcp_flags);
	return 1;
}

#define GSO_HDR_MAX 1024 /* L4 offsets beyond: no header bytes added (no real GSO skb has them) */

/*
 * Headers every segment of a GSO skb carries: L2 (an overlay frame's outer
 * and SR headers too), L3 (IPv4 options, IPv6 extension headers) and the TCP
 * header with its options or the UDP header; from what parse_frame_info()
 * found. 0 when it cannot tell (a later fragment: then no bytes are added).
 */
static __always_inline __u32 gso_hdr_len(const struct parse_info *pi, const __u8 *data,
					 const __u8 *data_end, __u8 proto)
{
	__u32 off = pi->l4_off;
	const __u8 *l4;

	/* the verifier tracks no packet range past a variable offset of 64K: bound it */
	if (!off || off > GSO_HDR_MAX)
		return 0;
	asm volatile("%0 &= 2047" : "+r"(off)); /* a bound on the register used (clang reorders) */
	l4 = data + off;
	if (proto == P_IPPROTO_TCP) {
		if (l4 + 20 > data_end) /* parse_l4() checked it; the verifier wants it again */
			return 0;
		return off + (l4[12] >> 4) * 4;
	}
	if (proto == P_IPPROTO_UDP)
		return off + 8;
	return off;
}

/*
 * The accounting path every hook shares. gso_segs/gso_size: of the skb
 * (0 for XDP, which sees no GSO). One pass of the parser gives the key, the
 * L2 length and the L4 offset.
 */
static __always_inline void account(const void *data, const void *data_end, __u32 ifindex, __u8 dir,
				    __u64 len, __u32 gso_segs, __u32 gso_size)
{
	struct flow_key k = {};
	struct parse_info pi = {};
	struct wire w = { .now = coarse_now(), .len = len, .segs = 1 };
	int res;

	k.ifindex = ifindex;
	k.dir = dir;
	stat_inc(DP_STAT_PACKETS);
	res = parse_frame_info(data, data_end, &k, &pi);
	if (res == PARSE_ERR) {
		stat_inc(DP_STAT_PARSE_ERROR);
		return;
	}
	if (res == PARSE_NON_IP)
		stat_inc(DP_STAT_NON_IP);
	if (pi.frag)
		stat_inc(DP_STAT_FRAGMENT);
	w.l2_len = pi.l3_off;
	if (gso_size && (gso_segs > 1 || !gso_segs)) {
		__u32 hdr = gso_hdr_len(&pi, data, data_end, k.proto);

		if (!gso_segs) /* not computed yet by the stack: what segmentation will make */
			gso_segs = len > hdr ? ((__u32)len - hdr + gso_size - 1) / gso_size : 1;
		if (gso_segs > 1 && gso_segs <= 0xffff) {
			w.segs = gso_segs;
			w.len = len + (__u64)(gso_segs - 1) * hdr;
		}
	}
	flow_update(&k, &w, &pi, data_end);
}

/* Headers we may read: Ethernet, two tags, IPv6 with a few extension headers, L4. */
#define TC_PULL_LEN 256

/*
 * account_fast() for TC, not GSO. A global function: the verifier checks it
 * once, on its own, and its caller sees one return value, so account()
 * after it is verified once rather than once for every way the fast path
 * can decline (which took the program past the verifier's budget). The
 * JIT also gives it an image of its own: the hot path, compact.
 */
__attribute__((noinline)) int account_fast_skb(struct __sk_buff *skb, __u32 dir)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;

	if (skb->gso_size)
		return 0;
	return account_fast(data, data_end, skb->ifindex, dir, skb->len);
}

/* account_fast() for XDP (which sees no GSO); global for the same reasons. */
__attribute__((noinline)) int account_fast_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	return account_fast(data, data_end, ctx->ingress_ifindex, FLOW_DIR_INGRESS,
			    bpf_xdp_get_buff_len(ctx));
}

static __always_inline void account_skb(struct __sk_buff *skb, __u8 dir)
{
	__u32 len = skb->len;
	void *data, *data_end;

	if (account_fast_skb(skb, dir))
		return;
	if (skb->data_end - skb->data < len && skb->data_end - skb->data < TC_PULL_LEN)
		bpf_skb_pull_data(skb, len < TC_PULL_LEN ? len : TC_PULL_LEN);
	/* re-read the packet pointers only after the pull (it invalidates them) */
	asm volatile("" ::: "memory");
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	account(data, data_end, skb->ifindex, dir, len, skb->gso_segs, skb->gso_size);
}

SEC("xdp")
int ipop_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (account_fast_xdp(ctx))
		return XDP_PASS;
	/* the whole frame, also when it spans several buffers (multi-buffer XDP) */
	account(data, data_end, ctx->ingress_ifindex, FLOW_DIR_INGRESS, bpf_xdp_get_buff_len(ctx),
		0, 0);
	return XDP_PASS;
}

SEC("tc")
int ipop_tc_in(struct __sk_buff *skb)
{
	account_skb(skb, FLOW_DIR_INGRESS);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int ipop_tc_eg(struct __sk_buff *skb)
{
	account_skb(skb, FLOW_DIR_EGRESS);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
