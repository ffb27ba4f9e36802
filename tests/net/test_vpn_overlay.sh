#!/usr/bin/env bash
# The VPN run by daemons: five ipop-bpf daemons A..E in namespaces on an
# underlay bridge (its own namespace), each with a "vpn" object (ipop0, one
# external VXLAN device, labels from its neighbour table) and the modules
# cmm, tlfm, spdm, srum. Overlay links:
#
#       B                A -> E is 3 overlay hops either way,
#     /   \              A B C E or A D C E; nothing is installed by hand:
#   A       C - E        ARP/ND go over the overlay (TLFM, or SMM with
#     \   /              VPN_BROADCAST=smm), first frames over SRUM, paths
#       D                into the kernel once their labels are known.
#
# Checks: ping IPv4 and IPv6 A -> E, the discovered path (srum paths --json)
# and the installed one (vpn status), a TCP transfer (nc, checksummed) none
# of whose frames reaches a daemon (the daemons' TAP counters), then the
# middle node of E's path back to A is cut off the underlay during a ping
# run and a TCP transfer, and once it is back (A hears a link-up notice),
# the other middle node: each time the longest gap between replies is
# measured (target: dead interval + 1 s) and the frames that went through a
# daemon (the slow path) from the cut on are at most VPN_SLOW_MAX (60): the
# link notice makes SRUM drop its paths over the link and rediscover at
# once, and the recovered links carry the new path at once. Last, a quiet
# cut (no traffic): once E has the two notices, its SRUM holds no path
# through the node.
# Env: VPN_BROADCAST (tlfm|smm), VPN_RING=1 (six nodes on a plain Chord
# ring built by the topology module, see vpn_lib.sh; with SMM the run ends
# after the pings and the 3-hop path: test_vpn_smm.sh), VPN_TCP_BYTES
# (default 2000000).
# Flow accounting is loaded (TC ingress) on E's VXLAN link device next to the
# VPN's filter: it runs first, observes only, and the pings still arrive;
# E's flow table shows the overlay flow from A's node ID to E's.
source "$(dirname "$0")/lib.sh"
ok() { echo "ok (${SECONDS} s) - $*"; }

VPN_BCAST=${VPN_BROADCAST:-tlfm}
BCAST=$VPN_BCAST
VPN_PREFIX=ivo$T
BYTES=${VPN_TCP_BYTES:-2000000}
UL=$VPN_PREFIX-ul
source "$(dirname "$0")/vpn_lib.sh"

vstat() { ctl "$1" stats --json | jq -r ".vpn_dp.$2"; }
daemon_frames() { # unicast frames daemon X took from its TAP (misses)
	local s
	s=$(ctl "$1" stats --json)
	jq -r '.vpn_dp.daemon | .tap_unicast + .tap_flood' <<<"$s"
}
dump() {
	for x in "${NAMES[@]}"; do
		echo "--- $x"
		tail -n 5 "$WORK/$x.log"
		ctl "$x" vpn status 2>/dev/null | jq -c '{paths, c: .counters.daemon}' 2>/dev/null
	done
}
die() { dump; fail "$*"; }

vpn_keys
vpn_net
vpn_configs
# a failed start names its cause and leaves nothing: an Ethernet link on a missing device
jq '.vpn.ethernet_links = [{"neighbour": "'"${ID[B]}"'", "device": "nodev'"$T"'", "mac": "02:00:00:00:00:99"}]' \
	"$WORK/A.json" >"$WORK/A-bad.json"
if nsx "$(ns A)" timeout 30 "$IPOP" daemon --config "$WORK/A-bad.json" --ctl-socket "$WORK/A-bad.sock" \
	>"$WORK/A-bad.log" 2>&1; then
	fail "a daemon started with an Ethernet link on a missing device"
