#!/usr/bin/env bash
# XDP transit (VPN_TRANSIT=tc: TC transit on the underlay) under the daemon: the five daemons of vpn_lib.sh (A..E, A -> E
# is 3 overlay hops, A B C E or A D C E), with "transit": "xdp" and
# "underlay": "ul0" on the transit nodes B, C and D. Paths are found by SRUM
# and ARP goes over TLFM as in test_vpn_overlay.sh; the frames of a path are
# then forwarded at B/D and C by the XDP program on ul0 (XDP_TX back out of
# the underlay), not by the TC program on the VXLAN device.
# Checks: the daemons attach XDP to ul0, ping IPv4 A -> E, the XDP transit
# counter (vpn_dp.xdp_tx) grows at C and at the middle node by at least the
# echo requests and replies, and a TCP transfer (nc, VPN_TCP_BYTES, default
# 1 MB) arrives intact, its segments forwarded at C by XDP; then the same
# over IPv6 (an IPv6 inner frame directly encapsulated, TCPv6 GSO).
# What XDP transit needs around it (as in test_vpn_static.sh VPN_XDP=1):
# - the underlay bridge's veth ports have an XDP program, else a veth drops
#   the frames XDP_TX sends to it;
# - transmit checksum offload off on every ul0 (XDP forwards bytes: the
#   checksums must be complete on the wire; with it on, the first TCP
#   transfer fails: VPN_XDP_TX_CSUM=on shows it) and GRO off on the underlay;
# - IPv4 forwarding on the transit nodes' ul0 (bpf_fib_lookup answers only
#   where the interface forwards);
# The origins A and E name their underlay too, so they encapsulate IP frames
# from ipop0 themselves ("encap": "auto" -> direct): TCP leaves ipop0 in GSO
# super-frames, which ul0 segments in software (its peer has XDP), tunnel
# headers and source route copied into every segment. No gso_max_segs 1:
# checked by counting fewer origin frames than TCP segments, and the
# transfer arriving intact.
source "$(dirname "$0")/lib.sh"
ok() { echo "ok (${SECONDS} s) - $*"; }

# shellcheck disable=SC2034 # read by vpn_lib.sh
VPN_BCAST=tlfm
VPN_PREFIX=ivx$T
UL=$VPN_PREFIX-ul
BYTES=${VPN_TCP_BYTES:-1000000}
source "$(dirname "$0")/vpn_lib.sh"
command -v ethtool >/dev/null || skip "ethtool is needed to turn veth offloads off for XDP"
command -v nc >/dev/null || fail "nc is needed (tests/deps.sh installs it)"
[ -e "$BUILD/bench_bare.bpf.o" ] || fail "$BUILD/bench_bare.bpf.o not built (make)"
TRANSIT=(B C D)
MODE=${VPN_TRANSIT:-xdp}
case $MODE in
xdp) FWD=xdp_tx ;;
tc) FWD=transit_ul ;;
*) fail "VPN_TRANSIT must be xdp or tc" ;;
esac
NC=""
kill_nc() { [ -n "$NC" ] && kill "$NC" 2>/dev/null; }
EXTRA_CLEANUP=(kill_nc "${EXTRA_CLEANUP[@]}")

xtx() { ctl "$1" stats --json | jq -r ".vpn_dp.$FWD"; }
dst() { ctl "$1" stats --json | jq -r ".vpn_dp.$2"; }
ttx() { ctl "$1" stats --json | jq -r '.vpn_dp.transit_tx'; }
dump() {
	for x in "${NAMES[@]}"; do
		echo "--- $x"
		tail -n 5 "$WORK/$x.log"
		ctl "$x" stats --json 2>/dev/null | jq -c '.vpn_dp | with_entries(select(.value | type == "number" and . > 0))' 2>/dev/null
	done
}
die() { dump; fail "$*"; }

vpn_keys
vpn_net
for x in "${NAMES[@]}"; do
	i=$(num "$x")
	nsx "$UL" ip link set dev "ul$i" xdp obj "$BUILD/bench_bare.bpf.o" sec xdp ||
		fail "XDP program on the bridge port ul$i"
	if [ "${VPN_XDP_TX_CSUM:-off}" = off ]; then
		nsx "$(ns "$x")" ethtool -K ul0 tx off >/dev/null 2>&1 || fail "$x: ethtool -K ul0 tx off"
	fi
	nsx "$(ns "$x")" ethtool -K ul0 gro off >/dev/null 2>&1 || fail "$x: ethtool -K ul0 gro off"
	nsx "$UL" ethtool -K "ul$i" gro off >/dev/null 2>&1 || fail "ethtool -K ul$i gro off"
