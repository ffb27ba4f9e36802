#!/usr/bin/env bash
# The VPN over Ethernet links: the five daemons of vpn_lib.sh (ICC over the
# underlay bridge), but every overlay link is a veth pair named in the
# config's "ethernet_links" ("vxlan_links": false, so no VXLAN device):
#
#       B                each node X has one veth "toY" per neighbour Y,
#     /   \              MAC 02:00:00:e0:0X:0Y (X, Y = 1..5 for A..E);
#   A       C - E        A -> E is 3 overlay hops, A B C E or A D C E
#     \   /
#       D
#
# Checks: a start with an Ethernet link on a TUN device fails, names it and
# leaves nothing; ping IPv4 and IPv6 A -> E (ARP/ND over the overlay), a 1 MB TCP
# transfer (nc, byte-identical) none of whose frames reaches a daemon (the
# daemons' TAP counters) while E's kernel delivers it, then frames injected
# by hand (tests/tools/srsend) at B: on the link from A with a stranger's
# source MAC, and with A's MAC but a header saying the frame came from D, are
# dropped as drop_wrong_nbr; on B's underlay interface (not a link; the
# "underlay" guard) as drop_not_link; the same frame with A's MAC and A as
# the origin is forwarded by B and C and delivered at E (so the drops are for
# what was wrong, not for the frame).
# Flow accounting and the VPN share E's link device toC (the VPN made its
# clsact): when E's daemon stops, the flow filters stay attached and count;
# where the VPN was alone (C's links), its daemon's exit leaves no clsact.
# On A's toB flow accounting made the clsact: unloading it leaves the VPN's
# filter, and B -> A still pings (link neighbours: B's ARP reply to A is a
# one-hop non-IP frame, which the origin once pushed its header onto with a
# head reallocation that left A's last hop unable to trim it: drop_err).
source "$(dirname "$0")/lib.sh"
ok() { echo "ok (${SECONDS} s) - $*"; }

SRSEND=$TOOLS/srsend
[ -x "$SRSEND" ] || fail "build $SRSEND first (make check-run)"
command -v python3 >/dev/null || fail "python3 is needed (tests/deps.sh installs it)"
VPN_PREFIX=ive$T
UL=$VPN_PREFIX-ul
BYTES=1000000
source "$(dirname "$0")/vpn_lib.sh"

lmac() { echo "02:00:00:e0:0$(($(num "$1") + 1)):0$(($(num "$2") + 1))"; } # X's end towards Y
vstat() { ctl "$1" stats --json | jq -r ".vpn_dp.$2"; }
daemon_frames() { ctl "$1" stats --json | jq -r '.vpn_dp.daemon | .tap_unicast + .tap_flood'; }
prefs() { # prefs X DEV: the priorities of DEV's TC ingress filters in X
	nsx "$(ns "$1")" tc filter show dev "$2" ingress |
		awk '{ for (i = 1; i < NF; i++) if ($i == "pref" && !seen[$(i + 1)]++) printf "%s ", $(i + 1) }'
}
label() { ctl "$1" vpn status | jq -r --arg n "${ID[$2]}" '.links[] | select(.neighbour == $n) | .label'; }
die() {
	for x in "${NAMES[@]}"; do
		echo "--- $x"
		tail -n 5 "$WORK/$x.log"
		ctl "$x" stats --json 2>/dev/null | jq -c '.vpn_dp | with_entries(select(.value != 0))' 2>/dev/null
	done
	fail "$*"
}

vpn_keys
vpn_net
vpn_configs
# the overlay links: one veth pair per edge, nothing else on them
for x in "${NAMES[@]}"; do
	for y in ${NBRS[$x]}; do
		[[ "$x" < "$y" ]] || continue
		ip link add "to$y" netns "$(ns "$x")" address "$(lmac "$x" "$y")" type veth \
			peer name "to$x" netns "$(ns "$y")" address "$(lmac "$y" "$x")"
	done
done
for x in "${NAMES[@]}"; do
	links="[]"
	for y in ${NBRS[$x]}; do
		nsx "$(ns "$x")" sysctl -qw "net.ipv6.conf.to$y.disable_ipv6=1"
		nsx "$(ns "$x")" ip link set "to$y" up
		links=$(jq -c --arg n "${ID[$y]}" --arg d "to$y" --arg m "$(lmac "$y" "$x")" \
			'. + [{"neighbour": $n, "device": $d, "mac": $m}]' <<<"$links")
	done
	jq --argjson l "$links" '.vpn += {"vxlan_links": false, "underlay": "ul0", "ethernet_links": $l}' \
		"$WORK/$x.json" >"$WORK/$x.tmp" && mv "$WORK/$x.tmp" "$WORK/$x.json"
