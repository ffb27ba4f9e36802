#!/usr/bin/env bash
# Five VPN daemons in namespaces, shared by test_vpn_overlay.sh and demo.sh.
# Source after lib.sh; set VPN_PREFIX (namespace prefix) and VPN_BCAST
# (tlfm|smm) first. The underlay is a bridge in its own namespace
# ($VPN_PREFIX-ul), node X has ul0 = 10.235.0.N and, from its daemon, ipop0 =
# 10.236.0.N / fd00:236::N (MAC 02:00:00:00:35:0N). Overlay links:
#
#       B
#     /   \        A -> E: 3 overlay hops, A B C E or A D C E
#   A       C - E
#     \   /
#       D
#
#   vpn_keys           a CA, keys and certificates in $WORK; ID[X] = node ID
#   vpn_net            the namespaces and the underlay
#   vpn_configs        $WORK/X.json for each node
#   vpn_start          the daemons (VPN_ARGS[X]: more options for X's, word-split)
#   vpn_wait           every daemon up with its links and ipop0 with carrier
#   ctl X CMD...       an ipop-bpf command against daemon X
#
# VPN_RING=1 (with VPN_BCAST=smm): six nodes on a plain Chord ring instead
# (topology "successors": 1, "fingers": 0; node names given by ring order,
# A B C E F D), so A -> E is still 3 overlay hops, A B C E or A D F E, and
# SMM's broadcast walks the ring.
if [ "${VPN_RING:-0}" = 1 ]; then
	NAMES=(A B C D E F)
	RING_ORDER=(A B C E F D)
	declare -A NBRS=([A]="B D" [B]="A C" [C]="B E" [E]="C F" [F]="E D" [D]="F A")
else
	NAMES=(A B C D E)
	declare -A NBRS=([A]="B D" [B]="A C" [C]="B D E" [D]="A C" [E]="C")
fi
declare -A ID
: "${KEEPALIVE_MS:=200}" "${DEAD_MS:=1000}" "${VPN_BCAST:=tlfm}"
WORK=$(mktemp -d /tmp/ipop-vpn.XXXXXX)
PIDS=()
vpn_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do timeout 5 tail --pid="$p" -f /dev/null; done
	rm -rf "$WORK"
}
EXTRA_CLEANUP+=(vpn_cleanup)
command -v jq >/dev/null || fail "jq is needed (tests/deps.sh installs it)"

num() { case $1 in A) echo 0 ;; B) echo 1 ;; C) echo 2 ;; D) echo 3 ;; E) echo 4 ;; F) echo 5 ;; esac; }
ns() { echo "$VPN_PREFIX-$1"; }
ul_ip() { echo "10.235.0.$(($(num "$1") + 1))"; }
ctl() { local x=$1; shift; "$IPOP" "$@" --ctl-socket "$WORK/$x.sock"; }

vpn_keys() {
	local x out k
	local -a rid
	"$IPOP" ca init --out "$WORK/ca.key" >/dev/null || fail "ca init"
	for x in "${NAMES[@]}"; do
		out=$("$IPOP" key gen --out "$WORK/$x.key" --json) || fail "key gen"
		ID[$x]=$(jq -r .node_id <<<"$out")
	done
	if [ "${VPN_RING:-0}" = 1 ]; then
		# rename the keys so that the ring order (node IDs, ascending) is RING_ORDER
		k=0
		for x in $(for x in "${NAMES[@]}"; do echo "${ID[$x]} $x"; done | sort | awk '{ print $2 }'); do
			mv "$WORK/$x.key" "$WORK/r$k.key" && mv "$WORK/$x.key.pub" "$WORK/r$k.key.pub" ||
				fail "ring keys"
			rid[k]=${ID[$x]}
			k=$((k + 1))
		done
		for k in "${!RING_ORDER[@]}"; do
			x=${RING_ORDER[$k]}
			mv "$WORK/r$k.key" "$WORK/$x.key" && mv "$WORK/r$k.key.pub" "$WORK/$x.key.pub" ||
				fail "ring keys"
			ID[$x]=${rid[k]}
		done
	fi
	for x in "${NAMES[@]}"; do
		"$IPOP" ca sign --ca "$WORK/ca.key" --pub "$WORK/$x.key.pub" --name "$x" --days 2 \
			--out "$WORK/$x.crt" >/dev/null || fail "ca sign"
	done
}

