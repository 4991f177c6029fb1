#include "sim/ice_topology.hpp"

#include <cstdlib>
#include <sstream>

#include "common/log.hpp"

namespace floe::sim {

namespace {

IpAddress ip(std::string_view text) {
    return *IpAddress::parse(text);
}

std::string describe_link(const LinkConfig& link) {
    std::ostringstream out;
    if (link.delay > 0ms) out << " delay " << to_ms(link.delay) << "ms";
    if (link.jitter > 0ms) out << " jitter " << to_ms(link.jitter) << "ms";
    if (link.loss > 0) out << " loss " << link.loss * 100 << "%";
    return out.str();
}

ice::AgentConfig agent_config(const TopologyConfig& config, const Side& side, SocketAddress stun) {
    ice::AgentConfig c = config.agent;
    c.controlling = side.controlling;
    c.lite = side.lite;
    if (config.stun_server) c.stun_servers = {stun};
    return c;
}

}  // namespace

bool has_path(const Side& a, const Side& b) {
    auto eim = [](const Side& s) {
        return !s.nat || s.nat->mapping == Mapping::endpoint_independent;
    };
    auto adm = [](const Side& s) { return s.nat && s.nat->mapping == Mapping::address_dependent; };
    auto filtering = [](const Side& s) {
        return s.nat ? s.nat->filtering : Filtering::endpoint_independent;
    };
    if (eim(a) && eim(b)) return true;
    if (eim(a)) return filtering(a) != Filtering::address_and_port_dependent;
    if (eim(b)) return filtering(b) != Filtering::address_and_port_dependent;
    // x's first check enters y, y's triggered check enters x, and one of the two re-uses a port.
    auto from_to = [&](const Side& x, const Side& y) {
        return filtering(y) == Filtering::endpoint_independent &&
               filtering(x) != Filtering::address_and_port_dependent && (adm(x) || adm(y));
    };
    return from_to(a, b) || from_to(b, a);
}

std::string Side::describe() const {
    std::string out = lite ? "lite " : controlling ? "controlling " : "controlled ";
    out += nat ? nat->describe() : "public";
    out += describe_link(path.up);
    const auto down = describe_link(path.down);
    if (down != describe_link(path.up)) out += " / down" + (down.empty() ? " clean" : down);
    return out;
}

IceTopology::IceTopology(std::uint64_t seed, TopologyConfig topology)
    : config(std::move(topology)),
      net(seed),
      stun_address(ip("198.51.100.1"), 3478),
      a("a", agent_config(config, config.a, stun_address), seed * 2 + 1),
      b("b", agent_config(config, config.b, stun_address), seed * 2 + 2) {
    // FLOE_SIM_LOG=debug (or trace) replays a scenario with the agents' and the network's log.
    if (const char* level = std::getenv("FLOE_SIM_LOG"))
        if (const auto parsed = parse_log_level(level)) set_log_level(*parsed);
    host_a = net.place_host(config.a.nat, config.a.path, nat_a, ip("203.0.113.1"), ip("198.18.1.2"),
                            ip("203.0.113.11"));
    host_b = net.place_host(config.b.nat, config.b.path, nat_b, ip("203.0.113.2"), ip("198.18.2.2"),
                            ip("203.0.113.12"));
    stun_host = net.add_host(Network::internet, stun_address.ip());
    socket_a = {net.host_ip(host_a), agent_port};
    socket_b = {net.host_ip(host_b), agent_port};
    net.attach(stun_host, stun);
    net.attach(host_a, a);
    net.attach(host_b, b);
}

void IceTopology::start() {
    started = net.now();
    IceNode::pair_up(started, a, b, config.signalling_delay);
    a.add_socket(started, socket_a);
    b.add_socket(started, socket_b);
    a.end_of_sockets(started);
    b.end_of_sockets(started);
    net.flush();
}

bool IceTopology::run_until_connected(Duration limit) {
    return net.run_until([&] { return a.is_connected() && b.is_connected(); }, net.now() + limit);
}

bool IceTopology::run_until_both(ice::IceState state, Duration limit) {
    return net.run_until([&] { return a.agent().state() == state && b.agent().state() == state; },
                         net.now() + limit);
}

std::string IceTopology::describe() const {
    return "a " + config.a.describe() + ", b " + config.b.describe();
}

}  // namespace floe::sim
