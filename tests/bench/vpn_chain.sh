#!/usr/bin/env bash
# VPN datapath benchmark on a 3-hop chain (`make bench`, root). Not a test: it
# prints a table.
#
# One chain per configuration, all alike: a generator namespace G (the
# origin), then T1 -> T2 -> D, each link a veth pair with the same addresses
# in every chain (10.214.1.0/24 G-T1, .2.0/24 T1-T2, .3.0/24 T2-D). What
# changes is what the transit nodes T1 and T2 run:
#   kernel    plain IP forwarding, static routes, no program;
#   relay     tests/tools/relay.c on T1 and T2: IPOP's own architecture, a
#             process that reads the overlay's datagrams from one link (a UDP
#             socket) and writes them to the next, batched (recvmmsg/sendmmsg);
#   ipop-tc   the VPN datapath (tests/tools/vpnnode, VXLAN links over the
#             veths): vpn_link_in on each node's VXLAN device does transit;
#   ipop-xdp  the same with vpn_transit_xdp on T1's and T2's first veth,
#             rewriting and redirecting frames to the next veth (D's veth gets
#             a pass-only XDP program: veth accepts redirected frames only so).
# Traffic: tests/tools/pktgen.c in G sends the same frames into every chain:
# UDP to T1's tunnel address 10.214.9.9 port 4789 (on T1's lo; on D's lo for
# kernel forwarding), whose payload is what an origin's VXLAN device sends
# for a 64-byte inner frame on the path T1, T2, D (tests/tools/vpnframe.c):
# 180 bytes on every link for every configuration. For kernel forwarding and
# the relay the payload is opaque; ipop-bpf forwards it as an overlay frame
# and D delivers the 64-byte inner frame into its ipop0. Delivered = D's
# UDP NoPorts counter (each frame ends at a port nobody listens on).
#
# Packets per CPU-second, the method of tests/bench/run.sh: the generator,
# pinned to one CPU, sends batches round robin to each chain and charges the
# CPU time of each batch (transmit plus the receive softirq it runs, through
# the whole chain, on the same CPU) to that chain; the relay processes'
# own CPU time (/proc/PID/schedstat: including the softirq work their sends
# run) is added to the relay's. Receive work deferred to ksoftirqd is
# charged to no one (reported). Configurations are measured side by side in
# each round; ratios are per round, the table shows medians of rounds.
# Then TCP throughput (iperf3 if installed, else nc, 3 s each): over one
# veth (direct link), over the kernel chain, over the ipop-tc and ipop-xdp
# chains (G runs
# an origin node; ipop0's MTU is the VPN's).
#
# Every namespace and process is removed on exit. Environment: BUILD (build),
# VPN_CHAIN_ROUNDS (5), VPN_CHAIN_COUNT (100000 frames per chain and round),
# VPN_CHAIN_CPU (0), VPN_CHAIN_BATCH (32), VPN_CHAIN_TCP_SECS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
# the namespace tests' lock, held for the whole run (fixed names and ports)
if [ -z "${IPOP_NET_LOCKED:-}" ]; then
	exec env IPOP_NET_LOCKED=1 flock /tmp/ipop-net.lock bash "$0" "$@"
fi
BUILD=${BUILD:-build}
ROUNDS=${VPN_CHAIN_ROUNDS:-5}
COUNT=${VPN_CHAIN_COUNT:-100000}
CPU=${VPN_CHAIN_CPU:-0}
BATCH=${VPN_CHAIN_BATCH:-32}
TCP_SECS=${VPN_CHAIN_TCP_SECS:-3}
OUT=$BUILD/bench.md
T=$BUILD/tools
CONFIGS=(kernel relay ipop-tc ipop-xdp)
SHORT=([0]=k [1]=r [2]=t [3]=x)
G=ivc$$-g
SVC=10.214.9.9
PORT=4789
VNI=100
RCPU=$(((CPU + 1) % $(nproc))) # the relays' CPU
WORK=$(mktemp -d /tmp/ipop-vpnchain.XXXXXX)

die()
{
	echo "vpn_chain: $*" >&2
	exit 1
}
ns() { echo "ivc$$-${SHORT[$1]}-$2"; } # ns CONFIG_INDEX t1|t2|d
nsx()
{
	local n=$1
	shift
	nsenter --net="/run/netns/$n" "$@"
}
idof() { printf "a$1%.0s" {1..16}; } # 16 bytes 0xa<i>: G=0, T1=1, T2=2, D=4
O_ID=$(idof 0) T1_ID=$(idof 1) T2_ID=$(idof 2) D_ID=$(idof 4)
O_MAC=02:00:00:00:b0:10 D_MAC=02:00:00:00:b0:04

