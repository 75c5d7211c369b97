// The simulator's in-flight message pool: what goes in comes out, with its header, and a
// slot costs what its message type weighs.
#include "net_sim/flight_pool.h"

#include <gtest/gtest.h>

namespace chord::sim {
namespace {

Peer peer(std::uint8_t n) {
  NodeId::Bytes bytes{};
  bytes[0] = n;
  return Peer{NodeId(bytes), Endpoint::ipv4({10, 0, 0, n}, 4000)};
}

TEST(FlightPool, GivesBackEachMessageWithItsHeader) {
  FlightPool pool;
  GetStateReply state{7, StateStatus::ok, peer(1), {}};
  state.successors.push_back(peer(2));
  state.successors.push_back(peer(3));
  const Message sent_state = state;
  const Message sent_ping = Ping{9};
  const Message sent_text = ChatText{4, 5, "hello"};
  const auto state_slot = pool.put({1}, Message(sent_state));
  const auto ping_slot = pool.put({3}, Message(sent_ping));
  const auto text_slot = pool.put({5}, Message(sent_text));

  // Out of order, as deliveries with different latencies are.
  const auto text = pool.take(sent_text.index(), text_slot);
  EXPECT_EQ(text.message, sent_text);
  EXPECT_EQ(text.header.from_node, 5u);
  const auto state_taken = pool.take(sent_state.index(), state_slot);
  EXPECT_EQ(state_taken.message, sent_state);
  EXPECT_EQ(state_taken.header.from_node, 1u);
  const auto ping = pool.take(sent_ping.index(), ping_slot);
  EXPECT_EQ(ping.message, sent_ping);
  EXPECT_EQ(ping.header.from_node, 3u);
}

TEST(FlightPool, ReusesFreedSlotsSoItGrowsToThePeakInFlightOnly) {
  FlightPool pool;
  for (int round = 0; round < 100; ++round) {
    const auto a = pool.put({0}, Ping{1});
    const auto b = pool.put({0}, Pong{2});
    const auto c = pool.put({0}, Ping{3});
    EXPECT_EQ(pool.take(Message(Ping{}).index(), a).message, Message(Ping{1}));
    EXPECT_EQ(pool.take(Message(Pong{}).index(), b).message, Message(Pong{2}));
    EXPECT_EQ(pool.take(Message(Ping{}).index(), c).message, Message(Ping{3}));
  }
  EXPECT_EQ(pool.slots_held(), 3u);  // two Ping slots and one Pong slot, ever
}

TEST(FlightPool, ASmallMessageInFlightCostsFarLessThanTheVariant) {
  FlightPool pings;
  FlightPool states;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    (void)pings.put({0}, Ping{i});
    (void)states.put({0}, GetStateReply{i, StateStatus::ok, std::nullopt, {}});
  }
  EXPECT_LT(pings.bytes_held(), 1000 * (sizeof(Ping) + 8) * 2 + 8192);
  EXPECT_GT(states.bytes_held(), 1000 * sizeof(GetStateReply));
  EXPECT_LT(pings.bytes_held() * 20, states.bytes_held());
}

}  // namespace
}  // namespace chord::sim
