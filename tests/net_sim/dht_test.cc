// DHT records on the simulated ring: replication, failures, departures, joins and leases.
#include <gtest/gtest.h>

#include <map>

#include "tests/net_sim/sim_test_util.h"

namespace chord::sim {
namespace {

using namespace testing;

SimConfig dht_config(std::uint64_t seed, std::uint32_t r = 8, std::uint32_t k = 3) {
  SimConfig config = uniform_latency_config(seed, 5ms, 50ms);
  config.chord.successor_list_length = r;
  config.dht.replicas = k;
  return config;
}

// Collects DHT results by (node, operation id).
struct DhtTally {
  std::map<std::pair<NodeIndex, std::uint64_t>, DhtResult> results;
  void attach(Simulator& sim) {
    sim.on_dht = [this](NodeIndex node, const DhtResult& r) {
      results[{node, r.operation_id}] = r;
    };
  }
};

// A record the test put, and what it expects.
struct Expected {
  NodeId key;
  std::string value;
  std::uint64_t user;  // test_record's n
};

NodeIndex running_member(Simulator& sim, const std::vector<NodeIndex>& nodes, SimRandom& random) {
  for (;;) {  // the callers keep most nodes running: ends quickly
    const NodeIndex node = nodes[random.uniform(nodes.size())];
    if (sim.node(node) != nullptr && sim.node(node)->phase() == ChordNode::Phase::member) {
      return node;
    }
  }
}

// Puts `count` records from random nodes, `gap` apart; returns them once all succeeded.
std::vector<Expected> put_records(Simulator& sim, const std::vector<NodeIndex>& nodes,
                                  std::size_t count, Duration gap, SimRandom& random,
                                  std::uint32_t lease_ms = 3600000) {
  DhtTally tally;
  tally.attach(sim);
  std::vector<Expected> records;
  for (std::size_t i = 0; i < count; ++i) {
    const Record record = test_record(sim, i, 1, lease_ms);
    const Expected e{record.key, record.value, i};
    const auto op = sim.peer(running_member(sim, nodes, random))->put(record);
    EXPECT_TRUE(op.has_value());
    records.push_back(e);
    sim.run_for(gap);
  }
  sim.run_for(5s);
  std::size_t ok = 0;
  for (const auto& [id, r] : tally.results)
    ok += r.ok() ? 1u : 0u;
  EXPECT_EQ(ok, count);
  sim.on_dht = nullptr;
  return records;
}

// Gets every record from random running nodes; returns how many came back right.
struct GetOutcome {
  std::size_t right = 0, not_found = 0, wrong_value = 0, failed = 0;
  std::vector<std::size_t> missing;  // indexes into the records
};

GetOutcome get_all(Simulator& sim, const std::vector<NodeIndex>& nodes,
                   const std::vector<Expected>& records, SimRandom& random, Duration gap = 2ms) {
  DhtTally tally;
  tally.attach(sim);
  std::map<std::pair<NodeIndex, std::uint64_t>, std::size_t> which;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const NodeIndex from = running_member(sim, nodes, random);
    const auto op = sim.peer(from)->get(records[i].key);
    if (op) which[{from, *op}] = i;
    sim.run_for(gap);
  }
  sim.run_for(10s);
  GetOutcome outcome;
  for (const auto& [id, index] : which) {
    const auto it = tally.results.find(id);
    if (it == tally.results.end()) {
      ++outcome.failed;
      continue;
    }
    const DhtResult& r = it->second;
    if (r.ok() && r.value == records[index].value) {
      ++outcome.right;
    } else if (r.ok()) {
      ++outcome.wrong_value;
    } else if (r.status == DhtStatus::not_found) {
      ++outcome.not_found;
      outcome.missing.push_back(index);
    } else {
      ++outcome.failed;
    }
  }
  sim.on_dht = nullptr;
  return outcome;
}

// The k + 1 holders of each record right now: its owner and the owner's k successors.
std::vector<std::vector<NodeId>> holders_of(Simulator& sim, const std::vector<Expected>& records,
                                            std::size_t k) {
  const auto members = sim.oracle().members();
  std::vector<std::vector<NodeId>> holders;
  for (const Expected& e : records) {
    const auto owner = std::lower_bound(members.begin(), members.end(), Oracle::Member{e.key, 0});
    std::size_t position =
        owner == members.end() ? 0 : static_cast<std::size_t>(owner - members.begin());
    std::vector<NodeId> ids;
    for (std::size_t i = 0; i <= k && i < members.size(); ++i) {
      ids.push_back(members[(position + i) % members.size()].first);
    }
    holders.push_back(ids);
  }
  return holders;
}

TEST(SimDht, AnyKConsecutiveCrashesLoseNoRecord) {
  const std::uint64_t seed = 1100;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(dht_config(seed));
  SimRandom random(seed);
  const auto nodes = ideal_ring(sim, 100);
  sim.run_for(2s);
  const auto records = put_records(sim, nodes, 500, 5ms, random);
  sim.run_for(10s);  // a couple of replication periods
  // Crash k = 3 consecutive members, twice in different places, recovering in between.
  for (int round = 0; round < 2; ++round) {
    const auto members =
        std::vector<Oracle::Member>(sim.oracle().members().begin(), sim.oracle().members().end());
    const std::size_t start = random.uniform(members.size());
    for (std::size_t i = 0; i < 3; ++i)
      sim.crash(members[(start + i) % members.size()].second);
    ASSERT_TRUE(sim.run_until_true([&] { return sim.health().ideal(); }, 1s, 120s).has_value());
    sim.run_for(15s);  // re-replication
  }
  const GetOutcome outcome = get_all(sim, nodes, records, random);
  EXPECT_EQ(outcome.right, records.size())
      << outcome.not_found << " not found, " << outcome.wrong_value << " wrong, " << outcome.failed
      << " failed";
}

// Returns how many records were lost.
std::size_t mass_failure(double p, std::uint32_t k, std::uint64_t run = 0) {
  const std::uint64_t base = 1200 + static_cast<std::uint64_t>(p * 100) + k;
  const std::uint64_t seed = run == 0 ? base : mix_seed(base, run);
  SCOPED_TRACE(replay_hint(seed));
  const std::size_t nodes_count = small_scale() ? 300 : 1000;
  const std::size_t records_count = small_scale() ? 3000 : 10000;
  Simulator sim(dht_config(seed, 8, k));
  SimRandom random(seed);
  const auto nodes = ideal_ring(sim, nodes_count);
  sim.run_for(2s);
  const auto records = put_records(sim, nodes, records_count, 1ms, random);
  sim.run_for(12s);  // replication settles
  const auto holders = holders_of(sim, records, k);
  const std::vector<NodeIndex> order = shuffled(nodes, random);
  const auto crashed_count = static_cast<std::size_t>(p * static_cast<double>(nodes_count));
  std::vector<NodeId> crashed;
  for (std::size_t i = 0; i < crashed_count; ++i) {
    crashed.push_back(sim.id_of(order[i]));
    sim.crash(order[i]);
  }
  std::sort(crashed.begin(), crashed.end());

  EXPECT_TRUE(sim.run_until_true([&] { return sim.health().ideal(); }, 1s, 300s).has_value());
  sim.run_for(20s);  // re-replication
  std::vector<NodeIndex> alive(order.begin() + static_cast<std::ptrdiff_t>(crashed_count),
                               order.end());
  const GetOutcome outcome = get_all(sim, alive, records, random, 1ms);
  // Every lost record had all of its k + 1 holders crashed.
  std::size_t all_holders_crashed = 0;
  for (const auto& ids : holders) {
    bool all = true;
    for (const NodeId& id : ids)
      all = all && std::binary_search(crashed.begin(), crashed.end(), id);
    all_holders_crashed += all ? 1u : 0u;
  }
  for (std::size_t index : outcome.missing) {
    for (const NodeId& id : holders[index]) {
      EXPECT_TRUE(std::binary_search(crashed.begin(), crashed.end(), id))
          << "record " << index << " lost although a holder survived";
    }
  }
  const double expected = static_cast<double>(records_count) * std::pow(p, k + 1);
  EXPECT_EQ(outcome.wrong_value, 0u);
  EXPECT_EQ(outcome.failed, 0u);
  EXPECT_EQ(outcome.right + outcome.not_found, records_count);
  // And the converse: on a static ring nothing else holds a copy, so the losses are exactly
  // the records whose holders all crashed.
  EXPECT_EQ(outcome.not_found, all_holders_crashed);
  std::printf(
      "[ dht mass failure ] N=%zu records=%zu k=%u p=%.2f: %zu lost (expected %.1f; %zu had "
      "all %u holders crashed), %zu right after recovery\n",
      nodes_count, records_count, k, p, outcome.not_found, expected, all_holders_crashed, k + 1,
      outcome.right);
  return outcome.not_found;
}

TEST(SimDht, MassFailureLosesOnlyRecordsWhoseHoldersAllCrashed) {
  // Losses come in clumps (a run of k + 1 crashed neighbours takes all the keys of its
  // range), so one run at 1,000 nodes spreads by about ±50% around records·p^(k+1): the
  // band of twice or half the expectation is checked on the mean of eight runs.
  const int runs = small_scale() ? 1 : 8;
  double lost = 0;
  for (int run = 0; run < runs; ++run) {
    lost += static_cast<double>(mass_failure(0.25, 3, static_cast<std::uint64_t>(run)));
  }
  if (!small_scale()) {
    const double expected = 10000 * std::pow(0.25, 4);
    EXPECT_LE(lost / runs, 2 * expected);
    EXPECT_GE(lost / runs, expected / 2);
    std::printf("[ dht mass failure ] k=3 p=0.25: mean of %d runs %.1f lost (expected %.1f)\n",
                runs, lost / runs, expected);
  }
  mass_failure(0.1, 3);
  mass_failure(0.5, 3);
  mass_failure(0.25, 5);
}

TEST(SimDht, HalfTheNodesLeavingLoseNoRecord) {
  const std::uint64_t seed = 1300;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(dht_config(seed));
  SimRandom random(seed);
  const auto nodes = ideal_ring(sim, 200);
  sim.run_for(2s);
  const auto records = put_records(sim, nodes, 1000, 2ms, random);
  const std::vector<NodeIndex> order = shuffled(nodes, random);
  for (std::size_t i = 0; i < order.size() / 2; ++i) {
    sim.leave(order[i]);
    sim.run_for(200ms);
  }
  sim.run_for(10s);
  const std::vector<NodeIndex> staying(
      order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2), order.end());
  const GetOutcome outcome = get_all(sim, staying, records, random);
  EXPECT_EQ(outcome.right, records.size()) << outcome.not_found << " not found";
}

