#include "core/finger_table.h"

#include <algorithm>

namespace chord {

void FingerTable::refresh(const NodeId& self, std::size_t index, const Peer& owner) {
  CHORD_ASSERT(index < id_bits);
  const NodeId zero;
  const NodeId::Distance low = zero.words_distance_to(zero.plus_power_of_two(index));  // 2^index
  const bool owner_is_self = owner.id == self;
  const NodeId::Distance owner_distance = self.words_distance_to(owner.id);
  // End of the stale range: max(distance(owner), 2^(index+1)); past the top of the ring for
  // the last index, or when the owner is self, everything from 2^index on.
  const bool to_end = owner_is_self || index + 1 == id_bits;
  NodeId::Distance high =
      to_end ? NodeId::Distance{} : zero.words_distance_to(zero.plus_power_of_two(index + 1));
  if (!to_end && high < owner_distance) high = owner_distance;
  entries_.erase_if_id([&](const NodeId& id) {
    if (id == owner.id) return false;
    const NodeId::Distance distance = self.words_distance_to(id);
    return !(distance < low) && (to_end || distance < high);
  });
  if (owner_is_self) return;
  const std::span<const PeerList::Entry> entries = entries_.entries();
  const auto place =
      std::lower_bound(entries.begin(), entries.end(), owner_distance,
                       [&](const PeerList::Entry& entry, const NodeId::Distance& distance) {
                         return self.words_distance_to(entry.id) < distance;
                       });
  const auto offset = static_cast<std::size_t>(place - entries.begin());
  if (place != entries.end() && place->id == owner.id) {
    entries_.set(offset, owner);  // the same id may come back at a new address
    return;
  }
  if (entries_.size() >= entries_max) return;  // bounded; a refresh of a lower index frees room
  // Grow a few entries at a time, not by doubling: a table fills one finger at a time to
  // about log2 N entries and then stays, and a million simulated nodes each keeping room
  // for twice their fingers is 0.6 KB a node (heaptrack, simgrid-chord at 10^4).
  if (entries_.size() == entries_.capacity()) entries_.reserve(entries_.size() + 4);
  entries_.insert(offset, owner);
}

bool FingerTable::remove(const NodeId& id) {
  return entries_.erase_if_id([&](const NodeId& entry) { return entry == id; }) > 0;
}

void FingerTable::assign(const NodeId& self, std::span<const Peer> peers) {
  entries_.assign(peers);
  entries_.erase_if_id([&](const NodeId& id) { return id == self; });
  entries_.sort_unique_by_id([&](const NodeId& a, const NodeId& b) {
    return self.words_distance_to(a) < self.words_distance_to(b);
  });
  // Bounded: keep the farthest-reaching fingers, which routing needs most.
  if (entries_.size() > entries_max) entries_.erase_first(entries_.size() - entries_max);
  // The span may hold one entry per finger (160, mostly repeats): keep only what is left,
  // since a simulator holds a million of these tables.
  entries_.shrink_to_fit();
}

}  // namespace chord
