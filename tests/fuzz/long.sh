#!/usr/bin/env bash
# The long fuzz run reported in README.md ("Fuzzing"): each target, one at a
# time, until N executions (default 10 million) or a time cap, whichever
# comes first, on the corpus `make fuzz` keeps in $BUILD/fuzz-corpus-NAME
# (build the targets first: make fuzz FUZZ_SECS=5). Prints one Markdown
# table row per target:
#   | target | executions | time (s) | crashes | corpus (files) | sanitizers | date |
# (sanitizers: "ASan+UBSan", or "UBSan" for a FUZZ_SAN=ubsan build, see run.sh)
# and exits 1 if any target crashed (artifacts in $BUILD/fuzz-long-NAME-*).
#   tests/fuzz/long.sh [NAME...]      default: every $BUILD/fuzz-* binary
#   FUZZ_RUNS=N   executions per target (default 10000000)
#   FUZZ_CAP=S    at most S seconds per target (default 3600)
# ASan keeps freed memory in quarantine (256 MiB by default) and records a
# 30-frame stack at each malloc and free; for millions of inputs that work
# on small JSON objects, that bookkeeping is most of the time. The long run
# uses a 16 MiB quarantine and 5-frame allocation stacks (a report still
# names the bad access with its whole stack; ASAN_OPTIONS overrides).
set -u
cd "$(dirname "$0")/../.." || exit 2
: "${BUILD:=build}" "${FUZZ_RUNS:=10000000}" "${FUZZ_CAP:=3600}"
: "${ASAN_OPTIONS:=quarantine_size_mb=16:malloc_context_size=5}"
export ASAN_OPTIONS
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for b in "$BUILD"/fuzz-*; do
		[ -x "$b" ] && [ -f "$b" ] && names+=("${b#"$BUILD"/fuzz-}")
	done
fi
crashed=0
for name in "${names[@]}"; do
	bin=$BUILD/fuzz-$name corpus=$BUILD/fuzz-corpus-$name log=$BUILD/fuzz-long-$name.log
	[ -x "$bin" ] || { echo "| $name | not built | | | | | |"; crashed=1; continue; }
	san=UBSan
	[ "$(nm "$bin" 2>/dev/null | grep -c ' __asan_init$')" -gt 0 ] && san=ASan+UBSan
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus-$name" ] && cp -n tests/fuzz/corpus-"$name"/* "$corpus"/ 2>/dev/null
	start=$(date +%s)
	"$bin" -runs="$FUZZ_RUNS" -max_total_time="$FUZZ_CAP" -timeout=5 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$BUILD/fuzz-long-$name-" "$corpus" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	crashes=0
	[ "$rc" -eq 0 ] || { crashes=1; crashed=1; }
	echo "| $name | ${execs:-?} | $secs | $crashes | $(find "$corpus" -type f | wc -l) | $san | $(date -u +%F) |"
done
exit $crashed
