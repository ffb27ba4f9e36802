#!/usr/bin/env bash
# The VPN datapath end to end with static paths, no daemon (tests/tools/vpnnode
# programs the maps through user/vpn): five nodes A..E in namespaces on an
# underlay bridge (its own namespace), one external VXLAN device per node,
# overlay links A-B, B-C, C-E, A-D, D-B. Paths A -> B -> C -> E and back
# (3 overlay hops) are installed statically; so are the MAC -> node entries
# and, since broadcast (ARP/ND) needs the daemon's multicast modules, the
# neighbour entries on ipop0 (`ip neigh ... nud permanent`).
# Checks: ping IPv4 and IPv6 A -> E, a TCP transfer (nc, 2 MB, checksummed)
# with no frame of it reaching a TAP reader, every hop's counters, and that
# overlay frames arriving on an interface that is not a link, from the wrong
# neighbour or from a stranger are dropped and counted.
# VPN_XDP=1: B and C forward with the XDP transit program on their underlay
# interface instead (the bridge ports get an XDP program so veth accepts
# XDP_TX frames), and ipop0 on A and E sends single-segment frames (see below).
source "$(dirname "$0")/lib.sh"

VPNNODE=$TOOLS/vpnnode
SRSEND=$TOOLS/srsend
[ -x "$VPNNODE" ] && [ -x "$SRSEND" ] || fail "build $VPNNODE and $SRSEND first (make check-run)"
XDP=${VPN_XDP:-0}
BYTES=${VPN_TCP_BYTES:-2000000} # the benchmark sets more
NAMES=(A B C D E)
UL=ivs$T-ul
WORK=$(mktemp -d /tmp/ipop-vpn.XXXXXX)
# the nodes first: they rewrite their stats files in $WORK until they exit
vpn_cleanup() {
	local pids p
	pids=$(for n in "${NS_LIST[@]}"; do ip netns pids "$n" 2>/dev/null; done)
	[ -z "$pids" ] || kill $pids 2>/dev/null
	for p in $pids; do timeout 3 tail --pid="$p" -f /dev/null; done
	rm -rf "$WORK"
}
EXTRA_CLEANUP+=(vpn_cleanup)

idof() { local b; b=$(printf '%02x' $((0xa0 + $1))); printf "$b%.0s" {1..16}; } # 16 bytes 0xa<i>
macof() { printf '02:00:00:00:00:%02x' "$1"; }
ns() { echo "ivs$T-${NAMES[$1]}"; }
num() { case $1 in A) echo 0 ;; B) echo 1 ;; C) echo 2 ;; D) echo 3 ;; E) echo 4 ;; esac; }
stat() { awk -v k="$2" '$1 == k { print $2 }' "$WORK/${1}.stats"; }

new_ns "$UL"
nsx "$UL" ip link add br0 type bridge
nsx "$UL" ip link set br0 up
for i in 0 1 2 3 4; do
	n=$(ns $i)
	new_ns "$n"
	nsx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip link add ul0 netns "$n" type veth peer name ul$i netns "$UL"
	nsx "$n" ip addr add 10.231.0.$((i + 1))/24 dev ul0
	nsx "$n" ip link set ul0 up
	nsx "$UL" ip link set ul$i master br0 up
	if [ "$XDP" = 1 ]; then
		nsx "$UL" ip link set dev ul$i xdp obj "$BUILD/bench_bare.bpf.o" sec xdp
		# XDP carries bytes, not an skb's CHECKSUM_PARTIAL: checksums must be
		# complete on the wire, as a NIC makes them (veth would leave them open)
		nsx "$n" ethtool -K ul0 tx off >/dev/null 2>&1 || fail "ethtool -K ul0 tx off"
		# with XDP a veth receives through NAPI and GRO: keep frames MTU-sized
		nsx "$n" ethtool -K ul0 gro off >/dev/null 2>&1 || fail "ethtool -K ul0 gro off"
		nsx "$UL" ethtool -K ul$i gro off >/dev/null 2>&1 || fail "ethtool -K ul$i gro off"
	fi
done

