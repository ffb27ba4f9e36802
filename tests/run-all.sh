#!/usr/bin/env bash
# Every test suite `make check` runs, in order; a closing summary line.
#   layout-selftest  the include-direction check on made-up trees (tests/check_layout_test.sh)
#   layout  the include-direction check on user/  (tests/check_layout.sh)
#   unit  Criterion, userspace pieces        (build/unit-tests)
#   live  Criterion, in-process daemons      (build/live-tests: sockets, a loopback port)
#   bpf   Criterion, BPF_PROG_TEST_RUN        (build/bpf-tests)
#   fuzz  short bounded libFuzzer runs        (tests/fuzz/run.sh, if present)
#   sanitize  ASan+UBSan+LSan build: unit tests + a daemon test (tests/sanitize/run.sh)
#   net   namespace integration tests         (tests/net/run.sh)
set -u
cd "$(dirname "$0")/.."
: "${BUILD:=build}"
export BUILD
[ "$(id -u)" -eq 0 ] || { echo "make check needs root (BPF, namespaces)" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

passed=0 failed=0 skipped=0 bad_suites=()

# criterion SUITE BINARY: run it, add its synthesis to the totals
criterion() {
	local out rc syn
	echo "== $1"
	out=$("$2" -j2 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[(----|FAIL)\]|^pcaps:|^stats:|Synthesis' | tail -40
	syn=$(printf '%s\n' "$out" | grep 'Synthesis' | tail -1)
	if [ -z "$syn" ]; then
		failed=$((failed + 1)); bad_suites+=("$1(no synthesis)"); return
	fi
	local p f c
	p=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$syn")
	f=$(sed -E 's/.*Failing: ([0-9]+).*/\1/' <<<"$syn")
	c=$(sed -E 's/.*Crashing: ([0-9]+).*/\1/' <<<"$syn")
	passed=$((passed + p)); failed=$((failed + f + c))
	[ "$rc" -eq 0 ] && [ $((f + c)) -eq 0 ] || bad_suites+=("$1")
}

# script SUITE CMD: a runner whose last line is "SUITE: N passed, N failed, N skipped"
script() {
	local name=$1 out rc line
	shift
	echo "== $name"
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		failed=$((failed + 1)); bad_suites+=("$name(no summary)"); return
	fi
	passed=$((passed + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")))
	failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
	skipped=$((skipped + $(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line" | grep . || echo 0)))
	[ "$rc" -eq 0 ] || bad_suites+=("$name")
}

script layout-selftest tests/check_layout_test.sh
script layout tests/check_layout.sh
criterion unit "$BUILD/unit-tests"
criterion live "$BUILD/live-tests"
criterion bpf "$BUILD/bpf-tests"
[ -x tests/fuzz/run.sh ] && script fuzz tests/fuzz/run.sh
[ -x tests/sanitize/run.sh ] && script sanitize tests/sanitize/run.sh
script net tests/net/run.sh

echo
[ ${#bad_suites[@]} -eq 0 ] || echo "failing suites: ${bad_suites[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ ${#bad_suites[@]} -eq 0 ]
