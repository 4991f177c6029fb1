// What each TURN error means to the user (RFC 8656 §19, RFC 8489 §14.8), for Event::reason and
// `floe turn`: the first thing a user reads when TURN does not work.
#include <string>

#include <floe/stun/attributes.hpp>
#include <floe/stun/message.hpp>

#include "turn/client.hpp"

namespace floe::turn {

namespace {

std::string method_name(std::uint16_t method) {
    std::string s = stun::describe({method, stun::MessageClass::request});
    return s.substr(0, s.rfind(' '));  // "Allocate request" -> "Allocate"
}

// The server's reason phrase, made safe to print: bounded, control characters replaced.
std::string printable(std::string_view text) {
    constexpr std::size_t max_shown = 128;
    std::string out;
    for (char c : text.substr(0, max_shown))
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? '?' : c;
    if (text.size() > max_shown) out += "...";
    return out;
}

std::string meaning(std::uint16_t method, int code) {
    namespace e = stun::error;
    const bool on_peer =
        method == stun::method::create_permission || method == stun::method::channel_bind;
    switch (code) {
        case 0:
            return "no answer from the TURN server to " + method_name(method) +
                   " (check the address, port, transport and firewalls)";
        case e::try_alternate:
            return "the server redirects to another server (300 Try Alternate), which floe does "
                   "not follow";
        case e::bad_request:
            return "the server found the " + method_name(method) +
                   " request malformed (400 Bad Request)";
        case e::unauthorized:
            return "wrong credentials: the server refused the username or password "
                   "(401 Unauthorized)";
        case e::forbidden:
            return on_peer ? "the server forbids relaying to this peer address (403 Forbidden; "
                             "servers often deny loopback and private peers by policy)"
                           : "the server forbids this allocation (403 Forbidden)";
        case e::unknown_attribute:
            return "the server does not understand an attribute floe sent (420 Unknown "
                   "Attribute)";
        case e::allocation_mismatch:
            return method == stun::method::allocate
                       ? "an allocation already exists for this client address and port "
                         "(437 Allocation Mismatch)"
                       : "the server has no allocation for this client any more: it expired "
                         "or was deleted (437 Allocation Mismatch)";
        case e::stale_nonce:
            return "the server kept refusing the nonce (438 Stale Nonce)";
        case e::address_family_not_supported:
            return "the server does not support that address family (440 Address Family not "
                   "Supported)";
        case e::wrong_credentials:
            return "wrong credentials: they differ from those the allocation was made with "
                   "(441 Wrong Credentials)";
        case e::unsupported_transport_protocol:
            return "the server does not relay UDP (442 Unsupported Transport Protocol)";
        case 443:
            return "the peer's address family differs from the relayed address's (443 Peer "
                   "Address Family Mismatch)";
        case e::allocation_quota_reached:
            return "this user has reached the server's allocation quota (486 Allocation Quota "
                   "Reached): close other allocations or wait for them to expire";
        case e::server_error:
            return "the server failed internally (500 Server Error)";
        case e::insufficient_capacity:
            return "the server has no capacity left: no relay port, permission or channel free "
                   "(508 Insufficient Capacity)";
        default:
            return "the server refused " + method_name(method) + " with error " +
                   std::to_string(code);
    }
}

}  // namespace

std::string describe_error(std::uint16_t method, int code, std::string_view server_reason) {
    std::string text = meaning(method, code);
    if (!server_reason.empty() && server_reason != stun::default_reason(code))
        text += "; the server says \"" + printable(server_reason) + "\"";
    return text;
}

}  // namespace floe::turn
