// One UDP port for many PeerConnections (issue 17): a server Runtime with a shared port serves 100
// clients, each with sockets of its own, through one socket; a stranger's datagrams (junk, STUN
// for nobody, responses to nothing, DTLS-looking records, a forged check naming a real session)
// are dropped and counted on the way, and no session notices. Also run under ThreadSanitizer
// (the tsan preset): with two threads the datagrams cross from the reading loop to the other.
#include <doctest/doctest.h>

#include <dirent.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <set>
#include <string>

#include <floe/error.hpp>
#include <floe/runtime.hpp>
#include <floe/stun/builder.hpp>

#include "e2e_support.hpp"
#include "hostile_support.hpp"

using namespace floe;
using namespace floe::test;
using namespace std::chrono_literals;

namespace {

// The inodes of this process's open sockets (a dup'd descriptor shares its socket's inode).
std::set<std::string> socket_inodes() {
    std::set<std::string> out;
    DIR* dir = ::opendir("/proc/self/fd");
    REQUIRE(dir != nullptr);
    while (dirent* e = ::readdir(dir)) {
        const std::string path = std::string("/proc/self/fd/") + e->d_name;
        std::array<char, PATH_MAX> target{};
        const auto n = ::readlink(path.c_str(), target.data(), target.size() - 1);
        if (n <= 0) continue;
        const std::string link(target.data(), static_cast<std::size_t>(n));
        if (link.starts_with("socket:[")) out.insert(link);
    }
    ::closedir(dir);
    return out;
}

std::string ice_ufrag(const SessionDescription& d) {
    const auto at = d.sdp.find("a=ice-ufrag:");
    REQUIRE(at != std::string::npos);
    const auto begin = at + 12;
    return d.sdp.substr(begin, d.sdp.find_first_of("\r\n", begin) - begin);
}

Bytes stun_request(const std::string& username, std::uint8_t seed, bool forged_integrity) {
    Bytes out;
    stun::TransactionId id{};
    id.fill(seed);
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request}, id);
    b.add_username(username);
    b.add_priority(1);
    if (forged_integrity) b.add_message_integrity(stun::IntegrityKey::short_term("not-the-pwd"));
    b.add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

Bytes stun_response(std::uint8_t seed) {
    Bytes out;
    stun::TransactionId id{};
    id.fill(seed);
    id[0] = 0xee;  // no id any of our agents drew (theirs are random; the odds are 2^-88)
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::success_response}, id);
    b.add_xor_mapped_address(*SocketAddress::parse("127.0.0.1:9"));
    b.add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

struct StrayCount {
    std::uint64_t unknown_ufrag = 0, unknown_response = 0, unknown_address = 0;
};

// One round of a stranger's datagrams to the shared port; what the port must drop is counted.
void stray_round(const RawSocket& stranger, const SocketAddress& port, int round,
                 StrayCount& expect) {
    stranger.send_to(stun_request("nobodyhere:abcd", static_cast<std::uint8_t>(round), false),
                     port);
    stranger.send_to(stun_request("zzzz", static_cast<std::uint8_t>(round + 100), false), port);
    expect.unknown_ufrag += 2;
    stranger.send_to(stun_response(static_cast<std::uint8_t>(round)), port);
    ++expect.unknown_response;
    for (const auto& d : hostile_datagrams())
        stranger.send_to(d, port);  // none is a whole STUN message: by address, which is unknown
    expect.unknown_address += hostile_datagrams().size();
}

struct Client {
    std::unique_ptr<PeerConnection> pc;
    std::shared_ptr<DataChannel> dc;
    Inbox echoes;
};

