#!/usr/bin/env bash
# Known traffic over a veth between two namespaces: exact packets and bytes per
# flow in both directions, for each ingress hook; one flow cross-checked
# against an nftables counter on the receiver; source-routed overlay frames
# (keyed by the inner frame, node IDs shown).
. "$(dirname "$0")/lib.sh"

A=ipa$T B=ipb$T
new_ns $A
new_ns $B
veth_pair $A va$T 10.211.0.1/30 $B vb$T 10.211.0.2/30
nsx $A ip addr add fd00:211::1/64 dev va$T nodad
nsx $B ip addr add fd00:211::2/64 dev vb$T nodad
# make neighbour resolution happen before we count
nsx $A ping -c1 -W2 10.211.0.2 >/dev/null
nsx $A ping -6 -c1 -W2 fd00:211::2 >/dev/null

# receiver-side independent counter for the UDP flow A->B
nsx $B nft -f - <<NFT
table inet ipopcheck$T {
	counter c { }
	chain in { type filter hook input priority 0; udp sport 40001 udp dport 5001 counter name c; }
}
NFT
EXTRA_CLEANUP+=("nsx $B nft delete table inet ipopcheck$T")

run_case() {
	local hook=$1 mode=$2 n=$3
	local args=(--ingress-hook "$hook")
	[ -n "$mode" ] && args+=(--mode "$mode")
	nsx $A "$IPOP" load va$T "${args[@]}" --pin-path "$PIN"
	nsx $A ping -c "$n" -i 0.05 -W 2 10.211.0.2 >/dev/null
	nsx $A "$TOOLS"/udpsend 10.211.0.2 5001 40001 "$n" 100
	nsx $B "$TOOLS"/udpsend 10.211.0.1 5002 40002 "$n" 200
	nsx $A "$TOOLS"/udpsend fd00:211::2 5003 40003 "$n" 300
	sleep 0.3
	local j
	j=$(flows_json $A)
	# ICMP echo: 98-byte frames (14 + 20 + 8 + 56); sport=type, dport=code
	expect_eq "$(flow_field "$j" va$T egress 1 8 0 packets)" "$n" "[$hook$mode] icmp echo egress packets"
	expect_eq "$(flow_field "$j" va$T egress 1 8 0 bytes)" "$((n * 98))" "[$hook$mode] icmp echo egress bytes"
	expect_eq "$(flow_field "$j" va$T ingress 1 0 0 packets)" "$n" "[$hook$mode] icmp reply ingress packets"
	expect_eq "$(flow_field "$j" va$T ingress 1 0 0 bytes)" "$((n * 98))" "[$hook$mode] icmp reply ingress bytes"
	# UDP: 14 + 20 + 8 + payload
	expect_eq "$(flow_field "$j" va$T egress 17 40001 5001 packets)" "$n" "[$hook$mode] udp egress packets"
	expect_eq "$(flow_field "$j" va$T egress 17 40001 5001 bytes)" "$((n * 142))" "[$hook$mode] udp egress bytes"
	expect_eq "$(flow_field "$j" va$T ingress 17 40002 5002 packets)" "$n" "[$hook$mode] udp ingress packets"
	expect_eq "$(flow_field "$j" va$T ingress 17 40002 5002 bytes)" "$((n * 242))" "[$hook$mode] udp ingress bytes"
	# IPv6 UDP: 14 + 40 + 8 + payload
	expect_eq "$(flow_field "$j" va$T egress 17 40003 5003 packets)" "$n" "[$hook$mode] udp6 egress packets"
	expect_eq "$(flow_field "$j" va$T egress 17 40003 5003 bytes)" "$((n * 362))" "[$hook$mode] udp6 egress bytes"
	local src
	src=$(jq -r '[.flows[] | select(.sport==40003)][0] | .src + " " + .dst + " " + .l3' <<<"$j")
	expect_eq "$src" "fd00:211::1 fd00:211::2 ipv6" "[$hook$mode] udp6 addresses"
	# independent counter: nftables on the receiver saw what we counted leaving A
	local nftp
	nftp=$(nsx $B nft -j list counter inet ipopcheck$T c | jq '.nftables[] | select(.counter) | .counter.packets')
	expect_eq "$(flow_field "$j" va$T egress 17 40001 5001 packets)" "$nftp" "[$hook$mode] udp egress agrees with nftables"
	nsx $B nft reset counter inet ipopcheck$T c >/dev/null
	nsx $A "$IPOP" unload va$T --pin-path "$PIN"
}

run_case tc "" 20
run_case xdp native 20
run_case xdp skb 20

# Source-routed overlay frames (as a VPN link carries them) arriving on va: keyed
# by the inner frame (a 60-byte ARP-typed frame), the overlay node IDs in the
# flow, bytes the whole frame on the link (14 + 40 + 4 per hop + 60)
nsx $A "$IPOP" load va$T --pin-path "$PIN"
SRC_ID=0123456789abcdef0123456789abcdef DST_ID=fedcba9876543210fedcba9876543210
va_mac=$(nsx $A ip -o link show va$T | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
nsx $B "$TOOLS"/srsend eth vb$T "$va_mac" 7 "$SRC_ID" "$DST_ID" 0 \
	"3333333333333333333333333333333f:4,$DST_ID" || fail "srsend"
sleep 0.3
j=$(flows_json $A)
ovl=$(jq -c --arg i va$T '[.flows[] | select(.ifname==$i and .direction=="ingress" and .src_node)]' <<<"$j")
expect_eq "$(jq length <<<"$ovl")" 1 "one overlay flow"
expect_eq "$(jq -r '.[0] | "\(.ethertype) \(.l3) \(.packets) \(.bytes)"' <<<"$ovl")" \
	"2054 other 7 $((7 * (14 + 40 + 8 + 60)))" "overlay flow: inner EtherType, packets, link bytes"
expect_eq "$(jq -r '.[0] | .src_node + ">" + .dst_node' <<<"$ovl")" "$SRC_ID>$DST_ID" "overlay node IDs"
tbl=$(nsx $A "$IPOP" flows --pin-path "$PIN")
grep -q " 01234567>fedcba98$" <<<"$tbl" || fail "the table shows no OVERLAY 01234567>fedcba98: $tbl"
ok "the table shows the overlay node IDs"
nsx $A "$IPOP" unload va$T --pin-path "$PIN"

# TCP: flags seen and payload bytes, against the receiver's byte count
nsx $A "$IPOP" load va$T --pin-path "$PIN"
nsx $B timeout 10 nc -l -p 6001 >/dev/null &
sleep 0.3
head -c 100000 /dev/zero | nsx $A timeout 10 nc -q 1 -p 46001 10.211.0.2 6001
wait
sleep 0.2
j=$(flows_json $A)
fl=$(jq -r '[.flows[] | select(.proto==6 and .sport==46001 and .direction=="egress")][0].tcp_flags' <<<"$j")
[ $((fl & 0x02)) -ne 0 ] && [ $((fl & 0x01)) -ne 0 ] && [ $((fl & 0x10)) -ne 0 ] || fail "tcp flags $fl lack SYN/FIN/ACK"
ok "tcp egress flow saw SYN, ACK and FIN (flags $fl)"
b=$(flow_field "$j" va$T egress 6 46001 6001 bytes)
[ "$b" -gt 100000 ] || fail "tcp egress bytes $b <= payload 100000"
ok "tcp egress bytes $b > payload"
echo "PASS"
