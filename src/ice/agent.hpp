// The ICE agent (RFC 8445, with trickle per RFC 8838, consent per RFC 7675, RFC 8863 timeouts):
// a sans-IO object that gathers candidates on the sockets the runtime reports, runs
// connectivity checks, selects a pair and keeps consent on it. No sockets, threads or clock:
//
//   agent.add_local_socket(now, socket_id, bound_address);   // per socket the runtime opened
//   agent.end_of_local_sockets(now);
//   agent.set_remote_credentials({ufrag, pwd});                // from the remote description
//   agent.add_remote_candidate(now, candidate);               // trickled or from the description
//   agent.handle_input(now, socket_id, from, datagram);        // STUN datagrams (first byte 0-3)
//   agent.handle_timeout(now);                                 // at poll_timeout()
//   while (auto t = agent.poll_transmit()) send(t->socket, t->destination, t->data);
//   while (auto e = agent.poll_event()) ...;
//
// Application data (DTLS) goes on selected_pair()'s (socket, remote_address); it never passes
// through the agent. Only STUN responses refresh consent (RFC 7675 §5.1). Incoming application
// data is accepted only from remote addresses ICE validated (accept_data()), as libwebrtc does:
// anything else on the socket is a stranger's and never reaches DTLS.
//
// API notes for the branches building on this (ice-sim, rtc):
// - A local candidate is (transport, socket): `SocketId` is the runtime's handle, or a relay's
//   virtual one (add_relay_socket); UDP only today.
// - One component (rtcp-mux / BUNDLE data channel): every candidate is component 1.
// - `Candidate::address` of a remote candidate may be an mDNS name ("….local"); it is kept and
//   left to peer-reflexive discovery (RFC 8445 §7.3.1.3).
// - Misuse (e.g. add_local_socket after close) is ignored, never thrown: the runtime can race
//   with close(). Wire input never throws.
// - Beyond the sketch agreed at the start: restart()'s credentials default to random ones;
//   accept_data() / validated() (the per-packet filter for non-STUN input), role(),
//   local_credentials(), local_candidates() (the full set, for non-trickle descriptions), stats()
//   (drops and answers, for tests and traces); AgentConfig gains consent_probe, failed_grace,
//   nomination_delay, max_pairs and max_remote_candidates. StunTiming (rto, rc, rm) maps onto
//   stun::RetransmissionConfig.
// - Host candidates: pick the addresses to open sockets on with select_host_addresses()
//   (src/ice/host_policy.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/ice/candidate.hpp>
#include <floe/socket_address.hpp>
#include <floe/stun/integrity.hpp>
#include <floe/stun/message.hpp>

#include "common/fifo.hpp"
#include "common/random.hpp"
#include "common/time.hpp"
#include "ice/checklist.hpp"
#include "stun/client_transaction.hpp"

