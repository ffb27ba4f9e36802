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
#             a pass-only XDP program: veth accepts redirected frames only so);
#   ipop-xdp-skb  the same program in generic (skb) XDP mode, for devices
#             without native XDP.
#   ipop-tc-ul  TC transit on the underlay: vpn_transit_tc at the TC ingress
#             of T1's and T2's first veth rewrites the frame in place as XDP
#             does and redirects it, without the VXLAN device.
# Traffic: tests/tools/pktgen.c in G sends the same frames into every chain:
# UDP to T1's tunnel address 10.214.9.9 port 4789 (on T1's lo; on D's lo for
# kernel forwarding), whose payload is what an origin's VXLAN device sends
# for a 64-byte inner frame on the path T1, T2, D (tests/tools/vpnframe.c):
# 180 bytes on every link for every configuration. For kernel forwarding and
# the relay the payload is opaque; ipop-bpf forwards it as an overlay frame
# and D delivers the 64-byte inner frame into its ipop0. Delivered = D's
# UDP NoPorts counter (each frame ends at a port nobody listens on).
#
# Packets per CPU-second of the transit nodes. Every receiving veth (T1's,
# T2's, D's) polls in its own kernel thread (threaded NAPI; GRO on and the
# senders' TSO off, so that veth hands every frame to NAPI), so all the work
# a node does for a frame -- receive, forward or relay, hand it to the next
# veth, softirqs raised on the way -- runs in that node's thread, and its
# CPU time (/proc/PID/schedstat, exact) is the node's cost; for the relay,
# its process's too. The generator, the threads and the relays share one
# CPU, and the generator pauses VPN_CHAIN_GAP_US after each turn of the
# round robin: each node then takes a whole batch at a time (as it would
# under load) instead of waking for single frames, and no queue overflows.
# Transit rate = 2 x frames D received / (T1 + T2 CPU time). The older
# method -- everything charged to the generator, whose batches ran the
# whole chain's softirq work, D's decapsulation included -- is kept as the
# "whole chain" column (G's sending + T1 + T2 + D). Configurations are
# measured side by side in each round; ratios are per round, the table
# shows medians of rounds. VPN_CHAIN_PERF=FILE profiles the transit threads
# and relays of the last round (perf, cpu-clock) into FILE.
#
# Then TCP throughput (iperf3 if installed, else nc, 3 s each), with the
# veths' defaults again (TSO on, no GRO, no threads): over one veth (direct
# link), the same with single segments, over the kernel chain, over the
# ipop-tc, ipop-tc-ul and ipop-xdp chains (G runs an origin node; ipop0's
# MTU is the VPN's), each with G sending through its VXLAN device and with
# its direct encapsulation (vpnnode --direct), the XDP chain's device row
# in single segments (GSO cannot segment those frames).
#
# Every namespace and process is removed on exit. Environment: BUILD (build),
# VPN_CHAIN_ROUNDS (5), VPN_CHAIN_COUNT (100000 frames per chain and round),
# VPN_CHAIN_CPU (0), VPN_CHAIN_BATCH (32), VPN_CHAIN_GAP_US (200),
# VPN_CHAIN_TCP_SECS (3), VPN_CHAIN_PERF (unset), VPN_CHAIN_GEN (socket, or
# xdp: the generator redirects its frames from XDP -- pktgen --xdp-live --
# so T1 receives XDP frames as T2 does; its per-batch setup in the kernel
# costs G about 1.4 ms and leaves every node's caches cold, which doubles
# all per-frame costs, so it is a cross-check, not the default).
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
GAP=${VPN_CHAIN_GAP_US:-200}
GEN=${VPN_CHAIN_GEN:-socket} # socket: frames reach T1 as skbs; xdp: as XDP frames # pause after each turn of the generator, µs
TCP_SECS=${VPN_CHAIN_TCP_SECS:-3}
OUT=$BUILD/bench.md
T=$BUILD/tools
CONFIGS=(kernel relay ipop-tc ipop-xdp ipop-xdp-skb ipop-tc-ul)
SHORT=([0]=k [1]=r [2]=t [3]=x [4]=s [5]=u)
G=ivc$$-g
SVC=10.214.9.9
PORT=4789
VNI=100
RCPU=$CPU # the relays' CPU: the same
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

