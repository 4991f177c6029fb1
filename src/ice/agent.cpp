#include "ice/agent.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "common/log.hpp"
#include "ice/checklist.hpp"
#include "stun/client_transaction.hpp"

namespace floe::ice {

std::string_view to_string(Role role) {
    return role == Role::controlling ? "controlling" : "controlled";
}

std::string_view to_string(IceState state) {
    switch (state) {
        case IceState::new_:
            return "new";
        case IceState::checking:
            return "checking";
        case IceState::connected:
            return "connected";
        case IceState::completed:
            return "completed";
        case IceState::disconnected:
            return "disconnected";
        case IceState::failed:
            return "failed";
        case IceState::closed:
            return "closed";
    }
    return "?";
}

std::string_view to_string(GatheringState state) {
    switch (state) {
        case GatheringState::new_:
            return "new";
        case GatheringState::gathering:
            return "gathering";
        case GatheringState::complete:
            return "complete";
    }
    return "?";
}

namespace {

// RFC 8839 §5.4 ice-char: ALPHA / DIGIT / "+" / "/".
constexpr std::string_view ice_chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint16_t component_id = 1;  // rtcp-mux and BUNDLE: one component
// Consent jitter (RFC 7675 §5.1): the interval is drawn from [0.8, 1.2] × consent_interval.
constexpr double consent_jitter = 0.2;
// Memory bounds against a hostile or buggy peer or runtime.
constexpr std::size_t max_sockets = 64;
constexpr std::size_t max_prflx_locals = 64;
// A valid pair whose nomination timed out is nominated again this many times in all.
constexpr int max_nomination_attempts = 2;
// Remote addresses validated for application data (only an authenticated peer adds any).
constexpr std::size_t max_validated = 128;

// RFC 8421 spirit: alternate address families, IPv6 first, in the order the runtime reported
// the sockets (its interface preference). 65535 for the first IPv6 socket, 65407 for the first
// IPv4 one, then 256 lower per further socket of a family.
std::uint16_t local_preference_for(AddressFamily family, std::size_t index_in_family) {
    const std::size_t step = std::min<std::size_t>(index_in_family, 250);
    return static_cast<std::uint16_t>(65535 - 256 * step -
                                      (family == AddressFamily::ipv4 ? 128 : 0));
}

}  // namespace

Credentials random_credentials(Random& random) {
    return {random.string(8, ice_chars), random.string(24, ice_chars)};
}

namespace {

struct LocalEntry {
    Candidate candidate;
    SocketId socket = 0;
    SocketAddress address;
    std::uint16_t local_preference = 0;
};

struct RemoteEntry {
    Candidate candidate;
    std::optional<SocketAddress> address;  // nullopt for mDNS names
};

struct SocketEntry {
    SocketId id = 0;
    SocketAddress bound;
    std::uint16_t local_preference = 0;
    std::optional<std::size_t> host;  // index of its host candidate
};

enum class TxKind : std::uint8_t { check, consent, gather };

// One outstanding STUN request of ours: the STUN client transaction (retransmissions, timeout)
// and what ICE needs to act on its outcome.
struct Transaction {
    explicit Transaction(stun::ClientTransaction c) : client(std::move(c)) {}
    const stun::TransactionId& id() const { return client.transaction_id(); }

    stun::ClientTransaction client;
    TxKind kind = TxKind::check;
    PairId pair = 0;
    SocketId socket = 0;
    SocketAddress destination;
    std::optional<stun::IntegrityKey> key;  // verifies the response (the remote password)
    Instant started{};
    bool cancelled = false;  // superseded: no more retransmissions, no failure on timeout
    bool use_candidate = false;
    bool controlling = false;
    std::uint32_t priority = 0;
    std::size_t server = 0;
};

struct Generation {
    Credentials credentials;
    stun::IntegrityKey key;
};

struct Selected {
    SelectedPair pair;
    PairId pair_id = 0;
    std::uint32_t generation = 0;
    std::uint64_t priority = 0;
    std::string username;  // for consent requests: "RFRAG:LFRAG"
    std::optional<stun::IntegrityKey> remote_key;
    std::uint32_t request_priority = 0;
    Instant last_response{};
    std::optional<Instant> first_unanswered;
    Instant next_consent{};  // the next request of the regular, randomized schedule
    Instant last_sent{};     // the latest consent request
};

// A remote address application data is accepted from, on the socket it came to.
struct ValidatedAddress {
    SocketId socket = 0;
    SocketAddress address;
};

// The configuration with credentials drawn and nonsense values clamped to something usable.
AgentConfig prepared(AgentConfig c, Random& random) {
    if (c.local.ufrag.empty() || c.local.pwd.empty()) c.local = random_credentials(random);
    c.stun.rc = std::clamp(c.stun.rc, 1, 16);
    c.stun.rm = std::clamp(c.stun.rm, 1, 64);
    if (c.stun.rto <= Duration::zero()) c.stun.rto = 500ms;
    if (c.ta < Duration::zero()) c.ta = Duration::zero();
    if (c.failed_after <= Duration::zero()) c.failed_after = 30s;
    if (c.consent_interval <= Duration::zero()) c.consent_interval = 5s;
    if (c.consent_probe <= Duration::zero()) c.consent_probe = 1s;
    return c;
}

}  // namespace

struct Agent::Impl {
    Impl(AgentConfig c, Random& r)
        : config(prepared(std::move(c), r)),
          random(r),
          role(config.controlling ? Role::controlling : Role::controlled),
          tie_breaker(random.next_u64()),
          local{config.local, stun::IntegrityKey::short_term(config.local.pwd)},
          checklist(config.max_pairs) {}

    AgentConfig config;
    Random& random;
    Role role;
    std::uint64_t tie_breaker = 0;
    Generation local;
    std::optional<Generation> previous_local;  // after restart(), until a new pair is selected
    std::optional<Credentials> remote;
    std::optional<stun::IntegrityKey> remote_key;
    std::uint32_t generation = 0;