vpn_net() {
	local x i ul=$VPN_PREFIX-ul
	new_ns "$ul"
	nsx "$ul" ip link add br0 type bridge
	nsx "$ul" ip link set br0 up
	for x in "${NAMES[@]}"; do
		i=$(num "$x")
		new_ns "$(ns "$x")"
		nsx "$(ns "$x")" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
		ip link add ul0 netns "$(ns "$x")" type veth peer name ul$i netns "$ul"
		nsx "$(ns "$x")" ip addr add "$(ul_ip "$x")/24" dev ul0
		nsx "$(ns "$x")" ip link set ul0 up
		nsx "$ul" ip link set ul$i master br0 up
	done
}

vpn_configs() {
	local x y i list smm topo
	for x in "${NAMES[@]}"; do
		i=$(num "$x") list=""
		for y in ${NBRS[$x]}; do
			[ -n "$list" ] && list="$list, "
			list="$list{\"id\": \"${ID[$y]}\", \"address\": \"$(ul_ip "$y"):7400\"}"
		done
		smm="" topo=""
		[ "${VPN_RING:-0}" = 1 ] && topo=', "successors": 1, "fingers": 0'
		[ "$VPN_BCAST" = smm ] &&
			smm='"topology": {"dependencies": ["cmm"]'"$topo"'}, "smm": {"dependencies": ["topology"]},'
		cat >"$WORK/$x.json" <<JSON
{
  "key_file": "$WORK/$x.key", "cert_file": "$WORK/$x.crt", "ca_files": ["$WORK/ca.key.pub"],
  "listen": ["$(ul_ip "$x"):7400"],
  "keepalive_ms": $KEEPALIVE_MS, "dead_ms": $DEAD_MS,
  "neighbours": [ $list ],
  "modules": {
    "cmm": {}, $smm
    "tlfm": {"dependencies": ["cmm"]},
    "spdm": {"dependencies": ["tlfm"]},
    "srum": {"dependencies": ["spdm"]}
  },
  "vpn": {
    "mac": "02:00:00:00:35:0$((i + 1))", "ipv4": "10.236.0.$((i + 1))/24",
    "ipv6": "fd00:236::$((i + 1))/64", "vni": 235, "broadcast": "$VPN_BCAST"
  }
}
JSON
	done
}

declare -A VPN_ARGS
vpn_start() {
	local x
	for x in "${NAMES[@]}"; do
		# nsenter itself (not the nsx function, a subshell): $! is the daemon
		# shellcheck disable=SC2086
		nsenter --net=/run/netns/"$(ns "$x")" "$IPOP" daemon --config "$WORK/$x.json" \
			--ctl-socket "$WORK/$x.sock" ${VPN_ARGS[$x]:-} >"$WORK/$x.log" 2>&1 &
		PIDS+=($!)
	done
}

vpn_wait() {
	local x want up
	for x in "${NAMES[@]}"; do
		want=$(wc -w <<<"${NBRS[$x]}")
		for _ in $(seq 100); do
			up=$(ctl "$x" stats --json 2>/dev/null | jq -r '.icc.link_up - .icc.link_down' 2>/dev/null || echo 0)
			[ "$up" -ge "$want" ] 2>/dev/null && break
			sleep 0.1
		done
		[ "$up" -ge "$want" ] 2>/dev/null || { tail "$WORK/$x.log"; fail "daemon $x: $up of $want links up"; }
		nsx "$(ns "$x")" ip link show ipop0 | grep -q 'LOWER_UP' || fail "$x: ipop0 has no carrier"
	done
}
