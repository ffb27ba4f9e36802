#!/usr/bin/env bash
# The README's main command as a new user types it: copy the tracked files
# (what a fresh clone has, with any uncommitted edits) into an empty
# directory with nothing built, run `make demo` there, and check that it
# got to the end and left nothing behind.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d /tmp/ipop-demo.XXXXXX)
trap 'rm -rf "$dir"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$dir"
[ ! -e "$dir/build" ] || { echo "FAIL: the copy already has build/" >&2; exit 1; }
before_ns=$(ip netns list | grep -c '^demo-' || true)
out=$(make -C "$dir" -j2 --no-print-directory demo 2>&1) || {
	printf '%s\n' "$out" | tail -30
	echo "FAIL: make demo failed in a fresh copy" >&2
	exit 1
}
printf '%s\n' "$out" | tail -5
grep -q 'namespaces removed on exit' <<<"$out" || { echo "FAIL: the demo did not reach its end" >&2; exit 1; }
grep -q 'udp' <<<"$out" || { echo "FAIL: the demo's flow table shows no UDP flow" >&2; exit 1; }
grep -qE '^ipop-vx0 ingress .* tcp .* [0-9a-f]{8}>[0-9a-f]{8}$' <<<"$out" ||
	{ echo "FAIL: E's flow table on ipop-vx0 shows no TCP flow with overlay node IDs" >&2; exit 1; }
after_ns=$(ip netns list | grep -c '^demo-' || true)
[ "$after_ns" -le "$before_ns" ] || { echo "FAIL: the demo left namespaces behind" >&2; exit 1; }
echo "ok - make demo from a fresh copy"
