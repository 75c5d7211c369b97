// Partitions, churn, Zave's counterexamples and determinism.
#include <gtest/gtest.h>

#include "tests/net_sim/sim_test_util.h"

namespace chord::sim {
namespace {

using namespace testing;

SimConfig repair_config(std::uint64_t seed) {
  return uniform_latency_config(seed, 5ms, 50ms);
}

std::vector<NodeIndex> ideal_ring_with_bootstrap(Simulator& sim, std::size_t count,
                                                 SimRandom& random) {
  std::vector<NodeIndex> nodes;
  for (std::size_t i = 0; i < count; ++i)
    nodes.push_back(sim.add_node());
  sim.build_ideal_ring(nodes);
  for (NodeIndex node : nodes) {  // a few bootstrap endpoints each, as a LAN's config would
    const NodeIndex bootstrap[] = {nodes[random.uniform(count)], nodes[random.uniform(count)],
                                   nodes[random.uniform(count)], nodes[random.uniform(count)]};
    sim.set_bootstrap(node, bootstrap);
  }
  return nodes;
}

TEST(SimPartition, TwoHalvesMergeIntoOneCorrectRingAfterTheHeal) {
  const std::uint64_t seed = 600;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(repair_config(seed));
  SimRandom random(seed);
  const auto nodes = ideal_ring_with_bootstrap(sim, 200, random);
  sim.run_for(5s);
  std::vector<std::uint8_t> groups(sim.node_count());
  for (NodeIndex node : nodes)
    groups[node] = static_cast<std::uint8_t>(random.uniform(2));
  sim.partition(groups);
  sim.run_for(60s);  // sixty stabilization periods apart
  // Each side has repaired itself into its own ring.
  const RingHealth split = sim.health();
  EXPECT_EQ(split.members, 200u);
  EXPECT_EQ(split.rings, 2u);
  sim.heal();
  const Time healed = sim.now();
  const auto merged = sim.run_until_true(
      [&] {
        const RingHealth h = sim.health();
        return h.members == 200 && h.rings == 1 && h.ideal();
      },
      1s, 600s);
  ASSERT_TRUE(merged.has_value()) << "not one ideal ring 600 s after the heal";
  EXPECT_TRUE(sim.health().zave_invariants_hold());
  LookupTally tally;
  tally.attach(sim);
  random_lookups(sim, nodes, 500, 10ms, random);
  sim.run_for(10s);
  EXPECT_EQ(tally.correct, 500u) << tally.describe();
  std::printf(
      "[ partition ] 200 nodes split 60 s into two rings; one ideal ring %.0f s after "
      "the heal\n",
      std::chrono::duration<double>(*merged - healed).count());
}

// A total outage: every node cut off from every other for a minute, so each loses all its
// successors and tries to rejoin through peers that are rejoining too. With
// reform_after_rounds (chordnode's setting) each re-forms a ring of its own after a few
// failed rounds, and check_ring merges them into one ideal ring once the network is back.
// Without it nobody is a member again, ever: the test shows that too.
RingHealth after_total_outage(std::uint32_t reform_after_rounds, Duration& merged_after) {
  const std::uint64_t seed = 620;
  SimConfig config = repair_config(seed);
  config.chord.reform_after_rounds = reform_after_rounds;
  Simulator sim(config);
  SimRandom random(seed);
  const std::size_t count = small_scale() ? 30 : 60;
  const auto nodes = ideal_ring_with_bootstrap(sim, count, random);
  sim.run_for(5s);
  std::vector<std::uint8_t> groups(sim.node_count());
  for (NodeIndex node : nodes)
    groups[node] = static_cast<std::uint8_t>(node % 250);
  sim.partition(groups);
  sim.run_for(60s);
  sim.heal();
  const Time healed = sim.now();
  const auto merged = sim.run_until_true(
      [&] {
        const RingHealth h = sim.health();
        return h.members == count && h.rings == 1 && h.ideal();
      },
      1s, 600s);
  merged_after = merged ? *merged - healed : Duration::max();
  return sim.health();
}

TEST(SimPartition, AfterATotalOutageFormerMembersReformAndMergeIntoOneRing) {
  Duration merged_after{};
  const RingHealth reformed = after_total_outage(3, merged_after);
  EXPECT_TRUE(reformed.ideal() && reformed.rings == 1)
      << reformed.members << " members in " << reformed.rings << " rings";
  EXPECT_TRUE(reformed.zave_invariants_hold());
  std::printf(
      "[ outage ] every node isolated 60 s: one ideal ring %.0f s after the network "
      "is back\n",
      std::chrono::duration<double>(merged_after).count());
  const RingHealth stuck = after_total_outage(0, merged_after);
  EXPECT_EQ(stuck.members, 0u) << "without re-forming, nobody is a member to rejoin through";
}

// A ring of two loses one node (a crash, or a leave whose message was lost: chordnode
// showed this under load, where a user's second session could not join in 15 s). The
// survivor, with chordnode's settings, has nobody left to rejoin through; it must not wait
// reform_after_rounds rounds (about 15 s) before it lets a newcomer in.
TEST(SimPartition, TheLastNodeOfARingOfTwoLetsANewcomerInWithinSeconds) {
  Duration slowest{0};
  for (std::uint64_t seed = 630; seed < 660; ++seed) {
    SCOPED_TRACE(replay_hint(seed));
    SimConfig config = uniform_latency_config(seed, 1ms, 5ms);
    // chordnode's reform_after_rounds. Its backed-off periods are left out: a real node
    // learns of the crash at once from the TCP connection's end, which the simulator does
    // not model, so fixed 1 s periods stand in for that prompt detection.
    config.chord.reform_after_rounds = 10;
    Simulator sim(config);
    const NodeIndex survivor = sim.add_node();
    sim.create_ring(survivor);
    sim.run_for(std::chrono::milliseconds(100 + seed % 500));
    const NodeIndex other = sim.add_node();
    const NodeIndex via[] = {survivor};
    sim.join(other, via);
    sim.run_for(std::chrono::milliseconds(200 + (seed * 37) % 60000));
    sim.crash(other);
    sim.run_for(std::chrono::milliseconds((seed * 13) % 300));
    const NodeIndex newcomer = sim.add_node();
    sim.join(newcomer, via);
    const Time asked = sim.now();
    const auto joined = sim.run_until_true(
        [&] { return sim.node(newcomer)->phase() == ChordNode::Phase::member; }, 10ms, 60s);
    ASSERT_TRUE(joined.has_value());
    slowest = std::max(slowest, *joined - asked);
  }
  EXPECT_LT(slowest, 6s) << "(about 15 s before: ten rejoin rounds through nobody)";
  std::printf("[ ring of two ] a newcomer joins the survivor within %.1f s\n",
              std::chrono::duration<double>(slowest).count());
}

// Churn: Poisson joins and crashes. The fault injector never crashes a node whose death
// would leave a live member with no live successor (Zave's OneLiveSuccessor is the
// operating assumption: a choice of r and rates, not a protocol property).
struct ChurnResult {
  LookupTally tally;
  std::size_t samples = 0;
  std::size_t invariant_breaks = 0;
  std::size_t crashes = 0, joins = 0, refused = 0;
  std::uint64_t trace_hash = 0;
  SimCounters counters;
};

bool crash_is_safe(Simulator& sim, NodeIndex victim) {
  const NodeId& victim_id = sim.id_of(victim);
  const Oracle& oracle = sim.oracle();
  for (const auto& [id, index] : oracle.members()) {
    if (index == victim) continue;
    bool has_other_live = false;
    for (const Peer& peer : sim.node(index)->successors()) {
      if (peer.id != victim_id && oracle.is_live_member(peer.id)) {
        has_other_live = true;
        break;
      }
    }
    if (!has_other_live && !sim.node(index)->successors().empty()) return false;
  }
  return true;
}

ChurnResult run_churn(std::uint64_t seed, std::size_t nodes_count, Duration duration,
                      double rate_per_s) {
  SimConfig config = repair_config(seed);
  Simulator sim(config);
  SimRandom random(seed);
  ChurnResult result;
  result.tally.attach(sim);
  auto live = ideal_ring_with_bootstrap(sim, nodes_count, random);
  sim.run_for(5s);
  const Time end = sim.now() + duration;
  Time next_join =
      sim.now() + Duration(static_cast<std::int64_t>(random.exponential(1e6 / rate_per_s)));
  Time next_crash =
      sim.now() + Duration(static_cast<std::int64_t>(random.exponential(1e6 / rate_per_s)));
  Time next_lookup = sim.now();
  Time next_sample = sim.now();
  while (sim.now() < end) {
    const Time next = std::min({next_join, next_crash, next_lookup, next_sample, end});
    sim.run_until(next);
    if (sim.now() == next_join) {
      const NodeIndex node = sim.add_node();
      const NodeIndex via[] = {live[random.uniform(live.size())],
                               live[random.uniform(live.size())]};
      sim.join(node, via);
      live.push_back(node);
      ++result.joins;
      next_join += Duration(static_cast<std::int64_t>(random.exponential(1e6 / rate_per_s)));
    }
    if (sim.now() == next_crash) {
      for (int attempt = 0; attempt < 20; ++attempt) {
        const std::size_t pick = random.uniform(live.size());
        if (!crash_is_safe(sim, live[pick])) {
          ++result.refused;
          continue;
        }
        sim.crash(live[pick]);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(pick));
        ++result.crashes;
        break;
      }
      next_crash += Duration(static_cast<std::int64_t>(random.exponential(1e6 / rate_per_s)));
    }
    if (sim.now() == next_lookup) {
      const NodeIndex from = live[random.uniform(live.size())];
      if (sim.node(from)->phase() == ChordNode::Phase::member) {
        (void)sim.lookup(from, random_key(random));
      }
      next_lookup += 100ms;
    }
    if (sim.now() == next_sample) {
      ++result.samples;
      if (!sim.health().zave_invariants_hold()) ++result.invariant_breaks;
      next_sample += 1s;
    }
  }
  result.trace_hash = sim.trace_hash();
  result.counters = sim.counters();
  return result;
}

// Seeds: CHORDCHAT_SIM_SEEDS (default 1) runs that many more, derived from the first; set
// it high by hand to hunt for rare interleavings (each failure prints its seed).
std::uint64_t extra_seeds() {
  const char* text = std::getenv("CHORDCHAT_SIM_SEEDS");
  return text == nullptr ? 0 : std::strtoull(text, nullptr, 10);
}

// The oracle finds owners through an index of its sorted members by their ids' top bits
// (net_sim/oracle.cc): it must name the same owner as a plain search, for random keys, for
// the members' own ids and their neighbours, and past the last member (the wrap), also
// while crashes and restarts wait unmerged.
TEST(SimOracle, OwnerIsTheFirstLiveMemberAtOrAfterTheKey) {
  Simulator sim(uniform_latency_config(31, Duration(std::chrono::milliseconds(5)),
                                       Duration(std::chrono::milliseconds(50))));
  const std::vector<NodeIndex> nodes = ideal_ring(sim, 3000);
  SimRandom random(32);
  auto expect_plain_owner = [&](const NodeId& key) {
    std::vector<NodeId> live;
    for (NodeIndex index : nodes) {
      if (sim.is_running(index)) live.push_back(sim.id_of(index));
    }
    std::sort(live.begin(), live.end());
    const auto it = std::lower_bound(live.begin(), live.end(), key);
    const NodeId& owner = it == live.end() ? live.front() : *it;
    EXPECT_EQ(sim.oracle().owner_of(key).first, owner) << key.to_hex();
  };
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i)
      expect_plain_owner(random_key(random));
    for (int i = 0; i < 50; ++i) {
      const NodeId& id = sim.id_of(nodes[random.next() % nodes.size()]);
      expect_plain_owner(id);
      expect_plain_owner(id.plus_power_of_two(0));
    }
    NodeId::Bytes top{};
    top.fill(0xff);
    expect_plain_owner(NodeId(top));  // beyond every member: the first one owns it
    expect_plain_owner(NodeId());
    // A few crashes (waiting removals) before the next round.
    for (int i = 0; i < 20; ++i)
      sim.crash(nodes[random.next() % nodes.size()]);
  }
}

