#include "common/log.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace floe {
namespace detail {

std::atomic<LogLevel> g_log_level{LogLevel::warn};

namespace {
std::mutex& sink_mutex() {
    static std::mutex m;
    return m;
}
LogSink& sink() {
    static LogSink s;
    return s;
}

void stderr_sink(LogLevel level, std::string_view component, std::string_view message) {
    using namespace std::chrono;
    static const auto start = steady_clock::now();
    const double t = duration<double>(steady_clock::now() - start).count();
    std::fprintf(stderr, "%9.3f %-5s %-5.*s %.*s\n", t, to_string(level).data(),
                 static_cast<int>(component.size()), component.data(),
                 static_cast<int>(message.size()), message.data());
}
}  // namespace

LogLine::~LogLine() {
    const std::string message = out_.str();
    std::lock_guard lock(sink_mutex());
    if (sink())
        sink()(level_, component_, message);
    else
        stderr_sink(level_, component_, message);
}

}  // namespace detail

void set_log_level(LogLevel level) { detail::g_log_level.store(level); }
LogLevel log_level() { return detail::g_log_level.load(); }

void set_log_sink(LogSink s) {
    std::lock_guard lock(detail::sink_mutex());
    detail::sink() = std::move(s);
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
    for (LogLevel l : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn,
                       LogLevel::error, LogLevel::off})
        if (to_string(l) == name) return l;
    if (name == "warning") return LogLevel::warn;
    return std::nullopt;
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::trace: return "trace";
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warn: return "warn";
        case LogLevel::error: return "error";
        case LogLevel::off: return "off";
    }
    return "?";
}

}  // namespace floe
