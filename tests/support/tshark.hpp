// tshark reading a capture floe wrote, the way docs/capture.md tells a learner to run it.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/process.hpp"

namespace floe::test {

// `tshark -n -o udp.try_heuristic_first:TRUE -r FILE`, to which a caller appends its filter and
// fields. floe's ports are ephemeral, and when one is a port Wireshark registered for another
// protocol (34980 is EtherCAT's), that dissector would take the datagrams before the STUN and DTLS
// heuristics see them; the preference lets the heuristics go first (docs/capture.md).
inline std::vector<std::string> tshark_reading(const std::string& file) {
    REQUIRE_MESSAGE(find_program("tshark"),
                    "tshark is missing: scripts/install-deps.sh installs it");
    return {"tshark", "-n", "-o", "udp.try_heuristic_first:TRUE", "-r", file};
}

}  // namespace floe::test
