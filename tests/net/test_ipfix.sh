#!/usr/bin/env bash
# IPFIX export checked by a collector nobody on the team wrote: nfdump's
# nfcapd, on loopback inside the test namespace. Known traffic (IPv4 and
# IPv6; TCP, UDP, ICMP) through the daemon, flows ended by the idle timeout;
# `nfdump -r` of what nfcapd wrote must show every IP flow the daemon ended,
# with exactly its packets, its IP bytes (octetDeltaCount: frame bytes minus
# 14 per packet on this untagged veth), addresses, ports or ICMP type/code,
# direction, interface and end reason; and nothing else.
#
# Transports: UDP straight to nfcapd. nfcapd has no TCP listener, so the TCP
# run goes to a relay (python3, below) that takes the IPFIX stream apart at
# the message lengths of RFC 7011 and hands each message to a second nfcapd
# as a datagram; it decodes nothing. The relay is stopped in the middle of
# the run and started again: flows that end while it is away wait in the
# exporter's queue and must all reach nfcapd after the reconnect.
. "$(dirname "$0")/lib.sh"
command -v nfcapd >/dev/null && command -v nfdump >/dev/null || fail "nfdump missing (tests/deps.sh)"

A=ifa$T B=ifb$T
new_ns $A
new_ns $B
veth_pair $A va$T 10.223.0.1/30 $B vb$T 10.223.0.2/30
nsx $A ip addr add fd00:223::1/64 dev va$T nodad
nsx $B ip addr add fd00:223::2/64 dev vb$T nodad
# no ICMP errors from B for the UDP flows, and static neighbours: no flow
# but the test's own ends at a time of its own choosing (ND and MLD are
# left out of the comparison below)
nsx $B nft -f - <<NFT
table inet quiet$T {
	chain out { type filter hook output priority 0; icmp type destination-unreachable drop; icmpv6 type destination-unreachable drop; }
}
NFT
mac_a=$(nsx $A ip -j link show va$T | jq -r ".[0].address")
mac_b=$(nsx $B ip -j link show vb$T | jq -r ".[0].address")
nsx $A ip neigh replace 10.223.0.2 lladdr "$mac_b" dev va$T nud permanent
nsx $A ip neigh replace fd00:223::2 lladdr "$mac_b" dev va$T nud permanent
nsx $B ip neigh replace 10.223.0.1 lladdr "$mac_a" dev vb$T nud permanent
nsx $B ip neigh replace fd00:223::1 lladdr "$mac_a" dev vb$T nud permanent

WORK=$(mktemp -d /tmp/ipop-ipfix.XXXXXX)
EXTRA_CLEANUP+=("rm -rf $WORK")
SOCK=$WORK/ctl.sock
P_UDP=$((20000 + T % 10000)) P_RELAY=$((30000 + T % 10000)) P_NF2=$((40000 + T % 10000))

# bg NAME CMD...: start CMD in namespace A (exec'd: $! is the process); pid in PID_NAME
bg() {
	local name=$1
	shift
	nsenter --net=/run/netns/$A "$@" >"$WORK/$name.log" 2>&1 &
	eval "PID_$name=$!"
	EXTRA_CLEANUP+=("kill -9 $!")
}
stop() { # stop NAME: TERM and wait (bounded)
	local pid
	eval "pid=\$PID_$1"
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	fail "$1 did not stop"
}
ctl() { echo "{\"op\": \"$1\"}" | nc -U -q 1 "$SOCK"; }
ipfix_field() { ctl flow_status | jq -r ".ipfix.$1"; }

