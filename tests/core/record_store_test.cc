#include "core/record_store.h"

#include <gtest/gtest.h>

namespace chord {
namespace {

using namespace std::chrono_literals;

NodeId key(unsigned value) {
  NodeId::Bytes bytes{};
  bytes[0] = static_cast<std::uint8_t>(value);
  return NodeId(bytes);
}

Record record(unsigned k, std::uint64_t owner, std::uint64_t version, std::uint32_t lease_ms,
              std::string value = "10.0.0.1:4000") {
  return {key(k), owner, version, lease_ms, std::move(value)};
}

const Time t0{std::chrono::seconds(1000)};

TEST(RecordStore, PutThenGetUntilTheLeaseRunsOut) {
  RecordStore store(10, 64);
  EXPECT_EQ(store.put(record(5, 1, 1, 60000, "a"), t0), DhtStatus::ok);
  const StoredRecord* stored = store.get(key(5), t0 + 59s);
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->value, "a");
  EXPECT_EQ(store.get(key(5), t0 + 60s), nullptr);  // expired exactly at the lease's end
  EXPECT_EQ(store.get(key(6), t0), nullptr);
  EXPECT_EQ(store.expire(t0 + 60s), 1u);
  EXPECT_TRUE(store.empty());
}

TEST(RecordStore, OnlyTheOwnerOverwritesAndOnlyWithANewerOrEqualVersion) {
  RecordStore store(10, 64);
  ASSERT_EQ(store.put(record(5, 1, 3, 60000, "a"), t0), DhtStatus::ok);
  EXPECT_EQ(store.put(record(5, 2, 9, 60000, "evil"), t0), DhtStatus::not_owner);
  EXPECT_EQ(store.put(record(5, 1, 2, 60000, "old"), t0), DhtStatus::stale_version);
  EXPECT_EQ(store.get(key(5), t0)->value, "a");
  EXPECT_EQ(store.put(record(5, 1, 3, 60000, "b"), t0), DhtStatus::stale_version);
  EXPECT_EQ(store.put(record(5, 1, 3, 120000, "a"), t0 + 30s), DhtStatus::ok);  // a copy
  EXPECT_NE(store.get(key(5), t0 + 149s), nullptr);
  // Once the owner's lease has run out, the key is free for another owner.
  EXPECT_EQ(store.put(record(5, 2, 1, 60000, "b"), t0 + 151s), DhtStatus::ok);
  EXPECT_EQ(store.get(key(5), t0 + 151s)->owner, 2u);
}

TEST(RecordStore, OnlyTheOwnerPutsATombstoneAndOnlyWithANewerVersion) {
  RecordStore store(10, 64);
  ASSERT_EQ(store.put(record(5, 1, 1, 60000, "a"), t0), DhtStatus::ok);
  EXPECT_EQ(store.put(record(5, 2, 9, 60000, "t"), t0, RecordStore::Kind::tombstone),
            DhtStatus::not_owner);
  EXPECT_EQ(store.put(record(5, 1, 1, 60000, "t"), t0, RecordStore::Kind::tombstone),
            DhtStatus::stale_version)
      << "the same version with another value is never an update";
  EXPECT_NE(store.get(key(5), t0), nullptr);
  EXPECT_EQ(store.put(record(5, 1, 2, 60000, "t"), t0, RecordStore::Kind::tombstone),
            DhtStatus::ok);
  EXPECT_EQ(store.get(key(5), t0), nullptr);
  const StoredRecord* tombstone = store.find(key(5), t0);
  ASSERT_NE(tombstone, nullptr);
  EXPECT_TRUE(tombstone->removed);
  EXPECT_EQ(tombstone->value, "t");  // kept: it is copied to replicas like a record
}

// A put of the owner that was in flight when it removed the record (a renewal), or a stale
// replica's copy, arrives after the removal: it must not bring the record back. A newer
// version (a later session with the same key) may.
TEST(RecordStore, ATombstoneRefusesOlderPutsAndIsHandedOnUntilItsLeaseEnds) {
  RecordStore store(10, 64);
  ASSERT_EQ(store.put(record(5, 1, 1, 60000, "a"), t0), DhtStatus::ok);
  ASSERT_EQ(store.put(record(5, 1, 2, 60000, "t"), t0 + 1s, RecordStore::Kind::tombstone),
            DhtStatus::ok);
  EXPECT_EQ(store.put(record(5, 1, 1, 60000, "a"), t0 + 1s), DhtStatus::stale_version);
  EXPECT_EQ(store.get(key(5), t0 + 2s), nullptr);
  std::vector<RecordStore::Kind> visited;
  store.for_each_in(key(0), key(0), t0 + 2s,
                    [&](const Record&, RecordStore::Kind kind) { visited.push_back(kind); });
  EXPECT_EQ(visited, std::vector<RecordStore::Kind>{RecordStore::Kind::tombstone});
  // A repeated copy of the tombstone is fine.
  EXPECT_EQ(store.put(record(5, 1, 2, 60000, "t"), t0 + 2s, RecordStore::Kind::tombstone),
            DhtStatus::ok);
  EXPECT_EQ(store.put(record(5, 1, 3, 60000, "b"), t0 + 3s), DhtStatus::ok);
  EXPECT_EQ(store.get(key(5), t0 + 3s)->value, "b");
  // A tombstone goes when its lease ends.
  ASSERT_EQ(store.put(record(6, 1, 1, 60000, "c"), t0), DhtStatus::ok);
  ASSERT_EQ(store.put(record(6, 1, 2, 30000, "t"), t0, RecordStore::Kind::tombstone),
            DhtStatus::ok);
  EXPECT_EQ(store.expire(t0 + 31s), 1u);
  EXPECT_EQ(store.find(key(6), t0 + 31s), nullptr);
}

TEST(RecordStore, LimitsGiveAClearStatus) {
  RecordStore store(2, 8);
  EXPECT_EQ(store.put(record(1, 1, 1, 1000, "123456789"), t0), DhtStatus::value_too_large);
  ASSERT_EQ(store.put(record(1, 1, 1, 1000), t0), DhtStatus::value_too_large);  // 13 bytes
  ASSERT_EQ(store.put(record(1, 1, 1, 1000, "x"), t0), DhtStatus::ok);
  ASSERT_EQ(store.put(record(2, 1, 1, 1000, "y"), t0), DhtStatus::ok);
  EXPECT_EQ(store.put(record(3, 1, 1, 1000, "z"), t0), DhtStatus::store_full);
  EXPECT_EQ(store.put(record(2, 1, 2, 1000, "y2"), t0), DhtStatus::ok);  // updates still fit
  EXPECT_EQ(store.put(record(3, 1, 1, 1000, "z"), t0 + 2s),
            DhtStatus::ok);  // space freed by expiry
}

TEST(RecordStore, LeasesAreCappedSoNoRecordOutlivesItsOwnerForLong) {
  RecordStore store(10, 64);
  ASSERT_EQ(store.put(record(5, 1, 1, UINT32_MAX), t0), DhtStatus::ok);
  EXPECT_NE(store.get(key(5), t0 + RecordStore::lease_max - 1s), nullptr);
  EXPECT_EQ(store.get(key(5), t0 + RecordStore::lease_max), nullptr);
}

std::vector<unsigned> keys_in(const RecordStore& store, unsigned from, unsigned to) {
  std::vector<unsigned> keys;
  store.for_each_in(key(from), key(to), t0,
                    [&](const Record& r, RecordStore::Kind) { keys.push_back(r.key.bytes()[0]); });
  return keys;
}

TEST(RecordStore, RangesAreHalfOpenAndWrapAroundTheRing) {
  RecordStore store(100, 64);
  for (unsigned k : {10u, 20u, 30u, 200u, 250u}) {
    ASSERT_EQ(store.put(record(k, 1, 1, 60000), t0), DhtStatus::ok);
  }
  EXPECT_EQ(keys_in(store, 10, 30), (std::vector<unsigned>{20, 30}));    // (10, 30]
  EXPECT_EQ(keys_in(store, 240, 15), (std::vector<unsigned>{250, 10}));  // wraps past zero
  EXPECT_EQ(keys_in(store, 30, 30).size(), 5u);                          // (a, a] is the whole ring
  Record seen;
  store.for_each_in(key(199), key(200), t0 + 10s,
                    [&](const Record& r, RecordStore::Kind) { seen = r; });
  EXPECT_EQ(seen.lease_ms, 50000u);  // the lease left, not the lease given
  EXPECT_EQ(store.erase_in(key(240), key(15)), 2u);
  EXPECT_EQ(keys_in(store, 0, 0), (std::vector<unsigned>{20, 30, 200}));
}

}  // namespace
}  // namespace chord
