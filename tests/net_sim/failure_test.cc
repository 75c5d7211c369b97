// Mass failure (ToN Table II setting: 1,000 nodes, r = 20) and graceful departures.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/net_sim/sim_test_util.h"

namespace chord::sim {
namespace {

using namespace testing;

SimConfig failure_config(std::uint64_t seed) {
  SimConfig config = uniform_latency_config(seed, 10ms, 90ms);
  config.chord.successor_list_length = 20;
  // Mean 50 ms as in ToN §V-A, but uniform in [10, 90] ms rather than exponential: with an
  // exponential delay a live node's round trip exceeds the 500 ms RPC timeout with
  // probability 5e-4, so a few lookups per thousand would skip a live owner; this test is
  // about failures, not about a failure detector fooled by the latency tail.
  return config;
}

std::vector<NodeIndex> ideal_ring(Simulator& sim, std::size_t count) {
  std::vector<NodeIndex> nodes;
  for (std::size_t i = 0; i < count; ++i)
    nodes.push_back(sim.add_node());
  sim.build_ideal_ring(nodes);
  return nodes;
}

// Crashes a fraction of `nodes` at once, chosen by `random`; returns the survivors.
std::vector<NodeIndex> crash_fraction(Simulator& sim, const std::vector<NodeIndex>& nodes,
                                      double fraction, SimRandom& random) {
  const std::vector<NodeIndex> order = shuffled(nodes, random);
  const auto crashed = static_cast<std::size_t>(fraction * static_cast<double>(nodes.size()));
  for (std::size_t i = 0; i < crashed; ++i)
    sim.crash(order[i]);
  return {order.begin() + static_cast<std::ptrdiff_t>(crashed), order.end()};
}

TEST(SimMassFailure, RingRecoversFullyAndEveryLookupIsRightAfterwards) {
  const std::size_t nodes_count = small_scale() ? 300 : 1000;
  for (double p : {0.1, 0.25, 0.5}) {
    const std::uint64_t seed = 300 + static_cast<std::uint64_t>(p * 100);
    SCOPED_TRACE(replay_hint(seed));
    Simulator sim(failure_config(seed));
    SimRandom random(seed);
    const auto nodes = ideal_ring(sim, nodes_count);
    sim.run_for(5s);
    ASSERT_TRUE(sim.health().ideal());
    const Time crash_time = sim.now();
    const auto survivors = crash_fraction(sim, nodes, p, random);
    const auto recovered_at = sim.run_until_true(
        [&] {
          const RingHealth h = sim.health();
          return h.members == survivors.size() && h.ideal();
        },
        500ms, 300s);
    ASSERT_TRUE(recovered_at.has_value()) << "p=" << p << ": ring not ideal within 300 s";
    const RingHealth health = sim.health();
    EXPECT_TRUE(health.zave_invariants_hold());
    LookupTally tally;
    tally.attach(sim);
    random_lookups(sim, survivors, 2000, 5ms, random);
    sim.run_for(10s);
    EXPECT_EQ(tally.done, 2000u);
    EXPECT_EQ(tally.correct, 2000u) << "p=" << p << ": " << tally.describe();
    std::printf(
        "[ mass failure ] N=%zu r=20 p=%.2f: ring ideal %.1f s after the crash; "
        "then %lu/%lu lookups right, mean %.2f hops\n",
        nodes_count, p, std::chrono::duration<double>(*recovered_at - crash_time).count(),
        tally.correct, tally.done, tally.mean_hops());
  }
}

// ToN Table II: stabilization stopped just before the failures and dead fingers kept; lookups
// must still resolve by routing around the dead. Reports mean timeouts beside the paper's.
TEST(SimMassFailure, WithStabilizationPausedLookupsRouteAroundTheDead) {
  const std::size_t nodes_count = small_scale() ? 300 : 1000;
  constexpr double paper_timeouts[] = {0, 0.60, 1.17, 2.02, 3.23, 5.10};
  constexpr double paper_path[] = {3.84, 4.03, 4.22, 4.44, 4.69, 5.09};
  for (int tenth : {1, 2, 3, 4, 5}) {
    const double p = tenth / 10.0;
    const std::uint64_t seed = 400 + static_cast<std::uint64_t>(tenth);
    SCOPED_TRACE(replay_hint(seed));
    SimConfig config = failure_config(seed);
    config.chord.lookup_timeout = 120s;  // ToN's lookups had no deadline
    Simulator sim(config);
    SimRandom random(seed);
    const auto nodes = ideal_ring(sim, nodes_count);
    sim.run_for(5s);
    sim.set_maintenance_paused(true);
    const auto survivors = crash_fraction(sim, nodes, p, random);
    LookupTally tally;
    tally.attach(sim);
    const std::size_t lookups = small_scale() ? 1000 : 10000;
    random_lookups(sim, survivors, lookups, 2ms, random);
    sim.run_for(30s);
    EXPECT_EQ(tally.done, lookups);
    EXPECT_EQ(tally.correct, lookups) << "p=" << p << ": " << tally.describe();
    EXPECT_GT(tally.mean_timeouts(), 0.0);
    std::printf(
        "[ paused ] N=%zu r=20 p=%.1f: %lu/%lu right, mean %.2f hops (%.2f counting the "
        "owner; ToN %.2f), mean timeouts %.2f (ToN %.2f)\n",
        nodes_count, p, tally.correct, tally.done, tally.mean_hops(), tally.mean_hops() + 1,
        paper_path[tenth], tally.mean_timeouts(), paper_timeouts[tenth]);
  }
}

TEST(SimGracefulLeave, HalfTheNodesLeavingKeepsTheRingCorrect) {
  const std::uint64_t seed = 500;
  SCOPED_TRACE(replay_hint(seed));
  SimConfig config = failure_config(seed);
  config.chord.successor_list_length = 8;
  Simulator sim(config);
  SimRandom random(seed);
  const auto nodes = ideal_ring(sim, small_scale() ? 200 : 500);
  sim.run_for(5s);
  LookupTally tally;
  tally.attach(sim);
  const std::vector<NodeIndex> order = shuffled(nodes, random);
  const std::size_t leaving = order.size() / 2;
  // One departure every 100 ms, lookups throughout: none may be wrong or fail.
  const std::vector<NodeIndex> staying(order.begin() + static_cast<std::ptrdiff_t>(leaving),
                                       order.end());
  std::size_t invariant_breaks = 0;
  for (std::size_t i = 0; i < leaving; ++i) {
    sim.leave(order[i]);
    random_lookups(sim, staying, 4, 25ms, random);
    if (!sim.health().zave_invariants_hold()) ++invariant_breaks;  // sampled every departure
  }
  EXPECT_EQ(invariant_breaks, 0u);
  const Time last_departure = sim.now();
  const auto recovered = sim.run_until_true(
      [&] { return sim.health().members == staying.size() && sim.health().ideal(); }, 500ms, 60s);
  ASSERT_TRUE(recovered.has_value());
  EXPECT_TRUE(sim.health().zave_invariants_hold());
  EXPECT_EQ(tally.wrong, 0u) << tally.describe();
  EXPECT_EQ(tally.failed, 0u) << tally.describe();
  EXPECT_EQ(tally.correct + tally.raced, leaving * 4) << tally.describe();
  EXPECT_LE(tally.raced, 5u) << tally.describe();
  std::printf(
      "[ leave ] %zu of %zu nodes left gracefully; during it %s; ring ideal %.1f s "
      "after the last departure\n",
      leaving, nodes.size(), tally.describe().c_str(),
      std::chrono::duration<double>(*recovered - last_departure).count());
}

}  // namespace
}  // namespace chord::sim

