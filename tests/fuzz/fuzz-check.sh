#!/usr/bin/env bash
# Bounded libFuzzer run of the ICC decoder (part of `make check`).
# Env: BUILD (default build), FUZZ_CHECK_SECS (default 20). Exit 0 pass, 1 crash, 249 skipped.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/fuzz-icc
SECS=${FUZZ_CHECK_SECS:-20}
[ -x "$BIN" ] || { echo "SKIP: $BIN not built (make fuzz-check builds it)"; exit 249; }
corpus=$(mktemp -d /tmp/ipop-fuzz.XXXXXX)
trap 'rm -rf "$corpus"' EXIT
cp "$(dirname "$0")"/corpus/* "$corpus"/ 2>/dev/null
if timeout $((SECS + 30)) "$BIN" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 \
	-artifact_prefix="$BUILD/fuzz-icc-" "$corpus" >"$BUILD/fuzz-icc.log" 2>&1; then
	echo "fuzz-icc: $(grep -Eo '#[0-9]+' "$BUILD/fuzz-icc.log" | tail -1 | tr -d '#') runs, no crash"
	exit 0
fi
tail -n 30 "$BUILD/fuzz-icc.log"
echo "FAIL: fuzz-icc found a crash (artifact in $BUILD/fuzz-icc-*)"
exit 1
