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
#include "parsing.h"

#define TC_ACT_OK 0

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

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&dp_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline void flow_update(struct flow_key *k, __u64 len, __u8 tcp_flags)
{
	struct flow_value *v, nv = {};
	__u64 now = bpf_ktime_get_ns();
	int err;

	v = bpf_map_lookup_elem(&flows, k);
	if (v) {
#ifdef IPOP_FLOW_PERCPU
		v->packets++;
		v->bytes += len;
		v->tcp_flags |= tcp_flags;
#else
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, len);
		if (tcp_flags && (v->tcp_flags & tcp_flags) != tcp_flags)
			__sync_fetch_and_or(&v->tcp_flags, tcp_flags);
#endif
		v->last_seen_ns = now;
		return;
	}
	nv.packets = 1;
	nv.bytes = len;
	nv.first_seen_ns = now;
	nv.last_seen_ns = now;
	nv.tcp_flags = tcp_flags;
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
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, len);
	if (tcp_flags)
		__sync_fetch_and_or(&v->tcp_flags, tcp_flags);
	v->last_seen_ns = now;
}

/* The accounting path every hook shares. */
static __always_inline void account(const void *data, const void *data_end, __u32 ifindex, __u8 dir,
				    __u64 len)
{
	struct flow_key k = {};
	__u8 tcp_flags = 0;
	int frag = 0, res;

	k.ifindex = ifindex;
	k.dir = dir;
	stat_inc(DP_STAT_PACKETS);
	res = parse_frame(data, data_end, &k, &tcp_flags, &frag);
	if (res == PARSE_ERR) {
		stat_inc(DP_STAT_PARSE_ERROR);
		return;
	}
	if (res == PARSE_NON_IP)
		stat_inc(DP_STAT_NON_IP);
	if (frag)
		stat_inc(DP_STAT_FRAGMENT);
	flow_update(&k, len, tcp_flags);
}

/* Headers we may read: Ethernet, two tags, IPv6 with a few extension headers, L4. */
#define TC_PULL_LEN 256

static __always_inline void account_skb(struct __sk_buff *skb, __u8 dir)
{
	__u32 len = skb->len;
	void *data, *data_end;

	if (skb->data_end - skb->data < len && skb->data_end - skb->data < TC_PULL_LEN)
		bpf_skb_pull_data(skb, len < TC_PULL_LEN ? len : TC_PULL_LEN);
	/* re-read the packet pointers only after the pull (it invalidates them) */
	asm volatile("" ::: "memory");
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	account(data, data_end, skb->ifindex, dir, len);
}

SEC("xdp")
int ipop_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	account(data, data_end, ctx->ingress_ifindex, FLOW_DIR_INGRESS, data_end - data);
	return XDP_PASS;
}

SEC("tc")
int ipop_tc_in(struct __sk_buff *skb)
{
	account_skb(skb, FLOW_DIR_INGRESS);
	return TC_ACT_OK;
}

SEC("tc")
int ipop_tc_eg(struct __sk_buff *skb)
{
	account_skb(skb, FLOW_DIR_EGRESS);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
