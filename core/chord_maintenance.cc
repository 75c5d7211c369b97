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
  update_backoff();
  if (backoff_ > 1) {
    // Backed off: ping and fix_fingers run in the same wakeup as the next stabilize round,
    // and check_ring at the same factor; an idle node wakes once a period, not three times.
    const Time next =
        runtime_.now() +
        jittered(runtime_, maintenance_period(config_.stabilize_period), config_.jitter_fraction);
    runtime_.set_timer(TimerKind::stabilize, next);
    runtime_.set_timer(TimerKind::ping_predecessor, next);
    if (!building_fingers_) runtime_.set_timer(TimerKind::fix_fingers, next);
  } else {
    schedule(TimerKind::stabilize, config_.stabilize_period);
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
// FNV-1a over the ids' first words: enough to tell a changed view from the same one.
constexpr std::uint64_t hash_start = 0xcbf29ce484222325ULL;
void mix(std::uint64_t& hash, const NodeId& id) {
  std::uint64_t word = 0;
  std::memcpy(&word, id.bytes().data(), sizeof word);
  hash = (hash ^ word) * 0x100000001b3ULL;
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

void ChordNode::finish_stabilize() {
  state_query_pending_ = false;
  if (const auto head = successor()) runtime_.send(head->endpoint, Notify{self_.id});
}

void ChordNode::adopt_successor_list(const Peer& head, const SuccessorList& list) {
  if (head.id == self_.id) return;
  const std::size_t length = config_.successor_list_length;
  const std::uint64_t before = config_.quiet_backoff_max > 1 ? successors_hash() : 0;
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
  // Our predecessor copies our list: with backed-off periods, a change would crawl back one
  // long period per node, so tell it to look now (it tells its own, and so on, r deep).
  if (config_.quiet_backoff_max > 1 && successors_hash() != before) {
    disturb();
    if (predecessor_ && predecessor_->id != self_.id) {
      runtime_.send(predecessor_->endpoint, Nudge{self_.id});
    }
  }
}

void ChordNode::on_nudge(const Nudge& nudge) {
  if (phase_ != Phase::member || config_.quiet_backoff_max <= 1) return;
  const auto head = successor();
  const bool from_successor_list =
      std::any_of(successors_.begin(), successors_.end(),
                  [&](const Peer& peer) { return peer.id == nudge.sender_id; });
  const bool closer = head && in_open(self_.id, nudge.sender_id, head->id);
  if (!from_successor_list && !closer) return;
  disturb();
  if (!state_query_pending_) runtime_.set_timer(TimerKind::stabilize, runtime_.now());
}

void ChordNode::fix_fingers() {
  if (phase_ != Phase::member) return;
  if (!building_fingers_) {
    schedule(TimerKind::fix_fingers, maintenance_period(config_.fix_fingers_period));
  }
  if (maintenance_paused_) return;
  // One finger per period, except in the first round after joining, which chains its
  // lookups until the round is done. A lookup answered locally completes inside
  // start_lookup, so the chain is this bounded loop, never recursion.
  for (std::size_t guard = 0; guard < id_bits; ++guard) {
    for (const Lookup& lookup : lookups_) {
      if (lookup.purpose == LookupPurpose::fix_finger) return;  // one at a time
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

void ChordNode::check_ring() {
  // Alone (a re-formed ring, or cut off), this is the only way back: never backed off.
  schedule(TimerKind::check_ring, successors_.empty()
                                      ? config_.check_ring_period
                                      : maintenance_period(config_.check_ring_period));
  if (maintenance_paused_) return;
  // Look our own id up through a peer outside our routing state; if its ring names a closer
  // successor than ours, the rings differ (a healed partition) or we missed a node.
  const std::size_t choices = remembered_.size() + bootstrap_.size();
  if (choices == 0) return;
  const std::size_t pick = uniform(runtime_, choices);
  const Endpoint contact = pick < remembered_.size() ? remembered_[pick].endpoint
                                                     : bootstrap_[pick - remembered_.size()];
  if (contact == self_.endpoint) return;
  (void)start_lookup(self_.id, LookupPurpose::check_ring, contact);
}

}  // namespace chord