fi
grep -q "vpn: unknown interface 'nodev$T'" "$WORK/A-bad.log" || { cat "$WORK/A-bad.log"; fail "no clear error"; }
left=$(nsx "$(ns A)" ip -o link show | grep -cE 'ipop0|ipop-vx0' || true)
expect_eq "$left" 0 "devices left by the failed start"
vpn_start
vpn_wait
ok "${#NAMES[@]} daemons up, each with ipop0 and its links (broadcast: $BCAST)"

# flow accounting on E's link device, in front of the VPN's filter (which redirects):
# flows through tcx, which runs before any clsact filter; the VPN's at its priority
nsx "$(ns E)" "$IPOP" load ipop-vx0 --ingress-hook tc --pin-path "$PIN" || die "flows on E's ipop-vx0"
hooks=$(tc_progs "$(ns E)" ipop-vx0 | grep ' ingress ' | awk '$1 == "tcx" { printf "tcx:%s ", $3 } $1 == "clsact" { for (i = 1; i < NF; i++) if ($i == "pref") printf "clsact:%s ", $(i + 1) }')
expect_eq "$hooks" "tcx:ipop_tc_in clsact:$((0xc0e0)) " "E's ipop-vx0 ingress programs (flows on tcx, then the VPN's filter)"

# the first ping: ARP over the overlay, the echo over SRUM while paths are found
# (with SMM, the topology module may still be linking the ring: up to 3 tries)
for try in 1 2 3; do
	nsx "$(ns A)" ping -c 5 -i 0.3 -W 3 10.236.0.5 >"$WORK/ping0" 2>&1 && break
	[ "$try" -lt 3 ] || { cat "$WORK/ping0"; die "first IPv4 ping A -> E (3 tries)"; }
done
nsx "$(ns A)" ping -c 3 -i 0.2 -W 2 10.236.0.5 >"$WORK/ping4" || { cat "$WORK/ping4"; die "IPv4 ping A -> E"; }
grep -q ' 0% packet loss' "$WORK/ping4" || { cat "$WORK/ping4"; die "IPv4 ping lost replies"; }
ok "ping IPv4 A -> E ($(grep -o 'rtt.*' "$WORK/ping4"))"
# link neighbours over VXLAN: one-hop frames, the ARP reply a non-IP one
for try in 1 2 3; do
	nsx "$(ns B)" ping -c 3 -i 0.2 -W 2 10.236.0.1 >"$WORK/pingba" 2>&1 && break
	[ "$try" -lt 3 ] || { cat "$WORK/pingba"; die "ping B -> A, link neighbours (3 tries)"; }
done
ok "ping IPv4 B -> A, link neighbours ($(grep -o 'rtt.*' "$WORK/pingba"))"
# E counted the echo requests on its link device, keyed by the inner frame,
# between the overlay nodes A and E
j=$(flows_json "$(ns E)")
ovl=$(jq -c --arg s "${ID[A]}" --arg d "${ID[E]}" '[.flows[] | select(.ifname == "ipop-vx0" and
	.direction == "ingress" and .proto == 1 and .src == "10.236.0.1" and .dst == "10.236.0.5" and
	.src_node == $s and .dst_node == $d)]' <<<"$j")
pk=$(jq '[.[].packets] | add // 0' <<<"$ovl")
[ "$pk" -ge 3 ] || { jq -c '.flows[]' <<<"$j" | head -20; die "E's flow table has no ICMP flow A -> E with the overlay node IDs ($pk packets)"; }
# and the replies leaving it (redirected there by the VPN's program on ipop0), E -> A
rep=$(jq --arg s "${ID[E]}" --arg d "${ID[A]}" '[.flows[] | select(.ifname == "ipop-vx0" and
	.direction == "egress" and .proto == 1 and .src == "10.236.0.5" and .src_node == $s and
	.dst_node == $d) | .packets] | add // 0' <<<"$j")
