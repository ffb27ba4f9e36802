#!/usr/bin/env bash
# SMM broadcast on a converged Chord ring (ipop-sim smm): for N = 16 ..
# 100,000, messages per broadcast, duplicates, coverage (minimum over runs,
# of live nodes), mean and maximum depth, how many runs went deeper than
# ceil(log2 N); then with 5% and 20% of the nodes failed, before the ring
# repairs (links down, tables stale), after it repairs, and undetected (no
# link down yet: what is sent to a failed node is lost).
# Env: SIM (default build/ipop-sim), SMM_BENCH_SIZES (default "16 256 1000 10000 100000").
# Prints a table; exit 0, or 1 when a converged-ring target is missed.
set -u
SIM=${SIM:-build/ipop-sim}
SIZES=${SMM_BENCH_SIZES:-16 256 1000 10000 100000}
command -v jq >/dev/null || { echo "SKIP: jq needed"; exit 249; }
[ -x "$SIM" ] || { echo "SKIP: $SIM not built"; exit 249; }

runs_for() { case $1 in 16 | 256) echo 200 ;; 1000) echo 100 ;; 10000) echo 40 ;; *) echo 8 ;; esac; }

bad=0
printf '%-8s %-14s %5s %6s %11s %8s %5s %8s %6s %5s %5s %9s %7s\n' nodes view fail runs \
	messages extra dups coverage mdepth max log2 over_log2 wall_s
row() { # row N RUNS ARGS...
	local n=$1 r=$2
	shift 2
	local j
	j=$("$SIM" smm --nodes "$n" --runs "$r" --seed 1 --json "$@") || { echo "ipop-sim failed: $*"; bad=1; return; }
	jq -r '[.nodes, .view, .failed_fraction, .runs, (.messages*10|round/10), (.extra_messages*10|round/10),
		.duplicates, (.coverage*100000|floor/1000|tostring+"%"), (.mean_depth*100|round/100),
		.max_depth, .log2_nodes_ceil, .runs_over_log2, (.wall_s*100|round/100)] |
		@tsv' <<<"$j" | awk -F'\t' '{ printf "%-8s %-14s %5s %6s %11s %8s %5s %8s %6s %5s %5s %9s %7s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13 }'
	if [ $# -eq 0 ]; then # converged: the targets
		jq -e --argjson n "$n" '.messages == ($n - 1) and .max_messages == ($n - 1) and
			.duplicates == 0 and .coverage == 1 and .max_depth <= .log2_nodes_ceil + 1 and
			.runs_over_log2 <= .runs * 0.02' <<<"$j" >/dev/null || { echo "  ^ target missed"; bad=1; }
	fi
}

for n in $SIZES; do row "$n" "$(runs_for "$n")"; done
for f in 0.05 0.2; do
	for n in $SIZES; do
		r=$(runs_for "$n")
		row "$n" "$r" --fail "$f"
		row "$n" "$r" --fail "$f" --repair
		row "$n" "$r" --fail "$f" --undetected
	done
done
exit $bad
