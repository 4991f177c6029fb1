#!/usr/bin/env bash
# floe's interop matrix: `floe peer` against itself, against the reference peers of
# ../shared/interop (Chromium, aiortc) and against floe's own extra peers in tests/interop/peers
# (werift, libdatachannel, wrtc = libwebrtc in Node, firefox = Debian's Firefox ESR), as offerer
# and answerer, plain and trickle.
# Needs root (network namespaces). Prints each PAIR line; exits non-zero if any pair fails.
#   scripts/interop.sh                          release build (built if missing)
#   FLOE_PRESET=asan scripts/interop.sh
#   scripts/interop.sh --quick                  floe<->floe and one run per direction and peer
#   scripts/interop.sh --peers werift,wrtc      only these peers (and no floe<->floe runs)
# Peers: chromium aiortc werift libdatachannel wrtc firefox (docs/interop.md).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
quick=0; peers="chromium,aiortc,werift,libdatachannel,wrtc,firefox"; only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; shift;;
        --peers) [ $# -ge 2 ] || { echo "interop: --peers LIST" >&2; exit 2; }; peers=$2; only=1; shift 2;;
        *) echo "interop: unknown argument $1 (--quick, --peers LIST)" >&2; exit 2;;
    esac
done
scripts/install-deps.sh --interop || exit 2
preset=${FLOE_PRESET:-release}
export FLOE_PRESET=$preset
if [ ! -x "build/$preset/floe" ]; then
    cmake --preset "$preset" >/dev/null && cmake --build --preset "$preset" --target floe_cli || exit 2
fi
kit=../shared/interop/run-pair.sh
peer=scripts/floe-peer
failed=0; total=0; start=$SECONDS
run() {
    local out rc t0=$SECONDS
    out=$("$kit" "$@" 2>&1); rc=$?
    # libdatachannel 0.24 as offerer now and then refuses a well-formed answer while the machine
    # is busy ("Got a remote candidate without ICE transport": its ICE transport object is not set
    # yet when the answer's candidates are applied, a race inside libdatachannel that others report
    # with two libdatachannel peers alone; docs/interop.md). Such a run is repeated once, visibly.
    if [ $rc -ne 0 ] && grep -q "Got a remote candidate without ICE transport" <<<"$out"; then
        echo "RETRY $1 -> $2: libdatachannel's own race (Got a remote candidate without ICE transport)"
        out=$("$kit" "$@" 2>&1); rc=$?
    fi
    # wrtc (libwebrtc in Node) now and then delivered the first message after the next five:
    # its log shows them echoed in that order, its open event in between (about 1 run in 8 of
    # floe->wrtc --trickle; not understood yet, docs/interop.md). Repeated once, visibly.
    if [ $rc -ne 0 ] && [[ "$*" == *wrtc* ]] && grep -q "mismatches=" <<<"$out"; then
        echo "RETRY $1 -> $2: wrtc delivered messages out of order (docs/interop.md)"
        out=$("$kit" "$@" 2>&1); rc=$?
    fi
    total=$((total + 1))
    local line; line=$(grep '^PAIR' <<<"$out")
    # the PAIR line names the peers and the mode, not the other flags
    local flags="${*:4}"
    if [ -n "$line" ]; then echo "$line ($((SECONDS - t0))s)${flags:+ [$flags]}"; else echo "PAIR $* FAIL (no PAIR line, rc=$rc)"; tail -5 <<<"$out"; fi
    [ $rc -eq 0 ] || failed=$((failed + 1))
}
if [ $only = 0 ]; then
    run $peer $peer send-check
    run $peer $peer send-check --trickle --empty
    run $peer $peer bulk --bulk-mib 64
