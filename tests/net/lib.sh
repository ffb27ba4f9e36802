#!/usr/bin/env bash
# Shared helpers for the namespace integration tests. Source it first thing.
# Every test gets unique namespace, interface and pin names (suffix $$), and
# a trap that removes them all, whether the test passes or fails.
set -euo pipefail

: "${BUILD:=build}"
: "${IPOP:=$BUILD/ipop-bpf}"
TOOLS=$BUILD/tools
T=$$                         # unique suffix
PIN=/sys/fs/bpf/ipop-t$T     # our own pin path, never the default
NS_LIST=()
EXTRA_CLEANUP=()
SKIP=249

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit $SKIP; }
ok() { echo "ok - $*"; }

cleanup() {
	local rc=$?
	set +e
	for c in "${EXTRA_CLEANUP[@]}"; do eval "$c" >/dev/null 2>&1; done
	for ns in "${NS_LIST[@]}"; do
		# detach whatever is still loaded through our pin path, then drop the ns
		nsenter --net=/run/netns/"$ns" "$IPOP" unload --all --pin-path "$PIN" >/dev/null 2>&1
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$PIN" 2>/dev/null
	exit $rc
}
trap cleanup EXIT INT TERM

[ "$(id -u)" -eq 0 ] || fail "integration tests need root"
[ -x "$IPOP" ] || fail "$IPOP not built (make)"
if ! mountpoint -q /sys/fs/bpf; then mount -t bpf bpf /sys/fs/bpf; fi

# nsx NS CMD...: run in the namespace's network only (keeps /sys/fs/bpf visible)
nsx() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

new_ns() {
	ip netns add "$1"
	NS_LIST+=("$1")
	nsx "$1" ip link set lo up
}

# veth_pair NS_A IF_A ADDR_A NS_B IF_B ADDR_B (addresses with prefix length)
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	nsx "$1" ip addr add "$3" dev "$2"
	nsx "$4" ip addr add "$6" dev "$5"
	nsx "$1" ip link set "$2" up
	nsx "$4" ip link set "$5" up
	# IPv6 DAD and router solicitations would add flows at random times
	nsx "$1" sysctl -qw net.ipv6.conf."$2".accept_dad=0 net.ipv6.conf."$2".router_solicitations=0
	nsx "$4" sysctl -qw net.ipv6.conf."$5".accept_dad=0 net.ipv6.conf."$5".router_solicitations=0
}

# flows_json NS: the flow table as JSON
flows_json() { nsx "$1" "$IPOP" flows --json --pin-path "$PIN"; }

# flow_field JSON IFNAME DIR PROTO SPORT DPORT FIELD: one field of the matching flow (or 0)
flow_field() {
	jq -r --arg i "$2" --arg d "$3" --argjson p "$4" --argjson s "$5" --argjson t "$6" \
		"[.flows[] | select(.ifname==\$i and .direction==\$d and .proto==\$p and .sport==\$s and .dport==\$t) | .$7] | add // 0" <<<"$1"
}

# tc_progs NS IFNAME: the TC programs on IFNAME, one line each: "tcx DIR NAME ID LINK"
# (tests/tools/tcx_attach --query; bpftool 7.1 does not list tcx) and "clsact DIR <tc's
# filter line>" for every BPF filter under a clsact qdisc. Empty: nothing attached.
tc_progs() {
	local d
	for d in ingress egress; do
		nsx "$1" "$TOOLS"/tcx_attach --query "$2" $d | sed "s/^/tcx $d /"
		nsx "$1" tc filter show dev "$2" $d | grep ' bpf .*id ' | sed "s/^/clsact $d /" || true
	done
}

expect_eq() { [ "$1" = "$2" ] || fail "$3: expected $2, got $1"; ok "$3 = $2"; }