    std::vector<SocketEntry> sockets;
    std::vector<LocalEntry> locals;
    std::vector<RemoteEntry> remotes;
    std::map<std::string, std::string> foundations;
    CheckList checklist;
    std::vector<Transaction> transactions;
    std::deque<Transmit> transmits;
    std::deque<Event> events;

    IceState state = IceState::new_;
    GatheringState gathering = GatheringState::new_;
    bool sockets_done = false;
    bool remote_done = false;
    bool closed = false;
    Instant next_check_at{};  // the epoch: the first ordinary check goes out at once
    std::optional<Instant> checking_since;
    std::optional<Instant> first_valid_at;
    std::optional<Duration> round_trip;
    std::optional<Instant> all_failed_at;
    bool nominating = false;
    std::optional<Instant> next_valid_ping;  // controlled side, waiting for a nomination
    std::optional<Selected> selected;
    std::vector<ValidatedAddress> validated;  // see Agent::validated()
    AgentStats stats;

    // ---- helpers --------------------------------------------------------------------------

    void emit(Event e) { events.push_back(std::move(e)); }

    void set_state(IceState s) {
        if (state == s) return;
        FLOE_LOG(LogLevel::debug, "ice") << "state " << to_string(state) << " -> " << to_string(s);
        state = s;
        emit(event::StateChanged{s});
    }

    bool controlling() const { return role == Role::controlling; }

    std::string foundation_for(std::string_view type, const IpAddress& base,
                               const std::optional<SocketAddress>& server) {
        std::string key = std::string(type) + "|" + base.to_string() + "|" +
                          (server ? server->ip().to_string() : std::string()) + "|udp";
        auto [it, inserted] = foundations.try_emplace(key, "");
        if (inserted) it->second = std::to_string(foundations.size());
        return it->second;
    }

    bool is_validated(SocketId socket, const SocketAddress& address) const {
        if (selected && selected->pair.socket == socket && selected->pair.remote_address == address)
            return true;
        return std::any_of(validated.begin(), validated.end(), [&](const ValidatedAddress& v) {
            return v.socket == socket && v.address == address;
        });
    }

    void validate(SocketId socket, const SocketAddress& address) {
        if (is_validated(socket, address)) return;
        if (validated.size() >= max_validated) validated.erase(validated.begin());
        validated.push_back({socket, address});
        FLOE_LOG(LogLevel::debug, "ice")
            << "validated " << address.to_string() << " on socket " << socket;
    }

    SocketEntry* find_socket(SocketId id) {
        auto it = std::find_if(sockets.begin(), sockets.end(),
                               [id](const SocketEntry& s) { return s.id == id; });
        return it == sockets.end() ? nullptr : &*it;
    }

    std::optional<std::size_t> find_remote(const SocketAddress& address) const {
        for (std::size_t i = 0; i < remotes.size(); ++i)
            if (remotes[i].address == address) return i;
        return std::nullopt;
    }

    std::uint32_t prflx_priority(std::uint16_t local_preference) const {
        return compute_priority(CandidateType::prflx, local_preference, component_id);
    }

    stun::TransactionId new_transaction_id() {
        stun::TransactionId id;
        random.fill(id);
        return id;
    }

    Duration consent_delay() {
        const double factor = 1.0 - consent_jitter + 2 * consent_jitter * random.unit();
        return duration_cast<Duration>(config.consent_interval * factor);
    }

    stun::RetransmissionConfig retransmission(TxKind kind) const {
        if (kind == TxKind::consent)  // one request, answered within the consent lifetime
            return {config.failed_after, 1, 1};
        return {config.stun.rto, config.stun.rc, config.stun.rm};
    }

    void send(SocketId socket, SocketAddress destination, ByteSpan data) {
        transmits.push_back({socket, destination, Bytes(data.begin(), data.end())});
    }

    // ---- gathering -------------------------------------------------------------------------

    void add_socket(Instant now, SocketId id, SocketAddress bound) {
        if (find_socket(id) || sockets.size() >= max_sockets) return;
        const std::size_t same_family = static_cast<std::size_t>(std::count_if(
            sockets.begin(), sockets.end(),
            [&](const SocketEntry& s) { return s.bound.family() == bound.family(); }));
        SocketEntry entry{id, bound, local_preference_for(bound.family(), same_family), {}};
        if (gathering == GatheringState::new_) gathering = GatheringState::gathering;
        if (!bound.ip().is_unspecified() && bound.port() != 0) {
            Candidate c;
            c.foundation = foundation_for("host", bound.ip(), std::nullopt);
            c.component = component_id;
            c.priority =
                compute_priority(CandidateType::host, entry.local_preference, component_id);
            c.address = bound.ip().to_string();
            c.port = bound.port();
            c.type = CandidateType::host;
            entry.host = locals.size();
            locals.push_back({c, id, bound, entry.local_preference});
            emit(event::LocalCandidate{c, id});
        }
        sockets.push_back(entry);
        if (entry.host)
            for (std::size_t r = 0; r < remotes.size(); ++r)
                form_pair(*entry.host, r);
        ask_stun_servers(now, entry);
    }

    // A Binding request from `socket` to every STUN server of its family: its srflx candidates.
    void ask_stun_servers(Instant now, const SocketEntry& socket) {
        for (std::size_t i = 0; i < config.stun_servers.size(); ++i) {
            const SocketAddress& server = config.stun_servers[i];
            if (server.family() != socket.bound.family()) continue;
            Bytes request;
            stun::MessageBuilder b(request, {stun::method::binding, stun::MessageClass::request},
                                   new_transaction_id());
            b.add_fingerprint();
            if (!b.finish()) continue;
            start_transaction(now, TxKind::gather, socket.id, server, std::move(request)).server =
                i;
        }
    }

