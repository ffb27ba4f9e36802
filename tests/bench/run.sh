#!/usr/bin/env bash
# ipop-bpf benchmark (`make bench`, root). Not a test: it prints tables.
#
#  1. Per-packet BPF cost through BPF_PROG_TEST_RUN (tests/tools/bench_prog.c):
#     bare programs, the flow programs on the hit and miss paths, shared vs
#     per-CPU flow map.
#  2. Real traffic, all configurations side by side. One receiver namespace
#     per configuration, each joined to the generator namespace by its own
#     veth pair, with the same addresses. tests/tools/pktgen.c sends 64-byte
#     UDP frames over 16 flows, pinned to one CPU, in batches of 64 that go
#     round robin to every veth; the CPU time of each batch (transmit plus
#     the receive softirq that runs at its end, on the same CPU and charged
#     to the sending thread) is charged to its configuration. So every
#     configuration sees the same host at the same moment, and time the
#     generator spends preempted by other tasks counts for nobody: on this
#     shared 2-CPU VM, wall-clock rates of back-to-back runs drifted by 2x,
#     which made configurations measured one after the other incomparable.
#     Each round deals the configurations to the namespaces in a new random
#     order (seeded by the round number, so a run can be repeated): no veth
#     is always the fast one, no configuration always follows the same
#     neighbour in the generator's cycle (what ran just before a batch
#     decides what is still in the caches; with a fixed cyclic order, two
#     loads of the same program differed by more than a point), and the
#     programs load in another order. Each round also includes a second
#     program-less namespace
#     ("none (control)") that shows the noise floor. The rate of a
#     configuration is what its namespace's IP layer received (IpInReceives)
#     divided by the CPU time charged to it: packets per CPU-second, i.e.
#     the rate one otherwise idle CPU sustains. Frames dropped on the way
#     (veth, backlog) never count as delivered. Receive work deferred to
#     ksoftirqd is charged to no one; the script reports how much there was.
#     The destination is the receiver's own address, UDP port 9 with no
#     listener: each frame goes PREROUTING -> LOCAL_IN (conntrack confirms
#     its entries, as for real traffic) -> UDP, which drops it (UdpNoPorts);
#     the ICMP port-unreachable replies are rate-limited by the kernel to a
#     few per second. (A non-local destination, dropped by routing after
#     PREROUTING, was tried and rejected: conntrack never confirms such
#     entries and allocates and frees one per frame.)
#
# Writes the tables to $BUILD/bench.md too. Every address lives in the
# namespaces this script creates; everything is removed on exit.
#
# Environment: BUILD (default build), BENCH_ROUNDS (7), BENCH_SECONDS (4, per
# round for all configurations together), BENCH_CPU (0), BENCH_PROG_ROUNDS (5),
# BENCH_BATCH (64), BENCH_CLOCK (cpu|wall), BENCH_CONFIGS and BENCH_EXTRA_TC
# (see CONFIGS), BENCH_PARTS ("prog traffic ipfix": which tables to make).
set -euo pipefail

BUILD=${BUILD:-build}
ROUNDS=${BENCH_ROUNDS:-7}
SECS=${BENCH_SECONDS:-4}
CPU=${BENCH_CPU:-0}
PROG_ROUNDS=${BENCH_PROG_ROUNDS:-5}
COUNT=100000000 # per interface and round: the time bound ends each run
FLOWS=16
BATCH=${BENCH_BATCH:-64} # frames per sendmmsg, i.e. per turn of a configuration
CLOCK=${BENCH_CLOCK:-cpu} # what pktgen charges a batch: thread CPU time or wall time
WARM=20000 # frames per interface before each measured run (flows created)
PARTS=" ${BENCH_PARTS:-prog traffic ipfix} "

IPOP=$BUILD/ipop-bpf
PKTGEN=$BUILD/tools/pktgen
BENCH_PROG=$BUILD/tools/bench_prog
TCX=$BUILD/tools/tcx_attach
BARE=$BUILD/bench_bare.bpf.o
OUT=$BUILD/bench.md