TEST(SimDht, JoinsMoveRecordsAndGetsNeverMissDuringThem) {
  const std::uint64_t seed = 1400;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(dht_config(seed));
  SimRandom random(seed);
  auto nodes = ideal_ring(sim, 50);
  sim.run_for(2s);
  const auto records = put_records(sim, nodes, 500, 2ms, random);
  DhtTally tally;
  tally.attach(sim);
  std::map<std::pair<NodeIndex, std::uint64_t>, std::size_t> which;
  const std::vector<NodeIndex> original = nodes;
  for (int j = 0; j < 100; ++j) {  // 100 joins, 300 ms apart, gets throughout
    const NodeIndex node = sim.add_node();
    const NodeIndex via[] = {original[random.uniform(original.size())]};
    sim.join(node, via);
    nodes.push_back(node);
    for (int g = 0; g < 10; ++g) {
      const std::size_t index = random.uniform(records.size());
      const NodeIndex from = running_member(sim, original, random);
      const auto op = sim.peer(from)->get(records[index].key);
      if (op) which[{from, *op}] = index;
      sim.run_for(30ms);
    }
  }
  sim.run_for(10s);
  std::size_t right = 0, missed = 0;
  for (const auto& [id, index] : which) {
    const auto it = tally.results.find(id);
    if (it != tally.results.end() && it->second.ok() && it->second.value == records[index].value) {
      ++right;
    } else {
      ++missed;
    }
  }
  EXPECT_EQ(missed, 0u) << right << " right";
  EXPECT_EQ(right, which.size());
  // The records now live with their new owners.
  sim.on_dht = nullptr;
  const GetOutcome after = get_all(sim, nodes, records, random);
  EXPECT_EQ(after.right, records.size());
  std::size_t held_by_owner = 0;
  for (const Expected& e : records) {
    const NodeIndex owner = sim.oracle().owner_of(e.key).second;
    held_by_owner += sim.peer(owner)->records().get(e.key, sim.now()) != nullptr ? 1u : 0u;
  }
  EXPECT_EQ(held_by_owner, records.size());
}

