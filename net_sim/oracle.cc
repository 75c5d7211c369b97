#include "net_sim/oracle.h"

#include <algorithm>

#include "core/ring_interval.h"

namespace chord::sim {

void Oracle::rebuild(std::span<ChordNode* const> nodes) {
  members_.clear();
  added_.clear();
  removed_.clear();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const ChordNode* node = nodes[i];
    if (node == nullptr || node->phase() != ChordNode::Phase::member) continue;
    members_.emplace_back(node->self().id, static_cast<std::uint32_t>(i));
  }
  std::sort(members_.begin(), members_.end());
  index_members();
}

void Oracle::index_members() const {
  // Four to eight members a bucket: ids are uniform, so a lookup reads one bucket's start and a
  // few members instead of bisecting the whole array (20 steps at 10^6, most of them cache
  // misses, for every lookup the oracle checks).
  int bits = 0;
  while (bits < 20 && (std::size_t{8} << bits) <= members_.size())
    ++bits;
  index_shift_ = 64 - bits;
  const std::size_t buckets = std::size_t{1} << bits;
  bucket_starts_.assign(buckets + 1, 0);
  std::size_t position = 0;
  for (std::size_t bucket = 0; bucket < buckets; ++bucket) {
    bucket_starts_[bucket] = static_cast<std::uint32_t>(position);
    while (position < members_.size() && bucket_of(members_[position].first) == bucket)
      ++position;
  }
  bucket_starts_[buckets] = static_cast<std::uint32_t>(members_.size());
}

namespace {

bool contains(const std::vector<Oracle::Member>& sorted, const Oracle::Member& member) {
  return std::binary_search(sorted.begin(), sorted.end(), member);
}

void insert_sorted(std::vector<Oracle::Member>& sorted, const Oracle::Member& member) {
  sorted.insert(std::lower_bound(sorted.begin(), sorted.end(), member), member);
}

void erase_sorted(std::vector<Oracle::Member>& sorted, const Oracle::Member& member) {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), member);
  if (it != sorted.end() && *it == member) sorted.erase(it);
}

}  // namespace

bool Oracle::present(const Member& member) const {
  if (contains(added_, member)) return true;
  return contains(members_, member) && !contains(removed_, member);
}

void Oracle::update(std::span<ChordNode* const> nodes, std::span<const Member> changed) {
  for (const Member& member : changed) {
    const ChordNode* node = nodes[member.second];
    const bool live = node != nullptr && node->phase() == ChordNode::Phase::member;
    if (live == present(member)) continue;
    if (live) {
      if (contains(removed_, member)) {
        erase_sorted(removed_, member);
      } else {
        insert_sorted(added_, member);
      }
    } else if (contains(added_, member)) {
      erase_sorted(added_, member);
    } else {
      insert_sorted(removed_, member);
    }
  }
  if (added_.size() + removed_.size() > 64 + members_.size() / 256) merge();
}

void Oracle::merge() const {
  if (added_.empty() && removed_.empty()) return;
  // In place (a second array of 10^6 members would be 24 MB more at the run's peak): drop
  // the removed, then merge the additions in from the back.
  if (!removed_.empty()) {
    auto removed = removed_.begin();
    std::erase_if(members_, [&](const Member& member) {
      while (removed != removed_.end() && *removed < member)
        ++removed;
      return removed != removed_.end() && *removed == member;
    });
  }
  // (std::merge may not write over its input; this loop's output never passes its input.)
  std::size_t from = members_.size();
  std::size_t from_added = added_.size();
  members_.resize(members_.size() + added_.size());
  std::size_t to = members_.size();
  while (from_added > 0) {
    if (from > 0 && added_[from_added - 1] < members_[from - 1]) {
      members_[--to] = members_[--from];
    } else {
      members_[--to] = added_[--from_added];
    }
  }
  added_.clear();
  removed_.clear();
  index_members();
}

std::span<const Oracle::Member> Oracle::members() const {
  merge();
  return members_;
}

std::size_t Oracle::position_of(const NodeId& id) const {
  CHORD_ASSERT(bucket_starts_.size() >= 2 && bucket_starts_.back() == members_.size());
  // The first member >= id is in id's bucket, or is the first of a later one: that is where
  // the bucket's range ends.
  const std::size_t bucket = bucket_of(id);
  const auto begin = members_.begin() + bucket_starts_[bucket];
  const auto end = members_.begin() + bucket_starts_[bucket + 1];
  const auto it = std::lower_bound(begin, end, Member{id, 0});
  return it == members_.end() ? 0 : static_cast<std::size_t>(it - members_.begin());
}

bool Oracle::is_live_member(const NodeId& id) const {
  if (size() == 0) return false;
  return owner_of(id).first == id;
}

const Oracle::Member& Oracle::owner_of(const NodeId& key) const {
  CHORD_ASSERT(size() > 0);
  // The first member at or after the key (mod the ring) that is not waiting to be removed,
  // and the first waiting addition at or after it: whichever comes first from the key.
  const Member* from_members = nullptr;
  if (members_.size() > removed_.size()) {
    std::size_t position = position_of(key);
    // Bounded: at least one member is not being removed.
    while (contains(removed_, members_[position]))
      position = (position + 1) % members_.size();
    from_members = &members_[position];
  }
  const Member* from_added = nullptr;
  if (!added_.empty()) {
    const auto it = std::lower_bound(added_.begin(), added_.end(), Member{key, 0});
    from_added = it == added_.end() ? &added_.front() : &*it;
  }
  if (from_added == nullptr) return *from_members;
  if (from_members == nullptr) return *from_added;
  const NodeId::Distance to_added = key.words_distance_to(from_added->first);
  const NodeId::Distance to_members = key.words_distance_to(from_members->first);
  if (to_added < to_members) return *from_added;
  if (to_members < to_added) return *from_members;
  return std::min(*from_added, *from_members);  // one id twice: the lower index, as before
}

