#!/usr/bin/env bash
# apps/floe/web/chat.html in headless Chromium against `floe chat`, both directions, with and
# without Chromium's mDNS host-candidate hiding (tests/interop/chat_html.js). Loopback only, no
# ICE servers, no root needed. Installs what is missing (scripts/install-deps.sh --interop), builds
# floe_cli in the release preset (FLOE_PRESET) if missing. Exit non-zero on any failure.
#   scripts/chat-browser-test.sh [--out DIR]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh --interop || exit 2
preset=${FLOE_PRESET:-release}
if [ ! -x "build/$preset/floe" ]; then
    cmake --preset "$preset" >/dev/null && cmake --build --preset "$preset" --target floe_cli || exit 2
fi
deps=${IOP_DEPS:-${XDG_CACHE_HOME:-/tmp}/floe-interop-deps}
command -v node >/dev/null || { echo "chat-browser-test: node missing" >&2; exit 2; }
[ -d "$deps/node_modules/playwright-core" ] || { echo "chat-browser-test: no playwright-core in $deps" >&2; exit 2; }
NODE_PATH=$deps/node_modules timeout -k 5 180 node tests/interop/chat_html.js "build/$preset/floe" "$@"
rc=$?
[ $rc -eq 124 ] && echo "chat-browser-test: timed out after 180 s" >&2
exit $rc
