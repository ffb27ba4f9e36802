#!/usr/bin/env bash
# The Prometheus textfile exporter end to end: a daemon in a namespace with
# --textfile-dir and known traffic; promtool (required: tests/deps.sh installs
# it) and our own format checks; table counters equal `table list --json`; a
# real node_exporter on the namespace's loopback scrapes the file without
# error; a reader polling the file while it is rewritten every 0.1 s never
# sees a partial file; `ipop-bpf export` one-shot with and without a daemon;
# `ipop-bpf top --once`.
. "$(dirname "$0")/lib.sh"

PROMTOOL=$(command -v promtool) ||
	fail "promtool not installed (Debian package 'prometheus'; tests/deps.sh installs it)"
NODE_EXPORTER=$(command -v prometheus-node-exporter) ||
	fail "prometheus-node-exporter not installed (tests/deps.sh installs it)"
command -v curl >/dev/null || fail "curl not installed"

A=xpa$T B=xpb$T
SOCK=/tmp/ipop-x$T.sock
DIR=$(mktemp -d /tmp/ipop-prom-$T.XXXXXX)
DIR1=$(mktemp -d /tmp/ipop-prom1-$T.XXXXXX)
chmod 755 "$DIR" "$DIR1"
PROM=$DIR/ipop.prom
EXTRA_CLEANUP+=("rm -rf $DIR $DIR1" "rm -f $SOCK")
new_ns $A
new_ns $B
veth_pair $A xa$T 10.219.0.1/30 $B xb$T 10.219.0.2/30
nsx $A sysctl -qw net.ipv6.conf.xa$T.disable_ipv6=1
nsx $B sysctl -qw net.ipv6.conf.xb$T.disable_ipv6=1
for ns in $A $B; do
	nsx $ns nft -f - <<NFT
table inet quiet$T {
	chain out { type filter hook output priority 0; icmp type destination-unreachable drop; }
}
NFT
done

