// `floe peer`: the scriptable peer of the interop kit's driver contract
// (../shared/interop/README.md): file signaling in --signal DIR, echo / send-check / bulk modes,
// one `RESULT {json}` line on stdout. Pairs with the reference peers through run-pair.sh.
// This file: the command's options and the peer's life, from start to the RESULT line; peer.hpp
// says where the rest is.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include <floe/error.hpp>
#include <floe/json.hpp>
#include <floe/peer_connection.hpp>
#include <floe/tools/sctp.hpp>

#include "command.hpp"
#include "peer.hpp"
#include "rtc_options.hpp"

namespace floe::cli::peer {

std::atomic<bool> g_terminated{false};
extern "C" void on_sigterm(int) {
    g_terminated.store(true);
}

const SteadyClock::time_point g_start = SteadyClock::now();
double elapsed_ms() {
    return std::chrono::duration<double, std::milli>(SteadyClock::now() - g_start).count();
}

void say(const std::string& line) {
    std::fprintf(stderr, "%9.3f peer  %s\n", elapsed_ms() / 1000, line.c_str());
}

std::string message_kind(const Message& m) {
    return m.binary ? "binary(" + std::to_string(m.size()) + " B)"
                    : "text(" + std::to_string(m.size()) + " B)";
}

namespace {

// usrsctp's retransmission counters of this process (its one association), for floe bench W7.
std::string sctp_counters_json() {
    const auto c = tools::sctp_counters();
    char out[256];
    std::snprintf(out, sizeof out,
                  ",\"sctp\":{\"data_chunks_sent\":%llu,\"retransmitted_chunks\":%llu,"
                  "\"fast_retransmits\":%llu,\"t3_timeouts\":%llu,\"init_timeouts\":%llu}",
                  static_cast<unsigned long long>(c.data_chunks_sent),
                  static_cast<unsigned long long>(c.retransmitted_chunks),
                  static_cast<unsigned long long>(c.fast_retransmits),
                  static_cast<unsigned long long>(c.t3_timeouts),
                  static_cast<unsigned long long>(c.init_timeouts));
    return out;
}

}  // namespace

int Peer::run() {
    bool ok = false;
    std::string error;
    std::optional<double> time_to_open;
    try {
        pc_ = std::make_unique<PeerConnection>(config_);
        mark("pc_created");
        setup_callbacks();
        write_atomically(o_.signal / (o_.role + ".ready"), std::to_string(getpid()));
        exchange_descriptions();
        read_remote_candidates();

        if (!active_) {
            wait_for([&] { return !passive_done_.empty(); },
                     [this] {
                         read_remote_candidates();
                         if (mark_of("dc_open")) report_pair();
                     });
            std::string why;
            {
                std::lock_guard lock(mutex_);
                why = !passive_done_.empty() ? passive_done_
                      : !failure_.empty()    ? "failed: " + failure_
                      : g_terminated.load()  ? "terminated"
                                             : "timeout";
            }
            say("echo side finished: " + why + "; echoed " + std::to_string(echoed_) + " messages");
            ok = mark_of("dc_open").has_value() && why.rfind("failed", 0) != 0;
            if (!ok) error = why;
        } else {
            if (o_.role == "answer") {
                // Open our own channel once the transport is up (or when the offerer's arrives).
                wait_for([&] { return connected_ || answerer_channel_opened_.load(); },
                         [this] { read_remote_candidates(); });
                if (connected_) open_answerer_channel();
            }
            if (!wait_for([&] { return active_open_; }, [this] { read_remote_candidates(); }))
                throw Error(failure_.empty() ? "timeout waiting for data channel open" : failure_);
            const double opened = *mark_of("dc_open");
            time_to_open = o_.role == "offer" ? opened : opened - mark_of("offer_read").value_or(0);
            report_pair();
            ok = o_.mode == "send-check" ? send_check() : o_.mode == "ping" ? ping() : bulk();
        }
    } catch (const std::exception& e) {
        error = e.what();
        say(std::string("ERROR: ") + e.what());
    }
    {
        std::lock_guard lock(mutex_);
        if (error.empty() && !ok && !failure_.empty()) error = failure_;
    }
    if (pc_) report_pair();
    write_result(ok, error, time_to_open);
    if (active_ && pc_ && active_dc_) {
        active_dc_->close();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    pc_.reset();
    return ok ? 0 : 1;
}

// The contract's one `RESULT {json}` line on stdout, also written to <role>.result.json.
void Peer::write_result(bool ok, const std::string& error, std::optional<double> time_to_open) {
    std::string json = "{\"impl\":\"floe\",\"version\":" + json::quote(FLOE_VERSION) +
                       ",\"role\":" + json::quote(o_.role) + ",\"mode\":" + json::quote(o_.mode) +
                       ",\"trickle\":" + (o_.trickle ? "true" : "false") +
                       ",\"ok\":" + (ok ? "true" : "false");
    if (time_to_open) json += ",\"time_to_open_ms\":" + std::to_string(std::lround(*time_to_open));
    if (!selected_pair_.empty()) json += ",\"selected_pair\":" + json::quote(selected_pair_);
    if (!error.empty()) json += ",\"error\":" + json::quote(error);
    json += ",\"local_candidates\":" + std::to_string(local_candidates_);
    json += sctp_counters_json();
    json += result_extra_ + "}";
    std::printf("RESULT %s\n", json.c_str());
    std::fflush(stdout);
    try {
        write_atomically(o_.signal / (o_.role + ".result.json"), json + "\n");
    } catch (const std::exception&) {
    }
}

}  // namespace floe::cli::peer

namespace floe::cli {
namespace {

int run_peer(Args& args) {
    peer::Options o;
    o.role = args.value("role").value_or("");
    if (o.role != "offer" && o.role != "answer")
        throw UsageError("--role offer|answer is required");
    auto signal = args.value("signal");
    if (!signal) throw UsageError("--signal DIR is required");
    o.signal = *signal;
    o.mode = args.value("mode").value_or("echo");
    if (o.mode != "echo" && o.mode != "send-check" && o.mode != "bulk" && o.mode != "ping")
        throw UsageError("--mode echo|send-check|bulk|ping");
    o.trickle = args.flag("trickle");
    o.count = static_cast<int>(args.integer("count", 0, 100000).value_or(20));
    o.empty = args.flag("empty");
    if (auto v = args.value("bulk-mib")) o.bulk_mib = std::stod(*v);
    o.chunk = static_cast<std::size_t>(args.integer("chunk", 1, 1 << 30).value_or(16384));
    if (auto v = args.value("timeout")) o.timeout_s = std::stod(*v);
    o.close_after_send = args.value("close-after-send").value_or("");
    if (!o.close_after_send.empty() &&
        (o.mode != "bulk" || (o.close_after_send != "pc" && o.close_after_send != "channel")))
        throw UsageError("--close-after-send pc|channel goes with --mode bulk");
    auto config = read_rtc_options(args, {});
    args.finish();
    std::signal(SIGTERM, peer::on_sigterm);
    std::signal(SIGINT, peer::on_sigterm);
    peer::Peer peer(std::move(o), std::move(config));
    return peer.run();
}

}  // namespace

FLOE_COMMAND("peer",
             "peer --role offer|answer --signal DIR [--mode echo|send-check|bulk|ping] "
             "[--trickle] [--count K] [--empty] [--bulk-mib N] [--chunk B] [--timeout S] "
             "[--close-after-send pc|channel]",
             "scriptable peer of the interop driver contract (../shared/interop)", run_peer,
             "  --role offer|answer     which side of the offer/answer this peer is\n"
             "  --signal DIR            directory for file signaling (the contract's files)\n"
             "  --mode M                echo (default), send-check, bulk, or ping (floe's own:\n"
             "                          round trips of 100-byte messages, for floe bench W7)\n"
             "  --trickle               trickle candidates through DIR/<role>.candidates\n"
             "  --count K               send-check / ping: messages to send (20)\n"
             "  --empty                 send-check: also empty text and binary messages\n"
             "  --bulk-mib N            bulk: MiB to send (64)\n"
             "  --chunk B               bulk: message size (16384)\n"
             "  --timeout S             give up after S seconds from the start (30)\n"
             "  --close-after-send pc|channel\n"
             "                          bulk: close right after the data and FIN, without "
             "waiting\n" FLOE_RTC_OPTIONS_HELP);

}  // namespace floe::cli
