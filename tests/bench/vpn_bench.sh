#!/usr/bin/env bash
# VPN datapath benchmark (`make bench`, root). Not a test: it prints tables.
#  1. BPF_PROG_TEST_RUN cost per frame of the VPN programs (origin encap,
#     transit as TC and as XDP, last hop), against bare programs measured the
#     same way (tests/tools/vpn_bench_prog.c says how).
#  2. TCP across 3 overlay hops (A -> B -> C -> E, namespaces, VXLAN links):
#     tests/net/test_vpn_static.sh with a larger transfer, TC transit.
#     Wall clock on a shared VM: indicative only.
# Appends to $BUILD/bench.md. Environment: BUILD, VPN_BENCH_RUNS (20000),
# VPN_BENCH_ROUNDS (7), VPN_BENCH_TCP_BYTES (50000000).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench.md

echo "## VPN datapath: per-frame program cost"
"$BUILD/tools/vpn_bench_prog" -b "$BUILD/bench_bare.bpf.o" -n "${VPN_BENCH_RUNS:-20000}" \
	-r "${VPN_BENCH_ROUNDS:-7}" -m "$OUT"
echo
echo "## VPN datapath: TCP over 3 overlay hops (TC transit)"
VPN_TCP_BYTES=${VPN_BENCH_TCP_BYTES:-50000000} BUILD=$BUILD \
	flock /tmp/ipop-net.lock bash tests/net/test_vpn_static.sh | grep 'TCP transfer' | tee -a "$OUT"
