// `--pcap FILE` (Configuration::pcap_file): a pcapng file that the PeerConnections of a process
// write their datagrams, their decrypted SCTP packets and their DTLS secrets to, as they happen
// (capture/pcapng.hpp has the layout; docs/capture.md how to read it).
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <floe/socket_address.hpp>

#include "capture/pcapng.hpp"
#include "common/time.hpp"

namespace floe::rtc {

class PcapFile {
  public:
    // The file at `path`, created (truncated) by the first caller in this process and shared by
    // later ones, so that two PeerConnections of one process (floe demo) write one capture.
    // Throws InvalidArgumentError when it cannot be created.
    static std::shared_ptr<PcapFile> open(const std::string& path);
    ~PcapFile();
    PcapFile(const PcapFile&) = delete;
    PcapFile& operator=(const PcapFile&) = delete;

    void datagram(capture::View view, capture::Direction direction, Instant now,
                  const SocketAddress& source, const SocketAddress& destination, ByteSpan payload);
    // One NSS key-log line (without its newline).
    void secret(std::string_view keylog_line);

  private:
    explicit PcapFile(std::FILE* file);
    void write(const Bytes& block);

    std::mutex mutex_;  // PeerConnections on several runtimes may share the file
    std::FILE* file_;
    // The wall clock at one steady-clock instant: packets are stamped in wall-clock time, as
    // Wireshark shows them, from the steady clock the cores run on.
    Instant steady_origin_;
    std::uint64_t wall_origin_micros_;
};

}  // namespace floe::rtc