void serve_100_clients_on_one_port(unsigned server_threads) {
    constexpr int kClients = 100, kMessages = 10;
    const auto sockets_before = socket_inodes();

    RuntimeOptions options;
    options.threads = server_threads;
    options.shared_udp_port = 0;
    options.shared_addresses = {"127.0.0.1"};
    auto server_runtime = std::make_shared<Runtime>(options);
    REQUIRE(server_runtime->shared_ports().size() == 1);
    const SocketAddress port = server_runtime->shared_ports().front().local_address;
    REQUIRE(port.port() != 0);

    // The server side: one PeerConnection a client, each echoing what its channel receives and
    // checking it came from its own client.
    std::atomic<int> cross_talk{0};
    std::mutex server_mutex;
    std::vector<std::shared_ptr<DataChannel>> server_channels;
    std::vector<std::unique_ptr<PeerConnection>> servers;
    for (int i = 0; i < kClients; ++i) {
        Configuration c = loopback_config();
        c.runtime = server_runtime;
        auto pc = std::make_unique<PeerConnection>(c);
        pc->on_data_channel([&, i](std::shared_ptr<DataChannel> dc) {
            const std::string prefix = "c" + std::to_string(i) + ":";
            if (dc->label() != "c" + std::to_string(i)) ++cross_talk;
            DataChannel* raw = dc.get();
            dc->on_message([&, prefix, raw](Message m) {
                if (!m.text().starts_with(prefix)) ++cross_talk;
                raw->send(m.text());
            });
            std::lock_guard lock(server_mutex);
            server_channels.push_back(std::move(dc));
        });
        servers.push_back(std::move(pc));
    }
    // 100 PeerConnections, one socket (the dup'd descriptors each loop sends on share its inode).
    std::set<std::string> opened;
    for (const auto& s : socket_inodes())
        if (!sockets_before.contains(s)) opened.insert(s);
    CHECK(opened.size() == 1);
    CHECK(server_runtime->shared_ports().front().peer_connections == kClients);

    RawSocket stranger;
    StrayCount expect;
    auto client_runtime = std::make_shared<Runtime>(1);
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < kClients; ++i) {
        auto client = std::make_unique<Client>();
        Configuration c = loopback_config();
        c.runtime = client_runtime;
        client->pc = std::make_unique<PeerConnection>(c);
        client->dc = client->pc->create_data_channel("c" + std::to_string(i));
        client->echoes.attach(client->dc);
        signal_complete(*client->pc, *servers[i]);
        // The server's only candidate is the shared port.
        const auto answer = *servers[i]->local_description();
        CHECK(answer.sdp.find("127.0.0.1 " + std::to_string(port.port()) + " typ host") !=
              std::string::npos);
        if (i % 10 == 0) stray_round(stranger, port, i, expect);
        clients.push_back(std::move(client));
    }
    for (int i = 0; i < kClients; ++i) {
        INFO("client " << i);
        REQUIRE(eventually([&] { return clients[i]->dc->ready_state() == DataChannelState::open; },
                           20s));
    }

    // A forged check naming a real session's ufrag reaches that session (which refuses it), but
    // gives the stranger's address nothing: its DTLS-looking datagrams are still dropped.
    const std::string ufrag = ice_ufrag(*servers[0]->local_description());
    stranger.send_to(stun_request(ufrag + ":abcd", 7, true), port);
    for (int round = 0; round < 10; ++round)
        stray_round(stranger, port, 200 + round, expect);

    for (int k = 0; k < kMessages; ++k)
        for (int i = 0; i < kClients; ++i)
            clients[i]->dc->send("c" + std::to_string(i) + ":" + std::to_string(k));
    for (int i = 0; i < kClients; ++i) {
        INFO("client " << i);
        REQUIRE(eventually([&] { return clients[i]->echoes.size() == kMessages; }, 20s));
        for (int k = 0; k < kMessages; ++k)
            CHECK(clients[i]->echoes.at(k).text() ==
                  "c" + std::to_string(i) + ":" + std::to_string(k));
    }
    CHECK(cross_talk.load() == 0);

    // Everything the stranger sent was dropped and counted by cause; the sessions stayed up.
    const auto stats = server_runtime->shared_ports().front();
    CHECK(stats.unknown_ufrag == expect.unknown_ufrag);
    CHECK(stats.unknown_response == expect.unknown_response);
    CHECK(stats.unknown_address >= expect.unknown_address);
    CHECK(stats.dropped() >=
          expect.unknown_ufrag + expect.unknown_response + expect.unknown_address);
    CHECK(stats.routed > 0);
    if (server_threads > 1)
        CHECK(stats.handed_off > 0);  // the second loop's PeerConnections got theirs by hand-off
    else
        CHECK(stats.handed_off == 0);
    for (int i = 0; i < kClients; ++i) {
        CHECK(servers[i]->connection_state() == PeerConnectionState::connected);
        CHECK(clients[i]->pc->connection_state() == PeerConnectionState::connected);
    }

    clients.clear();
    {
        std::lock_guard lock(server_mutex);
        for (auto& dc : server_channels)
            dc->on_message(nullptr);
        server_channels.clear();
    }
    servers.clear();
    CHECK(server_runtime->shared_ports().front().peer_connections == 0);
}

}  // namespace

TEST_CASE("a shared port serves 100 PeerConnections on one socket; strangers are dropped") {
    serve_100_clients_on_one_port(1);
}

TEST_CASE("a shared port on a Runtime of 2 threads hands datagrams to the other loop") {
    serve_100_clients_on_one_port(2);
}

TEST_CASE("a shared port that cannot be bound fails the Runtime's constructor, clearly") {
    RuntimeOptions options;
    options.shared_udp_port = 0;
    options.shared_addresses = {"not-an-address"};
    CHECK_THROWS_AS(Runtime{options}, InvalidArgumentError);
    options.shared_addresses = {"0.0.0.0"};
    CHECK_THROWS_AS(Runtime{options}, InvalidArgumentError);

    options.shared_addresses = {"127.0.0.1"};
    Runtime first(options);
    options.shared_udp_port = first.shared_ports().front().local_address.port();
    CHECK_THROWS_AS(Runtime{options}, std::system_error);  // the port is taken
}

TEST_CASE("a Runtime without a shared port has none, and its PeerConnections bind their own") {
    auto runtime = std::make_shared<Runtime>(1);
    CHECK(runtime->shared_ports().empty());
    const auto before = socket_inodes();
    Configuration c = loopback_config();
    c.runtime = runtime;
    PeerConnection a(c), b(c);
    std::size_t opened = 0;
    for (const auto& s : socket_inodes())
        if (!before.contains(s)) ++opened;
    CHECK(opened == 2);
}
