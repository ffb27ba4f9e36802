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
		-o "$bin" "$@" $(pkg-config --cflags --libs libsodium) >"$BUILD/fuzz-$name.build" 2>&1; then
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
fuzz cert tests/fuzz/fuzz_cert.c user/core/cert.c user/core/ident.c user/core/id.c
fuzz hs tests/fuzz/fuzz_hs.c user/core/hs.c user/core/cert.c user/core/ident.c user/core/id.c
fuzz modparam tests/fuzz/fuzz_modparam.c user/core/modparam.c user/core/node.c user/core/icc.c \
	user/core/id.c -ljansson
fuzz routing tests/fuzz/fuzz_routing.c user/modules/tlfm_wire.c user/modules/spdm_wire.c \
	user/modules/srum_wire.c user/core/icc.c user/core/id.c
fuzz sr tests/fuzz/fuzz_sr.c user/vpn/sr_wire.c user/core/id.c
fuzz ipfix_target tests/fuzz/fuzz_ipfix_target.c user/flow/ipfix_target.c
echo "fuzz: $pass passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
