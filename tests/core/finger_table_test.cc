#include "core/finger_table.h"

#include <gtest/gtest.h>

namespace chord {
namespace {

Peer at(unsigned value) {
  NodeId::Bytes bytes{};
  bytes[0] = static_cast<std::uint8_t>(value);
  return {NodeId(bytes), Endpoint::ipv4({10, 0, 0, static_cast<std::uint8_t>(value)}, 1)};
}

std::vector<unsigned> tops(const FingerTable& table) {
  std::vector<unsigned> values;
  for (const Peer& p : table.entries())
    values.push_back(p.id.bytes()[0]);
  return values;
}

// Finger i of node 0 starts at 2^i; with ids in the top byte, index 152 + b starts at 2^b
// (in top-byte units).
constexpr std::size_t top(std::size_t bit) {
  return 152 + bit;
}

TEST(FingerTable, KeepsDistinctFingersSortedByDistance) {
  const NodeId self = at(0).id;
  FingerTable table;
  table.refresh(self, top(7), at(130));
  table.refresh(self, top(6), at(70));
  table.refresh(self, top(5), at(40));
  table.refresh(self, top(4), at(20));
  table.refresh(self, top(3), at(20));  // the same finger for two indices: one entry
  EXPECT_EQ(tops(table), (std::vector<unsigned>{20, 40, 70, 130}));
}

TEST(FingerTable, RefreshDropsEntriesTheAnswerProvesStale) {
  const NodeId self = at(0).id;
  FingerTable table;
  table.refresh(self, top(5), at(40));
  table.refresh(self, top(6), at(70));
  // A node joined at 33: the owner of 32 is now 33, and 40 is no finger of index 5.
  table.refresh(self, top(5), at(33));
  EXPECT_EQ(tops(table), (std::vector<unsigned>{33, 70}));
  // 70 died; the owner of 64 is 90: 70 goes.
  table.refresh(self, top(6), at(90));
  EXPECT_EQ(tops(table), (std::vector<unsigned>{33, 90}));
}

TEST(FingerTable, OwnerEqualToSelfClearsTheFarFingers) {
  const NodeId self = at(0).id;
  FingerTable table;
  table.refresh(self, top(4), at(20));
  table.refresh(self, top(7), at(200));
  table.refresh(self, top(7), at(0));  // nobody at or after 128 but us
  EXPECT_EQ(tops(table), (std::vector<unsigned>{20}));
}

TEST(FingerTable, AssignDeduplicatesAndDropsSelf) {
  const NodeId self = at(10).id;
  FingerTable table;
  const Peer peers[] = {at(50), at(20), at(50), at(10), at(5)};
  table.assign(self, peers);
  EXPECT_EQ(tops(table), (std::vector<unsigned>{20, 50, 5}));  // 5 is 251 steps away
  EXPECT_TRUE(table.remove(at(50).id));
  EXPECT_FALSE(table.remove(at(50).id));
  EXPECT_EQ(tops(table), (std::vector<unsigned>{20, 5}));
}

}  // namespace
}  // namespace chord
