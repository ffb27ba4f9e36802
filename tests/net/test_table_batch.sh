#!/usr/bin/env bash
# A `table add --file` batch is all or nothing across a crash: the daemon is
# killed with SIGKILL early, in the middle and late in a 50,000-table batch
# (the moment picked by watching flow_status count the tables programmed so
# far, the kill real), restarted, and must hold either none or all of the
# batch, with the table that was there before intact; retrying the file then
# succeeds. Also: while a 50,000-table add runs, another client's ping is
# answered within a bound (the add goes in slices, one per loop turn).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || fail "python3 is needed"
export PYTHONPATH=$(cd "$(dirname "$0")/lib" && pwd) # ctlsock.py
A=tba$T B=tbb$T
SOCK=/tmp/ipop-tb$T.sock
W=$BUILD/net-logs/table-batch-$T
N=50000
mkdir -p "$W"
new_ns $A
new_ns $B
veth_pair $A ta$T 10.219.0.1/30 $B tb$T 10.219.0.2/30
EXTRA_CLEANUP+=("rm -f $SOCK" "rm -rf $W")

DPID= NSTART=0
start_daemon() {
	NSTART=$((NSTART + 1))
	DLOG=$W/daemon-$NSTART.log
	nsenter --net=/run/netns/$A "$IPOP" daemon --iface ta$T --pin-path "$PIN" \
		--ctl-socket "$SOCK" --stats-interval 1 >"$DLOG" 2>&1 &
	DPID=$!
	EXTRA_CLEANUP+=("kill -9 $DPID")
	for _ in $(seq 100); do
		"$IPOP" table list --ctl-socket "$SOCK" >/dev/null 2>&1 && return 0
		kill -0 $DPID 2>/dev/null || { cat "$DLOG"; fail "daemon died"; }
		sleep 0.1
	done
	fail "daemon did not answer on $SOCK"
}
ctl() { "$IPOP" "$@" --ctl-socket "$SOCK"; }
# ntables: how many tables the daemon holds (no batch in flight: flow_status is exact)
ntables() { python3 "$W/client.py" "$SOCK" count - /dev/null; }

python3 - "$N" >"$W/batch.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"tables": [{"name": "f%05d" % i, "proto": "udp", "dport": str(1 + i % 60000)}
                             for i in range(n)]}))
PY

# client.py SOCK MODE ARG FILE: MODE kill (ARG = "PID:TABLES": send the file, kill PID
# with SIGKILL once flow_status counts TABLES tables), killdel (delete the file's tables,
# kill PID once flow_status counts TABLES or fewer), ping (send the file, ping on other
# connections until it is answered), del (delete the file's tables), count.
cat >"$W/client.py" <<'PY'
import json, os, signal, sys, time
from ctlsock import ask, ping_while, read_line
import ctlsock
path, mode, arg, fname = sys.argv[1:5]
body = open(fname, "rb").read().strip() + b"\n"
req = json.loads(body) if mode != "count" else None

def connect():
    return ctlsock.connect(path, 60)

def send_add(s):
    s.sendall(b'{"op": "table_add", ' + body.lstrip()[1:])

if mode == "count":
    print(ask(connect(), {"op": "flow_status"})["tables"])
elif mode == "del":
    s = connect()
    print(json.dumps(ask(s, {"op": "table_del", "names": [t["name"] for t in req["tables"]]})))
elif mode in ("kill", "killdel"):
    pid, at = (int(x) for x in arg.split(":"))
    s = connect()
    if mode == "kill":
        send_add(s)
        reached = lambda n: n >= at
    else:
        names = [t["name"] for t in req["tables"]]
        s.sendall((json.dumps({"op": "table_del", "names": names}) + "\n").encode())
        reached = lambda n: n <= at
    seen, deadline = -1, time.monotonic() + 60
    while not (seen >= 0 and reached(seen)) and time.monotonic() < deadline:
        try:
            p = connect()
            seen = ask(p, {"op": "flow_status"})["tables"]
            p.close()
        except (OSError, RuntimeError, ValueError):
            pass
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    # did the adding client get its answer before the kill? (it must not have)
    s.settimeout(2)
    got = b""
    try:
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    print(json.dumps({"seen": seen, "answered": got.decode(errors="replace").strip()}))
elif mode == "ping":
    res = {}

    def adder():
        s = connect()
        t = time.monotonic()
        send_add(s)
        buf = read_line(s, must=False)
        res["add"] = json.loads(buf) if buf else None
        res["add_s"] = time.monotonic() - t

    n, worst = ping_while(path, adder, 120, timeout=60)
    print(json.dumps({"pings": n, "worst_ms": round(worst * 1000, 1), "add": res.get("add"),
                      "add_s": round(res.get("add_s", -1), 2)}))
