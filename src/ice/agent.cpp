// The ICE agent's core: construction, the sans-IO verbs that are not STUN input (sockets,
// remote description, timeouts, polling, restart, close), the one step every entry point ends
// with (drive) and the helpers the other parts share. Gathering, checks, STUN input and
// selection/consent are defined in gathering.cpp, checks.cpp, input.cpp and selection.cpp.
#include "ice/agent.hpp"

#include <algorithm>

#include "common/log.hpp"

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

// Consent jitter (RFC 7675 §5.1): the interval is drawn from [0.8, 1.2] × consent_interval.
constexpr double consent_jitter = 0.2;
// Remote addresses validated for application data (only an authenticated peer adds any).
constexpr std::size_t max_validated = 128;

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

Credentials random_credentials(Random& random) {
    return {random.string(8, ice_chars), random.string(24, ice_chars)};
}

Agent::Agent(AgentConfig c, Random& r)
    : config_(prepared(std::move(c), r)),
      random_(&r),
      // RFC 8445 §6.1.1: a lite agent is always the controlled one.
      role_(config_.controlling && !config_.lite ? Role::controlling : Role::controlled),
      tie_breaker_(random_->next_u64()),
      local_{config_.local, stun::IntegrityKey::short_term(config_.local.pwd)},
      checklist_(config_.max_pairs) {}
Agent::~Agent() = default;
Agent::Agent(Agent&&) noexcept = default;
Agent& Agent::operator=(Agent&&) noexcept = default;

void Agent::add_local_socket(Instant now, SocketId socket, SocketAddress bound_address) {
    if (closed_) return;
    add_socket(now, socket, bound_address);
    drive(now);
}

void Agent::end_of_local_sockets(Instant now) {
    if (closed_) return;
    sockets_done_ = true;
    drive(now);
}

void Agent::set_remote_credentials(Credentials remote) {
    if (closed_ || remote.ufrag.empty() || remote.pwd.empty()) return;
    if (remote_ && *remote_ == remote) return;
    remote_key_.emplace(stun::IntegrityKey::short_term(remote.pwd));
    remote_ = std::move(remote);
}

void Agent::set_remote_lite() {
    if (closed_ || lite() || controlling()) return;
    // RFC 8445 §6.1.1: facing a lite agent, the full agent controls, whoever offered.
    role_ = Role::controlling;
    nominating_ = false;
    checklist_.set_controlling(true);
    FLOE_LOG(LogLevel::debug, "ice") << "the peer is ICE-lite: now controlling";
    emit(event::RoleChanged{role_});
}

void Agent::end_of_remote_candidates(Instant now) {
    if (closed_) return;
    remote_done_ = true;
    drive(now);
}

bool Agent::accept_data(Instant, SocketId socket, const SocketAddress& from) {
    if (is_validated(socket, from)) {
        ++stats_.data_received;
        return true;
    }
    // Logged at the first refusal and then at every power of two: a flood stays a few lines.
    const std::uint64_t n = ++stats_.data_refused;
    if ((n & (n - 1)) == 0) {
        FLOE_LOG(LogLevel::debug, "ice")
            << "data from " << from.to_string() << " on socket " << socket
            << ", an address ICE has not validated: dropped (" << n << " so far)";
    }
    return false;
}

bool Agent::validated(SocketId socket, const SocketAddress& from) const {
    return is_validated(socket, from);
}

void Agent::handle_timeout(Instant now) {
    drive(now);
}

std::optional<Instant> Agent::poll_timeout() const {
    if (closed_) return std::nullopt;
    std::optional<Instant> at;
    auto consider = [&](Instant t) {
        if (!at || t < *at) at = t;
    };
    for (const auto& t : transactions_)
        if (auto when = t.client.poll_timeout()) consider(*when);
    if (state_ == IceState::failed) return at;
    if (remote_ && !lite()) {  // a lite agent sends no checks
        if (checklist_.has_triggered() || checklist_.ordinary_ready()) consider(next_check_at_);
        if (next_valid_ping_) consider(std::max(*next_valid_ping_, next_check_at_));
        if (controlling() && !nominating_ && first_valid_at_ && checklist_.any_succeeded() &&
            !(selected_ && selected_->generation == generation_))
            consider(*first_valid_at_ + config_.nomination_delay);
    }
    if (selected_ && lite()) {
        // No consent requests: only the peer's checks going quiet is watched for.
        consider(selected_->last_response + config_.failed_after);
        if (state_ != IceState::disconnected)
            consider(selected_->last_response + config_.consent_interval +
                     config_.disconnected_after);
    } else if (selected_) {
        consider(next_consent_at(*selected_));
        consider(selected_->last_response + config_.failed_after);
        if (selected_->first_unanswered && state_ != IceState::disconnected)
            consider(*selected_->first_unanswered + config_.disconnected_after);
    } else if (checking_since_) {
        if (auto deadline = checking_deadline()) consider(*deadline);
        if (all_failed_at_) consider(*all_failed_at_ + config_.failed_grace);
    }
    return at;
}

