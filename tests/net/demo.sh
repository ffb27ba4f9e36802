#!/usr/bin/env bash
# make demo: a five-node VPN. Five namespaces on an underlay bridge, an
# ipop-bpf daemon in each with a "vpn" object: it creates ipop0, a VXLAN
# device and its links, finds paths (SPDM/SRUM) and puts them in the
# kernel. A reaches E over 3 overlay hops: ping (v4, v6), a short iperf3,
# the discovered path, A's flow table, E's overlay flows (counted on its
# VXLAN link device next to the VPN), `top --once`, the Prometheus file;
# everything removed on exit. Addresses (10.235.0.0/24 underlay,
# 10.236.0.0/24 and fd00:236::/64 on ipop0) exist only in the namespaces.
. "$(dirname "$0")/lib.sh"
VPN_PREFIX=demo-$T
. "$(dirname "$0")/vpn_lib.sh"

step() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
short() { cut -c1-8 <<<"$1"; }

step "five namespaces on an underlay bridge, a key and certificate per node"
vpn_keys
vpn_net
vpn_configs
for x in "${NAMES[@]}"; do printf '  %s  %s  underlay %s  overlay links to %s\n' "$x" "$(short "${ID[$x]}")" "$(ul_ip "$x")" "${NBRS[$x]}"; done

step "ipop-bpf daemon --config X.json in each (A also counts flows on ul0 and exports for Prometheus)"
mkdir -p "$WORK/prom"
VPN_ARGS[A]="--iface ul0 --pin-path $PIN --ingress-hook tc --textfile-dir $WORK/prom --export-interval 0.5"
jq -c .vpn "$WORK/A.json"
vpn_start
vpn_wait
nsx "$(ns A)" ip -br addr show dev ipop0
# E counts flows on its VXLAN link device too (its own pin path: A's daemon has $PIN)
EXTRA_CLEANUP+=("nsx $(ns E) $IPOP unload --all --pin-path $PIN-e" "rm -rf $PIN-e")
echo "  E: ipop-bpf load ipop-vx0 --ingress-hook tc (flow accounting, in front of the VPN's filter)"
nsx "$(ns E)" "$IPOP" load ipop-vx0 --ingress-hook tc --pin-path "$PIN-e"

step "ping A -> E (10.236.0.5, fd00:236::5): ARP/ND over the overlay, first frames through SRUM"
nsx "$(ns A)" ping -c 5 -i 0.3 -W 3 10.236.0.5 | tail -2
nsx "$(ns A)" ping -6 -c 3 -i 0.2 -W 3 fd00:236::5 | tail -1

step "the path A found (ipop-bpf srum paths) and the one in its kernel (ipop-bpf vpn status)"
for _ in $(seq 30); do
	st=$(ctl A vpn status)
	jq -e --arg e "${ID[E]}" '.paths[] | select(.dst == $e and .state == "installed")' <<<"$st" >/dev/null && break
	sleep 0.1
done
names=$(for x in "${NAMES[@]}"; do printf '.[0:8] | sub("%s"; "%s") | ' "$(short "${ID[$x]}")" "$x"; done)
ctl A srum paths --json | jq -c --arg e "${ID[E]}" ".paths[] | select(.dst == \$e) | {hops, path: [.path[] | ${names} .]}"
jq -c --arg e "${ID[E]}" ".paths[] | select(.dst == \$e) | {state, first_label, path: [.path[] | {node: (.node | ${names} .), "label": .label}]}" <<<"$st"

step "iperf3 -t 2 A -> E over 3 overlay hops, no frame through a daemon"
nsx "$(ns E)" timeout 20 iperf3 -s -1 -B 10.236.0.5 >/dev/null 2>&1 &
SRV=$!
sleep 0.5
before=$(ctl A stats --json | jq '.vpn_dp.daemon | .tap_unicast + .tap_flood')
nsx "$(ns A)" timeout 20 iperf3 -c 10.236.0.5 -t 2 -f m | grep -E 'sender|receiver'
wait $SRV
after=$(ctl A stats --json | jq '.vpn_dp.daemon | .tap_unicast + .tap_flood')
echo "  frames A's daemon carried during the transfer: $((after - before)); kernel-forwarded frames at C: $(ctl C stats --json | jq .vpn_dp.transit_tx)"

step "ipop-bpf flows (A's underlay: ICC and the VXLAN tunnels)"
nsx "$(ns A)" "$IPOP" flows --pin-path "$PIN" --ctl-socket "$WORK/A.sock" --limit 6

step "ipop-bpf flows on E's ipop-vx0: the overlay flows, OVERLAY = source>destination node (A = $(short "${ID[A]}"), E = $(short "${ID[E]}"))"
nsx "$(ns E)" "$IPOP" flows --pin-path "$PIN-e" --limit 4

step "ipop-bpf top --once"
nsx "$(ns A)" "$IPOP" top --once --limit 4 --ctl-socket "$WORK/A.sock"

step "the Prometheus textfile ($WORK/prom/ipop.prom, excerpt)"
sleep 0.6
awk '(/^ipop_flows[ {]/ || /^ipop_module_events_total\{module="vpn_dp",event="(origin_tx|delivered|learned|drop_not_link)"/) && n < 8 { print; n++ }' "$WORK/prom/ipop.prom"

step "stopping the daemons: ipop0, VXLAN devices, programs go; namespaces removed on exit"
for p in "${PIDS[@]}"; do kill "$p"; done
for p in "${PIDS[@]}"; do timeout 5 tail --pid="$p" -f /dev/null; done
left=$(for x in "${NAMES[@]}"; do nsx "$(ns "$x")" ip -o link show; done | grep -cE 'ipop0|ipop-vx0' || true)
echo "  VPN devices left: $left"
[ "$left" -eq 0 ] || fail "the daemons left VPN devices behind"
echo "  (demo: ${SECONDS} s)"
