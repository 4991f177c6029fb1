// Helpers shared by the SDP tests: reading the shared samples and editing a description by line.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace sdp_test {

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::filesystem::path samples_dir() {
    return std::filesystem::path(FLOE_TESTDATA_DIR) / "sdp";
}

// Every *.sdp sample, sorted, as paths relative to samples_dir() ("chromium/offer.sdp").
inline std::vector<std::string> sample_names() {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(samples_dir()))
        if (entry.path().extension() == ".sdp")
            out.push_back(std::filesystem::relative(entry.path(), samples_dir()).generic_string());
    std::sort(out.begin(), out.end());
    return out;
}

inline std::string join_crlf(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\r\n";
    return out;
}

}  // namespace sdp_test
