#!/usr/bin/env bash
# load / reload / second interface / unload: counters survive a reload, two
# interfaces share one set of maps, and unload leaves no program, no clsact
# filter and no pin behind.
. "$(dirname "$0")/lib.sh"

A=ila$T B=ilb$T C=ilc$T
new_ns $A
new_ns $B
new_ns $C
veth_pair $A la$T 10.212.0.1/30 $B lb$T 10.212.0.2/30
veth_pair $A lc$T 10.212.1.1/30 $C ld$T 10.212.1.2/30
nsx $A ping -c1 -W2 10.212.0.2 >/dev/null
nsx $A ping -c1 -W2 10.212.1.2 >/dev/null

udp_pkts() { flow_field "$(flows_json $A)" "$1" egress 17 "$2" "$3" packets; }

nsx $A "$IPOP" load la$T --pin-path "$PIN"
nsx $A "$TOOLS"/udpsend 10.212.0.2 7001 41001 30 64
expect_eq "$(udp_pkts la$T 41001 7001)" 30 "first load counts"

# reload with the other hook: the pinned flow map is reused, counters go on
nsx $A "$IPOP" unload la$T --keep-pins --pin-path "$PIN"
[ -e "$PIN/flows" ] || fail "--keep-pins removed $PIN/flows"
nsx $A "$IPOP" load la$T --ingress-hook xdp --pin-path "$PIN"
nsx $A "$TOOLS"/udpsend 10.212.0.2 7001 41001 12 64
expect_eq "$(udp_pkts la$T 41001 7001)" 42 "counters survive unload --keep-pins + load"

# a second interface shares the maps
nsx $A "$IPOP" load lc$T --pin-path "$PIN"
nsx $A "$TOOLS"/udpsend 10.212.1.2 7002 41002 7 64
expect_eq "$(udp_pkts lc$T 41002 7002)" 7 "second interface counted in the same map"
expect_eq "$(nsx $A "$IPOP" status --json --pin-path "$PIN" | jq '.interfaces | length')" 2 "status lists both"
expect_eq "$(nsx $A "$IPOP" status --json --pin-path "$PIN" | jq '[.interfaces[].attached] | all')" true "both attached"

# loading twice is refused and changes nothing
if nsx $A "$IPOP" load la$T --pin-path "$PIN" 2>/dev/null; then fail "double load accepted"; fi
expect_eq "$(udp_pkts la$T 41001 7001)" 42 "refused double load kept counters"

# unloading one keeps the pins; unloading the last removes them
nsx $A "$IPOP" unload la$T --pin-path "$PIN"
[ -e "$PIN/flows" ] || fail "pins removed while lc$T still loaded"
nsx $A ip link show la$T | grep -q 'prog/xdp' && fail "XDP still on la$T"
[ -z "$(nsx $A tc filter show dev la$T egress)" ] || fail "egress filter left on la$T"
nsx $A tc qdisc show dev la$T | grep -q clsact && fail "clsact left on la$T"
ok "la$T clean after unload"
nsx $A "$IPOP" unload lc$T --pin-path "$PIN"
[ ! -e "$PIN" ] || fail "pin dir $PIN left after the last unload"
[ -z "$(nsx $A tc filter show dev lc$T ingress)$(nsx $A tc filter show dev lc$T egress)" ] ||
	fail "filters left on lc$T"
nsx $A tc qdisc show dev lc$T | grep -q clsact && fail "clsact left on lc$T"
bpftool prog show | grep "ipop_" >/dev/null && {
	# other tests may run in parallel: only our programs matter, by id
	for id in $(bpftool prog show | awk '/name ipop_/ {print $1}' | tr -d :); do
		bpftool net show 2>/dev/null | grep "id $id" >/dev/null && fail "program $id still attached"
	done
}
ok "no pin, filter, qdisc or program left"

# clsact that existed before us stays after unload
nsx $A tc qdisc add dev la$T clsact
nsx $A "$IPOP" load la$T --pin-path "$PIN"
nsx $A "$IPOP" unload la$T --pin-path "$PIN"
nsx $A tc qdisc show dev la$T | grep -q clsact || fail "unload removed a clsact it did not create"
ok "pre-existing clsact kept"

# unload --all after the device vanished: forget it without error
nsx $A "$IPOP" load lc$T --pin-path "$PIN"
nsx $A ip link del lc$T
nsx $A "$IPOP" unload --all --pin-path "$PIN"
[ ! -e "$PIN" ] || fail "pins left after unload --all of a vanished device"
ok "unload --all forgets a deleted interface"
echo PASS
