// The tools API (floe/tools/): the STUN Binding client and server runners of src/rtc, and
// usrsctp's counters, behind headers without Asio or src/ types, for the CLI and other embedders.
#include <floe/tools/sctp.hpp>
#include <floe/tools/stun.hpp>

#include <cstddef>  // before asio: see rtc/udp_socket.hpp (aligned_alloc ODR, ASan)

#include <asio.hpp>

#include <algorithm>
#include <cstdio>
#include <future>
#include <thread>

#include <floe/stun/message.hpp>

#include "capture/describe.hpp"
#include "common/random.hpp"
#include "rtc/pcap_file.hpp"
#include "rtc/resolver.hpp"
#include "rtc/stun_binding_client.hpp"
#include "rtc/stun_binding_server.hpp"
#include "sctp/tuning.hpp"
#include "stun/url.hpp"

namespace floe::tools {

namespace {

Failure<StunBindingError> binding_error(StunBindingError::Kind kind, std::string message) {
    return fail(StunBindingError{kind, std::move(message)});
}

rtc::Families to_families(AddressFamilies families) {
    switch (families) {
        case AddressFamilies::ipv4:
            return rtc::Families::ipv4;
        case AddressFamilies::ipv6:
            return rtc::Families::ipv6;
        case AddressFamilies::any:
            break;
    }
    return rtc::Families::any;
}

StunBindingResult to_result(const rtc::BindingClient::Outcome& outcome, int sent,
                            const SocketAddress& server, const SocketAddress& local) {
    StunBindingResult r;
    r.server = server;
    r.local = local;
    r.transmissions = sent;
    if (!outcome.event) {
        r.outcome = StunBindingResult::Outcome::refused;
        r.error_reason = outcome.error == asio::error::connection_refused
                             ? "port unreachable (ICMP)"
                             : outcome.error.message();
        return r;
    }
    const auto& event = *outcome.event;
    r.transmissions = event.transmissions;
    r.rtt = event.rtt;
    r.elapsed = event.elapsed;
    if (event.kind == rtc::BindingClient::Event::Kind::timed_out) return r;
    // The transaction accepted the response, so it decodes.
    auto m = stun::Message::decode(event.response);
    if (!m) return r;
    if (auto software = m->software()) r.software = std::string(*software);
    if (m->message_class() == stun::MessageClass::error_response) {
        r.outcome = StunBindingResult::Outcome::error_response;
        if (auto code = m->error_code()) {
            r.error_code = code->code;
            r.error_reason = std::string(code->reason);
        }
        return r;
    }
    r.outcome = StunBindingResult::Outcome::success;
    r.mapped = m->xor_mapped_address();
    if (!r.mapped) r.mapped = m->mapped_address();
    return r;
}

}  // namespace

Result<StunBindingResult, StunBindingError> stun_binding(std::string_view text,
                                                         const StunBindingOptions& options) {
    using Kind = StunBindingError::Kind;
    auto url = stun::parse_url(text);
    if (!url) return binding_error(Kind::bad_url, url.error());
    // RFC 7064: stuns: is STUN over TLS, which floe does not speak; turn(s): is not a STUN server.
    if (url->scheme != stun::UrlScheme::stun)
        return binding_error(Kind::unsupported_scheme,
                             std::string(to_string(url->scheme)) + ": URLs are not supported here");
    auto addresses = rtc::resolve(url->host, url->port, to_families(options.families));
    if (!addresses)
        return binding_error(Kind::unresolved,
                             "cannot resolve '" + url->host + "': " + addresses.error().message());
    const SocketAddress server = addresses->front();

    stun::RetransmissionConfig config;
    config.initial_rto = options.initial_rto;
    config.max_transmissions = options.max_transmissions;
    config.final_wait_multiplier = options.final_wait_multiplier;

    const Instant started = Clock::now();
    std::shared_ptr<rtc::PcapFile> pcap;
    if (!options.pcap_file.empty()) {
        try {
            pcap = rtc::PcapFile::open(options.pcap_file);
        } catch (const std::exception& e) {
            return binding_error(Kind::socket, e.what());
        }
    }
    rtc::BindingClient::Hooks hooks;
    if (options.trace || pcap) {
        hooks.datagram = [&](capture::Direction direction, const SocketAddress& local,
                             const SocketAddress& remote, ByteSpan data) {
            const bool out = direction == capture::Direction::outbound;
            if (pcap)
                pcap->datagram(capture::View::wire, direction, Clock::now(), out ? local : remote,
                               out ? remote : local, data);
            if (options.trace) {
                // Stamped like the log's lines: seconds since the command started.
                char at[32];
                std::snprintf(at, sizeof at, "%9.3f ", to_ms(Clock::now() - started) / 1000);
                options.trace(at + std::string(out ? "out " : "in  ") + remote.to_string() + " " +
                              capture::describe_datagram(data));
            }
        };
    }
    if (options.progress) {
        hooks.retransmitted = [&](int requests, Duration next) {
            char wait[32];
            std::snprintf(wait, sizeof wait, "%.1f s", to_ms(next) / 1000);
            options.progress(
                "no answer yet from " + server.to_string() + ", " +
                (requests < options.max_transmissions
                     ? "retransmitting (" + std::to_string(requests) + "/" +
                           std::to_string(options.max_transmissions) + ", next in " + wait + ")"
                     : "sent the last request (" + std::to_string(requests) + "/" +
                           std::to_string(options.max_transmissions) + "), giving up in " + wait));
        };
    }

    asio::io_context io;
    std::optional<rtc::BindingClient> client;
    try {
        client.emplace(io, server, config, crypto_random(), options.software, std::move(hooks));
    } catch (const std::system_error& e) {
        return binding_error(Kind::socket, std::string("cannot open a UDP socket to ") +
                                               server.to_string() + ": " + e.what());
    }
    StunBindingResult result;
    client->start([&](const rtc::BindingClient::Outcome& outcome) {
        result = to_result(outcome, client->requests_sent(), server, client->local_address());
    });
    io.run();
    return result;
}

struct StunServer::Impl {
    asio::io_context io;
    rtc::BindingServerRunner runner;
    // Keeps the loop running even when every socket has failed, so counters() is always served.
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
    std::thread thread;
    bool stopped = false;

