#include "rtc/pcap_file.hpp"

#include <chrono>
#include <map>

#include <floe/error.hpp>

namespace floe::rtc {

std::shared_ptr<PcapFile> PcapFile::open(const std::string& path) {
    static std::mutex registry_mutex;
    static std::map<std::string, std::weak_ptr<PcapFile>> registry;
    std::lock_guard lock(registry_mutex);
    if (auto existing = registry[path].lock()) return existing;
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) throw InvalidArgumentError("cannot create the capture file '" + path + "'");
    std::shared_ptr<PcapFile> created(new PcapFile(file));
    created->write(capture::PcapngEncoder::file_header());
    registry[path] = created;
    return created;
}

PcapFile::PcapFile(std::FILE* file)
    : file_(file),
      steady_origin_(std::chrono::steady_clock::now()),
      wall_origin_micros_(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count())) {}

PcapFile::~PcapFile() {
    std::fclose(file_);
}

void PcapFile::write(const Bytes& block) {
    // Flushed at once: a capture can be read while the session runs, and survives a crash.
    std::fwrite(block.data(), 1, block.size(), file_);
    std::fflush(file_);
}

void PcapFile::datagram(capture::View view, capture::Direction direction, Instant now,
                        const SocketAddress& source, const SocketAddress& destination,
                        ByteSpan payload) {
    const auto since = std::chrono::duration_cast<std::chrono::microseconds>(now - steady_origin_);
    // signed: an instant from before the file was opened is stamped before its origin
    const auto micros =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(wall_origin_micros_) + since.count());
    const Bytes block =
        capture::PcapngEncoder::udp_packet(view, direction, micros, source, destination, payload);
    std::lock_guard lock(mutex_);
    write(block);
}

void PcapFile::secret(std::string_view keylog_line) {
    const Bytes block = capture::PcapngEncoder::secrets(std::string(keylog_line) + "\n");
    std::lock_guard lock(mutex_);
    write(block);
}

}  // namespace floe::rtc
