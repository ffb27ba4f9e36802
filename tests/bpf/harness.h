/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Runs frames through the flow programs with BPF_PROG_TEST_RUN and reads the
 * maps back. Every test gets its own loaded skeleton, so its maps start empty.
 */
#ifndef IPOP_TESTS_BPF_HARNESS_H
#define IPOP_TESTS_BPF_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

enum hook {
	HOOK_XDP = 0, /* ipop_xdp */
	HOOK_TC_IN,   /* ipop_tc_in */
	HOOK_TC_EG,   /* ipop_tc_eg */
	HOOK_MAX,
};

#define XDP_PASS_RET 2
/* the TC programs observe only: TC_ACT_UNSPEC (-1) as test_run reports it */
#define TC_ACT_UNSPEC_RET ((uint32_t)-1)
#define RUN_OUT_MAX	  (1 << 17)

/* ifindex the kernel reports to programs under test_run: the loopback device */
#define LOOPBACK_IFINDEX 1

struct harness {
	void *skel; /* struct ipop_flow_bpf */
	int prog_fd[HOOK_MAX];
	int flows_fd;
	int stats_fd;
	int ncpu;
};

struct run {
	int err; /* bpf_prog_test_run_opts(): 0 or -errno */
	uint32_t retval;
	uint32_t size_out;
	uint8_t out[RUN_OUT_MAX];
};

struct flow_entry {
	struct flow_key k;
	struct flow_value v;
};

extern const char *const hook_name[HOOK_MAX];

/* Fails the test (loudly) when not root or when the object does not load. */
void harness_open(struct harness *h);
void harness_close(struct harness *h);

/*
 * Run one frame. For HOOK_XDP, xdp_ifindex != 0 passes an xdp_md context with
 * that ingress_ifindex; 0 passes no context. TC programs get no context.
 */
int harness_run(struct harness *h, enum hook hk, const void *data, size_t len, uint32_t xdp_ifindex,
		struct run *r);

/*
 * Shortest frame test_run accepts (observed on 6.18): 14 bytes (ETH_HLEN) for
 * all; for the TC (skb) programs, an untagged IPv4 frame needs a whole IPv4
 * header (34) and an untagged IPv6 frame a whole IPv6 header (54), since
 * bpf_prog_test_run_skb() pulls the network header of skb->protocol.
 */
size_t hook_min_len(enum hook hk, const uint8_t *data, size_t len);

uint32_t hook_pass_verdict(enum hook hk);
uint8_t hook_dir(enum hook hk);

/* Per-CPU counters summed over CPUs. */
void harness_stats(struct harness *h, uint64_t st[DP_STAT_MAX]);
/* Number of flows in the map; the first max are copied to out. */
size_t harness_flows(struct harness *h, struct flow_entry *out, size_t max);
void harness_clear_flows(struct harness *h);

uint64_t mono_ns(void);

/* Readable key, for failure messages. */
const char *key_str(const struct flow_key *k, char *buf, size_t len);

#endif /* IPOP_TESTS_BPF_HARNESS_H */
