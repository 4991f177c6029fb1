#!/usr/bin/env bash
# Instructions per operation for one benchmark case, read with callgrind:
#   bench/callgrind.sh build/release/bench/bench_stun_codec decode_validate_request [N]
# Runs the case for N and 2N iterations under `valgrind --tool=callgrind`; the difference of the
# two totals divided by N is the cost of one operation, with start-up and set-up cancelled out.
set -euo pipefail
bin=$1; case_name=$2; n=${3:-2000}
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }
total() {
    local out; out=$(mktemp -d)
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$bin" --only "$case_name" --iterations "$1" >/dev/null 2>"$out/log"
    grep -E '^(summary|totals):' "$out/cg.out" | head -1 | awk '{print $2}'
    rm -rf "$out"
}
a=$(total "$n"); b=$(total $((2 * n)))
echo "$case_name: $(( (b - a) / n )) instructions/op (callgrind, N=$n)"