[ "$rep" -ge 3 ] || { jq -c '.flows[]' <<<"$j" | head -20; die "E's flow table has no ICMP reply flow E -> A with the overlay node IDs ($rep packets)"; }
ok "E's flows on ipop-vx0: ICMP in 10.236.0.1 -> 10.236.0.5 overlay ${ID[A]:0:8}>${ID[E]:0:8} ($pk packets, which the VPN delivered), out overlay ${ID[E]:0:8}>${ID[A]:0:8} ($rep)"
nsx "$(ns A)" ping -6 -c 5 -i 0.3 -W 3 fd00:236::5 >"$WORK/ping6" 2>&1 || { cat "$WORK/ping6"; die "IPv6 ping A -> E"; }
nsx "$(ns A)" ip -6 neigh show dev ipop0 | grep -q 'fd00:236::5 lladdr 02:00:00:00:35:05' ||
	die "ND did not resolve fd00:236::5 over the overlay"
ok "ping IPv6 A -> E, neighbour discovery over the overlay"

# the path SRUM found and the one in the kernel
paths=$(ctl A srum paths --json)
hops=$(jq -r --arg e "${ID[E]}" '[.paths[] | select(.dst == $e) | .hops] | min' <<<"$paths")
for _ in $(seq 50); do
	st=$(ctl A vpn status)
	inst=$(jq -r --arg e "${ID[E]}" '.paths[] | select(.dst == $e and .state == "installed") | .path | map(.node) | join(" ")' <<<"$st")
	[ -n "$inst" ] && break
	sleep 0.1
done
[ -n "$inst" ] || die "no kernel path A -> E: $(jq -c .paths <<<"$st")"
labels=$(jq -r --arg e "${ID[E]}" '.paths[] | select(.dst == $e) | [.first_label] + (.path | map(.label)) | map(tostring) | join(",")' <<<"$st")
[ "$hops" = 3 ] || die "A's shortest cached path to E has $hops hops: $paths"
MID=""
for y in B D; do [[ "$inst" == "${ID[$y]}"* ]] && MID=$y; done
[ -n "$MID" ] || die "the installed path does not start at B or D: $inst"
if [ "$BCAST" = smm ]; then
	# six nodes on a plain ring (VPN_RING=1): A B C E or A D F E
	want="${ID[B]} ${ID[C]} ${ID[E]}"
	[ "$MID" = D ] && want="${ID[D]} ${ID[F]} ${ID[E]}"
	expect_eq "$inst" "$want" "A's kernel path to E over the ring"
	# the broadcasts (ARP, ND) went by SMM: delivered at every node, never twice
	for x in "${NAMES[@]}"; do
		s=$(ctl "$x" stats --json)
		d=$(jq -r '.smm.delivered // 0' <<<"$s")
		[ "$d" -ge 1 ] || die "$x: no SMM delivery ($(jq -c .smm <<<"$s"))"
		expect_eq "$(jq -r '.smm.duplicates // 0' <<<"$s")" 0 "$x: SMM duplicates"
	done
	ok "SMM over a 6-node ring: path A $MID ... E (3 hops, labels $labels), ARP/ND carried by SMM"
	exit 0
fi
ok "discovered path A $MID C E (srum paths: $hops hops), in A's kernel with labels $labels"

# TCP: no frame of the established transfer reaches a daemon
head -c "$BYTES" /dev/urandom >"$WORK/src"
nsx "$(ns E)" timeout 30 nc -l -p 5001 >"$WORK/dst" &
NC=$!
sleep 0.3
a0=$(daemon_frames A) e0=$(daemon_frames E) d0=$(vstat E delivered)
nsx "$(ns A)" timeout 30 nc -q 1 10.236.0.5 5001 <"$WORK/src" || die "nc client"
wait $NC || true
cmp -s "$WORK/src" "$WORK/dst" || die "TCP transfer corrupted ($(wc -c <"$WORK/dst") of $BYTES bytes)"
a1=$(daemon_frames A) e1=$(daemon_frames E) d1=$(vstat E delivered)
[ $((d1 - d0)) -ge 31 ] || die "E's kernel delivered only $((d1 - d0)) frames of the transfer"
expect_eq "$((a1 - a0 + e1 - e0))" 0 "unicast frames of the TCP transfer handled by a daemon (A, E)"
ok "TCP A -> E: $BYTES bytes identical, $((d1 - d0)) frames delivered by E's kernel"

