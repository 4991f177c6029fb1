// The host's interface addresses (getifaddrs), for choosing where to gather (ice::HostPolicy).
#pragma once

#include <vector>

#include "ice/host_policy.hpp"

namespace floe::rtc {

// Every address of every interface that is up, IPv4 and IPv6, in the system's order.
std::vector<ice::InterfaceAddress> list_interfaces();

}  // namespace floe::rtc
