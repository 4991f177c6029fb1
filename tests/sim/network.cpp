#include "sim/network.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "common/log.hpp"

namespace floe::sim {

struct Network::Interface {
    ZoneId zone = internet;
    IpAddress ip;
    Path path;
    std::optional<NatId> nat;  // the external side of this NAT, else a host
    Node* node = nullptr;
};

struct Network::Zone {
    std::optional<NatId> gateway;  // the NAT this zone sits behind; none for the internet
};

struct Network::InFlight {
    Instant at;
    std::uint64_t sequence = 0;
    Stage stage = Stage::to_zone;
    std::size_t target = 0;  // a ZoneId or an interface index, by stage
    Datagram datagram;
};

namespace {
// std heap functions build a max-heap: "less" means "later".
bool later(const auto& a, const auto& b) {
    return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
}
}  // namespace

std::string virtual_seconds(Instant now) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6f", to_ms(now.time_since_epoch()) / 1000);
    return text;
}

Network::Network(std::uint64_t seed, Instant start) : random_(seed), now_(start) {
    zones_.push_back(Zone{});  // the internet
}

Network::~Network() = default;

void Network::too_many_steps(std::uint64_t max_steps) {
    throw std::runtime_error("simulator: no progress after " + std::to_string(max_steps) +
                             " steps (a node keeps asking to be woken)");
}

std::size_t Network::add_interface(ZoneId zone, IpAddress ip, Path path) {
    if (zone >= zones_.size()) throw std::invalid_argument("simulator: no such zone");
    for (const auto& i : interfaces_)
        if (i.zone == zone && i.ip == ip)
            throw std::invalid_argument("simulator: " + ip.to_string() + " is taken in its zone");
    interfaces_.push_back(Interface{zone, ip, path, std::nullopt, nullptr});
    return interfaces_.size() - 1;
}

NatId Network::add_nat(ZoneId outside, IpAddress external_ip, NatConfig config, Path path) {
    const auto interface = add_interface(outside, external_ip, path);
    const NatId id = nats_.size();
    interfaces_[interface].nat = id;
    nats_.push_back(std::make_unique<Nat>(config, external_ip, random_));
    nat_interface_.push_back(interface);
    zones_.push_back(Zone{id});
    return id;
}

ZoneId Network::inside(NatId nat) const {
    for (ZoneId z = 0; z < zones_.size(); ++z)
        if (zones_[z].gateway == nat) return z;
    throw std::invalid_argument("simulator: no such NAT");
}

Nat& Network::nat(NatId nat) {
    return *nats_.at(nat);
}

HostId Network::add_host(ZoneId zone, IpAddress ip, Path path) {
    host_interface_.push_back(add_interface(zone, ip, path));
    return host_interface_.size() - 1;
}

HostId Network::place_host(const std::optional<NatConfig>& nat_config, const Path& path,
                           std::optional<NatId>& nat, IpAddress nat_ip, IpAddress private_ip,
                           IpAddress public_ip) {
    if (!nat_config) return add_host(internet, public_ip, path);
    nat = add_nat(internet, nat_ip, *nat_config);
    return add_host(inside(*nat), private_ip, path);
}

IpAddress Network::host_ip(HostId host) const {
    return interfaces_[host_interface_.at(host)].ip;
}

void Network::set_path(HostId host, Path path) {
    interfaces_[host_interface_.at(host)].path = path;
}

void Network::attach(HostId host, Node& node) {
    const auto interface = host_interface_.at(host);
    if (interfaces_[interface].node == nullptr) node_order_.push_back(interface);
    interfaces_[interface].node = &node;
    drain(interface);
}

void Network::detach(HostId host) {
    const auto interface = host_interface_.at(host);
    interfaces_[interface].node = nullptr;
    std::erase(node_order_, interface);
}

