#include "ice/host_policy.hpp"

#include <algorithm>

namespace floe::ice {

namespace {

bool is_site_local_v6(const IpAddress& ip) {  // fec0::/10, deprecated (RFC 3879)
    const auto b = ip.octets();
    return ip.is_v6() && b[0] == 0xfe && (b[1] & 0xc0) == 0xc0;
}

bool allowed(const InterfaceAddress& entry, const HostPolicy& policy) {
    if (policy.allow.empty()) return true;
    return std::any_of(policy.allow.begin(), policy.allow.end(), [&](const std::string& item) {
        if (item == entry.interface) return true;
        auto ip = IpAddress::parse(item);
        return ip && *ip == entry.address;
    });
}

}  // namespace

std::vector<InterfaceAddress> select_host_addresses(const std::vector<InterfaceAddress>& available,
                                                    const HostPolicy& policy) {
    std::vector<InterfaceAddress> out;
    for (const auto& entry : available) {
        const IpAddress& ip = entry.address;
        if (ip.is_v4() ? !policy.ipv4 : !policy.ipv6) continue;
        if (ip.is_unspecified() || ip.is_v4_mapped() || is_site_local_v6(ip)) continue;
        if (ip.is_loopback() && !policy.loopback) continue;
        if (ip.is_link_local() && !policy.link_local) continue;
        if (!allowed(entry, policy)) continue;
        const bool seen = std::any_of(out.begin(), out.end(),
                                      [&](const InterfaceAddress& e) { return e.address == ip; });
        if (!seen) out.push_back(entry);
    }
    return out;
}

}  // namespace floe::ice
