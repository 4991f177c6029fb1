#!/usr/bin/env bash
# Installs what floe needs to build, test, fuzz and benchmark on Debian 12, and only what is
# missing (apt-get update runs only then). Needs root, or sudo. Idempotent.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --interop  also the interop reference peers (../shared/interop/setup.sh)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkgs=(build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev
      libssl-dev openssl libusrsctp-dev libasio-dev doctest-dev
      coturn valgrind iproute2 nftables python3 tmux)
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${1:-}" = "--interop" ]; then
    kit="$here/../shared/interop"
    [ -x "$kit/setup.sh" ] || { echo "install-deps: no interop kit at $kit" >&2; exit 2; }
    $sudo "$kit/setup.sh"
fi
