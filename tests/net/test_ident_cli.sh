#!/usr/bin/env bash
# The identity commands end to end (no namespace, no daemon): key gen, ca
# init, ca sign, cert show; file modes; the node ID derived from the key;
# every bad input named in the error; a certificate checked against its CA
# and refused by another.
# Env: IPOP=path/to/ipop-bpf (default build/ipop-bpf). Exit: 0 pass, 1 fail.
set -u
IPOP=${IPOP:-build/ipop-bpf}
T=$(mktemp -d /tmp/ipop-ident.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || fail "python3 is needed (tests/deps.sh installs it)"

# expect_err WORD CMD...: the command fails and its error names WORD
expect_err() {
	local want=$1 out
	shift
	out=$("$@" 2>&1) && fail "'$*' succeeded"
	echo "$out" | grep -qF -- "$want" || fail "'$*' said '$out', expected it to name '$want'"
}

out=$("$IPOP" ca init --out "$T/ca.key") || fail "ca init: $out"
"$IPOP" ca init --out "$T/ca2.key" >/dev/null || fail "ca init 2"
id=$("$IPOP" key gen --out "$T/n1.key" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["node_id"])') ||
	fail "key gen"
[ "$(stat -c %a "$T/n1.key")" = 600 ] || fail "private key mode is $(stat -c %a "$T/n1.key")"
[ "$(stat -c %a "$T/ca.key")" = 600 ] || fail "CA key mode is $(stat -c %a "$T/ca.key")"
[ "$(stat -c %a "$T/n1.key.pub")" = 644 ] || fail "public key mode"
# the ID is BLAKE2b-256(public key)[0..16), computed here independently
want=$(python3 -c 'import hashlib,sys; k=bytes.fromhex(open(sys.argv[1]).read().split()[1]); print(hashlib.blake2b(k, digest_size=32).hexdigest()[:32])' "$T/n1.key.pub")
[ "$id" = "$want" ] || fail "node ID $id, expected $want"
echo "ok: key pairs written (0600/0644), node ID = BLAKE2b(pub)"

"$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name node-1 --addr 10.1.0.1/24 \
	--addr fd00::1/64 --group servers --days 30 --out "$T/n1.crt" >/dev/null || fail "ca sign"
j=$("$IPOP" cert show "$T/n1.crt" --ca "$T/ca.key.pub" --json) || fail "cert show: $j"
python3 - "$j" "$id" <<'PY' || fail "cert show printed $j"
import json, sys
c = json.loads(sys.argv[1])
assert c["node_id"] == sys.argv[2], c
assert c["name"] == "node-1" and c["groups"] == ["servers"], c
assert c["addresses"] == ["10.1.0.1/24", "fd00::1/64"], c
assert c["status"] == "ok", c
PY
"$IPOP" cert show "$T/n1.crt" | grep -q "^name  *node-1$" || fail "cert show text"
out=$("$IPOP" cert show "$T/n1.crt" --ca "$T/ca2.key.pub" --json) && fail "another CA accepted"
echo "$out" | grep -q '"status":"untrusted_ca"' || fail "another CA: $out"
echo "ok: ca sign, cert show, checked against its CA and refused by another"

"$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name n --not-after 2099-01-01 \
	--out "$T/n2.crt" >/dev/null || fail "--not-after"
"$IPOP" cert show "$T/n2.crt" --json | grep -q '"not_after":"2099-01-01T00:00:00Z"' || fail "not_after"
expect_err "is a private key" "$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key" --name n --out "$T/x"
expect_err "--name 'a b'" "$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name "a b" --out "$T/x"
expect_err "--addr '10.1/8'" "$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name n --addr 10.1/8 --out "$T/x"
expect_err "--group 'a/b'" "$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name n --group a/b --out "$T/x"
expect_err "--not-after 'soon'" "$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name n --not-after soon --out "$T/x"
expect_err "in the past" "$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name n --not-after 2001-01-01 --out "$T/x"
expect_err "not both" "$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name n --days 3 --not-after 2099-01-01 --out "$T/x"
expect_err "required" "$IPOP" ca sign --ca "$T/ca.key" --name n --out "$T/x"
expect_err "refusing to overwrite" "$IPOP" key gen --out "$T/n1.key"
expect_err "$T/nosuch" "$IPOP" ca sign --ca "$T/nosuch" --pub "$T/n1.key.pub" --name n --out "$T/x"
expect_err "unknown action 'bogus'" "$IPOP" ca bogus
chmod 640 "$T/ca.key"
expect_err "chmod 600 $T/ca.key" "$IPOP" ca sign --ca "$T/ca.key" --pub "$T/n1.key.pub" --name n --out "$T/x"
chmod 600 "$T/ca.key"
[ -e "$T/x" ] && fail "a failed sign left $T/x"
head -c 100 "$T/n1.crt" >"$T/trunc.crt"
expect_err "truncated" "$IPOP" cert show "$T/trunc.crt"
printf 'XXXX' | cat - "$T/n1.crt" | head -c "$(stat -c %s "$T/n1.crt")" >"$T/magic.crt"
expect_err "bad magic" "$IPOP" cert show "$T/magic.crt"
cp "$T/n1.crt" "$T/flip.crt"
printf '\x01' | dd of="$T/flip.crt" bs=1 seek=100 conv=notrunc status=none
expect_err "bad_signature" "$IPOP" cert show "$T/flip.crt" --ca "$T/ca.key.pub" --json
echo "ok: bad inputs named"
echo "PASS"
