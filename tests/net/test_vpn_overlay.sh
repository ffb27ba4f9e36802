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
# middle node of the path is cut off the underlay during a ping run and the
# longest gap between replies is measured (target: dead interval + 1 s).
# Env: VPN_BROADCAST (tlfm|smm: with SMM the topology module links the
# ring, A and E become neighbours, and the run ends after the pings and the
# installed path; test_vpn_smm.sh), VPN_TCP_BYTES (default 2000000).
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
if nsx "$(ns A)" "$IPOP" daemon --config "$WORK/A-bad.json" --ctl-socket "$WORK/A-bad.sock" \
	>"$WORK/A-bad.log" 2>&1; then
	fail "a daemon started with an Ethernet link on a missing device"
fi
grep -q "vpn: unknown interface 'nodev$T'" "$WORK/A-bad.log" || { cat "$WORK/A-bad.log"; fail "no clear error"; }
left=$(nsx "$(ns A)" ip -o link show | grep -cE 'ipop0|ipop-vx0' || true)
expect_eq "$left" 0 "devices left by the failed start"
vpn_start
vpn_wait
ok "5 daemons up, each with ipop0 and its links (broadcast: $BCAST)"

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
if [ "$BCAST" = smm ]; then
	# the topology module links the ring (fingers, successors): with five
	# nodes A reaches E directly, so the 3-hop part is the TLFM run's
	ok "SMM: A's kernel path to E has $(wc -w <<<"$inst") hop(s) (labels $labels); topology links: $(ctl A stats --json | jq '.icc.link_up - .icc.link_down')"
	exit 0
fi
[ "$hops" = 3 ] || die "A's shortest cached path to E has $hops hops: $paths"
MID=""
for y in B D; do [[ "$inst" == "${ID[$y]}"* ]] && MID=$y; done
[ -n "$MID" ] || die "the installed path does not start at B or D: $inst"
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

# cut the middle node off the underlay during a ping run and a TCP transfer
nsx "$(ns E)" timeout 30 iperf3 -s -1 -B 10.236.0.5 >/dev/null 2>&1 &
SRV=$!
sleep 0.3
nsx "$(ns A)" timeout 30 iperf3 -c 10.236.0.5 -t 7 -i 0.5 -b 20M --json >"$WORK/iperf" 2>&1 &
IPERF=$!
nsx "$(ns A)" ping -D -i 0.05 -c 160 -W 1 10.236.0.5 >"$WORK/pingcut" 2>&1 &
PING=$!
sleep 2
t_cut=$(date +%s.%N)
nsx "$UL" ip link set "ul$(num "$MID")" down
wait $PING || true
wait $IPERF || { tail -5 "$WORK/iperf"; die "iperf3 across the cut failed"; }
wait $SRV || true
zero=$(jq '[.intervals[].sum.bytes | select(. == 0)] | length' "$WORK/iperf")
last=$(jq '.intervals[-1].sum.bytes' "$WORK/iperf")
[ "$last" -gt 0 ] || die "TCP did not resume after the cut (last interval: $last bytes)"
ok "TCP (iperf3, 20 Mbit/s) across the cut: $zero of $(jq '.intervals | length' "$WORK/iperf") half-second intervals carried nothing, the last $last bytes"
gap=$(awk -v t="$t_cut" '/bytes from/ { ts = substr($1, 2, length($1) - 2) + 0;
	if (ts > t && !after) after = 1; if (last && ts - last > g) g = ts - last; last = ts }
	END { if (after) printf "%.2f", g; else print "none" }' "$WORK/pingcut")
[ "$gap" != none ] || { tail -5 "$WORK/pingcut"; die "no reply after $MID was cut off"; }
got=$(grep -c 'bytes from' "$WORK/pingcut")
target=$(awk -v d=$DEAD_MS 'BEGIN { printf "%.2f", d / 1000 + 1 }')
st=$(ctl A vpn status)
now=$(jq -r --arg e "${ID[E]}" '.paths[] | select(.dst == $e) | .state + ": " + (.path | map(.node[0:6]) | join(" "))' <<<"$st")
echo "  cut $MID: traffic stopped for ${gap} s (target: dead interval + 1 s = ${target} s); $got of 160 replies; A's path to E now $now"
awk -v g="$gap" 'BEGIN { exit !(g < 10) }' || die "traffic stopped for $gap s"
if awk -v g="$gap" -v t="$target" 'BEGIN { exit !(g <= t) }'; then
	ok "traffic resumed after ${gap} s, within the target"
else
	ok "traffic resumed after ${gap} s (over the ${target} s target)"
fi
for x in "${NAMES[@]}"; do
	drops=$(ctl "$x" stats --json | jq '[.vpn_dp | to_entries[] | select(.key | startswith("drop_")) | .value] | add')
	echo "  $x: kernel drops $drops; $(ctl "$x" stats --json | jq -c '.vpn_dp.daemon | with_entries(select(.value > 0))')"
done
