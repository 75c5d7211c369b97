// ChordNode, part three: periodic maintenance (stabilize, fix_fingers, check_ring) and its
// adaptive periods (ChordConfig::quiet_backoff_max, Nudge). The class and its contract are
// in core/chord_node.h; membership and message handling are in chord_node.cc.
#include <algorithm>
#include <cstring>

#include "core/chord_node.h"
#include "core/ring_interval.h"

namespace chord {

// ---------------------------------------------------------------------------------------
// Periodic maintenance

void ChordNode::schedule(TimerKind kind, Duration period) {
  runtime_.set_timer(kind, runtime_.now() + jittered(runtime_, period, config_.jitter_fraction));
}

void ChordNode::stabilize() {
  const std::uint32_t factor_before = backoff_;
  update_backoff();
  const bool backed_off = backoff_ > 1;
  if (backed_off) {
    // Backed off: ping and fix_fingers run in this same wakeup, and check_ring at the same
    // factor; an idle node wakes once a period, not three times.
    schedule(TimerKind::stabilize, maintenance_period(config_.stabilize_period));
    runtime_.cancel_timer(TimerKind::ping_predecessor);
    if (!building_fingers_) runtime_.cancel_timer(TimerKind::fix_fingers);
  } else {
    schedule(TimerKind::stabilize, config_.stabilize_period);
    if (factor_before > 1) {  // their own timers again (cancelled while backed off)
      schedule(TimerKind::ping_predecessor, config_.ping_predecessor_period);
      if (!building_fingers_) schedule(TimerKind::fix_fingers, config_.fix_fingers_period);
    }
  }
  if (backed_off && !maintenance_paused_) {
    ping_predecessor();
    if (!building_fingers_) fix_fingers();  // reschedules itself only when not backed off
  }
  if (maintenance_paused_ || state_query_pending_) return;
  if (successors_.empty()) {
    // Alone: our successor is ourselves, whose predecessor is ours (a node that notified
    // us). Adopt it once it answers.
    if (predecessor_) query_state(*predecessor_, RpcKind::adopt_successor);
    return;
  }
  query_state(successors_.front(), RpcKind::stabilize_successor);
}

void ChordNode::ping_predecessor() {
  if (!predecessor_) return;
  // Economical: a predecessor we heard from within the last two rounds is alive (its
  // stabilize reads our state every round of its own, which jitter makes up to 1.7 of
  // ours), so the ping would tell nothing new.
  if (economical() && heard_predecessor_ > 0) {
    --heard_predecessor_;
    return;
  }
  for (const PendingRpc& rpc : rpcs_) {
    if (rpc.kind == RpcKind::ping_predecessor) return;
  }
  (void)send_request(*predecessor_, RpcKind::ping_predecessor, Ping{});
}

// A quiet round (nothing changed since the last, no failure seen) doubles the factor up to
// quiet_backoff_max; anything else resets it. With the default of 1 this draws nothing and
// changes nothing.
void ChordNode::update_backoff() {
  if (config_.quiet_backoff_max <= 1) return;
  const std::uint64_t view = view_hash();
  const bool quiet = view == view_hash_ && !disturbed_;
  view_hash_ = view;
  disturbed_ = false;
  const std::uint32_t doubled = std::min<std::uint32_t>(backoff_ * 2u, config_.quiet_backoff_max);
  backoff_ = static_cast<std::uint8_t>(quiet ? doubled : 1u);
}

// A change or failure: maintenance at the base periods from now on, and the rounds already
// scheduled further out brought forward.
void ChordNode::disturb() {
  disturbed_ = true;
  if (backoff_ <= 1 || phase_ != Phase::member) return;
  backoff_ = 1;
  schedule(TimerKind::stabilize, config_.stabilize_period);
  schedule(TimerKind::ping_predecessor, config_.ping_predecessor_period);
  if (!building_fingers_) schedule(TimerKind::fix_fingers, config_.fix_fingers_period);
  if (config_.check_ring_period > Duration(0)) {
    schedule(TimerKind::check_ring, config_.check_ring_period);
  }
}

namespace {
// FNV-1a over the ids' high words: enough to tell a changed view from the same one.
constexpr std::uint64_t hash_start = 0xcbf29ce484222325ULL;
void mix(std::uint64_t& hash, const NodeId& id) {
  hash = (hash ^ id.high()) * 0x100000001b3ULL;
}
}  // namespace

std::uint64_t ChordNode::successors_hash() const {
  std::uint64_t hash = hash_start;
  for (const Peer& peer : successors_)
    mix(hash, peer.id);
  return hash;
}

std::uint64_t ChordNode::view_hash() const {
  std::uint64_t hash = successors_hash();
  if (predecessor_) mix(hash, predecessor_->id);
  for (const Peer& peer : fingers_.entries())
    mix(hash, peer.id);
  return hash;
}

void ChordNode::query_state(const Peer& target, RpcKind kind, const Peer& subject) {
  state_query_pending_ = true;
  (void)send_request(target, kind, GetStateRequest{}, 0, subject);
}

void ChordNode::finish_stabilize(const std::optional<Peer>& successor_predecessor) {
  state_query_pending_ = false;
  if (economical() && successor_predecessor && successor_predecessor->id == self_.id) return;
  if (const auto head = successor()) runtime_.send(head->endpoint, Notify{self_.id});
}

void ChordNode::adopt_successor_list(const Peer& head, const SuccessorList& list) {
  if (head.id == self_.id) return;
  const std::size_t length = config_.successor_list_length;
  const std::uint64_t before = successors_hash();
  successors_.clear();
  successors_.push_back(head);
  for (const Peer& peer : list) {
    if (successors_.size() >= length) break;
    // The list runs clockwise from the head; meeting ourselves (or the head again) means it
    // wrapped around a ring smaller than r + 1: stop, keeping the entries distinct.
    if (peer.id == self_.id || peer.id == head.id) break;
    if (!in_open(successors_.back().id, peer.id, self_.id)) break;  // out of order: stop
    successors_.push_back(peer);
  }
  if (successors_hash() != before) successors_changed();
}

// Our predecessor copies our list: a change would crawl back one period per node (r periods
// to reach the last node that lists us; with backed-off periods, long ones), so tell it to
// look now. It tells its own, and so on, until the change falls off the end of the lists.
void ChordNode::successors_changed() {
  disturb();
  if (predecessor_ && predecessor_->id != self_.id) {
    runtime_.send(predecessor_->endpoint, Nudge{self_.id});
  }
}

void ChordNode::on_connection_lost(const Endpoint& peer) {
  if (phase_ != Phase::member || maintenance_paused_) return;
  if (predecessor_ && predecessor_->endpoint == peer) {
    heard_predecessor_ = 0;
    ping_predecessor();  // a timeout disturbs the ring: the base periods come back
  }
  if (!successors_.empty() && successors_.front().endpoint == peer && !state_query_pending_) {
    query_state(successors_.front(), RpcKind::stabilize_successor);
  }
}

void ChordNode::on_nudge(const Endpoint& from, const Nudge& nudge) {
  if (phase_ != Phase::member) return;
  const auto head = successor();
  const bool from_successor_list =
      std::any_of(successors_.begin(), successors_.end(),
                  [&](const Peer& peer) { return peer.id == nudge.sender_id; });
  const bool closer = head && in_open(self_.id, nudge.sender_id, head->id);
  if (!from_successor_list && !closer) return;
  disturb();
  if (state_query_pending_) return;
  if (closer && !maintenance_paused_) {
    // A node between us and our successor: a joiner that took us as its predecessor. Ask
    // it directly (StabilizeFromPredecessor: adopted only if it answers) rather than
    // stabilize with our successor, whose predecessor is the newcomer nearest to it: when
    // many join between two nodes at once, that walk back takes one round trip per
    // newcomer (thousands, for the first nodes of a ring that grows at 200 joins/s).
    query_state(Peer{nudge.sender_id, from}, RpcKind::adopt_successor);
    return;
  }
  runtime_.set_timer(TimerKind::stabilize, runtime_.now());
}

void ChordNode::fix_fingers() {
  if (phase_ != Phase::member) return;
  if (!building_fingers_ && backoff_ <= 1) {
    schedule(TimerKind::fix_fingers, maintenance_period(config_.fix_fingers_period));
  }
  if (maintenance_paused_) return;
  // One finger per period, except in the first round after joining, which chains its
  // lookups until the round is done, and in economical mode, where fingers our successor
  // list answers cost nothing. A lookup answered locally completes inside start_lookup,
  // so the chain is this bounded loop, never recursion.
  for (std::size_t guard = 0; guard < id_bits; ++guard) {
    for (const Lookup& lookup : lookups_) {
      if (lookup.purpose == LookupPurpose::fix_finger) return;  // one at a time
    }
    if (economical()) {
      if (const auto owner = finger_from_successor_list()) {
        const std::uint8_t index = next_finger_;
        in_fix_fingers_ = true;
        finger_found(index, *owner);
        in_fix_fingers_ = false;
        if (next_finger_ == id_bits - 1 && !building_fingers_) return;  // the round is done
        continue;
      }
    }
    in_fix_fingers_ = true;
    const auto started = start_lookup(self_.id.plus_power_of_two(next_finger_),
                                      LookupPurpose::fix_finger, std::nullopt, next_finger_);
    in_fix_fingers_ = false;
    if (!started && building_fingers_) {  // no room for the lookup: go on periodically
      building_fingers_ = false;
      schedule(TimerKind::fix_fingers, config_.fix_fingers_period);
    }
    if (!started || !building_fingers_) return;
  }
}

std::optional<Peer> ChordNode::finger_from_successor_list() const {
  const NodeId target = self_.id.plus_power_of_two(next_finger_);
  for (const Peer& peer : successors_) {
    if (in_open_closed(self_.id, target, peer.id)) return peer;
  }
  // Our own range (predecessor, self]: the finger reaches round to ourselves.
  if (predecessor_ && in_open_closed(predecessor_->id, target, self_.id)) return self_;
  return std::nullopt;
}

void ChordNode::check_ring() {
  // Alone (a re-formed ring, or cut off), this is the only way back: never backed off.
  // Backed off at most 8-fold: after a partition heals, a quiet ring still merges within
  // minutes, whatever quiet_backoff_max.
  constexpr std::uint32_t check_ring_backoff_max = 8;
  schedule(TimerKind::check_ring,
           successors_.empty() ? config_.check_ring_period
                               : config_.check_ring_period *
                                     std::min<std::uint32_t>(backoff_, check_ring_backoff_max));
  if (maintenance_paused_) return;
  // Look our own id up through a peer outside our routing state; if its ring names a closer
  // successor than ours, the rings differ (a healed partition) or we missed a node.
  const std::size_t choices = remembered_.size() + bootstrap_.size();
  if (choices == 0) return;
  const std::size_t pick = uniform(runtime_, choices);
  const Endpoint contact = pick < remembered_.size() ? remembered_[pick].endpoint
                                                     : bootstrap_[pick - remembered_.size()];
  if (contact == self_.endpoint) return;
  // Economical: a contact that is our predecessor or in our successor list is in our ring
  // already; asking it tells nothing a stabilize round does not.
  if (economical() && !successors_.empty()) {
    const bool adjacent = (predecessor_ && predecessor_->endpoint == contact) ||
                          std::any_of(successors_.begin(), successors_.end(),
                                      [&](const Peer& peer) { return peer.endpoint == contact; });
    if (adjacent) return;
  }
  (void)start_lookup(self_.id, LookupPurpose::check_ring, contact);
}

}  // namespace chord
