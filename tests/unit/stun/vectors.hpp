// Loading the RFC 5769 vectors from FLOE_TESTDATA_DIR (shared by the STUN unit tests).
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <floe/bytes.hpp>

namespace floe::stun::test {

// The bytes of testdata/stun-rfc5769/<name>.hex (whitespace-separated hex bytes).
inline Bytes rfc5769(const std::string& name) {
    std::ifstream in(std::string(FLOE_TESTDATA_DIR) + "/stun-rfc5769/" + name + ".hex");
    REQUIRE_MESSAGE(in.good(), "missing test vector " << name);
    std::stringstream all;
    all << in.rdbuf();
    std::string text;
    for (char c : all.str())
        if (c != ' ' && c != '\n' && c != '\r') text += c;
    auto bytes = from_hex(text);
    REQUIRE(bytes);
    return *bytes;
}

inline const char* const short_term_password = "VOkJxbRl1RmTxUk/WvJxBt";

}  // namespace floe::stun::test