TEST(SimChurn, InvariantsHoldAtEverySampleAndFailedLookupsAreReported) {
  const Duration duration = small_scale() ? Duration(120s) : Duration(600s);
  for (std::uint64_t round = 0; round <= extra_seeds(); ++round) {
    const std::uint64_t seed = round == 0 ? 700 : mix_seed(700, round);
    SCOPED_TRACE(replay_hint(seed));
    // One join and one crash per stabilization period on average, on 300 nodes (r = 8).
    const ChurnResult churn = run_churn(seed, 300, duration, 1.0);
    EXPECT_GT(churn.crashes, 50u);
    EXPECT_GT(churn.joins, 50u);
    EXPECT_EQ(churn.invariant_breaks, 0u) << "of " << churn.samples << " samples";
    const auto& t = churn.tally;
    const double failed = static_cast<double>(t.failed + t.wrong) / static_cast<double>(t.done);
    EXPECT_LT(failed, 0.01) << t.describe();
    std::printf(
        "[ churn ] seed %llu: 300 nodes, 1 join + 1 crash /s for %.0f s (%zu joins, %zu "
        "crashes, %zu refused by the fault budget): %s; failed or wrong %.3f%%; "
        "invariants held at %zu/%zu samples\n",
        static_cast<unsigned long long>(seed), std::chrono::duration<double>(duration).count(),
        churn.joins, churn.crashes, churn.refused, t.describe().c_str(), 100 * failed,
        churn.samples - churn.invariant_breaks, churn.samples);
  }
}