RingHealth Oracle::health(std::span<ChordNode* const> nodes, std::size_t r) const {
  merge();
  RingHealth health;
  const std::size_t count = members_.size();
  health.members = count;
  if (count == 0) return health;
  const std::size_t expected_length = std::min(r, count - 1);

  // Best successor (first live entry) of each member, as a position in members_.
  constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::vector<std::size_t> best(count, none);
  // Difference array over positions: +1 where a skipped run starts, -1 past its end.
  std::vector<int> skipped(count + 1, 0);
  auto mark_skipped = [&](const NodeId& a, const NodeId& b) {  // members strictly in (a, b)
    if (a == b) return;
    std::size_t begin = static_cast<std::size_t>(
        std::upper_bound(members_.begin(), members_.end(), Member{a, ~0u}) - members_.begin());
    std::size_t end = static_cast<std::size_t>(
        std::lower_bound(members_.begin(), members_.end(), Member{b, 0}) - members_.begin());
    if (begin <= end && a < b) {
      skipped[begin] += 1;
      skipped[end] -= 1;
    } else if (!(a < b)) {  // wraps past zero: [begin, count) and [0, end)
      skipped[begin] += 1;
      skipped[count] -= 1;
      skipped[0] += 1;
      skipped[end] -= 1;
    }
  };

  for (std::size_t position = 0; position < count; ++position) {
    const ChordNode& node = *nodes[members_[position].second];
    const PeerList& successors = node.successors();
    const NodeId& self = members_[position].first;
    // Correct pointers.
    const std::size_t next = (position + 1) % count;
    const std::size_t previous = (position + count - 1) % count;
    if (count == 1) {
      if (successors.empty()) ++health.successor_correct, ++health.list_correct;
      if (!node.predecessor()) ++health.predecessor_correct;
    } else {
      if (!successors.empty() && successors.id(0) == members_[next].first) {
        ++health.successor_correct;
      }
      if (node.predecessor() && node.predecessor()->id == members_[previous].first) {
        ++health.predecessor_correct;
      }
      bool list_ok = successors.size() == expected_length;
      for (std::size_t i = 0; list_ok && i < expected_length; ++i) {
        list_ok = successors.id(i) == members_[(position + 1 + i) % count].first;
      }
      if (list_ok) ++health.list_correct;
    }
    // Zave's local checks: [self] + list ordered clockwise, no duplicates.
    bool ordered = true;
    NodeId previous_id = self;
    for (std::size_t i = 0; i < successors.size() && ordered; ++i) {
      if (successors.id(i) == self) ordered = false;
      if (i > 0 && !in_open(previous_id, successors.id(i), self)) ordered = false;
      previous_id = successors.id(i);
    }
    if (ordered) ++health.ordered_lists;
    // Best successor; a lone node's successor is itself.
    if (successors.empty()) {
      best[position] = position;
    } else {
      for (const Peer& peer : successors) {
        if (is_live_member(peer.id)) {
          best[position] = position_of(peer.id);
          break;
        }
      }
    }
    if (best[position] != none) ++health.with_live_successor;
    // Principals: mark every member an adjacent pair of the extended list skips.
    NodeId from = self;
    for (const Peer& peer : successors) {
      mark_skipped(from, peer.id);
      from = peer.id;
    }
  }

  int running = 0;
  for (std::size_t position = 0; position < count; ++position) {
    running += skipped[position];
    if (running == 0) ++health.principals;
  }

  // Cycles of the best-successor graph (a functional graph): colour walk, bounded by count.
  std::vector<std::uint8_t> state(count, 0);  // 0 new, 1 on the current path, 2 done
  std::vector<std::size_t> on_ring(count, 0);
  std::vector<std::size_t> path;
  std::size_t ring_start = none;
  for (std::size_t start = 0; start < count; ++start) {
    if (state[start] != 0) continue;
    path.clear();
    std::size_t at = start;
    while (at != none && state[at] == 0) {
      state[at] = 1;
      path.push_back(at);
      at = best[at];
    }
    if (at != none && state[at] == 1) {  // a new cycle, starting at `at`
      ++health.rings;
      ring_start = at;
      std::size_t walk = at;
      do {
        on_ring[walk] = 1;
        walk = best[walk];
      } while (walk != at);
    }
    for (std::size_t p : path)
      state[p] = 2;
  }
  if (health.rings == 1) {
    // Ordered: following best successors from the ring's smallest member visits increasing
    // ids and wraps exactly once.
    std::size_t size = 0, wraps = 0, walk = ring_start;
    do {
      const std::size_t after = best[walk];
      if (!(members_[walk].first < members_[after].first)) ++wraps;
      ++size;
      walk = after;
    } while (walk != ring_start && size <= count);
    health.ring_size = size;
    health.ring_ordered = wraps == 1 || size == 1;
    // Every member reaches the ring (functional graph: follow until a ring node or none).
    for (std::size_t position = 0; position < count; ++position) {
      std::size_t at = position;
      for (std::size_t steps = 0; at != none && on_ring[at] == 0 && steps <= count; ++steps) {
        at = best[at];
      }
      if (at != none && on_ring[at] == 1) ++health.reach_ring;
    }
  }
  return health;
}

}  // namespace chord::sim
