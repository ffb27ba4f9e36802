#!/usr/bin/env bash
# Fuzz suite for `make check` (called by tests/run-all.sh): builds each
# libFuzzer target (ASan + UBSan), runs it for a bounded time on its seed
# corpus, and prints "fuzz: N passed, N failed, N skipped". A target that
# does not build is a failure, not a skip.
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
: "${FUZZ_CHECK_SECS:=12}"
export BUILD
pass=0 failed=0
mkdir -p "$BUILD"

# fuzz NAME SOURCES...: build $BUILD/fuzz-NAME and run it
fuzz() {
	local name=$1 bin=$BUILD/fuzz-$1 corpus
	shift
	if ! ${FUZZ_CC:-clang} -g -O1 -std=gnu11 -D_GNU_SOURCE -Iuser -Ibpf \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o "$bin" "$@" $(pkg-config --cflags --libs libsodium jansson libbpf) \
		>"$BUILD/fuzz-$name.build" 2>&1; then
		cat "$BUILD/fuzz-$name.build"
		echo "FAIL: fuzz-$name does not build"
		failed=$((failed + 1))
		return
	fi
	corpus=$(mktemp -d /tmp/ipop-fuzz.XXXXXX)
	[ -d "tests/fuzz/corpus-$name" ] && cp tests/fuzz/corpus-"$name"/* "$corpus"/ 2>/dev/null
	[ "$name" = icc ] && cp tests/fuzz/corpus/* "$corpus"/ 2>/dev/null
	if timeout $((FUZZ_CHECK_SECS + 30)) "$bin" -max_total_time="$FUZZ_CHECK_SECS" -timeout=5 \
		-rss_limit_mb=2048 -artifact_prefix="$BUILD/fuzz-$name-" "$corpus" \
		>"$BUILD/fuzz-$name.log" 2>&1; then
		echo "fuzz-$name: $(grep -Eo '#[0-9]+' "$BUILD/fuzz-$name.log" | tail -1 | tr -d '#') runs in ${FUZZ_CHECK_SECS}s, no crash"
		pass=$((pass + 1))
	else
		tail -n 30 "$BUILD/fuzz-$name.log"
		echo "FAIL: fuzz-$name found a crash (artifact in $BUILD/fuzz-$name-*)"
		failed=$((failed + 1))
	fi
	rm -rf "$corpus"
}

fuzz icc tests/fuzz/fuzz_icc.c user/core/icc.c user/core/id.c
fuzz overlay tests/fuzz/fuzz_overlay.c user/modules/topology_wire.c user/modules/smm_wire.c \
	user/core/icc.c user/core/id.c
# hardening: the datapath's packet parser, the rule parser, the daemon's
# config loader, the CMM payload, the control socket (framing + op arguments)
fuzz parse tests/fuzz/fuzz_parse.c
fuzz rule tests/fuzz/fuzz_rule.c user/flow/rule.c user/flow/fmt.c
echo "fuzz: $pass passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