namespace floe::ice {

// The runtime's socket handle. A local candidate is (transport, socket).
using SocketId = std::uint32_t;

struct Credentials {
    std::string ufrag;
    std::string pwd;
    bool empty() const { return ufrag.empty() && pwd.empty(); }
    friend bool operator==(const Credentials&, const Credentials&) = default;
};

// RFC 8839 §5.4 ice-char: ALPHA / DIGIT / "+" / "/".
inline constexpr std::string_view ice_chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 8839 §5.4: ufrag of at least 4 and pwd of at least 22 ice-chars; we draw 8 and 24
// characters from the CSPRNG (about 48 and 144 bits).
Credentials random_credentials(Random& random);

// Retransmission schedule of a STUN transaction (RFC 8489 §6.2.1): the first retransmission after
// `rto`, then doubling, `rc` requests in all, and the last waits `rm` × rto. The defaults give a
// check 39.5 s to complete, so an 800 ms round trip connects with room to spare.
struct StunTiming {
    Duration rto = 500ms;
    int rc = 7;
    int rm = 16;
};

enum class Role : std::uint8_t { controlling, controlled };
// As the browser names them (RTCIceConnectionState); `new_` because `new` is a keyword.
enum class IceState : std::uint8_t {
    new_,
    checking,
    connected,
    completed,
    disconnected,
    failed,
    closed
};
enum class GatheringState : std::uint8_t { new_, gathering, complete };

std::string_view to_string(Role role);
std::string_view to_string(IceState state);
std::string_view to_string(GatheringState state);

struct AgentConfig {
    bool controlling = true;  // ignored by a lite agent, which is always controlled
    // ICE-lite (RFC 8445 §2.5): host candidates only (no STUN server requests), always the
    // controlled agent (§6.1.1), no checks and no consent requests of its own; it answers the
    // full peer's checks and uses the pair the peer nominates with USE-CANDIDATE (§8.2). It
    // cannot send consent requests, so it reads the peer's checks as the sign of life (RFC 7675
    // obliges the sender, the full peer, to ask every 4-6 s): disconnected after
    // `consent_interval` + `disconnected_after` without one, failed after `failed_after`.
    bool lite = false;
    // ice_transport_policy relay (W3C): only relay candidates (add_relay_socket) are gathered
    // and paired; checks arriving on a plain socket are left unanswered (counted in
    // refused_policy): none of this host's addresses is revealed to the peer.
    bool relay_only = false;
    Credentials local;                        // random_credentials() when empty
    std::vector<SocketAddress> stun_servers;  // resolved by the runtime; srflx gathering
    Duration ta = 50ms;  // one ordinary or triggered check per Ta (RFC 8445 §6.1.4.2, §14.2)
    // Consent freshness (RFC 7675): a request every interval ± 20 % on the selected pair.
    Duration consent_interval = 5s;
    // Disconnected when a consent request has gone unanswered this long (measured from the
    // first unanswered request, not from the last response, so the ±20 % jitter of the interval
    // never reads as silence). While a request is unanswered, another follows every
    // `consent_probe` (each a new transaction, sent once: RFC 7675 §5.1) instead of every
    // interval, until one is answered: an unanswered request is replaced as a STUN
    // retransmission would be; a healthy pair sees one request per interval (docs/ice.md, 9.).
    // A controlled agent waiting for a nomination re-checks its best valid pair at that rate.
    Duration disconnected_after = 5s;
    Duration consent_probe = 1s;
    // Failed when no consent response has arrived for this long (RFC 7675 §5.1: 30 s).
    Duration failed_after = 30s;
    // Failed when checking has found no working pair for this long, whatever is still pending
    // (RFC 8863: above one STUN transaction, 39.5 s). Once a pair works the clock restarts from
    // then, so a nomination that loses its answers can be retried; an in-flight nomination is
    // always awaited.
    Duration checking_timeout = 40s;
    // Failed at most this long after every pair has failed and the remote side has signalled
    // end-of-candidates (a late prflx may still rescue it within this window).
    Duration failed_grace = 0s;
    // The controlling agent nominates the best valid pair once no pair of higher priority is
    // still pending, or at the latest this long after the first pair became valid.
    Duration nomination_delay = 200ms;
    StunTiming stun;
    std::size_t max_pairs = 100;              // RFC 8445 §6.1.2.5: pruning limit
    std::size_t max_remote_candidates = 100;  // memory bound against a hostile peer
};

struct SelectedPair {
    Candidate local;   // host, or the prflx/srflx the peer saw, or relay
    Candidate remote;  // as signalled, or the prflx an incoming check revealed
    SocketId socket = 0;
    SocketAddress remote_address;
    std::string relay_url;  // the TURN server's URL when `local` is a relay candidate
    friend bool operator==(const SelectedPair&, const SelectedPair&) = default;
};

// A datagram to send from `socket` to `destination`.
struct Transmit {
    SocketId socket = 0;
    SocketAddress destination;
    Bytes data;
};

namespace event {
// A local candidate to trickle (RFC 8838); `socket` is the one it was gathered on.
struct LocalCandidate {
    Candidate candidate;
    SocketId socket = 0;
};
// Gathering finished: signal end-of-candidates.
struct GatheringComplete {};
struct StateChanged {
    IceState state;
};
struct SelectedPairChanged {
    SelectedPair pair;
};
// A role conflict (RFC 8445 §7.3.1.1) switched our role.
struct RoleChanged {
    Role role;
};
// A STUN server (AgentConfig::stun_servers[server]) gave no candidate on `socket`: it never
// answered (code 701, as W3C RTCPeerConnectionIceErrorEvent has it) or answered with an error
// response (its ERROR-CODE and reason). Gathering goes on without it.
struct ServerError {
    SocketId socket = 0;
    std::size_t server = 0;
    int code = 0;
    std::string reason;
};
}  // namespace event

using Event = std::variant<event::LocalCandidate, event::GatheringComplete, event::StateChanged,
                           event::SelectedPairChanged, event::RoleChanged, event::ServerError>;

// What the agent dropped or refused, for tests and `--trace` (bad input is counted, never fatal).
struct AgentStats {
    std::uint64_t checks_sent = 0;          // connectivity checks incl. retransmissions
    std::uint64_t checks_received = 0;      // authenticated requests answered with success
    std::uint64_t responses_received = 0;   // authenticated responses matched to a check
    std::uint64_t not_stun = 0;             // handle_input() returned false
    std::uint64_t malformed = 0;            // STUN header but undecodable / bad FINGERPRINT
    std::uint64_t unknown_transaction = 0;  // response to no request of ours
    std::uint64_t unauthenticated = 0;      // MESSAGE-INTEGRITY or USERNAME wrong
    std::uint64_t answered_400 = 0;         // Bad Request
    std::uint64_t answered_401 = 0;         // Unauthorized
    std::uint64_t answered_420 = 0;         // Unknown Attribute (comprehension-required)
    std::uint64_t answered_487 = 0;         // Role Conflict
    std::uint64_t unknown_socket = 0;       // input on a socket never added
    std::uint64_t asymmetric = 0;           // response from/to another address (§7.2.5.2.1)
    std::uint64_t misdirected = 0;          // STUN server's answer from elsewhere: ignored
    std::uint64_t role_conflicts = 0;       // role switches
    std::uint64_t data_received = 0;        // accept_data() calls that accepted
    std::uint64_t data_refused = 0;         // accept_data() calls from unvalidated addresses
    std::uint64_t refused_failed = 0;       // requests left unanswered while failed (RFC 7675)
    std::uint64_t refused_policy = 0;       // requests on a socket the relay policy excludes
};

class Agent {
  public:
    Agent(AgentConfig config, Random& random);
    ~Agent();
    Agent(Agent&&) noexcept;
    Agent& operator=(Agent&&) noexcept;

