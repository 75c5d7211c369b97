#include "core/record_store.h"

#include <algorithm>

namespace chord {

RecordStore::RecordStore(std::size_t records_max, std::size_t value_bytes_max)
    : records_max_(records_max), value_bytes_max_(value_bytes_max) {
  CHORD_ASSERT(value_bytes_max <= record_value_bytes_max);
}

DhtStatus RecordStore::put(const Record& record, Time now, Kind kind) {
  if (record.value.size() > value_bytes_max_) return DhtStatus::value_too_large;
  const Duration lease = std::min<Duration>(std::chrono::milliseconds(record.lease_ms), lease_max);
  auto it = records_.find(record.key);
  if (it != records_.end() && it->second.expires <= now) {  // expired: as if absent
    records_.erase(it);
    it = records_.end();
  }
  if (it == records_.end()) {
    if (records_.size() >= records_max_) expire(now);  // reclaim expired space first
    if (records_.size() >= records_max_) return DhtStatus::store_full;
    records_.emplace(record.key, StoredRecord{record.owner, record.version, now + lease,
                                              record.value, kind == Kind::tombstone});
    return DhtStatus::ok;
  }
  StoredRecord& stored = it->second;
  if (stored.owner != record.owner) {
    if (!stored.removed) return DhtStatus::not_owner;
    records_.erase(it);  // another owner takes the freed key
    return put(record, now, kind);
  }
  if (record.version < stored.version) return DhtStatus::stale_version;
  if (record.version == stored.version) {
    // A repeated copy (a replica, a retried put) only keeps its lease going; the same
    // version with another value is a forgery or a bug, never an update.
    if (record.value != stored.value || (kind == Kind::tombstone) != stored.removed) {
      return DhtStatus::stale_version;
    }
    stored.expires = std::max(stored.expires, now + lease);
    return DhtStatus::ok;
  }
  stored.version = record.version;
  stored.expires = now + lease;  // a newer version's lease replaces the old one's
  stored.value = record.value;
  stored.removed = kind == Kind::tombstone;
  return DhtStatus::ok;
}

const StoredRecord* RecordStore::get(const NodeId& key, Time now) const {
  const auto it = records_.find(key);
  if (it == records_.end() || it->second.expires <= now || it->second.removed) return nullptr;
  return &it->second;
}

const StoredRecord* RecordStore::find(const NodeId& key, Time now) const {
  const auto it = records_.find(key);
  if (it == records_.end() || it->second.expires <= now) return nullptr;
  return &it->second;
}

std::size_t RecordStore::expire(Time now) {
  return std::erase_if(records_, [&](const auto& entry) { return entry.second.expires <= now; });
}

std::size_t RecordStore::erase_in(const NodeId& from, const NodeId& to) {
  if (from == to) {
    const std::size_t count = records_.size();
    records_.clear();
    return count;
  }
  std::size_t count = 0;
  auto erase_range = [&](auto begin, auto end) {
    for (auto it = begin; it != end;) {
      it = records_.erase(it);
      ++count;
    }
  };
  if (from < to) {
    erase_range(records_.upper_bound(from), records_.upper_bound(to));
  } else {
    erase_range(records_.upper_bound(from), records_.end());
    erase_range(records_.begin(), records_.upper_bound(to));
  }
  return count;
}

Record RecordStore::to_wire(const NodeId& key, const StoredRecord& stored, Time now) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(stored.expires - now);
  return Record{key, stored.owner, stored.version,
                static_cast<std::uint32_t>(std::clamp<std::int64_t>(left.count(), 0, UINT32_MAX)),
                stored.value};
}

}  // namespace chord