fi
# Description-only checks (tests/interop/sdp/README.md): does the stack accept floe's offer and
# answer, and floe the stack's? One line each; the whole output goes to a log.
sdp_check() {
    local log="${IOP_RUNS:-${TMPDIR:-/tmp}/floe-interop-runs}/sdp-$1-accepts-$$.log" t0=$SECONDS
    mkdir -p "$(dirname "$log")"
    total=$((total + 1))
    if node "tests/interop/sdp/$1_accepts.js" "build/$preset/floe" > "$log" 2>&1; then
        echo "SDP $1 PASS ($((SECONDS - t0))s) $log"
    else
        echo "SDP $1 FAIL: $(grep '^FAIL' "$log" | tr '\n' ';' | head -c 400) ($((SECONDS - t0))s) $log"
        failed=$((failed + 1))
    fi
}
for name in ${peers//,/ }; do
    case "$name" in werift|libdatachannel) sdp_check "$name";; esac
done
for name in ${peers//,/ }; do
    case "$name" in
        chromium|aiortc) other=$name;;                       # the kit's reference peers
        werift|libdatachannel|wrtc|firefox) other=tests/interop/peers/$name/peer;;
        *) echo "interop: unknown peer $name" >&2; exit 2;;
    esac
    run $peer "$other" send-check
    run "$other" $peer send-check
    [ $quick = 1 ] && continue
    run $peer "$other" send-check --trickle
    run "$other" $peer send-check --trickle
    run "$other" $peer send-check --active answer
    # werift 0.25 cannot send an empty message (it sends PPID 51 with no user data, and the
    # channel stalls after it), so the echo of --empty cannot come back from it
    [ "$name" = werift ] || run $peer "$other" send-check --empty
done
# ICE-lite (docs/ice.md): floe as the lite agent, the other side full, in both offer/answer roles
# (`floe peer --ice-lite`, passed through the kit's "PATH ARG..." peer form).
[ $only = 1 ] || run "$peer --ice-lite" $peer send-check
for name in ${peers//,/ }; do
    case "$name" in chromium|aiortc) ;; *) continue;; esac   # the kit's reference peers
    run "$peer --ice-lite" "$name" send-check
    run "$name" "$peer --ice-lite" send-check --trickle
done
# Closing loses nothing (docs/peer_connection.md): under 5 % loss floe sends 1 MiB and "FIN",
# then closes at once, the PeerConnection (SCTP SHUTDOWN) or the channel (stream reset); the other
# side's log must count every byte before the FIN (it answers the FIN, but floe has gone).
# close() waits --close-linger for the peer's acknowledgements: 20 s here, not the default 3 s,
# because 1 MiB at 5 % loss takes aiortc (Python) 3-4 s when the handshake's own losses leave the
# whole MiB queued at close() (seen once: aborted at 3 s with data unacknowledged).
close_check() {
    local other=$1 how=$2 t0=$SECONDS
    local out="${IOP_RUNS:-${TMPDIR:-/tmp}/floe-interop-runs}/close-$how-$(basename "$other")-$$"
    total=$((total + 1))
    mkdir -p "$(dirname "$out")"; rm -rf "$out"
    IOP_LOSS=5 "$kit" "$peer --close-after-send $how --close-linger 20000" "$other" bulk \
        --bulk-mib 1 --out "$out" \
        > "$out.log" 2>&1
    if grep -q 'bulk text "FIN" after 1048576 B' "$out/answer.log" 2>/dev/null; then
        echo "CLOSE floe->$(basename "$other") close $how at 5 % loss PASS ($((SECONDS - t0))s)"
    else
        echo "CLOSE floe->$(basename "$other") close $how at 5 % loss FAIL ($((SECONDS - t0))s) $out"
        failed=$((failed + 1))
    fi
}
if [ $quick = 0 ]; then
    for how in pc channel; do
        [ $only = 1 ] || close_check $peer $how
        for name in ${peers//,/ }; do
            case "$name" in chromium|aiortc) close_check "$name" $how;; esac
        done
    done
