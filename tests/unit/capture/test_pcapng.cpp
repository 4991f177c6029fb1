// The pcapng encoder, read back by Wireshark's own reader and dissectors (tshark), so a test
// fails if a learner's `tshark -r` would not show what docs/capture.md promises.
#include <doctest/doctest.h>

#include <floe/stun/builder.hpp>

#include <fstream>
#include <sstream>

#include "capture/pcapng.hpp"
#include "common/byte_writer.hpp"
#include "sctp/dcep.hpp"
#include "support/process.hpp"
#include "support/tshark.hpp"

using namespace floe;
using namespace floe::capture;
using namespace std::chrono_literals;

namespace {

const SocketAddress alice = *SocketAddress::parse("127.0.0.1:40001");
const SocketAddress bob = *SocketAddress::parse("127.0.0.2:40002");
const SocketAddress alice6 = *SocketAddress::parse("[::1]:40003");
const SocketAddress bob6 = *SocketAddress::parse("[::1]:40004");

Bytes binding_request() {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request},
                           {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    b.add_priority(0x6e7f00ff).add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

// One SCTP packet with a DATA chunk carrying a DCEP DATA_CHANNEL_OPEN for "chat" (RFC 9260 §3.3.1,
// RFC 8832 §5.1). Its checksum is left zero: Wireshark does not check it unless asked.
Bytes sctp_dcep_open() {
    sctp::DataChannelOpen open;
    open.label = "chat";
    auto dcep = sctp::encode_dcep(open);
    REQUIRE(dcep);
    Bytes out;
    ByteWriter w(out);
    w.u16(5000);
    w.u16(5000);
    w.u32(0x01020304);  // verification tag
    w.u32(0);           // checksum
    w.u8(0);            // DATA
    w.u8(0x03);         // beginning and end of a message
    w.u16(static_cast<std::uint16_t>(16 + dcep->size()));
    w.u32(1);   // TSN
    w.u16(0);   // stream
    w.u16(0);   // stream sequence number
    w.u32(50);  // PPID: DCEP
    w.bytes(*dcep);
    while (out.size() % 4)
        out.push_back(0);
    return out;
}

// A DTLS 1.2 record holding a ClientHello with one cipher suite and no extensions (RFC 6347
// §4.1, §4.2.2; RFC 5246 §7.4.1.2).
Bytes dtls_client_hello() {
    Bytes hello;
    ByteWriter body(hello);
    body.u16(0xfefd);  // DTLS 1.2
    for (std::uint8_t i = 0; i < 32; ++i)
        body.u8(i);    // random
    body.u8(0);        // session id
    body.u8(0);        // cookie
    body.u16(2);       // cipher suites
    body.u16(0xc02b);  // ECDHE-ECDSA-AES128-GCM-SHA256
    body.u8(1);        // compression methods
    body.u8(0);        // null
    Bytes out;
    ByteWriter w(out);
    w.u8(22);  // handshake
    w.u16(0xfefd);
    w.u16(0);  // epoch
    w.u48(0);  // sequence number
    w.u16(static_cast<std::uint16_t>(12 + hello.size()));
    w.u8(1);                                          // ClientHello
    w.u24(static_cast<std::uint32_t>(hello.size()));  // length
    w.u16(0);                                         // message sequence
    w.u24(0);                                         // fragment offset
    w.u24(static_cast<std::uint32_t>(hello.size()));  // fragment length
    w.bytes(hello);
    return out;
}

void append(Bytes& file, const Bytes& block) {
    file.insert(file.end(), block.begin(), block.end());
}

std::string write_temp(const test::TempDir& dir, const Bytes& file) {
    const std::string path = dir.path() + "/session.pcapng";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(file.data()),
               static_cast<std::streamsize>(file.size()));
    return path;
}

std::vector<std::string> tshark_fields(const std::string& path, std::vector<std::string> fields) {
    auto argv = test::tshark_reading(path);
    argv.insert(argv.end(), {"-T", "fields", "-E", "separator=|"});
    for (auto& f : fields) {
        argv.push_back("-e");
        argv.push_back(f);
    }
    auto result = test::run(argv, 60s);
    REQUIRE(result.status == 0);
    INFO(result.err);
    std::vector<std::string> lines;
    std::istringstream in(result.out);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("tshark reads the wire view's datagrams with their addresses, direction and STUN") {
    Bytes file = PcapngEncoder::file_header();
    const Bytes stun = binding_request();
    append(file, PcapngEncoder::udp_packet(View::wire, Direction::outbound, 1'700'000'000'000'001,
                                           alice, bob, stun));
    append(file, PcapngEncoder::udp_packet(View::wire, Direction::inbound, 1'700'000'000'000'002,
                                           bob6, alice6, stun));
    test::TempDir dir;
    const auto lines = tshark_fields(
        write_temp(dir, file), {"frame.interface_name", "frame.p2p_dir", "ip.src", "ipv6.src",
                                "udp.srcport", "udp.dstport", "stun.type", "frame.time_epoch"});
    REQUIRE(lines.size() == 2);
    // frame.p2p_dir: 0 sent, 1 received (from the epb_flags direction)
    CHECK(lines[0] == "wire|0|127.0.0.1||40001|40002|0x0001|1700000000.000001000");
    CHECK(lines[1] == "wire|1||::1|40004|40003|0x0001|1700000000.000002000");
}

// floe's ports are ephemeral and can be one Wireshark registered for another protocol: 34980 is
// EtherCAT's, which took a CI run's DTLS handshake away from the Finished count. Read as
// docs/capture.md says, STUN and DTLS are still recognised on it.
TEST_CASE("tshark finds STUN and DTLS on a port Wireshark registered for another protocol") {
    const SocketAddress ethercat_port = *SocketAddress::parse("127.0.0.2:34980");
    Bytes file = PcapngEncoder::file_header();
    append(file, PcapngEncoder::udp_packet(View::wire, Direction::outbound, 1, alice, ethercat_port,
                                           binding_request()));
    append(file, PcapngEncoder::udp_packet(View::wire, Direction::outbound, 2, alice, ethercat_port,
                                           dtls_client_hello()));
    test::TempDir dir;
    const auto lines =
        tshark_fields(write_temp(dir, file), {"udp.dstport", "stun.type", "dtls.handshake.type"});
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "34980|0x0001|");
    CHECK(lines[1] == "34980||1");  // 1: ClientHello
}

TEST_CASE("tshark decodes the decrypted view as SCTP over UDP 9899 down to the DCEP OPEN") {
    Bytes file = PcapngEncoder::file_header();
    append(file, PcapngEncoder::udp_packet(
                     View::decrypted, Direction::outbound, 1'700'000'000'000'000,
                     SocketAddress(alice.ip(), sctp_over_udp_port),
                     SocketAddress(bob.ip(), sctp_over_udp_port), sctp_dcep_open()));
    test::TempDir dir;
    const auto lines = tshark_fields(
        write_temp(dir, file), {"frame.interface_name", "sctp.chunk_type",
                                "sctp.data_payload_proto_id", "rtcdc.message_type", "rtcdc.label"});
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "decrypted|0|50|3|chat");  // 3: DATA_CHANNEL_OPEN
}

