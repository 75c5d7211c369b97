// ChordNode, part two: lookups (iterative find_successor, owner verification, routing).
// The class and its contract are in core/chord_node.h; ring maintenance is in
// chord_maintenance.cc.
#include <algorithm>
#include <array>

#include "core/chord_node.h"
#include "core/ring_interval.h"

namespace chord {
namespace {

using Distance = NodeId::Distance;
constexpr Distance zero_distance{};

// x in (from, key), given d(x, key) and d(from, key), clockwise distances to the key: x is
// strictly between exactly when 0 < d(x, key) < d(from, key), and when from is the key the
// interval is the whole ring but the key. (in_open, with the distance to the key computed
// once and reused for ordering.) The same holds measured from `from`: 0 < d(from, x) <
// d(from, key).
bool between_by_distance(const Distance& x_to_key, const Distance& from_to_key) {
  return x_to_key != zero_distance && (from_to_key == zero_distance || x_to_key < from_to_key);
}

// Merges peers into a lookup's candidates `peers`: afterwards they are the closest distinct
// peers of both to `key` (clockwise distance: closest preceding first), at most
// lookup_peers_max. `peers` must be sorted that way already (every list the lookup code
// makes is). Distinct ids have distinct distances to one key, so duplicates are found by
// distance. Peers are added with their distance, collected, and merged in one pass: a
// lookup reply brings up to 8 peers into a list of 8, and inserting them one by one
// (checking for duplicates, shifting 40-byte peers) was a fifth of a large simulation.
class CandidateMerger {
 public:
  CandidateMerger(LookupPeers& peers, const NodeId& key) : peers_(peers), key_(key) {}

  // REQUIRES: distance == peer.id.words_distance_to(key). At most lookup_peers_max.
  void add(const Peer& peer, const Distance& distance) {
    // Kept sorted and distinct as they come (they usually come sorted: nothing moves).
    std::size_t place = incoming_.size();
    while (place > 0 && distance < incoming_distance_[place - 1])
      --place;
    if (place > 0 && incoming_distance_[place - 1] == distance) return;  // the same peer
    incoming_.push_back(peer);
    for (std::size_t i = incoming_.size() - 1; i > place; --i) {
      incoming_[i] = incoming_[i - 1];
      incoming_distance_[i] = incoming_distance_[i - 1];
    }
    incoming_[place] = peer;
    incoming_distance_[place] = distance;
  }

  void merge() {
    const std::size_t count = incoming_.size();
    if (count == 0) return;
    if (peers_.empty() || distance_of(peers_.back()) < incoming_distance_[0]) {
      // All beyond the last held (route's fallbacks): append what fits.
      for (std::size_t i = 0; i < count && !peers_.full(); ++i)
        peers_.push_back(incoming_[i]);
      return;
    }
    if (incoming_distance_[count - 1] < distance_of(peers_.front())) {
      // All before the first held (a lookup reply from the best candidate): shift the held
      // ones up, dropping what falls off the end, and put these in front.
      const std::size_t kept = std::min(peers_.size(), peers_.capacity - count);
      peers_.resize(kept + count);
      for (std::size_t i = kept; i-- > 0;)
        peers_[count + i] = peers_[i];
      for (std::size_t i = 0; i < count; ++i)
        peers_[i] = incoming_[i];
      return;
    }
    LookupPeers merged;
    std::size_t old = 0, added = 0;
    Distance old_distance = distance_of(peers_[0]);
    while (!merged.full() && (old < peers_.size() || added < count)) {
      if (added == count || (old < peers_.size() && !(incoming_distance_[added] < old_distance))) {
        // On a tie (the same peer in both), the one held stays.
        if (added < count && incoming_distance_[added] == old_distance) ++added;
        merged.push_back(peers_[old]);
        if (++old < peers_.size()) old_distance = distance_of(peers_[old]);
      } else {
        merged.push_back(incoming_[added++]);
      }
    }
    peers_ = merged;
  }

 private:
  Distance distance_of(const Peer& peer) const { return peer.id.words_distance_to(key_); }

