// Configuration::keylog_file: the runtime's observer writes the session's key-log lines with
// dtls::keylog_to_file (the session opens no file itself).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <floe/error.hpp>

#include "e2e_support.hpp"
#include "support/process.hpp"

using namespace floe;
using namespace floe::test;

TEST_CASE("keylog_file gets both peers' NSS key log line once they connect") {
    TempDir dir;
    const std::string path = dir.path() + "/keys.txt";
    Configuration c = loopback_config();
    c.keylog_file = path;
    {
        PeerConnection a(c);
        PeerConnection b(c);
        a.create_data_channel("keys");
        signal_trickle(a, b);
        REQUIRE(eventually([&] {
            return a.connection_state() == PeerConnectionState::connected &&
                   b.connection_state() == PeerConnectionState::connected;
        }));
    }
    std::ifstream in(path);
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
        ++lines;
        CHECK(line.starts_with("CLIENT_RANDOM "));
    }
    // One line per side of the handshake (DTLS 1.2: the client random and the master secret).
    CHECK(lines == 2);
}

TEST_CASE("a keylog_file that cannot be opened is refused when the PeerConnection is made") {
    Configuration c = loopback_config();
    c.keylog_file = "/nonexistent-dir/keys.txt";
    CHECK_THROWS_AS(PeerConnection{c}, InvalidArgumentError);
}