start_daemon() { # start_daemon IPFIX_TARGET DOMAIN
	bg daemon "$IPOP" daemon --iface va$T --pin-path "$PIN" --ctl-socket "$SOCK" \
		--stats-interval 1 --idle-timeout 1 --ipfix "$1" --ipfix-domain "$2" --ipfix-interval 100
	for _ in $(seq 100); do
		ctl flow_status 2>/dev/null | grep -q '"running": *true' && return 0
		kill -0 "$PID_daemon" 2>/dev/null || { cat "$WORK/daemon.log"; fail "daemon died"; }
		sleep 0.1
	done
	fail "daemon did not come up"
}
# every IP flow the daemon ended, as "proto src dst sport dport dir in out packets ipbytes reason"
REASON_NAME='{"idle": "idle timeout", "active": "active timeout", "evicted": "lack of resources", "forced": "forced end"}'
ours() {
	ctl flows_ended | jq -r --argjson rn "$REASON_NAME" '.ended[] | select(.l3 != "other") |
		[.proto, .src, .dst, .sport, .dport, (if .direction == "egress" then 1 else 0 end),
		 (if .direction == "egress" then 0 else .ifindex end),
		 (if .direction == "egress" then .ifindex else 0 end),
		 .packets, (.bytes - 14 * .packets), $rn[.reason]] | map(tostring) | join(" ")' |
		no_nd | sort
}
# ICMPv6 MLD and neighbour discovery (types 130-143) come when the kernel likes
no_nd() { awk '!($1 == 58 && $4 >= 130 && $4 <= 143)'; }
# the same, from nfdump: JSON for the fields, raw for the end reason (JSON has none)
theirs() {
	nfdump -r "$1" -o json | jq -r '.[] | [.proto, (.src4_addr // .src6_addr),
		(.dst4_addr // .dst6_addr), (if .icmp_type != null then .icmp_type else .src_port end),
		(if .icmp_type != null then .icmp_code else .dst_port end), .direction,
		.input_snmp, .output_snmp, .in_packets, .in_bytes] | map(tostring) | join(" ")' >"$WORK/fields"
	nfdump -r "$1" -o raw | sed -n 's/^ *end reason *= *0x[0-9a-f]* //p' >"$WORK/reasons"
	[ "$(wc -l <"$WORK/fields")" = "$(wc -l <"$WORK/reasons")" ] || fail "nfdump json/raw record counts differ"
	# non-IP flows have no addresses: nfdump shows them as proto 0 from 0.0.0.0; leave them out
	paste -d' ' "$WORK/fields" "$WORK/reasons" | grep -v '^0 0.0.0.0 ' | no_nd | sort
}
nfcap_file() { ls "$1"/nfcapd.2* 2>/dev/null | head -1; }

traffic() { # traffic TAG: known flows, different ports per TAG
	local t=$1
	nsx $A ping -c 4 -i 0.05 -W 2 10.223.0.2 >/dev/null
	nsx $A ping -6 -c 3 -i 0.05 -W 2 fd00:223::2 >/dev/null
	nsx $A "$TOOLS"/udpsend 10.223.0.2 5001 $((40001 + t)) 5 100
	nsx $A "$TOOLS"/udpsend fd00:223::2 5003 $((40003 + t)) 6 300
	nsx $B timeout 10 nc -4 -l -p $((6001 + t)) >/dev/null &
	local srv=$!
	sleep 0.3
	head -c 300000 /dev/zero | nsx $A timeout 10 nc -4 -q 1 -p $((46001 + t)) 10.223.0.2 $((6001 + t))
	wait $srv || true
}

# drained: every ended flow handed to the transport (bounded wait)
drained() {
	for _ in $(seq 50); do
		[ "$(ipfix_field queue_len)" = 0 ] &&
			[ "$(ipfix_field records_sent)" = "$(ipfix_field records_queued)" ] && return 0
		sleep 0.1
	done
	fail "exporter did not drain: $(ctl flow_status | jq -c .ipfix)"
}
# compare: our ended flows (saved in $WORK/ours before the collector stopped)
# = nfdump's records, exactly (as multisets)
compare() { # compare FILE LABEL PORT_OFFSET
	local o="$WORK/ours" n="$WORK/theirs.$2"
	theirs "$1" >"$n"
	if ! diff -u "$o" "$n" >"$WORK/diff.$2"; then
		cat "$WORK/diff.$2" >&2
		fail "[$2] nfdump's records differ from the flows the daemon ended"
	fi
	ok "[$2] nfdump shows all $(wc -l <"$o") IP flows the daemon ended, counts and end reasons exact"
	# the known flows among them (IP bytes: ICMP echo 84, ICMPv6 echo 104, UDP 128, UDPv6 348)
	grep -q "^1 10.223.0.1 10.223.0.2 8 0 1 0 [0-9]* 4 336 idle timeout$" "$n" || fail "[$2] ICMP echo"
	grep -q "^1 10.223.0.2 10.223.0.1 0 0 0 [0-9]* 0 4 336 idle timeout$" "$n" || fail "[$2] ICMP reply"
	grep -q "^58 fd00:223::1 fd00:223::2 128 0 1 0 [0-9]* 3 312 idle timeout$" "$n" || fail "[$2] ICMPv6 echo"
	grep -q "^17 10.223.0.1 10.223.0.2 $((40001 + $3)) 5001 1 0 [0-9]* 5 640 idle timeout$" "$n" || fail "[$2] UDP"
	grep -q "^17 fd00:223::1 fd00:223::2 $((40003 + $3)) 5003 1 0 [0-9]* 6 2088 idle timeout$" "$n" || fail "[$2] UDPv6"
	local tcp
	tcp=$(awk -v p=$((46001 + $3)) '$1 == 6 && $4 == p && $6 == 1 {print $10}' "$n")
	[ -n "$tcp" ] && [ "$tcp" -gt 300000 ] || fail "[$2] TCP egress IP bytes '$tcp' <= payload"
	ok "[$2] ICMP, ICMPv6, UDP, UDPv6 exact; TCP $tcp IP bytes for 300000 of payload"
}