slow_frames() { # unicast frames all daemons took from their TAPs (the slow path)
	local x s n=0
	for x in "${NAMES[@]}"; do
		s=$(ctl "$x" stats --json)
		n=$((n + $(jq -r '.vpn_dp.daemon | .tap_unicast + .tap_flood' <<<"$s")))
	done
	echo "$n"
}
# cut_phase X TAG: cut X off the underlay during a 20/s ping run and a TCP
# transfer A -> E; the longest gap between replies and the frames that went
# through a daemon (not the kernel) from the cut to the end of the run.
# Sets GAP and SLOW.
cut_phase() {
	local x=$1 tag=$2 zero last t_cut got now s0
	nsx "$(ns E)" timeout 30 iperf3 -s -1 -B 10.236.0.5 >/dev/null 2>&1 &
	SRV=$!
	sleep 0.3
	nsx "$(ns A)" timeout 30 iperf3 -c 10.236.0.5 -t 7 -i 0.5 -b 20M --json >"$WORK/iperf$tag" 2>&1 &
	IPERF=$!
	nsx "$(ns A)" ping -D -i 0.05 -c 160 -W 1 10.236.0.5 >"$WORK/pingcut$tag" 2>&1 &
	PING=$!
	sleep 2
	s0=$(slow_frames)
	t_cut=$(date +%s.%N)
	nsx "$UL" ip link set "ul$(num "$x")" down
	wait $PING || true
	wait $IPERF || { tail -5 "$WORK/iperf$tag"; die "iperf3 across the cut of $x failed"; }
	wait $SRV || true
	SLOW=$(($(slow_frames) - s0))
	zero=$(jq '[.intervals[].sum.bytes | select(. == 0)] | length' "$WORK/iperf$tag")
	last=$(jq '.intervals[-1].sum.bytes' "$WORK/iperf$tag")
	[ "$last" -gt 0 ] || die "TCP did not resume after the cut of $x (last interval: $last bytes)"
	ok "TCP (iperf3, 20 Mbit/s) across the cut of $x: $zero of $(jq '.intervals | length' "$WORK/iperf$tag") half-second intervals carried nothing, the last $last bytes"
	GAP=$(awk -v t="$t_cut" '/bytes from/ { ts = substr($1, 2, length($1) - 2) + 0;
		if (ts > t && !after) after = 1; if (last && ts - last > g) g = ts - last; last = ts }
		END { if (after) printf "%.2f", g; else print "none" }' "$WORK/pingcut$tag")
	[ "$GAP" != none ] || { tail -5 "$WORK/pingcut$tag"; die "no reply after $x was cut off"; }
	got=$(grep -c 'bytes from' "$WORK/pingcut$tag")
	now=$(ctl A vpn status | jq -r --arg e "${ID[E]}" '.paths[] | select(.dst == $e) | .state + ": " + (.path | map(.node[0:6]) | join(" "))')
	echo "  cut $x: traffic stopped for ${GAP} s (target: dead interval + 1 s = ${target} s); $got of 160 replies; $SLOW frames through a daemon; A's path to E now $now"
}
target=$(awk -v d=$DEAD_MS 'BEGIN { printf "%.2f", d / 1000 + 1 }')
# the frames of the slow path after a cut: a few until the notice reaches
# SRUM and its rediscovery answers (the ping and TCP's retransmissions)
SLOW_MAX=${VPN_SLOW_MAX:-60}
check_cut() {
	awk -v g="$GAP" 'BEGIN { exit !(g < 10) }' || die "traffic stopped for $GAP s"
	if awk -v g="$GAP" -v t="$target" 'BEGIN { exit !(g <= t) }'; then
		ok "traffic resumed after ${GAP} s, within the target"
	else
		ok "traffic resumed after ${GAP} s (over the ${target} s target)"
	fi
	[ "$SLOW" -le "$SLOW_MAX" ] || die "$SLOW frames went through a daemon after the cut (at most $SLOW_MAX)"
	ok "$SLOW frames through a daemon after the cut (at most $SLOW_MAX)"
}

