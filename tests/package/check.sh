#!/usr/bin/env bash
# The installed package, used the way an application would, for the static and the shared library:
#   1. `cmake --install` of the build under test (static) into a scratch prefix;
#   2. examples/ and tests/package/consumer configured with find_package(floe), built and run;
#      the consumer also built from `pkg-config --static --cflags --libs floe` alone;
#   3. a second configure of the library alone with BUILD_SHARED_LIBS=ON (kept between runs, so
#      that it rebuilds incrementally), installed; its SONAME and exported symbols checked;
#   4. step 2 again against the shared library (pkg-config without --static).
# Every example runs on loopback and its output is checked.
#   tests/package/check.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$build/package-check
rm -rf "$work/static" "$work/shared" "$work/run"
mkdir -p "$work/run"
start=$(date +%s)
step() { echo "=== $1 ($(($(date +%s) - start)) s)"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Polls until FILE has a line matching PATTERN (fixed string), for at most 30 s.
await() {
    local file=$1 pattern=$2 deadline=$(($(date +%s) + 30))
    until grep -qF -- "$pattern" "$file" 2>/dev/null; do
        if (($(date +%s) > deadline)); then
            echo "FAIL: no \"$pattern\" in $file:"; cat "$file"; exit 1
        fi
        sleep 0.05
    done
}
expect() {  # FILE PATTERN...: every pattern is in FILE
    local file=$1; shift
    for p in "$@"; do grep -qF -- "$p" "$file" || { echo "FAIL: no \"$p\" in $file:"; cat "$file"; exit 1; }; done
}

# Two copy-paste chats whose terminals are FIFOs: the descriptions are "pasted" across, then
# one line is typed on each side.
run_chat() {
    local bin=$1 dir=$2/chat
    mkdir -p "$dir"
    mkfifo "$dir/a.in" "$dir/b.in"
    "$bin/chat" offer --loopback <"$dir/a.in" >"$dir/a.out" 2>&1 & pids+=($!); local a=$!
    "$bin/chat" answer --loopback <"$dir/b.in" >"$dir/b.out" 2>&1 & pids+=($!); local b=$!
    exec 3>"$dir/a.in" 4>"$dir/b.in"
    await "$dir/a.out" '"type":"offer"'
    grep -F '"type":"offer"' "$dir/a.out" >&4
    await "$dir/b.out" '"type":"answer"'
    grep -F '"type":"answer"' "$dir/b.out" >&3
    await "$dir/a.out" "* connected"
    await "$dir/b.out" "* connected"
    echo "hello from the offerer" >&3
    echo "hello from the answerer" >&4
    await "$dir/b.out" "peer: hello from the offerer"
    await "$dir/a.out" "peer: hello from the answerer"
    exec 3>&- 4>&-  # end of input: both close and exit
    wait "$a" && wait "$b" || { echo "FAIL: chat exit status"; cat "$dir"/*.out; exit 1; }
}

# Builds examples/ and the consumer against the floe installed in PREFIX, and runs them.
check_prefix() {
    local kind=$1 prefix=$2
    local out=$work/run/$kind
    mkdir -p "$out"
    step "$kind: examples/ and the consumer with find_package(floe)"
    # Warnings are errors here: the examples are code people copy.
    cmake -S "$src/examples" -B "$work/$kind/examples" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Werror" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
    cmake --build "$work/$kind/examples" >/dev/null
    cmake -S "$src/tests/package/consumer" -B "$work/$kind/consumer" -G Ninja \
        -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
    cmake --build "$work/$kind/consumer" >/dev/null
    "$work/$kind/consumer/consumer" >"$out/consumer.out"
    expect "$out/consumer.out" "non-STUN bytes rejected: yes"

    step "$kind: the consumer with pkg-config"
    local static_flag=""
    [ "$kind" = static ] && static_flag=--static
    local flags
    flags=$(PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name floe.pc)") \
        pkg-config $static_flag --cflags --libs floe)
    c++ -std=c++20 "$src/tests/package/consumer/main.cpp" -o "$work/$kind/pc_consumer" $flags
    LD_LIBRARY_PATH=$(dirname "$(find "$prefix" -name 'libfloe.*' | head -1)") \
        "$work/$kind/pc_consumer" >"$out/pc_consumer.out"
    expect "$out/pc_consumer.out" "non-STUN bytes rejected: yes"

    step "$kind: running the examples"
    local bin=$work/$kind/examples
    run_chat "$bin" "$out"
    "$bin/file_transfer" >"$out/file_transfer.out"
    expect "$out/file_transfer.out" "progress: 25 %" "progress: 100 %" \
        "received 16777216 bytes, checksum matches"
    "$bin/channels" >"$out/channels.out"
    expect "$out/channels.out" "b sees channel reliable         ordered, reliable" \
        "b sees channel unordered        unordered, reliable" \
        "b sees channel fire-and-forget  unordered, max_retransmits 0" \
        "b sees channel fresh-only       unordered, max_packet_life_time 150 ms" \
        "reliable         100/100" "unordered        100/100"
    "$bin/trickle" >"$out/trickle.out"
    expect "$out/trickle.out" "offerer: trickling candidate:" "answerer: trickling candidate:" \
        'answerer: the peer said "hello, found you by trickle ICE"' \
        'offerer: the peer said "hello back"'
    "$bin/stats" >"$out/stats.out"
    expect "$out/stats.out" "selected pair:     local 127.0.0.1:" "DTLS cipher:       ECDHE-ECDSA" \
        "messages sent:     10 (" "messages received: 10 (" 'channel "stats"'
}

step "static: cmake --install $build"
cmake --install "$build" --prefix "$work/static" >/dev/null
check_prefix static "$work/static"

step "shared: configuring and building the library with BUILD_SHARED_LIBS=ON"
cmake -S "$src" -B "$work/shared-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOE_WERROR=ON \
    -DBUILD_SHARED_LIBS=ON -DFLOE_BUILD_TESTS=OFF -DFLOE_BUILD_FUZZERS=OFF \
    -DFLOE_BUILD_BENCH=OFF >/dev/null
cmake --build "$work/shared-build" >/dev/null
cmake --install "$work/shared-build" --prefix "$work/shared" >/dev/null
lib=$(find "$work/shared" -name 'libfloe.so.0' | head -1)
[ -n "$lib" ] || { echo "FAIL: no libfloe.so.0 installed"; exit 1; }
# Read whole before grep -q looks: with pipefail, a writer cut off by grep's early exit (SIGPIPE)
# fails the pipeline even when the line was found.
dynamic=$(readelf -d "$lib")
grep -q 'SONAME.*\[libfloe\.so\.0\]' <<<"$dynamic" || { echo "FAIL: SONAME"; echo "$dynamic"; exit 1; }
# The public API is exported, the protocol cores are not.
nm -DC --defined-only "$lib" >"$work/run/exports.txt"
expect "$work/run/exports.txt" "floe::PeerConnection::create_offer()" \
    "floe::Certificate::from_pem(" "floe::stun::Message::decode(" "typeinfo for floe::InvalidArgumentError"
internal='floe::(rtc::PeerConnectionCore|ice::Agent|sctp::Association|dtls::Transport)::|asio::'
if grep -qE "$internal" "$work/run/exports.txt"; then
    echo "FAIL: internal symbols exported:"; grep -E "$internal" "$work/run/exports.txt" | head; exit 1
fi
echo "libfloe.so.0 exports $(wc -l <"$work/run/exports.txt") symbols"
check_prefix shared "$work/shared"
linked=$(ldd "$work/shared/examples/stats")
grep -q "$work/shared/.*libfloe.so.0" <<<"$linked" ||
    { echo "FAIL: the examples do not use the installed libfloe.so.0"; echo "$linked"; exit 1; }

step "done"