# links: label = the neighbour's number + 1 (A=1 ... E=5), VNI 100
declare -A NBRS=([A]="B D" [B]="A C D" [C]="B E" [D]="A B" [E]="C")
start_node() {
	local x=$1 i args=() y j
	i=$(num "$x")
	for y in ${NBRS[$x]}; do
		j=$(num "$y")
		args+=(--link "$((j + 1)),vxlan,$(idof $j),10.231.0.$((j + 1)),100")
	done
	nsx "$(ns "$i")" "$VPNNODE" --id "$(idof "$i")" --tap ipop0 --tap-mac "$(macof $((i + 1)))" \
		--addr4 10.232.0.$((i + 1))/24 --addr6 fd00:232::$((i + 1))/64 --vxlan vx0 \
		--underlay-ip4 10.231.0.$((i + 1)) --stats "$WORK/$x.stats" --ready "$WORK/$x.ready" \
		--time 240 "${args[@]}" "${@:2}" >"$WORK/$x.log" 2>&1 &
}
A_ID=$(idof 0) B_ID=$(idof 1) C_ID=$(idof 2) E_ID=$(idof 4)
start_node A --path "$E_ID,2,$B_ID:3,$C_ID:5,$E_ID" --mac "$(macof 5),$E_ID"
if [ "$XDP" = 1 ]; then
	# bpf_fib_lookup() answers only where the interface forwards IPv4
	nsx "$(ns 1)" sysctl -qw net.ipv4.conf.ul0.forwarding=1
	nsx "$(ns 2)" sysctl -qw net.ipv4.conf.ul0.forwarding=1
	start_node B --guard ul0 --xdp ul0
	start_node C --xdp ul0
else
	start_node B --guard ul0
	start_node C
fi
start_node D
start_node E --path "$A_ID,3,$C_ID:2,$B_ID:1,$A_ID" --mac "$(macof 1),$A_ID"
for x in "${NAMES[@]}"; do
	for _ in $(seq 50); do [ -e "$WORK/$x.ready" ] && break; sleep 0.1; done
	[ -e "$WORK/$x.ready" ] || { cat "$WORK/$x.log"; fail "node $x did not start"; }
done
ok "5 nodes up (XDP transit: $XDP)"
if [ "$XDP" = 1 ]; then
	# With tx checksum offload off, ul0 has no segmentation offload either, so
	# a TCP GSO frame from ipop0 must be segmented in software at ul0; the
	# kernel's GSO cannot parse past the source-route EtherType inside the
	# VXLAN frame and drops the whole frame (ul0's TX dropped counter): TCP
	# then stalled after a few hundred KB. Single-segment frames from ipop0
	# (gso_max_segs 1) are checksummed in software and carried fine.
	for i in 0 4; do
		nsx "$(ns $i)" ip link set dev ipop0 gso_max_segs 1 || fail "gso_max_segs on ipop0"
	done
fi

# ARP/ND without the daemon: static neighbours on ipop0
nsx "$(ns 0)" ip neigh replace 10.232.0.5 lladdr "$(macof 5)" dev ipop0 nud permanent
nsx "$(ns 0)" ip -6 neigh replace fd00:232::5 lladdr "$(macof 5)" dev ipop0 nud permanent
nsx "$(ns 4)" ip neigh replace 10.232.0.1 lladdr "$(macof 1)" dev ipop0 nud permanent
nsx "$(ns 4)" ip -6 neigh replace fd00:232::1 lladdr "$(macof 1)" dev ipop0 nud permanent

nsx "$(ns 0)" ping -c 3 -i 0.2 -W 2 10.232.0.5 >"$WORK/ping4" || { cat "$WORK/ping4"; fail "IPv4 ping A -> E"; }
ok "ping IPv4 A -> E over 3 overlay hops"
nsx "$(ns 0)" ping -6 -c 3 -i 0.2 -W 2 fd00:232::5 >"$WORK/ping6" || { cat "$WORK/ping6"; fail "IPv6 ping A -> E"; }
ok "ping IPv6 A -> E"
sleep 0.3
fwd() { echo $(($(stat "$1" transit_tx) + $(stat "$1" xdp_tx))); }
[ "$(fwd B)" -ge 12 ] || fail "B forwarded $(fwd B)"
[ "$(fwd C)" -ge 12 ] || fail "C forwarded $(fwd C)"
if [ "$XDP" = 1 ]; then
	[ "$(stat B xdp_tx)" -ge 10 ] && [ "$(stat C xdp_tx)" -ge 10 ] ||
		fail "XDP forwarded only $(stat B xdp_tx) at B, $(stat C xdp_tx) at C"
fi
[ "$(stat D transit_tx)" -eq 0 ] || fail "D forwarded frames of a path not through it"
ok "B and C carried both directions ($(stat B transit_tx)/$(stat B xdp_tx) at B, $(stat C transit_tx)/$(stat C xdp_tx) at C)"