# cut the middle node of E's path back to A off the underlay during a ping
# run and a TCP transfer: E is not next to it, so only the notice tells E
# (A's own link may go down too, which A sees itself)
st=$(ctl E vpn status)
back=$(jq -r --arg a "${ID[A]}" '.paths[] | select(.dst == $a and .state == "installed") | .path | map(.node) | join(" ")' <<<"$st")
CUT=$MID
for y in B D; do [[ "$back" == *"${ID[$y]}"* ]] && CUT=$y; done
echo "  E's kernel path to A: $(for n in $back; do for y in "${NAMES[@]}"; do [ "$n" = "${ID[$y]}" ] && printf '%s ' "$y"; done; done)(cutting $CUT)"
MID=$CUT
cut_phase "$MID" 1
check_cut
# it comes back; then the other middle node goes: the path must use the
# recovered links at once (not 30 s later)
OTHER=B
[ "$MID" = B ] && OTHER=D
links_back() { # X: X is back on the underlay with both its links
	local up
	nsx "$UL" ip link set "ul$(num "$1")" up
	for _ in $(seq 50); do
		up=$(ctl "$1" stats --json | jq -r '.icc.link_up - .icc.link_down')
		[ "$up" -ge 2 ] && break
		sleep 0.1
	done
	[ "$up" -ge 2 ] || die "$1's links did not come back ($up up)"
}
links_back "$MID"
# its ends said the links are back (the notices that end the 30 s guard)
for _ in $(seq 50); do
	n=$(ctl A stats --json | jq '.vpn_dp.daemon.link_up_notices')
	[ "$n" -ge 1 ] && break
	sleep 0.1
done
if [ "$n" -lt 1 ]; then
	for x in "${NAMES[@]}"; do echo "  $x: link_up $(ctl "$x" stats --json | jq -c '.vpn.link_up')"; done
	die "A heard no link-up notice after $MID came back"
fi
ok "A heard $n link-up notice(s) after $MID came back"
sleep 0.5
cut_phase "$OTHER" 2
check_cut

# a quiet cut: no traffic, so no frame can show SRUM the break, only the
# notices. E's SRUM holds a path through the middle node its traffic now
# uses; once both notices about it have come, it holds none.
links_back "$OTHER"
sleep 0.5
thru() { ctl E srum paths --json | jq --arg m "${ID[$1]}" '[.paths[] | select(any(.path[]; . == $m))] | length'; }
Q=""
for y in B D; do [ "$(thru "$y")" -ge 1 ] && Q=$y; done
[ -n "$Q" ] || die "E's SRUM has no path through B or D"
n0=$(thru "$Q") r0=$(ctl E stats --json | jq '.vpn.link_down.received')
nsx "$UL" ip link set "ul$(num "$Q")" down
for _ in $(seq 50); do
	r=$(ctl E stats --json | jq '.vpn.link_down.received')
	[ $((r - r0)) -ge 2 ] && break
	sleep 0.1
done
[ $((r - r0)) -ge 2 ] || die "E got $((r - r0)) of the 2 notices about $Q's links"
expect_eq "$(thru "$Q")" 0 "E's SRUM paths through $Q after the notices (there were $n0)"
for x in "${NAMES[@]}"; do
	drops=$(ctl "$x" stats --json | jq '[.vpn_dp | to_entries[] | select(.key | startswith("drop_")) | .value] | add')
	echo "  $x: kernel drops $drops; $(ctl "$x" stats --json | jq -c '.vpn_dp.daemon | with_entries(select(.value > 0))')"
done