cleanup()
{
	set +e
	local pids p n
	pids=$(for n in /run/netns/ivc$$-*; do [ -e "$n" ] && ip netns pids "${n##*/}"; done)
	[ -z "$pids" ] || kill $pids 2>/dev/null
	for p in $pids; do timeout 3 tail --pid="$p" -f /dev/null; done
	for n in /run/netns/ivc$$-*; do [ -e "$n" ] && ip netns del "${n##*/}"; done
	rm -rf "$WORK"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$T/pktgen" "$T/relay" "$T/vpnframe" "$T/vpnnode" "$BUILD/bench_bare.bpf.o"; do
	[ -e "$f" ] || die "missing $f (make all build/tools/...)"
done
[ "$(id -u)" -eq 0 ] || die "run as root"

mkns()
{
	ip netns add "$1"
	nsx "$1" ip link set lo up
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}
# veth A_NS A_IF A_ADDR B_NS B_IF B_ADDR
veth()
{
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	[ -z "$3" ] || nsx "$1" ip addr add "$3" dev "$2"
	nsx "$4" ip addr add "$6" dev "$5"
	nsx "$1" ip link set "$2" up
	nsx "$4" ip link set "$5" up
}
# node CONFIG_INDEX t1|t2|d ID UL_IP4 ARGS...: a vpnnode in the background
node()
{
	local n
	n=$(ns "$1" "$2")
	nsx "$n" "$T/vpnnode" --id "$3" --tap ipop0 --vxlan vx0 --underlay-ip4 "$4" \
		--stats "$WORK/$n.stats" --ready "$WORK/$n.ready" --time 300 "${@:5}" \
		>"$WORK/$n.log" 2>&1 &
}
wait_ready()
{
	for _ in $(seq 50); do [ -e "$WORK/$1.ready" ] && return 0; sleep 0.1; done
	cat "$WORK/$1.log" >&2
	die "$1 did not start"
}
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$WORK/$1.stats"; }

setup_chain()
{
	local c=$1 t1 t2 d
	t1=$(ns "$c" t1) t2=$(ns "$c" t2) d=$(ns "$c" d)
	mkns "$t1"
	mkns "$t2"
	mkns "$d"
	veth "$G" "o$c" "" "$t1" l1 10.214.1.2/24
	veth "$t1" l2 10.214.2.1/24 "$t2" l1 10.214.2.2/24
	veth "$t2" l2 10.214.3.1/24 "$d" l1 10.214.3.2/24
	nsx "$t2" ip route add 10.214.1.0/24 via 10.214.2.1
	nsx "$d" ip route add default via 10.214.3.1
	nsx "$t1" ip route add 10.214.3.0/24 via 10.214.2.2
	case ${CONFIGS[c]} in
	kernel)
		nsx "$d" ip addr add "$SVC/32" dev lo
		nsx "$t1" ip route add "$SVC/32" via 10.214.2.2
		nsx "$t2" ip route add "$SVC/32" via 10.214.3.2
		nsx "$t1" sysctl -qw net.ipv4.ip_forward=1
		nsx "$t2" sysctl -qw net.ipv4.ip_forward=1
		;;
	relay)
		nsx "$t1" ip addr add "$SVC/32" dev lo
		# not through nsx (a function: & would fork a shell): $! is the relay
		nsenter --net="/run/netns/$t1" "$T/relay" --listen $PORT --to 10.214.2.2:$PORT --cpu "$RCPU" \
			--time 300 >"$WORK/relay-t1" 2>&1 &
		RELAY1=$!
		nsenter --net="/run/netns/$t2" "$T/relay" --listen $PORT --to 10.214.3.2:$PORT --cpu "$RCPU" \
			--time 300 >"$WORK/relay-t2" 2>&1 &
		RELAY2=$!
		;;
	ipop-*)
		local x1=() x2=()
		nsx "$t1" ip addr add "$SVC/32" dev lo
		if [ "${CONFIGS[c]}" = ipop-xdp ]; then
			# bpf_fib_lookup() answers only where the interface forwards IPv4
			nsx "$t1" sysctl -qw net.ipv4.conf.l1.forwarding=1
			nsx "$t2" sysctl -qw net.ipv4.conf.l1.forwarding=1
			nsx "$d" ip link set dev l1 xdp obj "$BUILD/bench_bare.bpf.o" sec xdp
			x1=(--xdp l1)
			x2=(--xdp l1)
		fi
		# labels: 1 = the link back, 2 = the link on
		node "$c" t1 "$T1_ID" 10.214.2.1 --link "1,vxlan,$O_ID,10.214.1.1,$VNI" \
			--link "2,vxlan,$T2_ID,10.214.2.2,$VNI" "${x1[@]}"
		node "$c" t2 "$T2_ID" 10.214.3.1 --link "1,vxlan,$T1_ID,10.214.2.1,$VNI" \
			--link "2,vxlan,$D_ID,10.214.3.2,$VNI" "${x2[@]}"
		node "$c" d "$D_ID" 10.214.3.2 --tap-mac "$D_MAC" --addr4 10.232.0.4/24 \
			--link "1,vxlan,$T2_ID,10.214.3.1,$VNI" --path "$O_ID,1,$T2_ID:1,$T1_ID:1,$O_ID" \
			--mac "$O_MAC,$O_ID"
		wait_ready "$t1"
		wait_ready "$t2"
		wait_ready "$d"
		nsx "$d" ip neigh replace 10.232.0.1 lladdr "$O_MAC" dev ipop0 nud permanent
		;;
	esac
	# resolve every neighbour before measuring
	nsx "$t1" ping -c1 -W1 10.214.2.2 >/dev/null || die "${CONFIGS[c]}: T1 -> T2"
	nsx "$t2" ping -c1 -W1 10.214.3.2 >/dev/null || die "${CONFIGS[c]}: T2 -> D"
	nsx "$t2" ping -c1 -W1 10.214.2.1 >/dev/null || true
}

