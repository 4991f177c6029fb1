// ICE server URLs ("stun:host[:port]") from a Configuration, resolved to the addresses the ICE
// agent sends Binding requests to. Throws InvalidArgumentError for a URL it cannot use.
#pragma once

#include <string>
#include <vector>

#include <floe/socket_address.hpp>

namespace floe::rtc {

std::vector<SocketAddress> resolve_ice_servers(const std::vector<std::string>& urls);

}  // namespace floe::rtc