done
# a failed start names its cause and leaves nothing: an Ethernet link on a TUN (no MAC)
nsx "$(ns A)" ip tuntap add dev tun0 mode tun
nsx "$(ns A)" ip link set tun0 up
jq --arg n "${ID[B]}" '.vpn.ethernet_links[0] = {"neighbour": $n, "device": "tun0", "mac": "02:00:00:00:00:99"}' \
	"$WORK/A.json" >"$WORK/A-bad.json"
if nsx "$(ns A)" timeout 30 "$IPOP" daemon --config "$WORK/A-bad.json" --ctl-socket "$WORK/A-bad.sock" \
	>"$WORK/A-bad.log" 2>&1; then
	fail "a daemon started with an Ethernet link on a TUN device"
fi
grep -q "vpn: link to $(ul_ip B):7400: link 1: cannot read the MAC of tun0" "$WORK/A-bad.log" && ! grep -q "vpn: vpn:" "$WORK/A-bad.log" || { cat "$WORK/A-bad.log"; fail "no clear error"; }
left=$(nsx "$(ns A)" ip -o link show | grep -c ipop0 || true)
left=$((left + $(nsx "$(ns A)" tc qdisc show | grep -c clsact || true)))
expect_eq "$left" 0 "devices and clsact qdiscs left by the failed start"
nsx "$(ns A)" ip link del tun0
ok "failed start: $(grep -o 'vpn: .*' "$WORK/A-bad.log" | head -1)"

# the other order on A's toB: flow accounting first (its loader makes the clsact),
# then the VPN's filter; unloading the flows later must leave the VPN's filter
# (and so the qdisc). A pin path of A's own: ifindexes repeat across namespaces.
PIN_A=$PIN-a
EXTRA_CLEANUP+=("nsx $(ns A) $IPOP unload --all --pin-path $PIN_A; rm -rf $PIN_A")
nsx "$(ns A)" "$IPOP" load toB --ingress-hook tc --tc-mode clsact --pin-path "$PIN_A" || die "flows on A's toB"
vpn_start
vpn_wait
for x in "${NAMES[@]}"; do
	kinds=$(ctl "$x" vpn status | jq -r '[.links[].kind] | unique | join(",")')
	expect_eq "$kinds" ethernet "$x's link kinds"
	! nsx "$(ns "$x")" ip link show ipop-vx0 >/dev/null 2>&1 || die "$x made a VXLAN device"
done
ok "5 daemons up, every overlay link a veth (no VXLAN device)"

# flow accounting on E's link device next to the VPN's filter (the VPN made the
# clsact): through clsact too (the loader's fallback; on tcx, its default, the
# two share no qdisc), so that the VPN's teardown must leave the flows' filter
nsx "$(ns E)" "$IPOP" load toC --ingress-hook tc --tc-mode clsact --pin-path "$PIN" || die "flows on E's toC"
expect_eq "$(prefs E toC)" "$((0xc0de)) $((0xc0e0)) " "E's toC ingress filters (flows, then the VPN)"

# ARP over the overlay, the echo over SRUM while the path is found, then the kernel
for try in 1 2 3; do
	nsx "$(ns A)" ping -c 5 -i 0.3 -W 3 10.236.0.5 >"$WORK/ping0" 2>&1 && break
	[ "$try" -lt 3 ] || { cat "$WORK/ping0"; die "first IPv4 ping A -> E (3 tries)"; }
done
nsx "$(ns A)" ping -c 3 -i 0.2 -W 2 10.236.0.5 >"$WORK/ping4" || { cat "$WORK/ping4"; die "IPv4 ping A -> E"; }
grep -q ' 0% packet loss' "$WORK/ping4" || { cat "$WORK/ping4"; die "IPv4 ping lost replies"; }
ok "ping IPv4 A -> E ($(grep -o 'rtt.*' "$WORK/ping4"))"
nsx "$(ns A)" ping -6 -c 5 -i 0.3 -W 3 fd00:236::5 >"$WORK/ping6" 2>&1 || { cat "$WORK/ping6"; die "IPv6 ping A -> E"; }
nsx "$(ns A)" ip -6 neigh show dev ipop0 | grep -q 'fd00:236::5 lladdr 02:00:00:00:35:05' ||
	die "ND did not resolve fd00:236::5 over the overlay"
