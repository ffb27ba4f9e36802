#!/usr/bin/env bash
# Three daemons on loopback (IPv4 and IPv6, distinct ports), each with a key
# and a certificate from one overlay CA: sessions and CMM delivery and
# counters, duplicate suppression, datagrams without a session, malformed,
# oversized and misaddressed ones rejected and counted while valid traffic
# continues, control socket robustness, link down after a daemon dies.
# (Forgery, replay after restart, revocation, expiry: test_icc_auth.sh.)
# Env: IPOP=path/to/ipop-bpf (default build/ipop-bpf), ICC_PORT_BASE (47810).
# Exit: 0 pass, 1 fail.
set -u
IPOP=${IPOP:-build/ipop-bpf}
BASE=${ICC_PORT_BASE:-47810}
OUTSIDER=0000000000000000000000000000beef

fail() { echo "FAIL: $*"; for i in 1 2 3; do echo "--- daemon $i log"; tail -n 20 "$T/d$i.log" 2>/dev/null; done; exit 1; }

command -v python3 >/dev/null || fail "python3 is needed to craft datagrams (tests/deps.sh installs it)"
"$IPOP" daemon --help >/dev/null 2>&1 || fail "$IPOP has no daemon command"

. "$(dirname "$0")"/overlay_lib.sh
overlay_init icc
ID=(none)
for i in 1 2 3; do ID[$i]=$(overlay_node "n$i") || fail "overlay_node n$i"; done
port() { echo $((BASE + $1)); }

nbr() { # nbr ID ADDRESS
	printf '{"id": "%s", "address": "%s"}' "$1" "$2"
}

config() { # config N NEIGHBOURS
	cat >"$T/n$1.json" <<JSON
{
  "node_id": "${ID[$1]}", $(overlay_ident "n$1"),
  "listen": ["127.0.0.1:$(port "$1")", "[::1]:$(port "$1")"],
  "keepalive_ms": 100,
  "dead_ms": 600,
  "neighbours": [ $2 ],
  "modules": {
    "cmm": {"enabled": true, "dependencies": [], "seen_capacity": 1024, "seen_ttl_ms": 60000},
    "echo": {"enabled": true, "dependencies": ["cmm"]}
  }
}
JSON
}

config 1 "$(nbr "${ID[2]}" "127.0.0.1:$(port 2)"), $(nbr "${ID[3]}" "[::1]:$(port 3)")"
config 2 "$(nbr "${ID[1]}" "127.0.0.1:$(port 1)"), $(nbr "${ID[3]}" "127.0.0.1:$(port 3)")"
config 3 "$(nbr "${ID[1]}" "[::1]:$(port 1)"), $(nbr "${ID[2]}" "127.0.0.1:$(port 2)")"

for i in 1 2 3; do
	"$IPOP" daemon --config "$T/n$i.json" --ctl-socket "$T/n$i.sock" >"$T/d$i.log" 2>&1 &
	PIDS+=($!)
done

# q N PATH: one value from the daemon's stats (or its neighbours list)
q() {
	python3 - "$T/n$1.sock" "$2" <<'PY'
import json, socket, sys
op = "neighbours" if sys.argv[2].startswith("neighbours") else "stats"
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(json.dumps({"op": op}).encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
v = json.loads(buf)
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) else v)
PY
}

# wait_for N PATH VALUE [TRIES]: poll every 0.1 s (bounded)
wait_for() {
	local v
	for _ in $(seq "${4:-50}"); do
		v=$(q "$1" "$2" 2>/dev/null) && [ "$v" = "$3" ] && return 0
		sleep 0.1
	done
	fail "node $1: $2 is '${v:-?}', expected '$3'"
}

for i in 1 2 3; do
	wait_for "$i" icc.link_up 2
done
echo "ok: all links up"

send() { "$IPOP" cmm send --ctl-socket "$T/n1.sock" "$@"; }

out=$(send --to "${ID[2]},${ID[3]},${ID[1]}" --to "${ID[2]}" --module echo \
	--payload "hello-icc" --id 0123456789abcdef0123456789abcdef) || fail "cmm send: $out"