noports() { nsx "$(ns "$1" d)" awk '$1 == "Udp:" && h { print $3; exit } $1 == "Udp:" { h = 1 }' /proc/net/snmp; }
relay_ns() { echo $(($(awk '{ print $1 }' "/proc/$RELAY1/schedstat") + $(awk '{ print $1 }' "/proc/$RELAY2/schedstat"))); }
# ksoft_ms [CPU]: CPU time ksoftirqd (of that CPU, or all) has used
ksoft_ms()
{
	local s=0 pid
	for pid in $(ps -eo pid=,comm= | awk -v c="${1:-}" '$2 ~ "^ksoftirqd/" c { print $1 }'); do
		s=$((s + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
	done
	echo $((s * 10))
}

gen()
{
	local ifs="" macs="" c
	for c in "${!CONFIGS[@]}"; do
		ifs+="${ifs:+,}o$c"
		macs+="${macs:+,}$(nsx "$(ns "$c" t1)" ip -br link show l1 | awk '{ print $3 }')"
	done
	nsx "$G" "$T/pktgen" --ifname "$ifs" --dst-mac "$macs" --src 10.214.1.1 --dst "$SVC" \
		--dport $PORT --payload "$PAYLOAD" --cpu "$CPU" --batch "$BATCH" --seconds 60 "$@"
}

median()
{
	tr ' ' '\n' | grep . | sort -g | awk -v f="${1:-%.0f}" '{ v[NR] = $1 } END {
		printf f "\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A PPS DELIV SENT BUSY RK RR
KSOFT=0
round()
{
	local c line busy sent d0 d1 r0=0 r1=0 k0 kr0 pps
	local -a del0
	for c in "${!CONFIGS[@]}"; do del0[c]=$(noports "$c"); done
	r0=$(relay_ns)
	k0=$(ksoft_ms)
	kr0=$(ksoft_ms "$RCPU")
	line=$(gen --count "$COUNT")
	sleep 0.3 # the relays drain their sockets
	r1=$(relay_ns)
	KSOFT=$((KSOFT + $(ksoft_ms) - k0))
	echo "  relays: $(((r1 - r0) / 1000000)) ms; ksoftirqd: $(($(ksoft_ms) - k0)) ms, on CPU $RCPU $(($(ksoft_ms "$RCPU") - kr0)) ms" >&2
	for c in "${!CONFIGS[@]}"; do
		busy=$(sed -n "s/^ifname=o$c .*busy_ns=\([0-9]*\).*/\1/p" <<<"$line")
		sent=$(sed -n "s/^ifname=o$c sent=\([0-9]*\).*/\1/p" <<<"$line")
		[ -n "$busy" ] && [ "$busy" -gt 0 ] || die "generator said: $line"
		[ "${CONFIGS[c]}" != relay ] || busy=$((busy + r1 - r0))
		d1=$(($(noports "$c") - del0[c]))
		pps=$(awk -v n="$d1" -v t="$busy" 'BEGIN { printf "%.0f", n * 1e9 / t }')
		PPS[$c]+="$pps "
		DELIV[$c]=$((${DELIV[$c]:-0} + d1))
		SENT[$c]=$((${SENT[$c]:-0} + sent))
		BUSY[$c]=$((${BUSY[$c]:-0} + busy))
		printf '  %-9s sent %7d delivered %7d cpu %6d ms %9s pps/CPU-s\n' "${CONFIGS[c]}" \
			"$sent" "$d1" $((busy / 1000000)) "$pps" >&2
	done
	for c in "${!CONFIGS[@]}"; do
		RK[$c]+="$(awk -v a="$(awk '{ print $NF }' <<<"${PPS[$c]}")" \
			-v b="$(awk '{ print $NF }' <<<"${PPS[0]}")" 'BEGIN { printf "%.3f", b ? a / b : 0 }') "
		RR[$c]+="$(awk -v a="$(awk '{ print $NF }' <<<"${PPS[$c]}")" \
			-v b="$(awk '{ print $NF }' <<<"${PPS[1]}")" 'BEGIN { printf "%.3f", b ? a / b : 0 }') "
	done
}

# origin: G as an origin node (ipop0 10.232.0.1) whose one link goes to T1
origin()
{
	nsenter --net="/run/netns/$G" "$T/vpnnode" --id "$O_ID" --tap ipop0 --tap-mac "$O_MAC" \
		--addr4 10.232.0.1/24 --vxlan vx0 --underlay-ip4 10.214.1.1 \
		--link "1,vxlan,$T1_ID,10.214.1.2,$VNI" --path "$D_ID,1,$T1_ID:2,$T2_ID:2,$D_ID" \
		--mac "$D_MAC,$D_ID" --stats "$WORK/g.stats" --ready "$WORK/g.ready" --time 60 \
		>"$WORK/g.log" 2>&1 &
	GNODE=$!
	wait_ready g
	nsx "$G" ip neigh replace 10.232.0.4 lladdr "$D_MAC" dev ipop0 nud permanent
}

# tcp LABEL CLIENT_NS SERVER_NS SERVER_ADDR: Mbit/s over TCP_SECS seconds
tcp()
{
	local mbit rtx
	if command -v iperf3 >/dev/null; then
		nsx "$3" timeout $((TCP_SECS + 10)) iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
		sleep 0.5
		nsx "$2" timeout $((TCP_SECS + 8)) iperf3 -c "$4" -p 5201 -t "$TCP_SECS" -J \
			>"$WORK/iperf.json" 2>/dev/null || true
		mbit=$(awk -F'[:,]' '/"sum_received"/ { r = 1 } r && /"bits_per_second"/ { printf "%.0f", $2 / 1e6; exit }' "$WORK/iperf.json")
		rtx=$(awk -F'[:,]' '/"sum_sent"/ { r = 1 } r && /"retransmits"/ { printf "%d", $2; exit }' "$WORK/iperf.json")
		wait $! 2>/dev/null || true
		echo "| $1 | ${mbit:-failed} | iperf3, ${TCP_SECS} s, ${rtx:-?} retransmitted segments |"
	else
		nsx "$3" timeout $((TCP_SECS + 5)) nc -l -p 5201 >/dev/null 2>&1 &
		sleep 0.5
		local t0 t1 bytes
		t0=$(date +%s%N)
		bytes=$(nsx "$2" timeout "$TCP_SECS" bash -c "cat /dev/zero | nc -q 0 $4 5201" 2>/dev/null |
			wc -c; true)
		t1=$(date +%s%N)
		wait $! 2>/dev/null || true
		echo "| $1 | - | nc has no byte count: install iperf3 |"
		: "$bytes" "$t0" "$t1"
	fi
}

main()
{
	local t0=$SECONDS c r x1 x2 n
	mkns "$G"
	PAYLOAD=$("$T/vpnframe" $VNI "$O_ID" "$D_ID" "$T1_ID:2,$T2_ID:2,$D_ID" "$D_MAC" 10.232.0.1 \
		10.232.0.4 64)
	for c in "${!CONFIGS[@]}"; do setup_chain "$c"; done
	echo "VPN chain: ${#CONFIGS[@]} chains side by side, $ROUNDS rounds of $COUNT frames each ..." >&2
	gen --count 5000 >/dev/null # warm-up: neighbours, VXLAN sockets, XDP rings
	sleep 0.3
	for ((r = 0; r < ROUNDS; r++)); do
		echo "round $((r + 1))/$ROUNDS" >&2
		round
	done
	x1=$(stat_of "$(ns 3 t1)" xdp_tx) x2=$(stat_of "$(ns 3 t2)" xdp_tx)
	for c in 2 3; do
		for n in t1 t2 d; do
			echo "  ${CONFIGS[c]} $n: $(tr '\n' ' ' <"$WORK/$(ns $c $n).stats" | sed 's/[a-z_0-9]* 0 //g')" >&2
		done
	done
	{
		echo
		echo "## VPN datapath: 3-hop chain, packets per CPU-second"
		echo
		echo "$(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs. G -> T1 -> T2 -> D over veths; the generator (CPU $CPU) sends ${COUNT} frames per chain and round (180 bytes on every link: VXLAN + source-route header + a 64-byte inner frame), $ROUNDS rounds, chains side by side; rate = frames D received / CPU time charged to the chain (generator batches, which run the chain's softirq work, plus for the relay its two processes on CPU $RCPU). Medians of rounds; ratios per round."
		echo
		echo "| configuration | packets delivered / sent | CPU-seconds | packets per CPU-second | vs kernel forwarding | vs userspace relay |"
		echo "|---|---:|---:|---:|---:|---:|"
		for c in "${!CONFIGS[@]}"; do
			awk -v n="${CONFIGS[c]}" -v d="${DELIV[$c]}" -v s="${SENT[$c]}" -v b="${BUSY[$c]}" \
				-v p="$(median <<<"${PPS[$c]}")" -v k="$(median %.3f <<<"${RK[$c]}")" \
				-v r="$(median %.3f <<<"${RR[$c]}")" \
				'BEGIN { printf "| %s | %d / %d | %.3f | %d | %.2f | %.2f |\n", n, d, s, b / 1e9, p, k, r }'
		done
		echo
		echo "The destination's work differs: for kernel forwarding and the relay, D's IP layer receives a UDP datagram; for ipop-bpf, D's VXLAN device decapsulates it, vpn_link_in strips the source-route header and redirects the inner frame into ipop0, whose IP layer receives it (two IP receives), so the ipop-bpf rows carry more than transit."
		echo
		echo "Frames forwarded by XDP in the ipop-xdp chain: $x1 at T1, $x2 at T2 (TC transit there: $(stat_of "$(ns 3 t1)" transit_tx), $(stat_of "$(ns 3 t2)" transit_tx)). ksoftirqd ran $KSOFT ms during the rounds (charged to no chain)."
	} >"$WORK/table"
	# TCP: G becomes an origin for one chain at a time
	{
		echo
		echo "TCP throughput, Mbit/s (wall clock, shared machine):"
		echo
		echo "| path | Mbit/s | how |"
		echo "|---|---:|---|"
		nsx "$G" ip addr add 10.214.1.1/24 dev o0
		tcp "direct link (one veth, G -> T1)" "$G" "$(ns 0 t1)" 10.214.1.2
		nsx "$G" ip route add "$SVC/32" via 10.214.1.2 dev o0
		tcp "kernel forwarding, 3 hops (G -> D)" "$G" "$(ns 0 d)" "$SVC"
		nsx "$G" ip route del "$SVC/32"
		nsx "$G" ip addr del 10.214.1.1/24 dev o0
		nsx "$G" ip addr add 10.214.1.1/24 dev o2
		origin
		tcp "ipop-bpf TC transit, 3 overlay hops (ipop0 G -> D, MTU $(nsx "$G" ip -o link show ipop0 | grep -o 'mtu [0-9]*' | cut -d' ' -f2))" \
			"$G" "$(ns 2 d)" 10.232.0.4
		nsx "$G" ip link set dev ipop0 gso_max_segs 1
		tcp "ipop-bpf TC transit, 3 overlay hops (ipop0 single segments)" "$G" "$(ns 2 d)" 10.232.0.4
		kill "$GNODE"
		timeout 5 tail --pid="$GNODE" -f /dev/null || true
		rm -f "$WORK/g.ready"
		nsx "$G" ip addr del 10.214.1.1/24 dev o2
		nsx "$G" ip addr add 10.214.1.1/24 dev o3
		# XDP carries bytes: checksums complete on the wire, hence no
		# segmentation offload on o3, hence single-segment frames from ipop0
		# (GSO cannot segment past the source-route EtherType; issue 12)
		nsx "$G" ethtool -K o3 tx off >/dev/null
		origin
		nsx "$G" ip link set dev ipop0 gso_max_segs 1
		tcp "ipop-bpf XDP transit, 3 overlay hops (ipop0 single segments)" "$G" "$(ns 3 d)" 10.232.0.4
		echo
		echo "Runtime $((SECONDS - t0)) s. Reproduce: \`make bench\` or \`sudo tests/bench/vpn_chain.sh\` (after \`make all\` and the tools)."
	} >>"$WORK/table"
	mkdir -p "$BUILD"
	cat "$WORK/table" | tee -a "$OUT"
}

main "$@"
