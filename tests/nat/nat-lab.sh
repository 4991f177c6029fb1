#!/usr/bin/env bash
# Two floe peers, each behind its own NAT router, meeting through a "wide area" namespace that
# runs the STUN server (and, with NAT_TURN set, Debian's coturn). The NATs are Linux's own (nftables masquerade
# with conntrack), in network namespaces with 198.18.0.0/15 addresses only:
#
#   host a 198.18.1.2 -- 198.18.1.1 [nat a] 198.19.1.2 -- 198.19.1.1 [wan] 198.19.2.1 -- 198.19.2.2 [nat b] 198.18.2.1 -- 198.18.2.2 host b
#                                                        servers on 198.19.1.1
#
# NAT kinds (RFC 4787 terms):
#   none       no NAT: the host's address is routed from the wan (a public host)
#   cone       masquerade: endpoint-independent mapping (the source port is kept), address-and-port-
#              dependent filtering by conntrack (a "port-restricted cone")
#   symmetric  masquerade random,fully-random: a new random port for every destination
#              (address-and-port-dependent mapping)
#
# usage: sudo [NAT_TURN=udp|tcp|tls] tests/nat/nat-lab.sh NAT_A NAT_B [--floe PATH] [--timeout S]
#            [--out DIR] [peer flags...]
# Prints one line: "NAT cone<->symmetric PASS|FAIL ..." and exits 0 on PASS, 1 on FAIL, 2 on a
# setup error. Peer flags go to both `floe peer`s (e.g. --trickle, --relay-only).
# NAT_TURN: coturn on the wan (198.19.1.1, port 3479, TLS 5349, user lab:lab), given to both
# peers as turn:198.19.1.1:3479 (udp), ...?transport=tcp (tcp) or turns:198.19.1.1:5349 (tls):
# both sides gather a relay candidate there.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ $# -ge 2 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
nat_a=$1; nat_b=$2; shift 2
floe="$here/build/release/floe"; timeout=20; out=""; flags=()
while [ $# -gt 0 ]; do
    case "$1" in
        --floe) floe=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) flags+=("$1"); shift ;;
    esac
done
turn=${NAT_TURN:-}
case "$turn" in ""|udp|tcp|tls) ;; *) echo "nat-lab: NAT_TURN must be udp, tcp or tls" >&2; exit 2 ;; esac
for n in "$nat_a" "$nat_b"; do
    case "$n" in none|cone|symmetric) ;; *) echo "nat-lab: unknown NAT kind '$n'" >&2; exit 2 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "nat-lab: needs root (network namespaces)" >&2; exit 2; }
