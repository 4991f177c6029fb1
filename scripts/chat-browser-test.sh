#!/usr/bin/env bash
# apps/floe/web/chat.html in headless Chromium against `floe chat`, both directions, with and
# without Chromium's mDNS host-candidate hiding (tests/interop/chat_html.js). Loopback only, no
# ICE servers; needs root for its network namespace. Installs what is missing (scripts/install-deps.sh --interop), builds
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
# Chromium gathers on the interface of the default route, which on a real machine is not
# loopback. So the whole test runs in a network namespace of its own: loopback plus a veth
# pair with 198.18.0.0/15 addresses and a device default route (Chromium offers no
# candidate without one). Nothing can leave it; IPv6 is off so no link-local address appears.
[ "$(id -u)" = 0 ] || { echo "chat-browser-test: needs root (network namespace)" >&2; exit 2; }
ns=floe-chat-$$
cleanup() { ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null; ip netns del "$ns" 2>/dev/null; }
trap cleanup EXIT
ip netns add "$ns" || exit 2
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth1  # both ends inside: no way out
ip -n "$ns" addr add 198.18.7.1/24 dev eth0
ip -n "$ns" addr add 198.18.7.2/24 dev eth1
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up
ip -n "$ns" route add default dev eth0
NODE_PATH=$deps/node_modules timeout -k 5 180 ip netns exec "$ns" node tests/interop/chat_html.js "build/$preset/floe" "$@"
rc=$?
[ $rc -eq 124 ] && echo "chat-browser-test: timed out after 180 s" >&2
exit $rc