TEST(SimDeterminism, SameSeedSameTraceOtherSeedOtherTrace) {
  const ChurnResult a = run_churn(800, 100, 60s, 1.0);
  const ChurnResult b = run_churn(800, 100, 60s, 1.0);
  const ChurnResult c = run_churn(801, 100, 60s, 1.0);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.counters.events, b.counters.events);
  EXPECT_EQ(a.counters.bytes_sent, b.counters.bytes_sent);
  EXPECT_EQ(a.tally.hops_sum, b.tally.hops_sum);
  EXPECT_NE(a.trace_hash, c.trace_hash);
  EXPECT_GT(a.counters.events, 10000u);
}

// Zave's counterexamples (REFERENCES.md §2), replayed on small identifier values placed in
// the top byte of the 160-bit space. Each broke original Chord; ours must end ideal.
NodeId small_id(unsigned value) {
  NodeId::Bytes bytes{};
  bytes[0] = static_cast<std::uint8_t>(value);
  return NodeId(bytes);
}

struct SmallRing {
  explicit SmallRing(std::uint32_t r, std::uint64_t seed = 900) : sim(make_config(r, seed)) {}
  static SimConfig make_config(std::uint32_t r, std::uint64_t seed) {
    SimConfig config = repair_config(seed);
    config.chord.successor_list_length = r;
    config.dht.replicas = std::min<std::uint32_t>(config.dht.replicas, r);
    return config;
  }
  NodeIndex node(unsigned value) {
    for (NodeIndex i = 0; i < sim.node_count(); ++i) {
      if (sim.id_of(i) == small_id(value)) return i;
    }
    return sim.add_node(small_id(value));
  }
  void ideal(std::initializer_list<unsigned> values) {
    std::vector<NodeIndex> members;
    for (unsigned v : values)
      members.push_back(node(v));
    sim.build_ideal_ring(members);
    for (NodeIndex m : members)
      sim.set_bootstrap(m, members);
  }
  void join(unsigned value, unsigned via) {
    const NodeIndex bootstrap[] = {node(via)};
    sim.join(node(value), bootstrap);
  }
  bool becomes_ideal(std::size_t members, Duration limit = 120s) {
    SCOPED_TRACE(replay_hint(900));
    return sim
        .run_until_true(
            [&] {
              const RingHealth h = sim.health();
              return h.members == members && h.ideal() && h.zave_invariants_hold();
            },
            500ms, limit)
        .has_value();
  }
  Simulator sim;
};