NSG=ipopb-$$-gen
PIN=/sys/fs/bpf/ipop-bench-$$ # + -<slot>
NFT_T=ipopbench
SRC=10.213.0.1
DST=10.213.0.2 # each receiver's own address; nothing listens on DPORT
DPORT=9

# bare-*: a program that only returns "pass", attached by ip/tc at the same
# hook: what the hook itself costs, before any accounting.
# softflowd: the libpcap flow exporter people run without eBPF, exporting
# IPFIX to an nfcapd on the receiver's loopback; the CPU time of both
# processes (they run on any CPU) is added to what the generator charges it.
# ipop-tc: the loader's default on a veth, TC ingress through tcx (kernel 6.6+:
# no clsact qdisc, no classifier walk); ipop-tc-clsact: the same through
# clsact/cls_bpf (--tc-mode clsact, the fallback on older kernels); bare-tcx:
# the bare program through tcx (tests/tools/tcx_attach); ipop-tc-percpu: the
# flow program with a per-CPU LRU map (tcx).
CONFIGS=(none "none (control)" ipop-tc ipop-tc-clsact ipop-xdp-native ipop-xdp-skb nft-set
	conntrack softflowd bare-tc bare-xdp-native bare-xdp-skb bare-tcx ipop-tc-percpu)
# BENCH_CONFIGS="ipop-tc nft-set ...": only these (none and the control always run)
if [ -n "${BENCH_CONFIGS:-}" ]; then
	CONFIGS=(none "none (control)")
	for e in $BENCH_CONFIGS; do
		CONFIGS+=("$e")
	done
