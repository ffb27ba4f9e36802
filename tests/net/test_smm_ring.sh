#!/usr/bin/env bash
# Eight daemons on loopback form a Chord ring from a bootstrap list (each
# knows only daemon 1; daemon 1 knows daemon 2), with topology + SMM. A
# broadcast reaches every daemon exactly once (ipop-bpf stats --json per
# daemon); one daemon is killed; once the ring has repaired (bounded wait),
# the next broadcast reaches every live daemon exactly once.
# Env: IPOP (default build/ipop-bpf), SMM_PORT_BASE (default 47930: ports
# 47931..47938). Exit: 0 pass, 1 fail.
set -u
IPOP=${IPOP:-build/ipop-bpf}
BASE=${SMM_PORT_BASE:-47930}
N=8
KILL=5

fail() {
	echo "FAIL: $*"
	for i in $(seq $N); do echo "--- daemon $i log"; tail -n 8 "$T/d$i.log" 2>/dev/null; done
	exit 1
}

command -v jq >/dev/null || fail "jq is needed to read JSON (tests/deps.sh installs it)"
"$IPOP" smm --help >/dev/null 2>&1 || fail "$IPOP has no smm command"

. "$(dirname "$0")"/overlay_lib.sh
overlay_init smm
ID=(none)
for i in $(seq $N); do
	id=$(overlay_node "n$i") || fail "overlay_node n$i"
	ID+=("$id")
done
port() { echo $((BASE + $1)); }

config() { # config I BOOTSTRAP_INDEX
	cat >"$T/n$1.json" <<JSON
{
  "node_id": "${ID[$1]}", $(overlay_ident "n$1"),
  "listen": ["127.0.0.1:$(port "$1")"],
  "keepalive_ms": 100,
  "dead_ms": 800,
  "neighbours": [ {"id": "${ID[$2]}", "address": "127.0.0.1:$(port "$2")"} ],
  "modules": {
    "cmm": {"enabled": true, "dependencies": []},
    "topology": {"enabled": true, "dependencies": [], "gossip_ms": 200, "successors": 3,
                 "connect_timeout_ms": 1500, "dead_hold_ms": 5000},
    "smm": {"enabled": true, "dependencies": ["cmm", "topology"]},
    "echo": {"enabled": true, "dependencies": ["cmm"]}
  }
}
JSON
}

config 1 2
for i in $(seq 2 $N); do config "$i" 1; done
overlay_start $N

# stat I PATH: one counter from `ipop-bpf stats --json` of daemon I
stat() {
	"$IPOP" stats --json --ctl-socket "$T/n$1.sock" 2>/dev/null | jq -r ".$2"
}

# num I PATH: the same into $v, and fail unless it is a number
num() {
	v=$(stat "$1" "$2")
	[[ "$v" =~ ^[0-9]+$ ]] || fail "daemon $1: $2 is '$v'"
}

# ring_ok I...: each listed daemon's first successor is the true one among them, and up
ring_ok() {
	local i want got
	local sorted=($(for i in "$@"; do echo "${ID[$i]}"; done | sort))
	for i in "$@"; do
		# the true successor: the next ID in sorted order, wrapping around
		want=${sorted[0]}
		for k in "${!sorted[@]}"; do
			[ "${sorted[$k]}" = "${ID[$i]}" ] && want=${sorted[$(((k + 1) % ${#sorted[@]}))]}
		done
		got=$("$IPOP" smm topology --json --ctl-socket "$T/n$i.sock" 2>/dev/null |
			jq -r '.successors[0] | "\(.id) \(.up)"')
		[ "$got" = "$want true" ] || return 1
	done
}

wait_ring() { overlay_wait 30 0.2 ring_ok "$@"; }

# expect_all WANT I...: echo.received and smm.delivered are WANT on each daemon, no duplicates
expect_all() {
	local want=$1 i v
	shift
	for i in "$@"; do
		for _ in $(seq 50); do
			v=$(stat "$i" echo.received) && [ "$v" = "$want" ] && break
			sleep 0.1
		done
		[ "$v" = "$want" ] || fail "daemon $i: echo.received is '$v', expected $want"
		[ "$(stat "$i" smm.delivered)" = "$want" ] || fail "daemon $i: smm.delivered"
		[ "$(stat "$i" smm.duplicates)" = 0 ] || fail "daemon $i: smm duplicates"
	done
}

ALL=($(seq $N))
wait_ring "${ALL[@]}" || fail "the ring did not form within 30 s"
echo "ok: $N daemons formed the ring from the bootstrap list"
# membership records are signed and verified: gossip flowed, nothing was refused
for i in "${ALL[@]}"; do
	num "$i" topology.gossip_rx
	[ "$v" -gt 0 ] || fail "daemon $i: no gossip received"
	num "$i" topology.dropped.bad_sig
	[ "$v" = 0 ] || fail "daemon $i: $v membership records failed verification"
done
echo "ok: signed membership gossip verified on every daemon (dropped.bad_sig = 0)"

out=$("$IPOP" smm send --ctl-socket "$T/n3.sock" --module echo --payload first) ||
	fail "smm send: $out"
echo "$out" | grep -q "sent [1-9]" || fail "smm send printed '$out'"
expect_all 1 "${ALL[@]}"
sleep 0.5
expect_all 1 "${ALL[@]}" # and nothing more arrives
sent=0
for i in "${ALL[@]}"; do num "$i" smm.sent; sent=$((sent + v)); done
[ "$sent" = $((N - 1)) ] || fail "the broadcast took $sent messages, expected $((N - 1))"
echo "ok: broadcast reached all $N daemons exactly once in $((N - 1)) messages"

kill "${PIDS[$((KILL - 1))]}"
LIVE=()
for i in "${ALL[@]}"; do [ "$i" = $KILL ] || LIVE+=("$i"); done
wait_ring "${LIVE[@]}" || fail "the ring did not repair within 30 s"
echo "ok: ring repaired without daemon $KILL"

declare -A before
for i in "${LIVE[@]}"; do num "$i" smm.sent; before[$i]=$v; done
"$IPOP" smm send --ctl-socket "$T/n2.sock" --module echo --payload second >/dev/null ||
	fail "second smm send"
expect_all 2 "${LIVE[@]}"
sent=0
for i in "${LIVE[@]}"; do num "$i" smm.sent; sent=$((sent + v - before[$i])); done
[ "$sent" = $((N - 2)) ] || fail "the second broadcast took $sent messages, expected $((N - 2))"
echo "ok: the next broadcast reached all $((N - 1)) live daemons exactly once"
echo "PASS"