// CCR Fig. 5: a joiner whose only link was its successor, which then failed.
TEST(SimZave, Ccr2012Fig5JoinerWhoseSuccessorFailsStaysConnected) {
  SmallRing ring(2);
  ring.ideal({5, 9, 20, 40});
  ring.sim.run_for(2s);
  ring.join(7, 20);
  ring.sim.run_for(200ms);  // joined, not yet stabilized
  ring.sim.crash(ring.node(9));
  EXPECT_TRUE(ring.becomes_ideal(4));
}

// CCR Fig. 6: a node adopting a dead predecessor of its successor as its successor.
TEST(SimZave, Ccr2012Fig6DeadPredecessorIsNeverAdoptedAsSuccessor) {
  SmallRing ring(2);
  ring.ideal({6, 12, 30});
  ring.sim.run_for(2s);
  ring.join(10, 30);
  // Until 10 has notified 12 (12's predecessor becomes 10), then 10 fails before 6 stabilizes.
  ASSERT_TRUE(ring.sim
                  .run_until_true(
                      [&] {
                        auto* twelve = ring.sim.node(ring.node(12));
                        return twelve->predecessor() && twelve->predecessor()->id == small_id(10);
                      },
                      1ms, 10s)
                  .has_value());
  ring.sim.crash(ring.node(10));
  EXPECT_TRUE(ring.becomes_ideal(3));
}

