#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 60),
# starting from its seed corpus in fuzz/corpus/<name>/. New inputs go to a scratch directory, not
# into the tree; a crash leaves its input in fuzz/findings/ and fails the run.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}; shift || true
scripts/install-deps.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in fuzz/*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
mkdir -p fuzz/findings
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
    work=$(mktemp -d)
    seeds=(); [ -d "fuzz/corpus/$t" ] && seeds=("fuzz/corpus/$t")
    echo "fuzz: $t for ${seconds}s"
    if ! "build/fuzz/fuzz/fuzz_$t" "$work" "${seeds[@]}" -max_total_time="$seconds" \
            -artifact_prefix="fuzz/findings/$t-" -print_final_stats=1 2>"$work.log"; then
        echo "fuzz: $t FAILED"; tail -60 "$work.log"; status=1
    else
        grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work.log" | sed "s/^/fuzz: $t /"
    fi
    rm -rf "$work" "$work.log"
done
exit $status