void Network::send_over(const LinkConfig& link, Stage stage, std::size_t target,
                        Datagram datagram) {
    if (link.loss > 0 && random_.unit() < link.loss) {
        ++stats_.lost;
        FLOE_LOG(LogLevel::trace, "sim")
            << virtual_seconds(now_) << " lost " << datagram.source.to_string() << " -> "
            << datagram.destination.to_string() << " " << datagram.data.size() << " bytes";
        return;
    }
    const bool twice = link.duplicate > 0 && random_.unit() < link.duplicate;
    for (int copy = twice ? 2 : 1; copy > 0; --copy) {
        Duration delay = link.delay;
        if (link.jitter > 0ms)
            delay += Duration(static_cast<Duration::rep>(
                random_.uniform(static_cast<std::uint64_t>(link.jitter.count()) + 1)));
        if (link.reorder > 0 && random_.unit() < link.reorder) delay += link.reorder_delay;
        queue_.push_back(InFlight{now_ + delay, sequence_++, stage, target,
                                  copy == 1 ? std::move(datagram) : datagram});
        std::push_heap(queue_.begin(), queue_.end(), later<InFlight, InFlight>);
    }
    if (twice) ++stats_.duplicated;
}

void Network::route(ZoneId zone, Datagram datagram) {
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
        const auto& to = interfaces_[i];
        if (to.zone == zone && to.ip == datagram.destination.ip()) {
            send_over(to.path.down, Stage::to_interface, i, std::move(datagram));
            return;
        }
    }
    if (!zones_[zone].gateway) {
        ++stats_.unroutable;
        FLOE_LOG(LogLevel::trace, "sim") << "no route to " << datagram.destination.to_string();
        return;
    }
    const NatId id = *zones_[zone].gateway;
    const auto& outside = interfaces_[nat_interface_[id]];
    datagram.source = nats_[id]->outbound(now_, datagram.source, datagram.destination);
    send_over(outside.path.up, Stage::to_zone, outside.zone, std::move(datagram));
}

void Network::arrive(std::size_t interface, Datagram datagram) {
    auto& at = interfaces_[interface];
    if (at.nat) {
        Nat& nat = *nats_[*at.nat];
        // No hairpinning: what comes back to the NAT from its own external address is dropped.
        const auto internal = datagram.source.ip() == nat.external_ip()
                                  ? std::nullopt
                                  : nat.inbound(now_, datagram.source, datagram.destination);
        if (!internal) {
            ++stats_.nat_dropped;
            return;
        }
        datagram.destination = *internal;
        route(inside(*at.nat), std::move(datagram));
        return;
    }
    if (at.node == nullptr) {
        ++stats_.no_node;
        return;
    }
    ++stats_.delivered;
    FLOE_LOG(LogLevel::trace, "sim")
        << virtual_seconds(now_) << " " << datagram.source.to_string() << " -> "
        << datagram.destination.to_string() << " " << datagram.data.size() << " bytes";
    at.node->handle_input(now_, datagram.destination, datagram.source, datagram.data);
    drain(interface);
}

void Network::drain(std::size_t interface) {
    auto& from = interfaces_[interface];
    while (from.node != nullptr) {
        auto datagram = from.node->poll_transmit();
        if (!datagram) break;
        if (datagram->source.ip() != from.ip)
            throw std::logic_error("simulator: a node on " + from.ip.to_string() + " sent from " +
                                   datagram->source.to_string());
        ++stats_.sent;
        if (filter_ && filter_(*datagram)) {
            ++stats_.filtered;
            continue;
        }
        send_over(from.path.up, Stage::to_zone, from.zone, std::move(*datagram));
    }
}

void Network::flush() {
    for (auto interface : node_order_)
        drain(interface);
}

bool Network::progress(Instant limit) {
    flush();
    std::optional<Instant> next;
    if (!queue_.empty()) next = queue_.front().at;
    std::optional<std::size_t> due_node;
    for (auto interface : node_order_) {
        const auto t = interfaces_[interface].node->poll_timeout();
        if (t && (!next || *t < *next)) {
            next = t;
            due_node = interface;
        }
    }
    if (!next || *next > limit) {
        now_ = std::max(now_, limit);
        return false;
    }
    now_ = std::max(now_, *next);
    ++steps_;
    if (!due_node) {
        std::pop_heap(queue_.begin(), queue_.end(), later<InFlight, InFlight>);
        InFlight item = std::move(queue_.back());
        queue_.pop_back();
        if (item.stage == Stage::to_zone)
            route(item.target, std::move(item.datagram));
        else
            arrive(item.target, std::move(item.datagram));
        return true;
    }
    interfaces_[*due_node].node->handle_timeout(now_);
    ++stats_.timeouts;
    const auto sent = stats_.sent;
    drain(*due_node);
    if (stats_.sent == sent) ++stats_.idle_timeouts;
    return true;
}

void Network::run_for(Duration duration) {
    run_until([] { return false; }, now_ + duration);
}

}  // namespace floe::sim
