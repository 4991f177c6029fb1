// `floe turn`'s engine: a turn::Client over UDP, TCP or TLS to the server, an echo round trip
// through the relay, and the deallocation.
#include "rtc/turn_probe.hpp"

#include <cstddef>  // before asio: see rtc/udp_socket.hpp

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <asio.hpp>
#include <asio/ssl.hpp>

#include <deque>
#include <memory>

#include <floe/stun/message.hpp>

#include "common/random.hpp"
#include "rtc/resolver.hpp"
#include "rtc/turn_stream.hpp"
#include "rtc/udp_socket.hpp"
#include "stun/attribute_table.hpp"
#include "stun/url.hpp"
#include "turn/channel_data.hpp"
#include "turn/client.hpp"
#include "turn/stream_framer.hpp"

namespace floe::rtc {

namespace {

// One line per message for --trace: its type and its attributes by name.
std::string summarize(ByteSpan bytes) {
    if (turn::looks_like_channel_data(bytes)) {
        auto cd = turn::decode_channel_data(bytes);
        if (!cd) return "malformed ChannelData";
        char text[64];
        std::snprintf(text, sizeof text, "ChannelData 0x%04X, %zu bytes", cd->channel,
                      cd->data.size());
        return text;
    }
    auto m = stun::Message::decode(bytes);
    if (!m) return "malformed message (" + std::string(to_string(m.error())) + ")";
    std::string s = stun::describe(m->type());
    const char* sep = ": ";
    for (const auto& a : m->attributes()) {
        s += sep;
        sep = ", ";
        if (auto name = stun::attribute_name(a.type))
            s += *name;
        else
            s += "0x" + to_hex(Bytes{static_cast<std::uint8_t>(a.type >> 8),
                                     static_cast<std::uint8_t>(a.type)});
        if (a.type == stun::attr::error_code)
            s += " " + std::to_string(m->error_code()->code);
        else if (a.type == stun::attr::lifetime)
            s += " " + std::to_string(*m->lifetime()) + "s";
        else if (a.type == stun::attr::xor_relayed_address ||
                 a.type == stun::attr::xor_peer_address || a.type == stun::attr::xor_mapped_address)
            s += " " + stun::decode_address(m->value(a), &m->transaction_id())->to_string();
        else if (a.type == stun::attr::data)
            s += " (" + std::to_string(a.length) + " bytes)";
    }
    return s;
}

class Probe {
  public:
    Probe(const TurnProbeTarget& target, const TurnProbeOptions& options)
        : target_(target), options_(options), timer_(io_), tls_(asio::ssl::context::tls_client) {}

    TurnProbeResult run() {
        try {
            connect();
        } catch (const std::system_error& e) {
            result_.error = std::string("cannot open a socket: ") + e.what();
            return result_;
        }
        io_.run();
        if (link_) link_->close();
        return result_;
    }

  private:
    void connect() {
        if (target_.transport == TurnTransport::udp) {
            link_ = make_udp_link(io_, target_.server);
            begin();
            return;
        }
        const bool tls = target_.transport == TurnTransport::tls;
        if (tls) configure_tls(tls_, options_.tls_ca_file, options_.tls_insecure);
        arm_deadline(std::chrono::seconds(10),
                     tls ? "the TLS handshake timed out" : "connecting over TCP timed out");
        link_ =
            connect_stream(io_, tls_, {target_.server, tls, target_.host, options_.tls_insecure},
                           [this](std::string error) {
                               if (!error.empty()) return finish(std::move(error));
                               begin();
                           });
    }

    void begin() {
        timer_.cancel();
        result_.local = link_->local();
        turn::ClientConfig config;
        config.server = target_.server;
        config.username = options_.username;
        config.password = options_.password;
        config.stream = target_.transport != TurnTransport::udp;
        config.lifetime_seconds = options_.lifetime_seconds;
        config.retransmission.initial_rto = options_.initial_rto;
        config.retransmission.max_transmissions = options_.max_transmissions;
        config.software = options_.software;
        started_ = Clock::now();
        client_.emplace(std::move(config), crypto_random(), started_);
        link_->start(
            [this](ByteSpan message) {
                if (options_.trace) options_.trace("<- " + summarize(message));
                client_->handle_input(Clock::now(), message);
                pump();
            },
            [this](std::string error) { finish(std::move(error)); });
        pump();
    }

    void arm_deadline(Duration after, std::string what) {
        timer_.expires_after(after);
        timer_.async_wait([this, what](std::error_code ec) {
            if (!ec) finish(what);
        });
    }

    void pump() {
        if (done_) return;
        while (auto t = client_->poll_transmit()) {
            if (options_.trace) options_.trace("-> " + summarize(t->data));
            link_->send(std::move(t->data));
        }
        while (auto e = client_->poll_event()) {
            on_event(*e);
            if (done_) return;
        }
        while (auto t = client_->poll_transmit()) {  // what the events' reactions sent
            if (options_.trace) options_.trace("-> " + summarize(t->data));
            link_->send(std::move(t->data));
        }
        std::optional<Instant> at = client_->poll_timeout();
        for (const auto& deadline : {echo_deadline_, hold_until_})
            if (deadline && (!at || *deadline < *at)) at = deadline;
        if (!at) return;
        timer_.expires_at(*at);
        timer_.async_wait([this](std::error_code ec) {
            if (ec || done_) return;
            const Instant now = Clock::now();
            if (echo_deadline_ && now >= *echo_deadline_) {
                echo_deadline_.reset();
                result_.echoes.back().rtt.reset();
                next_datagram(now);
            }
            if (hold_until_ && now >= *hold_until_) {
                hold_until_.reset();
                after_hold(now);
            }
            client_->handle_timeout(now);
            pump();
        });
    }