ok "ping IPv6 A -> E, neighbour discovery over the overlay"

for _ in $(seq 50); do
	inst=$(ctl A vpn status | jq -r --arg e "${ID[E]}" \
		'.paths[] | select(.dst == $e and .state == "installed") | .path | map(.node) | join(" ")')
	[ -n "$inst" ] && break
	sleep 0.1
done
[ "$(wc -w <<<"$inst")" = 3 ] || die "A's kernel path to E: '$inst' (want 3 hops)"
MID=""
for y in B D; do [[ "$inst" == "${ID[$y]}"* ]] && MID=$y; done
[ -n "$MID" ] || die "the installed path does not start at B or D: $inst"
ok "A's kernel path to E: A $MID C E"

# TCP: no frame of the established transfer reaches a daemon
head -c "$BYTES" /dev/urandom >"$WORK/src"
nsx "$(ns E)" timeout 30 nc -l -p 5001 >"$WORK/dst" &
NC=$!
sleep 0.3
a0=$(daemon_frames A) e0=$(daemon_frames E) d0=$(vstat E delivered)
m0=$(vstat "$MID" transit_tx) c0=$(vstat C transit_tx)
nsx "$(ns A)" timeout 30 nc -q 1 10.236.0.5 5001 <"$WORK/src" || die "nc client"
wait $NC || true
cmp -s "$WORK/src" "$WORK/dst" || die "TCP transfer corrupted ($(wc -c <"$WORK/dst") of $BYTES bytes)"
a1=$(daemon_frames A) e1=$(daemon_frames E) d1=$(vstat E delivered)
m1=$(vstat "$MID" transit_tx) c1=$(vstat C transit_tx)
[ $((d1 - d0)) -ge 16 ] || die "E's kernel delivered only $((d1 - d0)) frames of the transfer"
[ $((m1 - m0)) -ge 16 ] && [ $((c1 - c0)) -ge 16 ] ||
	die "transit frames: $((m1 - m0)) at $MID, $((c1 - c0)) at C"
expect_eq "$((a1 - a0 + e1 - e0))" 0 "unicast frames of the TCP transfer handled by a daemon (A, E)"
ok "TCP A -> E: $BYTES bytes identical; E's kernel delivered $((d1 - d0)) frames, $MID forwarded $((m1 - m0)), C $((c1 - c0))"

