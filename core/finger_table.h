// FingerTable: the distinct fingers of one node, compactly.
//
// Finger i of node n is successor(n + 2^i). Of the 160 fingers only about log2 N differ, so
// the table keeps just the distinct peers, sorted by clockwise distance from n, and never
// 160 entries (a later issue runs 10^6 nodes at 2 KiB each). refresh(i, owner) installs the
// answer of a lookup for n + 2^i and drops the entries that answer proves stale, so after a
// full round of fix_fingers the table is exactly the set of distinct fingers.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/messages.h"
#include "core/peer_list.h"

namespace chord {

class FingerTable {
 public:
  // Hard bound on entries; with distinct fingers only, ~log2 N + a few are used.
  static constexpr std::size_t entries_max = 64;

  // The table does not keep its node's id (20 bytes a node at 10^6 nodes): the calls that
  // need it take it, and it must be the same id at every call.
  FingerTable() = default;

  // Installs `owner` as finger `index` (the owner of self + 2^index), removing every entry
  // in [2^index, max(distance(owner), 2^(index+1))) other than owner: none of them is a
  // finger. An owner equal to self (a ring smaller than the finger's reach) removes every
  // entry at or beyond 2^index. REQUIRES: index < id_bits.
  void refresh(const NodeId& self, std::size_t index, const Peer& owner);

  // Forgets `id` (it timed out or left). Returns whether it was there.
  bool remove(const NodeId& id);
  void clear() { entries_.clear(); }

  // Replaces the whole table (fast start of the simulator).
  void assign(const NodeId& self, std::span<const Peer> peers);

  const PeerList& entries() const { return entries_; }
  // Gives back the room beyond the entries (at the end of a round of refreshes: the table
  // grows a few entries at a time, and keeps about 1.5 unused in a million-node run).
  void trim() { entries_.shrink_to_fit(); }
  std::size_t size() const { return entries_.size(); }

 private:
  PeerList entries_;  // sorted by self.distance_to(id), distinct, never self
};

}  // namespace chord
