// Real nodes on one libuv loop, over TCP on 127.0.0.1: the same core as the simulator, the
// same ring checks (net_sim's oracle), on real sockets. Every wait is bounded in wall time.
#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>

#include "tests/net_real/loop_network.h"

namespace chord::net {
namespace {

using namespace std::chrono_literals;

NodeConfig quick_config() {
  NodeConfig config;
  config.chord.stabilize_period = 250ms;  // quick rounds: the test waits in wall time
  config.chord.fix_fingers_period = 250ms;
  config.chord.ping_predecessor_period = 250ms;
  return config;
}

TEST(UvRing, FiftyNodesOnOneLoopFormACorrectRingAndLookupsFindTheOwner) {
  LoopNetwork network(50, quick_config());
  ASSERT_EQ(network.error(), "");
  network.form_ring();
  const bool ideal = network.wait_ideal(60s);
  const sim::RingHealth health = network.health();
  ASSERT_TRUE(ideal) << health.members << " members, " << health.successor_correct
                     << " successors right, " << health.list_correct << " lists right";
  EXPECT_TRUE(health.zave_invariants_hold());

  // 200 lookups for keys spread over the ring, from every node, checked by the oracle.
  std::size_t done = 0, correct = 0;
  for (std::size_t i = 0; i < network.size(); ++i) {
    network.node(i).on_lookup = [&](const LookupResult& result) {
      if (result.purpose != LookupPurpose::user) return;
      ++done;
      if (result.ok() && result.owner.id == network.oracle().owner_of(result.key).first) ++correct;
    };
  }
  for (std::size_t k = 0; k < 200; ++k) {
    const NodeId key = NodeId::hash_of("key " + std::to_string(k));
    ASSERT_TRUE(network.node(k % network.size()).peer().chord().lookup(key).has_value());
  }
  EXPECT_TRUE(network.run_until([&] { return done == 200; }, 20s)) << done << " of 200 done";
  EXPECT_EQ(correct, 200u);
}

// A backed-off ring (quiet rounds every 32 periods: 8 s here) learns of a crashed node from
// TCP at once, not at its next round: the connections in use to the dead process end, and
// its predecessor and successor check it then.
TEST(UvRing, ABackedOffRingRepairsACrashAtOnceWhenTheConnectionsEnd) {
  NodeConfig config = quick_config();
  config.chord.quiet_backoff_max = 32;
  config.chord.rpc_timeout = 200ms;
  LoopNetwork network(6, config);
  ASSERT_EQ(network.error(), "");
  network.form_ring();
  ASSERT_TRUE(network.wait_ideal(30s));
  const bool backed_off = network.run_until(
      [&] {
        for (std::size_t i = 0; i < network.size(); ++i)
          if (network.node(i).peer().chord().backoff() < 32) return false;
        return true;
      },
      30s);
  ASSERT_TRUE(backed_off) << "the quiet ring should back off fully";
  const auto crashed_at = std::chrono::steady_clock::now();
  network.crash(3);
  // Without the hint, the next round of its neighbours would come 6 to 10 s later.
  const bool repaired = network.wait_ideal(5s);
  const sim::RingHealth health = network.health();
  ASSERT_TRUE(repaired) << "not repaired 5 s after the crash: " << health.members << " members, "
                        << health.successor_correct << " successors right, "
                        << health.predecessor_correct << " predecessors right, "
                        << health.list_correct << " lists right";
  const auto repair = std::chrono::steady_clock::now() - crashed_at;
  std::printf("[ uv ] crash in a backed-off ring repaired in %.2f s\n",
              std::chrono::duration<double>(repair).count());
  EXPECT_LT(repair, 3s);
}

}  // namespace
}  // namespace chord::net
