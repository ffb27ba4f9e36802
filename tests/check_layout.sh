#!/usr/bin/env bash
# The include-direction check (docs/design.md, "Components").
#   tests/check_layout.sh [ROOT]     ROOT: the tree to check (default: this repository)
# Reads the `#include "..."` lines of ROOT/user/**/*.[ch]; every violation is one line
#   FILE:LINE: X may not include Y
# and the closing line is "layout: N passed, N failed" (one per file). Exit 1 on any violation.
#
# The rule: an include is written from user/ ("core/node.h") and names a component that the
# including component may depend on; a component may include its own files; the kernel/user
# ABI headers of bpf/ ("flow.h") and generated skeletons ("*.skel.h") are allowed everywhere.
set -u
root=${1:-$(dirname "$0")/..}
[ -d "$root/user" ] || { echo "check_layout: no $root/user" >&2; exit 2; }

# Component -> the components it may include (besides itself). Keep in step with
# docs/design.md.
declare -A may=(
	[cli]="daemon sim flow vpn core modules"
	[daemon]="modules core flow vpn"
	[sim]="modules core"
	[modules]="core"
	[vpn]="core flow"
	[core]=""
	[flow]=""
)

allowed() { # allowed FROM TO
	[ "$1" = "$2" ] && return 0
	case " ${may[$1]} " in *" $2 "*) return 0 ;; esac
	return 1
}

components=$(printf '%s\n' "${!may[@]}" | sort | paste -sd,)
passed=0 failed=0
while IFS= read -r -d '' file; do
	rel=${file#"$root"/}
	sub=${rel#user/}
	bad=0
	if [ "$sub" = "${sub#*/}" ]; then
		echo "$rel:1: outside every component folder (user/{$components}/)"
		failed=$((failed + 1))
		continue
	elif [ -z "${may[${sub%%/*}]+x}" ]; then
		echo "$rel:1: ${sub%%/*} is not a component (user/{$components}/)"
		failed=$((failed + 1))
		continue
	fi
	from=${sub%%/*}
	while IFS=: read -r line inc; do
		to=${inc%%/*}
		if [ "$inc" = "$to" ]; then # no slash: an ABI header, a skeleton, or a mistake
			case $inc in
			*.skel.h) continue ;;
			*.h) [ -f "$root/bpf/$inc" ] && continue ;;
			esac
			echo "$rel:$line: $from may not include $inc (write includes from user/, e.g. $from/$inc)"
		elif [[ "/$inc/" == */../* || "/$inc/" == */./* ]]; then
			echo "$rel:$line: $from may not include $inc (write includes from user/, no . or ..)"
		elif [ -z "${may[$to]+x}" ]; then
			echo "$rel:$line: $from may not include $inc ($to is not a component)"
		elif allowed "$from" "$to"; then
			continue
		else
			echo "$rel:$line: $from may not include $to ($inc)"
		fi
		bad=1
	done < <(awk '/^[ \t]*#[ \t]*include[ \t]*"/ {
		s = $0; sub(/^[^"]*"/, "", s); sub(/".*/, "", s); print FNR ":" s }' "$file")
	if [ "$bad" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done < <(find "$root/user" -type f -name '*.[ch]' -print0 | sort -z)

echo "layout: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
