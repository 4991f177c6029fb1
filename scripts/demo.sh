#!/usr/bin/env bash
# Installs what is missing, builds the release preset and runs `floe demo` (loopback only).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target floe_cli
exec build/release/floe demo "$@"