fi
# BENCH_EXTRA_TC="LABEL:OBJ ...": also measure the first "tc" program of each
# object at TC ingress (attached by tc, e.g. variants of the flow program);
# BENCH_EXTRA_TCX="LABEL:OBJ ...": the program ipop_tc_in of each object
# attached through tcx, as the loader does.
declare -A EXTRA
for e in ${BENCH_EXTRA_TC:-}; do
	EXTRA[${e%%:*}]=${e#*:}
	CONFIGS+=("tc:${e%%:*}")
done
for e in ${BENCH_EXTRA_TCX:-}; do
	EXTRA[${e%%:*}]=${e#*:}
	CONFIGS+=("tcx:${e%%:*}")
done
NSLOT=${#CONFIGS[@]}

die()
{
	echo "bench: $*" >&2
	exit 1
}

nsr()
{
	echo "ipopb-$$-r$1"
}

# inr SLOT CMD...: run in a receiver namespace
inr()
{
	local s=$1
	shift
	ip netns exec "$(nsr "$s")" "$@"
}

# ipop SLOT ARGS...: ipop-bpf in the receiver's network namespace, keeping
# our mount namespace so its pins land on the host bpffs (`ip netns exec`
# would remount /sys).
ipop()
{
	local s=$1
	shift
	nsenter --net="/run/netns/$(nsr "$s")" "$IPOP" "$@"
}

cleanup()
{
	set +e
	for ((s = 0; s < NSLOT; s++)); do
		if [ -e "/run/netns/$(nsr $s)" ]; then
			ipop "$s" unload br0 --pin-path "$PIN-$s" >/dev/null 2>&1
			softflowd_down "$s"
			ip netns del "$(nsr $s)"
		fi
		[ -e "$PIN-$s" ] && rm -rf "$PIN-$s"
	done
	[ -e "/run/netns/$NSG" ] && ip netns del "$NSG"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
set -E
trap '[ -n "${FAILED:-}" ] || echo "bench: failed (line $LINENO): $BASH_COMMAND" >&2; FAILED=1' ERR

preflight()
{
	[ "$(id -u)" -eq 0 ] || die "run as root"
	for f in "$IPOP" "$PKTGEN" "$BENCH_PROG" "$BARE" "$BUILD/ipop_flow.bpf.o" "$BUILD/tools/bench_ipfix" \
		"$BUILD/ipop_flow_percpu.bpf.o" "$TCX"; do
		[ -f "$f" ] || die "missing $f (run 'make bench')"
	done
	for c in nft conntrack nsenter ip softflowd softflowctl nfcapd; do
		command -v "$c" >/dev/null || die "missing $c"
	done
	# left mounted on exit (as systemd would have it): others may pin there too
	if ! mount | grep -q ' /sys/fs/bpf type bpf'; then
		mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs on /sys/fs/bpf"
	fi
	[ "$(nproc)" -gt "$CPU" ] || die "no CPU $CPU"
	# With IRQ time accounting the receive softirq is not charged to the
	# generator thread: its CPU time would miss the work being measured.
	if { zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null; } |
		grep -q '^CONFIG_IRQ_TIME_ACCOUNTING=y'; then
		CLOCK=wall
		echo "bench: kernel has CONFIG_IRQ_TIME_ACCOUNTING: charging wall time (noisier)" >&2
	fi
}

setup_net()
{
	local s
	ip netns add "$NSG"
	# no IPv6: router solicitations and MLD reports would be stray flows
	ip netns exec "$NSG" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	IFLIST=
	MACLIST=
	for ((s = 0; s < NSLOT; s++)); do
		ip netns add "$(nsr $s)"
		inr "$s" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip link add name "bg$s" netns "$NSG" type veth peer name br0 netns "$(nsr $s)"
		ip -n "$NSG" link set "bg$s" up
		ip -n "$(nsr $s)" link set lo up
		ip -n "$(nsr $s)" link set br0 up
		ip -n "$(nsr $s)" addr add "$DST/24" dev br0
		IFLIST+="${IFLIST:+,}bg$s"
		MACLIST+="${MACLIST:+,}$(ip -n "$(nsr $s)" -br link show br0 | awk '{print $3}')"
	done
}

nft_set_rules()
{
	cat <<EOF
table ip $NFT_T {
	set flows {
		type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service
		size 65536
		flags dynamic
		counter
	}
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		update @flows { ip saddr . ip daddr . meta l4proto . th sport . th dport }
	}
}
EOF
}

ct_rules()
{
	cat <<EOF
table ip $NFT_T {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		ct state new,established counter
	}
}
EOF
}

declare -A SFD_DIR SFD_PIDS

# softflowd_up SLOT: nfcapd on the receiver's loopback, softflowd on br0 exporting IPFIX to it
softflowd_up()
{
	local d ns
	d=$(mktemp -d /tmp/ipop-bench-sfd.XXXXXX)
	ns=/run/netns/$(nsr "$1")
	SFD_DIR[$1]=$d
	nsenter --net="$ns" nfcapd -b 127.0.0.1 -p 9995 -w "$d" -t 3600 >"$d/nfcapd.log" 2>&1 &
	SFD_PIDS[$1]="$!"
	nsenter --net="$ns" softflowd -d -N -i br0 -n 127.0.0.1:9995 -v 10 -c "$d/ctl" \
		-p "$d/pid" >"$d/softflowd.log" 2>&1 &
	SFD_PIDS[$1]+=" $!"
	for _ in $(seq 50); do
		[ -S "$d/ctl" ] && return 0
		sleep 0.1
	done
	die "softflowd did not start: $(cat "$d/softflowd.log")"
}

softflowd_down()
{
	local p
	for p in ${SFD_PIDS[$1]:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "${SFD_DIR[$1]:-/nonexistent}"
	SFD_PIDS[$1]=
}

# cfg_cpu_ns CONFIG SLOT: CPU time (ns) the configuration's own processes have used
cfg_cpu_ns()
{
	local p t=0
	[ "$1" = softflowd ] || { echo 0; return; }
	for p in ${SFD_PIDS[$2]}; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo $((t * 1000000000 / $(getconf CLK_TCK)))
}

# cfg_up CONFIG SLOT / cfg_down CONFIG SLOT
cfg_up()
{
	local p="$PIN-$2"
	case $1 in
	softflowd) softflowd_up "$2" ;;
	ipop-tc) ipop "$2" load br0 --ingress-hook tc --pin-path "$p" ;;
	ipop-tc-clsact) ipop "$2" load br0 --ingress-hook tc --tc-mode clsact --pin-path "$p" ;;
	ipop-xdp-native) ipop "$2" load br0 --ingress-hook xdp --mode native --pin-path "$p" ;;
	ipop-xdp-skb) ipop "$2" load br0 --ingress-hook xdp --mode skb --pin-path "$p" ;;
	nft-set) nft_set_rules | inr "$2" nft -f - ;;
	conntrack)
		inr "$2" sysctl -qw net.netfilter.nf_conntrack_acct=1
		ct_rules | inr "$2" nft -f -
		;;
	bare-tc | tc:*)
		local obj=$BARE
		[ "$1" = bare-tc ] || obj=${EXTRA[${1#tc:}]}
		inr "$2" tc qdisc add dev br0 clsact
		inr "$2" tc filter add dev br0 ingress bpf da obj "$obj" sec tc
		;;
	ipop-tc-percpu) inr "$2" "$TCX" "$BUILD/ipop_flow_percpu.bpf.o" ipop_tc_in br0 ;;
	tcx:*) inr "$2" "$TCX" "${EXTRA[${1#tcx:}]}" ipop_tc_in br0 ;;
	bare-tcx) inr "$2" "$TCX" "$BARE" bench_tc_ok br0 ;;
	bare-xdp-native) inr "$2" ip link set dev br0 xdpdrv obj "$BARE" sec xdp ;;
	bare-xdp-skb) inr "$2" ip link set dev br0 xdpgeneric obj "$BARE" sec xdp ;;
	*) ;;
	esac
}