  LookupPeers& peers_;
  const NodeId& key_;
  LookupPeers incoming_;
  std::array<Distance, lookup_peers_max> incoming_distance_;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// Lookups
//
// Iterative: the initiator asks one node per hop for the closest node it knows preceding
// the key, until a node answers that it knows the owner (the key lies between it and its
// successor, or, with successor-list routing, within its successor list).
//
// Path length is counted as the Chord paper's simulator counts it (REFERENCES.md §1.0):
// hops = the nodes contacted that answered, the last being the node that names the owner.
// The initiator is not counted. A key owned by the initiator's own successor needs no other
// node and counts 1 hop: the owner is reached directly (Fig. 10b's smallest value is 1; its
// mean at N = 8 is 1.7, at 4096 nodes 5.85 ≈ ½·log2 N). Timeouts are counted separately
// and never as hops.

Result<std::uint64_t> ChordNode::lookup(const NodeId& key) {
  if (phase_ != Phase::member) return Error{Errc::not_member, "not a ring member"};
  if (rpcs_.size() >= config_.pending_rpcs_max) {
    return Error{Errc::queue_full, "too many requests outstanding"};
  }
  return start_lookup(key, LookupPurpose::user, std::nullopt);
}

Result<std::uint64_t> ChordNode::start_lookup(const NodeId& key, LookupPurpose purpose,
                                              std::optional<Endpoint> first_contact,
                                              std::uint8_t finger_index) {
  if (lookups_.size() >= config_.lookups_max) return Error{Errc::queue_full, "too many lookups"};
  Lookup lookup;
  lookup.id = next_lookup_id_++;
  lookup.key = key;
  lookup.started = runtime_.now();
  lookup.deadline = lookup.started + config_.lookup_timeout;
  lookup.purpose = purpose;
  lookup.finger_index = finger_index;
  lookup.route_key = key;
  lookup.responder = self_;
  const std::uint64_t id = lookup.id;
  if (first_contact) {
    lookup.in_flight = true;
    lookups_.push_back(lookup);
    (void)send_request(Peer{NodeId(), *first_contact}, RpcKind::lookup_step,
                       FindSuccessorRequest{0, key, 0}, id);
    return id;
  }
  LookupPeers peers;
  const bool done = route(key, peers);
  lookups_.push_back(lookup);
  if (done) {
    Lookup& stored = lookups_.back();
    stored.key_predecessor = peers[0];
    verify_owner(stored, peers.span().subspan(1));
    return id;
  }
  Lookup& stored = lookups_.back();
  stored.candidates = peers;
  advance_lookup(stored);
  return id;
}

void ChordNode::advance_lookup(Lookup& lookup) {
  const std::uint64_t id = lookup.id;
  if (runtime_.now() >= lookup.deadline) {
    finish_lookup(id, LookupFailure::deadline, {});
    return;
  }
  if (lookup.hops >= config_.lookup_hops_max) {
    finish_lookup(id, LookupFailure::hops_exceeded, {});
    return;
  }
  if (lookup.candidates.empty() && lookup.purpose != LookupPurpose::join &&
      phase_ == Phase::member) {
    // Every candidate the path offered failed: fall back on our own fingers and successors
    // that precede the key (ToN §V-A), except those that already failed.
    LookupPeers own;
    if (route(lookup.route_key, own, &lookup)) {
      if (++lookup.restarts > restarts_max) {
        finish_lookup(id, LookupFailure::no_route, {});
        return;
      }
      lookup.key_predecessor = own[0];
      verify_owner(lookup, own.span().subspan(1));
      return;
    }
    for (const Peer& peer : own) {
      if (!is_dead(lookup, peer.id)) lookup.candidates.push_back(peer);
    }
  }
  if (lookup.candidates.empty()) {
    finish_lookup(id, LookupFailure::no_route, {});
    return;
  }
  const Peer next = lookup.candidates.front();
  for (std::size_t i = 1; i < lookup.candidates.size(); ++i) {
    lookup.candidates[i - 1] = lookup.candidates[i];
  }
  lookup.candidates.pop_back();
  lookup.in_flight = true;
  (void)send_request(next, RpcKind::lookup_step,
                     FindSuccessorRequest{0, lookup.route_key, lookup.hops}, id);
}

void ChordNode::on_lookup_reply(PendingRpc rpc, const FindSuccessorReply& reply) {
  if (rpc.kind != RpcKind::lookup_step) return;
  Lookup* lookup = find_lookup(rpc.context);
  if (lookup == nullptr) return;
  lookup->in_flight = false;
  if (reply.status == LookupStatus::busy) {
    if (lookup->hops == 0 && lookup->purpose != LookupPurpose::user &&
        lookup->purpose != LookupPurpose::fix_finger) {
      finish_lookup(lookup->id, LookupFailure::no_route, {});  // first contact not a member
      return;
    }
    advance_lookup(*lookup);
    return;
  }
  ++lookup->hops;
  lookup->responder = Peer{reply.responder_id, rpc.target.endpoint};
  if (reply.status == LookupStatus::done && reply.peers.size() >= 2) {
    lookup->key_predecessor = reply.peers[0];
    verify_owner(*lookup, reply.peers.span().subspan(1));
    return;
  }
  // Keep only candidates that make progress: strictly between the responder and the key.
  const Distance responder_to_key = reply.responder_id.words_distance_to(lookup->route_key);
  CandidateMerger candidates(lookup->candidates, lookup->route_key);
  for (const Peer& peer : reply.peers) {
    const Distance to_key = peer.id.words_distance_to(lookup->route_key);
    if (!between_by_distance(to_key, responder_to_key)) continue;
    if (peer.id == self_.id || is_dead(*lookup, peer.id)) continue;
    candidates.add(peer, to_key);
  }
  candidates.merge();
  advance_lookup(*lookup);
}

void ChordNode::verify_owner(Lookup& lookup, std::span<const Peer> peers) {
  const Peer owner = peers.front();
  const bool check =
      config_.verify_owner && owner.id != self_.id && lookup.purpose != LookupPurpose::join;
  if (!check) {
    finish_lookup(lookup.id, LookupFailure::none, owner);
    return;
  }
  lookup.verifying = true;
  lookup.candidates.clear();
  for (const Peer& peer : peers) {
    if (lookup.candidates.full()) break;
    if (is_dead(lookup, peer.id)) continue;
    lookup.candidates.push_back(peer);
    if (peer.id == self_.id) break;  // we are alive: no need to look further
  }
  if (lookup.candidates.empty()) {  // every owner named is known dead: search past them
    continue_past(lookup, peers.back().id);
    return;
  }
  if (lookup.candidates.front().id == self_.id) {
    finish_lookup(lookup.id, LookupFailure::none, self_);
    return;
  }
  lookup.in_flight = true;
  (void)send_request(lookup.candidates.front(), RpcKind::lookup_verify, GetStateRequest{},
                     lookup.id);
}

void ChordNode::continue_past(Lookup& lookup, const NodeId& last_dead) {
  // Every node from the key to `last_dead` is dead, so the key's owner is the owner of
  // last_dead + 1: route there, starting again from the node that named them (it answered,
  // and its successor list reaches further than its answer could carry).
  lookup.verifying = false;
  lookup.in_flight = false;
  lookup.route_key = last_dead.plus_power_of_two(0);
  lookup.candidates.clear();
  if (lookup.responder.id != self_.id && !is_dead(lookup, lookup.responder.id)) {
    lookup.candidates.push_back(lookup.responder);
  }
  advance_lookup(lookup);
}

bool ChordNode::is_dead(const Lookup& lookup, const NodeId& id) {
  for (const NodeId& dead : lookup.dead) {
    if (dead == id) return true;
  }
  return false;
}

void ChordNode::note_dead(Lookup& lookup, const NodeId& id) {
  if (lookup.dead.size() >= dead_max) lookup.dead.erase(lookup.dead.begin());
  lookup.dead.push_back(id);
}

ChordNode::Lookup* ChordNode::find_lookup(std::uint64_t id) {
  for (Lookup& lookup : lookups_) {
    if (lookup.id == id) return &lookup;
  }
  return nullptr;
}

void ChordNode::finger_found(std::uint8_t index, const Peer& owner) {
  fingers_.refresh(self_.id, index, owner);
  remember(owner);
  // Lower fingers all fall on the successor once 2^(index-1) is within reach of it.
  const auto head = successor();
  const bool round_done = index == 0 || !head ||
                          !(self_.id.distance_to(head->id) < NodeId().plus_power_of_two(index - 1));
  if (round_done) {
    // The fingers below all fall on the successor: install it, which also drops an old
    // successor left between it and this finger (no target lands on that one any more).
    if (head && index > 0) fingers_.refresh(self_.id, index - 1u, *head);
    fingers_.trim();
    next_finger_ = id_bits - 1;
    if (building_fingers_) {
      building_fingers_ = false;
      schedule(TimerKind::fix_fingers, config_.fix_fingers_period);
    }
  } else {
    next_finger_ = static_cast<std::uint8_t>(index - 1);
    if (building_fingers_ && !in_fix_fingers_) fix_fingers();
  }
}

void ChordNode::finish_lookup(std::uint64_t lookup_id, LookupFailure failure, const Peer& owner) {
  const auto it = std::find_if(lookups_.begin(), lookups_.end(),
                               [&](const Lookup& l) { return l.id == lookup_id; });
  CHORD_ASSERT(it != lookups_.end());
  const Lookup lookup = *it;
  lookups_.erase(it);
  erase_if(rpcs_, [&](const PendingRpc& rpc) {
    return (rpc.kind == RpcKind::lookup_step || rpc.kind == RpcKind::lookup_verify) &&
           rpc.context == lookup_id;
  });
  disarm_idle_deadlines();

  LookupResult result;
  result.lookup_id = lookup.id;
  result.purpose = lookup.purpose;
  result.key = lookup.key;
  result.failure = failure;
  result.owner = owner;
  result.hops =
      failure == LookupFailure::none ? std::max<std::uint8_t>(lookup.hops, 1) : lookup.hops;
  result.timeouts = lookup.timeouts;
  result.latency = runtime_.now() - lookup.started;
  runtime_.report(result);

  switch (lookup.purpose) {
    case LookupPurpose::user:
      return;
    case LookupPurpose::join:
      if (phase_ != Phase::joining) return;
      if (failure != LookupFailure::none || lookup.key_predecessor.id == self_.id) {
        try_next_bootstrap();
        return;
      }
      // Zave's join reads the new predecessor; the owner is kept in case that node turns out
      // not to be a member (it may be rejoining itself).
      query_state(lookup.key_predecessor, RpcKind::join_state, owner);
      return;
    case LookupPurpose::fix_finger: {
      if (phase_ != Phase::member) return;
      if (failure != LookupFailure::none) {
        if (building_fingers_) {  // give up the fast round; the periodic one goes on
          building_fingers_ = false;
          schedule(TimerKind::fix_fingers, config_.fix_fingers_period);
        }
        return;
      }
      finger_found(lookup.finger_index, owner);
      return;
    }
    case LookupPurpose::check_ring: {
      if (phase_ != Phase::member || failure != LookupFailure::none) return;
      if (owner.id == self_.id || state_query_pending_) return;
      const auto head = successor();
      if (!head || in_open(self_.id, owner.id, head->id)) {
        query_state(owner, RpcKind::adopt_successor);  // adopted only if it answers
      }
      return;
    }
  }
}

bool ChordNode::route(const NodeId& key, LookupPeers& peers, const Lookup* lookup) const {
  // Peers this lookup already found dead are left out.
  auto usable = [&](const NodeId& id) { return lookup == nullptr || !is_dead(*lookup, id); };
  peers.clear();
  if (successors_.empty()) {
    // Alone: we own every key and precede it. Unless a node notified us that we have not
    // adopted yet (it joined moments ago): the ring is then it and us, and the keys in
    // (us, it] are its.
    peers.push_back(self_);
    const bool theirs = predecessor_ && predecessor_->id != self_.id &&
                        in_open_closed(self_.id, key, predecessor_->id);
    peers.push_back(theirs ? *predecessor_ : self_);
    return true;
  }
  const std::size_t routing_successors = config_.route_with_successor_list ? successors_.size() : 1;
  // Positions by clockwise distance from us, each computed once: x is in (self, key) when
  // it is nearer to us than the key (in_open; when the key is us, every other node is).
  const Distance key_from_self = self_.id.words_distance_to(key);
  auto from_self = [&](const NodeId& id) { return self_.id.words_distance_to(id); };
  auto before_key = [&](const NodeId& id) {
    return between_by_distance(from_self(id), key_from_self);
  };
  // Successors and fingers are each sorted by distance from us, distinct and never us
  // (chord_node.h), so the ones before the key are a prefix of each. Its end is found by
  // bisection, the last entry first (the key is usually beyond every successor and
  // beyond most fingers): at 10^5 nodes and more the lists are not in the cache, and a
  // scan read every line of them.
  auto prefix_before_key = [&](const PeerList& list, std::size_t count) {
    if (count == 0 || before_key(list.id(count - 1))) return count;
    std::size_t low = 0, high = count - 1;  // [0, low) are before the key; high is not
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      if (before_key(list.id(middle))) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  };
  std::size_t s = prefix_before_key(successors_, routing_successors);
  if (s < routing_successors) {
    // The key is in (predecessor of successor s, successor s]: the key's predecessor, then
    // its owner and beyond.
    peers.push_back(s == 0 ? self_ : successors_[s - 1]);
    for (std::size_t j = s; j < successors_.size() && !peers.full(); ++j) {
      peers.push_back(successors_[j]);
    }
    return true;
  }
  // Closest preceding nodes among fingers and successors, best first. The last two places
  // go to our first successors: if every far candidate is dead, the initiator can still
  // make progress along the ring through them (they are the farthest from the key).
  //
  // The closest preceding the key are the farthest from us: walk both prefixes back from
  // their ends, merging. (This was an insertion sort by distance to the key: 13% of a
  // 10^5-node run went to computing distances.)
  constexpr std::size_t ring_fallbacks = 2;
  const PeerList& fingers = fingers_.entries();
  std::size_t f = prefix_before_key(fingers, fingers.size());
  // Both prefixes hold nodes other than us, so "the successor lies between us and the
  // finger" is "it is nearer to us". The distances of the two next in line are kept.
  Distance finger_distance = f > 0 ? from_self(fingers.id(f - 1)) : Distance{};
  Distance successor_distance = s > 0 ? from_self(successors_.id(s - 1)) : Distance{};
  while (peers.size() + ring_fallbacks < peers.capacity && (f > 0 || s > 0)) {
    const PeerList* list = &successors_;
    if (f > 0 && s > 0 && finger_distance == successor_distance) {
      list = &fingers;  // the same peer in both lists
      if (--s > 0) successor_distance = from_self(successors_.id(s - 1));
    } else if (f > 0 && (s == 0 || successor_distance < finger_distance)) {
      list = &fingers;  // the finger is farther from us: closer to the key
    }
    std::size_t pick = 0;
    if (list == &fingers) {
      pick = --f;
      if (f > 0) finger_distance = from_self(fingers.id(f - 1));
    } else {
      pick = --s;
      if (s > 0) successor_distance = from_self(successors_.id(s - 1));
    }
    if (usable(list->id(pick))) peers.push_back((*list)[pick]);
  }
  // The picks are sorted by distance to the key (nearer to it first), as the merge needs.
  std::size_t added = 0;
  CandidateMerger candidates(peers, key);
  for (std::size_t i = 0; i < routing_successors && added < ring_fallbacks; ++i) {
    const NodeId& id = successors_.id(i);
    if (!usable(id) || !before_key(id)) continue;
    candidates.add(successors_[i], id.words_distance_to(key));
    ++added;
  }
  candidates.merge();
  return false;
}

}  // namespace chord