    void on_event(turn::Event& e) {
        const Instant now = Clock::now();
        using Kind = turn::Event::Kind;
        switch (e.kind) {
            case Kind::allocated:
                result_.allocated = true;
                result_.relayed = e.relayed;
                if (e.mapped.port() != 0) result_.mapped = e.mapped;
                result_.lifetime = e.lifetime;
                result_.allocate_time = now - started_;
                if (options_.hold > Duration::zero())
                    hold_until_ = now + options_.hold;
                else
                    after_hold(now);
                return;
            case Kind::permission_created:
                result_.permission = true;
                next_datagram(now);
                return;
            case Kind::channel_bound:
                result_.channel = e.channel;
                next_datagram(now);
                return;
            case Kind::data:
                if (!echo_deadline_ || e.peer != *options_.peer || e.data != payload_) return;
                echo_deadline_.reset();
                result_.echoes.back().rtt = now - sent_at_;
                if (result_.echoes.size() == 1 && options_.datagrams > 1) {
                    // The first datagram went as a Send indication; bind a channel for the rest
                    // (RFC 8656 §12: 4 bytes of overhead instead of 36).
                    if (!client_->bind_channel(now, *options_.peer)) next_datagram(now);
                    return;
                }
                next_datagram(now);
                return;
            case Kind::permission_failed:
            case Kind::channel_failed:
                result_.code = e.code;
                result_.error = e.reason;
                client_->close(now);
                return;
            case Kind::failed:
                result_.code = e.code;
                result_.error = e.reason;
                finish({});
                return;
            case Kind::deallocated:
                // A reason means the Refresh with LIFETIME 0 was refused or never answered.
                result_.deallocated = e.reason.empty();
                finish(e.reason.empty() ? std::string() : "deallocating: " + e.reason);
                return;
            case Kind::refreshed:
                return;
        }
    }

    void after_hold(Instant now) {
        if (options_.peer && options_.datagrams > 0)
            client_->create_permission(now, *options_.peer);
        else
            client_->close(now);
    }

    // Sends the next echo datagram, or deallocates when all were sent.
    void next_datagram(Instant now) {
        if (static_cast<int>(result_.echoes.size()) >= options_.datagrams) {
            client_->close(now);
            return;
        }
        const std::string text = "floe turn probe #" + std::to_string(result_.echoes.size());
        payload_.assign(text.begin(), text.end());
        Bytes nonce(8);
        crypto_random().fill(nonce);
        payload_.insert(payload_.end(), nonce.begin(), nonce.end());
        const auto sent = client_->send_to(*options_.peer, payload_);
        result_.echoes.push_back({sent == turn::SendResult::sent_channel_data, std::nullopt});
        sent_at_ = now;
        echo_deadline_ = now + options_.echo_timeout;
    }

    void finish(std::string error) {
        if (done_) return;
        done_ = true;
        if (client_) {
            result_.refreshes = client_->counters().allocation_refreshes;
            result_.stale_nonces = client_->counters().stale_nonces;
        }
        if (!error.empty() && result_.error.empty()) result_.error = std::move(error);
        timer_.cancel();
        if (link_) link_->close();
        io_.stop();
    }

    const TurnProbeTarget& target_;
    const TurnProbeOptions& options_;
    asio::io_context io_;
    asio::steady_timer timer_;
    asio::ssl::context tls_;
    std::unique_ptr<TurnLink> link_;
    std::optional<turn::Client> client_;
    TurnProbeResult result_;
    Instant started_{};
    Bytes payload_;
    Instant sent_at_{};
    std::optional<Instant> echo_deadline_;
    std::optional<Instant> hold_until_;
    bool done_ = false;
};

}  // namespace

TurnProbeResult run_turn_probe(const TurnProbeTarget& target, const TurnProbeOptions& options) {
    Probe probe(target, options);
    TurnProbeResult result = probe.run();
    result.server = target.server;
    result.transport = target.transport;
    return result;
}

}  // namespace floe::rtc

namespace floe::tools {

std::string_view to_string(TurnTransport transport) {
    switch (transport) {
        case TurnTransport::udp:
            return "udp";
        case TurnTransport::tcp:
            return "tcp";
        case TurnTransport::tls:
            return "tls";
    }
    return "?";
}

Result<TurnProbeResult, TurnProbeError> turn_probe(std::string_view text,
                                                   const TurnProbeOptions& options) {
    using Kind = TurnProbeError::Kind;
    auto url = stun::parse_url(text);
    if (!url) return fail(TurnProbeError{Kind::bad_url, url.error()});
    if (url->scheme != stun::UrlScheme::turn && url->scheme != stun::UrlScheme::turns)
        return fail(TurnProbeError{Kind::unsupported_scheme,
                                   "only turn: and turns: URLs (floe stun is for stun:)"});
    auto addresses = rtc::resolve(url->host, url->port, rtc::Families::any);
    if (!addresses)
        return fail(TurnProbeError{Kind::unresolved, "cannot resolve '" + url->host +
                                                         "': " + addresses.error().message()});
    rtc::TurnProbeTarget target;
    target.server = addresses->front();
    // RFC 7065 §3: turns: is TLS over TCP; turn: is UDP unless ?transport=tcp.
    target.transport = url->scheme == stun::UrlScheme::turns       ? TurnTransport::tls
                       : url->transport == stun::UrlTransport::tcp ? TurnTransport::tcp
                                                                   : TurnTransport::udp;
    target.host = url->host;
    return rtc::run_turn_probe(target, options);
}

}  // namespace floe::tools