    // A socket the runtime opened and bound: a host candidate (unless unspecified), and a Binding
    // request to every STUN server of its family for a server-reflexive candidate. Sockets are
    // ranked in the order added (the runtime's interface preference); at most 64 are used.
    void add_local_socket(Instant now, SocketId socket, SocketAddress bound_address);
    // No more sockets will come: gathering completes once the STUN servers have answered.
    // (The caller that allocates relays says so once every allocation succeeded or failed.)
    void end_of_local_sockets(Instant now);
    // A TURN allocation (RFC 8656) the caller made: `socket` is its own virtual id (distinct from
    // every real socket's), `relayed` the XOR-RELAYED-ADDRESS, the relay candidate's address and
    // base, `mapped` its XOR-MAPPED-ADDRESS (the related address, RFC 8445 §5.1.1.2). A relay
    // candidate (type preference 0, RFC 8445 §5.1.2.2) is trickled and paired with every remote
    // candidate of its family; checks and data on it go out as Transmits on `socket`, for the
    // caller to send through the relay. The only kind the relay policy gathers.
    void add_relay_socket(Instant now, SocketId socket, SocketAddress relayed, SocketAddress mapped,
                          std::string server_url);
    // The allocation behind relay socket `socket` was lost (refresh failed, server gone): its
    // pairs fail, and if the selected pair was one of them ICE fails with it (consent could not
    // come back through a relay that is gone), unless an ICE restart finds another path.
    void relay_failed(Instant now, SocketId socket);

    void set_remote_credentials(Credentials remote);
    // The peer is an ICE-lite agent (its description says a=ice-lite): a full agent then takes
    // the controlling role (RFC 8445 §6.1.1) and nominates, with regular nomination. Not a role
    // conflict (stats().role_conflicts stays), but RoleChanged is emitted if the role changed. A
    // lite agent ignores this (two lite agents cannot connect; the session refuses that first).
    void set_remote_lite();
    // Host/srflx/relay/prflx candidates with IP addresses are paired; `.local` names are kept and
    // wait for peer-reflexive discovery. Other components and transports are ignored.
    void add_remote_candidate(Instant now, Candidate candidate);
    void end_of_remote_candidates(Instant now);

    // A datagram received on `socket` from `from`. Returns false (and keeps nothing) when it is
    // not STUN; STUN that is not ours or is bad is counted in stats() and dropped, or answered
    // with the RFC's error (400, 401, 487).
    bool handle_input(Instant now, SocketId socket, SocketAddress from, ByteSpan datagram);
    // Non-STUN traffic (DTLS, and the SCTP inside it) arrived on (socket, from): true when the
    // caller may hand it on, i.e. validated(socket, from); counted either way (data_received,
    // data_refused). It is no consent (RFC 7675 §5.1): only STUN responses refresh that.
    bool accept_data(Instant now, SocketId socket, const SocketAddress& from);
    // Whether ICE validated `from` on `socket` for this session: we answered an authenticated
    // check from it (from that moment on: the peer's DTLS may follow its first successful check
    // before ours to it succeeds), or one of our checks to it succeeded (RFC 8445 §7.2.5.3, the
    // valid list, peer-reflexive candidates included). Cheap: the selected pair first, then a
    // small flat set (at most 128 addresses, the oldest forgotten first). Kept across restarts
    // (the same peer, the same DTLS session); forgotten by close().
    bool validated(SocketId socket, const SocketAddress& from) const;

