#!/usr/bin/env bash
# Unstructured overlay routing (ipop-sim tlfm|spdm|srum) on Barabasi-Albert
# (m = 3), Erdos-Renyi and Watts-Strogatz (k = 6, beta = 0.1) graphs of
# N nodes, mean degree 6, over SEEDS seeds:
#   TLFM: coverage (mean and minimum), transmissions, duplicates and depth
#         at budgets B = N, 2N, 4N; every run must stay within B - 1;
#   SPDM: discovered / reachable pairs, hop stretch against BFS (median and
#         95th percentile), messages and latency per discovery;
#   SRUM: delivery ratio to Zipf(1.0) destinations with 1% of the links
#         failing per simulated minute, cache hit rate, route errors,
#         discoveries, salvages, loops;
# then events per second and peak memory of each scenario at BIG nodes.
# Env: SIM (build/ipop-sim), ROUTING_NODES (10000), ROUTING_SEEDS (5),
#   ROUTING_PAIRS (100), ROUTING_MESSAGES (300), ROUTING_BIG (100000; 0 skips),
#   ROUTING_BIG_PAIRS (5), ROUTING_BIG_MESSAGES (20): the runs at BIG nodes;
#   ROUTING_ONLY (tlfm, spdm, srum or big: that table only).
# SPDM targets per run; SRUM's delivery target over the seeds together.
# Prints tables; exit 0, or 1 when a target is missed.
set -u
SIM=${SIM:-build/ipop-sim}
N=${ROUTING_NODES:-10000}
SEEDS=${ROUTING_SEEDS:-5}
PAIRS=${ROUTING_PAIRS:-100}
MSGS=${ROUTING_MESSAGES:-300}
BIG=${ROUTING_BIG:-100000}
BIG_PAIRS=${ROUTING_BIG_PAIRS:-5}
BIG_MSGS=${ROUTING_BIG_MESSAGES:-20}
ONLY=${ROUTING_ONLY:-}
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
command -v jq >/dev/null || { echo "SKIP: jq needed"; exit 249; }
[ -x "$SIM" ] || { echo "SKIP: $SIM not built"; exit 249; }
bad=0
miss() { echo "  ^ target missed: $*"; bad=1; }

# thresholds by graph at B = N, 2N, 4N
want() { case $1 in ws) echo "0.40 0.70 0.95" ;; *) echo "0.60 0.85 0.99" ;; esac; }

if part tlfm; then
echo "## TLFM: coverage by budget (N = $N, $SEEDS seeds)"
printf '%-5s %-7s %9s %9s %10s %10s %6s %6s\n' graph budget cov_mean cov_min messages duplicates depth bound
for g in ba er ws; do
	read -r w1 w2 w4 <<<"$(want $g)"
	for mult in 1 2 4; do
		b=$((mult * N))
		all=""
		for s in $(seq 1 "$SEEDS"); do
			j=$("$SIM" tlfm --graph $g --nodes "$N" --tokens "$b" --seed "$s" --json) || { miss "tlfm $g $s"; continue; }
			all="$all$j"$'\n'
		done
		jq -rs --arg g $g --arg m "${mult}N" '[$g, $m, ((map(.coverage)|add/length)*1000|round/1000),
			(map(.coverage)|min*1000|round/1000), (map(.messages)|add/length|round),
			(map(.duplicates)|add/length|round), (map(.max_depth)|max),
			(if all(.within_budget) then "ok" else "OVER" end)] | @tsv' <<<"$all" |
			awk -F'\t' '{ printf "%-5s %-7s %9s %9s %10s %10s %6s %6s\n", $1,$2,$3,$4,$5,$6,$7,$8 }'
		t=$(case $mult in 1) echo "$w1" ;; 2) echo "$w2" ;; *) echo "$w4" ;; esac)
		jq -es --argjson t "$t" '(map(.coverage)|add/length) >= $t and all(.within_budget)' <<<"$all" >/dev/null ||
			miss "tlfm $g ${mult}N coverage >= $t and within budget"
	done
	j=$("$SIM" tlfm --graph $g --nodes "$N" --plain --json)
	jq -r '"      plain flood: \(.messages) messages (2|E| - (N-1) = \(2 * .edges - (.nodes - 1))), coverage \(.coverage)"' <<<"$j"
	jq -e '.coverage < 1 or .messages == 2 * .edges - (.nodes - 1)' <<<"$j" >/dev/null || miss "plain flood count"
done

fi

