#include "stun_report.hpp"

#include <chrono>
#include <cstdio>

#include <floe/json.hpp>

namespace floe::cli {
namespace {

double ms(std::chrono::nanoseconds d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int report_binding(const std::string& url, const tools::StunBindingResult& r, bool json) {
    using Outcome = tools::StunBindingResult::Outcome;
    const std::string server = r.server.to_string();
    if (r.outcome == Outcome::timed_out) {
        if (json)
            std::printf(
                "{\"url\":%s,\"server\":\"%s\",\"error\":\"timeout\",\"transmissions\":%d,"
                "\"elapsed_ms\":%.1f}\n",
                json::quote(url).c_str(), server.c_str(), r.transmissions, ms(r.elapsed));
        std::fprintf(stderr, "floe stun: no response from %s after %d transmissions (%.1f s)\n",
                     server.c_str(), r.transmissions, ms(r.elapsed) / 1000);
        return 1;
    }
    if (r.outcome == Outcome::refused) {
        if (json)
            std::printf(
                "{\"url\":%s,\"server\":\"%s\",\"error\":\"refused\",\"reason\":%s,"
                "\"transmissions\":%d}\n",
                json::quote(url).c_str(), server.c_str(), json::quote(r.error_reason).c_str(),
                r.transmissions);
        std::fprintf(stderr, "floe stun: %s refused: %s\n", server.c_str(), r.error_reason.c_str());
        return 1;
    }
    if (r.outcome == Outcome::error_response) {
        if (json)
            std::printf(
                "{\"url\":%s,\"server\":\"%s\",\"error\":\"error response\",\"code\":%d,"
                "\"reason\":%s}\n",
                json::quote(url).c_str(), server.c_str(), r.error_code,
                json::quote(r.error_reason).c_str());
        std::fprintf(stderr, "floe stun: %s answered %d %s\n", server.c_str(), r.error_code,
                     r.error_reason.c_str());
        return 1;
    }
    if (!r.mapped) {
        std::fprintf(stderr, "floe stun: the response from %s has no mapped address\n",
                     server.c_str());
        return 1;
    }
    if (json) {
        std::printf(
            "{\"url\":%s,\"server\":\"%s\",\"local\":\"%s\",\"mapped\":\"%s\","
            "\"rtt_ms\":%.3f,\"transmissions\":%d,\"software\":%s}\n",
            json::quote(url).c_str(), server.c_str(), r.local.to_string().c_str(),
            r.mapped->to_string().c_str(), ms(r.rtt), r.transmissions,
            r.software ? json::quote(*r.software).c_str() : "null");
    } else {
        std::printf("server    %s (%s)\n", url.c_str(), server.c_str());
        std::printf("local     %s\n", r.local.to_string().c_str());
        std::printf("mapped    %s\n", r.mapped->to_string().c_str());
        std::printf("rtt       %.3f ms (%d transmission%s)\n", ms(r.rtt), r.transmissions,
                    r.transmissions == 1 ? "" : "s");
        std::printf("software  %s\n", r.software ? r.software->c_str() : "(none)");
    }
    std::fflush(stdout);
    return 0;
}

}  // namespace floe::cli
