#!/usr/bin/env bash
# Pins removed under a running daemon, then SIGKILL: the restart refuses and
# its error names the way out, `ipop-bpf unload --all --force`, which finds
# our programs by name on every interface of the network namespace (XDP
# through libxdp, TC at our clsact handle, tcx through a link or attached
# alone) without any pin, detaches them, leaves foreign XDP and tcx programs
# alone and removes leftover pins; the daemon then starts again. (A tcx link
# whose pin goes detaches by itself: the left-over tcx cases are a link pinned
# elsewhere and a program attached without a link.)
. "$(dirname "$0")/lib.sh"

A=ufa$T B=ufb$T
SOCK=/tmp/ipop-uf$T.sock
PIN2=$PIN-b
W=$BUILD/net-logs/unload-force-$T
mkdir -p "$W"
new_ns $A
new_ns $B
veth_pair $A ux$T 10.220.0.1/30 $B vx$T 10.220.0.2/30 # daemon, XDP ingress
veth_pair $A ut$T 10.220.1.1/30 $B vt$T 10.220.1.2/30 # load, TC ingress
veth_pair $A uf$T 10.220.2.1/30 $B vf$T 10.220.2.2/30 # someone else's XDP and tcx; ours on tcx without a link
veth_pair $A ul$T 10.220.3.1/30 $B vl$T 10.220.3.2/30 # load, tcx link pinned elsewhere
KEEP=/sys/fs/bpf/ipop-uf$T-keep
EXTRA_CLEANUP+=("rm -f $SOCK" "rm -rf $W" "rm -rf $PIN2" "rm -rf $PIN-c" "rm -f $KEEP")

start_daemon() { # LOG: the daemon in the background, DPID
	nsenter --net=/run/netns/$A "$IPOP" daemon --iface ux$T --ingress-hook xdp \
		--pin-path "$PIN" --ctl-socket "$SOCK" >"$1" 2>&1 &
	DPID=$!
	EXTRA_CLEANUP+=("kill -9 $DPID")
}
xdp_name() { nsx $A ip -d link show "$1" | grep -o 'name [a-z_]*' | head -n 1 || true; }
has_ours() { # IFNAME: is any program of ours attached to it?
	grep -q 'ipop_' <<<"$(tc_progs $A "$1")" && return 0
	# XDP alone (ip names it) or in a libxdp dispatcher (whose programs are ours here)
	grep -q 'prog/xdp .*name \(ipop_\|xdp_dispatcher\)' <<<"$(nsx $A ip -d link show "$1")"
}

nsx $A ip link set dev uf$T xdpgeneric obj "$BUILD"/tools/xdp_foreign.bpf.o sec xdp
nsx $A "$TOOLS"/tcx_attach "$BUILD"/bench_bare.bpf.o bench_tc_ok uf$T egress # foreign tcx
nsx $A "$TOOLS"/tcx_attach "$BUILD"/ipop_flow.bpf.o ipop_tc_in uf$T ingress # ours, no link
start_daemon "$W/d1.log"
for _ in $(seq 50); do
	"$IPOP" table list --ctl-socket "$SOCK" >/dev/null 2>&1 && break
	kill -0 $DPID 2>/dev/null || { cat "$W/d1.log"; fail "daemon died"; }
	sleep 0.1
done
nsx $A "$IPOP" load ut$T --ingress-hook tc --tc-mode clsact --pin-path "$PIN2"
nsx $A "$IPOP" load ul$T --pin-path "$PIN-c"
has_ours ux$T || fail "daemon's programs not attached to ux$T"
has_ours ut$T || fail "load's programs not attached to ut$T"
grep -q '^tcx ingress ipop_tc_in [0-9]* [1-9]' <<<"$(tc_progs $A ul$T)" || fail "no tcx link on ul$T"
ul_idx=$(nsx $A ip -o link show ul$T | cut -d: -f1)
mv "$PIN-c/tcx_in_$ul_idx" "$KEEP" # the ingress link stays held there

