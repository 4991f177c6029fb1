// A stranger's tools for e2e tests: a plain UDP socket on loopback that only sends, and the
// datagrams that once killed sessions when they came from it (issue 13).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>

namespace floe::test {

// One UDP socket on 127.0.0.1 or ::1 that only sends.
class RawSocket {
  public:
    explicit RawSocket(bool v6 = false) : v6_(v6) {
        fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_storage local =
            to_sockaddr(*SocketAddress::parse(v6 ? std::string_view("[::1]:0") : "127.0.0.1:0"));
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), length()) == 0);
    }
    ~RawSocket() { ::close(fd_); }
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;

    void send_to(ByteSpan data, const SocketAddress& to) const {
        sockaddr_storage a = to_sockaddr(to);
        ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), length());
    }

  private:
    socklen_t length() const { return v6_ ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }
    static sockaddr_storage to_sockaddr(const SocketAddress& a) {
        sockaddr_storage s{};
        const std::string ip = a.ip().to_string();
        if (a.is_v4()) {
            auto* in = reinterpret_cast<sockaddr_in*>(&s);
            in->sin_family = AF_INET;
            in->sin_port = htons(a.port());
            ::inet_pton(AF_INET, ip.c_str(), &in->sin_addr);
        } else {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&s);
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(a.port());
            ::inet_pton(AF_INET6, ip.c_str(), &in6->sin6_addr);
        }
        return s;
    }

    bool v6_;
    int fd_ = -1;
};

// The datagrams of the issue, each reproduced on loopback as a session killer.
inline std::vector<Bytes> hostile_datagrams() {
    std::vector<Bytes> out;
    // A plaintext fatal alert (epoch 0): bad_certificate... any fatal alert ends the handshake.
    out.push_back(
        {0x15, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x02, 0x02, 0x28});
    // Forged epoch-1 records: application data of 48 bytes, and a 20-byte "Finished".
    Bytes app = {0x17, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x30};
    for (int i = 0; i < 48; ++i)
        app.push_back(static_cast<std::uint8_t>(i * 37));
    out.push_back(app);
    Bytes finished = {0x16, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14};
    for (int i = 0; i < 20; ++i)
        finished.push_back(static_cast<std::uint8_t>(0xa5 ^ i));
    out.push_back(finished);
    // Junk in the DTLS range (a truncated ClientHello header), in the STUN range, and outside.
    out.push_back({0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff,
                   0x01, 0x00, 0xff, 0xff});
    out.push_back({0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xa4, 0x42, 0xde, 0xad});
    out.push_back({0xff, 0x00, 0xff, 0x00, 0x42});
    return out;
}

}  // namespace floe::test