TEST_CASE("a Decryption Secrets Block is read as the session's TLS key log") {
    Bytes file = PcapngEncoder::file_header();
    const std::string keylog =
        "CLIENT_RANDOM 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c"
        "0d0e0f\n";
    append(file, PcapngEncoder::secrets(keylog));
    append(file, PcapngEncoder::udp_packet(View::wire, Direction::outbound, 1, alice, bob,
                                           binding_request()));
    test::TempDir dir;
    const std::string path = write_temp(dir, file);
    // A malformed DSB makes tshark fail to read the file at all.
    REQUIRE(tshark_fields(path, {"frame.number"}).size() == 1);
    const std::string extracted = dir.path() + "/keys.txt";
    // tshark --export-tls-session-keys writes every key it learned from the file.
    auto export_keys = test::tshark_reading(path);
    export_keys.insert(export_keys.end(), {"--export-tls-session-keys", extracted});
    auto result = test::run(export_keys, 60s);
    REQUIRE(result.status == 0);
    std::ifstream in(extracted);
    std::stringstream got;
    got << in.rdbuf();
    CHECK(got.str().find("CLIENT_RANDOM 000102030405060708090a0b0c0d0e0f") != std::string::npos);
}

TEST_CASE("a datagram beyond an IP packet's size is cut, not written as a broken block") {
    Bytes file = PcapngEncoder::file_header();
    Bytes huge(100'000, 0xAB);
    append(file, PcapngEncoder::udp_packet(View::wire, Direction::outbound, 1, alice, bob, huge));
    test::TempDir dir;
    const auto lines = tshark_fields(write_temp(dir, file), {"udp.length"});
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == std::to_string(8 + max_udp_payload));
}
