#!/usr/bin/env bash
# Installs the Debian packages ipop-bpf needs to build and test, if missing.
# Usage: tests/deps.sh [build|test]   (test = build + what the tests use)
set -euo pipefail

build_pkgs=(clang llvm libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev pkg-config
	libjansson-dev libsodium-dev libncurses-dev libpcap-dev libfixbuf-dev iproute2 make gcc)
test_pkgs=(libcriterion-dev jq python3 tshark nftables conntrack iputils-ping netcat-openbsd
	libclang-rt-14-dev tmux curl prometheus prometheus-node-exporter ethtool nfdump
	softflowd)

want=("${build_pkgs[@]}")
if [ "${1:-test}" = test ]; then
	want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