// The first node of a ring learns of the second as its predecessor (notify) before it
// adopts it as successor. In that moment it must already refuse the second node's keys:
// it used to take every key while its successor list was empty, and stored a user's record
// the real owner never saw (chordnode: "not found" for a user registered a moment before).
TEST(SimDht, AFirstNodeWithAPredecessorButNoSuccessorYetKeepsToItsRange) {
  Simulator sim(dht_config(1410));
  const NodeIndex first = sim.add_node();
  sim.create_ring(first);
  sim.run_for(1s);
  const NodeIndex second = sim.add_node();
  const NodeIndex via[] = {first};
  sim.join(second, via);
  bool seen = false;
  for (int step = 0; step < 5000 && !seen; ++step) {
    sim.run_for(1ms);
    const ChordNode& chord = sim.peer(first)->chord();
    seen = chord.predecessor().has_value() && chord.successors().empty();
  }
  ASSERT_TRUE(seen) << "the state under test did not occur";
  // A key just at the second node's id is the second node's.
  EXPECT_FALSE(sim.peer(first)->responsible_for(sim.id_of(second)));
  EXPECT_TRUE(sim.peer(first)->responsible_for(sim.id_of(first)));
}

// The joining node's own gets, from the moment it is a member, for keys of the range it
// takes over. Its records may still be on their way; a get it would answer itself then asks
// the successor that held them, as it does for others' gets. (chordnode showed the race as
// "not found" for a user registered a moment before, about once in ten runs of
// ChordnodeProcesses under load; the simulator's timing has not reproduced it, so this
// test checks the property, not the race.)
TEST(SimDht, ANewOwnersOwnGetsFindRecordsStillBeingHandedOver) {
  const std::uint64_t seed = 1420;
  SCOPED_TRACE(replay_hint(seed));
  // Latency spread wide (1-150 ms), so a hand-over can arrive after a lookup that names
  // the new node as owner.
  SimConfig config = uniform_latency_config(seed, 1ms, 150ms);
  Simulator sim(config);
  SimRandom random(seed);
  auto nodes = ideal_ring(sim, 20);
  sim.run_for(2s);
  const auto records = put_records(sim, nodes, 400, 1ms, random);
  DhtTally tally;
  tally.attach(sim);
  std::vector<std::tuple<NodeIndex, std::uint64_t, std::size_t>> ops;
  for (int j = 0; j < 30; ++j) {
    const NodeIndex node = sim.add_node();
    const NodeIndex via[] = {nodes[random.uniform(nodes.size())]};
    sim.join(node, via);
    nodes.push_back(node);
    ASSERT_TRUE(sim.run_until_true(
        [&] {
          return sim.peer(node) != nullptr &&
                 sim.peer(node)->chord().phase() == ChordNode::Phase::member;
        },
        1ms, 30s));
    // The moment it is a member, and 0.1, 0.3 and 0.6 s later: the new node asks for every
    // record of the range it takes over (the oracle's).
    std::vector<std::size_t> range;
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (sim.oracle().owner_of(records[i].key).second == node) range.push_back(i);
    }
    for (int step = 0; step < 40; ++step) {
      if (step != 0 && step != 2 && step != 6 && step != 12) {  // a few rounds, not a flood
        sim.run_for(50ms);
        continue;
      }
      for (std::size_t i : range) {
        if (const auto op = sim.peer(node)->get(records[i].key)) ops.emplace_back(node, *op, i);
      }
      sim.run_for(50ms);
    }
  }
  sim.run_for(10s);
  std::size_t right = 0;
  for (const auto& [node, op, index] : ops) {
    const auto it = tally.results.find({node, op});
    right +=
        it != tally.results.end() && it->second.ok() && it->second.value == records[index].value
            ? 1u
            : 0u;
  }
  EXPECT_GT(ops.size(), 0u);
  EXPECT_EQ(right, ops.size());
}

