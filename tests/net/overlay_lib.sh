#!/usr/bin/env bash
# Shared by the overlay tests and benchmarks that run daemons on loopback:
#   overlay_init NAME  makes $T (a private temp dir), $T/key (an overlay key),
#                      the PIDS array, and a trap that stops every daemon in
#                      PIDS (TERM, then KILL after 5 s) and removes $T.
overlay_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}

overlay_init() {
	T=$(mktemp -d "/tmp/ipop-$1.XXXXXX")
	PIDS=()
	trap overlay_cleanup EXIT INT TERM
	head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/key"
	chmod 600 "$T/key"
}