namespace chord::sim {
namespace {

// The simulator updates its oracle node by node as nodes join, crash, leave and come back.
// At every step it must hold exactly what a rebuild from every node's state holds.
TEST(SimOracle, NodeByNodeUpdatesMatchAFullRebuildThroughJoinsCrashesAndLeaves) {
  using namespace std::chrono_literals;
  Simulator sim(testing::uniform_latency_config(31, 5ms, 50ms));
  SimRandom random(32);
  std::vector<NodeIndex> nodes = testing::join_one_by_one(sim, 60, 50ms, random);
  auto expect_same_as_rebuild = [&](const char* step) {
    Oracle fresh;
    fresh.rebuild(sim.node_table());
    // Owners and membership first, while changes may still wait in the oracle's small
    // lists (members() merges them).
    const Oracle& oracle = sim.oracle();
    ASSERT_EQ(oracle.size(), fresh.members().size()) << step;
    if (oracle.size() > 0) {
      for (int k = 0; k < 200; ++k) {
        const NodeId key = NodeId::from_words(random.next(), random.next(),
                                              static_cast<std::uint32_t>(random.next()));
        ASSERT_EQ(oracle.owner_of(key), fresh.owner_of(key)) << step << ", key " << k;
      }
      for (NodeIndex node : nodes) {
        ASSERT_EQ(oracle.is_live_member(sim.id_of(node)), fresh.is_live_member(sim.id_of(node)))
            << step << ", node " << node;
        ASSERT_EQ(oracle.owner_of(sim.id_of(node)), fresh.owner_of(sim.id_of(node))) << step;
      }
    }
    const auto kept = sim.oracle().members();
    const auto rebuilt = fresh.members();
    ASSERT_EQ(kept.size(), rebuilt.size()) << step;
    EXPECT_TRUE(std::equal(kept.begin(), kept.end(), rebuilt.begin())) << step;
  };
  expect_same_as_rebuild("after the joins");
  std::size_t members_seen = 0;
  for (int round = 0; round < 40; ++round) {
    const NodeIndex node = nodes[random.uniform(nodes.size())];
    switch (random.uniform(4)) {
      case 0:
        sim.crash(node);
        break;
      case 1:
        sim.leave(node);
        break;
      case 2:  // back, and joining through a random running node
        if (!sim.is_running(node)) {
          sim.restart(node);
          for (NodeIndex other : nodes) {
            if (other != node && sim.is_running(other)) {
              const NodeIndex bootstrap[] = {other};
              sim.join(node, bootstrap);
              break;
            }
          }
        }
        break;
      default: {  // a new node joins
        const NodeIndex joiner = sim.add_node();
        const NodeIndex bootstrap[] = {nodes[0]};
        if (sim.is_running(nodes[0])) sim.join(joiner, bootstrap);
        nodes.push_back(joiner);
        break;
      }
    }
    expect_same_as_rebuild("at once");
    sim.run_for(300ms);  // joins complete, leaves finish, crashes are noticed
    expect_same_as_rebuild("after 300 ms");
    members_seen += sim.oracle().members().size();
  }
  EXPECT_GT(members_seen, 40u * 30u);  // the ring stayed populated throughout
}

}  // namespace
}  // namespace chord::sim
