#!/usr/bin/env bash
# make demo: two namespaces joined by a veth pair, ipop-bpf on one end, real
# traffic (ping, UDP, TCP), the flow table, then everything removed.
. "$(dirname "$0")/lib.sh"

A=demo-a$T B=demo-b$T
step() { printf '\n\033[1m# %s\033[0m\n' "$*"; }

step "namespaces $A and $B, veth dva$T (10.215.0.1) <-> dvb$T (10.215.0.2)"
new_ns $A
new_ns $B
veth_pair $A dva$T 10.215.0.1/30 $B dvb$T 10.215.0.2/30
nsx $A ip addr add fd00:215::1/64 dev dva$T nodad
nsx $B ip addr add fd00:215::2/64 dev dvb$T nodad

step "ipop-bpf load dva$T --pin-path $PIN"
nsx $A "$IPOP" load dva$T --pin-path "$PIN"
nsx $A "$IPOP" status --pin-path "$PIN"

step "traffic: 5 pings (v4 and v6), 50 UDP datagrams each way, one TCP transfer of 1 MB"
nsx $A ping -c 5 -i 0.1 10.215.0.2 | tail -2
nsx $A ping -6 -c 5 -i 0.1 fd00:215::2 | tail -1
nsx $A "$TOOLS"/udpsend 10.215.0.2 5353 40000 50 512
nsx $B "$TOOLS"/udpsend 10.215.0.1 5353 40001 50 256
nsx $B timeout 10 nc -l -p 8080 >/dev/null &
sleep 0.3
head -c 1000000 /dev/zero | nsx $A timeout 10 nc -q 1 10.215.0.2 8080
wait

step "ipop-bpf flows --pin-path $PIN"
nsx $A "$IPOP" flows --pin-path "$PIN"

step "ipop-bpf flows --json --limit 1"
nsx $A "$IPOP" flows --json --limit 1 --pin-path "$PIN" | jq .

step "bpftool map dump pinned $PIN/flows (first entry)"
# awk reads to the end (no early exit): bpftool must not die of SIGPIPE
# under pipefail.
bpftool map dump pinned "$PIN"/flows | awk 'cut {next} /^    },\{/ {print "    },{ ..."; cut = 1; next} {print}'

step "ipop-bpf unload dva$T; namespaces removed on exit"
nsx $A "$IPOP" unload dva$T --pin-path "$PIN"
