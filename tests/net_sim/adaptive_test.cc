// Adaptive maintenance (ChordConfig::quiet_backoff_max, chordnode's setting): a quiet ring
// backs its stabilize, fix_fingers and ping periods off, and a disturbed one repairs as
// fast as a ring with fixed periods.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/net_sim/sim_test_util.h"

namespace chord::sim {
namespace {

using namespace testing;

constexpr std::uint32_t chordnode_backoff = 8;

SimConfig adaptive_config(std::uint64_t seed, std::uint32_t backoff) {
  SimConfig config = uniform_latency_config(seed, 1ms, 5ms);
  config.chord.quiet_backoff_max = backoff;
  return config;
}

std::size_t node_count() {
  return small_scale() ? 100 : 300;
}

// Messages a node sends per second in a quiet ring (no lookups, no records).
double quiet_messages_per_node_second(std::uint32_t backoff) {
  Simulator sim(adaptive_config(31, backoff));
  const auto nodes = ideal_ring(sim, node_count());
  sim.run_for(120s);  // time to back off fully
  const std::uint64_t before = sim.counters().messages_sent;
  sim.run_for(120s);
  EXPECT_TRUE(sim.health().ideal());
  return static_cast<double>(sim.counters().messages_sent - before) /
         static_cast<double>(nodes.size()) / 120.0;
}

TEST(SimAdaptive, AQuietRingSendsAFractionOfTheMaintenanceTraffic) {
  const double fixed = quiet_messages_per_node_second(1);
  const double adaptive = quiet_messages_per_node_second(chordnode_backoff);
  std::printf(
      "[ adaptive ] quiet ring: %.2f messages per node per second with fixed periods, "
      "%.2f backed off to %ux\n",
      fixed, adaptive, chordnode_backoff);
  EXPECT_LT(adaptive, fixed / 4) << "the periods back off in a quiet ring";
}

// Time until the oracle sees the ideal ring again after `disturb`, from a quiet ring.
template <typename Disturb>
Duration repair_time(std::uint32_t backoff, Disturb disturb) {
  Simulator sim(adaptive_config(32, backoff));
  SimRandom random(32);
  auto nodes = ideal_ring(sim, node_count());
  sim.run_for(120s);
  disturb(sim, nodes, random);
  const Time start = sim.now();
  const auto ideal = sim.run_until_true([&] { return sim.health().ideal(); }, 100ms, 300s);
  EXPECT_TRUE(ideal.has_value()) << "not ideal 300 s after the disturbance";
  // And lookups are answered correctly once it is.
  LookupTally tally;
  tally.attach(sim);
  std::vector<NodeIndex> live;
  for (NodeIndex node : nodes)
    if (sim.peer(node) != nullptr) live.push_back(node);
  random_lookups(sim, live, 200, 10ms, random);
  sim.run_for(10s);
  EXPECT_EQ(tally.correct, 200u) << tally.describe();
  return ideal ? *ideal - start : Duration::max();
}

void crash_a_tenth(Simulator& sim, std::vector<NodeIndex>& nodes, SimRandom& random) {
  for (NodeIndex node : shuffled(nodes, random)) {
    if (sim.peer(node) == nullptr) continue;
    sim.crash(node);
    if (sim.health().members <= nodes.size() * 9 / 10) break;
  }
}

void join_twenty(Simulator& sim, std::vector<NodeIndex>& nodes, SimRandom& random) {
  const std::size_t old = nodes.size();
  for (int i = 0; i < 20; ++i) {
    const NodeIndex node = sim.add_node();
    const NodeIndex via[] = {nodes[random.uniform(old)]};
    sim.join(node, via);
    nodes.push_back(node);
    sim.run_for(100ms);
  }
}

// A silent crash is found at the next round, up to one backed-off period (8 s, +25% jitter)
// later; from then on the ring repairs at the base periods. (The simulator has no
// connections: a real node learns of a crashed process at once, when TCP says so.)
TEST(SimAdaptive, ABackedOffRingRepairsACrashOfATenthWithinOnePeriodOfAFixedOne) {
  const Duration fixed = repair_time(1, crash_a_tenth);
  const Duration adaptive = repair_time(chordnode_backoff, crash_a_tenth);
  std::printf(
      "[ adaptive ] 10%% crash: ideal again after %.1f s (fixed periods), %.1f s "
      "(backed off)\n",
      std::chrono::duration<double>(fixed).count(),
      std::chrono::duration<double>(adaptive).count());
  const Duration longest_period = 8s * 5 / 4;
  EXPECT_LT(adaptive, fixed + longest_period + 2s);
}

TEST(SimAdaptive, ABackedOffRingTakesInJoinersAsFastAsAFixedOne) {
  const Duration fixed = repair_time(1, join_twenty);
  const Duration adaptive = repair_time(chordnode_backoff, join_twenty);
  std::printf(
      "[ adaptive ] 20 joins: ideal again after %.1f s (fixed periods), %.1f s "
      "(backed off)\n",
      std::chrono::duration<double>(fixed).count(),
      std::chrono::duration<double>(adaptive).count());
  EXPECT_LT(adaptive, fixed * 2 + 5s);
}

// Nodes of a backed-off ring whose fingers are wrong: a finger table differs from the set of
// distinct owners of n + 2^i that the oracle computes.
std::size_t nodes_with_wrong_fingers(Simulator& sim, const std::vector<NodeIndex>& nodes) {
  const Oracle& oracle = sim.oracle();
  std::size_t wrong = 0;
  for (NodeIndex node : nodes) {
    const PeerNode* peer = sim.peer(node);
    if (peer == nullptr) continue;
    const NodeId& self = peer->chord().self().id;
    std::vector<NodeId> expected;
    for (std::size_t bit = 0; bit < id_bits; ++bit) {
      const NodeId& owner = oracle.owner_of(self.plus_power_of_two(bit)).first;
      if (owner != self && std::find(expected.begin(), expected.end(), owner) == expected.end())
        expected.push_back(owner);
    }
    std::vector<NodeId> actual;
    for (const Peer& finger : peer->chord().fingers())
      actual.push_back(finger.id);
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
    if (expected != actual) ++wrong;
  }
  return wrong;
}

// Backed off, stabilize, ping and fix_fingers share one wakeup: the fingers of nodes far from
// a change are still brought up to date (they used to be left alone until a disturbance).
TEST(SimAdaptive, ABackedOffRingStillFixesTheFingersOfNodesFarFromAChange) {
  Simulator sim(adaptive_config(33, chordnode_backoff));
  SimRandom random(33);
  auto nodes = ideal_ring(sim, 100);
  sim.run_for(120s);
  ASSERT_EQ(nodes_with_wrong_fingers(sim, nodes), 0u);
  join_twenty(sim, nodes, random);
  const std::size_t right_after = nodes_with_wrong_fingers(sim, nodes);
  EXPECT_GT(right_after, 30u) << "the joiners should make many distant fingers stale";
  // A round is a few remote finger lookups (the rest come from the successor list), one per
  // backed-off period of at most 8 s.
  sim.run_for(240s);
  EXPECT_TRUE(sim.health().ideal());
  EXPECT_EQ(nodes_with_wrong_fingers(sim, nodes), 0u) << right_after << " wrong at first";
}

// What economical maintenance leaves out in a quiet ring: Notify to a successor that already
// names us, and Ping to a predecessor whose stabilize we just answered.
TEST(SimAdaptive, AQuietEconomicalRingSendsNoNotifyAndNoPing) {
  Simulator sim(adaptive_config(34, chordnode_backoff));
  const auto nodes = ideal_ring(sim, 100);
  sim.run_for(120s);
  const auto before = sim.counters().messages_by_type;
  sim.run_for(120s);
  const auto after = sim.counters().messages_by_type;
  auto sent = [&](std::size_t type) { return after[type] - before[type]; };
  EXPECT_EQ(sent(variant_index<Message, Notify>()), 0u);
  EXPECT_EQ(sent(variant_index<Message, Ping>()), 0u);
  EXPECT_GT(sent(variant_index<Message, GetStateRequest>()), nodes.size() * 10)
      << "stabilize goes on, every 8 s or so";
  EXPECT_TRUE(sim.health().ideal());
}

// The predecessor's failure is still found without pings: its own predecessor's stabilize
// times out, adopts the next node and notifies it, and that node's rectify pings the dead one.
TEST(SimAdaptive, AnEconomicalRingReplacesACrashedPredecessor) {
  Simulator sim(adaptive_config(35, chordnode_backoff));
  const auto nodes = ideal_ring(sim, 50);
  sim.run_for(120s);
  sim.crash(nodes[7]);
  const auto ideal = sim.run_until_true([&] { return sim.health().ideal(); }, 100ms, 60s);
  ASSERT_TRUE(ideal.has_value()) << "not ideal 60 s after one crash";
}

TEST(SimAdaptive, ValidateRefusesAnOutOfRangeFactor) {
  ChordConfig config;
  config.quiet_backoff_max = 0;
  EXPECT_NE(validate(config), nullptr);
  config.quiet_backoff_max = 65;
  EXPECT_NE(validate(config), nullptr);
  config.quiet_backoff_max = 64;
  EXPECT_EQ(validate(config), nullptr);
}

}  // namespace
}  // namespace chord::sim
