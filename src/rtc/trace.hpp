// The runtime's observer of a session's traffic (session::PacketObserver): `--trace` lines for
// every datagram in and out, and the NSS key log written to Configuration::keylog_file.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <floe/bytes.hpp>
#include <floe/configuration.hpp>

#include "session/observer.hpp"

namespace floe::rtc {

// One line about a datagram: STUN message type, or DTLS record types and lengths (RFC 7983
// demultiplexing by the first byte).
std::string describe_datagram(ByteSpan data);

class TraceObserver final : public session::PacketObserver {
  public:
    // key_log: where the key log lines go (dtls::keylog_to_file), or empty.
    explicit TraceObserver(std::function<void(std::string_view)> key_log);

    void datagram(Instant now, session::Direction direction, ice::SocketId socket,
                  const SocketAddress& local, const SocketAddress& remote, ByteSpan data) override;
    void key_log(std::string_view line) override;

  private:
    std::function<void(std::string_view)> key_log_;
};

// The observer a PeerConnection with this configuration needs: none unless it writes a key log
// or trace logging is on when it is created (`floe ... --trace` sets it first). Throws
// InvalidArgumentError when the key log file cannot be opened.
std::unique_ptr<session::PacketObserver> make_observer(const Configuration& configuration);

}  // namespace floe::rtc
