#include "stun_report.hpp"

#include <cstdio>

#include <floe/stun/message.hpp>

namespace floe::cli {

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

int report_binding(const BindingReport& r, const stun::ClientTransaction::Event& event) {
    using Kind = stun::ClientTransaction::Event::Kind;
    const std::string server = r.server.to_string();
    if (event.kind == Kind::timed_out) {
        if (r.json)
            std::printf(
                "{\"url\":%s,\"server\":\"%s\",\"error\":\"timeout\",\"transmissions\":%d,"
                "\"elapsed_ms\":%.1f}\n",
                json_string(r.url).c_str(), server.c_str(), event.transmissions,
                to_ms(event.elapsed));
        std::fprintf(stderr, "floe stun: no response from %s after %d transmissions (%.1f s)\n",
                     server.c_str(), event.transmissions, to_ms(event.elapsed) / 1000);
        return 1;
    }
    auto m = stun::Message::decode(event.response);
    if (!m) {  // the transaction decoded it already; kept for safety
        std::fprintf(stderr, "floe stun: malformed response from %s\n", server.c_str());
        return 1;
    }
    const std::string software(m->software().value_or(""));
    if (m->message_class() == stun::MessageClass::error_response) {
        const auto code = m->error_code();
        const int number = code ? code->code : 0;
        const std::string reason(code ? code->reason : "");
        if (r.json)
            std::printf(
                "{\"url\":%s,\"server\":\"%s\",\"error\":\"error response\",\"code\":%d,"
                "\"reason\":%s}\n",
                json_string(r.url).c_str(), server.c_str(), number, json_string(reason).c_str());
        std::fprintf(stderr, "floe stun: %s answered %d %s\n", server.c_str(), number,
                     reason.c_str());
        return 1;
    }
    auto mapped = m->xor_mapped_address();
    if (!mapped) mapped = m->mapped_address();
    if (!mapped) {
        std::fprintf(stderr, "floe stun: the response from %s has no mapped address\n",
                     server.c_str());
        return 1;
    }
    if (r.json) {
        std::printf(
            "{\"url\":%s,\"server\":\"%s\",\"local\":\"%s\",\"mapped\":\"%s\","
            "\"rtt_ms\":%.3f,\"transmissions\":%d,\"software\":%s}\n",
            json_string(r.url).c_str(), server.c_str(), r.local.to_string().c_str(),
            mapped->to_string().c_str(), to_ms(event.rtt), event.transmissions,
            m->software() ? json_string(software).c_str() : "null");
    } else {
        std::printf("server    %s (%s)\n", r.url.c_str(), server.c_str());
        std::printf("local     %s\n", r.local.to_string().c_str());
        std::printf("mapped    %s\n", mapped->to_string().c_str());
        std::printf("rtt       %.3f ms (%d transmission%s)\n", to_ms(event.rtt),
                    event.transmissions, event.transmissions == 1 ? "" : "s");
        std::printf("software  %s\n", m->software() ? software.c_str() : "(none)");
    }
    std::fflush(stdout);
    return 0;
}

}  // namespace floe::cli
