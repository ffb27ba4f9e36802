#!/usr/bin/env bash
# Wire-true packet counts: with TSO/GSO on over a veth, TC sees a bulk TCP
# transfer as a few hundred 64K skbs. Our egress packet count for the flow must
# equal the kernel's own count of segments the sender sent (TcpOutSegs plus
# TcpRetransSegs of the sender namespace, which runs nothing else over TCP:
# handshake and teardown segments are in both), and the reverse flow
# (pure ACKs, never GSO) must equal the receiver's TcpOutSegs. The frame-as-
# seen count (skbs) must be far lower, or the test did not exercise GSO.
. "$(dirname "$0")/lib.sh"
command -v ethtool >/dev/null || fail "ethtool missing (tests/deps.sh)"

A=gsa$T B=gsb$T
new_ns $A
new_ns $B
veth_pair $A va$T 10.213.0.1/30 $B vb$T 10.213.0.2/30
nsx $A ip addr add fd00:213::1/64 dev va$T nodad
nsx $B ip addr add fd00:213::2/64 dev vb$T nodad
nsx $A ethtool -K va$T tso on gso on >/dev/null
nsx $B ethtool -K vb$T tso on gso on >/dev/null
tso=$(nsx $A ethtool -k va$T | awk '/^tcp-segmentation-offload:/ {print $2}')
expect_eq "$tso" on "TSO on the sender's veth"
nsx $A ping -c1 -W2 10.213.0.2 >/dev/null
nsx $A ping -6 -c1 -W2 fd00:213::2 >/dev/null
nsx $A "$IPOP" load va$T --pin-path "$PIN"

# segments a namespace put on the wire: TcpOutSegs leaves out retransmissions
# (RFC 1213's tcpOutSegs; a tail loss probe is one), TcpRetransSegs has them
outsegs() {
	nsx "$1" nstat -az TcpOutSegs TcpRetransSegs |
		awk '$1 == "TcpOutSegs" || $1 == "TcpRetransSegs" {n += $2} END {print n + 0}'
}

# bulk BYTES from A (port SPORT) to B:DPORT at address DST
bulk() {
	local dst=$1 sport=$2 dport=$3 bytes=$4 a0 b0 a1 b1 j eg in skbs
	a0=$(outsegs $A)
	b0=$(outsegs $B)
	local fam=-4
	[[ $dst == *:* ]] && fam=-6
	nsx $B timeout 20 nc $fam -l -p "$dport" >/dev/null &
	local srv=$!
	sleep 0.3
	head -c "$bytes" /dev/zero | nsx $A timeout 20 nc $fam -q 1 -p "$sport" "$dst" "$dport" ||
		fail "[$dst] transfer failed"
	wait $srv || true
	# both sides past FIN/ACK (A in TIME_WAIT sends nothing more)
	sleep 0.5
	a1=$(outsegs $A)
	b1=$(outsegs $B)
	j=$(flows_json $A)
	eg=$(flow_field "$j" va$T egress 6 "$sport" "$dport" packets)
	skbs=$(flow_field "$j" va$T egress 6 "$sport" "$dport" skbs)
	in=$(flow_field "$j" va$T ingress 6 "$dport" "$sport" packets)
	nsx $A nstat -az TcpRetransSegs | awk '$1 == "TcpRetransSegs" {print "# sender retransmissions so far: " $2}'
	echo "# $dst: OutSegs+RetransSegs A $((a1 - a0)) B $((b1 - b0)); egress packets $eg skbs $skbs; ingress packets $in"
	expect_eq "$eg" "$((a1 - a0))" "[$dst] egress packets = sender's OutSegs + RetransSegs"
	expect_eq "$in" "$((b1 - b0))" "[$dst] ingress packets = receiver's OutSegs + RetransSegs"
	[ "$skbs" -gt 0 ] && [ $((skbs * 4)) -lt "$eg" ] ||
		fail "[$dst] skbs $skbs vs packets $eg: GSO did not happen"
	ok "[$dst] $skbs skbs stood for $eg segments"
	# bytes: every segment carries its own headers, so wire bytes exceed
	# payload + one set of headers per skb by (packets - skbs) header sets
	local by
	by=$(flow_field "$j" va$T egress 6 "$sport" "$dport" bytes)
	[ "$by" -gt $((bytes + eg * 66)) ] || fail "[$dst] egress bytes $by <= payload + 66 * packets"
	ok "[$dst] egress bytes $by > payload + 66 B of headers per segment"
}

bulk 10.213.0.2 46101 6101 4000000
bulk fd00:213::2 46102 6102 4000000
echo "PASS"