[ -x "$floe" ] || { echo "nat-lab: no floe binary at $floe" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/floe-nat-lab.XXXXXX")
mkdir -p "$out/signal"

id=$(( $$ % 100000 ))
ns_a="nl$id-a"; ns_na="nl$id-na"; ns_w="nl$id-w"; ns_nb="nl$id-nb"; ns_b="nl$id-b"; ns_s="nl$id-s"
all_ns=("$ns_a" "$ns_na" "$ns_w" "$ns_nb" "$ns_b" "$ns_s")
pids=()

down() {
    local p ns
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    for ns in "${all_ns[@]}"; do
        [ -e "/run/netns/$ns" ] || continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
}
trap down EXIT
trap 'exit 130' INT TERM

# A veth pair between two namespaces, each end named and addressed.
link() {  # link NS1 IF1 ADDR1 NS2 IF2 ADDR2
    ip link add "t$id$2" type veth peer name "u$id$5" || return 1
    ip link set "t$id$2" netns "$1" && ip link set "u$id$5" netns "$4" || return 1
    ip -n "$1" link set "t$id$2" name "$2" && ip -n "$4" link set "u$id$5" name "$5" || return 1
    ip -n "$1" addr add "$3" dev "$2" && ip -n "$4" addr add "$6" dev "$5" || return 1
    ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}

# nftables for a NAT router: forward only what the inside started (conntrack), and masquerade.
nat_rules() {  # nat_rules NS KIND
    local masq="masquerade"
    [ "$2" = symmetric ] && masq="masquerade random,fully-random"
    ip netns exec "$1" nft -f - <<NFT
table ip natlab {
  chain masquerading { type nat hook postrouting priority srcnat; oifname "wan" $masq; }
  chain forwarding {
    type filter hook forward priority 0; policy drop;
    iifname "lan" accept
    ct state established,related accept
  }
  # Unsolicited datagrams to the router itself are dropped too, so that they never become
  # confirmed conntrack entries: one would take the mapping's port, and masquerade would then pick
  # another for the inside host's own packet to that peer (making a cone NAT act symmetric in a
  # simultaneous hole punch).
  chain inbound {
    type filter hook input priority 0; policy drop;
    iifname { "lo", "lan" } accept
    ct state established,related accept
  }
}
NFT
}

up() {
    local ns
    for ns in "${all_ns[@]}"; do
        ip netns add "$ns" || return 1
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    link "$ns_a" eth0 198.18.1.2/24 "$ns_na" lan 198.18.1.1/24 || return 1
    link "$ns_na" wan 198.19.1.2/24 "$ns_w" wa 198.19.1.1/24 || return 1
    link "$ns_w" wb 198.19.2.1/24 "$ns_nb" wan 198.19.2.2/24 || return 1
    link "$ns_nb" lan 198.18.2.1/24 "$ns_b" eth0 198.18.2.2/24 || return 1
    ip -n "$ns_a" route add default via 198.18.1.1
    ip -n "$ns_b" route add default via 198.18.2.1
    ip -n "$ns_na" route add default via 198.19.1.1
    ip -n "$ns_nb" route add default via 198.19.2.1
    for ns in "$ns_na" "$ns_w" "$ns_nb"; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done
    # The wan's default route leads nowhere, silently, like the Internet for a private address:
    # without one a TURN server's send to a peer's host address (an unrouted 198.18.x.x) fails
    # with ENETUNREACH, and coturn then closes that client's allocation.
    # (A veth into a namespace of its own that has no address: frames reach it and are dropped.)
    link "$ns_w" void 198.19.9.1/24 "$ns_s" sink 198.19.9.2/32 || return 1
    ip -n "$ns_s" addr flush dev sink
    ip -n "$ns_w" neigh replace 198.19.9.2 lladdr "$(ip -n "$ns_s" -br link show sink | awk '{print $3}')" \
        dev void nud permanent || return 1
    ip -n "$ns_w" route add default via 198.19.9.2 dev void || return 1
    # A public host's inside network is routed from the wan; a NATed one is not.
    if [ "$nat_a" = none ]; then ip -n "$ns_w" route add 198.18.1.0/24 via 198.19.1.2
    else nat_rules "$ns_na" "$nat_a" || return 1; fi
    if [ "$nat_b" = none ]; then ip -n "$ns_w" route add 198.18.2.0/24 via 198.19.2.2
    else nat_rules "$ns_nb" "$nat_b" || return 1; fi
}

if ! up 2> "$out/setup.err"; then echo "nat-lab: setup failed: $(cat "$out/setup.err")" >&2; exit 2; fi

ip netns exec "$ns_w" "$floe" stun-server --listen 198.19.1.1:3478 > "$out/stun-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do ip netns exec "$ns_w" ss -Hlun 'sport = :3478' | grep -q . && break; sleep 0.1; done

turn_flags=()
if [ -n "$turn" ]; then
    command -v turnserver > /dev/null || { echo "nat-lab: NAT_TURN needs coturn's turnserver" >&2; exit 2; }
    # A throwaway certificate for turns: (the peers are told to trust it; it never leaves $out).
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
        -keyout "$out/turn-key.pem" -out "$out/turn-cert.pem" -subj /CN=198.19.1.1 \
        -addext subjectAltName=IP:198.19.1.1 2> "$out/openssl.err" \
        || { echo "nat-lab: openssl: $(cat "$out/openssl.err")" >&2; exit 2; }
    cat > "$out/turnserver.conf" <<CONF
listening-ip=198.19.1.1
relay-ip=198.19.1.1
listening-port=3479
tls-listening-port=5349
lt-cred-mech
user=lab:lab
realm=nat.lab
fingerprint
no-cli
no-dtls
no-rfc5780
no-multicast-peers
cert=$out/turn-cert.pem
pkey=$out/turn-key.pem
pidfile=$out/turnserver.pid
userdb=$out/turndb
log-file=$out/turnserver.log
simple-log
verbose
no-stdout-log
CONF
    ip netns exec "$ns_w" turnserver -c "$out/turnserver.conf" > /dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        ip netns exec "$ns_w" ss -Hltn 'sport = :5349' | grep -q . && break; sleep 0.05
    done
    case "$turn" in
        udp) url="turn:198.19.1.1:3479" ;;
        tcp) url="turn:198.19.1.1:3479?transport=tcp" ;;
        tls) url="turns:198.19.1.1:5349" ;;
    esac
    turn_flags=(--ice-server "$url" --ice-username lab --ice-credential lab)
    [ "$turn" = tls ] && turn_flags+=(--tls-ca "$out/turn-cert.pem")
fi

common=(--signal "$out/signal" --timeout "$timeout" --ice-server stun:198.19.1.1:3478
        "${turn_flags[@]}" --interface eth0 "${flags[@]}")
ip netns exec "$ns_b" "$floe" peer --role answer --mode echo "${common[@]}" \
    > "$out/answer.stdout" 2> "$out/answer.log" &
answer=$!; pids+=("$answer")
for _ in $(seq 100); do [ -e "$out/signal/answer.ready" ] && break; sleep 0.1; done
ip netns exec "$ns_a" "$floe" peer --role offer --mode send-check "${common[@]}" \
    > "$out/offer.stdout" 2> "$out/offer.log" &
offer=$!; pids+=("$offer")
wait "$offer"; rc=$?
for _ in $(seq 50); do kill -0 "$answer" 2>/dev/null || break; sleep 0.1; done

result=$(grep -h '^RESULT ' "$out/offer.stdout" | head -1)
field() { sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",]*\).*/\1/p" <<< "$result"; }
if [ "$rc" = 0 ] && [ "$(field ok)" = true ]; then
    echo "NAT $nat_a<->$nat_b${turn:+ turn=$turn} PASS open=$(field time_to_open_ms)ms [$(field selected_pair)] $out"
    exit 0
fi
reason=$(grep -h -o '"error": *"[^"]*"' "$out/offer.stdout" | head -1)
echo "NAT $nat_a<->$nat_b${turn:+ turn=$turn} FAIL rc=$rc ${reason:-} $out"; exit 1