    // ICE restart (RFC 8445 §9): gathering runs again. Host candidates stay (the sockets are
    // the same) and are announced again; server-reflexive ones are asked for anew, since the
    // NAT mapping behind the old one may be gone (a rebinding is a common reason to restart),
    // and local peer-reflexive ones belong to the old checks. The selected pair keeps its own
    // copy of its candidates, so it is unaffected.
    void regather(Instant now) {
        std::erase_if(transactions, [](const Transaction& t) { return t.kind == TxKind::gather; });
        std::erase_if(locals,
                      [](const LocalEntry& l) { return l.candidate.type != CandidateType::host; });
        for (auto& socket : sockets) {
            socket.host.reset();
            for (std::size_t i = 0; i < locals.size(); ++i)
                if (locals[i].socket == socket.id) socket.host = i;
        }
        for (const auto& l : locals)
            emit(event::LocalCandidate{l.candidate, l.socket});
        if (gathering == GatheringState::new_) return;  // no socket yet: nothing to gather
        gathering = GatheringState::gathering;
        for (const auto& socket : sockets)
            ask_stun_servers(now, socket);
        maybe_complete_gathering();
    }

    void add_server_reflexive(const Transaction& tx, const SocketAddress& mapped) {
        SocketEntry* socket = find_socket(tx.socket);
        if (!socket) return;
        // Redundant (RFC 8445 §5.1.3): same address as the host (no NAT) or as another srflx.
        for (const auto& l : locals)
            if (l.socket == tx.socket && l.address == mapped) return;
        Candidate c;
        c.foundation = foundation_for("srflx", socket->bound.ip(), config.stun_servers[tx.server]);
        c.component = component_id;
        c.priority = compute_priority(CandidateType::srflx, socket->local_preference, component_id);
        c.address = mapped.ip().to_string();
        c.port = mapped.port();
        c.type = CandidateType::srflx;
        c.related_address = socket->bound.ip().to_string();
        c.related_port = socket->bound.port();
        locals.push_back({c, tx.socket, mapped, socket->local_preference});
        emit(event::LocalCandidate{c, tx.socket});
    }

    bool gathering_busy() const {
        return std::any_of(transactions.begin(), transactions.end(),
                           [](const Transaction& t) { return t.kind == TxKind::gather; });
    }

    void maybe_complete_gathering() {
        if (gathering == GatheringState::complete || !sockets_done || gathering_busy()) return;
        gathering = GatheringState::complete;
        emit(event::GatheringComplete{});
    }

    // ---- pairs -----------------------------------------------------------------------------

    void form_pair(std::size_t local_index, std::size_t remote_index) {
        const LocalEntry& l = locals[local_index];
        const RemoteEntry& r = remotes[remote_index];
        if (!r.address || l.candidate.type != CandidateType::host) return;
        if (r.address->family() != l.address.family()) return;
        if (r.address->ip().is_loopback() != l.address.ip().is_loopback()) return;
        CandidatePair p;
        p.socket = l.socket;
        p.remote_address = *r.address;
        p.local = local_index;
        p.remote = remote_index;
        p.local_priority = l.candidate.priority;
        p.remote_priority = r.candidate.priority;
        p.foundation = l.candidate.foundation + ":" + r.candidate.foundation;
        checklist.add(std::move(p), controlling());
    }

    std::optional<std::size_t> add_remote(Candidate c, std::optional<SocketAddress> address) {
        if (remotes.size() >= config.max_remote_candidates) return std::nullopt;
        remotes.push_back({std::move(c), address});
        const std::size_t index = remotes.size() - 1;
        for (std::size_t l = 0; l < locals.size(); ++l)
            form_pair(l, index);
        return index;
    }

    void add_remote_candidate(Instant now, Candidate c) {
        if (c.component != component_id || c.transport != TransportProtocol::udp) return;
        if (c.is_mdns()) {
            // Kept for the record; connects through peer-reflexive discovery (RFC 8445 §7.3.1.3).
            if (remotes.size() < config.max_remote_candidates) remotes.push_back({c, std::nullopt});
            drive(now);
            return;
        }
        auto address = c.socket_address();
        if (!address || address->port() == 0 || address->ip().is_unspecified()) return;
        if (auto existing = find_remote(*address)) {
            RemoteEntry& r = remotes[*existing];
            if (r.candidate.type != CandidateType::prflx) return;
            // The signalled candidate a check already revealed: take its type and priority.
            r.candidate = std::move(c);
            for (auto& p : checklist.pairs())
                if (p.remote == *existing) p.remote_priority = r.candidate.priority;
            checklist.set_controlling(controlling());
            drive(now);
            return;
        }
        add_remote(std::move(c), address);
        drive(now);
    }

    void switch_role(Role to) {
        if (role == to) return;
        role = to;
        ++stats.role_conflicts;
        nominating = false;
        checklist.set_controlling(controlling());
        FLOE_LOG(LogLevel::debug, "ice") << "role conflict: now " << to_string(to);
        emit(event::RoleChanged{to});
    }

    // ---- transactions ----------------------------------------------------------------------

    // Starts a STUN client transaction for `request` (sent at once); the caller fills in the rest.
    Transaction& start_transaction(Instant now, TxKind kind, SocketId socket,
                                   const SocketAddress& destination, Bytes request) {
        Transaction& tx = transactions.emplace_back(
            stun::ClientTransaction(std::move(request), destination, now, retransmission(kind)));
        tx.kind = kind;
        tx.socket = socket;
        tx.destination = destination;
        tx.started = now;
        flush(tx);
        return tx;
    }

    // Sends what the transaction wants sent, unless it was cancelled.
    void flush(Transaction& tx) {
        while (auto t = tx.client.poll_transmit()) {
            if (tx.cancelled) continue;
            send(tx.socket, t->destination, t->data);
            if (tx.kind == TxKind::check) ++stats.checks_sent;
        }
    }