    void handle_timeout(Instant now);
    std::optional<Instant> poll_timeout() const;
    std::optional<Transmit> poll_transmit();
    std::optional<Event> poll_event();

    // ICE restart (RFC 8445 §9): new local credentials (random when empty), remote candidates and
    // credentials forgotten (set them again from the new remote description), gathering run
    // again (host candidates re-announced, srflx asked for anew). The current selected pair keeps
    // working, with its old credentials, until a new pair is selected.
    void restart(Instant now, Credentials new_local = {});
    // Stops everything: no more transmits or timeouts; state becomes closed. Safe to call twice.
    void close();

    IceState state() const;
    GatheringState gathering_state() const;
    Role role() const;
    const Credentials& local_credentials() const;
    std::optional<SelectedPair> selected_pair() const;
    // Round-trip time of the latest check or consent request answered on the selected pair's
    // path (any path before one is selected). Only requests sent once count: the answer to a
    // retransmitted one cannot be matched to a send (Karn's rule, RFC 6298 §3).
    std::optional<Duration> round_trip_time() const;
    // Every local candidate gathered so far (for non-trickle descriptions).
    std::vector<event::LocalCandidate> local_candidates() const;
    const AgentStats& stats() const;
    // Every candidate and pair as the agent keeps them, for stats and traces (W3C
    // RTCIceCandidateStats, RTCIceCandidatePairStats). CandidatePair::local and valid_local index
    // the local records (peer-reflexive ones included), CandidatePair::remote the remote ones.
    std::size_t local_count() const { return locals_.size(); }
    const Candidate& local_candidate(std::size_t index) const { return locals_[index].candidate; }
    // The STUN servers (indices into AgentConfig::stun_servers) gathering still waits on.
    std::vector<std::size_t> pending_stun_servers() const;
    // The TURN server's URL when local candidate `index` is a relay candidate, else empty.
    const std::string& local_relay_url(std::size_t index) const;
    SocketId local_socket(std::size_t index) const { return locals_[index].socket; }
    std::size_t remote_count() const { return remotes_.size(); }
    const Candidate& remote_candidate(std::size_t index) const { return remotes_[index].candidate; }
    // Highest priority first.
    const std::vector<CandidatePair>& pairs() const { return checklist_.pairs(); }

  private:
    // The agent holds its state directly: src/ice is internal, so a pimpl would hide nothing.
    // Its member functions are defined by job: agent.cpp (the verbs, drive(), shared helpers),
    // gathering.cpp, relay.cpp, checks.cpp, input.cpp and selection.cpp (docs/ice.md, "File
    // layout").

    // ---- records --------------------------------------------------------------------------------

    // rtcp-mux and BUNDLE: one component.
    static constexpr std::uint16_t component_id = 1;

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
        std::optional<std::size_t> host;  // index of its host (or relay) candidate
        bool relay = false;               // a TURN allocation: `bound` is the relayed address
        std::string relay_url;
        bool failed = false;  // relay_failed()
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

    // ---- state ----------------------------------------------------------------------------------

    AgentConfig config_;
    Random* random_;
    Role role_;
    std::uint64_t tie_breaker_ = 0;
    Generation local_;
    std::optional<Generation> previous_local_;  // after restart(), until a new pair is selected
    std::optional<Credentials> remote_;
    std::optional<stun::IntegrityKey> remote_key_;
    std::uint32_t generation_ = 0;

    std::vector<SocketEntry> sockets_;
    std::vector<LocalEntry> locals_;
    std::vector<RemoteEntry> remotes_;
    std::map<std::string, std::string> foundations_;
    CheckList checklist_;
    std::vector<Transaction> transactions_;
    Fifo<Transmit> transmits_;
    Fifo<Event> events_;

    IceState state_ = IceState::new_;
    GatheringState gathering_ = GatheringState::new_;
    bool sockets_done_ = false;
    bool remote_done_ = false;
    bool closed_ = false;
    Instant next_check_at_{};  // the epoch: the first ordinary check goes out at once
    std::optional<Instant> checking_since_;
    std::optional<Instant> first_valid_at_;
    std::optional<Duration> round_trip_;
    std::optional<Instant> all_failed_at_;
    bool nominating_ = false;
    std::optional<Instant> next_valid_ping_;  // controlled side, waiting for a nomination
    Duration valid_ping_interval_{};          // the wait after the latest of those pings
    std::optional<Selected> selected_;
    std::vector<ValidatedAddress> validated_;  // see validated()
    AgentStats stats_;

