#!/usr/bin/env bash
# Bad input: one clear line naming the bad thing, a non-zero exit, and nothing
# changed (no program, no filter, no pin left by the failed call).
. "$(dirname "$0")/lib.sh"

A=iea$T B=ieb$T
new_ns $A
new_ns $B
veth_pair $A ea$T 10.213.0.1/30 $B eb$T 10.213.0.2/30

# expect_fail PATTERN CMD...: non-zero exit, stderr one line matching PATTERN
expect_fail() {
	local pat=$1 out rc=0
	shift
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "'$*' printed more than one line: $out"
	grep -qE -- "$pat" <<<"$out" || fail "'$*' said '$out', wanted /$pat/"
	ok "$* -> $out"
}

nothing_left() {
	nsx $A ip link show ea$T | grep -q 'prog/xdp' && [ "${1:-}" != keep-xdp ] && fail "XDP left on ea$T"
	[ -z "$(tc_progs $A ea$T)" ] || fail "TC program left: $(tc_progs $A ea$T)"
	[ ! -e "$PIN" ] || fail "pin dir left"
	ok "nothing left behind"
}

expect_fail "unknown interface 'nope$T'" nsx $A "$IPOP" load nope$T --pin-path "$PIN"
expect_fail "invalid value 'turbo' for --mode" nsx $A "$IPOP" load ea$T --mode turbo --pin-path "$PIN"
expect_fail "invalid value 'nf' for --ingress-hook" nsx $A "$IPOP" load ea$T --ingress-hook nf --pin-path "$PIN"
expect_fail "invalid value 'tc' for --tc-mode" nsx $A "$IPOP" load ea$T --tc-mode tc --pin-path "$PIN"
expect_fail "IPOP_TC_MODE='cls'" env IPOP_TC_MODE=cls nsenter --net=/run/netns/$A "$IPOP" load ea$T --pin-path "$PIN"
expect_fail "'/tmp' is not on a bpffs" nsx $A "$IPOP" load ea$T --pin-path /tmp
expect_fail "must be absolute" nsx $A "$IPOP" load ea$T --pin-path relative/dir
expect_fail "unknown option '--frobnicate'" nsx $A "$IPOP" load ea$T --frobnicate
expect_fail "missing IFNAME" "$IPOP" load
expect_fail "needs root" nsx $A setpriv --reuid=65534 --regid=65534 --clear-groups "$IPOP" load ea$T --pin-path "$PIN"
expect_fail "not loaded on ea$T|nothing is loaded" nsx $A "$IPOP" unload ea$T --pin-path "$PIN"
nothing_left

# an L3 (TUN) device: no Ethernet header to parse
nsx $A ip tuntap add mode tun name tn$T
expect_fail "tn$T is not an Ethernet device" nsx $A "$IPOP" load tn$T --pin-path "$PIN"
nothing_left

# JSON mode errors: {"error": ...} on stdout, non-zero exit
out=$(nsx $A "$IPOP" flows --json --pin-path "$PIN" || true)
jq -e '.error | test("cannot open")' <<<"$out" >/dev/null || fail "json error: $out"
ok "flows --json error object"

# Someone else's XDP program: refused without --force, replaced with it
nsx $A ip link set dev ea$T xdpdrv obj "$BUILD"/tools/xdp_foreign.bpf.o sec xdp
expect_fail "not ours .*'not_ipop'.*--force" nsx $A "$IPOP" load ea$T --ingress-hook xdp --pin-path "$PIN"
nsx $A ip link show ea$T | grep -q 'name not_ipop' || fail "foreign program was touched"
nothing_left keep-xdp
# the TC ingress hook does not conflict with it
nsx $A "$IPOP" load ea$T --ingress-hook tc --pin-path "$PIN"
nsx $A "$IPOP" unload ea$T --pin-path "$PIN"
nsx $A ip link show ea$T | grep -q 'name not_ipop' || fail "tc load/unload touched the foreign XDP program"
ok "tc hook coexists with a foreign XDP program"
# --force that fails at a later step puts the replaced program back (the
# later step: a clsact egress filter at our handle, so through clsact)
occupy_egress_handle() {
	nsx $A tc qdisc add dev ea$T clsact
	nsx $A tc filter add dev ea$T egress pref $((0xc0de)) handle 0x1b0f bpf da obj "$BUILD"/tools/xdp_foreign.bpf.o sec xdp 2>/dev/null ||
		nsx $A tc filter add dev ea$T egress pref $((0xc0de)) handle 0x1b0f matchall action pass
}
occupy_egress_handle
expect_fail "TC egress filter at handle 0x1b0f" nsx $A "$IPOP" load ea$T --ingress-hook xdp --tc-mode clsact --force --pin-path "$PIN"
nsx $A ip link show ea$T | grep -q 'name not_ipop' || fail "failed --force did not restore the replaced program"
[ ! -e "$PIN" ] || fail "failed --force left pins"
ok "a failed --force restores the program it replaced"
nsx $A tc qdisc del dev ea$T clsact
nsx $A "$IPOP" load ea$T --ingress-hook xdp --force --pin-path "$PIN"
nsx $A ip link show ea$T | grep -q 'name ipop_xdp' || fail "--force did not replace"
ok "--force replaced the foreign program"
nsx $A "$IPOP" unload ea$T --pin-path "$PIN"
nothing_left

# All-or-nothing: a filter already holding our egress handle makes the last
# step fail; the XDP attach and the new pins must be rolled back.
occupy_egress_handle
expect_fail "TC egress filter at handle 0x1b0f" nsx $A "$IPOP" load ea$T --ingress-hook xdp --tc-mode clsact --pin-path "$PIN"
nsx $A ip link show ea$T | grep -q 'prog/xdp' && fail "XDP attach not rolled back"
[ ! -e "$PIN" ] || fail "pins not rolled back"
ok "failed load rolled back XDP attach and pins"
nsx $A tc qdisc del dev ea$T clsact
echo PASS
