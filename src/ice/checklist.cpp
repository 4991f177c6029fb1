#include "ice/checklist.hpp"

#include <algorithm>

#include <floe/ice/candidate.hpp>

namespace floe::ice {

std::string_view to_string(PairState state) {
    switch (state) {
        case PairState::frozen:
            return "frozen";
        case PairState::waiting:
            return "waiting";
        case PairState::in_progress:
            return "in-progress";
        case PairState::succeeded:
            return "succeeded";
        case PairState::failed:
            return "failed";
    }
    return "?";
}

std::uint64_t pair_priority_for(bool controlling, std::uint32_t local_priority,
                                std::uint32_t remote_priority) {
    return controlling ? pair_priority(local_priority, remote_priority)
                       : pair_priority(remote_priority, local_priority);
}

namespace {
bool pending(PairState s) {
    return s == PairState::frozen || s == PairState::waiting || s == PairState::in_progress;
}
}  // namespace

void CheckList::sort() {
    // Stable, so equal priorities keep the order they arrived in (deterministic tests).
    std::stable_sort(
        pairs_.begin(), pairs_.end(),
        [](const CandidatePair& a, const CandidatePair& b) { return a.priority > b.priority; });
}

std::optional<PairId> CheckList::add(CandidatePair pair, bool controlling) {
    if (const CandidatePair* existing = find(pair.socket, pair.remote_address)) return existing->id;
    pair.id = next_id_++;
    pair.priority = pair_priority_for(controlling, pair.local_priority, pair.remote_priority);
    bool foundation_busy = false, foundation_succeeded = false;
    for (const auto& p : pairs_) {
        if (p.foundation != pair.foundation) continue;
        if (p.state == PairState::succeeded) foundation_succeeded = true;
        if (pending(p.state)) foundation_busy = true;
    }
    pair.state =
        (foundation_succeeded || !foundation_busy) ? PairState::waiting : PairState::frozen;
    const PairId id = pair.id;
    pairs_.push_back(std::move(pair));
    sort();
    // Prune from the bottom: pairs whose checks are done or not begun.
    for (std::size_t i = pairs_.size(); pairs_.size() > max_pairs_ && i-- > 0;) {
        const PairState s = pairs_[i].state;
        if (s == PairState::in_progress || s == PairState::succeeded) continue;
        const PairId gone = pairs_[i].id;
        pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(i));
        triggered_.erase(gone);
    }
    if (!find(id)) return std::nullopt;
    return id;
}

CandidatePair* CheckList::find(PairId id) {
    auto it = std::find_if(pairs_.begin(), pairs_.end(),
                           [id](const CandidatePair& p) { return p.id == id; });
    return it == pairs_.end() ? nullptr : &*it;
}

const CandidatePair* CheckList::find(PairId id) const {
    return const_cast<CheckList*>(this)->find(id);
}

CandidatePair* CheckList::find(std::uint32_t socket, const SocketAddress& remote_address) {
    auto it = std::find_if(pairs_.begin(), pairs_.end(), [&](const CandidatePair& p) {
        return p.socket == socket && p.remote_address == remote_address;
    });
    return it == pairs_.end() ? nullptr : &*it;
}

void CheckList::set_controlling(bool controlling) {
    for (auto& p : pairs_)
        p.priority = pair_priority_for(controlling, p.local_priority, p.remote_priority);
    sort();
}

void CheckList::set_state(PairId id, PairState state) {
    if (CandidatePair* p = find(id)) p->state = state;
}

void CheckList::succeeded(PairId id) {
    CandidatePair* pair = find(id);
    if (!pair) return;
    pair->state = PairState::succeeded;
    const std::string foundation = pair->foundation;
    for (auto& p : pairs_)
        if (p.state == PairState::frozen && p.foundation == foundation)
            p.state = PairState::waiting;
}

void CheckList::failed(PairId id) {
    set_state(id, PairState::failed);
}

bool CheckList::ordinary_ready() const {
    auto busy = [&](const std::string& foundation) {
        return std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& q) {
            return q.foundation == foundation &&
                   (q.state == PairState::waiting || q.state == PairState::in_progress);
        });
    };
    return std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& p) {
        return p.state == PairState::waiting ||
               (p.state == PairState::frozen && !busy(p.foundation));
    });
}

CandidatePair* CheckList::next_ordinary() {
    auto waiting = [&]() -> CandidatePair* {
        for (auto& p : pairs_)
            if (p.state == PairState::waiting) return &p;
        return nullptr;
    };
    if (CandidatePair* p = waiting()) return p;
    // Pairs are sorted, so the first Frozen pair met for a foundation is its best one.
    for (auto& p : pairs_) {
        if (p.state != PairState::frozen) continue;
        const bool busy = std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& q) {
            return q.foundation == p.foundation &&
                   (q.state == PairState::waiting || q.state == PairState::in_progress);
        });
        if (!busy) p.state = PairState::waiting;
    }
    return waiting();
}

void CheckList::trigger(PairId id) {
    if (!find(id)) return;
    if (std::find(triggered_.begin(), triggered_.end(), id) == triggered_.end())
        triggered_.push_back(id);
}

std::optional<PairId> CheckList::pop_triggered() {
    while (!triggered_.empty()) {
        const PairId id = triggered_.front();
        triggered_.pop_front();
        if (find(id)) return id;
    }
    return std::nullopt;
}

bool CheckList::any_pending() const {
    return std::any_of(pairs_.begin(), pairs_.end(),
                       [](const CandidatePair& p) { return pending(p.state); });
}

bool CheckList::any_pending_above(std::uint64_t priority) const {
    return std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& p) {
        return p.priority > priority && pending(p.state);
    });
}

bool CheckList::any_succeeded() const {
    return std::any_of(pairs_.begin(), pairs_.end(),
                       [](const CandidatePair& p) { return p.state == PairState::succeeded; });
}

bool CheckList::all_failed() const {
    return !pairs_.empty() && std::all_of(pairs_.begin(), pairs_.end(), [](const CandidatePair& p) {
        return p.state == PairState::failed;
    });
}

void CheckList::clear() {
    pairs_.clear();
    triggered_.clear();
}

}  // namespace floe::ice
