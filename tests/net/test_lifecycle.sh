#!/usr/bin/env bash
# load / reload / second interface / unload: counters survive a reload, two
# interfaces share one set of maps, and unload leaves no program, no tcx link,
# no clsact filter and no pin behind. The TC programs go through tcx (pinned
# links) by default, through clsact with --tc-mode clsact or IPOP_TC_MODE.
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
# the default: tcx links, pinned by ifindex, no clsact qdisc
la_idx=$(nsx $A ip -o link show la$T | cut -d: -f1)
progs=$(tc_progs $A la$T)
grep -q "^tcx ingress ipop_tc_in [0-9]* [1-9]" <<<"$progs" || fail "no tcx ingress link: $progs"
grep -q "^tcx egress ipop_tc_eg [0-9]* [1-9]" <<<"$progs" || fail "no tcx egress link: $progs"
grep -q "^clsact" <<<"$progs" && fail "a clsact filter besides tcx: $progs"
nsx $A tc qdisc show dev la$T | grep -q clsact && fail "tcx load created a clsact qdisc"
[ -e "$PIN/tcx_in_$la_idx" ] && [ -e "$PIN/tcx_eg_$la_idx" ] || fail "tcx links not pinned: $(ls "$PIN")"
expect_eq "$(nsx $A "$IPOP" status la$T --json --pin-path "$PIN" | jq -r '.interfaces[0].tc')" tcx "status says tcx"
ok "tcx: both programs linked, no qdisc"

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
[ -z "$(tc_progs $A la$T)" ] || fail "TC program left on la$T: $(tc_progs $A la$T)"
[ ! -e "$PIN/tcx_eg_$la_idx" ] || fail "tcx link pin left for la$T"
nsx $A tc qdisc show dev la$T | grep -q clsact && fail "clsact left on la$T"
ok "la$T clean after unload"
nsx $A "$IPOP" unload lc$T --pin-path "$PIN"
[ ! -e "$PIN" ] || fail "pin dir $PIN left after the last unload"
[ -z "$(tc_progs $A lc$T)" ] || fail "TC programs left on lc$T: $(tc_progs $A lc$T)"
nsx $A tc qdisc show dev lc$T | grep -q clsact && fail "clsact left on lc$T"
bpftool prog show | grep "ipop_" >/dev/null && {
	# other tests may run in parallel: only our programs matter, by id
	for id in $(bpftool prog show | awk '/name ipop_/ {print $1}' | tr -d :); do
		bpftool net show 2>/dev/null | grep "id $id" >/dev/null && fail "program $id still attached"
	done
}
ok "no pin, filter, qdisc or program left"

# the clsact fallback (a kernel without tcx takes it by itself): filters at our handle
nsx $A "$IPOP" load la$T --tc-mode clsact --pin-path "$PIN"
progs=$(tc_progs $A la$T)
grep -q "^clsact ingress .*handle 0x1b0f ipop_tc_in" <<<"$progs" || fail "no clsact ingress filter: $progs"
grep -q "^clsact egress .*handle 0x1b0f ipop_tc_eg" <<<"$progs" || fail "no clsact egress filter: $progs"
grep -q "^tcx" <<<"$progs" && fail "--tc-mode clsact used tcx: $progs"
expect_eq "$(nsx $A "$IPOP" status la$T --json --pin-path "$PIN" | jq -r '.interfaces[0].tc')" clsact "status says clsact"
expect_eq "$(nsx $A "$IPOP" status la$T --json --pin-path "$PIN" | jq '.interfaces[0].attached')" true "clsact attached"
nsx $A "$TOOLS"/udpsend 10.212.0.2 7003 41003 5 64
expect_eq "$(udp_pkts la$T 41003 7003)" 5 "clsact counts"
nsx $A "$IPOP" unload la$T --pin-path "$PIN"
[ -z "$(tc_progs $A la$T)" ] || fail "clsact unload left: $(tc_progs $A la$T)"
nsx $A tc qdisc show dev la$T | grep -q clsact && fail "clsact left on la$T"
# the same through the environment (the daemon has no option for it)
IPOP_TC_MODE=clsact nsx $A "$IPOP" load la$T --pin-path "$PIN"
grep -q "^clsact ingress .*ipop_tc_in" <<<"$(tc_progs $A la$T)" || fail "IPOP_TC_MODE=clsact ignored"
nsx $A "$IPOP" unload la$T --pin-path "$PIN"
if IPOP_TC_MODE=bogus nsx $A "$IPOP" load la$T --pin-path "$PIN" 2>/dev/null; then
	fail "IPOP_TC_MODE=bogus accepted"
fi
[ -z "$(tc_progs $A la$T)" ] || fail "a refused load left: $(tc_progs $A la$T)"
ok "clsact fallback: --tc-mode clsact and IPOP_TC_MODE=clsact"

