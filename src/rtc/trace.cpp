#include "rtc/trace.hpp"

#include <floe/stun/message.hpp>

#include "common/log.hpp"
#include "dtls/keylog.hpp"
#include "dtls/record_trace.hpp"

namespace floe::rtc {

std::string describe_datagram(ByteSpan data) {
    if (data.empty()) return "empty datagram";
    const std::uint8_t first = data[0];
    if (first <= 3 && data.size() >= 20)
        return "STUN " +
               stun::describe(stun::MessageType::from_wire(
                   static_cast<std::uint16_t>((data[0] << 8) | data[1]))) +
               ", " + std::to_string(data.size()) + " bytes";
    if (first >= 20 && first <= 63) return dtls::describe_records(data);
    return "unknown datagram, first byte " + std::to_string(first);
}

TraceObserver::TraceObserver(std::function<void(std::string_view)> key_log)
    : key_log_(std::move(key_log)) {}

void TraceObserver::datagram(Instant, session::Direction direction, ice::SocketId,
                             const SocketAddress&, const SocketAddress& remote, ByteSpan data) {
    FLOE_LOG(LogLevel::trace, "rtc") << (direction == session::Direction::in ? "in  " : "out ")
                                     << remote.to_string() << " " << describe_datagram(data);
}

void TraceObserver::key_log(std::string_view line) {
    if (key_log_) key_log_(line);
}

std::unique_ptr<session::PacketObserver> make_observer(const Configuration& c) {
    if (c.keylog_file.empty() && !log_enabled(LogLevel::trace)) return nullptr;
    return std::make_unique<TraceObserver>(
        c.keylog_file.empty() ? nullptr : dtls::keylog_to_file(c.keylog_file));
}

}  // namespace floe::rtc
