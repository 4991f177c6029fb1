// Logging for floe's own code:  FLOE_LOG(LogLevel::debug, "ice") << "pair " << id << " succeeded";
// The message is built only when the level is enabled.
#pragma once

#include <atomic>
#include <sstream>
#include <string_view>

#include <floe/log.hpp>

namespace floe {
namespace detail {

extern std::atomic<LogLevel> g_log_level;

class LogLine {
public:
    LogLine(LogLevel level, std::string_view component) : level_(level), component_(component) {}
    ~LogLine();
    LogLine(const LogLine&) = delete;
    LogLine& operator=(const LogLine&) = delete;
    std::ostream& stream() { return out_; }

private:
    LogLevel level_;
    std::string_view component_;
    std::ostringstream out_;
};

}  // namespace detail

inline bool log_enabled(LogLevel level) {
    return level >= detail::g_log_level.load(std::memory_order_relaxed) && level != LogLevel::off;
}

}  // namespace floe

#define FLOE_LOG(level, component)       \
    if (!::floe::log_enabled(level)) {   \
    } else                               \
        ::floe::detail::LogLine(level, component).stream()
