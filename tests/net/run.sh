#!/usr/bin/env bash
# Run every tests/net/test_*.sh (each makes and removes its own namespaces).
# Prints one line per test and a closing "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
export BUILD IPOP="${IPOP:-$BUILD/ipop-bpf}"
pass=0 failed=0 skipped=0
log=$BUILD/net-logs
mkdir -p "$log"
for t in tests/net/test_*.sh; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	timeout -k 10 300 bash "$t" >"$log/$name.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	249) skipped=$((skipped + 1)); echo "SKIP $name: $(grep '^SKIP' "$log/$name.log" | tail -1)" ;;
	*) failed=$((failed + 1)); echo "FAIL $name (rc $rc, ${secs}s); last lines:"; tail -15 "$log/$name.log" | sed 's/^/    /' ;;
	esac
done
echo "net: $pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