# clsact that existed before us stays after unload
nsx $A tc qdisc add dev la$T clsact
nsx $A "$IPOP" load la$T --tc-mode clsact --pin-path "$PIN"
nsx $A "$IPOP" unload la$T --pin-path "$PIN"
nsx $A tc qdisc show dev la$T | grep -q clsact || fail "unload removed a clsact it did not create"
ok "pre-existing clsact kept"

# tcx and someone else's clsact (the VPN's, or any tc user) do not touch each other:
# our unload leaves their filter, their qdisc going leaves our programs
nsx $A tc filter add dev la$T ingress pref 49376 handle 0xc0e0 bpf da obj "$BUILD"/bench_bare.bpf.o sec tc
nsx $A "$IPOP" load la$T --pin-path "$PIN"
nsx $A "$TOOLS"/udpsend 10.212.0.2 7004 41004 4 64
nsx $A "$IPOP" unload la$T --keep-pins --pin-path "$PIN"
nsx $A tc filter show dev la$T ingress | grep -q 'handle 0xc0e0 ' || fail "our unload removed a foreign clsact filter"
nsx $A "$IPOP" load la$T --pin-path "$PIN"
nsx $A tc qdisc del dev la$T clsact
expect_eq "$(nsx $A "$IPOP" status la$T --json --pin-path "$PIN" | jq '.interfaces[0].attached')" true "still attached after the clsact qdisc went"
nsx $A "$TOOLS"/udpsend 10.212.0.2 7004 41004 6 64
expect_eq "$(udp_pkts la$T 41004 7004)" 10 "counting on after the clsact qdisc went"
nsx $A "$IPOP" unload la$T --pin-path "$PIN"
ok "tcx does not share a clsact qdisc with anyone"

# unload --all after the device vanished: forget it without error (its tcx link pins too)
nsx $A "$IPOP" load lc$T --pin-path "$PIN"
nsx $A ip link del lc$T
nsx $A "$IPOP" unload --all --pin-path "$PIN"
[ ! -e "$PIN" ] || fail "pins left after unload --all of a vanished device: $(ls "$PIN")"
ok "unload --all forgets a deleted interface"
# in front of the tcx programs already there; theirs stay after our unload
nsx $A "$TOOLS"/tcx_attach "$BUILD"/bench_bare.bpf.o bench_tc_ok la$T ingress
nsx $A "$IPOP" load la$T --pin-path "$PIN"
expect_eq "$(tc_progs $A la$T | awk '$2 == "ingress" { printf "%s ", $3 }')" "ipop_tc_in bench_tc_ok " "tcx ingress order"
nsx $A "$IPOP" unload la$T --pin-path "$PIN"
expect_eq "$(tc_progs $A la$T | awk '{ printf "%s ", $3 }')" "bench_tc_ok " "the other tcx program after our unload"
nsx $A "$TOOLS"/tcx_attach --detach la$T ingress

# the daemon's --keep-attached leaves the tcx links pinned and attached; the next
# daemon adopts them, and without --keep-attached detaches them on exit
SOCK=/tmp/ipop-lc$T.sock
EXTRA_CLEANUP+=("rm -f $SOCK")
run_daemon() { # LOG ARGS...: a daemon on la$T until it answers (DPID)
	local log=$1
	shift
	nsenter --net=/run/netns/$A "$IPOP" daemon --iface la$T --pin-path "$PIN" --ctl-socket "$SOCK" "$@" >"$log" 2>&1 &
	DPID=$!
	EXTRA_CLEANUP+=("kill -9 $DPID")
	for _ in $(seq 50); do
		"$IPOP" table list --ctl-socket "$SOCK" >/dev/null 2>&1 && return 0
		kill -0 $DPID 2>/dev/null || fail "daemon died: $(cat "$log")"
		sleep 0.1
	done
	fail "daemon did not answer: $(cat "$log")"
}
LOGD=$(mktemp /tmp/ipop-lc$T.XXXXXX)
EXTRA_CLEANUP+=("rm -f $LOGD")
run_daemon "$LOGD" --keep-attached
ids1=$(tc_progs $A la$T | awk '{ print $4 }' | tr '\n' ' ')
kill -TERM $DPID
wait $DPID || fail "daemon exit status $?"
expect_eq "$(tc_progs $A la$T | awk '{ print $4 }' | tr '\n' ' ')" "$ids1" "--keep-attached: the same tcx programs after the daemon"
run_daemon "$LOGD"
grep -q "adopting" "$LOGD" || fail "the second daemon did not adopt: $(cat "$LOGD")"
expect_eq "$(tc_progs $A la$T | awk '{ print $4 }' | tr '\n' ' ')" "$ids1" "adopted, not re-attached"
kill -TERM $DPID
wait $DPID || fail "daemon exit status $?"
[ -z "$(tc_progs $A la$T)" ] || fail "the daemon left: $(tc_progs $A la$T)"
ok "daemon: --keep-attached keeps the tcx links, the next daemon adopts and detaches them"
nsx $A "$IPOP" unload --all --pin-path "$PIN" 2>/dev/null || true
echo PASS