PY

start_daemon
ctl table add keep prio 9 proto tcp dport 22
keep_id=$(ctl table list --json | jq '.tables[] | select(.name=="keep") | .id')

# SIGKILL at three points of the batch: early, middle, late
for at in 1000 $((N / 2)) $((N * 9 / 10)); do
	t0=$SECONDS
	python3 "$W/client.py" "$SOCK" kill "$DPID:$at" "$W/batch.json" >"$W/kill-$at.out"
	wait $DPID 2>/dev/null || true
	echo "kill: $((SECONDS - t0)) s"
	seen=$(jq .seen "$W/kill-$at.out")
	[ "$seen" -ge "$at" ] || fail "flow_status never reached $at tables: $(cat "$W/kill-$at.out")"
	[ -z "$(jq -r .answered "$W/kill-$at.out")" ] ||
		fail "the batch was answered before the kill at $at: $(cat "$W/kill-$at.out")"
	t0=$SECONDS
	start_daemon
	echo "restart: $((SECONDS - t0)) s"
	n=$(ntables)
	[ "$n" -eq 1 ] || [ "$n" -eq $((N + 1)) ] ||
		fail "killed with $seen tables programmed: $n tables after the restart (want 1 or $((N + 1)))"
	if [ "$n" -eq 1 ]; then
		expect_eq "$(ctl table list --json | jq '.tables[] | select(.name=="keep") | .id')" \
			"$keep_id" "killed at $seen/$N: the earlier table kept"
		grep -q "unfinished.*tables were removed" "$DLOG" ||
			fail "the restart did not say it undid the batch: $(cat "$DLOG")"
		ok "killed at $seen/$N: none of the batch after the restart ($(grep -o 'its [0-9]* tables were removed' "$DLOG"))"
	else
		ok "killed at $seen/$N: all of the batch after the restart"
	fi
	t0=$SECONDS
	ctl table add --file "$W/batch.json" >/dev/null 2>"$W/retry.err" ||
		[ "$n" -eq $((N + 1)) ] || fail "retrying the file after the restart: $(cat "$W/retry.err")"
	expect_eq "$(ntables)" $((N + 1)) "the file retried after the kill at $seen"
	echo "retry: $((SECONDS - t0)) s"
	t0=$SECONDS
	python3 "$W/client.py" "$SOCK" del - "$W/batch.json" >"$W/del.out"
	echo "del: $((SECONDS - t0)) s"
	expect_eq "$(jq -c . "$W/del.out")" "{\"ok\":true,\"deleted\":$N}" "the batch deleted again"
done

# another client's ping during a 50,000-table add: the loop serves it between slices
python3 "$W/client.py" "$SOCK" ping - "$W/batch.json" >"$W/ping.out"
cat "$W/ping.out"
expect_eq "$(jq -c .add "$W/ping.out")" "{\"ok\":true,\"added\":$N,\"tables\":$((N + 1))}" \
	"the 50,000-table add"
# the bound: 1,000-table slices take ~50 ms each; before slicing the add held the
# loop for its whole length (~2.5 s), so 1 s tells them apart on a loaded machine
jq -e '.pings >= 3 and .worst_ms < 1000' "$W/ping.out" >/dev/null ||
	fail "another client waited too long during the add: $(cat "$W/ping.out")"
ok "ping during a $N-table add: $(jq -c '{pings, worst_ms, add_s}' "$W/ping.out")"

# SIGKILL in the middle of a 50,000-name delete: after the restart none of them is left
python3 "$W/client.py" "$SOCK" killdel "$DPID:$((N / 2))" "$W/batch.json" >"$W/killdel.out"
wait $DPID 2>/dev/null || true
seen=$(jq .seen "$W/killdel.out")
[ "$seen" -le $((N / 2)) ] && [ "$seen" -gt 1 ] ||
	fail "flow_status did not show the delete half-way: $(cat "$W/killdel.out")"
[ -z "$(jq -r .answered "$W/killdel.out")" ] ||
	fail "the delete was answered before the kill: $(cat "$W/killdel.out")"
start_daemon
expect_eq "$(ntables)" 1 "killed with $((seen - 1)) of the deleted tables left: after the restart"
grep -q "committed but unfinished.*tables were removed now" "$DLOG" ||
	fail "the restart did not say it finished the delete: $(cat "$DLOG")"
expect_eq "$(ctl table list --json | jq -c '[.tables[].name]')" '["keep"]' "only the earlier table left"
ok "killed mid-delete at $seen tables: $(grep -o 'its last [0-9]* tables were removed now' "$DLOG")"

kill -TERM $DPID
wait $DPID || fail "daemon exit status $?"
echo PASS
