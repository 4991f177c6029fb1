// One logging sink for every layer, with levels. Default: warnings and errors to stderr.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

enum class LogLevel { trace, debug, info, warn, error, off };

// component: the layer ("stun", "ice", "dtls", "sctp", "rtc", ...).
using LogSink =
    std::function<void(LogLevel level, std::string_view component, std::string_view message)>;

void set_log_level(LogLevel level);
LogLevel log_level();
// Replaces the sink; an empty function restores the stderr sink. The sink may be called from any
// thread that runs floe code, one call at a time.
void set_log_sink(LogSink sink);

std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view to_string(LogLevel level);

}  // namespace floe

#pragma GCC visibility pop