TEST(SimDht, RecordsOfACrashedOwnerExpireAndLiveOwnersRecordsDoNot) {
  const std::uint64_t seed = 1500;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(dht_config(seed));
  SimRandom random(seed);
  const auto nodes = ideal_ring(sim, 60);
  sim.run_for(2s);
  constexpr std::uint32_t lease_ms = 30000;
  const auto records = put_records(sim, nodes, 100, 5ms, random, lease_ms);
  // The owners of the first 50 records keep renewing every 10 s; the others crashed.
  std::vector<Expected> renewed = records;
  for (std::uint64_t renewal = 0; renewal < 30; ++renewal) {  // 5 minutes
    for (std::size_t i = 0; i < 50; ++i) {
      const Record record = test_record(sim, records[i].user, 2 + renewal, lease_ms);
      renewed[i].value = record.value;
      (void)sim.peer(running_member(sim, nodes, random))->put(record);
    }
    sim.run_for(10s);
  }
  const GetOutcome outcome = get_all(sim, nodes, renewed, random);
  EXPECT_EQ(outcome.right, 50u);
  EXPECT_EQ(outcome.not_found, 50u);
  for (std::size_t index : outcome.missing)
    EXPECT_GE(index, 50u);
}

// A node joins where a crashed node was, before the ring has healed around the gap: the
// range it takes over must reach it from the replicas (review finding: it did not).
TEST(SimDht, JoinIntoTheRangeOfACrashedNodeLosesNoRecord) {
  for (std::uint64_t seed : {1800u, 1801u, 1802u}) {
    SCOPED_TRACE(replay_hint(seed));
    Simulator sim(dht_config(seed));
    SimRandom random(seed);
    const auto nodes = ideal_ring(sim, 30);
    sim.run_for(2s);
    const auto records = put_records(sim, nodes, 300, 2ms, random);
    sim.run_for(10s);
    const auto members =
        std::vector<Oracle::Member>(sim.oracle().members().begin(), sim.oracle().members().end());
    const std::size_t victim = random.uniform(members.size());
    const NodeId below = members[(victim + members.size() - 1) % members.size()].first;
    sim.crash(members[victim].second);
    // A new node with an id just above the victim's predecessor: it takes over most of the
    // crashed node's range.
    const NodeIndex joiner = sim.add_node(below.plus_power_of_two(100));
    const NodeIndex via[] = {members[(victim + 5) % members.size()].second};
    sim.join(joiner, via);
    std::vector<NodeIndex> all = nodes;
    all.push_back(joiner);
    ASSERT_TRUE(sim.run_until_true([&] { return sim.health().ideal(); }, 1s, 120s).has_value());
    sim.run_for(30s);  // past the hand-over grace: only a real hand-over can answer now
    const GetOutcome outcome = get_all(sim, all, records, random);
    EXPECT_EQ(outcome.right, records.size()) << outcome.not_found << " not found";
  }
}

