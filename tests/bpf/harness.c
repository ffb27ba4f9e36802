// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <criterion/criterion.h>

#include "ipop_flow.skel.h"
#include "harness.h"

const char *const hook_name[HOOK_MAX] = { "ipop_xdp", "ipop_tc_in", "ipop_tc_eg" };

void harness_open(struct harness *h)
{
	struct ipop_flow_bpf *skel;

	memset(h, 0, sizeof(*h));
	cr_assert_eq(geteuid(), 0, "BPF program tests need root (BPF_PROG_TEST_RUN); euid is %u",
		     (unsigned)geteuid());
	skel = ipop_flow_bpf__open_and_load();
	cr_assert_not_null(skel, "ipop_flow_bpf__open_and_load: %s", strerror(errno));
	h->skel = skel;
	h->prog_fd[HOOK_XDP] = bpf_program__fd(skel->progs.ipop_xdp);
	h->prog_fd[HOOK_TC_IN] = bpf_program__fd(skel->progs.ipop_tc_in);
	h->prog_fd[HOOK_TC_EG] = bpf_program__fd(skel->progs.ipop_tc_eg);
	h->flows_fd = bpf_map__fd(skel->maps.flows);
	h->stats_fd = bpf_map__fd(skel->maps.dp_stats);
	h->ncpu = libbpf_num_possible_cpus();
	cr_assert_gt(h->ncpu, 0);
	cr_assert_eq(bpf_map__key_size(skel->maps.flows), sizeof(struct flow_key));
	cr_assert_eq(bpf_map__value_size(skel->maps.flows), sizeof(struct flow_value));
}

void harness_close(struct harness *h)
{
	ipop_flow_bpf__destroy(h->skel);
	h->skel = NULL;
}

size_t hook_min_len(enum hook hk, const uint8_t *data, size_t len)
{
	uint16_t et;

	if (hk == HOOK_XDP || len < 14)
		return 14;
	et = (data[12] << 8) | data[13];
	if (et == 0x0800)
		return 14 + 20;
	if (et == 0x86dd)
		return 14 + 40;
	return 14;
}

uint32_t hook_pass_verdict(enum hook hk)
{
	return hk == HOOK_XDP ? XDP_PASS_RET : TC_ACT_UNSPEC_RET;
}

uint8_t hook_dir(enum hook hk)
{
	return hk == HOOK_TC_EG ? FLOW_DIR_EGRESS : FLOW_DIR_INGRESS;
}

int harness_run(struct harness *h, enum hook hk, const void *data, size_t len, uint32_t xdp_ifindex,
		struct run *r)
{
	struct xdp_md xctx = { .data = 0, .data_end = len, .ingress_ifindex = xdp_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);

	if (hk == HOOK_XDP && xdp_ifindex) {
		o.ctx_in = &xctx;
		o.ctx_size_in = sizeof(xctx);
	}
	r->err = bpf_prog_test_run_opts(h->prog_fd[hk], &o) ? -errno : 0;
	r->retval = o.retval;
	r->size_out = o.data_size_out;
	return r->err;
}

void harness_stats(struct harness *h, uint64_t st[DP_STAT_MAX])
{
	uint64_t v[h->ncpu];
	uint32_t i;
	int c;

	for (i = 0; i < DP_STAT_MAX; i++) {
		cr_assert_eq(bpf_map_lookup_elem(h->stats_fd, &i, v), 0, "dp_stats[%u]: %s", i,
			     strerror(errno));
		st[i] = 0;
		for (c = 0; c < h->ncpu; c++)
			st[i] += v[c];
	}
}

size_t harness_flows(struct harness *h, struct flow_entry *out, size_t max)
{
	struct flow_key k, next;
	struct flow_value v;
	size_t n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(h->flows_fd, prev, &next) == 0) {
		cr_assert_eq(bpf_map_lookup_elem(h->flows_fd, &next, &v), 0, "lookup: %s",
			     strerror(errno));
		if (n < max) {
			out[n].k = next;
			out[n].v = v;
		}
		n++;
		k = next;
		prev = &k;
		cr_assert_lt(n, 1u << 20, "flow map iteration does not end");
	}
	return n;
}

void harness_clear_flows(struct harness *h)
{
	struct flow_key k;
	int guard = 0;

	while (bpf_map_get_next_key(h->flows_fd, NULL, &k) == 0) {
		cr_assert_eq(bpf_map_delete_elem(h->flows_fd, &k), 0, "delete: %s",
			     strerror(errno));
		cr_assert_lt(++guard, 1 << 20);
	}
}

/* The programs stamp flows with bpf_ktime_get_coarse_ns(): the same clock. */
uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

const char *key_str(const struct flow_key *k, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->l3 == FLOW_L3_IPV6 ? AF_INET6 : AF_INET;

	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	snprintf(buf, len, "{if %u dir %u l3 %u proto %u flags %u et 0x%04x vlan %u %s:%u > %s:%u}",
		 k->ifindex, k->dir, k->l3, k->proto, k->flags, k->ethertype, k->vlan, s, k->sport,
		 d, k->dport);
	return buf;
}