cfg_down()
{
	case $1 in
	softflowd) softflowd_down "$2" ;;
	ipop-tc | ipop-tc-clsact | ipop-xdp-*)
		ipop "$2" unload br0 --pin-path "$PIN-$2"
		[ ! -e "$PIN-$2" ] || die "$1: unload left $PIN-$2 behind"
		;;
	nft-set) inr "$2" nft delete table ip "$NFT_T" ;;
	conntrack)
		inr "$2" nft delete table ip "$NFT_T"
		inr "$2" conntrack -F >/dev/null 2>&1 || true
		inr "$2" sysctl -qw net.netfilter.nf_conntrack_acct=0
		;;
	bare-tc | tc:*) inr "$2" tc qdisc del dev br0 clsact ;;
	ipop-tc-percpu | tcx:* | bare-tcx) inr "$2" "$TCX" --detach br0 ;;
	bare-xdp-native) inr "$2" ip link set dev br0 xdpdrv off ;;
	bare-xdp-skb) inr "$2" ip link set dev br0 xdpgeneric off ;;
	*) ;;
	esac
}

# cfg_counted CONFIG SLOT: packets the configuration counted for our flows
cfg_counted()
{
	case $1 in
	ipop-tc | ipop-tc-clsact | ipop-xdp-*)
		ipop "$2" flows --json --pin-path "$PIN-$2" | grep -o '{[^{}]*}' |
			grep '"direction":"ingress"' | grep "\"dport\":$DPORT," |
			grep -o '"packets":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'
		;;
	nft-set)
		inr "$2" nft list set ip "$NFT_T" flows | grep -o 'packets [0-9]*' |
			awk '{ s += $2 } END { print s + 0 }'
		;;
	softflowd)
		# its live flows "[SRC]:port <> [DST]:DPORT ... packets>:N" (> is the
		# first address to the second; softflowd puts the lower address first)
		softflowctl -c "${SFD_DIR[$2]}/ctl" dump-flows 2>/dev/null | grep "\]:$DPORT " |
			grep -o 'packets>:[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'
		;;
	conntrack)
		# with accounting each entry shows packets= twice: original, then reply
		inr "$2" conntrack -L -p udp --dport "$DPORT" 2>/dev/null |
			grep -o 'packets=[0-9]*' | awk -F= 'NR % 2 == 1 { s += $2 } END { print s + 0 }'
		;;
	*) echo - ;;
	esac
}

# snmp_get SLOT PROTO FIELD: one counter of the receiver's /proc/net/snmp
snmp_get()
{
	inr "$1" awk -v p="$2:" -v f="$3" '$1 == p && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == p && h { print $c[f]; exit }' /proc/net/snmp
}

