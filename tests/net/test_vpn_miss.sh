#!/usr/bin/env bash
# Misses too big for SRUM: the five VPN daemons of test_vpn_overlay.sh (A -> E
# is 3 overlay hops), where A knows E's MAC from the start (static_macs in
# its config, a permanent neighbour entry on ipop0), so the very first frame
# A sends to E is a 1242-byte one (a 1200-byte UDP datagram, DF set) and no
# path to E exists anywhere. SRUM carries at most 968 bytes: the daemon
# queues the frame, discovers, and once the path is in the kernel sends it
# again into ipop0's egress (a packet socket), where vpn_origin takes it.
# Checks: the datagram arrives on E intact, A's counters show the path it
# took (queued, re-injected, sent by the kernel's origin program, none over
# SRUM, nothing dropped), a ping -s 1200 -M do A -> E loses nothing, and a
# big frame for a node that does not exist is dropped after the queue's
# 5 s, counted (miss_dropped_expired). For comparison it first sends a
# 900-byte datagram as the first frame to C (SRUM carries it while the path
# is found) and prints how long each first frame took.
source "$(dirname "$0")/lib.sh"
ok() { echo "ok (${SECONDS} s) - $*"; }

VPN_BCAST=tlfm
VPN_PREFIX=ivm$T
source "$(dirname "$0")/vpn_lib.sh"
command -v python3 >/dev/null || fail "python3 is needed"

dstat() { ctl "$1" stats --json | jq -r ".vpn_dp.daemon.$2"; }
kst() { ctl "$1" stats --json | jq -r ".vpn_dp.$2"; }
die() {
	for x in A E; do
		echo "--- $x"
		tail -n 5 "$WORK/$x.log"
		ctl "$x" vpn status 2>/dev/null | jq -c '{paths, c: .counters.daemon}' 2>/dev/null
	done
	fail "$*"
}

vpn_keys
vpn_net
vpn_configs
GHOST=0123456789abcdef0123456789abcdef
jq --arg e "${ID[E]}" --arg c "${ID[C]}" --arg g "$GHOST" \
	'.vpn.static_macs = {"02:00:00:00:35:05": $e, "02:00:00:00:35:03": $c, "02:00:00:00:35:99": $g}' \
	"$WORK/A.json" >"$WORK/A2.json" && mv "$WORK/A2.json" "$WORK/A.json"
vpn_start
vpn_wait
nsx "$(ns A)" ip neigh replace 10.236.0.5 lladdr 02:00:00:00:35:05 dev ipop0 nud permanent
nsx "$(ns A)" ip neigh replace 10.236.0.3 lladdr 02:00:00:00:35:03 dev ipop0 nud permanent
nsx "$(ns A)" ip neigh replace 10.236.0.99 lladdr 02:00:00:00:35:99 dev ipop0 nud permanent
n=$(ctl A vpn status | jq '.paths | length')
expect_eq "$n" 0 "paths in A's datapath before the first frame"
ok "5 daemons up; A knows E's MAC and has no path to it"

# E takes one datagram; A sends one of 1200 bytes (a 1242-byte frame), DF set
cat >"$WORK/recv.py" <<'PY'
import socket, sys
import time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5002))
s.settimeout(float(sys.argv[2]))
try:
    d, a = s.recvfrom(4096)
    t = time.time()
    print(len(d), a[0], d[:16].decode())
    print(t, file=sys.stderr)
except socket.timeout:
    print("timeout")
