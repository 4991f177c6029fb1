// A key-log sink for Config::keylog that appends NSS key log lines to a file (what `--keylog FILE`
// writes), for Wireshark or tshark to decrypt a capture. See docs/dtls.md.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace floe::dtls {

// Opens `path` for appending now; throws InvalidArgumentError when it cannot. Each line is written
// and flushed at once, so a capture can be decrypted while the session still runs. Copies of the
// returned function share the file.
std::function<void(std::string_view line)> keylog_to_file(const std::string& path);

}  // namespace floe::dtls
