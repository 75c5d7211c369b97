// RecordStore: the DHT records one node holds, as primary or replica, with their leases.
//
// Bounded: at most records_max records, values at most value_bytes_max bytes; a put over a
// limit gets a status saying which. Ordered by key (std::map), so range scans for handover
// and replication are deterministic and handle the ring's wrap-around.
//
// Ownership: a record belongs to the owner token it was first stored with; only that token
// may overwrite it, and only with a higher version (an equal version only with the same
// value: a repeated copy), until its lease runs out. The tokens and versions come from
// signed records (core/user_record.h): PeerNode checks each record's signature before it
// reaches this store, and derives the token from the signing key and the version from the
// signed sequence number, so nothing here trusts a field a peer could forge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/messages.h"
#include "core/runtime.h"

namespace chord {

struct StoredRecord {
  std::uint64_t owner = 0;
  std::uint64_t version = 0;
  Time expires;
  std::string value;
  // A tombstone: removed by its owner with a signed tombstone (its value), kept and copied
  // to replicas until its lease runs out, so a put of the same owner still in flight, or a
  // replica's stale copy, cannot bring the record back: only a higher version can.
  bool removed = false;
};

class RecordStore {
 public:
  // Leases longer than this are cut to it: a record cannot outlive its owner by more.
  static constexpr Duration lease_max = std::chrono::hours(24);

  RecordStore(std::size_t records_max, std::size_t value_bytes_max);

  enum class Kind : std::uint8_t { live, tombstone };
  // Stores `record` (a live record or a tombstone) with its lease counted from `now`.
  // Errors (as DhtStatus): value_too_large, store_full (a new key while full), not_owner (a
  // live record of another owner), stale_version (the same owner, an older version than
  // stored, or the same version with another value).
  DhtStatus put(const Record& record, Time now, Kind kind = Kind::live);
  // The live record under `key`, or nullptr. The pointer lives until the next change.
  const StoredRecord* get(const NodeId& key, Time now) const;
  // The record or tombstone under `key` whose lease has not run out, or nullptr.
  const StoredRecord* find(const NodeId& key, Time now) const;
  // Drops every record whose lease has run out; returns how many.
  std::size_t expire(Time now);

  // Calls f(const Record&, Kind) for each record and tombstone with key in (from, to] (the whole
  // store when from == to), in key order, with the lease left at `now`. f must not change the
  // store.
  template <typename F>
  void for_each_in(const NodeId& from, const NodeId& to, Time now, F&& f) const;
  // Removes the records with key in (from, to]; returns how many.
  std::size_t erase_in(const NodeId& from, const NodeId& to);

  std::size_t size() const { return records().size(); }  // tombstones included
  bool empty() const { return records().empty(); }

 private:
  using Map = std::map<NodeId, StoredRecord>;
  static Record to_wire(const NodeId& key, const StoredRecord& stored, Time now);
  const Map& records() const;
  Map& records_to_change();
  void drop_if_empty();
  // expire() without dropping the map (a caller holds a reference to it).
  static std::size_t expire_in(Map& records, Time now);
  std::uint32_t records_max_;
  std::uint32_t value_bytes_max_;
  // Made for the first record and dropped with the last: most simulated nodes hold none,
  // and an empty map is 48 bytes a node.
  std::unique_ptr<Map> records_;
};

template <typename F>
void RecordStore::for_each_in(const NodeId& from, const NodeId& to, Time now, F&& f) const {
  const Map& records = this->records();
  auto visit = [&](auto begin, auto end) {
    for (auto it = begin; it != end; ++it) {
      if (it->second.expires > now) {
        f(to_wire(it->first, it->second, now), it->second.removed ? Kind::tombstone : Kind::live);
      }
    }
  };
  if (from == to) {
    visit(records.begin(), records.end());
  } else if (from < to) {
    visit(records.upper_bound(from), records.upper_bound(to));
  } else {  // wraps past zero: (from, max] then [0, to]
    visit(records.upper_bound(from), records.end());
    visit(records.begin(), records.upper_bound(to));
  }
}

}  // namespace chord