# check_format FILE: what promtool does not check (duplicates, timestamps,
# final newline, HELP+TYPE per family, grouping), and promtool itself
check_format() {
	local f=$1 out
	[ -s "$f" ] || fail "$f empty or missing"
	[ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || fail "$f: no final newline"
	out=$(awk '
		/^# HELP / { help[$3] = 1; next }
		/^# TYPE / {
			if (!($3 in help)) print "no HELP for " $3
			if ($3 in typed) print "family " $3 " twice (not grouped)"
			typed[$3] = 1; cur = $3; next }
		/^#/ { print "stray comment: " $0; next }
		{
			line = $0; name = line; sub(/[{ ].*/, "", name)
			if (name != cur) print "sample outside its family: " line
			series = line; sub(/ [^ ]*$/, "", series)
			rest = line; sub(/^.*[}]/, "", rest); if (rest == line) rest = substr(line, length(name) + 1)
			if (split(rest, f, " ") != 1) print "timestamp or junk: " line
			if (series in seen) print "duplicate series: " series
			seen[series] = 1
			if (name !~ /^ipop_/) print "no ipop_ prefix: " line
		}' "$f")
	[ -z "$out" ] || fail "$f: $out"
	"$PROMTOOL" check metrics <"$f" || fail "promtool check metrics failed on $f"
}

# value FILE SERIES: the value of one exact series (empty if absent)
value() { awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print $NF }' "$1"; }

nsenter --net=/run/netns/$A "$IPOP" daemon --iface xa$T --pin-path "$PIN" --ctl-socket "$SOCK" \
	--stats-interval 1 --textfile-dir "$DIR" --export-interval 0.1 --export-top-flows 4 \
	>"$BUILD/net-logs/exporter-daemon-$T.log" 2>&1 &
DPID=$!
EXTRA_CLEANUP+=("kill -9 $DPID")
for _ in $(seq 50); do
	"$IPOP" table list --ctl-socket "$SOCK" >/dev/null 2>&1 && break
	kill -0 $DPID 2>/dev/null || { cat "$BUILD/net-logs/exporter-daemon-$T.log"; fail "daemon died"; }
	sleep 0.1
done
ctl() { "$IPOP" "$@" --ctl-socket "$SOCK"; }
ctl table add dns prio 10 proto udp dport 5001
ctl table add odd.name-2 prio 5 proto udp dport 5002
ctl table add never prio 1 proto tcp dport 9

nsx $A "$TOOLS"/udpsend 10.219.0.2 5001 40001 50 100
nsx $A "$TOOLS"/udpsend 10.219.0.2 5002 40002 20 200
nsx $A ping -c 3 -i 0.05 10.219.0.2 >/dev/null
for _ in $(seq 50); do
	[ "$(value "$PROM" 'ipop_table_packets_total{table="dns"}')" = 50 ] &&
		[ "$(value "$PROM" 'ipop_table_packets_total{table="odd.name-2"}')" = 20 ] && break
	sleep 0.1
done
expect_eq "$(value "$PROM" 'ipop_table_packets_total{table="dns"}')" 50 "file: dns packets"
expect_eq "$(value "$PROM" 'ipop_table_bytes_total{table="dns"}')" $((50 * 142)) "file: dns bytes"
expect_eq "$(value "$PROM" 'ipop_table_packets_total{table="odd.name-2"}')" 20 "file: table with dots and dashes"
expect_eq "$(value "$PROM" 'ipop_table_idle_seconds{table="never"}')" "" "never-hit table has no idle"
check_format "$PROM"
ok "promtool check metrics and our own format checks pass"

# the file agrees with the daemon's table list (both from the same snapshots)
json=$(ctl table list --json)
for _ in $(seq 30); do
	bad=0
	for name in $(jq -r '.tables[].name | @base64' <<<"$json"); do
		n=$(base64 -d <<<"$name")
		esc=${n//\\/\\\\}
		esc=${esc//\"/\\\"}
		for fld in packets bytes; do
			want=$(jq -r --arg n "$n" ".tables[] | select(.name==\$n) | .$fld" <<<"$json")
			got=$(value "$PROM" "ipop_table_${fld}_total{table=\"$esc\"}")
			[ "$got" = "$want" ] || bad=1
		done
	done
	[ $bad = 0 ] && break
	sleep 0.1
	json=$(ctl table list --json)
done
[ $bad = 0 ] || fail "table counters in $PROM differ from table list --json: $json"
ok "table counters equal 'table list --json' ($(jq '.tables | length' <<<"$json") tables)"

flow='{ifname="xa'$T'",direction="egress",src="10.219.0.1",dst="10.219.0.2",proto="udp",sport="40001",dport="5001"}'
expect_eq "$(value "$PROM" "ipop_flow_packets_total$flow")" 50 "per-flow series of a known flow"
expect_eq "$(grep -c '^ipop_flow_bytes_total{' "$PROM")" 4 "top-K: 4 flows"
expect_eq "$(value "$PROM" "ipop_interface_info{ifname=\"xa$T\",ingress_hook=\"tc\"}")" 1 "interface info"
expect_eq "$(value "$PROM" 'ipop_module_events_total{module="icc",event="rx"}')" 0 "module counters"
grep -q '^ipop_build_info{version="[^"]*"} 1$' "$PROM" || fail "no build_info"
grep -q '^ipop_datapath_packets_total [1-9]' "$PROM" || fail "no datapath packets"
grep -q '^ipop_flows_ended_total{reason="evicted"} 0$' "$PROM" || fail "no ended by reason"

# a real node_exporter, on the namespace's own loopback (port free by construction)
nsx $A "$NODE_EXPORTER" --web.listen-address=127.0.0.1:9100 --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$DIR" \
	>"$BUILD/net-logs/exporter-node-$T.log" 2>&1 &
NEPID=$!
EXTRA_CLEANUP+=("kill $NEPID")
scrape=
for _ in $(seq 50); do
	scrape=$(nsx $A curl -sf http://127.0.0.1:9100/metrics) && break
	kill -0 $NEPID 2>/dev/null || { cat "$BUILD/net-logs/exporter-node-$T.log"; fail "node_exporter died"; }
	sleep 0.1
done
[ -n "$scrape" ] || fail "node_exporter did not answer"
grep -q '^node_textfile_scrape_error 0$' <<<"$scrape" ||
	fail "node_textfile_scrape_error: $(grep node_textfile <<<"$scrape")"
grep -q '^ipop_table_packets_total{table="dns"} 50$' <<<"$scrape" || fail "dns counter not scraped"
grep -q '^ipop_build_info{version=' <<<"$scrape" || fail "build_info not scraped"
ok "node_exporter scrapes ipop.prom: node_textfile_scrape_error 0, our metrics present"

# the file is replaced every 0.1 s (or as fast as fsync allows): a reader
# polling it must never see a partial one
nsx $A "$TOOLS"/udpsend 10.219.0.2 5001 40003 3000 100 &
gen=$!
res=$(python3 - "$PROM" <<'PY'
import os, sys, time
# at least 3 s and 5 versions of the file, at most 10 s
path, t0 = sys.argv[1], time.monotonic()
reads = bad = 0
inodes = set()
need = ("ipop_build_info{", "# TYPE ipop_flows gauge", "# TYPE ipop_module_events_total counter")
while time.monotonic() < t0 + 3 or (len(inodes) < 5 and time.monotonic() < t0 + 10):
    with open(path, "rb") as f:
        inodes.add(os.fstat(f.fileno()).st_ino)
        text = f.read().decode()
    reads += 1
    if not text.endswith("\n") or not all(n in text for n in need):
        bad += 1
print(reads, bad, len(inodes))
PY
)
wait $gen
read -r reads bad versions <<<"$res"
[ "$bad" = 0 ] || fail "$bad of $reads reads saw a partial file"
[ "$versions" -ge 5 ] || fail "only $versions versions of the file in 10 s"
ok "$reads reads of $versions versions of the file: none partial"

# top --once: a header and the known flow, no terminal control codes
top=$(ctl top --once)
grep -q $'\033' <<<"$top" && fail "top --once printed escape codes"
head -2 <<<"$top" | grep -q 'IFACE.*DIR.*SRC.*DST.*PROTO.*RATE.*PACKETS.*BYTES.*IDLE' ||
	fail "top --once: no header: $top"
grep -qE "^xa$T +egress +10\.219\.0\.1:40001 +10\.219\.0\.2:5001 +udp .* 50 +7100 " <<<"$top" ||
	fail "top --once: no flow 40001: $top"
ok "top --once shows the header and the known flow"
# the daemon sorts and cuts (op flows_top): by packets, the 3000-packet flow first, one row
for _ in $(seq 30); do
	top=$(ctl top --once --sort packets --limit 1)
	grep -q " 3000 " <<<"$top" && break
	sleep 0.1
done
expect_eq "$(($(wc -l <<<"$top") - 2))" 1 "top --once --limit 1: one row"
grep -qE "^xa$T +egress +10\.219\.0\.1:40003 +10\.219\.0\.2:5001 +udp .* 3000 " <<<"$top" ||
	fail "top --sort packets: flow 40003 not first: $top"
head -1 <<<"$top" | grep -qE " - ([5-9]|[1-9][0-9]+) flows, sorted by packets$" ||
	fail "top header does not count every flow: $(head -1 <<<"$top")"
ok "top --sort packets --limit 1: the biggest flow, header counts all flows"
"$IPOP" top --once --ctl-socket /tmp/ipop-none-$T.sock 2>/tmp/ipop-top-$T.err &&
	fail "top without a daemon succeeded"
grep -q "no daemon answers" /tmp/ipop-top-$T.err || fail "top: unclear error: $(cat /tmp/ipop-top-$T.err)"
rm -f /tmp/ipop-top-$T.err
ok "top without a daemon: clear message, non-zero exit"

# one-shot export beside the daemon (module counters from its control socket)
nsx $A "$IPOP" export --textfile-dir "$DIR1" --pin-path "$PIN" --ctl-socket "$SOCK"
check_format "$DIR1/ipop.prom"
expect_eq "$(value "$DIR1/ipop.prom" 'ipop_table_packets_total{table="dns"}')" 3050 "export: dns packets"
grep -q '^ipop_module_events_total{module="icc"' "$DIR1/ipop.prom" || fail "export: no module counters"

# stop the daemon: its last write is complete and no temporary file is left
kill -TERM $DPID
wait $DPID || fail "daemon exit status $?"
check_format "$PROM"
expect_eq "$(ls -A "$DIR")" ipop.prom "only ipop.prom in the textfile directory"

# one-shot without a daemon: straight from the pinned maps
rm -f "$DIR1/ipop.prom"
nsx $A "$IPOP" export --textfile-dir "$DIR1" --pin-path "$PIN" --ctl-socket "$SOCK"
check_format "$DIR1/ipop.prom"
expect_eq "$(value "$DIR1/ipop.prom" 'ipop_table_packets_total{table="dns"}')" 3050 \
	"export without daemon: dns packets"
expect_eq "$(grep -c '^ipop_module_events_total{' "$DIR1/ipop.prom")" 0 "no module counters"
ok "ipop-bpf export works with and without a daemon"

# bad options are one clear line and exit 1
# rejects CMD... PATTERN: the command fails and says PATTERN
rejects() {
	local pat=${*: -1} out
	out=$("${@:1:$#-1}" 2>&1) && fail "accepted: ${*:1:$#-1}"
	grep -q "$pat" <<<"$out" || fail "unclear error from ${*:1:$#-1}: $out"
}
rejects "$IPOP" daemon --iface xa$T --textfile-dir /nonexistent-$T "not a writable directory"
rejects "$IPOP" daemon --iface xa$T --textfile-dir "$DIR" --export-interval 0 "bad --export-interval"
rejects "$IPOP" export --textfile-dir "$DIR1" --pin-path /sys/fs/bpf/none-$T "no maps pinned"
rejects "$IPOP" export --pin-path "$PIN" "textfile-dir DIR is required"
ok "bad options rejected with one line"