if part spdm; then
echo
echo "## SPDM: discovery ($PAIRS pairs per run, N = $N, $SEEDS seeds)"
printf '%-5s %5s %10s %10s %13s %11s %11s %9s %10s\n' graph seed reachable discovered stretch_med stretch_p95 messages max_hops latency_ms
for g in ba er ws; do
	all=""
	for s in $(seq 1 "$SEEDS"); do
		j=$("$SIM" spdm --graph $g --nodes "$N" --pairs "$PAIRS" --seed "$s" --json) || { miss "spdm $g $s"; continue; }
		all="$all$j"$'\n'
		jq -r '[.graph, .seed, .reachable, .discovered, (.stretch_median*100|round/100), (.stretch_p95*100|round/100),
			(.messages|round), .max_hops, (.latency_ms_median|round)] | @tsv' <<<"$j" |
			awk -F'\t' '{ printf "%-5s %5s %10s %10s %13s %11s %11s %9s %10s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9 }'
		jq -e '.discovered == .reachable and .stretch_median <= 1.25 and .stretch_p95 <= 2.0' <<<"$j" >/dev/null ||
			miss "spdm $g seed $s: every reachable pair, stretch median <= 1.25, p95 <= 2.0"
	done
	jq -rs --arg g $g '[$g, "all", (map(.reachable)|add), (map(.discovered)|add),
		(map(.stretch_median)|add/length*100|round/100), (map(.stretch_p95)|max*100|round/100),
		(map(.messages)|add/length|round), (map(.max_hops)|max), (map(.latency_ms_median)|add/length|round)] | @tsv' <<<"$all" |
		awk -F'\t' '{ printf "%-5s %5s %10s %10s %13s %11s %11s %9s %10s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9 }'
done

fi

if part srum; then
echo
echo "## SRUM: delivery under 1%/min link churn ($MSGS messages per run, Zipf(1.0), N = $N, $SEEDS seeds)"
printf '%-5s %5s %7s %9s %9s %9s %8s %11s %8s %6s %9s\n' graph seed sent delivered ratio hit_rate rerrs discoveries salvaged loops events/msg
for g in ba er ws; do
	all=""
	for s in $(seq 1 "$SEEDS"); do
		j=$("$SIM" srum --graph $g --nodes "$N" --messages "$MSGS" --link-churn 0.01 --seed "$s" --json) || { miss "srum $g $s"; continue; }
		all="$all$j"$'\n'
		jq -r '[.graph, .seed, .sent_reachable, .delivered, (.delivery_ratio*10000|floor/10000),
			(.cache_hit_rate*1000|round/1000), .route_errors, .discoveries, .salvaged, .loops,
			(if .sent > 0 then .events / .sent | round else 0 end)] | @tsv' <<<"$j" |
			awk -F'\t' '{ printf "%-5s %5s %7s %9s %9s %9s %8s %11s %8s %6s %9s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11 }'
		jq -e '.loops == 0 and .duplicates == 0' <<<"$j" >/dev/null || miss "srum $g seed $s: a loop or a duplicate"
	done
	jq -rs --arg g $g '(map(.sent_reachable)|add) as $r | (map(.delivered)|add) as $d |
		[$g, "all", $r, $d, (if $r > 0 then $d / $r * 10000 | floor / 10000 else 1 end),
		((map(.cache_hits)|add) / ([1, (map(.sent)|add)]|max) * 1000 | round / 1000),
		(map(.route_errors)|add), (map(.discoveries)|add), (map(.salvaged)|add), (map(.loops)|add),
		((map(.events)|add) / ([1, (map(.sent)|add)]|max) | round)] | @tsv' <<<"$all" |
		awk -F'\t' '{ printf "%-5s %5s %7s %9s %9s %9s %8s %11s %8s %6s %9s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11 }'
	jq -es '(map(.delivered)|add) >= 0.99 * (map(.sent_reachable)|add)' <<<"$all" >/dev/null ||
		miss "srum $g: delivery >= 99% over the $SEEDS seeds"
done

fi

if [ "$BIG" -gt 0 ] && part big; then
	echo
	echo "## Events per second and peak memory at $BIG nodes (BA, seed 1; peak = getrusage ru_maxrss)"
	printf '%-6s %-22s %12s %10s %10s %10s\n' scen run events wall_s events_s peak_MiB
	for sc in "tlfm --tokens $((4 * BIG))" "spdm --pairs $BIG_PAIRS" "srum --messages $BIG_MSGS"; do
		# shellcheck disable=SC2086
		j=$("$SIM" $sc --graph ba --nodes "$BIG" --json) || { miss "$sc at $BIG"; continue; }
		jq -r --arg sc "${sc%% *}" --arg run "${sc#* }" '[$sc, $run, .events, (.wall_s*100|round/100),
			(.events / .wall_s | round), (.peak_mib|round)] | @tsv' <<<"$j" |
			awk -F'\t' '{ printf "%-6s %-22s %12s %10s %10s %10s\n", $1,$2,$3,$4,$5,$6 }'
	done
fi
exit $bad
