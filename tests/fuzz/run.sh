#!/usr/bin/env bash
# Fuzz suite for `make check` (called by tests/run-all.sh) and `make fuzz`:
# builds each libFuzzer target (ASan + UBSan), runs it for a bounded time on
# its seed corpus (tests/fuzz/corpus-NAME), and prints
# "fuzz: N passed, N failed, N skipped". A target that does not build is a
# failure, not a skip.
#   FUZZ_CHECK_SECS=N   seconds per target (default: FUZZ_CHECK_TOTAL / targets, >= 5)
#   FUZZ_CHECK_TOTAL=N  the budget for all targets together (default 90)
#   FUZZ_ONLY=NAME      run only that target
#   FUZZ_KEEP=1         keep the grown corpus in $BUILD/fuzz-corpus-NAME (make fuzz)
#   FUZZ_SAN=ubsan      libFuzzer + UBSan only, no ASan/LSan (for a long run
#                       where ASan's cost decides; give it a BUILD of its own)
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
: "${FUZZ_CHECK_TOTAL:=90}"
export BUILD
pass=0 failed=0
mkdir -p "$BUILD"
names=()
declare -A srcs

# fuzz NAME SOURCES...: declare a target (built as $BUILD/fuzz-NAME)
fuzz() {
	local name=$1
	shift
	[ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$name" ] && return
	names+=("$name")
	srcs[$name]="$*"
}

# obj SRC: compile SRC once per run (sources shared by targets are built
# once); sets OBJ to the object file
declare -A built
CFLAGS_FUZZ="-g -O1 -std=gnu11 -D_GNU_SOURCE -Iuser -Ibpf -fno-sanitize-recover=undefined"
case ${FUZZ_SAN:-asan} in
asan) SAN=address,undefined ;;
ubsan) SAN=undefined ;;
*)
	echo "FUZZ_SAN: asan or ubsan" >&2
	exit 2
	;;
esac
obj() {
	OBJ=$BUILD/fuzz-obj/${1%.c}.o
	if [ -z "${built[$1]:-}" ]; then
		mkdir -p "$(dirname "$OBJ")"
		# shellcheck disable=SC2086
		${FUZZ_CC:-clang} $CFLAGS_FUZZ -fsanitize=fuzzer-no-link,$SAN \
			$(pkg-config --cflags libsodium jansson) -c "$1" -o "$OBJ" || return 1
		built[$1]=1
	fi
}

# run NAME SECS: build and run one target
run() {
	local name=$1 secs=$2 bin=$BUILD/fuzz-$1 corpus objs=() libs=() src
	for src in ${srcs[$name]}; do
		case $src in
		-*) libs+=("$src") ;; # a link flag (-ljansson)
		*)
			obj "$src" 2>>"$BUILD/fuzz-$name.build" || { objs=(); break; }
			objs+=("$OBJ")
			;;
		esac
	done
	# shellcheck disable=SC2086
	if [ ${#objs[@]} -eq 0 ] || ! ${FUZZ_CC:-clang} $CFLAGS_FUZZ \
		-fsanitize=fuzzer,$SAN -o "$bin" "${objs[@]}" "${libs[@]}" \
		$(pkg-config --libs libsodium jansson) >>"$BUILD/fuzz-$name.build" 2>&1; then
		cat "$BUILD/fuzz-$name.build"
		echo "FAIL: fuzz-$name does not build"
		failed=$((failed + 1))
		return
	fi
	if [ -n "${FUZZ_KEEP:-}" ]; then
		corpus=$BUILD/fuzz-corpus-$name
		mkdir -p "$corpus"
	else
		corpus=$(mktemp -d /tmp/ipop-fuzz.XXXXXX)
	fi
	[ -d "tests/fuzz/corpus-$name" ] && cp tests/fuzz/corpus-"$name"/* "$corpus"/ 2>/dev/null
	[ "$name" = icc ] && cp tests/fuzz/corpus/* "$corpus"/ 2>/dev/null
	if timeout $((secs + 30)) "$bin" -max_total_time="$secs" -timeout=5 \
		-rss_limit_mb=2048 -artifact_prefix="$BUILD/fuzz-$name-" "$corpus" \
		>"$BUILD/fuzz-$name.log" 2>&1; then
		echo "fuzz-$name: $(grep -Eo '#[0-9]+' "$BUILD/fuzz-$name.log" | tail -1 | tr -d '#') runs in ${secs}s, no crash"
		pass=$((pass + 1))
	else
		tail -n 30 "$BUILD/fuzz-$name.log"
		echo "FAIL: fuzz-$name found a crash (artifact in $BUILD/fuzz-$name-*)"
		failed=$((failed + 1))
	fi
	[ -n "${FUZZ_KEEP:-}" ] || rm -rf "$corpus"
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
# hardening: the datapath's packet parser, the flow-table rule parser, the
# daemon's config loader, the CMM payload, the control socket (framing + op
# arguments)
fuzz parse tests/fuzz/fuzz_parse.c
fuzz rule tests/fuzz/fuzz_rule.c user/flow/rule.c user/flow/fmt.c
fuzz dconf tests/fuzz/fuzz_dconf.c user/daemon/dconf.c user/daemon/dconf_check.c \
	user/daemon/vpnd_conf.c user/daemon/keyfile.c user/core/*.c user/modules/*.c
fuzz cmm tests/fuzz/fuzz_cmm.c user/core/*.c user/modules/*.c
# the vpn module's messages from other nodes
fuzz vpnmod tests/fuzz/fuzz_vpnmod.c user/core/*.c user/modules/*.c
fuzz linkwatch tests/fuzz/fuzz_linkwatch.c user/daemon/linkwatch.c user/daemon/loop.c
fuzz ctl tests/fuzz/fuzz_ctl.c user/daemon/ctl.c user/daemon/loop.c user/flow/rule.c \
	user/flow/fmt.c user/core/node.c

rm -rf "$BUILD/fuzz-obj" "$BUILD"/fuzz-*.build
n=${#names[@]}
secs=${FUZZ_CHECK_SECS:-$((n ? FUZZ_CHECK_TOTAL / n : 0))}
[ "$secs" -ge 5 ] || secs=5
for name in "${names[@]}"; do
	run "$name" "$secs"
done
echo "fuzz: $pass passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
