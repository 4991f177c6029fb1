#!/usr/bin/env bash
# Installs what floe needs to build, test, fuzz and benchmark on Debian 12, and only what is
# missing (apt-get update runs only then). Needs root, or sudo. Idempotent.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --interop  also the interop reference peers (../shared/interop/setup.sh)
#                                      and floe's own extra peers: Debian's firefox-esr and npm
#                                      packages (werift, node-datachannel, @roamhq/wrtc,
#                                      puppeteer-core: tests/interop/deps, exact
#                                      versions and integrity hashes) with `npm ci` into
#                                      $FLOE_INTEROP_NPM (default ${XDG_CACHE_HOME:-/tmp}/floe-interop-npm)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkgs=(build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev
      libssl-dev openssl libusrsctp-dev libasio-dev doctest-dev
      coturn valgrind iproute2 nftables python3 tmux tshark)
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
    # the Firefox peer (tests/interop/peers/firefox): Debian's Firefox ESR, driven over
    # WebDriver BiDi by puppeteer-core (npm, below)
    if ! dpkg -s firefox-esr >/dev/null 2>&1; then
        echo "install-deps: apt-get install firefox-esr"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null
    fi
    # tests/interop/peers/{werift,libdatachannel,wrtc,firefox}: installed outside the tree; skipped when
    # that lock file is already installed there. --ignore-scripts: no package runs an install
    # step (prebuilt binaries come as npm platform packages), so nothing else is downloaded.
    npm_dir="${FLOE_INTEROP_NPM:-${XDG_CACHE_HOME:-/tmp}/floe-interop-npm}"
    lock="$here/tests/interop/deps/package-lock.json"
    mkdir -p "$npm_dir"
    if ! cmp -s "$lock" "$npm_dir/package-lock.json" || [ ! -f "$npm_dir/node_modules/.package-lock.json" ]; then
        cp "$here/tests/interop/deps/package.json" "$lock" "$npm_dir/"
        echo "install-deps: npm ci in $npm_dir"
        (cd "$npm_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    fi
    # check that each stack loads (offline)
    NODE_PATH="$npm_dir/node_modules" node -e "
      const v = (p) => require('fs').readFileSync(require('path').join('$npm_dir/node_modules', p, 'package.json'), 'utf8').match(/\"version\": *\"([^\"]+)/)[1];
      require('werift'); require('@roamhq/wrtc'); require('puppeteer-core');
      const ndc = require('node-datachannel'); require('node-datachannel/polyfill');
      console.log('install-deps: werift ' + v('werift') + ', node-datachannel ' + v('node-datachannel')
        + ' (libdatachannel ' + ndc.getLibraryVersion() + '), @roamhq/wrtc ' + v('@roamhq/wrtc')
        + ', puppeteer-core ' + v('puppeteer-core'));
      ndc.cleanup();"
    echo "install-deps: $(/usr/bin/firefox-esr --version 2>/dev/null)"
fi
