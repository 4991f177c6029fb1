// ICE gathering (RFC 8445 §5.1): a host candidate per socket the runtime reports, and a
// server-reflexive one per STUN server of its family, asked for with a plain Binding request
// (RFC 8489) and matched to its answer; gathering again on restart (RFC 8445 §9).
#include <algorithm>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "common/log.hpp"
#include "ice/agent.hpp"

namespace floe::ice {

namespace {

// Memory bound against a hostile or buggy runtime.
constexpr std::size_t max_sockets = 64;

// RFC 8421 spirit: alternate address families, IPv6 first, in the order the runtime reported
// the sockets (its interface preference). 65535 for the first IPv6 socket, 65407 for the first
// IPv4 one, then 256 lower per further socket of a family.
std::uint16_t local_preference_for(AddressFamily family, std::size_t index_in_family) {
    const std::size_t step = std::min<std::size_t>(index_in_family, 250);
    return static_cast<std::uint16_t>(65535 - 256 * step -
                                      (family == AddressFamily::ipv4 ? 128 : 0));
}

}  // namespace

void Agent::add_socket(Instant now, SocketId id, SocketAddress bound) {
    if (find_socket(id) || sockets_.size() >= max_sockets) return;
    const std::size_t same_family = static_cast<std::size_t>(
        std::count_if(sockets_.begin(), sockets_.end(),
                      [&](const SocketEntry& s) { return s.bound.family() == bound.family(); }));
    SocketEntry entry;
    entry.id = id;
    entry.bound = bound;
    entry.local_preference = local_preference_for(bound.family(), same_family);
    if (gathering_ == GatheringState::new_) gathering_ = GatheringState::gathering;
    // The relay policy gathers relay candidates only (W3C RTCIceTransportPolicy): none from a
    // plain socket. The socket is still recorded (a TURN allocation will live on one).
    if (!config_.relay_only && !bound.ip().is_unspecified() && bound.port() != 0) {
        const Candidate c = make_candidate(
            CandidateType::host, bound, foundation_for("host", bound.ip(), std::nullopt),
            compute_priority(CandidateType::host, entry.local_preference, component_id));
        entry.host = locals_.size();
        locals_.push_back({c, id, bound, entry.local_preference});
        emit(event::LocalCandidate{c, id});
    }
    sockets_.push_back(entry);
    if (entry.host)
        for (std::size_t r = 0; r < remotes_.size(); ++r)
            form_pair(*entry.host, r);
    ask_stun_servers(now, entry);
}

// A Binding request from `socket` to every STUN server of its family: its srflx candidates.
void Agent::ask_stun_servers(Instant now, const SocketEntry& socket) {
    // A lite agent has host candidates only (RFC 8445 §2.5); the relay policy wants none.
    if (lite() || config_.relay_only || socket.relay) return;
    for (std::size_t i = 0; i < config_.stun_servers.size(); ++i) {
        const SocketAddress& server = config_.stun_servers[i];
        if (server.family() != socket.bound.family()) continue;
        Bytes request;
        stun::MessageBuilder b(request, {stun::method::binding, stun::MessageClass::request},
                               new_transaction_id());
        b.add_fingerprint();
        if (!b.finish()) continue;
        start_transaction(now, TxKind::gather, socket.id, server, std::move(request)).server = i;
    }
}

// ICE restart (RFC 8445 §9): gathering runs again. Host candidates stay (the sockets are
// the same) and are announced again; server-reflexive ones are asked for anew, since the
// NAT mapping behind the old one may be gone (a rebinding is a common reason to restart),
// and local peer-reflexive ones belong to the old checks. The selected pair keeps its own
// copy of its candidates, so it is unaffected.
void Agent::regather(Instant now) {
    std::erase_if(transactions_, [](const Transaction& t) { return t.kind == TxKind::gather; });
    // Relay candidates stay too: the allocation is still ours (RFC 8445 §9 keeps bases).
    std::erase_if(locals_, [](const LocalEntry& l) {
        return l.candidate.type != CandidateType::host && l.candidate.type != CandidateType::relay;
    });
    for (auto& socket : sockets_) {
        socket.host.reset();
        for (std::size_t i = 0; i < locals_.size(); ++i)
            if (locals_[i].socket == socket.id) socket.host = i;
    }
    for (const auto& l : locals_)
        emit(event::LocalCandidate{l.candidate, l.socket});
    if (gathering_ == GatheringState::new_) return;  // no socket yet: nothing to gather
    gathering_ = GatheringState::gathering;
    for (const auto& socket : sockets_)
        ask_stun_servers(now, socket);
    maybe_complete_gathering();
}

void Agent::add_server_reflexive(const Transaction& tx, const SocketAddress& mapped) {
    SocketEntry* socket = find_socket(tx.socket);
    if (!socket) return;
    // Redundant (RFC 8445 §5.1.3): same address as the host (no NAT) or as another srflx.
    for (const auto& l : locals_)
        if (l.socket == tx.socket && l.address == mapped) return;
    const Candidate c = make_candidate(
        CandidateType::srflx, mapped,
        foundation_for("srflx", socket->bound.ip(), config_.stun_servers[tx.server]),
        compute_priority(CandidateType::srflx, socket->local_preference, component_id),
        socket->bound);
    locals_.push_back({c, tx.socket, mapped, socket->local_preference});
    emit(event::LocalCandidate{c, tx.socket});
}

std::vector<std::size_t> Agent::pending_stun_servers() const {
    std::vector<std::size_t> servers;
    for (const auto& t : transactions_)
        if (t.kind == TxKind::gather &&
            std::find(servers.begin(), servers.end(), t.server) == servers.end())
            servers.push_back(t.server);
    return servers;
}

bool Agent::gathering_busy() const {
    return std::any_of(transactions_.begin(), transactions_.end(),
                       [](const Transaction& t) { return t.kind == TxKind::gather; });
}

void Agent::maybe_complete_gathering() {
    if (gathering_ == GatheringState::complete || !sockets_done_ || gathering_busy()) return;
    gathering_ = GatheringState::complete;
    emit(event::GatheringComplete{});
}

// The answer to one of our STUN server requests: a server-reflexive candidate, perhaps.
void Agent::handle_server_response(SocketId socket, const SocketAddress& from,
                                   const stun::Message& msg,
                                   std::vector<Transaction>::iterator it) {
    const bool success = msg.message_class() == stun::MessageClass::success_response;
    // RFC 8489 matches a response by its transaction id alone; we also require the
    // server's address and the request's socket, as ICE does for checks (RFC 8445
    // §7.2.5.2.1), so whoever saw the id cannot plant a server-reflexive candidate.
    if (socket != it->socket || from != it->destination) {
        ++stats_.misdirected;
        FLOE_LOG(LogLevel::debug, "ice")
            << "answer to a STUN server request from " << from.to_string() << " on socket "
            << socket << ", not from " << it->destination.to_string() << " on socket " << it->socket
            << ": ignored";
        return;
    }
    const Transaction tx = std::move(*it);
    transactions_.erase(it);
    auto mapped = success ? msg.xor_mapped_address() : std::nullopt;
    if (!mapped && success) mapped = msg.mapped_address();
    if (mapped) {
        add_server_reflexive(tx, *mapped);
    } else if (!success) {
        // W3C webrtc §4.8.2: the server's STUN error code and reason phrase.
        const auto error = msg.error_code();
        emit(event::ServerError{
            tx.socket, tx.server, error ? error->code : 0,
            error ? std::string(error->reason) : std::string("error response without ERROR-CODE")});
    }
    maybe_complete_gathering();
}

}  // namespace floe::ice
