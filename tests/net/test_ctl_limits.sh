#!/usr/bin/env bash
# The control socket at scale: 100,000 flow tables listed whole (table and
# JSON), a --file over the request limit refused with a clear error, and a
# 100,000-name delete during which another client's requests stay answered
# within a bound. First: a daemon start that fails leaves nothing behind.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || fail "python3 is needed"
export PYTHONPATH=$(cd "$(dirname "$0")/lib" && pwd) # ctlsock.py
A=cla$T B=clb$T
SOCK=/tmp/ipop-cl$T.sock
W=$BUILD/net-logs/ctl-limits-$T
mkdir -p "$W"
new_ns $A
new_ns $B
veth_pair $A ca$T 10.218.0.1/30 $B cb$T 10.218.0.2/30
EXTRA_CLEANUP+=("rm -f $SOCK" "rm -rf $W")

# a start that fails on the second interface: non-zero, nothing attached, no pins, no directory
rc=0
nsx $A "$IPOP" daemon --iface ca$T --iface nosuch$T --pin-path "$PIN" --ctl-socket "$SOCK" \
	>"$W/fail.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "daemon with an unknown interface exited 0"
grep -q "nosuch$T" "$W/fail.log" || fail "the error does not name the interface: $(cat "$W/fail.log")"
nsx $A ip link show ca$T | grep -q prog/xdp && fail "XDP left attached on ca$T"
[ -z "$(tc_progs $A ca$T)" ] || fail "TC program left on ca$T: $(tc_progs $A ca$T)"
[ ! -e "$PIN" ] || fail "pins left behind: $(ls "$PIN")"
[ ! -e "$SOCK" ] || fail "control socket left behind"
ok "failed start (exit $rc) left nothing behind: $(head -1 "$W/fail.log")"
# the same with the pin directory already there (empty): the directory stays, no pins in it
mkdir -p "$PIN"
nsx $A "$IPOP" daemon --iface ca$T --iface nosuch$T --pin-path "$PIN" --ctl-socket "$SOCK" \
	>"$W/fail2.log" 2>&1 && fail "daemon with an unknown interface exited 0"
[ -d "$PIN" ] && [ -z "$(ls -A "$PIN")" ] || fail "existing pin directory: $(ls -A "$PIN" 2>&1)"
nsx $A ip link show ca$T | grep -q prog/xdp && fail "XDP left attached on ca$T"
rmdir "$PIN"
ok "failed start with an existing pin directory: it stays, empty"

DLOG=$W/daemon.log
nsenter --net=/run/netns/$A "$IPOP" daemon --iface ca$T --pin-path "$PIN" --ctl-socket "$SOCK" \
	--stats-interval 1 >"$DLOG" 2>&1 &
DPID=$!
EXTRA_CLEANUP+=("kill -9 $DPID")
for _ in $(seq 50); do
	"$IPOP" table list --ctl-socket "$SOCK" >/dev/null 2>&1 && break
	kill -0 $DPID 2>/dev/null || { cat "$DLOG"; fail "daemon died"; }
	sleep 0.1
done
ctl() { "$IPOP" "$@" --ctl-socket "$SOCK"; }

# tables FIRST COUNT: a --file body of COUNT tables named t<number>
tables() {
	python3 - "$1" "$2" <<'PY'
import json, sys
a, n = int(sys.argv[1]), int(sys.argv[2])
print(json.dumps({"tables": [{"name": "t%06d" % i, "proto": "tcp", "dport": str(1 + i % 60000)}
                             for i in range(a, a + n)]}))
PY
}

# a file over the 4 MiB request limit: refused by the client, with the fix in the message
tables 0 100000 >"$W/all.json"
if ctl table add --file "$W/all.json" 2>"$W/all.err"; then fail "an over-limit file was sent"; fi
grep -q "all.json: [0-9]* bytes, over the control socket's request limit of 4194304; split the file" \
	"$W/all.err" || fail "over-limit message: $(cat "$W/all.err")"
grep -qi "broken pipe" "$W/all.err" && fail "over-limit file: $(cat "$W/all.err")"
ok "a --file over the request limit: $(cat "$W/all.err")"

# 100,000 tables in two files
t0=$(date +%s.%N)
for part in 0 50000; do
	tables $part 50000 >"$W/part.json"
	ctl table add --file "$W/part.json" >/dev/null || fail "adding tables $part.."
done
ok "100,000 tables added in $(echo "$(date +%s.%N) - $t0" | bc) s"
n=$(ctl table list | tail -n +2 | wc -l)
expect_eq "$n" 100000 "table list prints every table"
ctl table list --json >"$W/list.json"
expect_eq "$(jq '.tables | length' "$W/list.json")" 100000 "table list --json: one document, all tables"
expect_eq "$(jq -r '.tables[-1].name' "$W/list.json")" t099999 "the last table listed"
ok "table list: $(wc -c <"$W/list.json") bytes of JSON"

# a 100,000-name delete on one connection while another client pings and lists
python3 - "$SOCK" >"$W/del.out" <<'PY'
import json, sys, time
import ctlsock
path = sys.argv[1]
names = ["t%06d" % i for i in range(100000)]
res = {}

def deleter():
    s = ctlsock.connect(path, 30)
    t = time.monotonic()
    res["del"] = ctlsock.ask(s, {"op": "table_del", "names": names})
    res["del_s"] = time.monotonic() - t

n, worst = ctlsock.ping_while(path, deleter, 60, timeout=30)
print(json.dumps({"pings": n, "worst_ms": round(worst * 1000, 1), "del": res.get("del"),
                  "del_s": round(res.get("del_s", -1), 2)}))
PY
cat "$W/del.out"
expect_eq "$(jq -c .del "$W/del.out")" '{"ok":true,"deleted":100000}' "100,000-name delete"
# the bound: the loop serves another client between 1,000-table slices (~10 ms each
# on an idle machine; worst ping seen 139 ms idle, 372 ms with 2,000-table slices on
# a 2-core machine shared by several test runs). Before slicing, the O(N^2) name
# check alone held the loop for ~36 s at 100,000 names, so 1 s still tells them apart.
jq -e '.pings >= 3 and .worst_ms < 1000' "$W/del.out" >/dev/null ||
	fail "another client waited too long during the delete: $(cat "$W/del.out")"
expect_eq "$(ctl table list --json | jq '.tables | length')" 0 "all deleted"
ok "100,000-name delete: $(jq -c '{pings, worst_ms, del_s}' "$W/del.out")"

kill -TERM $DPID
wait $DPID || fail "daemon exit status $?"
echo PASS