// A ring grown by joins from one node: the first node holds everything, then hands over.
TEST(SimDht, RingGrownFromOneNodeHandsItsRecordsOver) {
  const std::uint64_t seed = 1850;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(dht_config(seed));
  SimRandom random(seed);
  std::vector<NodeIndex> nodes{sim.add_node()};
  sim.create_ring(nodes[0]);
  sim.run_for(1s);
  const auto records = put_records(sim, nodes, 200, 2ms, random);
  for (int i = 0; i < 20; ++i) {
    nodes.push_back(sim.add_node());
    const NodeIndex via[] = {nodes[random.uniform(nodes.size() - 1)]};
    sim.join(nodes.back(), via);
    sim.run_for(2s);
  }
  ASSERT_TRUE(sim.run_until_true([&] { return sim.health().members == 21 && sim.health().ideal(); },
                                 1s, 300s)
                  .has_value());
  sim.run_for(30s);
  const GetOutcome outcome = get_all(sim, nodes, records, random);
  EXPECT_EQ(outcome.right, records.size()) << outcome.not_found << " not found";
}

TEST(SimDht, PutsOverTheLimitsGetAClearStatus) {
  SimConfig config = dht_config(1700);
  config.dht.records_max = 5;
  config.dht.value_bytes_max = 160;  // a record of a short name fits, of a long one not
  Simulator sim(config);
  const auto nodes = ideal_ring(sim, 1);  // one node holds everything
  sim.run_for(1s);
  DhtTally tally;
  tally.attach(sim);
  const Record large = test_record(sim, 100, 1, 60000, UserRecordKind::live, std::string(29, 'x'));
  ASSERT_GT(large.value.size(), 160u);
  const auto too_large = sim.peer(nodes[0])->put(large);
  for (std::uint64_t i = 0; i < 6; ++i) {
    const Record record = test_record(sim, i, 1, 60000);
    ASSERT_LE(record.value.size(), 160u);
    (void)sim.peer(nodes[0])->put(record);
  }
  sim.run_for(5s);
  ASSERT_TRUE(too_large.has_value());
  EXPECT_EQ(tally.results[std::make_pair(nodes[0], *too_large)].status, DhtStatus::value_too_large);
  std::size_t ok = 0, full = 0;
  for (const auto& [id, r] : tally.results) {
    ok += r.status == DhtStatus::ok ? 1u : 0u;
    full += r.status == DhtStatus::store_full ? 1u : 0u;
  }
  EXPECT_EQ(ok, 5u);
  EXPECT_EQ(full, 1u);
}

