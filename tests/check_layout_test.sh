#!/usr/bin/env bash
# Self-test of tests/check_layout.sh: temporary trees with one violation of each kind must fail
# with the expected line, a clean tree must pass, and every pair of components must be judged
# as the table below (written out again here, from docs/design.md, on purpose) says.
# Closing line: "layout-selftest: N passed, N failed".
set -u
check=$(cd "$(dirname "$0")" && pwd)/check_layout.sh
tmp=$(mktemp -d /tmp/ipop-layout.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL $*"; }

# tree NAME FILE:CONTENT...: a fresh tree with bpf/flow.h and the given files
tree() {
	local d=$tmp/$1 f
	shift
	mkdir -p "$d/bpf" "$d/user"
	echo '/* ABI */' >"$d/bpf/flow.h"
	for f in "$@"; do
		mkdir -p "$d/$(dirname "${f%%=*}")"
		printf '%b\n' "${f#*=}" >"$d/${f%%=*}"
	done
	echo "$d"
}

# expect_fail NAME EXPECTED-LINE FILE=CONTENT...
expect_fail() {
	local name=$1 want=$2 d out rc
	shift 2
	d=$(tree "$name" "$@")
	out=$("$check" "$d" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && grep -qxF -- "$want" <<<"$out" && grep -q '^layout: .* [1-9][0-9]* failed$' <<<"$out"; then
		ok
	else
		ko "$name: want exit 1 and '$want', got rc $rc:"
		sed 's/^/    /' <<<"$out"
	fi
}

# expect_pass NAME FILE=CONTENT...
expect_pass() {
	local name=$1 d out rc
	shift
	d=$(tree "$name" "$@")
	out=$("$check" "$d" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^layout: [1-9][0-9]* passed, 0 failed$' <<<"$out"; then
		ok
	else
		ko "$name: want a pass, got rc $rc:"
		sed 's/^/    /' <<<"$out"
	fi
}

# A clean tree: own files, allowed directions, ABI header, skeleton, angle brackets, comments.
expect_pass clean \
	'user/core/node.h=#include "core/id.h"\n#include "flow.h"' \
	'user/core/id.h=#include <stdint.h>' \
	'user/modules/cmm.c=#include "core/node.h"\n#include "modules/cmm.h"' \
	'user/modules/cmm.h=/* #include "cli/cli.h" is a comment, not an include */' \
	'user/flow/loader.c=#include "flow/loader.h"\n#include "ipop_flow.skel.h"\n# include "flow.h"' \
	'user/flow/loader.h=' \
	'user/vpn/vpn.c=#include "core/node.h"' \
	'user/sim/sim.c=#include "modules/cmm.h"\n#include "core/node.h"' \
	'user/daemon/d.c=#include "modules/cmm.h"\n#include "flow/loader.h"\n#include "vpn/vpn.h"' \
	'user/cli/main.c=#include "daemon/d.h"\n#include "sim/sim.h"\n#include "vpn/vpn.h"'

# One violation of each kind; each tree is otherwise clean.
expect_fail upward 'user/flow/pins.c:2: flow may not include cli (cli/cli.h)' \
	'user/flow/pins.c=#include "flow/pins.h"\n#include "cli/cli.h"' 'user/cli/cli.h='
expect_fail sideways 'user/sim/s.c:1: sim may not include daemon (daemon/daemon.h)' \
	'user/sim/s.c=#include "daemon/daemon.h"'
expect_fail core_up 'user/core/node.c:1: core may not include modules (modules/cmm.h)' \
	'user/core/node.c=#include "modules/cmm.h"'
expect_fail vpn_modules 'user/vpn/dp.c:1: vpn may not include modules (modules/srum.h)' \
	'user/vpn/dp.c=#include "modules/srum.h"'
expect_fail header_too 'user/daemon/flowd.h:3: daemon may not include cli (cli/cli.h)' \
	'user/daemon/flowd.h=#include "flow/stats.h"\n\n  #  include "cli/cli.h" // spaced'
expect_fail loose_file 'user/extra.c:1: outside every component folder (user/{cli,core,daemon,flow,modules,sim,vpn}/)' \
	'user/extra.c=int x;'
expect_fail old_folder 'user/framework/node.h:1: framework is not a component (user/{cli,core,daemon,flow,modules,sim,vpn}/)' \
	'user/framework/node.h='
expect_fail unknown_target 'user/modules/m.c:1: modules may not include framework/ctl.h (framework is not a component)' \
	'user/modules/m.c=#include "framework/ctl.h"'
expect_fail bare_name 'user/core/node.c:1: core may not include node.h (write includes from user/, e.g. core/node.h)' \
	'user/core/node.c=#include "node.h"' 'user/core/node.h='
expect_fail dotdot 'user/modules/m.c:1: modules may not include ../cli/cli.h (write includes from user/, no . or ..)' \
	'user/modules/m.c=#include "../cli/cli.h"'
expect_fail dotdot_inside 'user/cli/c.c:1: cli may not include core/../cli/x.h (write includes from user/, no . or ..)' \
	'user/cli/c.c=#include "core/../cli/x.h"'

# Every ordered pair of components: allowed exactly when the rule says so.
declare -A rule=(
	[cli]="cli daemon sim flow vpn core modules"
	[daemon]="daemon modules core flow vpn"
	[sim]="sim modules core"
	[modules]="modules core"
	[vpn]="vpn core flow"
	[core]="core"
	[flow]="flow"
)
for from in "${!rule[@]}"; do
	for to in "${!rule[@]}"; do
		case " ${rule[$from]} " in
		*" $to "*) expect_pass "pair-$from-$to" "user/$from/a.c=#include \"$to/b.h\"" "user/$to/b.h=" ;;
		*) expect_fail "pair-$from-$to" "user/$from/a.c:1: $from may not include $to ($to/b.h)" \
			"user/$from/a.c=#include \"$to/b.h\"" "user/$to/b.h=" ;;
		esac
	done
done

# A missing tree is an error, not a pass.
if "$check" "$tmp/none" >/dev/null 2>&1; then ko "missing tree passed"; else ok; fi

echo "layout-selftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
