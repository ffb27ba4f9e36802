#!/usr/bin/env bash
# Shared by the overlay tests and benchmarks that run daemons on loopback:
#   overlay_init NAME  makes $T (a private temp dir), an overlay CA
#                      ($T/ca.key, $T/ca.key.pub, with `ipop-bpf ca init`),
#                      the PIDS array, and a trap that stops every daemon in
#                      PIDS (TERM, then KILL after 5 s) and removes $T.
#   overlay_node N [ca sign options]  key pair $T/N.key(.pub) and certificate
#                      $T/N.crt signed by the CA (`ipop-bpf key gen`, `ca sign`;
#                      valid for 2 days unless options say otherwise);
#                      prints the node ID (derived from the key).
#   overlay_ident N    the config keys naming N's key, certificate and the CA.
#   overlay_start N    starts daemons 1..N from $T/nI.json (control socket
#                      $T/nI.sock, log $T/dI.log) into PIDS; 0.3 s later each
#                      must still run (else the test's `fail`).
#   overlay_wait SECS INTERVAL CMD...  runs CMD every INTERVAL seconds until
#                      it succeeds (0), for at most SECS seconds (then 1).
# Needs $IPOP (the ipop-bpf binary).
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
	"${IPOP:-build/ipop-bpf}" ca init --out "$T/ca.key" >/dev/null || {
		echo "FAIL: ipop-bpf ca init"
		exit 1
	}
}

overlay_node() {
	local n=$1 out opts
	shift
	opts=("$@")
	[ $# -eq 0 ] && opts=(--days 2)
	out=$("${IPOP:-build/ipop-bpf}" key gen --out "$T/$n.key" --json) &&
		"${IPOP:-build/ipop-bpf}" ca sign --ca "$T/ca.key" --pub "$T/$n.key.pub" --name "$n" \
			"${opts[@]}" --out "$T/$n.crt" >/dev/null || {
		echo "FAIL: making the key and certificate of $n" >&2
		return 1
	}
	echo "$out" | sed -n 's/.*"node_id": "\([0-9a-f]*\)".*/\1/p'
}

overlay_ident() {
	printf '"key_file": "%s", "cert_file": "%s", "ca_files": ["%s"]' \
		"$T/$1.key" "$T/$1.crt" "$T/ca.key.pub"
}

overlay_start() {
	local i
	for i in $(seq "$1"); do
		"${IPOP:-build/ipop-bpf}" daemon --config "$T/n$i.json" --ctl-socket "$T/n$i.sock" \
			>"$T/d$i.log" 2>&1 &
		PIDS+=($!)
	done
	sleep 0.3
	for i in $(seq "$1"); do kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null || fail "daemon $i did not start"; done
}

overlay_wait() {
	local end=$((SECONDS + $1)) every=$2
	shift 2
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep "$every"
	done
}