    // A triggered check supersedes the pair's earlier ones (§7.3.1.4): they stop retransmitting
    // but their answers still count. A few are kept per pair (a peer's retransmissions trigger
    // checks too), the oldest forgotten first.
    void cancel_checks(PairId pair) {
        constexpr std::size_t keep = 3;
        std::size_t cancelled = 0;
        for (auto it = transactions.rbegin(); it != transactions.rend(); ++it)
            if (it->kind == TxKind::check && it->pair == pair && it->cancelled) ++cancelled;
        for (auto it = transactions.begin(); cancelled >= keep && it != transactions.end();) {
            if (it->kind == TxKind::check && it->pair == pair && it->cancelled) {
                it = transactions.erase(it);
                --cancelled;
            } else {
                ++it;
            }
        }
        for (auto& t : transactions)
            if (t.kind == TxKind::check && t.pair == pair) t.cancelled = true;
    }

    // A check on the pair went out less than an RTO ago and is still running.
    bool fresh_check(PairId pair, Instant now) const {
        return std::any_of(transactions.begin(), transactions.end(), [&](const Transaction& t) {
            return t.kind == TxKind::check && t.pair == pair && !t.cancelled &&
                   now - t.started < config.stun.rto;
        });
    }

    bool live_check(PairId pair) const {
        return std::any_of(transactions.begin(), transactions.end(), [&](const Transaction& t) {
            return t.kind == TxKind::check && t.pair == pair && !t.cancelled;
        });
    }