fi
# A lost Finished (docs/dtls.md, "Records after the handshake"): floe offers to aiortc, so floe is
# the DTLS server, and aiortc's namespace drops floe's first ChangeCipherSpec + Finished datagram
# once (75 bytes of DTLS with AES-GCM: 83 of UDP; nothing floe sends before it has that size). floe's
# first SCTP packet carries a copy of it, so aiortc completes without its 1 s retransmission timer
# ("x DTLS handling timeout" in its debug log) and reads each record as it comes. Before the copy,
# aiortc read SCTP's early INITs one per later datagram, behind for the whole association.
lost_finished_check() {
    local t0=$SECONDS dropped=""
    local out="${IOP_RUNS:-${TMPDIR:-/tmp}/floe-interop-runs}/lost-finished-aiortc-$$"
    total=$((total + 1))
    mkdir -p "$(dirname "$out")"; rm -rf "$out"
    IOP_AIORTC_DEBUG=1 "$kit" "$peer --close-after-send pc" aiortc bulk --bulk-mib 1 --out "$out" \
        > "$out.log" 2>&1 &
    local pair=$!
    local ns="iop-$((pair % 100000))-b"   # run-pair.sh names its namespaces after its process id
    for _ in $(seq 1 500); do             # the namespace exists before the answerer starts
        ip netns list 2>/dev/null | grep -qw "$ns" && break
        sleep 0.02
    done
    ip netns exec "$ns" nft -f - <<'EOF' 2>>"$out.log"
table inet floe_lost_finished {
    chain in {
        type filter hook input priority -10;
        iifname "eth0" udp length 83 quota until 103 bytes counter drop;
    }
}
EOF
    # The rule's counter, read until the pair is over (the namespace goes with it).
    while kill -0 $pair 2>/dev/null; do
        local now; now=$(ip netns exec "$ns" nft list table inet floe_lost_finished 2>/dev/null |
            grep -o 'counter packets [0-9]*')
        [ -n "$now" ] && dropped=$now
        sleep 0.2
    done
    wait $pair
    local why=""
    [ "$dropped" = "counter packets 1" ] || why="the Finished was not dropped (${dropped:-no rule})"
    grep -q 'bulk text "FIN" after 1048576 B' "$out/answer.log" 2>/dev/null || why="$why; no FIN"
    ! grep -q 'x DTLS handling timeout' "$out/answer.log" 2>/dev/null ||
        why="$why; aiortc waited for its DTLS retransmission"
    if [ -z "$why" ]; then
        echo "LOST-FINISHED floe->aiortc PASS ($((SECONDS - t0))s)"
    else
        echo "LOST-FINISHED floe->aiortc FAIL: ${why#; } ($((SECONDS - t0))s) $out"
        failed=$((failed + 1))
    fi
}
[[ ",$peers," == *,aiortc,* ]] && lost_finished_check
# ---- under loss (issue 18): 5 % of the UDP datagrams arriving at each side dropped (the kit's
# IOP_LOSS). send-check compares every echoed message byte for byte and in order; bulk checks the
# byte count. Small, to stay short: figures come from `floe bench W7`, not from here.
IOP_LOSS=5 run $peer $peer send-check --count 200
IOP_LOSS=5 run $peer $peer bulk --bulk-mib 4
[ $quick = 1 ] || IOP_LOSS=5 run $peer chromium send-check --count 100

# ---- through a relay (issue 15): the kit's coturn in the pair's namespaces, both peers relay-only;
# the kit fails a run whose selected pair is not relayed. TURN over UDP and TCP, both roles.
IOP_TURN=1 IOP_RELAY_ONLY=1 run $peer $peer send-check
if [ $quick = 0 ]; then
    for transport in udp tcp; do
        for other in chromium aiortc; do
            IOP_TURN=1 IOP_TURN_TRANSPORT=$transport IOP_RELAY_ONLY=1 run $peer $other send-check
            IOP_TURN=1 IOP_TURN_TRANSPORT=$transport IOP_RELAY_ONLY=1 run $other $peer send-check
        done
    done
fi

echo "interop: $((total - failed))/$total passed (runs and SDP checks) in $((SECONDS - start)) s"
[ $failed -eq 0 ]
