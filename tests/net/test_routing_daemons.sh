#!/usr/bin/env bash
# Eight daemons on loopback with cmm, tlfm, spdm, srum and echo, linked by
# static neighbour lists as a 2 x 4 ladder without the rung 2-6 (not a ring):
#
#     1 - 2 - 3 - 4          S = 1, T = 4: every path S -> T has 3+ hops
#     |       |   |          (usually 1 2 3 4 is found; a loaded machine may
#     5 - 6 - 7 - 8          relay a longer record first), 2-connected
#
# S discovers T (spdm discover); its preferred path (3+ hops) is S x1 x2 .. T.
# An SRUM message to T's echo is delivered once, forwarded once by each
# intermediate node and by no other. M = x(k+1) is killed (SIGKILL), PRE = xk
# the first intermediate node with no neighbour but x(k-1) and M (1 2 3 4:
# PRE 2, M 3; 1 5 6 7 ...: PRE 5, M 6), so that the only way round the dead
# M goes back through the path so far. Once PRE sees the link to M down, S
# sends again: PRE sends a route error that reaches S (S drops every path
# over PRE-M) and salvages the message on a new route from itself (DSR),
# back through x(k-1) (which forwards it), by a cached path or after
# discovering one, and T counts the delivery. S rediscovers T; a third
# message is delivered and S's preferred path avoids M (or a further route
# error came back for a stale one). Counters are checked at the end: one
# delivery per message, no TTL drops, no malformed or misrouted ones.
# Env: IPOP (default build/ipop-bpf), ROUTING_PORT_BASE (default 47990: ports
# 47991..47998). Exit: 0 pass, 1 fail.
set -u
IPOP=${IPOP:-build/ipop-bpf}
BASE=${ROUTING_PORT_BASE:-47990}
N=8
S=1
T_=4
KEEPALIVE_MS=200
DEAD_MS=1500

fail() {
	echo "FAIL: $*"
	for i in $(seq $N); do echo "--- daemon $i log"; tail -n 8 "$T/d$i.log" 2>/dev/null; done
	exit 1
}

say() { echo "ok (${SECONDS} s): $*"; }

command -v jq >/dev/null || fail "jq is needed to read JSON (tests/deps.sh installs it)"
command -v python3 >/dev/null || fail "python3 is needed to query the control socket (tests/deps.sh installs it)"
"$IPOP" srum --help >/dev/null 2>&1 || fail "$IPOP has no srum command"

. "$(dirname "$0")"/overlay_lib.sh
overlay_init routing
ID=(none)
for i in $(seq $N); do
	id=$(overlay_node "n$i") || fail "overlay_node n$i"
	ID+=("$id")
done
port() { echo $((BASE + $1)); }
say "keys and certificates for $N nodes"

# the ladder's edges, both directions
EDGES="1-2 2-3 3-4 5-6 6-7 7-8 1-5 3-7 4-8"
nbrs() { # nbrs I: I's neighbour indices
	local e a b
	for e in $EDGES; do
		a=${e%-*} b=${e#*-}
		[ "$a" = "$1" ] && echo "$b"
		[ "$b" = "$1" ] && echo "$a"
	done
}

config() { # config I
	local list="" j
	for j in $(nbrs "$1"); do
		[ -n "$list" ] && list="$list, "
		list="$list{\"id\": \"${ID[$j]}\", \"address\": \"127.0.0.1:$(port "$j")\"}"
	done
	cat >"$T/n$1.json" <<JSON
{
  "node_id": "${ID[$1]}", $(overlay_ident "n$1"),
  "listen": ["127.0.0.1:$(port "$1")"],
  "keepalive_ms": $KEEPALIVE_MS,
  "dead_ms": $DEAD_MS,
  "neighbours": [ $list ],
  "modules": {
    "cmm": {"enabled": true, "dependencies": []},
    "echo": {"enabled": true, "dependencies": ["cmm"]},
    "tlfm": {"enabled": true, "dependencies": ["cmm"]},
    "spdm": {"enabled": true, "dependencies": ["tlfm"]},
    "srum": {"enabled": true, "dependencies": ["spdm", "echo"]}
  }
}
JSON
}

for i in $(seq $N); do config "$i"; done
overlay_start $N
say "daemons started"

ctl() { # ctl I ARGS...: an ipop-bpf command against daemon I
	local i=$1
	shift
	"$IPOP" "$@" --ctl-socket "$T/n$i.sock" 2>&1
}

# stat I PATH: one counter from `ipop-bpf stats --json` of daemon I
stat() {
	"$IPOP" stats --json --ctl-socket "$T/n$1.sock" 2>/dev/null | jq -r ".$2"
}

# num I PATH: the same into $v, and fail unless it is a number
num() {
	v=$(stat "$1" "$2")
	[[ "$v" =~ ^[0-9]+$ ]] || fail "daemon $1: $2 is '$v'"
}

# nbr_json I: the daemon's neighbour table (control op "neighbours"; no CLI command shows it)
nbr_json() {
	python3 - "$T/n$1.sock" <<'PY' 2>/dev/null
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b'{"op": "neighbours"}\n')
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print(buf.decode())
PY
}

