#!/usr/bin/env bash
# Sanitizer suite for `make check` (called by tests/run-all.sh): builds the
# userspace with ASan + UBSan (+ LSan) into $BUILD/asan (make asan-build),
# runs the unit tests and the daemon integration test
# tests/net/test_daemon_tables.sh with it, and fails on any sanitizer report
# (each process writes its reports to $BUILD/asan/reports/*.PID; one file is
# a failure even when the process that wrote it exited 0).
# Prints "sanitize: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
ABUILD=$BUILD/asan
REPORTS=$ABUILD/reports
pass=0 failed=0

start=$(date +%s)
if ! ${MAKE:-make} -j2 --no-print-directory asan-build BUILD="$BUILD" >"$BUILD/asan-build.log" 2>&1; then
	tail -n 30 "$BUILD/asan-build.log"
	echo "FAIL: the sanitizer build failed (log: $BUILD/asan-build.log)"
	echo "sanitize: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
echo "asan-build: $(($(date +%s) - start))s"
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:log_path=$REPORTS/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$REPORTS/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0"

# reports NAME: fail NAME if anything wrote a report since the last call
reports() {
	local f n=0
	for f in "$REPORTS"/*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		echo "--- $f"
		head -n 40 "$f"
		mv "$f" "$f.seen"
	done
	[ "$n" -eq 0 ] || echo "FAIL: $1: $n sanitizer report(s)"
	return "$n"
}

# step NAME CMD...: run it; it passes if it exits 0 and nothing reported
step() {
	local name=$1 out rc s0=$(date +%s)
	shift
	out=$("$@" 2>&1)
	rc=$?
	if reports "$name" && [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $name ($(($(date +%s) - s0))s)"
	else
		failed=$((failed + 1))
		echo "FAIL $name (rc $rc); last lines:"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	fi
}

# criterion forks a process per test; --jobs 2 keeps within the budget
step unit "$ABUILD/unit-tests" -j2
# the daemon under ASan, the test's tools (udpsend) from the normal build
step daemon_tables env BUILD="$BUILD" IPOP="$ABUILD/ipop-bpf" \
	flock /tmp/ipop-net.lock bash tests/net/test_daemon_tables.sh
echo "sanitize: $pass passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
