// `floe peer`: the active side's workloads on its channel: send-check (the contract's messages,
// echoed back and compared), ping (floe's own, for floe bench W7) and bulk (MiB then "FIN").
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <floe/error.hpp>
#include <floe/json.hpp>

#include "interop_messages.hpp"
#include "peer.hpp"

namespace floe::cli::peer {

bool Peer::send_check() {
    const auto messages = build_interop_messages(o_.count, o_.empty);
    say("sending " + std::to_string(messages.size()) + " messages");
    active_dc_->set_buffered_amount_low_threshold(kLow);
    const double start = elapsed_ms();
    for (const auto& m : messages) {
        if (m.binary)
            active_dc_->send(m.data);
        else
            active_dc_->send(m.text());
        drain_to(kHigh);
    }
    int bad = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        auto got = next_message();
        if (!got) {
            result_extra_ +=
                ",\"received\":" + std::to_string(i) + ",\"mismatches\":" + std::to_string(bad);
            throw Error("timeout waiting for message: got " + std::to_string(i) + " of " +
                        std::to_string(messages.size()) + " echoes; #" + std::to_string(i) + " (" +
                        message_kind(messages[i]) + ") never came back");
        }
        if (got->binary != messages[i].binary || got->data != messages[i].data) {
            ++bad;
            say("MISMATCH #" + std::to_string(i) + ": sent " + message_kind(messages[i]) + " got " +
                message_kind(*got));
        } else {
            say("ok #" + std::to_string(i) + " " + message_kind(messages[i]));
        }
    }
    result_extra_ += ",\"messages\":" + std::to_string(messages.size()) +
                     ",\"mismatches\":" + std::to_string(bad) +
                     ",\"roundtrip_ms\":" + std::to_string(std::lround(elapsed_ms() - start));
    return bad == 0;
}

// floe's own mode (floe bench W7, not the kit's contract): --count K ping-pongs of a 100-byte
// message against an echo peer, one at a time (W3's pattern); round trips in the RESULT line.
bool Peer::ping() {
    std::vector<double> rtts;
    for (int i = 0; i < o_.count; ++i) {
        Bytes payload = interop_binary(100, static_cast<std::uint32_t>(i + 1));
        const double start = elapsed_ms();
        active_dc_->send(ByteSpan(payload));
        auto got = next_message();
        if (!got) throw Error("timeout waiting for echo #" + std::to_string(i));
        if (!got->binary || got->data != payload)
            throw Error("echo #" + std::to_string(i) + " differs");
        rtts.push_back(elapsed_ms() - start);
    }
    std::sort(rtts.begin(), rtts.end());
    const auto at = [&](double p) {
        return rtts.empty()
                   ? 0.0
                   : rtts[std::min(rtts.size() - 1, static_cast<std::size_t>(p * rtts.size()))];
    };
    char figures[160];
    std::snprintf(figures, sizeof figures,
                  ",\"pings\":%zu,\"rtt_median_ms\":%.3f,\"rtt_p90_ms\":%.3f,\"rtt_max_ms\":%.3f",
                  rtts.size(), at(0.5), at(0.9), rtts.empty() ? 0.0 : rtts.back());
    result_extra_ += figures;
    return true;
}

bool Peer::bulk() {
    const auto total = static_cast<std::uint64_t>(std::llround(o_.bulk_mib * 1048576));
    const Bytes payload = interop_binary(o_.chunk, 7);
    active_dc_->set_buffered_amount_low_threshold(kLow);
    std::uint64_t sent = 0;
    const double start = elapsed_ms();
    while (sent < total) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(o_.chunk, total - sent));
        active_dc_->send(ByteSpan(payload.data(), n));
        sent += n;
        if (active_dc_->buffered_amount() > kHigh) {
            drain_to(kLow);
            if (expired())
                throw Error("timeout: send buffer not draining (bufferedAmount=" +
                            std::to_string(active_dc_->buffered_amount()) + ")");
        }
    }
    const double send_loop = elapsed_ms() - start;
    active_dc_->send("FIN");
    if (!o_.close_after_send.empty()) {
        say("closing the " + o_.close_after_send + " right after " + std::to_string(total) +
            " B and FIN");
        if (o_.close_after_send == "pc") {
            pc_->close();  // returns once the peer acknowledged everything (or close_linger)
        } else {
            active_dc_->close();
            if (!wait_for([&] { return active_dc_->ready_state() == DataChannelState::closed; }))
                throw Error("timeout waiting for the channel to close");
        }
        result_extra_ += ",\"close_after_send\":" + json::quote(o_.close_after_send);
        return true;
    }
    auto reply = next_message();
    if (!reply) throw Error("timeout waiting for the FIN reply");
    const double seconds = (elapsed_ms() - start) / 1000;
    const double mbps = static_cast<double>(total) / 1e6 / seconds;
    const std::string text = reply->binary ? message_kind(*reply) : std::string(reply->text());
    char figures[160];
    std::snprintf(figures, sizeof figures,
                  ",\"bulk_bytes\":%llu,\"bulk_chunk\":%zu,\"bulk_seconds\":%.3f,"
                  "\"bulk_MBps\":%.2f,\"bulk_send_loop_ms\":%ld",
                  static_cast<unsigned long long>(total), o_.chunk, seconds, mbps,
                  std::lround(send_loop));
    result_extra_ += figures;
    result_extra_ += ",\"bulk_reply\":" + json::quote(text);
    say("bulk: " + std::to_string(total) + " B in " + std::to_string(seconds) +
        " s = " + std::to_string(mbps) + " MB/s (reply \"" + text + "\")");
    return !reply->binary && text == "FIN " + std::to_string(total);
}

}  // namespace floe::cli::peer
