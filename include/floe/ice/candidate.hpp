// An ICE candidate (RFC 8445 §5.1) and its SDP attribute form (RFC 8839 §5.1):
//   candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
//             [raddr <addr>] [rport <port>] [tcptype <t>] *(<ext-name> <ext-value>)
// The model and its grammar are shared by the SDP layer (parsing descriptions) and the ICE agent
// (which also knows the local socket a candidate belongs to: see src/ice/agent); both build on
// the `candidate` layer (src/candidate) that implements this header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <floe/result.hpp>
#include <floe/socket_address.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::ice {

enum class CandidateType : std::uint8_t { host, srflx, prflx, relay };
enum class TransportProtocol : std::uint8_t { udp, tcp };
enum class TcpType : std::uint8_t { none, active, passive, so };

std::string_view to_string(CandidateType type);
std::string_view to_string(TransportProtocol transport);

// Why a candidate line was refused: which field (1-based, as written) and what was expected.
struct CandidateError {
    std::size_t field = 0;
    std::string reason;
};

// The parsed form of a candidate line; the candidate signaled (trickled) is floe::IceCandidate
// (floe/signaling.hpp), whose parse() gives this.
struct Candidate {
    std::string foundation;  // 1-32 ice-chars
    std::uint16_t component = 1;
    TransportProtocol transport = TransportProtocol::udp;
    std::uint32_t priority = 0;
    std::string address;  // an IPv4/IPv6 literal, or an mDNS name ending in ".local"
    std::uint16_t port = 0;
    CandidateType type = CandidateType::host;
    std::optional<std::string> related_address;  // raddr
    std::optional<std::uint16_t> related_port;   // rport
    TcpType tcp_type = TcpType::none;
    // Extension attributes in the order written (generation, ufrag, network-id, network-cost, ...).
    std::vector<std::pair<std::string, std::string>> extensions;

    // Accepts "candidate:..." with or without a leading "a=".
    static Result<Candidate, CandidateError> parse(std::string_view line);
    // The value of an a=candidate attribute: the line after "candidate:", as the SDP parser has
    // it once it has split the attribute name off. The one grammar ICE and SDP both use.
    static Result<Candidate, CandidateError> parse_value(std::string_view value);
    // "candidate:..." without "a=", extensions kept in order.
    std::string to_string() const;

    // The address and port when the address is an IP literal; nullopt for mDNS names.
    std::optional<SocketAddress> socket_address() const;
    bool is_mdns() const;  // address ends in ".local"
    // The value of an extension attribute (e.g. "ufrag"), if present.
    std::optional<std::string_view> extension(std::string_view name) const;

    friend bool operator==(const Candidate&, const Candidate&) = default;
};

// RFC 8445 §5.1.2.1: priority = 2^24 * type preference + 2^8 * local preference + (256 -
// component). Recommended type preferences: host 126, prflx 110, srflx 100, relay 0.
std::uint32_t type_preference(CandidateType type);
std::uint32_t compute_priority(CandidateType type, std::uint16_t local_preference,
                               std::uint16_t component);

// RFC 8445 §6.1.2.3: 2^32 * MIN(G, D) + 2 * MAX(G, D) + (G > D ? 1 : 0), where G is the
// controlling agent's candidate priority and D the controlled agent's.
std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled);

}  // namespace floe::ice

#pragma GCC visibility pop
