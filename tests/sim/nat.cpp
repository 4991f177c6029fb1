#include "sim/nat.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace floe::sim {

std::string_view to_string(Mapping mapping) {
    switch (mapping) {
        case Mapping::endpoint_independent:
            return "EIM";
        case Mapping::address_dependent:
            return "ADM";
        case Mapping::address_and_port_dependent:
            return "APDM";
    }
    return "?";
}

std::string_view to_string(Filtering filtering) {
    switch (filtering) {
        case Filtering::endpoint_independent:
            return "EIF";
        case Filtering::address_dependent:
            return "ADF";
        case Filtering::address_and_port_dependent:
            return "APDF";
    }
    return "?";
}

std::string NatConfig::describe() const {
    std::string out(to_string(mapping));
    out += '/';
    out += to_string(filtering);
    if (ports == PortAllocation::random) out += "/random-ports";
    return out;
}

Nat::Nat(NatConfig config, IpAddress external_ip, Random& random)
    : config_(config), external_ip_(external_ip), random_(random) {}

void Nat::expire(Instant now) {
    // Timestamps only move forward, so nothing can have expired before the earliest deadline
    // seen at the last sweep: most packets skip the sweep.
    if (next_expiry_ && now < *next_expiry_) return;
    const auto before = entries_.size();
    std::erase_if(entries_,
                  [&](const Entry& e) { return now - e.last_outbound >= config_.mapping_timeout; });
    stats_.mappings_expired += before - entries_.size();
    next_expiry_.reset();
    for (auto& e : entries_) {
        std::erase_if(e.permissions, [&](const Permission& p) {
            return now - p.last_sent >= config_.mapping_timeout;
        });
        for (const auto& p : e.permissions)
            if (!next_expiry_ || p.last_sent + config_.mapping_timeout < *next_expiry_)
                next_expiry_ = p.last_sent + config_.mapping_timeout;
    }
}

SocketAddress Nat::mapping_key(SocketAddress destination) const {
    switch (config_.mapping) {
        case Mapping::endpoint_independent:
            return {};
        case Mapping::address_dependent:
            return {destination.ip(), 0};
        case Mapping::address_and_port_dependent:
            return destination;
    }
    return destination;
}

bool Nat::port_taken(std::uint16_t port) const {
    return std::ranges::any_of(entries_, [&](const Entry& e) { return e.external_port == port; }) ||
           std::ranges::find(retired_ports_, port) != retired_ports_.end();
}

std::uint16_t Nat::allocate_port(std::uint16_t internal_port) {
    if (config_.ports == PortAllocation::preserving && internal_port != 0 &&
        !port_taken(internal_port))
        return internal_port;
    // Dynamic range of RFC 6335; the NAT never holds more than a handful of mappings here, so a
    // free port turns up after very few draws.
    for (;;) {
        const auto port = static_cast<std::uint16_t>(49152 + random_.uniform(65536 - 49152));
        if (!port_taken(port)) return port;
    }
}

SocketAddress Nat::outbound(Instant now, SocketAddress internal, SocketAddress destination) {
    expire(now);
    const SocketAddress key = mapping_key(destination);
    auto it = std::ranges::find_if(
        entries_, [&](const Entry& e) { return e.internal == internal && e.key == key; });
    if (it == entries_.end()) {
        Entry entry{internal, key, allocate_port(internal.port()), now, {}};
        entries_.push_back(std::move(entry));
        it = entries_.end() - 1;
        ++stats_.mappings_created;
        FLOE_LOG(LogLevel::trace, "sim")
            << "nat " << external_ip_.to_string() << " (" << config_.describe() << ") maps "
            << internal.to_string() << " -> :" << it->external_port << " for "
            << destination.to_string();
    }
    it->last_outbound = now;
    if (!next_expiry_) next_expiry_ = now + config_.mapping_timeout;
    auto p = std::ranges::find_if(it->permissions,
                                  [&](const Permission& q) { return q.remote == destination; });
    if (p == it->permissions.end())
        it->permissions.push_back({destination, now});
    else
        p->last_sent = now;
    return {external_ip_, it->external_port};
}

bool Nat::permits(const Entry& entry, SocketAddress from) const {
    switch (config_.filtering) {
        case Filtering::endpoint_independent:
            return true;
        case Filtering::address_dependent:
            return std::ranges::any_of(
                entry.permissions, [&](const Permission& p) { return p.remote.ip() == from.ip(); });
        case Filtering::address_and_port_dependent:
            return std::ranges::any_of(entry.permissions,
                                       [&](const Permission& p) { return p.remote == from; });
    }
    return false;
}

std::optional<SocketAddress> Nat::inbound(Instant now, SocketAddress from, SocketAddress external) {
    expire(now);
    if (external.ip() != external_ip_) {
        ++stats_.dropped_no_mapping;
        return std::nullopt;
    }
    auto it = std::ranges::find_if(
        entries_, [&](const Entry& e) { return e.external_port == external.port(); });
    if (it == entries_.end()) {
        ++stats_.dropped_no_mapping;
        return std::nullopt;
    }
    if (!permits(*it, from)) {
        ++stats_.dropped_filtered;
        FLOE_LOG(LogLevel::trace, "sim")
            << "nat " << external_ip_.to_string() << " (" << config_.describe() << ") filters "
            << from.to_string() << " -> :" << external.port();
        return std::nullopt;
    }
    return it->internal;
}

void Nat::rebind() {
    for (const auto& e : entries_)
        retired_ports_.push_back(e.external_port);
    entries_.clear();
}

std::size_t Nat::mapping_count(Instant now) {
    expire(now);
    return entries_.size();
}

}  // namespace floe::sim