PY
cat >"$WORK/send.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO: DF
import time
n = int(sys.argv[2])
print(time.time())
s.sendto(b"first-frame-%04d" % n + b"x" * (n - 16), (sys.argv[1], 5002))
PY
# for comparison, first: a first frame SRUM carries (900 bytes) to C, 2 hops, no path yet
# (before E's discovery, which would give A a path to C too)
s0=$(ctl A stats --json | jq '.vpn.tx_unicast')
nsx "$(ns C)" python3 "$WORK/recv.py" 10.236.0.3 8 >"$WORK/gotc" 2>"$WORK/t_gotc" &
RCV=$!
sleep 0.3
nsx "$(ns A)" python3 "$WORK/send.py" 10.236.0.3 900 >"$WORK/t_sentc" || die "send to C"
wait $RCV || true
expect_eq "$(cat "$WORK/gotc")" "900 10.236.0.1 first-frame-0900" "what C received"
msc=$(awk -v a="$(cat "$WORK/t_sentc")" -v b="$(cat "$WORK/t_gotc")" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
s1=$(ctl A stats --json | jq '.vpn.tx_unicast')
[ "$((s1 - s0))" -ge 1 ] || die "A sent nothing to C over SRUM"
ok "the first frame A -> C (942 bytes, over SRUM: $((s1 - s0)) sent) arrived after $msc ms"

o0=$(kst A origin_tx) q0=$(dstat A miss_queued) r0=$(dstat A miss_reinjected)
nsx "$(ns E)" python3 "$WORK/recv.py" 10.236.0.5 8 >"$WORK/got" 2>"$WORK/t_got" &
RCV=$!
sleep 0.3
nsx "$(ns A)" python3 "$WORK/send.py" 10.236.0.5 1200 >"$WORK/t_sent" || die "send"
wait $RCV || true
got=$(cat "$WORK/got")
expect_eq "$got" "1200 10.236.0.1 first-frame-1200" "what E received (length, source, start)"
q=$(($(dstat A miss_queued) - q0)) r=$(($(dstat A miss_reinjected) - r0)) o=$(($(kst A origin_tx) - o0))
[ "$q" -eq 1 ] && [ "$r" -eq 1 ] || die "A: queued $q, re-injected $r (want 1, 1)"
[ "$o" -ge 1 ] || die "A's origin program sent $o frames: the re-injected frame did not take the kernel path"
big=$(ctl A stats --json | jq '.vpn.dropped.tx_too_big')
errs=$(ctl A stats --json | jq '.vpn_dp.daemon | .miss_reinject_errors + .miss_dropped_full + .miss_dropped_returned + .tap_dropped')
expect_eq "$big/$errs" "0/0" "A: frames too big for SRUM dropped / miss drops and errors"
ms=$(awk -v a="$(cat "$WORK/t_sent")" -v b="$(cat "$WORK/t_got")" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
ok "the first frame A -> E (1242 bytes) arrived after $ms ms: queued $q, re-injected $r, out through vpn_origin ($o)"
# both ways big: E's first reply to A may miss too
nsx "$(ns A)" ping -c 3 -i 0.3 -W 3 -s 1200 -M do 10.236.0.5 >"$WORK/ping" 2>&1 ||
	{ cat "$WORK/ping"; die "ping -s 1200 A -> E"; }
grep -q ' 0% packet loss' "$WORK/ping" || { cat "$WORK/ping"; die "ping -s 1200 lost replies"; }
ok "ping -s 1200 -M do A -> E: 3 of 3 (E re-injected $(dstat E miss_reinjected), queued $(dstat E miss_queued))"

# a frame for a node nobody knows waits 5 s at most, then it is counted
x0=$(dstat A miss_dropped_expired) n0=$(dstat A miss_dropped_no_route)
nsx "$(ns A)" python3 "$WORK/send.py" 10.236.0.99 1200 >/dev/null || die "send to the ghost"
w=$(dstat A miss_queued)
for _ in $(seq 80); do
	x=$(($(dstat A miss_dropped_expired) - x0 + $(dstat A miss_dropped_no_route) - n0))
	[ "$x" -ge 1 ] && break
	sleep 0.1
done
expect_eq "$x" 1 "A: the ghost's frame dropped (expired or no route)"
ok "a big frame for an unknown node: queued ($w in all), dropped and counted after $(($(dstat A miss_dropped_expired) - x0)) expired / $(($(dstat A miss_dropped_no_route) - n0)) no route"
