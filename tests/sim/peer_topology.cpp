#include "sim/peer_topology.hpp"

#include <cstdlib>
#include <sstream>

#include "common/log.hpp"

namespace floe::sim {

namespace {

// The next topology's start: the virtual clock of the process only moves forward.
Instant next_start = Instant{} + std::chrono::hours(1000);
// Between two topologies: longer than usrsctp's 1 s "another clock" threshold is not needed (the
// clock only moves forward); a gap keeps one run's timers apart from the next one's.
constexpr Duration kGap = 10s;

IpAddress ip(std::string_view text) {
    return *IpAddress::parse(text);
}

// Certificates cost a key generation each; one pair serves every topology of the process
// (a real PeerConnection generates its own, which changes nothing the simulation checks).
const Certificate& certificate(int which) {
    static const Certificate a = Certificate::generate();
    static const Certificate b = Certificate::generate();
    return which == 0 ? a : b;
}

session::Config core_config(const PeerTopologyConfig& config, int which, SocketAddress stun) {
    session::Config c = config.core;
    if (!c.certificate) c.certificate = certificate(which);
    if (config.stun_server) c.stun_servers = {stun};
    return c;
}

std::string describe_side(const PeerSide& side) {
    std::ostringstream out;
    out << (side.nat ? side.nat->describe() : std::string("public"));
    auto link = [&](const char* what, const LinkConfig& l) {
        if (l.delay == 0ms && l.jitter == 0ms && l.loss == 0 && l.duplicate == 0 && l.reorder == 0)
            return;
        out << " " << what << " delay " << to_ms(l.delay) << "ms jitter " << to_ms(l.jitter)
            << "ms loss " << l.loss * 100 << "% dup " << l.duplicate * 100 << "% reorder "
            << l.reorder * 100 << "%/" << to_ms(l.reorder_delay) << "ms";
    };
    link("up", side.path.up);
    link("down", side.path.down);
    return out.str();
}

}  // namespace

PeerTopology::PeerTopology(std::uint64_t seed, PeerTopologyConfig topology,
                           std::function<void(Instant)> wall_clock)
    : config(std::move(topology)),
      net(seed, next_start),
      stun_address(ip("198.51.100.1"), 3478),
      a("a", core_config(config, 0, stun_address), seed * 2 + 1),
      b("b", core_config(config, 1, stun_address), seed * 2 + 2) {
    if (const char* level = std::getenv("FLOE_SIM_LOG"))
        if (const auto parsed = parse_log_level(level)) set_log_level(*parsed);
    a.on_clock = wall_clock;
    b.on_clock = std::move(wall_clock);
    host_a = net.place_host(config.a.nat, config.a.path, nat_a, ip("203.0.113.1"), ip("198.18.1.2"),
                            ip("203.0.113.11"));
    host_b = net.place_host(config.b.nat, config.b.path, nat_b, ip("203.0.113.2"), ip("198.18.2.2"),
                            ip("203.0.113.12"));
    stun_host = net.add_host(Network::internet, stun_address.ip());
    socket_a = {net.host_ip(host_a), peer_port};
    socket_b = {net.host_ip(host_b), peer_port};
    net.attach(stun_host, stun);
    net.attach(host_a, a);
    net.attach(host_b, b);
}

PeerTopology::~PeerTopology() {
    // On a whole second, as the first start is: OpenSSL keeps its DTLS deadline in microseconds
    // of gettimeofday(), so the clock's phase below that would change when a timer fires.
    next_start = std::chrono::ceil<std::chrono::seconds>(net.now() + kGap);
}

void PeerTopology::start() {
    started = net.now();
    PeerNode::pair_up(a, b, config.signalling_delay);
    a.add_socket(started, socket_a);
    b.add_socket(started, socket_b);
    a.end_of_sockets(started);
    b.end_of_sockets(started);
    a.offer(started);
    net.flush();
}

bool PeerTopology::run_until_connected(Duration limit) {
    return run_until(
        [&] {
            return a.state() == PeerConnectionState::connected &&
                   b.state() == PeerConnectionState::connected;
        },
        limit);
}

std::string PeerTopology::describe() const {
    return "a " + describe_side(config.a) + ", b " + describe_side(config.b);
}

}  // namespace floe::sim
