#!/usr/bin/env bash
# An interface deleted under the daemon (issue 14, defect 7): with traffic
# running, `ip link del` of the accounted veth; the daemon must log the loss
# and flow_status must show it gone (out of "interfaces", "state": "gone",
# "lost": 1), and its record must leave the pinned ifaces map. Then a veth
# of the same name is made again (a new ifindex): the daemon attaches to it
# by itself ("reattached": 1), and new traffic is counted on it. A third
# round deletes and re-creates it twice in a row, quickly.
. "$(dirname "$0")/lib.sh"

A=lga$T B=lgb$T IF=lg$T PEER=lp$T
SOCK=/tmp/ipop-lg$T.sock
new_ns $A
new_ns $B
mkpair() {
	veth_pair $A $IF 10.219.0.1/30 $B $PEER 10.219.0.2/30
	nsx $A sysctl -qw net.ipv6.conf.$IF.disable_ipv6=1
	nsx $B sysctl -qw net.ipv6.conf.$PEER.disable_ipv6=1
}
mkpair
EXTRA_CLEANUP+=("rm -f $SOCK")
DLOG=$BUILD/net-logs/daemon-lg$T.log
mkdir -p "$(dirname "$DLOG")"
nsenter --net=/run/netns/$A "$IPOP" daemon --iface $IF --pin-path "$PIN" --ctl-socket "$SOCK" \
	--stats-interval 1 >"$DLOG" 2>&1 &
DPID=$!
EXTRA_CLEANUP+=("kill -9 $DPID")

ctl() { "$IPOP" "$@" --ctl-socket "$SOCK"; }
status() { echo '{"op": "flow_status"}' | nc -U -q 1 "$SOCK"; }
link() { jq -r --arg n $IF ".links[] | select(.name==\$n) | .$1" <<<"$(status)"; }
# wait_for WHAT CMD...: until CMD succeeds (10 s at most)
wait_for() {
	local what=$1
	shift
	for _ in $(seq 100); do
		"$@" && return 0
		kill -0 $DPID 2>/dev/null || { cat "$DLOG"; fail "daemon died"; }
		sleep 0.1
	done
	cat "$DLOG" >&2
	fail "$what (flow_status: $(status | jq -c '{interfaces, links, link_watch}'))"
}
is() { [ "$(link "$1")" = "$2" ]; }
up() { status | jq -e '.running' >/dev/null 2>&1; }
# udp_packets SPORT: packets the daemon counted for UDP 10.219.0.1:SPORT -> :5001 on $IF (egress)
udp_packets() {
	jq -r --arg i $IF --argjson s "$1" \
		'[.flows[] | select(.ifname==$i and .direction=="egress" and .proto==17 and .sport==$s and .dport==5001) | .packets] | add // 0' \
		<<<"$(ctl flows --json 2>/dev/null)"
}
counted() { [ "$(udp_packets "$1")" = "$2" ]; }
ifindex() { jq -r '.[0].ifindex' <<<"$(nsx $A ip -j link show $IF)"; }
recorded() { # recorded IFINDEX: is it in the pinned ifaces map?
	bpftool map dump pinned "$PIN/ifaces" -j 2>/dev/null |
		jq -e --argjson k "$1" '[.[] | select(.key == $k or .formatted.key == $k)] | length > 0' >/dev/null
}

wait_for "daemon did not come up" up
idx1=$(ifindex)
expect_eq "$(link state)" attached "state before"
expect_eq "$(link ifindex)" "$idx1" "ifindex before"
expect_eq "$(status | jq -r '.link_watch.running')" true "link watch running"

# traffic, and the interface deleted while it runs
nsx $A "$TOOLS"/udpsend 10.219.0.2 5001 41001 20 100
wait_for "first traffic not counted" counted 41001 20
nsx $A "$TOOLS"/udpsend 10.219.0.2 5001 41002 2000 100 >/dev/null 2>&1 &
SENDER=$!
sleep 0.2
nsx $A ip link del $IF
wait $SENDER 2>/dev/null || true
wait_for "the loss was not reported" is state gone
expect_eq "$(link lost)" 1 "lost counter"
expect_eq "$(status | jq -r --arg n $IF '.interfaces | index($n)')" null \
	"gone interface out of \"interfaces\""
grep -q "interface $IF (ifindex $idx1) is gone" "$DLOG" || fail "no log line for the loss"
ok "the loss is logged"
recorded "$idx1" && fail "ifindex $idx1 still recorded in $PIN/ifaces"
ok "the old ifindex left the ifaces map"

# the same name again: a new ifindex, attached by the daemon, counted
mkpair
idx2=$(ifindex)
[ "$idx2" != "$idx1" ] || fail "the new veth got the old ifindex $idx1 (test needs a new one)"
wait_for "not attached again" is state attached
expect_eq "$(link ifindex)" "$idx2" "new ifindex"
expect_eq "$(link reattached)" 1 "reattached counter"
expect_eq "$(status | jq -r --arg n $IF '.interfaces | index($n)')" 0 "back in \"interfaces\""
recorded "$idx2" || fail "ifindex $idx2 not recorded in $PIN/ifaces"
ok "the new ifindex is recorded"
nsx $A ping -c1 -W2 10.219.0.2 >/dev/null || fail "no connectivity on the new veth"
nsx $A "$TOOLS"/udpsend 10.219.0.2 5001 41003 30 100
wait_for "traffic after the re-creation not counted" counted 41003 30
ok "30 packets counted on the re-created $IF"
grep -q "interface $IF is back (ifindex $idx2)" "$DLOG" || fail "no log line for the return"
ok "the return is logged"

# twice more, back to back: every loss and return counted, attached at the end
for _ in 1 2; do
	nsx $A ip link del $IF
	mkpair
done
wait_for "not attached after two quick rounds" is state attached
lost=$(link lost) back=$(link reattached)
expect_eq "$((lost - back))" 0 "as many returns as losses"
[ "$lost" -ge 2 ] || fail "lost = $lost after three deletions"
ok "lost $lost, reattached $back"
expect_eq "$(link ifindex)" "$(ifindex)" "ifindex after the rounds"
nsx $A ping -c1 -W2 10.219.0.2 >/dev/null || fail "no connectivity after the rounds"
nsx $A "$TOOLS"/udpsend 10.219.0.2 5001 41004 7 100
wait_for "traffic after the rounds not counted" counted 41004 7
ok "counted after the rounds"
# tcx: the links of the deleted ifindexes were unpinned, the current one's are there
expect_eq "$(cd "$PIN" && ls -d tcx_* | sort | tr '\n' ' ')" "tcx_eg_$(ifindex) tcx_in_$(ifindex) " "tcx link pins after the rounds"
grep -q '^tcx ingress ipop_tc_in' <<<"$(tc_progs $A $IF)" || fail "no tcx ingress program on the new $IF"

kill -TERM $DPID
for _ in $(seq 50); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
kill -0 $DPID 2>/dev/null && fail "daemon did not stop"
ok "daemon stopped"
