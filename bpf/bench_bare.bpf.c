// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Bare programs for the benchmark (tests/bench): attached where the flow
 * programs attach, they measure what the hook itself costs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_OK 0

SEC("xdp")
int bench_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bench_tc_ok(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