// CCR Fig. 7 (odd ring): three joiners taken in, then all three fail at once.
TEST(SimZave, Ccr2012Fig7ThreeJoinersFailingLeaveAnOrderedRing) {
  SmallRing ring(2);
  ring.ideal({10, 20, 30});
  ring.sim.run_for(2s);
  ring.join(15, 10);
  ring.join(25, 20);
  ring.join(35, 30);
  ASSERT_TRUE(ring.becomes_ideal(6));
  ring.sim.crash(ring.node(15));
  ring.sim.crash(ring.node(25));
  ring.sim.crash(ring.node(35));
  EXPECT_TRUE(ring.becomes_ideal(3));
}

// CCR Fig. 8 (even ring): two joiners taken in, both fail: one ring, not two.
TEST(SimZave, Ccr2012Fig8TwoJoinersFailingLeaveOneRing) {
  SmallRing ring(2);
  ring.ideal({10, 20});
  ring.sim.run_for(2s);
  ring.join(15, 10);
  ring.join(25, 20);
  ASSERT_TRUE(ring.becomes_ideal(4));
  ring.sim.crash(ring.node(15));
  ring.sim.crash(ring.node(25));
  EXPECT_TRUE(ring.becomes_ideal(2));
  EXPECT_EQ(ring.sim.health().rings, 1u);
}

// TSE Fig. 3: a ring started from one node (48) with r = 2; 62 and 37 join through it; 48
// fails. Original Chord leaves 37 and 62 holding [48, 48], never to find each other.
TEST(SimZave, Tse2017Fig3RingStartedFromOneNodeSurvivesItsFailure) {
  SmallRing ring(2);
  ring.sim.create_ring(ring.node(48));
  ring.join(62, 48);
  ring.join(37, 48);
  ASSERT_TRUE(ring.becomes_ideal(3));
  ring.sim.crash(ring.node(48));
  EXPECT_TRUE(ring.becomes_ideal(2));
}

}  // namespace
}  // namespace chord::sim