TEST(SimDht, RemovedRecordsAreGoneFromEveryReplicaAndOnlyTheOwnerRemoves) {
  const std::uint64_t seed = 1600;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(dht_config(seed));
  SimRandom random(seed);
  const auto nodes = ideal_ring(sim, 80);
  sim.run_for(2s);
  const auto records = put_records(sim, nodes, 200, 5ms, random);
  sim.run_for(10s);  // replicas in place
  DhtTally tally;
  tally.attach(sim);
  std::map<std::pair<NodeIndex, std::uint64_t>, std::size_t> which;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const NodeIndex from = running_member(sim, nodes, random);
    // Even records: removed by their owner's tombstone. Odd ones: a tombstone for the same
    // handle signed with another key (test user 1000 + i): refused everywhere.
    Record tombstone = test_record(sim, records[i].user, 2, 60000, UserRecordKind::tombstone);
    if (i % 2 == 1) {
      auto forged = decode_user_record(tombstone.value).value();
      const Identity other = test_identity(1000 + i);
      forged.public_key = other.public_key();
      sign_user_record(forged, other);
      tombstone.value = encode_user_record(forged);
    }
    const auto op = sim.peer(from)->remove(tombstone);
    ASSERT_TRUE(op.has_value());
    which[{from, *op}] = i;
    sim.run_for(5ms);
  }
  sim.run_for(10s);
  for (const auto& [id, index] : which) {
    ASSERT_TRUE(tally.results.count(id));
    EXPECT_EQ(tally.results[id].status, index % 2 == 0 ? DhtStatus::ok : DhtStatus::bad_record);
  }
  sim.on_dht = nullptr;
  sim.run_for(30s);  // several replication periods: nothing may bring a removed record back
  std::size_t copies_left = 0, copies_kept = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    for (NodeIndex node : nodes) {
      const bool held = sim.peer(node)->records().get(records[i].key, sim.now()) != nullptr;
      (i % 2 == 0 ? copies_left : copies_kept) += held ? 1u : 0u;
    }
  }
  EXPECT_EQ(copies_left, 0u);
  EXPECT_GE(copies_kept, records.size() / 2 * 4);  // primary and k = 3 replicas each
  const GetOutcome outcome = get_all(sim, nodes, records, random);
  EXPECT_EQ(outcome.not_found, records.size() / 2);
  EXPECT_EQ(outcome.right, records.size() / 2);
}

