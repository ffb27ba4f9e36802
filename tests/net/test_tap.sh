#!/usr/bin/env bash
# A TAP device (what ipop0 is): frames written into the TAP by its reader are
# ingress, what the stack sends out of it is egress; exact counts for both.
. "$(dirname "$0")/lib.sh"

A=ita$T
new_ns $A
TAP=tp$T
nsx $A ip tuntap add mode tap name $TAP
nsx $A ip addr add 10.214.0.1/24 dev $TAP
nsx $A ip link set $TAP up
nsx $A sysctl -qw net.ipv6.conf.$TAP.disable_ipv6=1
# a static neighbour, so egress needs no ARP
nsx $A ip neigh add 10.214.0.2 lladdr 02:00:00:00:00:01 dev $TAP

nsx $A "$IPOP" load $TAP --pin-path "$PIN"
expect_eq "$(nsx $A "$IPOP" status $TAP --json --pin-path "$PIN" | jq -r '.interfaces[0].ingress_hook')" tc \
	"default ingress hook on a TAP"

# the reader injects 25 frames (ingress) and holds the TAP open (carrier) for 3 s
nsx $A "$TOOLS"/tapio $TAP 10.214.0.2 10.214.0.1 42001 8001 25 100 3 >/dev/null &
reader=$!
sleep 0.5
nsx $A "$TOOLS"/udpsend 10.214.0.2 8002 42002 15 50
wait $reader
j=$(flows_json $A)
expect_eq "$(flow_field "$j" $TAP ingress 17 42001 8001 packets)" 25 "tap ingress packets"
expect_eq "$(flow_field "$j" $TAP ingress 17 42001 8001 bytes)" $((25 * 142)) "tap ingress bytes"
expect_eq "$(flow_field "$j" $TAP egress 17 42002 8002 packets)" 15 "tap egress packets"
expect_eq "$(flow_field "$j" $TAP egress 17 42002 8002 bytes)" $((15 * 92)) "tap egress bytes"
nsx $A "$IPOP" unload $TAP --pin-path "$PIN"
[ ! -e "$PIN" ] || fail "pins left"
echo PASS