    Bytes build_request(std::string_view username, std::uint32_t priority, bool use_candidate,
                        const stun::IntegrityKey& key) {
        Bytes out;
        stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request},
                               new_transaction_id());
        b.add_username(username);
        b.add_priority(priority);
        if (controlling())
            b.add_ice_controlling(tie_breaker);
        else
            b.add_ice_controlled(tie_breaker);
        if (use_candidate) b.add_use_candidate();
        b.add_message_integrity(key);
        b.add_fingerprint();
        if (!b.finish()) return {};
        return out;
    }

    void start_check(Instant now, CandidatePair& pair, bool use_candidate) {
        if (!remote) return;
        cancel_checks(pair.id);
        const LocalEntry& l = locals[pair.local];
        const std::uint32_t priority = prflx_priority(l.local_preference);
        Bytes request = build_request(remote->ufrag + ":" + local.credentials.ufrag, priority,
                                      use_candidate, *remote_key);
        if (request.empty()) return;
        if (pair.state != PairState::succeeded) pair.state = PairState::in_progress;
        if (use_candidate) nominating = true;
        FLOE_LOG(LogLevel::debug, "ice")
            << "check " << pair.id << (use_candidate ? " (nominating)" : "") << " socket "
            << pair.socket << " -> " << pair.remote_address.to_string();
        Transaction& tx = start_transaction(now, TxKind::check, pair.socket, pair.remote_address,
                                            std::move(request));
        tx.pair = pair.id;
        tx.key = remote_key;
        tx.use_candidate = use_candidate;
        tx.controlling = controlling();
        tx.priority = priority;
        if (state == IceState::new_) {
            checking_since = now;
            set_state(IceState::checking);
        }
    }

    void send_consent(Instant now) {
        Selected& s = *selected;
        if (!s.remote_key) return;
        Bytes request = build_request(s.username, s.request_priority, false, *s.remote_key);
        if (request.empty()) return;
        if (!s.first_unanswered) s.first_unanswered = now;
        s.last_sent = now;
        Transaction& tx = start_transaction(now, TxKind::consent, s.pair.socket,
                                            s.pair.remote_address, std::move(request));
        tx.pair = s.pair_id;
        tx.key = s.remote_key;
        tx.controlling = controlling();
    }

    void expire_transactions(Instant now) {
        // Work on a snapshot of the due ids: handling one may add or remove others.
        std::vector<stun::TransactionId> due;
        for (const auto& t : transactions)
            if (auto at = t.client.poll_timeout(); at && *at <= now) due.push_back(t.id());
        for (const auto& id : due) {
            auto it = find_transaction(id);
            if (it == transactions.end()) continue;
            it->client.handle_timeout(now);
            flush(*it);
            if (!it->client.done()) continue;  // retransmitted
            const Transaction tx = std::move(*it);
            transactions.erase(it);
            if (tx.kind == TxKind::check && !tx.cancelled) {
                FLOE_LOG(LogLevel::debug, "ice") << "check " << tx.pair << " timed out";
                check_failed(tx.pair, tx.use_candidate);
            }
        }
    }

    std::vector<Transaction>::iterator find_transaction(const stun::TransactionId& id) {
        return std::find_if(transactions.begin(), transactions.end(),
                            [&](const Transaction& t) { return t.id() == id; });
    }

    void check_failed(PairId id, bool was_nomination) {
        if (was_nomination) nominating = false;
        if (live_check(id)) return;
        CandidatePair* p = checklist.find(id);
        if (!p) return;
        if (p->state != PairState::succeeded) {
            checklist.failed(id);
        } else if (was_nomination && ++p->nominations_failed >= max_nomination_attempts) {
            // The pair worked, but every answer to USE-CANDIDATE was lost twice over: give up on
            // it and let another pair be nominated. (Once, it is simply nominated again.)
            checklist.failed(id);
        }
    }

    // ---- input -----------------------------------------------------------------------------

    void respond_error(SocketId socket, const SocketAddress& to, const stun::Message& request,
                       int code, const stun::IntegrityKey* key,
                       std::span<const std::uint16_t> unknown = {}) {
        Bytes out;
        stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::error_response},
                               request.transaction_id());
        b.add_error_code(code);
        if (!unknown.empty()) b.add_unknown_attributes(unknown);
        if (key) b.add_message_integrity(*key);
        b.add_fingerprint();
        if (b.finish()) transmits.push_back({socket, to, std::move(out)});
    }

    void handle_request(Instant now, SocketId socket_id, const SocketAddress& from,
                        const stun::Message& msg) {
        SocketEntry* socket = find_socket(socket_id);
        if (!socket) {
            ++stats.unknown_socket;
            return;
        }
        // A failed agent no longer consents (RFC 7675 §5.1, RFC 8445 §8.1.2): it stops answering,
        // so the peer's consent runs out instead of holding a pair we gave up. An ICE restart
        // starts answering again.
        if (state == IceState::failed) {
            ++stats.refused_failed;
            return;
        }
        std::array<std::uint16_t, 8> unknown{};
        if (std::size_t n = msg.unknown_comprehension_required(unknown); n > 0) {
            ++stats.answered_420;
            respond_error(
                socket_id, from, msg, stun::error::unknown_attribute, nullptr,
                std::span<const std::uint16_t>(unknown.data(), std::min(n, unknown.size())));
            return;
        }
        auto username = msg.username();
        if (!username || !msg.message_integrity()) {
            ++stats.answered_400;
            respond_error(socket_id, from, msg, stun::error::bad_request, nullptr);
            return;
        }
        // USERNAME is "LFRAG:RFRAG" from our side's point of view (RFC 8445 §7.2.2).
        const auto colon = username->find(':');
        const std::string_view lfrag = username->substr(0, colon);
        const Generation* gen = nullptr;
        if (colon != std::string_view::npos) {
            if (lfrag == local.credentials.ufrag)
                gen = &local;
            else if (previous_local && lfrag == previous_local->credentials.ufrag)
                gen = &*previous_local;
        }
        if (!gen || !msg.check_integrity(gen->key)) {
            ++stats.unauthenticated;
            ++stats.answered_401;
            respond_error(socket_id, from, msg, stun::error::unauthorized, nullptr);
            return;
        }
        const auto priority = msg.priority();
        if (!priority) {
            ++stats.answered_400;
            respond_error(socket_id, from, msg, stun::error::bad_request, &gen->key);
            return;
        }
        // Role conflict (RFC 8445 §7.3.1.1).
        if (auto theirs = msg.ice_controlling(); theirs && controlling()) {
            if (tie_breaker >= *theirs) {
                ++stats.answered_487;
                respond_error(socket_id, from, msg, stun::error::role_conflict, &gen->key);
                return;
            }
            switch_role(Role::controlled);
        } else if (auto theirs_c = msg.ice_controlled(); theirs_c && !controlling()) {
            if (tie_breaker >= *theirs_c) {
                switch_role(Role::controlling);
            } else {
                ++stats.answered_487;
                respond_error(socket_id, from, msg, stun::error::role_conflict, &gen->key);
                return;
            }
        }
        {
            Bytes out;
            stun::MessageBuilder b(out,
                                   {stun::method::binding, stun::MessageClass::success_response},
                                   msg.transaction_id());
            b.add_xor_mapped_address(from);
            b.add_message_integrity(gen->key);
            b.add_fingerprint();
            if (b.finish()) transmits.push_back({socket_id, from, std::move(out)});
        }
        ++stats.checks_received;
        // From this answer on the peer may start DTLS towards us (its check just succeeded),
        // before our own check to it has: its address is validated now.
        validate(socket_id, from);
        FLOE_LOG(LogLevel::debug, "ice")
            << "check from " << from.to_string() << " on socket " << socket_id
            << (msg.use_candidate() ? " USE-CANDIDATE" : "");
        // The old generation only keeps the old pair's consent.
        if (gen != &local) return;
        if (state == IceState::new_) {
            checking_since = now;
            set_state(IceState::checking);
        }
        if (!socket->host) return;
        std::optional<std::size_t> remote_index = find_remote(from);
        if (!remote_index) {
            // Peer-reflexive remote candidate (RFC 8445 §7.3.1.3).
            Candidate c;
            c.foundation = random.string(8, ice_chars);
            c.component = component_id;
            c.priority = *priority;
            c.address = from.ip().to_string();
            c.port = from.port();
            c.type = CandidateType::prflx;
            remote_index = add_remote(std::move(c), from);
            if (!remote_index) return;
        }
        CandidatePair* pair = checklist.find(socket_id, from);
        if (!pair) return;  // pruned, or the families/scopes do not pair
        const bool use_candidate = msg.use_candidate() && !controlling();
        if (use_candidate) pair->use_candidate_received = true;
        if (pair->state == PairState::succeeded) {
            if (use_candidate) nominate(now, *pair);
            return;
        }
        // Triggered check (§7.3.1.4), unless ours is on its way already.
        if (pair->state == PairState::in_progress && fresh_check(pair->id, now)) return;
        if (pair->state != PairState::in_progress) pair->state = PairState::waiting;
        checklist.trigger(pair->id);
    }

    void handle_response(Instant now, SocketId socket, const SocketAddress& from,
                         const stun::Message& msg) {
        auto it = find_transaction(msg.transaction_id());
        if (it == transactions.end()) {
            ++stats.unknown_transaction;
            FLOE_LOG(LogLevel::debug, "ice")
                << "response from " << from.to_string() << " matches no transaction: dropped";
            return;
        }
        const bool success = msg.message_class() == stun::MessageClass::success_response;
        if (it->kind == TxKind::gather) {
            // RFC 8489 matches a response by its transaction id alone; we also require the
            // server's address and the request's socket, as ICE does for checks (RFC 8445
            // §7.2.5.2.1), so whoever saw the id cannot plant a server-reflexive candidate.
            if (socket != it->socket || from != it->destination) {
                ++stats.misdirected;
                FLOE_LOG(LogLevel::debug, "ice")
                    << "answer to a STUN server request from " << from.to_string() << " on socket "
                    << socket << ", not from " << it->destination.to_string() << " on socket "
                    << it->socket << ": ignored";
                return;
            }
            const Transaction tx = std::move(*it);
            transactions.erase(it);
            auto mapped = success ? msg.xor_mapped_address() : std::nullopt;
            if (!mapped && success) mapped = msg.mapped_address();
            if (mapped) add_server_reflexive(tx, *mapped);
            maybe_complete_gathering();
            return;
        }
        // Every answer to a check must carry our peer's MESSAGE-INTEGRITY, errors included: an
        // unauthenticated 487 or 401 could be forged. Those are dropped; the check times out.
        if (!it->key || !msg.check_integrity(*it->key)) {
            ++stats.unauthenticated;
            FLOE_LOG(LogLevel::debug, "ice")
                << "unauthenticated response from " << from.to_string() << ": dropped";
            return;
        }
        ++stats.responses_received;
        FLOE_LOG(LogLevel::debug, "ice") << (success ? "success" : "error") << " response for pair "
                                         << it->pair << " from " << from.to_string();
        const Transaction tx = std::move(*it);
        transactions.erase(it);
        if (socket != tx.socket || from != tx.destination) {
            // Not symmetric (§7.2.5.2.1): the check fails.
            ++stats.asymmetric;
            if (tx.kind == TxKind::check) check_failed(tx.pair, tx.use_candidate);
            return;
        }
        const bool on_selected_path =
            selected && selected->pair.socket == socket && selected->pair.remote_address == from;
        if (success && on_selected_path) consent_refreshed(now);
        if (success && tx.client.transmissions() == 1 && (!selected || on_selected_path))
            round_trip = now - tx.started;
        if (tx.kind == TxKind::consent) return;
        CandidatePair* pair = checklist.find(tx.pair);
        if (!pair) return;
        if (!success) {
            const auto error = msg.error_code();
            if (error && error->code == stun::error::role_conflict) {
                // §7.2.5.1: switch if the request carried our current role, then check again.
                if (tx.controlling == controlling())
                    switch_role(controlling() ? Role::controlled : Role::controlling);
                if (tx.use_candidate) nominating = false;
                if (pair->state != PairState::succeeded) pair->state = PairState::waiting;
                checklist.trigger(pair->id);
            } else {
                check_failed(tx.pair, tx.use_candidate);
            }
            return;
        }
        const auto mapped = msg.xor_mapped_address();
        if (!mapped) {
            check_failed(tx.pair, tx.use_candidate);
            return;
        }
        // The local candidate the peer saw: known, or peer-reflexive (§7.2.5.3.1).
        std::optional<std::size_t> valid_local;
        for (std::size_t i = 0; i < locals.size(); ++i)
            if (locals[i].socket == socket && locals[i].address == *mapped) valid_local = i;
        const auto prflx_locals = std::count_if(
            locals.begin(), locals.end(),
            [](const LocalEntry& l) { return l.candidate.type == CandidateType::prflx; });
        if (!valid_local && static_cast<std::size_t>(prflx_locals) >= max_prflx_locals)
            valid_local = pair->local;
        if (!valid_local) {
            const LocalEntry& base = locals[pair->local];
            Candidate c;
            c.foundation = foundation_for("prflx", base.address.ip(), std::nullopt);
            c.component = component_id;
            c.priority = tx.priority;
            c.address = mapped->ip().to_string();
            c.port = mapped->port();
            c.type = CandidateType::prflx;
            c.related_address = base.address.ip().to_string();
            c.related_port = base.address.port();
            valid_local = locals.size();
            locals.push_back({c, socket, *mapped, base.local_preference});
        }
        pair->valid_local = valid_local;
        validate(socket, from);  // the valid list (§7.2.5.3.2)
        if (pair->state != PairState::succeeded) checklist.succeeded(pair->id);
        pair = checklist.find(tx.pair);  // succeeded() keeps order, but stay safe
        if (!pair) return;
        if (!first_valid_at) first_valid_at = now;
        if (tx.use_candidate && controlling()) {
            nominating = false;
            nominate(now, *pair);
        } else if (!controlling() && pair->use_candidate_received) {
            nominate(now, *pair);
        }
    }

    // ---- selection and consent -------------------------------------------------------------

    void nominate(Instant now, CandidatePair& pair) {
        pair.nominated = true;
        if (selected && selected->generation == generation) {
            if (selected->pair_id == pair.id) return;
            if (selected->priority >= pair.priority) return;  // keep the better nominated pair
        }
        Selected s;
        s.pair.local = locals[pair.valid_local.value_or(pair.local)].candidate;
        s.pair.remote = remotes[pair.remote].candidate;
        s.pair.socket = pair.socket;
        s.pair.remote_address = pair.remote_address;
        s.pair_id = pair.id;
        s.generation = generation;
        s.priority = pair.priority;
        s.username = remote->ufrag + ":" + local.credentials.ufrag;
        s.remote_key = remote_key;
        s.request_priority = prflx_priority(locals[pair.local].local_preference);
        s.last_response = now;
        s.next_consent = now + consent_delay();
        selected = std::move(s);
        previous_local.reset();  // the old generation's pair is replaced
        // §8.1.2: checks on the other pairs are no longer needed. They end as failed (an incoming
        // check on one revives it with a triggered check); answers still in flight still count.
        for (auto& p : checklist.pairs()) {
            if (p.id == pair.id || p.state == PairState::succeeded) continue;
            if (p.state == PairState::in_progress) cancel_checks(p.id);
            p.state = PairState::failed;
        }
        checklist.clear_triggered();
        FLOE_LOG(LogLevel::debug, "ice") << "selected " << selected->pair.local.to_string()
                                         << " -> " << pair.remote_address.to_string();
        emit(event::SelectedPairChanged{selected->pair});
        update_connected_state();
    }

    void consent_refreshed(Instant now) {
        selected->last_response = now;
        selected->first_unanswered.reset();
        if (state == IceState::disconnected) update_connected_state();
    }

    void update_connected_state() {
        if (!selected || state == IceState::failed || state == IceState::closed) return;
        if (selected->first_unanswered && state == IceState::disconnected) return;
        const bool done = remote_done && gathering == GatheringState::complete &&
                          !checklist.any_pending() && selected->generation == generation;
        set_state(done ? IceState::completed : IceState::connected);
    }

    void maybe_nominate(Instant now) {
        if (!controlling() || nominating || !remote) return;
        if (selected && selected->generation == generation) return;
        CandidatePair* best = best_valid();
        if (!best) return;
        const bool better_pending = checklist.any_pending_above(best->priority);
        if (better_pending && first_valid_at && now < *first_valid_at + config.nomination_delay)
            return;
        start_check(now, *best, true);
    }

    // The pair for the next paced check (RFC 8445 §6.1.4.2): one check per Ta, taken from the
    // triggered-check queue first, then from the ordinary checks. A queued pair that got a
    // check of its own meanwhile is skipped (§7.3.1.4 asks for one, not two).
    CandidatePair* next_paced_check(Instant now) {
        while (auto id = checklist.pop_triggered()) {
            CandidatePair* p = checklist.find(*id);
            if (p && !fresh_check(p->id, now)) return p;
        }
        return checklist.next_ordinary();
    }

    // A controlled agent with a working pair but no nomination yet checks its best valid pair
    // again every consent_probe: if the controlling peer's own checks were all lost, each of
    // these gives it a triggered check (§7.3.1.4) on a pair it may have marked failed.
    void ping_while_unnominated(Instant now) {
        if (controlling() || (selected && selected->generation == generation)) {
            next_valid_ping.reset();
            return;
        }
        CandidatePair* best = best_valid();
        if (!best) {
            next_valid_ping.reset();
            return;
        }
        if (!next_valid_ping) next_valid_ping = now + config.consent_probe;
        if (now < *next_valid_ping || now < next_check_at) return;  // paced like every check
        next_valid_ping = now + config.consent_probe;
        start_check(now, *best, false);
        next_check_at = now + config.ta;
    }

    CandidatePair* best_valid() {
        for (auto& p : checklist.pairs())
            if (p.state == PairState::succeeded) return &p;
        return nullptr;
    }

    void fail(std::string_view why) {
        FLOE_LOG(LogLevel::info, "ice") << "failed: " << why;
        set_state(IceState::failed);
        selected.reset();
        std::erase_if(transactions, [](const Transaction& t) { return t.kind != TxKind::gather; });
    }

    void check_consent(Instant now) {
        if (!selected) return;
        Selected& s = *selected;
        if (now - s.last_response >= config.failed_after) {
            if (s.generation != generation) {
                // The pair of the generation before a restart is gone; the new generation's
                // checks go on, under their own failure rules.
                FLOE_LOG(LogLevel::info, "ice") << "consent expired on the pre-restart pair";
                selected.reset();
                previous_local.reset();
                std::erase_if(transactions,
                              [](const Transaction& t) { return t.kind == TxKind::consent; });
                set_state(IceState::checking);
                return;
            }
            fail("consent expired (RFC 7675)");
            return;
        }
        if (s.first_unanswered && now - *s.first_unanswered >= config.disconnected_after)
            set_state(IceState::disconnected);
        if (now >= next_consent_at(s)) {
            send_consent(now);
            // RFC 7675 §5.1: the regular schedule counts from the latest request, 4-6 s apart.
            s.next_consent = now + consent_delay();
        }
    }

    // The next consent request: on the regular schedule while the latest one was answered; one
    // consent_probe after the latest while unanswered (RFC 7675 §5.1 sends each request once,
    // with a new transaction id; an unanswered one is followed by the next at the faster rate).
    Instant next_consent_at(const Selected& s) const {
        if (!s.first_unanswered) return s.next_consent;
        return std::min(s.next_consent, s.last_sent + config.consent_probe);
    }

    // Without a selected pair, checking gives up `checking_timeout` after it began, or after the
    // first pair became valid when one did (a nomination under loss may need retries), but never
    // while a nomination is still in flight.
    std::optional<Instant> checking_deadline() const {
        if (selected || !checking_since || nominating) return std::nullopt;
        return (first_valid_at ? *first_valid_at : *checking_since) + config.checking_timeout;
    }

    void check_failure(Instant now) {
        if (selected || !checking_since) return;
        if (auto deadline = checking_deadline(); deadline && now >= *deadline) {
            fail(first_valid_at ? "no pair could be nominated within the checking timeout"
                                : "no connectivity within the checking timeout");
            return;
        }
        const bool exhausted =
            remote_done && checklist.all_failed() &&
            !std::any_of(transactions.begin(), transactions.end(),
                         [](const Transaction& t) { return t.kind == TxKind::check; });
        if (!exhausted) {
            all_failed_at.reset();
            return;
        }
        if (!all_failed_at) all_failed_at = now;
        if (now - *all_failed_at >= config.failed_grace) fail("every candidate pair failed");
    }

    // The one step every entry point ends with: send what is due, move the states on.
    void drive(Instant now) {
        if (closed) return;
        expire_transactions(now);
        if (state == IceState::failed) return;
        // Checking starts with the remote side's credentials and candidates, even when none can
        // be paired (only mDNS names): the checking timeout then bounds the wait for a prflx.
        if (state == IceState::new_ && remote && (!remotes.empty() || remote_done)) {
            checking_since = now;
            set_state(IceState::checking);
        }
        if (remote) {
            if (now >= next_check_at) {
                if (CandidatePair* p = next_paced_check(now)) {
                    start_check(now, *p, false);
                    next_check_at = now + config.ta;
                }
            }
            maybe_nominate(now);
            ping_while_unnominated(now);
        }
        check_consent(now);
        if (state == IceState::failed) return;
        check_failure(now);
        if (state == IceState::failed) return;
        if (selected && state != IceState::disconnected) update_connected_state();
        maybe_complete_gathering();
    }

    std::optional<Instant> next_timeout() const {
        if (closed) return std::nullopt;
        std::optional<Instant> at;
        auto consider = [&](Instant t) {
            if (!at || t < *at) at = t;
        };
        for (const auto& t : transactions)
            if (auto when = t.client.poll_timeout()) consider(*when);
        if (state == IceState::failed) return at;
        if (remote) {
            if (checklist.has_triggered() || checklist.ordinary_ready()) consider(next_check_at);
            if (next_valid_ping) consider(std::max(*next_valid_ping, next_check_at));
            if (controlling() && !nominating && first_valid_at && checklist.any_succeeded() &&
                !(selected && selected->generation == generation))
                consider(*first_valid_at + config.nomination_delay);
        }
        if (selected) {
            consider(next_consent_at(*selected));
            consider(selected->last_response + config.failed_after);
            if (selected->first_unanswered && state != IceState::disconnected)
                consider(*selected->first_unanswered + config.disconnected_after);
        } else if (checking_since) {
            if (auto deadline = checking_deadline()) consider(*deadline);
            if (all_failed_at) consider(*all_failed_at + config.failed_grace);
        }
        return at;
    }

    void restart(Instant now, Credentials fresh) {
        if (fresh.ufrag.empty() || fresh.pwd.empty()) fresh = random_credentials(random);
        if (selected)
            previous_local = local;
        else
            previous_local.reset();
        local = {fresh, stun::IntegrityKey::short_term(fresh.pwd)};
        ++generation;
        remote.reset();
        remotes.clear();
        checklist.clear();
        std::erase_if(transactions, [](const Transaction& t) { return t.kind == TxKind::check; });
        remote_done = false;
        nominating = false;
        first_valid_at.reset();
        next_valid_ping.reset();
        all_failed_at.reset();
        checking_since.reset();
        if (selected) {
            checking_since = now;
        } else {
            set_state(IceState::new_);
        }
        regather(now);
        drive(now);
    }
};