echo "$out" | grep -q "sent 2 message" || fail "cmm send printed '$out'"
wait_for 2 echo.received 1
wait_for 3 echo.received 1
wait_for 1 cmm.sent 2
wait_for 1 cmm.skipped.self 1
wait_for 1 cmm.skipped.repeat 1
grep -q "hello-icc" "$T/d2.log" || fail "payload not in daemon 2's log"
echo "ok: CMM delivery, self and repeated entries skipped"

send --to "${ID[2]}" --module echo --payload again --id 0123456789abcdef0123456789abcdef >/dev/null
wait_for 2 cmm.duplicates 1
wait_for 2 echo.received 1
echo "ok: duplicate ID delivered once"

send --to "${ID[3]}" --module nosuch --payload x >/dev/null
wait_for 3 cmm.dropped.unknown_module 1
echo "ok: unknown destination module counted"

# Datagrams from an independent encoder (format: docs/identity.md, "ICC datagram").
# None of them has a session key: at best they are refused as "no_session".
python3 - "$(port 2)" "${ID[2]}" "$OUTSIDER" "${ID[1]}" <<'PY' || fail "injector failed"
import os, socket, struct, sys
port, dst, src, member = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])

def icc(payload, module=b"cmm", d=dst, s=src, mtype=1):
    hdr = struct.pack("!HBBBBH16s16s16s16sQQ", 0x4943, 2, mtype, 0, 4, len(payload),
                      module, os.urandom(16), s, d, 1234, 1)
    return hdr + payload + os.urandom(16)  # a tag nobody can check

cmm = bytes([1, 0]) + b"echo".ljust(16, b"\0") + b"from-outsider"
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
to = ("127.0.0.1", port)
good = icc(cmm)
sock.sendto(good, to)                        # outsider: no session
sock.sendto(icc(cmm, s=member), to)          # a member's ID, wrong session: no session
sock.sendto(os.urandom(200), to)             # malformed
sock.sendto(good[:100], to)                  # truncated: malformed
sock.sendto(b"\0" * 3000, to)                # oversized
sock.sendto(icc(cmm, d=os.urandom(16)), to)  # wrong destination
v1 = bytearray(good); v1[2] = 1              # ICC version 1 (shared key): gone
sock.sendto(bytes(v1), to)
PY
wait_for 2 icc.rx_dropped.no_session 2
wait_for 2 icc.rx_dropped.malformed 3
wait_for 2 icc.rx_dropped.oversized 1
wait_for 2 icc.rx_dropped.wrong_dest 1
wait_for 2 echo.received 1
echo "ok: sessionless, malformed, oversized, misaddressed datagrams dropped and counted"

send --to "${ID[2]}" --module echo --payload after-attack >/dev/null
wait_for 2 echo.received 2
grep -q "after-attack" "$T/d2.log" || fail "valid traffic after the attack not delivered"
echo "ok: valid traffic continues"

python3 - "$T/n1.sock" "${ID[2]}" <<'PY' || fail "control socket robustness"
import json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(3)
    s.connect(sys.argv[1])
    return s, s.makefile("rwb")
s, f = conn()
for req, want in [(b"not json", "malformed JSON"), (b'{"op": "nope"}', "unknown op"),
                  (b'{"op": 5}', "string"), (b"[1]", "string"),
                  (b'{"op": "cmm_send", "to": 5, "module": "echo", "payload": "x"}', "'to'"),
                  (b'{"op": "cmm_send", "to": "zz", "module": "echo", "payload": "x"}', "'to'"),
                  (b'{"op": "cmm_send", "to": "%s", "module": "echo", "payload": 1}'
                   % sys.argv[2].encode(), "must be strings")]:
    f.write(req + b"\n"); f.flush()
    rep = json.loads(f.readline())
    assert "error" in rep and want in rep["error"], (req, rep)
big, _ = conn()
try:
    big.sendall(b'{"op": "ping", "pad": "' + b"a" * (4 * 1024 * 1024 + 100) + b'"}\n')
    data = big.recv(4096)
    assert data == b"" or b"error" in data, data
except (ConnectionResetError, BrokenPipeError):
    pass
f.write(b'{"op": "ping"}\n'); f.flush()
assert json.loads(f.readline())["ok"] is True
PY
echo "ok: control socket answers errors and keeps serving"

kill "${PIDS[2]}"
wait_for 1 neighbours.1.up false 30
wait_for 1 icc.link_down 1
echo "ok: link down detected"

q 2 icc >/dev/null || fail "daemon 2 is not answering"
echo "PASS"