# hand-made overlay frames at B: A -> B -> C -> E with B's and C's real labels;
# their inner frame (srsend's) has the source MAC 02:00:00:00:99:99, which E's
# ipop0 sees only if they are delivered (a packet socket counts them there)
path="${ID[B]}:$(label B C),${ID[C]}:$(label C E),${ID[E]}"
bmac=$(lmac B A) amac=$(lmac A B)
b_ul=$(nsx "$(ns B)" ip -o link show ul0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
nsx "$(ns E)" timeout 30 python3 - ipop0 "$WORK/cap" >"$WORK/cap.n" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.settimeout(0.1)
open(sys.argv[2] + ".ready", "w").close()
n, end = 0, time.monotonic() + 20  # or 0.5 s after the test says stop
while time.monotonic() < end:
    if os.path.exists(sys.argv[2] + ".stop"):
        end = min(end, time.monotonic() + 0.5)
    try:
        f, a = s.recvfrom(2048)
    except socket.timeout:
        continue
    if a[2] != socket.PACKET_OUTGOING and f[6:12] == bytes.fromhex("020000009999"):
        n += 1
print(n)
PY
CAP=$!
for _ in $(seq 50); do [ -e "$WORK/cap.ready" ] && break; sleep 0.1; done
[ -e "$WORK/cap.ready" ] || die "the packet socket on E's ipop0 did not start"
b_nbr0=$(vstat B drop_wrong_nbr) b_nl0=$(vstat B drop_not_link) b_tx0=$(vstat B transit_tx)
c_tx0=$(vstat C transit_tx)
# on the link, a stranger's source MAC (srsend's own)
nsx "$(ns A)" "$SRSEND" eth toB "$bmac" 5 "${ID[A]}" "${ID[E]}" 0 "$path" || fail "srsend (stranger)"
# on the link, A's MAC, but the header says the frame comes from D
nsx "$(ns A)" "$SRSEND" eth toB "$bmac" 4 "${ID[D]}" "${ID[E]}" 0 "$path" "$amac" || fail "srsend (from D)"
# on B's underlay interface, not a link
nsx "$(ns A)" "$SRSEND" eth ul0 "$b_ul" 3 "${ID[A]}" "${ID[E]}" 0 "$path" "$amac" || fail "srsend (underlay)"
sleep 0.3
expect_eq "$(($(vstat B drop_wrong_nbr) - b_nbr0))" 9 "B: frames on the link from A with another MAC or origin, dropped as drop_wrong_nbr"
expect_eq "$(($(vstat B drop_not_link) - b_nl0))" 3 "B: overlay frames on its underlay interface, dropped as drop_not_link"
# and the well-formed one goes through: A's MAC, A the origin
nsx "$(ns A)" "$SRSEND" eth toB "$bmac" 20 "${ID[A]}" "${ID[E]}" 0 "$path" "$amac" || fail "srsend (good)"
touch "$WORK/cap.stop"
wait $CAP || die "the packet socket on E's ipop0"
expect_eq "$(cat "$WORK/cap.n")" 20 "hand-made frames that reached E's ipop0 (only the 20 well-formed ones)"
b_fw=$(($(vstat B transit_tx) - b_tx0)) c_fw=$(($(vstat C transit_tx) - c_tx0))
[ "$b_fw" -ge 20 ] && [ "$c_fw" -ge 20 ] || die "B forwarded $b_fw, C $c_fw of the 20 well-formed frames"
ok "the well-formed frames: forwarded by B ($b_fw frames meanwhile) and C ($c_fw), delivered at E"
for x in "${NAMES[@]}"; do
	echo "  $x: $(ctl "$x" stats --json | jq -c '.vpn_dp | del(.daemon) | with_entries(select(.value != 0))')"
done

expect_eq "$(prefs A toB)" "$((0xc0de)) $((0xc0e0)) " "A's toB ingress filters (flows, then the VPN)"
nsx "$(ns A)" "$IPOP" unload toB --pin-path "$PIN_A" || die "unload the flows on A's toB"
expect_eq "$(prefs A toB)" "$((0xc0e0)) " "A's toB ingress filters after the flows left (the VPN's stays)"
# frames B sends A still come in through the VPN's filter: a ping from B's
# ipop0 to A's crosses B's toA and A's toB (the first one: ARP, then SRUM)
for try in 1 2 3; do
	nsx "$(ns B)" ping -c 5 -i 0.3 -W 3 10.236.0.1 >"$WORK/pingba" 2>&1 && break
	[ "$try" -lt 3 ] || { cat "$WORK/pingba"; die "ping B -> A after A's flows left toB (3 tries)"; }
done
ok "flows unloaded from A's toB: the clsact they made stays for the VPN's filter, B -> A still pings"

# E's and C's daemons stop: the VPN's filters go; on E's toC the flow filters (and
# their clsact) stay, on C's links (nothing else there) the clsact the VPN made goes
kill "${PIDS[4]}" "${PIDS[2]}"
timeout 10 tail --pid="${PIDS[4]}" -f /dev/null || die "E's daemon did not stop"
timeout 10 tail --pid="${PIDS[2]}" -f /dev/null || die "C's daemon did not stop"
for y in B D E; do
	q=$(nsx "$(ns C)" tc qdisc show dev "to$y" | grep -c clsact || true)
	expect_eq "$q" 0 "clsact qdiscs left on C's to$y"
done
expect_eq "$(prefs E toC)" "$((0xc0de)) " "E's toC ingress filters after its daemon stopped (flows only)"
att=$(nsx "$(ns E)" "$IPOP" status --json --pin-path "$PIN" | jq -r '.interfaces[] | select(.ifname == "toC") | .attached')
expect_eq "$att" true "flow accounting on E's toC still attached"
nsx "$(ns C)" ip addr add 10.237.0.1/30 dev toE
nsx "$(ns E)" ip addr add 10.237.0.2/30 dev toC
nsx "$(ns C)" ping -c 3 -i 0.2 -W 2 10.237.0.2 >/dev/null || die "ping C -> E on the veth"
pk=$(flows_json "$(ns E)" | jq '[.flows[] | select(.ifname == "toC" and .direction == "ingress" and
	.proto == 1 and .src == "10.237.0.1") | .packets] | add // 0')
[ "$pk" -ge 3 ] || die "E's flow accounting on toC counted $pk ICMP packets after the VPN left"
ok "E's flows on toC after the VPN left: $pk ICMP packets counted"
