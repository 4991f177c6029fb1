// The PeerConnection options `floe chat`, `floe peer` and `floe demo` share:
//   --ice-server URL (repeatable; "none" for none)  --interface NAME|ADDR (repeatable)
//   --loopback  --loopback-only  --no-ipv6  --port-range LOW-HIGH  --max-message-size N
//   --trace  --keylog FILE
#pragma once

#include <string>
#include <vector>

#include <floe/configuration.hpp>

#include "args.hpp"

namespace floe::cli {

// `default_servers` applies when no --ice-server is given.
Configuration read_rtc_options(Args& args, const std::vector<std::string>& default_servers);

// `text` as a JSON string literal (common/json.hpp), for RESULT lines.
std::string json_quote(std::string_view text);

}  // namespace floe::cli
