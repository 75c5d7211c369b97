// RecordStore: the DHT records one node holds, as primary or replica, with their leases.
//
// Bounded: at most records_max records, values at most value_bytes_max bytes; a put over a
// limit gets a status saying which. Ordered by key (std::map), so range scans for handover
// and replication are deterministic and handle the ring's wrap-around.
//
// Ownership: a record belongs to the owner token it was first stored with; only that token
// may overwrite (with a version at least as new) or remove it, until its lease runs out.
// What this does not stop (authentication is a later issue): the token travels in clear in
// puts, removes and replication, so a node on the path or a replica holder can learn it and
// then overwrite or remove the record; a storage node can also drop records, answer "not
// found", or return a forged value. Leases bound how long a lost or forged record lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "core/messages.h"
#include "core/runtime.h"

namespace chord {

struct StoredRecord {
  std::uint64_t owner = 0;
  std::uint64_t version = 0;
  Time expires;
  std::string value;
  // A tombstone: removed by its owner, kept (without its value) until its lease would have
  // run out, so a put of the same owner still in flight, or a replica's stale copy, cannot
  // bring it back. Another owner may take the key at once.
  bool removed = false;
};

class RecordStore {
 public:
  // Leases longer than this are cut to it: a record cannot outlive its owner by more.
  static constexpr Duration lease_max = std::chrono::hours(24);

  RecordStore(std::size_t records_max, std::size_t value_bytes_max);

  // Stores `record` with its lease counted from `now`. Errors (as DhtStatus):
  // value_too_large, store_full (a new key while full), not_owner (a live record of another
  // owner), stale_version (the same owner, an older version than stored).
  DhtStatus put(const Record& record, Time now);
  // The live record under `key`, or nullptr. The pointer lives until the next change.
  const StoredRecord* get(const NodeId& key, Time now) const;
  // Removes `key` if `owner` owns it, leaving a tombstone that refuses that owner's puts
  // (stale_version) until the lease ends. Errors: not_found, not_owner.
  DhtStatus remove(const NodeId& key, std::uint64_t owner, Time now);
  // Drops every record whose lease has run out; returns how many.
  std::size_t expire(Time now);

  // Calls f(const Record&) for each live record with key in (from, to] (the whole store when
  // from == to), in key order, with the lease left at `now`. f must not change the store.
  template <typename F>
  void for_each_in(const NodeId& from, const NodeId& to, Time now, F&& f) const;
  // Removes the records with key in (from, to]; returns how many.
  std::size_t erase_in(const NodeId& from, const NodeId& to);

  std::size_t size() const { return records_.size(); }  // tombstones included
  bool empty() const { return records_.empty(); }

 private:
  static Record to_wire(const NodeId& key, const StoredRecord& stored, Time now);
  std::size_t records_max_;
  std::size_t value_bytes_max_;
  std::map<NodeId, StoredRecord> records_;
};

template <typename F>
void RecordStore::for_each_in(const NodeId& from, const NodeId& to, Time now, F&& f) const {
  auto visit = [&](auto begin, auto end) {
    for (auto it = begin; it != end; ++it) {
      if (it->second.expires > now && !it->second.removed) f(to_wire(it->first, it->second, now));
    }
  };
  if (from == to) {
    visit(records_.begin(), records_.end());
  } else if (from < to) {
    visit(records_.upper_bound(from), records_.upper_bound(to));
  } else {  // wraps past zero: (from, max] then [0, to]
    visit(records_.upper_bound(from), records_.end());
    visit(records_.begin(), records_.upper_bound(to));
  }
}

}  // namespace chord
