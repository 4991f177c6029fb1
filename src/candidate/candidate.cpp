// The candidate attribute of RFC 8839 §5.1, parsed strictly where its grammar is clear (field
// count, numbers, types) and liberally where browsers differ (case of keywords, runs of spaces,
// the order of raddr/rport/tcptype, unknown extension pairs, which are kept in order).
#include <floe/ice/candidate.hpp>

#include "common/text.hpp"

namespace floe::ice {

namespace {

using text::iequals;

std::string_view tcp_type_name(TcpType type) {
    switch (type) {
        case TcpType::active:
            return "active";
        case TcpType::passive:
            return "passive";
        case TcpType::so:
            return "so";
        case TcpType::none:
            break;
    }
    return "";
}

// A DNS name (RFC 1123 labels) whose last label is not all digits, so that a mistyped IPv4
// literal such as "256.1.1.1" is not taken for a name.
bool is_host_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::string_view last;
    while (!name.empty()) {
        const auto part = text::split_once(name, '.');
        const std::string_view label = part.head;
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        if (!text::all_of(label, [](char c) { return text::is_alnum(c) || c == '-'; }))
            return false;
        last = label;
        if (part.found && part.tail.empty()) return false;  // trailing dot
        name = part.tail;
    }
    return !text::all_of(last, text::is_digit);
}

bool is_ip_literal(std::string_view address) {
    // IpAddress::parse also accepts "[v6]" and zones, which the candidate grammar does not.
    if (text::contains_any(address, "[]%")) return false;
    return IpAddress::parse(address).has_value();
}

bool is_connection_address(std::string_view address) {
    return is_ip_literal(address) || is_host_name(address);
}

// RFC 8839 byte-string: anything but NUL, CR and LF (spaces already separate the words).
bool is_byte_string(std::string_view s) {
    return !s.empty() && !text::contains_any(s, std::string_view("\0\r\n", 3));
}

Failure<CandidateError> error(std::size_t field, std::string reason) {
    return fail(CandidateError{field, std::move(reason)});
}

}  // namespace

std::string_view to_string(CandidateType type) {
    switch (type) {
        case CandidateType::host:
            return "host";
        case CandidateType::srflx:
            return "srflx";
        case CandidateType::prflx:
            return "prflx";
        case CandidateType::relay:
            return "relay";
    }
    return "host";
}

std::string_view to_string(TransportProtocol transport) {
    return transport == TransportProtocol::tcp ? "tcp" : "udp";
}

Result<Candidate, CandidateError> Candidate::parse(std::string_view line) {
    if (line.starts_with("a=")) line.remove_prefix(2);
    constexpr std::string_view prefix = "candidate:";
    if (!text::istarts_with(line, prefix)) return error(0, "expected \"candidate:\"");
    return parse_value(line.substr(prefix.size()));
}

