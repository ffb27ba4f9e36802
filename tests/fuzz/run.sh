#!/usr/bin/env bash
# Fuzz suite for `make check` (called by tests/run-all.sh): builds the ICC
# decoder fuzzer if needed, runs it for a bounded time, and prints
# "fuzz: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
export BUILD
pass=0 failed=0 skipped=0
bin=$BUILD/fuzz-icc
if [ ! -x "$bin" ] || [ -n "$(find tests/fuzz/fuzz_icc.c user/framework/icc.[ch] user/framework/id.[ch] -newer "$bin" 2>/dev/null)" ]; then
	mkdir -p "$BUILD"
	${FUZZ_CC:-clang} -g -O1 -std=gnu11 -D_GNU_SOURCE -Iuser \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o "$bin" tests/fuzz/fuzz_icc.c user/framework/icc.c user/framework/id.c \
		$(pkg-config --cflags --libs libsodium) || rm -f "$bin"
fi
tests/fuzz/fuzz-check.sh
case $? in
0) pass=1 ;;
249) skipped=1 ;;
*) failed=1 ;;
esac
echo "fuzz: $pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