# links_up I: as many links up as I has neighbours (icc.link_up - icc.link_down
# from stats: python3 starts too slowly here to poll the neighbour table)
links_up() {
	local up
	up=$("$IPOP" stats --json --ctl-socket "$T/n$1.sock" 2>/dev/null |
		jq '.icc.link_up - .icc.link_down' 2>/dev/null)
	[ "$up" = "$(nbrs "$1" | wc -l)" ]
}

# link_state I J: "true"/"false", whether I sees the link to J up
link_state() {
	nbr_json "$1" | jq -r --arg id "${ID[$2]}" '.neighbours[] | select(.id == $id) | .up'
}

# preferred I J: daemon I's preferred cached path to J, as "hops id id ..."
preferred() {
	"$IPOP" srum paths --json --ctl-socket "$T/n$1.sock" 2>/dev/null |
		jq -r --arg id "${ID[$2]}" \
			'.paths[] | select(.dst == $id and .preferred) | "\(.hops) \(.path | join(" "))"'
}

# paths_over I A B: how many of daemon I's cached paths (I first) use the link A-B
paths_over() {
	"$IPOP" srum paths --json --ctl-socket "$T/n$1.sock" 2>/dev/null |
		jq --arg s "${ID[$1]}" --arg a "${ID[$2]}" --arg b "${ID[$3]}" \
			'[.paths[] | ([$s] + .path) as $p | select([range(1; $p | length) |
			  [$p[. - 1], $p[.]] | select(. == [$a, $b] or . == [$b, $a])] | length > 0)] | length'
}

