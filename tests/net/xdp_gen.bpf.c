// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The benchmark generator's XDP program (tests/tools/pktgen.c --xdp-live):
 * run by BPF_PROG_TEST_RUN in live-frames mode, it redirects every frame to
 * the interface in gen_tgt[0], so the frames reach the veth's peer as XDP
 * frames -- as a NIC driver hands them over -- instead of as skbs built by a
 * socket.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gen_tgt SEC(".maps");

SEC("xdp")
int gen_redirect(struct xdp_md *ctx)
{
	__u32 zero = 0, *ifindex = bpf_map_lookup_elem(&gen_tgt, &zero);

	return ifindex ? bpf_redirect(*ifindex, 0) : XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
