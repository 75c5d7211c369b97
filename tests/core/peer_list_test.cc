// PeerList keeps peers in 28 bytes and must give back exactly what it was given, IPv6
// included, through every way the list is changed.
#include "core/peer_list.h"

#include <gtest/gtest.h>

#include <vector>

namespace chord {
namespace {

Peer v4(unsigned value) {
  return {NodeId::from_u64(value), Endpoint::ipv4({10, 1, 2, static_cast<std::uint8_t>(value)},
                                                  static_cast<std::uint16_t>(4000 + value))};
}

Peer v6(unsigned value) {
  std::array<std::uint8_t, 16> address{0x20, 0x01, 0x0d, 0xb8};
  address[15] = static_cast<std::uint8_t>(value);
  address[7] = static_cast<std::uint8_t>(value * 3);
  return {NodeId::from_u64(value), Endpoint::ipv6(address, static_cast<std::uint16_t>(value))};
}

TEST(PeerList, GivesBackIpv4Ipv6AndUnsetEndpointsExactly) {
  Peer odd = v4(3);
  odd.endpoint.address[9] = 7;  // not made by Endpoint::ipv4, kept exact all the same
  Peer odd_unset{NodeId::from_u64(8), Endpoint{}};
  odd_unset.endpoint.address[12] = 1;
  const std::vector<Peer> peers{v4(1), v6(2), Peer{NodeId::from_u64(9), Endpoint{}},
                                odd,   v6(4), odd_unset};
  PeerList list;
  for (const Peer& peer : peers)
    list.push_back(peer);
  ASSERT_EQ(list.size(), peers.size());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    EXPECT_EQ(list[i], peers[i]) << i;
    EXPECT_EQ(list.id(i), peers[i].id);
  }
  EXPECT_EQ(list.to_vector(), peers);
  EXPECT_EQ(list.front(), peers.front());
  EXPECT_EQ(list.back(), peers.back());
}

TEST(PeerList, InsertEraseSetAndCopiesKeepEveryEndpoint) {
  PeerList list;
  list.push_back(v6(1));
  list.push_back(v4(2));
  list.insert(1, v6(3));  // v6(1), v6(3), v4(2)
  list.insert(0, v4(4));  // v4(4), v6(1), v6(3), v4(2)
  list.erase(1);          // v4(4), v6(3), v4(2)
  list.set(2, v6(5));     // v4(4), v6(3), v6(5)
  EXPECT_EQ(list.to_vector(), (std::vector<Peer>{v4(4), v6(3), v6(5)}));
  const PeerList copy = list;
  list.set(1, v4(6));
  EXPECT_EQ(copy.to_vector(), (std::vector<Peer>{v4(4), v6(3), v6(5)}));
  EXPECT_EQ(list.to_vector(), (std::vector<Peer>{v4(4), v4(6), v6(5)}));
  EXPECT_FALSE(copy == list);
  EXPECT_EQ(list.erase_if_id([](const NodeId& id) { return id == NodeId::from_u64(4); }), 1u);
  EXPECT_EQ(list.to_vector(), (std::vector<Peer>{v4(6), v6(5)}));
  EXPECT_EQ(list.find(NodeId::from_u64(5)), 1u);
  EXPECT_EQ(list.find(NodeId::from_u64(4)), list.size());
}

TEST(PeerList, SortUniqueAndEraseFirst) {
  PeerList list;
  list.assign(std::vector<Peer>{v6(5), v4(1), v6(3), v4(1), v4(4), v6(2)});
  list.sort_unique_by_id([](const NodeId& a, const NodeId& b) { return a < b; });
  EXPECT_EQ(list.to_vector(), (std::vector<Peer>{v4(1), v6(2), v6(3), v4(4), v6(5)}));
  list.erase_first(2);
  EXPECT_EQ(list.to_vector(), (std::vector<Peer>{v6(3), v4(4), v6(5)}));
  list.assign_one(v6(7));
  EXPECT_EQ(list.to_vector(), (std::vector<Peer>{v6(7)}));
  list.clear();
  EXPECT_TRUE(list.empty());
}

// A list whose IPv6 peers keep changing (a finger table on an IPv6 LAN under churn) must
// not keep every address it ever held: its memory stays bounded, and it stays exact.
TEST(PeerList, ReplacingIpv6PeersForeverKeepsTheListExact) {
  PeerList list;
  for (unsigned i = 0; i < 4; ++i)
    list.push_back(v6(i));
  for (unsigned round = 0; round < 10'000; ++round) {
    const unsigned value = 4 + round;
    list.set(round % 4, v6(value % 250));
    list.insert(0, v6((value + 1) % 250));
    list.erase(list.size() - 1);
    ASSERT_LE(list.side_table_size(), 2 * list.size() + 4 + 1) << round;
  }
  ASSERT_EQ(list.size(), 4u);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Peer peer = list[i];
    const auto value = static_cast<unsigned>(peer.id.low());
    EXPECT_EQ(peer, v6(value)) << i;
  }
}

}  // namespace
}  // namespace chord
