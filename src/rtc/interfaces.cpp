#include "rtc/interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>

namespace floe::rtc {

std::vector<ice::InterfaceAddress> list_interfaces() {
    std::vector<ice::InterfaceAddress> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
        if (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6) continue;
        if (auto a = SocketAddress::from_sockaddr(i->ifa_addr))
            out.push_back({i->ifa_name, a->ip()});
    }
    freeifaddrs(list);
    return out;
}

}  // namespace floe::rtc