for f in "$T/pktgen" "$T/xdp_gen.bpf.o" "$T/relay" "$T/vpnframe" "$T/vpnnode" "$BUILD/bench_bare.bpf.o"; do
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
	# unique names, so that each receive thread (napi/IF-N) tells its node
	veth "$G" "o$c" "" "$t1" "t1i$c" 10.214.1.2/24
	veth "$t1" "t1o$c" 10.214.2.1/24 "$t2" "t2i$c" 10.214.2.2/24
	veth "$t2" "t2o$c" 10.214.3.1/24 "$d" "di$c" 10.214.3.2/24
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
		if [ "${CONFIGS[c]}" != ipop-tc ]; then
			# bpf_fib_lookup() answers only where the interface forwards IPv4
			nsx "$t1" sysctl -qw "net.ipv4.conf.t1i$c.forwarding=1"
			nsx "$t2" sysctl -qw "net.ipv4.conf.t2i$c.forwarding=1"
		fi
		if [ "${CONFIGS[c]}" = ipop-xdp ]; then
			nsx "$d" ip link set dev "di$c" xdp obj "$BUILD/bench_bare.bpf.o" sec xdp
			x1=(--xdp "t1i$c")
			x2=(--xdp "t2i$c")
		elif [ "${CONFIGS[c]}" = ipop-xdp-skb ]; then
			# generic (skb) XDP: no XDP needed on the target's peer
			x1=(--xdp-skb "t1i$c")
			x2=(--xdp-skb "t2i$c")
		elif [ "${CONFIGS[c]}" = ipop-tc-ul ]; then
			x1=(--tc-transit "t1i$c")
			x2=(--tc-transit "t2i$c")
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
relay_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
# ksoft_ms: CPU time all ksoftirqd threads have used
ksoft_ms()
{
	local s=0 pid
	for pid in $(ps -eo pid=,comm= | awk '$2 ~ "^ksoftirqd/" { print $1 }'); do
		s=$((s + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
	done
	echo $((s * 10))
}

gen()
{
	local ifs="" macs="" c
	for c in "${!CONFIGS[@]}"; do
		ifs+="${ifs:+,}o$c"
		macs+="${macs:+,}$(nsx "$(ns "$c" t1)" ip -br link show "t1i$c" | awk '{ print $3 }')"
	done
	local how=()
	[ "$GEN" != xdp ] || how=(--xdp-live "$T/xdp_gen.bpf.o")
	nsx "$G" "$T/pktgen" "${how[@]}" --ifname "$ifs" --dst-mac "$macs" --src 10.214.1.1 --dst "$SVC" \
		--dport $PORT --payload "$PAYLOAD" --cpu "$CPU" --batch "$BATCH" --gap-us "$GAP" --seconds 60 "$@"
}

median()
{
	tr ' ' '\n' | grep . | sort -g | awk -v f="${1:-%.0f}" '{ v[NR] = $1 } END {
		printf f "\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# threaded CONFIG_INDEX: each receiving veth of the chain (T1's, T2's, D's)
# polls in its own kernel thread (threaded NAPI), so that all the work a
# node does for a frame -- receive, forward or relay, hand it to the next
# veth -- runs in, and is charged to, that node's thread (or, for the relay,
# its process). veth hands a frame to NAPI when the receiving side has XDP or
# GRO and the sender has no TSO (veth_skb_is_eligible_for_gro()), hence GRO
# on every receiving veth and TSO off on every sending one, in every chain.
threaded()
{
	local c=$1 n
	nsx "$G" ethtool -K "o$c" tso off
	nsx "$(ns "$c" t1)" ethtool -K "t1o$c" tso off
	nsx "$(ns "$c" t2)" ethtool -K "t2o$c" tso off
	for n in t1:t1i t2:t2i d:di; do
		# GRO first: a veth has NAPI (and threads to switch on) only then
		nsx "$(ns "$c" "${n%%:*}")" ethtool -K "${n#*:}$c" gro on
		ip netns exec "$(ns "$c" "${n%%:*}")" sh -c "echo 1 >/sys/class/net/${n#*:}$c/threaded"
	done
}
unthreaded()
{
	local c=$1 n
	for n in t1:t1i t2:t2i d:di; do
		ip netns exec "$(ns "$c" "${n%%:*}")" sh -c "echo 0 >/sys/class/net/${n#*:}$c/threaded"
		nsx "$(ns "$c" "${n%%:*}")" ethtool -K "${n#*:}$c" gro off
	done
	# (not where the peer has XDP: veth refuses TSO towards it)
	nsx "$G" ethtool -K "o$c" tso on 2>/dev/null || true
	nsx "$(ns "$c" t1)" ethtool -K "t1o$c" tso on 2>/dev/null || true
	nsx "$(ns "$c" t2)" ethtool -K "t2o$c" tso on 2>/dev/null || true
}
# napi_pids IF: the receive threads of that veth (napi/IF-ID)
napi_pids() { ps -eo pid=,comm= | awk -v p="napi/$1-" 'index($2, p) == 1 { print $1 }'; }
# run_ns PID...: CPU time (ns) they have run, softirqs at their bh-enables included
run_ns()
{
	local s=0 p
	for p in "$@"; do s=$((s + $(awk '{ print $1 }' "/proc/$p/schedstat"))); done
	echo $s
}

declare -A PPS PPSC DELIV SENT TCPU RK RR TH1 TH2 RK2 RR2
KSOFT=0
round()
{
	local c line busy sent d1 r0 r1 q0 q1 k0 pps ppsc t1 t2 dd
	local -a del0 a1 a2 ad
	for c in "${!CONFIGS[@]}"; do
		del0[c]=$(noports "$c")
		# shellcheck disable=SC2086
		a1[c]=$(run_ns ${P1[$c]}) a2[c]=$(run_ns ${P2[$c]}) ad[c]=$(run_ns ${PD[$c]})
	done
	r0=$(relay_ns "$RELAY1") q0=$(relay_ns "$RELAY2")
	k0=$(ksoft_ms)
	line=$(gen --count "$COUNT")
	sleep 0.3 # the threads and relays drain their queues
	r1=$(relay_ns "$RELAY1") q1=$(relay_ns "$RELAY2")
	KSOFT=$((KSOFT + $(ksoft_ms) - k0))
	echo "  relays: $(((r1 - r0 + q1 - q0) / 1000000)) ms; ksoftirqd: $(($(ksoft_ms) - k0)) ms" >&2
	for c in "${!CONFIGS[@]}"; do
		busy=$(sed -n "s/^ifname=o$c .*busy_ns=\([0-9]*\).*/\1/p" <<<"$line")
		sent=$(sed -n "s/^ifname=o$c sent=\([0-9]*\).*/\1/p" <<<"$line")
		[ -n "$busy" ] && [ "$busy" -gt 0 ] || die "generator said: $line"
		# shellcheck disable=SC2086
		t1=$(($(run_ns ${P1[$c]}) - a1[c])) t2=$(($(run_ns ${P2[$c]}) - a2[c]))
		# shellcheck disable=SC2086
		dd=$(($(run_ns ${PD[$c]}) - ad[c]))
		if [ "${CONFIGS[c]}" = relay ]; then
			t1=$((t1 + r1 - r0)) t2=$((t2 + q1 - q0))
		fi
		d1=$(($(noports "$c") - del0[c]))
		[ "$((t1 + t2))" -gt 0 ] || die "${CONFIGS[c]}: no transit CPU time measured"
		pps=$(awk -v n="$d1" -v t="$((t1 + t2))" 'BEGIN { printf "%.0f", 2 * n * 1e9 / t }')
		ppsc=$(awk -v n="$d1" -v t="$((busy + t1 + t2 + dd))" 'BEGIN { printf "%.0f", n * 1e9 / t }')
		PPS[$c]+="$pps "
		PPSC[$c]+="$ppsc "
		TH1[$c]+="$(awk -v n="$d1" -v t="$t1" 'BEGIN { printf "%.0f", n ? t / n : 0 }') "
		TH2[$c]+="$(awk -v n="$d1" -v t="$t2" 'BEGIN { printf "%.0f", n ? t / n : 0 }') "
		DELIV[$c]=$((${DELIV[$c]:-0} + d1))
		SENT[$c]=$((${SENT[$c]:-0} + sent))
		TCPU[$c]=$((${TCPU[$c]:-0} + t1 + t2))
		printf '  %-9s sent %7d delivered %7d transit cpu T1 %5d ms T2 %5d ms (G %5d D %5d) %8s pps/transit-CPU-s %8s pps/chain-CPU-s\n' \
			"${CONFIGS[c]}" "$sent" "$d1" $((t1 / 1000000)) $((t2 / 1000000)) \
			$((busy / 1000000)) $((dd / 1000000)) "$pps" "$ppsc" >&2
	done
	for c in "${!CONFIGS[@]}"; do
		RK[$c]+="$(awk -v a="$(awk '{ print $NF }' <<<"${PPS[$c]}")" \
			-v b="$(awk '{ print $NF }' <<<"${PPS[0]}")" 'BEGIN { printf "%.3f", b ? a / b : 0 }') "
		RR[$c]+="$(awk -v a="$(awk '{ print $NF }' <<<"${PPS[$c]}")" \
			-v b="$(awk '{ print $NF }' <<<"${PPS[1]}")" 'BEGIN { printf "%.3f", b ? a / b : 0 }') "
		# T2 alone: the node fed by the node before it (XDP: as xdp frames)
		RK2[$c]+="$(awk -v a="$(awk '{ print $NF }' <<<"${TH2[$c]}")" \
			-v b="$(awk '{ print $NF }' <<<"${TH2[0]}")" 'BEGIN { printf "%.3f", a ? b / a : 0 }') "
		RR2[$c]+="$(awk -v a="$(awk '{ print $NF }' <<<"${TH2[$c]}")" \
			-v b="$(awk '{ print $NF }' <<<"${TH2[1]}")" 'BEGIN { printf "%.3f", a ? b / a : 0 }') "
	done
}

# origin [ARGS...]: G as an origin node (ipop0 10.232.0.1) whose one link
# goes to T1; ARGS go to vpnnode (--direct IF: direct encapsulation on IF)
origin()
{
	nsenter --net="/run/netns/$G" "$T/vpnnode" --id "$O_ID" --tap ipop0 --tap-mac "$O_MAC" \
		--addr4 10.232.0.1/24 --vxlan vx0 --underlay-ip4 10.214.1.1 \
		--link "1,vxlan,$T1_ID,10.214.1.2,$VNI" --path "$D_ID,1,$T1_ID:2,$T2_ID:2,$D_ID" \
		--mac "$D_MAC,$D_ID" --stats "$WORK/g.stats" --ready "$WORK/g.ready" --time 60 "$@" \
		>"$WORK/g.log" 2>&1 &
	GNODE=$!
	wait_ready g
	nsx "$G" ip neigh replace 10.232.0.4 lladdr "$D_MAC" dev ipop0 nud permanent
}

# the origin's counters, from one reading of its stats file
ul_counts()
{
	sleep 0.2
	awk '{ v[$1] = $2 } END { printf "origin_tx %d (of which direct, origin_ul: %d)", v["origin_tx"], v["origin_ul"] }' "$WORK/g.stats"
}
stop_origin()
{
	kill "$GNODE"
	timeout 5 tail --pid="$GNODE" -f /dev/null || true
	rm -f "$WORK/g.ready"
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
	local t0=$SECONDS c r x1 x2 n p
	mkns "$G"
	PAYLOAD=$("$T/vpnframe" $VNI "$O_ID" "$D_ID" "$T1_ID:2,$T2_ID:2,$D_ID" "$D_MAC" 10.232.0.1 \
		10.232.0.4 64)
	declare -gA P1 P2 PD
	for c in "${!CONFIGS[@]}"; do
		setup_chain "$c"
		threaded "$c"
	done
	sleep 0.2
	for c in "${!CONFIGS[@]}"; do
		P1[$c]=$(napi_pids "t1i$c" | tr '\n' ' ')
		P2[$c]=$(napi_pids "t2i$c" | tr '\n' ' ')
		PD[$c]=$(napi_pids "di$c" | tr '\n' ' ')
		[ -n "${P1[$c]// /}" ] && [ -n "${P2[$c]// /}" ] && [ -n "${PD[$c]// /}" ] ||
			die "${CONFIGS[c]}: no threaded NAPI on the chain's veths"
		# everything on the generator's CPU: each node's thread runs when the
		# one before it yields, a whole batch at a time
		for p in ${P1[$c]} ${P2[$c]} ${PD[$c]}; do taskset -pc "$CPU" "$p" >/dev/null; done
	done
	echo "VPN chain: ${#CONFIGS[@]} chains side by side, $ROUNDS rounds of $COUNT frames each ..." >&2
	gen --count 5000 >/dev/null # warm-up: neighbours, VXLAN sockets, XDP rings
	sleep 0.3
	for ((r = 0; r < ROUNDS; r++)); do
		echo "round $((r + 1))/$ROUNDS" >&2
		if [ -n "${VPN_CHAIN_PERF:-}" ] && [ "$r" -eq $((ROUNDS - 1)) ]; then
			# the last round under perf (cpu-clock: no hardware counters here),
			# sampling the transit nodes' threads and the relays
			local tids
			tids=$(echo "${P1[*]} ${P2[*]} $RELAY1 $RELAY2" | tr -s ' ' ',' | sed 's/^,//; s/,$//')
			perf record -q -e cpu-clock -g -t "$tids" -o "$WORK/perf.data" >/dev/null 2>&1 &
			local perf_pid=$!
			sleep 1
			round
			kill -INT "$perf_pid"
			wait "$perf_pid" || true
			perf report -i "$WORK/perf.data" --no-children --sort comm,sym --stdio 2>/dev/null |
				grep -v '^$' >"$VPN_CHAIN_PERF" || true
			echo "perf profile of the last round: $VPN_CHAIN_PERF" >&2
		else
			round
		fi
	done
	x1=$(stat_of "$(ns 3 t1)" xdp_tx) x2=$(stat_of "$(ns 3 t2)" xdp_tx)
	for c in 2 3 4 5; do
		for n in t1 t2 d; do
			echo "  ${CONFIGS[c]} $n: $(tr '\n' ' ' <"$WORK/$(ns $c $n).stats" | sed 's/[a-z_0-9]* 0 //g')" >&2
		done
	done
	kill "$RELAY1" "$RELAY2"
	timeout 5 tail --pid="$RELAY1" -f /dev/null || true
	timeout 5 tail --pid="$RELAY2" -f /dev/null || true
	RB=$(cat "$WORK/relay-t1" "$WORK/relay-t2" | awk -F'[= ]' '{ r += $2; b += $8 } END { printf "%.1f", b ? r / b : 0 }')
	{
		echo
		echo "## VPN datapath: 3-hop chain, packets per CPU-second of the transit nodes"
		echo
		echo "$(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs. G -> T1 -> T2 -> D over veths, one chain per configuration, side by side; the generator (CPU $CPU) sends ${COUNT} frames per chain and round (180 bytes on every link: VXLAN + source-route header + a 64-byte inner frame), round robin in batches of $BATCH, $ROUNDS rounds. Every receiving veth polls in its own thread (threaded NAPI), so the CPU time of T1's and T2's threads is exactly what the two transit nodes spent (plus, for the relay, its two processes). Transit rate = 2 x frames D received / (T1 + T2 CPU time): the frames one CPU forwards per second at one node. Whole chain = frames / (G's sending + T1 + T2 + D): the older method, which also charges the endpoints. Medians of rounds; ratios per round. The relay read $RB datagrams per recvmmsg on average."
		echo
		echo "| configuration | delivered / sent | T1 ns/frame | T2 ns/frame | transit frames per CPU-second (T1, T2) | vs kernel forwarding | vs userspace relay | T2 vs kernel | T2 vs relay | whole chain, frames per CPU-second |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		for c in "${!CONFIGS[@]}"; do
			awk -v n="${CONFIGS[c]}" -v d="${DELIV[$c]}" -v s="${SENT[$c]}" \
				-v t1="$(median <<<"${TH1[$c]}")" -v t2="$(median <<<"${TH2[$c]}")" \
				-v p="$(median <<<"${PPS[$c]}")" -v k="$(median %.3f <<<"${RK[$c]}")" \
				-v r="$(median %.3f <<<"${RR[$c]}")" -v w="$(median <<<"${PPSC[$c]}")" \
				-v k2="$(median %.3f <<<"${RK2[$c]}")" -v r2="$(median %.3f <<<"${RR2[$c]}")" \
				'BEGIN { printf "| %s | %d / %d | %d | %d | %d | %.2f | %.2f | %.2f | %.2f | %d |\n", n, d, s, t1, t2, p, k, r, k2, r2, w }'
		done
		echo
		echo "Frames forwarded by XDP in the ipop-xdp chain: $x1 at T1, $x2 at T2 (TC transit there: $(stat_of "$(ns 3 t1)" transit_tx), $(stat_of "$(ns 3 t2)" transit_tx)); in the ipop-xdp-skb chain: $(stat_of "$(ns 4 t1)" xdp_tx), $(stat_of "$(ns 4 t2)" xdp_tx). ksoftirqd ran $KSOFT ms during the rounds (charged to no chain)."
	} >"$WORK/table"
	# TCP with the veths' defaults again: TSO on, no GRO, softirq receive
	for c in "${!CONFIGS[@]}"; do unthreaded "$c"; done
	# TCP: G becomes an origin for one chain at a time
	{
		echo
		echo "TCP throughput, Mbit/s (wall clock, shared machine):"
		echo
		echo "| path | Mbit/s | how |"
		echo "|---|---:|---|"
		nsx "$G" ip addr add 10.214.1.1/24 dev o0
		tcp "direct link (one veth, G -> T1)" "$G" "$(ns 0 t1)" 10.214.1.2
		nsx "$G" ip link set dev o0 gso_max_segs 1
		tcp "direct link, single segments (o0 gso_max_segs 1)" "$G" "$(ns 0 t1)" 10.214.1.2
		nsx "$G" ip link set dev o0 gso_max_segs 65535
		nsx "$G" ip route add "$SVC/32" via 10.214.1.2 dev o0
		tcp "kernel forwarding, 3 hops (G -> D)" "$G" "$(ns 0 d)" "$SVC"
		nsx "$G" ip route del "$SVC/32"
		nsx "$G" ip addr del 10.214.1.1/24 dev o0
		nsx "$G" ip addr add 10.214.1.1/24 dev o2
		origin
		tcp "ipop-bpf TC transit, 3 overlay hops, origin through the VXLAN device (ipop0 G -> D, MTU $(nsx "$G" ip -o link show ipop0 | grep -o 'mtu [0-9]*' | cut -d' ' -f2))" \
			"$G" "$(ns 2 d)" 10.232.0.4
		nsx "$G" ip link set dev ipop0 gso_max_segs 1
		tcp "ipop-bpf TC transit, the same, ipop0 single segments" "$G" "$(ns 2 d)" 10.232.0.4
		stop_origin
		origin --direct o2
		tcp "ipop-bpf TC transit (VXLAN device), origin's direct encapsulation" "$G" "$(ns 2 d)" 10.232.0.4
		UL_TC=$(ul_counts)
		stop_origin
		nsx "$G" ip addr del 10.214.1.1/24 dev o2
		nsx "$G" ip addr add 10.214.1.1/24 dev o5
		origin
		tcp "ipop-bpf TC transit on the underlay, origin through the VXLAN device" "$G" "$(ns 5 d)" 10.232.0.4
		stop_origin
		origin --direct o5
		tcp "ipop-bpf TC transit on the underlay, origin's direct encapsulation" "$G" "$(ns 5 d)" 10.232.0.4
		UL_TCUL="$(ul_counts), transit_ul at T1 $(stat_of "$(ns 5 t1)" transit_ul)"
		stop_origin
		nsx "$G" ip addr del 10.214.1.1/24 dev o5
		nsx "$G" ip addr add 10.214.1.1/24 dev o2
		nsx "$G" ip addr del 10.214.1.1/24 dev o2
		nsx "$G" ip addr add 10.214.1.1/24 dev o3
		# XDP carries bytes: checksums must be complete on the wire (a veth
		# passes open ones, and XDP at T1 would forward them as they are)
		nsx "$G" ethtool -K o3 tx off >/dev/null
		origin
		nsx "$G" ip link set dev ipop0 gso_max_segs 1
		tcp "ipop-bpf XDP transit, origin through the VXLAN device, ipop0 single segments (GSO cannot segment it)" \
			"$G" "$(ns 3 d)" 10.232.0.4
		stop_origin
		origin --direct o3
		tcp "ipop-bpf XDP transit, origin's direct encapsulation (GSO segments at G)" \
			"$G" "$(ns 3 d)" 10.232.0.4
		UL_XDP=$(ul_counts)
		stop_origin
		echo
		echo "Origin frames (GSO super-frames count once): TC chain $UL_TC; TC-on-the-underlay chain $UL_TCUL; XDP chain $UL_XDP. XDP forwarded $(stat_of "$(ns 3 t1)" xdp_tx) frames at T1 in all."
		echo
		echo "Runtime $((SECONDS - t0)) s. Reproduce: \`make bench\` or \`sudo tests/bench/vpn_chain.sh\` (after \`make all\` and the tools)."
	} >>"$WORK/table"
	mkdir -p "$BUILD"
	cat "$WORK/table" | tee -a "$OUT"
}

main "$@"