    Impl(const std::vector<SocketAddress>& listen, std::string software)
        : runner(io, listen, {.software = std::move(software)}) {
        thread = std::thread([this] { io.run(); });
    }
};

StunServer::StunServer(const std::vector<SocketAddress>& listen, std::string software)
    : impl_(std::make_unique<Impl>(listen, std::move(software))) {}

StunServer::~StunServer() {
    stop();
}

std::vector<SocketAddress> StunServer::local_addresses() const {
    return impl_->runner.local_addresses();
}

void StunServer::stop() {
    if (impl_->stopped) return;
    impl_->stopped = true;
    // Closing on the loop's thread: the sockets' handlers run there.
    asio::post(impl_->io, [impl = impl_.get()] { impl->runner.close(); });
    impl_->work.reset();
    impl_->thread.join();  // io.run() returns once the sockets' handlers are gone
}

std::string StunServer::counters() const {
    if (impl_->stopped) return stun::to_string(impl_->runner.counters());
    // The counters change on the server's thread: read them there.
    std::promise<std::string> text;
    asio::post(impl_->io, [&] { text.set_value(stun::to_string(impl_->runner.counters())); });
    return text.get_future().get();
}

SctpCounters sctp_counters() {
    const auto c = sctp::process_counters();
    return {
        .data_chunks_sent = c.data_chunks_sent,
        .retransmitted_chunks = c.retransmitted_chunks,
        .fast_retransmits = c.fast_retransmits,
        .t3_timeouts = c.t3_timeouts,
        .sacks_sent = c.sacks_sent,
        .duplicate_chunks_received = c.duplicate_chunks_received,
        .init_timeouts = c.init_timeouts,
    };
}

}  // namespace floe::tools