// ---- the public face ---------------------------------------------------------------------------

Agent::Agent(AgentConfig config, Random& random)
    : impl_(std::make_unique<Impl>(std::move(config), random)) {}
Agent::~Agent() = default;
Agent::Agent(Agent&&) noexcept = default;
Agent& Agent::operator=(Agent&&) noexcept = default;

void Agent::add_local_socket(Instant now, SocketId socket, SocketAddress bound_address) {
    if (impl_->closed) return;
    impl_->add_socket(now, socket, bound_address);
    impl_->drive(now);
}

void Agent::end_of_local_sockets(Instant now) {
    if (impl_->closed) return;
    impl_->sockets_done = true;
    impl_->drive(now);
}

void Agent::set_remote_credentials(Credentials remote) {
    if (impl_->closed || remote.ufrag.empty() || remote.pwd.empty()) return;
    if (impl_->remote && *impl_->remote == remote) return;
    impl_->remote_key.emplace(stun::IntegrityKey::short_term(remote.pwd));
    impl_->remote = std::move(remote);
}

void Agent::add_remote_candidate(Instant now, Candidate candidate) {
    if (impl_->closed) return;
    impl_->add_remote_candidate(now, std::move(candidate));
}

void Agent::end_of_remote_candidates(Instant now) {
    if (impl_->closed) return;
    impl_->remote_done = true;
    impl_->drive(now);
}

