// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Someone else's XDP program, for the tests that ipop-bpf refuses to replace it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int not_ipop(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
