#!/usr/bin/env bash
# ICC benchmark: authenticated ICC messages per second between two daemons on
# loopback (each with a key and certificate; the receiver decrypts and checks
# the AEAD tag under the session key, checks the replay window, delivers to
# the echo module), and simulator events per second at 100,000 nodes.
# Env: IPOP (default build/ipop-bpf), SIM (default build/ipop-sim),
#      CODEC (default build/icc-codec-bench: in-process codec cost),
#      ICC_BENCH_COUNT (default 500000), ICC_PORT_BASE (default 47850).
# The wall-clock rates move with the load of a shared VM; the per-CPU-second
# rates (messages / CPU time of that daemon, from /proc) are the steadier
# figure: what one otherwise idle core sustains.
# Prints a table; exit 0, or 249 when skipped.
set -u
IPOP=${IPOP:-build/ipop-bpf}
SIM=${SIM:-build/ipop-sim}
CODEC=${CODEC:-build/icc-codec-bench}
COUNT=${ICC_BENCH_COUNT:-500000}
BASE=${ICC_PORT_BASE:-47850}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
[ -x "$CODEC" ] && "$CODEC"
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 249; }
"$IPOP" daemon --help >/dev/null 2>&1 || { echo "SKIP: $IPOP has no daemon command"; exit 249; }

. "$(dirname "$0")"/../net/overlay_lib.sh
overlay_init iccbench
A=$(overlay_node a) && B=$(overlay_node b) || exit 1
cfg() { # cfg NAME ID PORT PEER PEERPORT
	cat >"$T/$1.json" <<JSON
{"node_id": "$2", $(overlay_ident "$1"), "listen": "127.0.0.1:$3",
 "neighbours": [{"id": "$4", "address": "127.0.0.1:$5"}],
 "modules": {"cmm": {}, "echo": {"dependencies": ["cmm"]}}}
JSON
}
cfg a $A $((BASE + 1)) $B $((BASE + 2))
cfg b $B $((BASE + 2)) $A $((BASE + 1))
# receiver and sender on different cores where there are two
for n in a b; do
	cpu=$([ $n = a ] && echo 0 || echo 1)
	taskset -c "$cpu" "$IPOP" daemon --config "$T/$n.json" --ctl-socket "$T/$n.sock" \
		>"$T/$n.log" 2>&1 &
	PIDS+=($!)
done

python3 - "$T" "$B" "$COUNT" "${PIDS[0]}" "${PIDS[1]}" <<'PY'
import json, os, socket, sys, time
T, B, COUNT = sys.argv[1], sys.argv[2], int(sys.argv[3])
PID_A, PID_B = sys.argv[4], sys.argv[5]
TICK = os.sysconf("SC_CLK_TCK")
def cpu(pid):  # user + system seconds of a process
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK
def req(node, obj, timeout=120):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    for _ in range(100):
        try:
            s.connect(f"{T}/{node}.sock")
            break
        except OSError:
            time.sleep(0.05)
    s.sendall(json.dumps(obj).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(1 << 20)
    return json.loads(buf)
for _ in range(100):
    if req("b", {"op": "stats"})["icc"]["link_up"] >= 1:
        break
    time.sleep(0.05)
for size in (64, 1024):
    rx0 = req("b", {"op": "stats"})["icc"]["rx"]
    ca, cb = cpu(PID_A), cpu(PID_B)
    t0 = time.monotonic()
    r = req("a", {"op": "icc_blast", "to": B, "count": COUNT, "size": size})
    last, tlast, stable = rx0, t0, 0
    while stable < 5:
        time.sleep(0.02)
        rx = req("b", {"op": "stats"})["icc"]["rx"]
        if rx != last:
            last, tlast, stable = rx, time.monotonic(), 0
        else:
            stable += 1
    got = last - rx0
    ca, cb = cpu(PID_A) - ca, cpu(PID_B) - cb
    print(f"icc  payload {size:5d} B: sent {r['sent']} in {r['seconds']:.2f} s "
          f"({r['sent'] / r['seconds']:,.0f} msg/s), received {got} "
          f"({got / (tlast - t0):,.0f} msg/s authenticated, {COUNT - got} lost); "
          f"per CPU-second: sender {r['sent'] / max(ca, 1e-3):,.0f}, "
          f"receiver {got / max(cb, 1e-3):,.0f}")
    drops = {k: v for k, v in req("b", {"op": "stats"})["icc"]["rx_dropped"].items() if v}
    if drops:
        print(f"     receiver drops so far: {drops}")
PY

if [ -x "$SIM" ]; then
	for g in chord ba; do
		/usr/bin/time -f "%M" -o "$T/rss" "$SIM" cmm --nodes 100000 --graph "$g" --json >"$T/sim.json" ||
			continue
		python3 - "$T/sim.json" "$T/rss" "$g" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rss = int(open(sys.argv[2]).read().split()[-1])
print(f"sim  {sys.argv[3]:6s} 100k nodes: {r['events']:,} events in {r['wall_s']:.2f} s = "
      f"{r['events_per_s']:,.0f} events/s, setup {r['setup_s']:.2f} s, "
      f"max RSS {rss / 1024:.0f} MiB, coverage {r['coverage']:.3f}")
PY
	done
fi