# the pins go while the daemon runs, then the daemon dies
rm -rf "$PIN" "$PIN2" "$PIN-c"
grep -q 'ipop_tc_eg' <<<"$(tc_progs $A ul$T)" && fail "removing a tcx link's pin did not detach it"
grep -q '^tcx ingress ipop_tc_in' <<<"$(tc_progs $A ul$T)" || fail "the link pinned elsewhere went"
kill -9 $DPID
wait $DPID 2>/dev/null || true
has_ours ux$T || fail "killing the daemon detached ux$T (the scenario needs it attached)"

# the restart refuses, naming the way out
start_daemon "$W/d2.log"
rc=0
wait $DPID || rc=$?
[ $rc -ne 0 ] || fail "the daemon started over a left-over attachment: $(cat "$W/d2.log")"
grep -q "ipop-bpf unload --all --force" "$W/d2.log" ||
	fail "the refusal does not name 'ipop-bpf unload --all --force': $(cat "$W/d2.log")"
ok "restart refused: $(head -n 1 "$W/d2.log")"
# and `load` the same way on the TC interfaces (clsact left-over, tcx with and without a link)
for i in ut$T uf$T ul$T; do
	if nsx $A "$IPOP" load $i --ingress-hook tc --pin-path "$PIN2" 2>"$W/load.err"; then
		fail "load over a left-over TC program on $i succeeded"
	fi
	grep -q "ipop-bpf unload --all --force" "$W/load.err" ||
		fail "load's refusal does not name the way out: $(cat "$W/load.err")"
	ok "load refused: $(cat "$W/load.err")"
done
[ ! -e "$PIN2" ] || fail "refused loads left $PIN2"
# the plain unload cannot help: nothing is pinned
if nsx $A "$IPOP" unload --all --pin-path "$PIN" 2>/dev/null; then fail "plain unload --all found pins"; fi

# a pin left over from a partial removal goes too
mkdir -p "$PIN"
out=$(nsx $A "$IPOP" unload --all --force --pin-path "$PIN")
echo "$out"
# ux: XDP (its tcx egress link went with the pins); ut: 2 clsact; uf: 1 tcx; ul: 1 tcx link
grep -q "detached 5 programs of ours from 4 interfaces" <<<"$out" ||
	fail "unload --all --force: $out"
for i in ux$T ut$T uf$T ul$T; do
	has_ours $i && fail "still attached to $i after unload --all --force: $(tc_progs $A $i)"
done
[ ! -e "$PIN" ] || fail "pin directory left: $(ls -A "$PIN")"
expect_eq "$(xdp_name uf$T)" "name not_ipop" "the foreign XDP program untouched"
expect_eq "$(tc_progs $A uf$T | awk '{ print $1, $2, $3 }')" "tcx egress bench_tc_ok" "the foreign tcx program untouched"
ok "unload --all --force detached ours from ux$T, ut$T, uf$T and ul$T"
# nothing left: a second run finds nothing and says so
out=$(nsx $A "$IPOP" unload --all --force --pin-path "$PIN")
grep -q "detached 0 programs of ours from 0 interfaces" <<<"$out" || fail "second run: $out"
expect_eq "$(xdp_name uf$T)" "name not_ipop" "the foreign XDP program still untouched"
expect_eq "$(tc_progs $A uf$T | awk '{ print $1, $2, $3 }')" "tcx egress bench_tc_ok" "the foreign tcx program still untouched"

# --force alone, or with --keep-pins, is a usage error
nsx $A "$IPOP" unload ux$T --force 2>/dev/null && fail "--force without --all accepted"
nsx $A "$IPOP" unload --all --force --keep-pins 2>/dev/null && fail "--force --keep-pins accepted"

# the daemon starts again
start_daemon "$W/d3.log"
for _ in $(seq 50); do
	"$IPOP" table list --ctl-socket "$SOCK" >/dev/null 2>&1 && break
	kill -0 $DPID 2>/dev/null || { cat "$W/d3.log"; fail "daemon did not start after the unload"; }
	sleep 0.1
done
has_ours ux$T || fail "the restarted daemon did not attach"
ok "the daemon starts again after unload --all --force"
kill -TERM $DPID
wait $DPID || fail "daemon exit status $?"
echo PASS