# wait_num I PATH WANT SECONDS: poll until the counter is >= WANT
wait_num() {
	local end=$((SECONDS + $4))
	while :; do
		v=$(stat "$1" "$2")
		[[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$3" ] && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

sum() { # sum PATH I...: the counter summed over the listed daemons, into $v
	local p=$1 s=0 i
	shift
	for i in "$@"; do num "$i" "$p"; s=$((s + v)); done
	v=$s
}

names() { # names ID...: the test's node numbers for IDs
	local x i out=""
	for x in "$@"; do
		for i in $(seq $N); do [ "${ID[$i]}" = "$x" ] && out="$out $i"; done
	done
	echo "${out# }"
}

ALL=($(seq $N))
# 1. every link up (bounded)
all_links_up() { # every daemon's links up; LAGGING: the first that is not
	for LAGGING in "${ALL[@]}"; do links_up "$LAGGING" || return 1; done
}
overlay_wait 20 0.2 all_links_up || fail "daemon $LAGGING: not every link up within 20 s"
say "$N daemons up, all ${EDGES// /, } links up"

# 2. discovery: S finds a path of 3+ hops to T
out=$(ctl $S spdm discover "${ID[$T_]}") || fail "spdm discover: $out"
wait_num $S spdm.discovered 1 15 || fail "S did not discover T within 15 s"
# the first reply may be a longer path; wait a little for a 3-hop one to become preferred
end=$((SECONDS + 4))
until p=$(preferred $S $T_) && [ "${p%% *}" = 3 ]; do
	[ $SECONDS -ge $end ] && break
	sleep 0.1
done
[ -n "$p" ] || fail "S has no preferred path to T after the discovery"
read -r hops rest <<<"$p"
route=$(names $rest)
R=($route)
[ "$hops" -ge 3 ] && [ ${#R[@]} = "$hops" ] && [ "${R[-1]}" = $T_ ] ||
	fail "the preferred path S -> T is '$route' ($hops hops)"
# PRE: the first intermediate node whose only neighbours are the node before
# it and the next one, M (not T): with M dead, every way on from PRE goes
# back through BACK, the node before it (the salvage must restart the route).
PRE="" M="" BACK=""
P=($S "${R[@]}")
for ((k = 1; k + 1 < ${#P[@]} - 1; k++)); do
	if [ "$(nbrs "${P[$k]}" | wc -l)" = 2 ]; then
		BACK=${P[$((k - 1))]} PRE=${P[$k]} M=${P[$((k + 1))]}
		break
	fi
done
[ -n "$M" ] || fail "no node on the path 1 $route with a neighbour behind it only"
say "S discovered T: preferred path $S $route ($hops hops); M = $M, PRE = $PRE, BACK = $BACK"

# 3. SRUM along it: delivered once at T, forwarded once by each intermediate node
out=$(ctl $S srum send --to "${ID[$T_]}" --module echo --payload first) || fail "srum send: $out"
wait_num $T_ echo.received 1 5 || fail "T's echo did not count the first message within 5 s"
num $T_ srum.delivered
[ "$v" = 1 ] || fail "T: srum.delivered is $v after the first message"
for i in "${ALL[@]}"; do
	want=0
	case " ${R[*]::${#R[@]}-1} " in *" $i "*) want=1 ;; esac
	num "$i" srum.forwarded
	[ "$v" = $want ] || fail "daemon $i: srum.forwarded is $v, expected $want"
done
num $S srum.cache.hits
[ "$v" -ge 1 ] || fail "S: srum.cache.hits is $v"
say "message 1 delivered at T along $S $route (forwarded once by each of ${R[*]::${#R[@]}-1})"

# 4. kill M; once PRE sees the link to M down, send again
disown "${PIDS[$((M - 1))]}" 2>/dev/null # no "Killed" notice from bash
kill -9 "${PIDS[$((M - 1))]}"
LIVE=()
for i in "${ALL[@]}"; do [ "$i" = $M ] || LIVE+=("$i"); done
end=$((SECONDS + DEAD_MS / 1000 + 5))
while links_up $PRE; do
	[ $SECONDS -ge $end ] && fail "daemon $PRE still sees every link up $((DEAD_MS / 1000 + 5)) s after the kill"
	sleep 0.1
done
# and it is the link to M (the neighbour table; python3 is slow to start, so poll a little)
end=$((SECONDS + 10))
until [ "$(link_state $PRE $M)" = false ]; do
	[ $SECONDS -ge $end ] && fail "daemon $PRE lost a link, but its table shows the one to M up"
	sleep 0.2
done
say "daemon $PRE sees the link to M ($M) down"
sum spdm.discovered "${LIVE[@]}"
disc0=$v
num $S srum.route_errors.received
rerr0=$v
num $BACK srum.forwarded
back0=$v
out=$(ctl $S srum send --to "${ID[$T_]}" --module echo --payload second) || fail "srum send: $out"
wait_num $S srum.route_errors.received $((rerr0 + 1)) 5 ||
	fail "no route error reached S within 5 s of the send"
num $PRE srum.route_errors.sent
[ "$v" -ge 1 ] || fail "daemon $PRE: srum.route_errors.sent is $v"
n=$(paths_over $S $PRE $M)
[ "$n" = 0 ] || fail "S still caches $n paths over the broken link $PRE-$M after the route error"
say "daemon $PRE sent a route error; S got it and dropped every path over the link $PRE-$M"
wait_num $T_ echo.received 2 25 || fail "T's echo did not count the second message within 25 s"
num $PRE srum.salvaged
[ "$v" -ge 1 ] || fail "daemon $PRE: srum.salvaged is $v after message 2 was delivered"
num $BACK srum.forwarded
[ "$v" -gt "$back0" ] || fail "daemon $BACK (behind $PRE) did not forward the salvaged message"
sum spdm.discovered "${LIVE[@]}"
how="by a path $PRE had cached"
[ "$v" -gt "$disc0" ] && how="after $PRE rediscovered T"
say "message 2 delivered at T, salvaged by daemon $PRE $how, back through daemon $BACK"

# the source rediscovers T: the path it finds must avoid M (or, if a stale
# cache elsewhere offered one through M, the next send brings a route error)
num $S spdm.discovered
sdisc0=$v
num $S srum.route_errors.received
rerr1=$v
out=$(ctl $S spdm discover "${ID[$T_]}") || fail "spdm discover: $out"
wait_num $S spdm.discovered $((sdisc0 + 1)) 20 || fail "S did not rediscover T within 20 s"
say "S rediscovered T"
out=$(ctl $S srum send --to "${ID[$T_]}" --module echo --payload third) || fail "srum send: $out"
wait_num $T_ echo.received 3 25 || fail "T's echo did not count the third message within 25 s"
p=$(preferred $S $T_)
[ -n "$p" ] || fail "S has no preferred path to T after the third message"
read -r hops rest <<<"$p"
route=$(names $rest)
case " $route " in *" $M "*)
	num $S srum.route_errors.received
	[ "$v" -gt "$rerr1" ] || fail "S's preferred path to T still goes through M ($S $route) and no route error came back"
	;;
esac
say "message 3 delivered at T; S's preferred path now $S $route ($hops hops)"

# 5. counters: exactly one delivery per message, nothing looped or misrouted
# (one stats snapshot per daemon, flattened to "a.b.c value" once)
sleep 0.5
declare -A C
for i in "${LIVE[@]}"; do
	"$IPOP" stats --json --ctl-socket "$T/n$i.sock" >"$T/stats$i.json" 2>/dev/null ||
		fail "daemon $i: stats --json failed"
	while read -r k val; do C[$i.$k]=$val; done < <(jq -r \
		'paths(scalars) as $p | "\($p | map(tostring) | join(".")) \(getpath($p))"' "$T/stats$i.json")
done
snum() { # snum I PATH: a counter from the snapshot into $v
	v=${C[$1.$2]:-}
	[[ "$v" =~ ^[0-9]+$ ]] || fail "daemon $1: $2 is '$v'"
}
ssum() { # ssum PATH: summed over the live daemons' snapshots into $v
	local s=0 i
	for i in "${LIVE[@]}"; do snum "$i" "$1"; s=$((s + v)); done
	v=$s
}
snum $T_ echo.received
[ "$v" = 3 ] || fail "T: echo.received is $v, expected 3"
snum $T_ srum.delivered
[ "$v" = 3 ] || fail "T: srum.delivered is $v, expected 3"
ssum srum.delivered
[ "$v" = 3 ] || fail "srum.delivered summed over the live daemons is $v, expected 3 (all at T)"
ssum echo.received
[ "$v" = 3 ] || fail "echo.received summed over the live daemons is $v, expected 3 (all at T)"
for c in dropped.ttl dropped.malformed dropped.not_on_path dropped.bad_signature \
	dropped.unknown_module buffer.no_route buffer.expired buffer.dropped_full; do
	ssum "srum.$c"
	[ "$v" = 0 ] || fail "srum.$c summed over the live daemons is $v"
done
ssum spdm.dropped.bad_signature
[ "$v" = 0 ] || fail "spdm.dropped.bad_signature summed is $v"
ssum spdm.failed
[ "$v" = 0 ] || fail "spdm.failed summed is $v"
snum $S srum.sent
[ "$v" = 3 ] || fail "S: srum.sent is $v, expected 3"
say "counters: 3 sent, 3 delivered once each, no TTL/malformed/misrouted drops, no failed discovery"
echo "PASS (${SECONDS} s)"
