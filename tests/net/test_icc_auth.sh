#!/usr/bin/env bash
# Who may speak (issue 10), on loopback: two daemons A and B with keys and
# certificates from one CA, and scripted members (build/tools/icc_peer):
# - a member forging A's ID: no session, rejected and counted; A's link stays up;
# - a captured datagram: delivered once, replay refused, and refused again
#   after the receiver restarts;
# - an expired certificate and a certificate from another CA: no session;
# - A revoked (revocation list + SIGHUP): B cuts A within one keepalive interval.
# Env: IPOP (default build/ipop-bpf), PEER (default build/tools/icc_peer),
#      ICC_PORT_BASE (default 47880). Exit: 0 pass, 1 fail.
set -u
IPOP=${IPOP:-build/ipop-bpf}
PEER=${PEER:-$(dirname "$IPOP")/tools/icc_peer}
BASE=${ICC_PORT_BASE:-47880}

fail() { echo "FAIL: $*"; for n in a b; do echo "--- daemon $n log"; tail -n 15 "$T/$n.log" 2>/dev/null; done; exit 1; }
[ -x "$PEER" ] || { echo "FAIL: $PEER not built (make build/tools/icc_peer)"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq is needed (tests/deps.sh installs it)"; exit 1; }

. "$(dirname "$0")"/overlay_lib.sh
overlay_init auth
A=$(overlay_node a) && B=$(overlay_node b) && M=$(overlay_node m) || fail "making identities"
port() { echo $((BASE + $1)); }
: >"$T/revoked"

config() { # config NAME PORT PEER_ID PEER_PORT
	cat >"$T/$1.json" <<JSON
{"node_id": "$(eval echo \$"$(echo "$1" | tr a-z A-Z)")", $(overlay_ident "$1"),
 "revocation_file": "$T/revoked",
 "listen": "127.0.0.1:$2", "keepalive_ms": 100, "dead_ms": 600,
 "neighbours": [{"id": "$3", "address": "127.0.0.1:$4"}],
 "modules": {"cmm": {}, "echo": {"dependencies": ["cmm"]}}}
JSON
}
config a "$(port 1)" "$B" "$(port 2)"
config b "$(port 2)" "$A" "$(port 1)"
start() { # start NAME: (re)start a daemon, its pid in PIDS
	"$IPOP" daemon --config "$T/$1.json" --ctl-socket "$T/$1.sock" >>"$T/$1.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$1=$!"
}
q() { "$IPOP" stats --json --ctl-socket "$T/$1.sock" 2>/dev/null | jq -r ".$2"; }
up() { python3 - "$T/$1.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
s.sendall(b'{"op": "neighbours"}\n'); buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    buf += c
print(str(json.loads(buf)["neighbours"][0]["up"]).lower())
PY
}
wait_for() { # wait_for WHAT EXPECTED TRIES CMD...
	local want=$1 tries=$2 v
	shift 2
	for _ in $(seq "$tries"); do
		v=$("$@" 2>/dev/null) && [ "$v" = "$want" ] && return 0
		sleep 0.1
	done
	fail "'$*' is '${v:-?}', expected '$want'"
}
wait_ge() { # wait_ge NODE PATH N: the counter reaches at least N (bounded)
	local v
	for _ in $(seq 30); do
		v=$(q "$1" "$2") && [ "$v" -ge "$3" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1 $2 is '${v:-?}', expected at least $3"
}
peer() { # peer NAME [icc_peer options]: a scripted member with NAME's identity, to B
	local n=$1
	shift
	"$PEER" --key "$T/$n.key" --cert "$T/$n.crt" --ca "$T/ca.key.pub" \
		--to "127.0.0.1:$(port 2)" --dst "$B" "$@"
}

start a
start b
wait_for true 50 up a
wait_for true 50 up b
echo "ok: A and B made a session (links up)"

out=$(peer m --as "$A") && fail "a member claiming A's ID got a session: $out"
wait_for 1 30 q b handshake.refused_cert.wrong_id
wait_for 1 30 q b icc.rx_dropped.no_session
sleep 0.8 # longer than dead_ms
[ "$(up b)" = true ] || fail "A's link went down after the forgery"
[ "$(q b echo.received)" = 0 ] || fail "a forged message was delivered"
echo "ok: forged ID refused and counted (wrong_id, no_session); A's link stays up"

peer m --payload captured-1 --save "$T/captured" >/dev/null || fail "member m: no session"
wait_for 1 30 q b echo.received
"$PEER" --to "127.0.0.1:$(port 2)" --send-raw "$T/captured" >/dev/null
wait_for 1 30 q b icc.rx_dropped.replay
[ "$(q b echo.received)" = 1 ] || fail "the replayed datagram was delivered"
kill "$PID_b"
for _ in $(seq 50); do kill -0 "$PID_b" 2>/dev/null || break; sleep 0.1; done
start b
wait_for true 50 up b
before=$(q b icc.rx_dropped.no_session) # A's keepalives under the old session count too
"$PEER" --to "127.0.0.1:$(port 2)" --send-raw "$T/captured" >/dev/null
wait_ge b icc.rx_dropped.no_session $((before + 1))
sleep 0.3
[ "$(q b echo.received)" = 0 ] || fail "the captured datagram was delivered after the restart"
echo "ok: captured datagram: replay refused, and refused after the receiver restarted"

soon=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
E=$(overlay_node e --not-after "$soon") || fail "expiring certificate"
sleep 3
out=$(peer e) && fail "an expired certificate got a session: $out"
wait_for 1 30 q b handshake.refused_cert.expired
"$IPOP" ca init --out "$T/ca2.key" >/dev/null
"$IPOP" key gen --out "$T/x.key" >/dev/null
"$IPOP" ca sign --ca "$T/ca2.key" --pub "$T/x.key.pub" --name x --out "$T/x.crt" >/dev/null
out=$(peer x) && fail "a certificate from another CA got a session: $out"
wait_for 1 30 q b handshake.refused_cert.untrusted_ca
echo "ok: expired certificate and another CA's certificate: no session"

echo "id $A" >"$T/revoked"
kill -HUP "$PID_b"
wait_for false 2 up b # within one keepalive interval (100 ms) of the reload
[ "$(q b handshake.peers_cut)" = 1 ] || fail "peers_cut is $(q b handshake.peers_cut)"
sleep 1
[ "$(up b)" = false ] || fail "the revoked node's link came back"
wait_for false 20 up a # A stops hearing B after dead_ms
kill -0 "$PID_b" || fail "daemon B died on SIGHUP"
echo "ok: revoked node cut at reload and kept out"
echo "PASS"
