#include "core/record_store.h"

#include <algorithm>

namespace chord {

RecordStore::RecordStore(std::size_t records_max, std::size_t value_bytes_max)
    : records_max_(static_cast<std::uint32_t>(std::min<std::size_t>(records_max, UINT32_MAX))),
      value_bytes_max_(static_cast<std::uint32_t>(value_bytes_max)) {
  CHORD_ASSERT(value_bytes_max <= record_value_bytes_max);
}

const RecordStore::Map& RecordStore::records() const {
  static const Map none;
  return records_ ? *records_ : none;
}

RecordStore::Map& RecordStore::records_to_change() {
  if (!records_) records_ = std::make_unique<Map>();
  return *records_;
}

void RecordStore::drop_if_empty() {
  if (records_ && records_->empty()) records_.reset();
}

DhtStatus RecordStore::put(const Record& record, Time now, Kind kind) {
  if (record.value.size() > value_bytes_max_) return DhtStatus::value_too_large;
  const Duration lease = std::min<Duration>(std::chrono::milliseconds(record.lease_ms), lease_max);
  Map& records = records_to_change();
  auto it = records.find(record.key);
  if (it != records.end() && it->second.expires <= now) {  // expired: as if absent
    records.erase(it);
    it = records.end();
  }
  if (it == records.end()) {
    if (records.size() >= records_max_) expire_in(records, now);  // reclaim expired space
    if (records.size() >= records_max_) {
      drop_if_empty();  // (a store for no records at all)
      return DhtStatus::store_full;
    }
    records.emplace(record.key, StoredRecord{record.owner, record.version, now + lease,
                                             record.value, kind == Kind::tombstone});
    return DhtStatus::ok;
  }
  StoredRecord& stored = it->second;
  if (stored.owner != record.owner) {
    if (!stored.removed) return DhtStatus::not_owner;
    records.erase(it);  // another owner takes the freed key
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
  const auto it = records().find(key);
  if (it == records().end() || it->second.expires <= now || it->second.removed) return nullptr;
  return &it->second;
}

const StoredRecord* RecordStore::find(const NodeId& key, Time now) const {
  const auto it = records().find(key);
  if (it == records().end() || it->second.expires <= now) return nullptr;
  return &it->second;
}

std::size_t RecordStore::expire_in(Map& records, Time now) {
  return std::erase_if(records, [&](const auto& entry) { return entry.second.expires <= now; });
}

std::size_t RecordStore::expire(Time now) {
  if (!records_) return 0;
  const std::size_t count = expire_in(*records_, now);
  drop_if_empty();
  return count;
}

std::size_t RecordStore::erase_in(const NodeId& from, const NodeId& to) {
  if (!records_) return 0;
  Map& records = *records_;
  if (from == to) {
    const std::size_t count = records.size();
    records_.reset();
    return count;
  }
  std::size_t count = 0;
  auto erase_range = [&](auto begin, auto end) {
    for (auto it = begin; it != end;) {
      it = records.erase(it);
      ++count;
    }
  };
  if (from < to) {
    erase_range(records.upper_bound(from), records.upper_bound(to));
  } else {
    erase_range(records.upper_bound(from), records.end());
    erase_range(records.begin(), records.upper_bound(to));
  }
  drop_if_empty();
  return count;
}

Record RecordStore::to_wire(const NodeId& key, const StoredRecord& stored, Time now) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(stored.expires - now);
  return Record{key, stored.owner, stored.version,
                static_cast<std::uint32_t>(std::clamp<std::int64_t>(left.count(), 0, UINT32_MAX)),
                stored.value};
}

}  // namespace chord
