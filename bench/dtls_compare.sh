#!/usr/bin/env bash
# floe's DTLS record throughput next to OpenSSL's raw AES-128-GCM speed for the same size, on this
# machine. openssl speed encrypts only; floe's figure seals and opens each record, so set it
# against half of openssl's.
#   bench/dtls_compare.sh [build/release/bench/bench_dtls]
set -euo pipefail
bin=${1:-build/release/bench/bench_dtls}
"$bin" --only encrypt_decrypt_1200
echo "--- openssl speed -evp aes-128-gcm -bytes 1200 (encryption only, kB/s = 1000 bytes/s)"
openssl speed -evp aes-128-gcm -bytes 1200 -seconds 2 2>/dev/null | tail -2