# ---- a collector name that does not resolve: a clear error at start, nothing left attached ----
rc=0
timeout 20 nsenter --net=/run/netns/$A "$IPOP" daemon --iface va$T --pin-path "$PIN" \
	--ctl-socket "$SOCK" --ipfix collector.invalid:4739/tcp >"$WORK/bad.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "daemon with an unresolvable collector: exit $rc"
grep -q 'collector.invalid' "$WORK/bad.log" || { cat "$WORK/bad.log"; fail "error does not name the collector"; }
[ -z "$(tc_progs $A va$T)" ] || fail "TC program left after the failed start: $(tc_progs $A va$T)"
ok "unresolvable collector: $(grep -m1 collector.invalid "$WORK/bad.log")"

# ---- UDP transport ----
mkdir "$WORK/udp" "$WORK/tcp"
bg nf1 nfcapd -b 127.0.0.1 -p $P_UDP -w "$WORK/udp" -t 3600
start_daemon 127.0.0.1:$P_UDP 1
traffic 0
sleep 3 # idle timeout 1 s, passes every 1 s, export every 0.1 s
drained
[ "$(ipfix_field records_dropped)" = 0 ] && [ "$(ipfix_field records_lost)" = 0 ] || fail "UDP: records lost"
ours >"$WORK/ours"
sleep 0.3
stop nf1
f=$(nfcap_file "$WORK/udp")
[ -n "$f" ] || fail "nfcapd wrote no file"
compare "$f" udp 0
stop daemon

# ---- TCP transport, collector restart in the middle ----
cat >"$WORK/relay.py" <<'PY'
# IPFIX over TCP -> one UDP datagram per message (RFC 7011 header: version 10, length)
import socket, sys
lport, dport = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport)); ls.listen(4)
out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    c, _ = ls.accept()
    print("connection", flush=True)
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        buf += d
        while len(buf) >= 4:
            assert buf[0:2] == b"\x00\x0a", "not IPFIX"
            n = int.from_bytes(buf[2:4], "big")
            if len(buf) < n:
                break
            out.sendto(buf[:n], ("127.0.0.1", dport))
            buf = buf[n:]
    c.close()
PY
bg nf2 nfcapd -b 127.0.0.1 -p $P_NF2 -w "$WORK/tcp" -t 3600
bg relay python3 "$WORK/relay.py" $P_RELAY $P_NF2
sleep 0.5
start_daemon 127.0.0.1:$P_RELAY/tcp 2
traffic 100
sleep 3
expect_eq "$(ipfix_field connects)" 1 "TCP: connected once"
q1=$(ipfix_field records_sent)
[ "$q1" -gt 5 ] || fail "TCP: only $q1 records sent"
stop relay # the collector goes away
traffic 200
sleep 3
expect_eq "$(ipfix_field records_sent)" "$q1" "TCP: nothing sent while the collector is away"
waiting=$(ipfix_field queue_len)
[ "$waiting" -gt 5 ] || fail "TCP: only $waiting records waiting"
ok "TCP: $waiting records wait for the collector ($(ipfix_field connect_failures) connect attempts failed)"
bg relay python3 "$WORK/relay.py" $P_RELAY $P_NF2
for _ in $(seq 100); do
	[ "$(ipfix_field queue_len)" = 0 ] && break
	sleep 0.1
done
expect_eq "$(ipfix_field queue_len)" 0 "TCP: queue drained after the restart"
expect_eq "$(ipfix_field connects)" 2 "TCP: reconnected"
expect_eq "$(ipfix_field records_dropped)" 0 "TCP: nothing dropped"
drained
ok "TCP: every record sent"
ours >"$WORK/ours"
sleep 0.5
stop nf2
f=$(nfcap_file "$WORK/tcp")
[ -n "$f" ] || fail "nfcapd (TCP run) wrote no file"
compare "$f" tcp-before-restart 100
compare "$f" tcp-after-restart 200
stop daemon
echo PASS