// A lookup named a node the owner of a key that is its predecessor's: the node before
// that predecessor has a stale successor list that skips it (moments after joins). Its
// own get must not report the record missing (chordnode showed this as "/chat bob"
// failing with "not found" right after "/find bob" found him, about once in 50 runs of
// ChordnodeProcesses under load), nor may its put store the record here. Built by hand:
// A -> C in A's list, while C's predecessor is B, which holds the record.
TEST(SimDht, AnOwnerNamedThroughAStaleListDefersToItsPredecessor) {
  const std::uint64_t seed = 1430;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(dht_config(seed));
  // Two records whose keys are k1 then k2 clockwise (the shorter way round); the nodes are
  // placed close around them: A = k1 - d, B = k2 + d, C = k2 + 2d, so both keys are in
  // (A, B] and C follows B.
  Record first = test_record(sim, 0, 1, 3600000);
  Record second = test_record(sim, 1, 1, 3600000);
  if (first.key.distance_to(second.key) > second.key.distance_to(first.key)) {
    std::swap(first, second);
  }
  const NodeId d = NodeId::from_u64(1000);
  const NodeId key = first.key;
  const NodeId later_key = second.key;
  const NodeIndex a = sim.add_node(first.key.plus(d.distance_to(NodeId())));
  const NodeIndex b = sim.add_node(second.key.plus(d));
  const NodeIndex c = sim.add_node(second.key.plus(d).plus(d));
  const NodeIndex pair[] = {a, c};
  sim.build_ideal_ring(pair);
  const NodeIndex alone[] = {b};
  sim.build_ideal_ring(alone);  // B, a ring of one: every key is its own
  sim.set_maintenance_paused(true);
  DhtTally tally;
  tally.attach(sim);
  const auto put = sim.peer(b)->put(first);
  ASSERT_TRUE(put.has_value());
  sim.run_for(100ms);
  ASSERT_TRUE(tally.results.at({b, *put}).ok());
  // B tells C it is C's predecessor; A, its maintenance paused, keeps C as its successor.
  sim.peer(c)->on_message(sim.node(b)->self().endpoint, Notify{sim.node(b)->self().id});
  ASSERT_TRUE(sim.node(c)->predecessor().has_value());
  ASSERT_EQ(sim.node(c)->predecessor()->id, sim.node(b)->self().id);

  // C's get and put of keys in (A, B]: A names C their owner. Neither ends while the ring
  // disagrees (each waits and looks again), and C stores nothing.
  const auto get = sim.peer(c)->get(key);
  const auto misplaced = sim.peer(c)->put(second);
  ASSERT_TRUE(get.has_value());
  ASSERT_TRUE(misplaced.has_value());
  sim.run_for(300ms);
  EXPECT_EQ(tally.results.count({c, *get}), 0u)
      << "ended as " << static_cast<int>(tally.results.at({c, *get}).status);
  EXPECT_EQ(tally.results.count({c, *misplaced}), 0u);
  EXPECT_EQ(sim.peer(c)->records().size(), 0u);

  // Once maintenance runs, the ring takes B in, and both end well: the get with B's record,
  // the put at B.
  sim.set_maintenance_paused(false);
  sim.run_for(10s);
  ASSERT_EQ(tally.results.count({c, *get}), 1u);
  EXPECT_EQ(tally.results.at({c, *get}).status, DhtStatus::ok);
  EXPECT_EQ(tally.results.at({c, *get}).value, first.value);
  ASSERT_EQ(tally.results.count({c, *misplaced}), 1u);
  EXPECT_EQ(tally.results.at({c, *misplaced}).status, DhtStatus::ok);
  EXPECT_NE(sim.peer(b)->records().get(later_key, sim.now()), nullptr);
  EXPECT_TRUE(sim.health().ideal());
}

}  // namespace
}  // namespace chord::sim