# drops SLOT: frames lost on that veth pair (either end)
drops()
{
	local a b
	a=$(ip netns exec "$NSG" cat "/sys/class/net/bg$1/statistics/tx_dropped")
	b=$(inr "$1" cat /sys/class/net/br0/statistics/rx_dropped)
	echo $((a + b))
}

softnet_drops()
{
	local s=0 d
	while read -r _ d _; do
		s=$((s + 16#$d))
	done </proc/net/softnet_stat
	echo "$s"
}

# CPU time (ticks of 1/100 s) ksoftirqd of the generator's CPU has used
ksoft_ticks()
{
	local pid
	pid=$(ps -eo pid=,comm= | awk -v n="ksoftirqd/$CPU" '$2 == n { print $1 }')
	awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

gen()
{
	ip netns exec "$NSG" "$PKTGEN" --ifname "$IFLIST" --dst-mac "$MACLIST" --src "$SRC" \
		--dst "$DST" --dport "$DPORT" --flows "$FLOWS" --cpu "$CPU" --batch "$BATCH" \
		--clock "$CLOCK" "$@"
}

declare -A PPS RATIO DROPS XCHECK
XBAD=0
KSOFT=0   # ksoftirqd ticks during the measured runs
BUSYTOT=0 # ns charged to configurations
SENDERR=0 # sendmmsg calls that failed (ENOBUFS...)

# round R: configuration c sits in slot slot[c], a permutation drawn from
# the seed R + 1 (Fisher-Yates); they are set up in slot order.
round()
{
	local r=$1 c s i j t cfg line busy sent pps base k1 counted rx
	local -a slot r0 r1 r2 d1 d2 u1 u2 order
	RANDOM=$((r + 1))
	for ((c = 0; c < NSLOT; c++)); do
		order[c]=$c
	done
	for ((i = NSLOT - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		t=${order[i]}
		order[i]=${order[j]}
		order[j]=$t
	done
	for ((s = 0; s < NSLOT; s++)); do
		c=${order[s]}
		slot[c]=$s
		cfg_up "${CONFIGS[c]}" "$s"
		r0[c]=$(snmp_get "$s" Ip InReceives)
	done
	gen --count "$WARM" --seconds 2 >/dev/null
	sleep 0.05
	for ((c = 0; c < NSLOT; c++)); do
		r1[c]=$(snmp_get "${slot[c]}" Ip InReceives)
		d1[c]=$(drops "${slot[c]}")
	done
	for ((c = 0; c < NSLOT; c++)); do
		u1[c]=$(cfg_cpu_ns "${CONFIGS[c]}" "${slot[c]}")
	done
	k1=$(ksoft_ticks)
	line=$(gen --count "$COUNT" --seconds "$SECS")
	sleep 0.05 # let the receivers drain their backlogs
	KSOFT=$((KSOFT + $(ksoft_ticks) - k1))
	for ((c = 0; c < NSLOT; c++)); do
		u2[c]=$(cfg_cpu_ns "${CONFIGS[c]}" "${slot[c]}")
	done
	for ((c = 0; c < NSLOT; c++)); do
		s=${slot[c]}
		cfg=${CONFIGS[c]}
		r2[c]=$(snmp_get "$s" Ip InReceives)
		d2[c]=$(drops "$s")
		busy=$(sed -n "s/^ifname=bg$s .*busy_ns=\([0-9]*\).*/\1/p" <<<"$line")
		SENDERR=$((SENDERR + $(sed -n "s/^ifname=bg$s .*errors=\([0-9]*\).*/\1/p" <<<"$line")))
		sent=$(sed -n "s/^ifname=bg$s sent=\([0-9]*\).*/\1/p" <<<"$line")
		[ -n "$busy" ] && [ "$busy" -gt 0 ] || die "generator said: $line"
		busy=$((busy + u2[c] - u1[c])) # softflowd's and its collector's own CPU time
		BUSYTOT=$((BUSYTOT + busy))
		pps=$(awk -v n=$((r2[c] - r1[c])) -v t="$busy" 'BEGIN { printf "%.0f", n * 1e9 / t }')
		PPS[$cfg]+="$pps "
		DROPS[$cfg]+="$((d2[c] - d1[c])) "
		[ "$cfg" != none ] || base=$pps
		counted=$(cfg_counted "$cfg" "$s" || true)
		rx=$((r2[c] - r0[c]))
		if [ "$counted" != - ]; then
			XCHECK[$cfg]="$cfg: sent $((sent + WARM)) frames in the last round (warm-up included), its namespace's IP layer received $rx, $cfg counted $counted"
			# softflowd's count trails by what libpcap still holds (see the table's notes)
			if [ "$cfg" = softflowd ]; then
				[ "$counted" -le "$rx" ] || XBAD=$((XBAD + 1))
			else
				[ "$counted" = "$rx" ] || XBAD=$((XBAD + 1))
			fi
		fi
		printf '  %-16s slot %d  sent %8d  received %8d  dropped %4d  %8s pps\n' "$cfg" \
			"$s" "$sent" $((r2[c] - r1[c])) $((d2[c] - d1[c])) "$pps" >&2
	done
	for ((c = 0; c < NSLOT; c++)); do
		cfg=${CONFIGS[c]}
		RATIO[$cfg]+="$(awk -v p="$(awk '{ print $NF }' <<<"${PPS[$cfg]}")" -v b="$base" \
			'BEGIN { printf "%.4f", p / b }') "
		cfg_down "$cfg" "${slot[c]}"
	done
}

# median [printf format] of the numbers on stdin
median()
{
	tr ' ' '\n' | grep . | sort -g | awk -v f="${1:-%.0f}" '{ v[NR] = $1 } END {
		printf f "\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

minmax()
{
	tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo ".." hi }'
}

traffic_table()
{
	local cfg
	echo "| config | packets per $([ "$CLOCK" = cpu ] && echo CPU-second || echo second) (median of $ROUNDS) | min..max | vs no program (median of per-round ratios) | ratio min..max | cost | dropped on the veth (total) |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for cfg in "${CONFIGS[@]}"; do
		awk -v c="$cfg" -v m="$(median <<<"${PPS[$cfg]}")" -v mm="$(minmax <<<"${PPS[$cfg]}")" \
			-v r="$(median %.4f <<<"${RATIO[$cfg]}")" -v rr="$(minmax <<<"${RATIO[$cfg]}")" \
			-v d="$(tr ' ' '\n' <<<"${DROPS[$cfg]}" | awk '{ s += $1 } END { print s + 0 }')" \
			'BEGIN { printf "| %s | %d | %s | %.3f | %s | %.1f%% | %d |\n", c, m, mm, r, rr,
				100 * (1 - r), d }'
	done
}

# part NAME: whether BENCH_PARTS asks for that table
part()
{
	[[ "$PARTS" == *" $1 "* ]]
}

prog_part()
{
	{
		echo "## Per-packet cost (BPF_PROG_TEST_RUN, CPU $CPU)"
		echo
	} >>"$OUT"
	echo "bench_prog ..." >&2
	"$BENCH_PROG" --obj "$BUILD/ipop_flow.bpf.o" --obj-percpu "$BUILD/ipop_flow_percpu.bpf.o" \
		--rounds "$PROG_ROUNDS" --cpu "$CPU" --md "$OUT" >/dev/null
}

traffic_part()
{
	local tt r sn0 icmp0=0 icmp1=0 s best cfg
	echo "real traffic: $NSLOT configurations side by side, $ROUNDS rounds of ${SECS}s ..." >&2
	setup_net
	sn0=$(softnet_drops)
	for ((s = 0; s < NSLOT; s++)); do
		icmp0=$((icmp0 + $(snmp_get "$s" Icmp OutDestUnreachs)))
	done
	for ((r = 0; r < ROUNDS; r++)); do
		echo "round $((r + 1))/$ROUNDS" >&2
		round "$r"
	done
	for ((s = 0; s < NSLOT; s++)); do
		icmp1=$((icmp1 + $(snmp_get "$s" Icmp OutDestUnreachs)))
	done
	tt=$(traffic_table)
	best=$(for cfg in ipop-tc ipop-tc-clsact ipop-xdp-native ipop-xdp-skb; do
		[ -z "${RATIO[$cfg]:-}" ] || echo "$(median %.4f <<<"${RATIO[$cfg]}") $cfg"
	done | sort -gr | head -1)
	{
		echo
		echo "## Real traffic: 64-byte UDP frames, $FLOWS flows, veth into a namespace, all configurations side by side on CPU $CPU"
		echo
		echo "Each configuration has its own receiver namespace and veth; one generator thread sends batches of $BATCH frames to each in turn and charges the $([ "$CLOCK" = cpu ] && echo "CPU time (transmit plus the receive softirq it runs)" || echo "wall time") of each batch to it. Rate = frames that namespace's IP layer received / time charged. Every round deals the configurations to the namespaces in a new random order (also their order in the generator's cycle); ratios are taken within a round. \"none (control)\" is a second namespace without any program (noise floor); softflowd (libpcap, IPFIX to an nfcapd on the receiver's loopback) is also charged the CPU time its own process and that nfcapd used, on whatever CPU; bare-* attach a program that only returns \"pass\" (the cost of the hook alone). Destination: the receiver's own address, UDP port without listener."
		echo
		echo "$tt"
		echo
		[ -z "$best" ] || echo "Cheapest ipop-bpf ingress hook on this veth: ${best#* } (${best%% *} of the no-program rate)."
		echo
		echo "Cross-check: packets each configuration counted for the generator's flows against what its namespace's IP layer received (since load, warm-up included): $([ "$XBAD" = 0 ] && echo "equal in every round (softflowd: not more)" || echo "$XBAD MISMATCHES")."
		echo
		for cfg in "${CONFIGS[@]}"; do
			[ -z "${XCHECK[$cfg]:-}" ] || echo "- ${XCHECK[$cfg]}"
		done
		[ -z "${XCHECK[softflowd]:-}" ] || echo "- softflowd reads through libpcap (TPACKET_V3, no timeout): frames reach it a ring block at a time, and those of the last, unfilled block wait for more traffic, so its count trails what was received."
		echo
		echo "Backlog (softnet) drops during the runs: $(($(softnet_drops) - sn0)). ICMP port-unreachable replies sent (rate-limited): $((icmp1 - icmp0)). ksoftirqd/$CPU ran $((KSOFT * 10)) ms during the measured runs (charged to no configuration), against $((BUSYTOT / 1000000)) ms charged in all. Failed sendmmsg calls: $SENDERR."
		echo
	} >>"$OUT"
}

ipfix_part()
{
	{
		echo "## IPFIX exporter (tests/tools/bench_ipfix.c)"
		echo
		echo "100,000 flows end per second (one statistics pass a second hands them over at once) for 5 s; the exporter encodes them with libfixbuf and sends them to a socket on loopback. CPU: the process's CPU time minus the feeding and draining threads' own, over the wall time."
		echo
		echo "| run | records/s sent | exporter CPU | per record | |"
		echo "|---|---:|---:|---:|---|"
	} >>"$OUT"
	echo "bench_ipfix ..." >&2
	"$BUILD/tools/bench_ipfix" --rate 100000 --seconds 5 --md "$OUT" >/dev/null
	"$BUILD/tools/bench_ipfix" --rate 100000 --seconds 5 --tcp --md "$OUT" >/dev/null
	echo >>"$OUT"
}

main()
{
	local t0=$SECONDS
	preflight
	mkdir -p "$BUILD"
	{
		echo "# ipop-bpf benchmark"
		echo
		echo "$(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
		echo
	} >"$OUT"
	if part prog; then prog_part; fi
	if part traffic; then traffic_part; fi
	if part ipfix; then ipfix_part; fi
	echo "Runtime $((SECONDS - t0)) s. Reproduce: \`make bench\` (root)." >>"$OUT"
	cat "$OUT"
}

main "$@"
