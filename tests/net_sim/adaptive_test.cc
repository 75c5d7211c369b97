// Adaptive maintenance (ChordConfig::quiet_backoff_max, chordnode's setting): a quiet ring
// backs its stabilize, fix_fingers and ping periods off, and a disturbed one repairs as
// fast as a ring with fixed periods.
#include <gtest/gtest.h>

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

TEST(SimAdaptive, ABackedOffRingRepairsACrashOfATenthAsFastAsAFixedOne) {
  const Duration fixed = repair_time(1, crash_a_tenth);
  const Duration adaptive = repair_time(chordnode_backoff, crash_a_tenth);
  std::printf(
      "[ adaptive ] 10%% crash: ideal again after %.1f s (fixed periods), %.1f s "
      "(backed off)\n",
      std::chrono::duration<double>(fixed).count(),
      std::chrono::duration<double>(adaptive).count());
  EXPECT_LT(adaptive, fixed * 2 + 5s);
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