    // ---- agent.cpp: helpers and the step every entry point ends with ----------------------------

    bool controlling() const { return role_ == Role::controlling; }
    bool lite() const { return config_.lite; }
    void emit(Event e);
    void set_state(IceState s);
    std::string foundation_for(std::string_view type, const IpAddress& base,
                               const std::optional<SocketAddress>& server);
    // A component-1 UDP candidate at `at` (with its related address, for srflx/prflx/relay).
    static Candidate make_candidate(CandidateType type, const SocketAddress& at,
                                    std::string foundation, std::uint32_t priority,
                                    const std::optional<SocketAddress>& related = std::nullopt);
    bool is_validated(SocketId socket, const SocketAddress& address) const;
    void validate(SocketId socket, const SocketAddress& address);
    SocketEntry* find_socket(SocketId id);
    std::optional<std::size_t> find_remote(const SocketAddress& address) const;
    std::uint32_t prflx_priority(std::uint16_t local_preference) const;
    stun::TransactionId new_transaction_id();
    Duration consent_delay();
    stun::RetransmissionConfig retransmission(TxKind kind,
                                              const CandidatePair* pair = nullptr) const;
    std::optional<Duration> quick_retry(const CandidatePair& pair, Duration limit) const;
    void send(SocketId socket, SocketAddress destination, ByteSpan data);
    // The one step every entry point ends with: send what is due, move the states on.
    void drive(Instant now);

    // ---- gathering.cpp: host and server-reflexive candidates ------------------------------------

    void add_socket(Instant now, SocketId id, SocketAddress bound);
    void ask_stun_servers(Instant now, const SocketEntry& socket);
    void regather(Instant now);
    void add_server_reflexive(const Transaction& tx, const SocketAddress& mapped);
    bool gathering_busy() const;
    void maybe_complete_gathering();
    void handle_server_response(SocketId socket, const SocketAddress& from,
                                const stun::Message& msg, std::vector<Transaction>::iterator it);

    // ---- checks.cpp: pairs, check transactions, pacing, role conflicts --------------------------

    void form_pair(std::size_t local_index, std::size_t remote_index);
    std::optional<std::size_t> add_remote(Candidate c, std::optional<SocketAddress> address);
    void switch_role(Role to);
    Transaction& start_transaction(Instant now, TxKind kind, SocketId socket,
                                   const SocketAddress& destination, Bytes request,
                                   const CandidatePair* pair = nullptr);
    void flush(Transaction& tx);
    void cancel_checks(PairId pair);
    void trigger_check(Instant now, CandidatePair& pair);
    bool checked_since(PairId pair, Instant since) const;
    bool live_check(PairId pair) const;
    Bytes build_request(std::string_view username, std::uint32_t priority, bool use_candidate,
                        const stun::IntegrityKey& key);
    void start_check(Instant now, CandidatePair& pair, bool use_candidate);
    CandidatePair* next_paced_check();
    void expire_transactions(Instant now);
    std::vector<Transaction>::iterator find_transaction(const stun::TransactionId& id);
    void check_failed(PairId id, bool was_nomination);

    // ---- input.cpp: requests answered, responses matched ----------------------------------------

    void respond_error(SocketId socket, const SocketAddress& to, const stun::Message& request,
                       int code, const stun::IntegrityKey* key,
                       std::span<const std::uint16_t> unknown = {});
    void handle_request(Instant now, SocketId socket_id, const SocketAddress& from,
                        const stun::Message& msg);
    void handle_response(Instant now, SocketId socket, const SocketAddress& from,
                         const stun::Message& msg);

    // ---- selection.cpp: nomination, the selected pair, consent, failure -------------------------

    void nominate(Instant now, CandidatePair& pair);
    void consent_refreshed(Instant now);
    void update_connected_state();
    void maybe_nominate(Instant now);
    void renominate_if_stalled(Instant now, CandidatePair& pair);
    void ping_while_unnominated(Instant now);
    CandidatePair* best_valid();
    void send_consent(Instant now);
    void fail(std::string_view why);
    void check_consent(Instant now);
    Instant next_consent_at(const Selected& s) const;
    void check_lite_liveness(Instant now);
    std::optional<Instant> checking_deadline() const;
    void check_failure(Instant now);
};

}  // namespace floe::ice