# TCP transfer; count what reaches the TAP readers meanwhile.
ul_txdrop() { nsx "$(ns "$1")" ip -s link show ul0 | awk '/TX:/ { getline; print $4; exit }'; }
tcp_transfer() {
	a_txd0=$(ul_txdrop 0) b_x0=$(stat B xdp_tx)
	e_read0=$(stat E tap_read) a_read0=$(stat A tap_read) e_del0=$(stat E delivered)
	a_punt0=$(($(stat A punt_no_mac) + $(stat A punt_no_path)))
	head -c "$BYTES" /dev/urandom >"$WORK/src"
	nsx "$(ns 4)" timeout 60 nc -l -p 5001 >"$WORK/dst" &
	NC=$!
	sleep 0.5
	t0=$(date +%s%N)
	nsx "$(ns 0)" timeout 60 nc -q 1 10.232.0.5 5001 <"$WORK/src" || { for x in "${NAMES[@]}"; do echo "$x: $(tr "\n" " " <"$WORK/$x.stats")"; done; echo "$(wc -c <"$WORK/dst") bytes arrived"; nsx "$(ns 4)" nstat -az TcpExtTCPCsumErrors TcpInCsumErrors UdpInCsumErrors IpInHdrErrors; fail "nc client"; }
	wait $NC || true
	cmp -s "$WORK/src" "$WORK/dst" || fail "TCP transfer corrupted ($(wc -c <"$WORK/dst") bytes arrived)"
	t1=$(date +%s%N)
	expect_eq "$(($(ul_txdrop 0) - a_txd0))" 0 "frames A's underlay interface dropped during the transfer"
	ok "TCP transfer A -> E: $BYTES bytes, identical, $(((BYTES * 8 * 1000 / ((t1 - t0) / 1000)) / 1000)) Mbit/s (wall clock, nc)"
	sleep 0.3
	e_del=$(($(stat E delivered) - e_del0))
	if [ "$XDP" = 1 ]; then
		# 2 MB in single segments of at most 1280 bytes, each through B's XDP
		[ $(($(stat B xdp_tx) - b_x0)) -ge $((BYTES / 1280)) ] ||
			fail "B forwarded only $(($(stat B xdp_tx) - b_x0)) frames of the transfer by XDP"
	fi
	# GSO: ipop0 hands TCP over in segments of up to 64 KB, carried whole to E
	# (with XDP transit, one segment a frame: at least 1500 of 2 MB)
	[ "$e_del" -ge 31 ] || fail "E delivered only $e_del frames (skbs) of the transfer"
	a_punt=$(($(stat A punt_no_mac) + $(stat A punt_no_path) - a_punt0))
	expect_eq "$a_punt" 0 "frames of the transfer A could not route"
	reads=$(($(stat E tap_read) - e_read0 + $(stat A tap_read) - a_read0))
	[ "$reads" -le 4 ] || fail "$reads frames reached the TAP readers during the transfer"
	ok "transfer: $e_del frames delivered at E in the kernel, $reads reached a TAP reader (multicast only)"
}
tcp_transfer

# refusals, each counted at B
path="$B_ID:3,$C_ID:5,$E_ID"
b_ul_mac=$(nsx "$(ns 1)" cat /sys/class/net/ul0/address 2>/dev/null || true)
[ -n "$b_ul_mac" ] || b_ul_mac=$(nsx "$(ns 1)" ip -o link show ul0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
nl0=$(stat B drop_not_link) wn0=$(stat B drop_wrong_nbr)
nsx "$(ns 0)" "$SRSEND" eth ul0 "$b_ul_mac" 5 "$A_ID" "$E_ID" 0 "$path" || fail "srsend eth"
nsx "$(ns 3)" "$SRSEND" udp 10.231.0.2 100 5 "$A_ID" "$E_ID" 0 "$path" || fail "srsend from D"
nsx "$(ns 4)" "$SRSEND" udp 10.231.0.2 100 5 "$E_ID" "$E_ID" 0 "$path" || fail "srsend from E"
sleep 0.4
expect_eq "$(($(stat B drop_not_link) - nl0))" 10 "B: overlay frames on the underlay interface + from a stranger (E), dropped"
expect_eq "$(($(stat B drop_wrong_nbr) - wn0))" 5 "B: frames from D claiming A as previous hop, dropped"
[ "$(stat C delivered)" -eq 0 ] || fail "C delivered frames"
for x in "${NAMES[@]}"; do
	drops=$(awk '$1 ~ /^drop_/ { s += $2 } END { print s + 0 }' "$WORK/$x.stats")
	echo "  $x: $(tr '\n' ' ' <"$WORK/$x.stats" | sed 's/[a-z_0-9]* 0 //g')"
	[ "$x" = B ] || [ "$drops" -eq 0 ] || fail "$x dropped $drops frames"
done
ok "no other node dropped anything"
