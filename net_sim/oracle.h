// The oracle: knows the true live membership, checks every lookup against it and samples
// ring health (including the invariant of Zave's corrected Chord).
//
// "Live member" means: the node's process is alive (not crashed, not left) and its Chord
// state says member. A joining node owns nothing yet.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/chord_node.h"

namespace chord::sim {

struct RingHealth {
  std::size_t members = 0;
  std::size_t successor_correct = 0;  // head of the list is the true next member
  std::size_t predecessor_correct = 0;
  std::size_t list_correct = 0;         // the list is exactly the next min(r, M-1) members
  std::size_t ordered_lists = 0;        // Zave's OrderedSuccessorLists and NoDuplicates
  std::size_t with_live_successor = 0;  // OneLiveSuccessor
  std::size_t rings = 0;                // cycles of the best-successor graph
  bool ring_ordered = false;            // the cycle visits members in identifier order
  std::size_t ring_size = 0;
  std::size_t reach_ring = 0;  // members whose best-successor path ends on the ring
  std::size_t principals = 0;  // members no extended successor list skips

  // Every pointer exactly right: Zave's ideal state.
  bool ideal() const {
    return members > 0 && successor_correct == members && predecessor_correct == members &&
           list_correct == members;
  }
  // Zave's invariant and its consequences, checkable at every sample.
  bool zave_invariants_hold() const {
    return ordered_lists == members && with_live_successor == members && rings == 1 &&
           ring_ordered && reach_ring == members;
  }
  double fraction_correct() const {
    return members == 0
               ? 0.0
               : static_cast<double>(successor_correct + predecessor_correct + list_correct) /
                     (3.0 * static_cast<double>(members));
  }
};

class Oracle {
 public:
  // The live members, sorted by id: (id, node index).
  using Member = std::pair<NodeId, std::uint32_t>;

  // Replaces the membership. `nodes[i]` is node i's state, or nullptr if it is not alive.
  void rebuild(std::span<ChordNode* const> nodes);
  // The same result for a few nodes that may have changed: each of `changed` (its id and
  // index) is added or removed as nodes[index] now is or is not a live member. Changes
  // wait in small sorted lists that owner_of and is_live_member consult, and are merged
  // into the sorted array once there are more than about M/256 of them (or when members()
  // or health() need the whole array): an insertion into an array of 10^6 members moved
  // 12 MB, and was 16% of a 10^6-node run's joins.
  void update(std::span<ChordNode* const> nodes, std::span<const Member> changed);

  void reserve(std::size_t members) { members_.reserve(members); }
  // Merges the waiting changes first (logically const: so a span or reference taken from
  // this oracle lasts only until the next members(), health() or update(), and a shared
  // const Oracle is not safe across threads).
  std::span<const Member> members() const;
  std::size_t size() const { return members_.size() + added_.size() - removed_.size(); }
  bool is_live_member(const NodeId& id) const;
  // The true owner of `key`: the first live member at or after it. REQUIRES: members exist.
  const Member& owner_of(const NodeId& key) const;

  // Samples the health of every live member. `r` is the configured list length.
  RingHealth health(std::span<ChordNode* const> nodes, std::size_t r) const;

 private:
  std::size_t position_of(const NodeId& id) const;  // index of first member >= id (mod M)
  bool present(const Member& member) const;
  void merge() const;
  // Rebuilds the index of members_ by the top bits of their ids (after every change).
  void index_members() const;
  std::size_t bucket_of(const NodeId& id) const {
    return index_shift_ >= 64 ? 0 : static_cast<std::size_t>(id.high() >> index_shift_);
  }
  // The merged, sorted members; waiting additions and removals (sorted, disjoint from each
  // other; removals are all in members_, additions none).
  mutable std::vector<Member> members_;
  mutable std::vector<Member> added_;
  mutable std::vector<Member> removed_;
  // bucket_starts_[b]: the first position in members_ whose id's top bits are >= b; one
  // more entry, members_.size(), closes the last bucket.
  mutable std::vector<std::uint32_t> bucket_starts_{0, 0};
  mutable int index_shift_ = 64;
};

}  // namespace chord::sim
