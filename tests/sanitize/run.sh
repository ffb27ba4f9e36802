#!/usr/bin/env bash
# Sanitizer suite for `make check` (called by tests/run-all.sh): builds the
# userspace with ASan + UBSan (+ LSan) into $BUILD/asan (make asan-build),
# runs the unit tests and the daemon integration test
# tests/net/test_daemon_tables.sh with it, and fails on any sanitizer report:
# a step fails on a non-zero exit (-fno-sanitize-recover=all, abort_on_error)
# and on a report in its output or in a daemon log it wrote, even if the
# process that wrote it exited 0.
# Prints "sanitize: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
ABUILD=$BUILD/asan
pass=0 failed=0

start=$(date +%s)
if ! ${MAKE:-make} -j2 --no-print-directory asan-build BUILD="$BUILD" >"$BUILD/asan-build.log" 2>&1; then
	tail -n 30 "$BUILD/asan-build.log"
	echo "FAIL: the sanitizer build failed (log: $BUILD/asan-build.log)"
	echo "sanitize: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
echo "asan-build: $(($(date +%s) - start))s"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0"
SIGNS='runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer'
mkdir -p "$BUILD/net-logs"
stamp=$(mktemp /tmp/ipop-sanitize.XXXXXX)
trap 'rm -f "$stamp"' EXIT

# check NAME CMD...: run it once; sets rc, out and found (a sanitizer report
# in its output or in a daemon log written meanwhile)
check() {
	local logs
	touch "$stamp"
	out=$("$@" 2>&1)
	rc=$?
	logs=$(find "$BUILD/net-logs" -name 'daemon-*.log' -newer "$stamp" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -n "$logs" ] && out+=$'\n'$(cat $logs)
	found=0
	printf '%s\n' "$out" | grep -Eq "$SIGNS" && found=1
}

# step NAME TRIES CMD...: passes if it exits 0 and nothing reported. A
# sanitizer report fails at once; a plain failure is retried up to TRIES
# times in all (the instrumented daemon is slower, and timing-bound checks
# of an integration test can miss under load)
step() {
	local name=$1 tries=$2 s0=$(date +%s) try=1 rc out found
	shift 2
	check "$@"
	while [ "$rc" -ne 0 ] && [ "$found" -eq 0 ] && [ "$try" -lt "$tries" ]; do
		echo "retry $name: failed without a sanitizer report:"
		printf '%s\n' "$out" | grep -E '^FAIL' | head -n 3 | sed 's/^/    /'
		try=$((try + 1))
		check "$@"
	done
	if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $name ($(($(date +%s) - s0))s, try $try)"
	else
		failed=$((failed + 1))
		echo "FAIL $name (rc $rc, $(($(date +%s) - s0))s):"
		printf '%s\n' "$out" | grep -E -A12 "$SIGNS|^\[FAIL|^FAIL" | head -n 60 |
			sed 's/^/    /'
	fi
}

# criterion forks a process per test; --jobs 2 keeps within the budget
step unit 1 "$ABUILD/unit-tests" -j2
# the daemon under ASan, the test's tools (udpsend) from the normal build;
# it uses fixed addresses only inside its own namespaces, like the net suite
# (on a shared machine, run the whole suite under the net lock)
step daemon_tables 2 env BUILD="$BUILD" IPOP="$ABUILD/ipop-bpf" \
	bash tests/net/test_daemon_tables.sh
echo "sanitize: $pass passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