std::optional<Transmit> Agent::poll_transmit() {
    if (transmits_.empty()) return std::nullopt;
    Transmit t = std::move(transmits_.front());
    transmits_.pop_front();
    return t;
}

std::optional<Event> Agent::poll_event() {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

void Agent::restart(Instant now, Credentials fresh) {
    if (closed_) return;
    if (fresh.ufrag.empty() || fresh.pwd.empty()) fresh = random_credentials(*random_);
    if (selected_)
        previous_local_ = local_;
    else
        previous_local_.reset();
    local_ = {fresh, stun::IntegrityKey::short_term(fresh.pwd)};
    ++generation_;
    remote_.reset();
    remotes_.clear();
    checklist_.clear();
    std::erase_if(transactions_, [](const Transaction& t) { return t.kind == TxKind::check; });
    remote_done_ = false;
    nominating_ = false;
    first_valid_at_.reset();
    next_valid_ping_.reset();
    all_failed_at_.reset();
    checking_since_.reset();
    if (selected_) {
        checking_since_ = now;
    } else {
        set_state(IceState::new_);
    }
    regather(now);
    drive(now);
}

void Agent::close() {
    if (closed_) return;
    closed_ = true;
    transactions_.clear();
    transmits_.clear();
    selected_.reset();
    validated_.clear();
    set_state(IceState::closed);
}

IceState Agent::state() const {
    return state_;
}
GatheringState Agent::gathering_state() const {
    return gathering_;
}
Role Agent::role() const {
    return role_;
}
const Credentials& Agent::local_credentials() const {
    return local_.credentials;
}

std::optional<SelectedPair> Agent::selected_pair() const {
    if (!selected_) return std::nullopt;
    return selected_->pair;
}

std::optional<Duration> Agent::round_trip_time() const {
    return round_trip_;
}

std::vector<event::LocalCandidate> Agent::local_candidates() const {
    std::vector<event::LocalCandidate> out;
    for (const auto& l : locals_)
        if (l.candidate.type != CandidateType::prflx) out.push_back({l.candidate, l.socket});
    return out;
}

const AgentStats& Agent::stats() const {
    return stats_;
}

// ---- helpers ------------------------------------------------------------------------------------

void Agent::emit(Event e) {
    events_.push_back(std::move(e));
}

void Agent::set_state(IceState s) {
    if (state_ == s) return;
    FLOE_LOG(LogLevel::debug, "ice") << "state " << to_string(state_) << " -> " << to_string(s);
    state_ = s;
    emit(event::StateChanged{s});
}

Candidate Agent::make_candidate(CandidateType type, const SocketAddress& at, std::string foundation,
                                std::uint32_t priority,
                                const std::optional<SocketAddress>& related) {
    Candidate c;
    c.foundation = std::move(foundation);
    c.component = component_id;
    c.priority = priority;
    c.address = at.ip().to_string();
    c.port = at.port();
    c.type = type;
    if (related) {
        c.related_address = related->ip().to_string();
        c.related_port = related->port();
    }
    return c;
}

std::string Agent::foundation_for(std::string_view type, const IpAddress& base,
                                  const std::optional<SocketAddress>& server) {
    std::string key = std::string(type) + "|" + base.to_string() + "|" +
                      (server ? server->ip().to_string() : std::string()) + "|udp";
    auto [it, inserted] = foundations_.try_emplace(key, "");
    if (inserted) it->second = std::to_string(foundations_.size());
    return it->second;
}

bool Agent::is_validated(SocketId socket, const SocketAddress& address) const {
    if (selected_ && selected_->pair.socket == socket && selected_->pair.remote_address == address)
        return true;
    return std::any_of(validated_.begin(), validated_.end(), [&](const ValidatedAddress& v) {
        return v.socket == socket && v.address == address;
    });
}

void Agent::validate(SocketId socket, const SocketAddress& address) {
    if (is_validated(socket, address)) return;
    if (validated_.size() >= max_validated) validated_.erase(validated_.begin());
    validated_.push_back({socket, address});
    FLOE_LOG(LogLevel::debug, "ice")
        << "validated " << address.to_string() << " on socket " << socket;
}

Agent::SocketEntry* Agent::find_socket(SocketId id) {
    auto it = std::find_if(sockets_.begin(), sockets_.end(),
                           [id](const SocketEntry& s) { return s.id == id; });
    return it == sockets_.end() ? nullptr : &*it;
}

std::optional<std::size_t> Agent::find_remote(const SocketAddress& address) const {
    for (std::size_t i = 0; i < remotes_.size(); ++i)
        if (remotes_[i].address == address) return i;
    return std::nullopt;
}

std::uint32_t Agent::prflx_priority(std::uint16_t local_preference) const {
    return compute_priority(CandidateType::prflx, local_preference, component_id);
}

stun::TransactionId Agent::new_transaction_id() {
    stun::TransactionId id;
    random_->fill(id);
    return id;
}

Duration Agent::consent_delay() {
    const double factor = 1.0 - consent_jitter + 2 * consent_jitter * random_->unit();
    return duration_cast<Duration>(config_.consent_interval * factor);
}

stun::RetransmissionConfig Agent::retransmission(TxKind kind, const CandidatePair* pair) const {
    if (kind == TxKind::consent)  // one request, answered within the consent lifetime
        return {.initial_rto = config_.failed_after,
                .max_transmissions = 1,
                .final_wait_multiplier = 1};
    stun::RetransmissionConfig c{.initial_rto = config_.stun.rto,
                                 .max_transmissions = config_.stun.rc,
                                 .final_wait_multiplier = config_.stun.rm};
    if (kind == TxKind::check && pair) c.measured_rto = quick_retry(*pair, config_.stun.rto);
    return c;
}

// How soon to ask again on a pair whose round trip we measured (RFC 8489 §6.2.1: the RTO is an
// estimate of the round trip; RFC 6298 §2.2 makes it 3 × the first sample): a lost nomination or
// re-check then costs that, not the 500 ms a check to an unknown path waits (RFC 8445 §14.3).
// Never sooner than two Ta, the pace of every check (nor than 10 ms, should Ta be set to 0), nor
// later than `limit`.
std::optional<Duration> Agent::quick_retry(const CandidatePair& pair, Duration limit) const {
    if (!pair.counters.current_round_trip_time) return std::nullopt;
    const Duration floor = std::max<Duration>(2 * config_.ta, 10ms);
    return std::min(std::max(3 * *pair.counters.current_round_trip_time, floor), limit);
}

void Agent::send(SocketId socket, SocketAddress destination, ByteSpan data) {
    transmits_.push_back({socket, destination, Bytes(data.begin(), data.end())});
}

// ---- drive --------------------------------------------------------------------------------------

// The one step every entry point ends with: send what is due, move the states on.
void Agent::drive(Instant now) {
    if (closed_) return;
    expire_transactions(now);
    if (state_ == IceState::failed) return;
    // Checking starts with the remote side's credentials and candidates, even when none can
    // be paired (only mDNS names): the checking timeout then bounds the wait for a prflx.
    if (state_ == IceState::new_ && remote_ && (!remotes_.empty() || remote_done_)) {
        checking_since_ = now;
        set_state(IceState::checking);
    }
    if (remote_ && !lite()) {  // RFC 8445 §2.5: a lite agent sends no checks
        if (now >= next_check_at_) {
            if (CandidatePair* p = next_paced_check()) {
                start_check(now, *p, false);
                next_check_at_ = now + config_.ta;
            }
        }
        maybe_nominate(now);
        ping_while_unnominated(now);
    }
    check_consent(now);
    if (state_ == IceState::failed) return;
    check_failure(now);
    if (state_ == IceState::failed) return;
    if (selected_ && state_ != IceState::disconnected) update_connected_state();
    maybe_complete_gathering();
}

const std::string& Agent::local_relay_url(std::size_t index) const {
    static const std::string none;
    for (const auto& s : sockets_)
        if (s.id == locals_[index].socket) return s.relay ? s.relay_url : none;
    return none;
}

}  // namespace floe::ice