bool Agent::handle_input(Instant now, SocketId socket, SocketAddress from, ByteSpan datagram) {
    if (!stun::looks_like_stun(datagram) || !stun::peek_header(datagram)) {
        ++impl_->stats.not_stun;
        return false;
    }
    if (impl_->closed) return true;
    auto msg = stun::Message::decode(datagram);
    if (!msg || (msg->has(stun::attr::fingerprint) && !msg->check_fingerprint()) ||
        msg->method() != stun::method::binding) {
        ++impl_->stats.malformed;
        return true;
    }
    switch (msg->message_class()) {
        case stun::MessageClass::request:
            impl_->handle_request(now, socket, from, *msg);
            break;
        case stun::MessageClass::success_response:
        case stun::MessageClass::error_response:
            impl_->handle_response(now, socket, from, *msg);
            break;
        case stun::MessageClass::indication:
            break;  // keepalive (RFC 8445 §11)
    }
    impl_->drive(now);
    return true;
}

bool Agent::accept_data(Instant, SocketId socket, const SocketAddress& from) {
    if (impl_->is_validated(socket, from)) {
        ++impl_->stats.data_received;
        return true;
    }
    // Logged at the first refusal and then at every power of two: a flood stays a few lines.
    const std::uint64_t n = ++impl_->stats.data_refused;
    if ((n & (n - 1)) == 0) {
        FLOE_LOG(LogLevel::debug, "ice")
            << "data from " << from.to_string() << " on socket " << socket
            << ", an address ICE has not validated: dropped (" << n << " so far)";
    }
    return false;
}

