#include <doctest/doctest.h>

#include "ice/host_policy.hpp"

using namespace floe;
using namespace floe::ice;

namespace {
InterfaceAddress entry(std::string name, std::string_view ip) {
    return {std::move(name), *IpAddress::parse(ip)};
}
std::vector<std::string> addresses(const std::vector<InterfaceAddress>& list) {
    std::vector<std::string> out;
    for (const auto& e : list)
        out.push_back(e.address.to_string());
    return out;
}
const std::vector<InterfaceAddress> machine = {
    entry("lo", "127.0.0.1"),           entry("lo", "::1"),
    entry("eth0", "192.0.2.10"),        entry("eth0", "fe80::1"),
    entry("eth0", "2001:db8::10"),      entry("wlan0", "169.254.3.4"),
    entry("wlan0", "198.51.100.7"),     entry("docker0", "0.0.0.0"),
    entry("eth0", "::ffff:192.0.2.10"), entry("eth0", "fec0::5"),
};
}  // namespace

TEST_CASE("host policy by default uses IPv4 and IPv6 but not loopback or link-local") {
    CHECK(addresses(select_host_addresses(machine, {})) ==
          std::vector<std::string>{"192.0.2.10", "2001:db8::10", "198.51.100.7"});
}

TEST_CASE("host policy turns loopback on for same-host tests") {
    HostPolicy policy;
    policy.loopback = true;
    CHECK(
        addresses(select_host_addresses(machine, policy)) ==
        std::vector<std::string>{"127.0.0.1", "::1", "192.0.2.10", "2001:db8::10", "198.51.100.7"});
}

TEST_CASE("host policy can include link-local and restrict the family") {
    HostPolicy policy;
    policy.link_local = true;
    policy.ipv6 = false;
    CHECK(addresses(select_host_addresses(machine, policy)) ==
          std::vector<std::string>{"192.0.2.10", "169.254.3.4", "198.51.100.7"});
    policy.ipv6 = true;
    policy.ipv4 = false;
    CHECK(addresses(select_host_addresses(machine, policy)) ==
          std::vector<std::string>{"fe80::1", "2001:db8::10"});
}

TEST_CASE("host policy allow-list matches interface names and address literals") {
    HostPolicy policy;
    policy.allow = {"wlan0", "2001:db8::10"};
    CHECK(addresses(select_host_addresses(machine, policy)) ==
          std::vector<std::string>{"2001:db8::10", "198.51.100.7"});
    policy.allow = {"nothing-here"};
    CHECK(select_host_addresses(machine, policy).empty());
}

TEST_CASE("host policy drops duplicate addresses reported on two interfaces") {
    const std::vector<InterfaceAddress> dup = {entry("eth0", "192.0.2.1"),
                                               entry("eth0:1", "192.0.2.1")};
    auto out = select_host_addresses(dup, {});
    REQUIRE(out.size() == 1);
    CHECK(out[0].interface == "eth0");
}
