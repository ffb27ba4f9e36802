#!/usr/bin/env bash
# Pins removed under a running daemon, then SIGKILL: the restart refuses and
# its error names the way out, `ipop-bpf unload --all --force`, which finds
# our programs by name on every interface of the network namespace (XDP
# through libxdp, TC at our clsact handle) without any pin, detaches them,
# leaves a foreign XDP program alone and removes leftover pins; the daemon
# then starts again.
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
veth_pair $A uf$T 10.220.2.1/30 $B vf$T 10.220.2.2/30 # someone else's XDP
EXTRA_CLEANUP+=("rm -f $SOCK" "rm -rf $W" "rm -rf $PIN2")

start_daemon() { # LOG: the daemon in the background, DPID
	nsenter --net=/run/netns/$A "$IPOP" daemon --iface ux$T --ingress-hook xdp \
		--pin-path "$PIN" --ctl-socket "$SOCK" >"$1" 2>&1 &
	DPID=$!
	EXTRA_CLEANUP+=("kill -9 $DPID")
}
xdp_name() { nsx $A ip -d link show "$1" | grep -o 'name [a-z_]*' | head -n 1 || true; }
has_ours() { # IFNAME: is any program of ours attached to it?
	local tcf
	tcf=$(nsx $A tc filter show dev "$1" ingress)$(nsx $A tc filter show dev "$1" egress)
	grep -q 'ipop_' <<<"$tcf" && return 0
	nsx $A ip -d link show "$1" | grep -q 'prog/xdp' || return 1
	# libxdp dispatcher or alone: ask bpftool what is in it
	nsx $A bpftool net show dev "$1" 2>/dev/null | grep -q 'ipop_\|xdp_dispatcher'
}

nsx $A ip link set dev uf$T xdpgeneric obj "$BUILD"/tools/xdp_foreign.bpf.o sec xdp
start_daemon "$W/d1.log"
for _ in $(seq 50); do
	"$IPOP" table list --ctl-socket "$SOCK" >/dev/null 2>&1 && break
	kill -0 $DPID 2>/dev/null || { cat "$W/d1.log"; fail "daemon died"; }
	sleep 0.1
done
nsx $A "$IPOP" load ut$T --ingress-hook tc --pin-path "$PIN2"
has_ours ux$T || fail "daemon's programs not attached to ux$T"
has_ours ut$T || fail "load's programs not attached to ut$T"

# the pins go while the daemon runs, then the daemon dies
rm -rf "$PIN" "$PIN2"
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
# and `load` the same way on the TC interface
if nsx $A "$IPOP" load ut$T --ingress-hook tc --pin-path "$PIN2" 2>"$W/load.err"; then
	fail "load over a left-over TC filter succeeded"
fi
grep -q "ipop-bpf unload --all --force" "$W/load.err" ||
	fail "load's refusal does not name the way out: $(cat "$W/load.err")"
ok "load refused: $(cat "$W/load.err")"
# the plain unload cannot help: nothing is pinned
if nsx $A "$IPOP" unload --all --pin-path "$PIN" 2>/dev/null; then fail "plain unload --all found pins"; fi

# a pin left over from a partial removal goes too
mkdir -p "$PIN"
out=$(nsx $A "$IPOP" unload --all --force --pin-path "$PIN")
echo "$out"
grep -q "detached [4-9] programs of ours from 2 interfaces" <<<"$out" ||
	fail "unload --all --force: $out"
for i in ux$T ut$T; do
	has_ours $i && fail "still attached to $i after unload --all --force"
done
[ ! -e "$PIN" ] || fail "pin directory left: $(ls -A "$PIN")"
expect_eq "$(xdp_name uf$T)" "name not_ipop" "the foreign XDP program untouched"
ok "unload --all --force detached ours from ux$T and ut$T"
# nothing left: a second run finds nothing and says so
out=$(nsx $A "$IPOP" unload --all --force --pin-path "$PIN")
grep -q "detached 0 programs of ours from 0 interfaces" <<<"$out" || fail "second run: $out"
expect_eq "$(xdp_name uf$T)" "name not_ipop" "the foreign XDP program still untouched"

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