done
vpn_configs
for x in "${TRANSIT[@]}"; do
	nsx "$(ns "$x")" sysctl -qw net.ipv4.conf.ul0.forwarding=1
	jq --arg m "$MODE" '.vpn.transit = $m | .vpn.underlay = "ul0"' "$WORK/$x.json" >"$WORK/$x.json.new"
	mv "$WORK/$x.json.new" "$WORK/$x.json"
done
# the origins: the underlay named, transit and encapsulation left to "auto"
# (direct encapsulation; TC transit on the underlay, since ul0 is a veth)
for x in A E; do
	jq '.vpn.underlay = "ul0"' "$WORK/$x.json" >"$WORK/$x.json.new"
	mv "$WORK/$x.json.new" "$WORK/$x.json"
done
vpn_start
vpn_wait
for x in "${TRANSIT[@]}"; do
	if [ "$MODE" = xdp ]; then
		nsx "$(ns "$x")" ip -d link show ul0 | grep -q 'prog/xdp' ||
			die "$x: no XDP program on ul0 after the daemon started"
	else
		nsx "$(ns "$x")" tc filter show dev ul0 ingress | grep -q vpn_transit_tc ||
			die "$x: no vpn_transit_tc on ul0's ingress"
	fi
	! grep -q 'IPv4 forwarding is off' "$WORK/$x.log" || die "$x warns of forwarding, which is on"
done
for x in A E; do
	nsx "$(ns "$x")" tc filter show dev ul0 ingress | grep -q vpn_transit_tc ||
		die "$x: \"auto\" did not choose TC transit on the veth ul0"
	! nsx "$(ns "$x")" ip -d link show ul0 | grep -q 'prog/xdp' || die "$x: XDP on a veth by \"auto\""
done
for x in "${NAMES[@]}"; do
	if [ "${VPN_XDP_TX_CSUM:-off}" = off ]; then
		! grep -q 'transmit checksum offload is on' "$WORK/$x.log" || die "$x: checksum warning, offload is off"
	else
		grep -q 'transmit checksum offload is on' "$WORK/$x.log" || die "$x: no checksum offload warning"
	fi
done
ok "5 daemons up, $MODE transit on ul0 at B, C, D"

# the first pings: ARP over the overlay, the echo over SRUM while paths are found
for try in 1 2 3; do
	nsx "$(ns A)" ping -c 3 -i 0.3 -W 3 10.236.0.5 >"$WORK/ping0" 2>&1 && break
	[ "$try" -lt 3 ] || { cat "$WORK/ping0"; die "first IPv4 ping A -> E (3 tries)"; }
done
# wait for A's and E's kernel paths to each other
for x in A E; do
	y=E
	[ "$x" = E ] && y=A
	inst=""
	for _ in $(seq 50); do
		inst=$(ctl "$x" vpn status | jq -r --arg d "${ID[$y]}" '.paths[] | select(.dst == $d and .state == "installed") | .path | map(.node) | join(" ")')
		[ -n "$inst" ] && break
		sleep 0.1
	done
	[ -n "$inst" ] || die "no kernel path $x -> $y"
done
MID=""
for y in B D; do [[ "$inst" == *"${ID[$y]}"* ]] && MID=$y; done
[ -n "$MID" ] || die "E's path to A goes through neither B nor D: $inst"
declare -A X0 T0
for x in "${TRANSIT[@]}"; do X0[$x]=$(xtx "$x") T0[$x]=$(ttx "$x"); done
N=10
nsx "$(ns A)" ping -c $N -i 0.1 -W 2 10.236.0.5 >"$WORK/ping4" || { cat "$WORK/ping4"; die "IPv4 ping A -> E"; }
grep -q ' 0% packet loss' "$WORK/ping4" || { cat "$WORK/ping4"; die "IPv4 ping lost replies"; }
ok "ping IPv4 A -> E over 3 overlay hops ($(grep -o 'rtt.*' "$WORK/ping4"))"
sleep 0.2
dC=$(($(xtx C) - X0[C])) dB=$(($(xtx B) - X0[B])) dD=$(($(xtx D) - X0[D]))
tC=$(($(ttx C) - T0[C])) tM=$(($(ttx B) - T0[B] + $(ttx D) - T0[D]))
echo "  $FWD during $N pings: B +$dB, C +$dC, D +$dD; TC transit_tx: C +$tC, B+D +$tM"
# C is on every path, both directions: each request and reply once
[ "$dC" -ge $((2 * N)) ] || die "C forwarded only $dC of the $((2 * N)) echo frames by XDP"
[ $((dB + dD)) -ge $((2 * N)) ] || die "B and D forwarded only $((dB + dD)) of the $((2 * N)) echo frames by XDP"
ok "$MODE transit (E's path to A through $MID): C +$dC, the middle nodes +$((dB + dD)) ($FWD), transit_tx +$((tC + tM))"