namespace chord::sim {
namespace {

using namespace testing;

TEST(SimMessyTiming, MessagesToACrashedNodeVanishAndItsPeersRouteAround) {
  SCOPED_TRACE(replay_hint(1000));
  Simulator sim(repair_config(1000));
  SimRandom random(1000);
  const auto nodes = ideal_ring_with_bootstrap(sim, 30, random);
  sim.run_for(2s);
  const std::uint64_t lost_before = sim.counters().messages_lost;
  sim.crash(nodes[7]);
  sim.run_for(10s);
  EXPECT_GT(sim.counters().messages_lost, lost_before);  // sent to it, dropped, timed out
  EXPECT_TRUE(sim.run_until_true([&] { return sim.health().members == 29 && sim.health().ideal(); },
                                 500ms, 60s)
                  .has_value());
}

TEST(SimMessyTiming, NodeRejoiningWithTheSameIdIsTakenBackIn) {
  SCOPED_TRACE(replay_hint(1001));
  Simulator sim(repair_config(1001));
  SimRandom random(1001);
  const auto nodes = ideal_ring_with_bootstrap(sim, 50, random);
  sim.run_for(2s);
  const NodeIndex node = nodes[13];
  sim.crash(node);
  sim.run_for(1s);  // others still point at it: old pointers must be harmless
  sim.restart(node);
  const NodeIndex via[] = {nodes[30], nodes[40]};
  sim.join(node, via);
  ASSERT_TRUE(sim.run_until_true([&] { return sim.health().members == 50 && sim.health().ideal(); },
                                 500ms, 120s)
                  .has_value());
  LookupTally tally;
  tally.attach(sim);
  random_lookups(sim, nodes, 300, 10ms, random);
  sim.run_for(5s);
  EXPECT_EQ(tally.correct, 300u) << tally.describe();
}

// Two nodes lose their only successors at once (r = 1: A -> X -> B -> Y, X and Y crash) and
// each looks for a new one through the other. A node answers "busy" while its own state
// query is pending (here, its stabilize of its dead successor, for a whole RPC timeout),
// and a busy candidate is alive and a member: it is taken as the successor. (Before, each
// passed over the other as if dead, ran out of candidates and left the ring; in chordnode,
// bob and s0 did this when s1 was killed moments after the joins, and bob's finds failed
// while he rejoined.)
TEST(SimMessyTiming, TwoNodesRecoveringThroughEachOtherAtOnceStayInTheRing) {
  for (std::uint64_t seed = 700; seed < 720; ++seed) {
    SCOPED_TRACE(replay_hint(seed));
    SimConfig config = repair_config(seed);
    config.chord.successor_list_length = 1;
    config.dht.replicas = 1;
    Simulator sim(config);
    const NodeId a_id = NodeId().plus_power_of_two(20);
    const NodeIndex a = sim.add_node(a_id);
    const NodeIndex x = sim.add_node(a_id.plus_power_of_two(100));
    const NodeIndex b = sim.add_node(a_id.plus_power_of_two(101));
    const NodeIndex y = sim.add_node(a_id.plus_power_of_two(101).plus_power_of_two(100));
    const NodeIndex all[] = {a, x, b, y};
    sim.build_ideal_ring(all);
    sim.run_for(3s);
    sim.crash(x);
    sim.crash(y);
    const auto left = sim.run_until_true(
        [&] {
          return sim.node(a)->phase() != ChordNode::Phase::member ||
                 sim.node(b)->phase() != ChordNode::Phase::member;
        },
        1ms, 10s);
    EXPECT_FALSE(left.has_value()) << "a survivor left the ring to rejoin";
    EXPECT_TRUE(sim.health().ideal());
  }
}

}  // namespace
}  // namespace chord::sim