Result<Candidate, CandidateError> Candidate::parse_value(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
        line.remove_suffix(1);
    Candidate c;
    text::Words words(line);
    std::size_t field = 0;
    auto next = [&]() {
        ++field;
        return words.next();
    };

    auto foundation = next();
    if (!foundation || foundation->size() > 32 || !text::all_of(*foundation, text::is_ice_char))
        return error(field, "expected a foundation of 1-32 ice-chars (ALPHA / DIGIT / + /)");
    c.foundation = std::string(*foundation);

    auto component = next();
    auto component_id = component ? text::parse_uint<std::uint16_t>(*component) : std::nullopt;
    if (!component_id || *component_id < 1 || *component_id > 256 || component->size() > 3)
        return error(field, "expected a component id 1-256");
    c.component = *component_id;

    auto transport = next();
    if (transport && iequals(*transport, "udp"))
        c.transport = TransportProtocol::udp;
    else if (transport && iequals(*transport, "tcp"))
        c.transport = TransportProtocol::tcp;
    else
        return error(field, "expected transport \"udp\" or \"tcp\"");

    auto priority = next();
    auto priority_value = priority && priority->size() <= 10
                              ? text::parse_uint<std::uint32_t>(*priority)
                              : std::nullopt;
    if (!priority_value) return error(field, "expected a priority 0-4294967295");
    c.priority = *priority_value;

    auto address = next();
    if (!address || !is_connection_address(*address))
        return error(field, "expected an IPv4 or IPv6 address or a host name (mDNS .local)");
    c.address = std::string(*address);

    auto port = next();
    auto port_value = port ? text::parse_uint<std::uint16_t>(*port) : std::nullopt;
    if (!port_value) return error(field, "expected a port 0-65535");
    c.port = *port_value;

    auto typ = next();
    if (!typ || !iequals(*typ, "typ")) return error(field, "expected \"typ\"");
    auto type = next();
    if (type && iequals(*type, "host"))
        c.type = CandidateType::host;
    else if (type && iequals(*type, "srflx"))
        c.type = CandidateType::srflx;
    else if (type && iequals(*type, "prflx"))
        c.type = CandidateType::prflx;
    else if (type && iequals(*type, "relay"))
        c.type = CandidateType::relay;
    else
        return error(field, "expected a candidate type: host, srflx, prflx or relay");

    // The rest are name/value pairs. RFC 8839 orders raddr, rport, tcptype before the
    // extensions; peers are not always so tidy, so the known names are taken in any order.
    bool tcp_type_seen = false;
    while (auto name = next()) {
        const std::size_t name_field = field;
        auto value = next();
        if (!value)
            return error(name_field, "expected a value after \"" + std::string(*name) + "\"");
        if (iequals(*name, "raddr")) {
            if (c.related_address) return error(name_field, "duplicate raddr");
            if (!is_connection_address(*value))
                return error(field, "expected an address after raddr");
            c.related_address = std::string(*value);
        } else if (iequals(*name, "rport")) {
            if (c.related_port) return error(name_field, "duplicate rport");
            auto v = text::parse_uint<std::uint16_t>(*value);
            if (!v) return error(field, "expected a port 0-65535 after rport");
            c.related_port = *v;
        } else if (iequals(*name, "tcptype")) {
            if (tcp_type_seen) return error(name_field, "duplicate tcptype");
            tcp_type_seen = true;
            if (iequals(*value, "active"))
                c.tcp_type = TcpType::active;
            else if (iequals(*value, "passive"))
                c.tcp_type = TcpType::passive;
            else if (iequals(*value, "so"))
                c.tcp_type = TcpType::so;
            else
                return error(field, "expected tcptype active, passive or so");
        } else {
            if (!is_byte_string(*name) || !is_byte_string(*value))
                return error(name_field, "expected an extension name and value");
            c.extensions.emplace_back(std::string(*name), std::string(*value));
        }
    }
    return c;
}

std::string Candidate::to_string() const {
    std::string out;
    out.reserve(96 + address.size());
    auto add = [&](std::string_view word) {
        out += ' ';
        out += word;
    };
    out += "candidate:";
    out += foundation;
    add(std::to_string(component));
    add(ice::to_string(transport));
    add(std::to_string(priority));
    add(address);
    add(std::to_string(port));
    add("typ");
    add(ice::to_string(type));
    if (related_address) {
        add("raddr");
        add(*related_address);
    }
    if (related_port) {
        add("rport");
        add(std::to_string(*related_port));
    }
    if (tcp_type != TcpType::none) {
        add("tcptype");
        add(tcp_type_name(tcp_type));
    }
    for (const auto& [name, value] : extensions) {
        add(name);
        add(value);
    }
    return out;
}

std::optional<SocketAddress> Candidate::socket_address() const {
    if (!is_ip_literal(address)) return std::nullopt;
    auto ip = IpAddress::parse(address);
    if (!ip) return std::nullopt;
    return SocketAddress(*ip, port);
}

bool Candidate::is_mdns() const {
    constexpr std::string_view suffix = ".local";
    return address.size() > suffix.size() &&
           iequals(std::string_view(address).substr(address.size() - suffix.size()), suffix);
}

std::optional<std::string_view> Candidate::extension(std::string_view name) const {
    for (const auto& [n, v] : extensions)
        if (n == name) return std::string_view(v);
    return std::nullopt;
}

}  // namespace floe::ice