bool Agent::validated(SocketId socket, const SocketAddress& from) const {
    return impl_->is_validated(socket, from);
}

void Agent::handle_timeout(Instant now) {
    impl_->drive(now);
}

std::optional<Instant> Agent::poll_timeout() const {
    return impl_->next_timeout();
}

std::optional<Transmit> Agent::poll_transmit() {
    if (impl_->transmits.empty()) return std::nullopt;
    Transmit t = std::move(impl_->transmits.front());
    impl_->transmits.pop_front();
    return t;
}

std::optional<Event> Agent::poll_event() {
    if (impl_->events.empty()) return std::nullopt;
    Event e = std::move(impl_->events.front());
    impl_->events.pop_front();
    return e;
}

void Agent::restart(Instant now, Credentials new_local) {
    if (impl_->closed) return;
    impl_->restart(now, std::move(new_local));
}

void Agent::close() {
    if (impl_->closed) return;
    impl_->closed = true;
    impl_->transactions.clear();
    impl_->transmits.clear();
    impl_->selected.reset();
    impl_->validated.clear();
    impl_->set_state(IceState::closed);
}

IceState Agent::state() const {
    return impl_->state;
}
GatheringState Agent::gathering_state() const {
    return impl_->gathering;
}
Role Agent::role() const {
    return impl_->role;
}
const Credentials& Agent::local_credentials() const {
    return impl_->local.credentials;
}

std::optional<SelectedPair> Agent::selected_pair() const {
    if (!impl_->selected) return std::nullopt;
    return impl_->selected->pair;
}

std::optional<Duration> Agent::round_trip_time() const {
    return impl_->round_trip;
}

std::vector<event::LocalCandidate> Agent::local_candidates() const {
    std::vector<event::LocalCandidate> out;
    for (const auto& l : impl_->locals)
        if (l.candidate.type != CandidateType::prflx) out.push_back({l.candidate, l.socket});
    return out;
}

const AgentStats& Agent::stats() const {
    return impl_->stats;
}

}  // namespace floe::ice