# TCP, single segments from ipop0, each through C's XDP
head -c "$BYTES" /dev/urandom >"$WORK/src"
nsx "$(ns E)" timeout 20 nc -l -p 5001 >"$WORK/dst" &
NC=$!
sleep 0.3
c0=$(xtx C) u0=$(dst A origin_ul)
nsx "$(ns A)" timeout 20 nc -q 1 10.236.0.5 5001 <"$WORK/src" || die "nc client"
wait $NC || true
NC=""
cmp -s "$WORK/src" "$WORK/dst" || die "TCP transfer corrupted ($(wc -c <"$WORK/dst") of $BYTES bytes)"
c1=$(xtx C)
# at most 1332 - 40 bytes of payload a segment
[ $((c1 - c0)) -ge $((BYTES / 1292)) ] ||
	die "C forwarded only $((c1 - c0)) frames of the transfer ($FWD; >= $((BYTES / 1292)) segments)"
u1=$(dst A origin_ul)
echo "  A: origin_ul +$((u1 - u0)) (frames from ipop0 encapsulated directly), fallback $(dst A origin_ul_fallback), neigh $(dst A origin_ul_neigh)"
[ "$(dst A origin_ul_fallback)" -eq 0 ] || die "A's direct encapsulation fell back to the device"
# GSO super-frames: fewer origin frames than the transfer's segments
[ $((u1 - u0)) -ge 1 ] && [ $((u1 - u0)) -lt $((BYTES / 1292)) ] ||
	die "A encapsulated $((u1 - u0)) frames directly for $BYTES bytes: not GSO super-frames"
ok "TCP A -> E: $BYTES bytes identical, C ($FWD) forwarded $((c1 - c0)) frames"

# the same over IPv6: an IPv6 inner frame in the direct encapsulation, TCPv6
# GSO super-frames segmented with their tunnel headers (ND over the overlay first)
for try in 1 2 3; do
	nsx "$(ns A)" ping -6 -c 3 -i 0.3 -W 3 fd00:236::5 >"$WORK/ping6" 2>&1 && break
	[ "$try" -lt 3 ] || { cat "$WORK/ping6"; die "IPv6 ping A -> E (3 tries)"; }
done
nsx "$(ns E)" timeout 20 nc -6 -l -p 5003 >"$WORK/dst6" &
NC=$!
sleep 0.3
c0=$(xtx C) u0=$(dst A origin_ul)
nsx "$(ns A)" timeout 20 nc -6 -q 1 fd00:236::5 5003 <"$WORK/src" || die "nc client (IPv6)"
wait $NC || true
NC=""
cmp -s "$WORK/src" "$WORK/dst6" || die "TCP/IPv6 transfer corrupted ($(wc -c <"$WORK/dst6") of $BYTES bytes)"
c1=$(xtx C) u1=$(dst A origin_ul)
# at most 1332 - 60 bytes of payload a segment
[ $((c1 - c0)) -ge $((BYTES / 1272)) ] ||
	die "C forwarded only $((c1 - c0)) frames of the IPv6 transfer ($FWD; >= $((BYTES / 1272)) segments)"
[ "$(dst A origin_ul_fallback)" -eq 0 ] || die "A's direct encapsulation of IPv6 fell back to the device"
[ $((u1 - u0)) -ge 1 ] && [ $((u1 - u0)) -lt $((BYTES / 1272)) ] ||
	die "A encapsulated $((u1 - u0)) IPv6 frames directly for $BYTES bytes: not GSO super-frames"
ok "TCP/IPv6 A -> E: $BYTES bytes identical, A sent $((u1 - u0)) super-frames directly, C ($FWD) forwarded $((c1 - c0)) frames"
if command -v iperf3 >/dev/null; then
	nsx "$(ns E)" timeout 10 iperf3 -s -1 -p 5202 >/dev/null 2>&1 &
	sleep 0.3
	nsx "$(ns A)" timeout 10 iperf3 -c 10.236.0.5 -p 5202 -t 2 -J >"$WORK/iperf" 2>&1 || true
	echo "  iperf3 A -> E: $(jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "$WORK/iperf" 2>/dev/null) Mbit/s, retransmits $(jq -r '.end.sum_sent.retransmits' "$WORK/iperf" 2>/dev/null)"
fi
for x in "${NAMES[@]}"; do
	drops=$(ctl "$x" stats --json | jq '[.vpn_dp | to_entries[] | select(.key | startswith("drop_")) | .value] | add')
	echo "  $x: kernel drops $drops, xdp_pass $(ctl "$x" stats --json | jq '.vpn_dp.xdp_pass')"
done
