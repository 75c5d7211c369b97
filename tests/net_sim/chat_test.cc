// Users and chats on the simulated ring: registration, finding, delivery once and in
// order, failures reported, nothing left behind.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/net_sim/sim_test_util.h"

namespace chord::sim {
namespace {

using namespace testing;

SimConfig chat_config(std::uint64_t seed) {
  return uniform_latency_config(seed, 5ms, 50ms);
}

// Everything the users saw, per node.
struct ChatLog {
  std::map<NodeIndex, std::string> handles;  // registered
  std::map<std::pair<NodeIndex, std::uint64_t>, std::vector<std::uint64_t>> received;
  std::map<std::pair<NodeIndex, std::uint64_t>, std::vector<std::string>> texts;
  std::map<std::pair<NodeIndex, std::uint64_t>, std::set<std::uint64_t>> delivered, failed;
  std::map<std::pair<NodeIndex, std::uint64_t>, int> ended, opened, open_failed;
  std::map<NodeIndex, std::vector<ChatEvent>> finds;
  std::uint64_t hash = 0xcbf29ce484222325ULL;

  void attach(Simulator& sim) {
    sim.on_chat = [this](NodeIndex node, const ChatEvent& e) {
      hash =
          (hash ^ (static_cast<std::uint64_t>(e.kind) + e.seq * 31 + e.chat_id)) * 0x100000001b3ULL;
      const auto key = std::make_pair(node, e.chat_id);
      switch (e.kind) {
        case ChatEventKind::registered:
          handles[node] = e.handle;
          break;
        case ChatEventKind::message:
          received[key].push_back(e.seq);
          texts[key].push_back(e.text);
          break;
        case ChatEventKind::delivered:
          delivered[key].insert(e.seq);
          break;
        case ChatEventKind::delivery_failed:
          failed[key].insert(e.seq);
          break;
        case ChatEventKind::ended:
          ++ended[key];
          break;
        case ChatEventKind::opened:
          ++opened[key];
          break;
        case ChatEventKind::open_failed:
          ++open_failed[key];
          break;
        case ChatEventKind::found:
        case ChatEventKind::not_found:
          finds[node].push_back(e);
          break;
        default:
          break;
      }
    };
  }
};

std::vector<NodeIndex> users_on_ring(Simulator& sim, std::size_t count, ChatLog& log) {
  std::vector<NodeIndex> nodes;
  for (std::size_t i = 0; i < count; ++i)
    nodes.push_back(sim.add_node());
  sim.build_ideal_ring(nodes);
  sim.run_for(2s);
  for (NodeIndex node : nodes) {
    EXPECT_TRUE(sim.peer(node)->chat().start_user(numbered("user", node)).has_value());
    sim.run_for(1ms);
  }
  sim.run_for(10s);
  EXPECT_EQ(log.handles.size(), count);
  return nodes;
}

struct Pair {
  NodeIndex from, to;
  std::uint64_t chat_id = 0;
};

std::vector<Pair> random_pairs(const std::vector<NodeIndex>& nodes, SimRandom& random) {
  const std::vector<NodeIndex> order = shuffled(nodes, random);
  std::vector<Pair> pairs;
  for (std::size_t i = 0; i + 1 < order.size(); i += 2)
    pairs.push_back({order[i], order[i + 1]});
  return pairs;
}

TEST(SimChat, ThousandUsersChatInPairsEveryMessageOnceAndInOrder) {
  const std::uint64_t seed = 2000;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(chat_config(seed));
  SimRandom random(seed);
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, small_scale() ? 200 : 1000, log);
  auto pairs = random_pairs(nodes, random);
  constexpr std::uint64_t messages = 10;
  for (Pair& pair : pairs) {
    const auto chat = sim.peer(pair.from)->chat().open_chat(log.handles[pair.to]);
    ASSERT_TRUE(chat.has_value());
    pair.chat_id = *chat;
    for (std::uint64_t m = 1; m <= messages; ++m) {  // queued while the chat opens
      ASSERT_TRUE(sim.peer(pair.from)->chat().send(pair.chat_id, numbered("m", m)).has_value());
    }
  }
  sim.run_for(30s);
  for (const Pair& pair : pairs) {
    const auto key_in = std::make_pair(pair.to, pair.chat_id);
    const auto key_out = std::make_pair(pair.from, pair.chat_id);
    std::vector<std::uint64_t> expected(messages);
    for (std::uint64_t m = 0; m < messages; ++m)
      expected[m] = m + 1;
    EXPECT_EQ(log.received[key_in], expected) << "chat " << pair.chat_id;
    ASSERT_FALSE(log.texts[key_in].empty());
    EXPECT_EQ(log.texts[key_in].front(), "m1");
    EXPECT_EQ(log.delivered[key_out].size(), messages);
    EXPECT_TRUE(log.failed[key_out].empty());
    EXPECT_EQ(log.opened[key_out], 1);
    EXPECT_EQ(log.opened[key_in], 1);
  }
  // Either side ends: the other is told.
  for (const Pair& pair : pairs)
    sim.peer(pair.to)->chat().end_chat(pair.chat_id);
  sim.run_for(5s);
  for (const Pair& pair : pairs) {
    EXPECT_EQ(log.ended[std::make_pair(pair.from, pair.chat_id)], 1);
    EXPECT_EQ(sim.peer(pair.from)->chat().chats(), 0u);
  }
}

TEST(SimChat, WithTenPercentCrashingEveryMessageIsDeliveredOrReportedFailed) {
  const std::uint64_t seed = 2100;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(chat_config(seed));
  SimRandom random(seed);
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, small_scale() ? 200 : 1000, log);
  auto pairs = random_pairs(nodes, random);
  for (Pair& pair : pairs) {
    pair.chat_id = *sim.peer(pair.from)->chat().open_chat(log.handles[pair.to]);
  }
  constexpr std::uint64_t messages = 20;
  std::set<NodeIndex> crashed;
  std::map<std::pair<NodeIndex, std::uint64_t>, std::uint64_t> sent;
  for (std::uint64_t m = 1; m <= messages; ++m) {
    for (const Pair& pair : pairs) {
      PeerNode* peer = sim.peer(pair.from);
      if (peer == nullptr || peer->chat().chats() == 0) continue;  // crashed, or chat over
      if (peer->chat().send(pair.chat_id, numbered("m", m))) {
        ++sent[{pair.from, pair.chat_id}];
      }
    }
    sim.run_for(500ms);
    if (m == messages / 2) {  // midway: 10% of the nodes crash
      for (std::size_t i = 0; i < nodes.size() / 10; ++i) {
        const NodeIndex victim = nodes[random.uniform(nodes.size())];
        crashed.insert(victim);
        sim.crash(victim);
      }
    }
  }
  sim.run_for(60s);  // bounded: retries_max rounds of retry_timeout
  std::size_t both_alive = 0;
  for (const Pair& pair : pairs) {
    if (crashed.count(pair.from)) continue;  // its user is gone; nobody to tell
    const auto out = std::make_pair(pair.from, pair.chat_id);
    const std::uint64_t count = sent[out];
    // Every message: delivered or failed, never both, never neither.
    for (std::uint64_t seq = 1; seq <= count; ++seq) {
      EXPECT_NE(log.delivered[out].count(seq), log.failed[out].count(seq))
          << "chat " << pair.chat_id << " seq " << seq;
    }
    if (crashed.count(pair.to)) {
      // No chat hangs: it ended (timed out) and reported what it could not deliver.
      EXPECT_EQ(log.ended[out], 1) << "chat " << pair.chat_id;
      EXPECT_EQ(sim.peer(pair.from)->chat().chats(), 0u);
      continue;
    }
    ++both_alive;
    std::vector<std::uint64_t> expected(count);
    for (std::uint64_t m = 0; m < count; ++m)
      expected[m] = m + 1;
    EXPECT_EQ(log.received[std::make_pair(pair.to, pair.chat_id)], expected);
    EXPECT_EQ(log.delivered[out].size(), count);
  }
  EXPECT_GT(both_alive, pairs.size() / 2);
  std::printf(
      "[ chat ] %zu users in %zu chats, 10%% of nodes crashed midway: %zu chats with "
      "both ends alive delivered everything once in order; every other message was "
      "reported delivered or failed\n",
      nodes.size(), pairs.size(), both_alive);
}

TEST(SimChat, LostMessagesAreResentAndStillDeliveredOnceInOrder) {
  const std::uint64_t seed = 2050;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(chat_config(seed));
  SimRandom random(seed);
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, 100, log);
  sim.set_loss(0.1);  // one message in ten lost, in both directions, ring traffic too
  auto pairs = random_pairs(nodes, random);
  constexpr std::uint64_t messages = 30;
  for (Pair& pair : pairs) {
    pair.chat_id = *sim.peer(pair.from)->chat().open_chat(log.handles[pair.to]);
    for (std::uint64_t m = 1; m <= messages; ++m) {
      ASSERT_TRUE(sim.peer(pair.from)->chat().send(pair.chat_id, numbered("m", m)).has_value());
    }
  }
  sim.run_for(60s);
  std::vector<std::uint64_t> expected(messages);
  for (std::uint64_t m = 0; m < messages; ++m)
    expected[m] = m + 1;
  for (const Pair& pair : pairs) {
    EXPECT_EQ(log.received[std::make_pair(pair.to, pair.chat_id)], expected);
    EXPECT_EQ(log.delivered[std::make_pair(pair.from, pair.chat_id)].size(), messages);
  }
  EXPECT_GT(sim.counters().messages_lost, 0u);
}

TEST(SimChat, ReceiverOfACrashedOpenerEndsTheChatWithinTheIdleTimeout) {
  const std::uint64_t seed = 2060;
  SCOPED_TRACE(replay_hint(seed));
  SimConfig config = chat_config(seed);
  Simulator sim(config);
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, 30, log);
  const auto chat = sim.peer(nodes[1])->chat().open_chat(log.handles[nodes[2]]);
  ASSERT_TRUE(chat.has_value());
  sim.run_for(5s);
  ASSERT_EQ(sim.peer(nodes[2])->chat().chats(), 1u);
  sim.crash(nodes[1]);
  sim.run_for(config.chat.idle_timeout + config.chat.keepalive_period + 5s);
  EXPECT_EQ(sim.peer(nodes[2])->chat().chats(), 0u);
  EXPECT_EQ(log.ended[std::make_pair(nodes[2], *chat)], 1);
}

TEST(SimChat, ChatClosedUnderLossEndsOnBothSides) {
  const std::uint64_t seed = 2070;
  SCOPED_TRACE(replay_hint(seed));
  SimConfig config = chat_config(seed);
  Simulator sim(config);
  SimRandom random(seed);
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, 60, log);
  auto pairs = random_pairs(nodes, random);
  for (Pair& pair : pairs)
    pair.chat_id = *sim.peer(pair.from)->chat().open_chat(log.handles[pair.to]);
  sim.run_for(10s);
  sim.set_loss(0.3);
  for (const Pair& pair : pairs)
    sim.peer(pair.from)->chat().end_chat(pair.chat_id);
  sim.run_for(config.chat.idle_timeout + 2 * config.chat.keepalive_period);
  for (const Pair& pair : pairs) {
    EXPECT_EQ(sim.peer(pair.to)->chat().chats(), 0u) << "chat " << pair.chat_id;
    EXPECT_EQ(log.ended[std::make_pair(pair.to, pair.chat_id)], 1);
  }
}

TEST(SimChat, OpeningAChatWithAnAbsentUserFailsClearly) {
  Simulator sim(chat_config(2080));
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, 1, log);  // one node: the lookup answers at once
  const auto chat = sim.peer(nodes[0])->chat().open_chat("bob#aaaaaaaaaaaa");
  ASSERT_TRUE(chat.has_value());
  sim.run_for(10s);
  EXPECT_EQ(log.open_failed[std::make_pair(nodes[0], *chat)], 1);
  EXPECT_EQ(sim.peer(nodes[0])->chat().chats(), 0u);
}

TEST(SimChat, TheApplicationMayEndAChatFromInsideItsEvents) {
  Simulator sim(chat_config(2090));
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, 10, log);
  const auto chat = sim.peer(nodes[1])->chat().open_chat(log.handles[nodes[2]]);
  ASSERT_TRUE(chat.has_value());
  for (int m = 1; m <= 5; ++m)
    (void)sim.peer(nodes[1])->chat().send(*chat, numbered("m", static_cast<std::uint64_t>(m)));
  int messages = 0;
  sim.on_chat = [&](NodeIndex node, const ChatEvent& e) {
    if (e.kind == ChatEventKind::message && node == nodes[2]) {
      ++messages;
      sim.peer(node)->chat().end_chat(e.chat_id);  // re-entrant: from inside the event
    }
  };
  sim.run_for(20s);
  EXPECT_EQ(messages, 1);
  EXPECT_EQ(sim.peer(nodes[2])->chat().chats(), 0u);
  EXPECT_EQ(sim.peer(nodes[1])->chat().chats(), 0u);
}

TEST(SimChat, EndedSessionLeavesNoRecordOnAnyReplicaAndFindSaysNotFound) {
  const std::uint64_t seed = 2200;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(chat_config(seed));
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, 60, log);
  sim.run_for(10s);  // replicas in place
  const NodeIndex leaver = nodes[17];
  const NodeId key = NodeId::hash_of(log.handles[leaver]);
  std::size_t holders = 0;
  for (NodeIndex node : nodes)
    holders += sim.peer(node)->records().get(key, sim.now()) ? 1u : 0u;
  EXPECT_EQ(holders, 4u);  // the primary and k = 3 replicas
  sim.peer(leaver)->chat().end_user();
  sim.run_for(20s);
  holders = 0;
  for (NodeIndex node : nodes)
    holders += sim.peer(node)->records().get(key, sim.now()) ? 1u : 0u;
  EXPECT_EQ(holders, 0u);
  ASSERT_TRUE(sim.peer(nodes[3])->chat().find_user(log.handles[leaver]).has_value());
  ASSERT_TRUE(sim.peer(nodes[3])->chat().find_user("nobody#aaaaaaaaaaaa").has_value());
  sim.run_for(5s);
  ASSERT_EQ(log.finds[nodes[3]].size(), 2u);
  EXPECT_EQ(log.finds[nodes[3]][0].kind, ChatEventKind::not_found);
  EXPECT_EQ(log.finds[nodes[3]][1].kind, ChatEventKind::not_found);
  ASSERT_TRUE(sim.peer(nodes[3])->chat().find_user(log.handles[nodes[40]]).has_value());
  sim.run_for(5s);
  ASSERT_EQ(log.finds[nodes[3]].size(), 3u);
  EXPECT_EQ(log.finds[nodes[3]][2].kind, ChatEventKind::found);
  EXPECT_EQ(log.finds[nodes[3]][2].endpoint, sim.endpoint_of(nodes[40]));
}

TEST(SimChat, CrashedUsersRecordExpiresAfterItsLease) {
  const std::uint64_t seed = 2300;
  SCOPED_TRACE(replay_hint(seed));
  Simulator sim(chat_config(seed));
  ChatLog log;
  log.attach(sim);
  const auto nodes = users_on_ring(sim, 40, log);
  const NodeId key = NodeId::hash_of(log.handles[nodes[5]]);
  sim.crash(nodes[5]);
  sim.run_for(45s);  // registered about 10 s before the crash, with a 60 s lease: still there
  std::size_t holders = 0;
  for (NodeIndex node : nodes) {
    if (sim.peer(node)) holders += sim.peer(node)->records().get(key, sim.now()) ? 1u : 0u;
  }
  EXPECT_GT(holders, 0u);
  sim.run_for(40s);  // past the lease
  holders = 0;
  for (NodeIndex node : nodes) {
    if (sim.peer(node)) holders += sim.peer(node)->records().get(key, sim.now()) ? 1u : 0u;
  }
  EXPECT_EQ(holders, 0u);
  // Live users' records never expire: they are renewed.
  const NodeId live = NodeId::hash_of(log.handles[nodes[6]]);
  std::size_t live_holders = 0;
  for (NodeIndex node : nodes) {
    if (sim.peer(node)) live_holders += sim.peer(node)->records().get(live, sim.now()) ? 1u : 0u;
  }
  EXPECT_GE(live_holders, 1u);
}

// Each user registers the moment its node is a member, while new nodes keep arriving 100 ms
// apart: the owner a lookup names (from a successor list not yet refreshed) may not have
// learnt of the newest node and refuse the put (not responsible). The put waits for the
// ring to settle and asks again, and a refusal that passes is not shown to the user. (The
// real chordnode said "could not register" at startup before.)
struct Registrations {
  std::size_t users = 0, registered = 0, refused = 0;
  Duration slowest{0};
};

Registrations register_while_joining(Duration backoff, Duration patience) {
  SimConfig config = chat_config(20);
  config.dht.retry_backoff = backoff;
  config.chat.register_patience = patience;
  Simulator sim(config);
  Registrations out;
  std::map<NodeIndex, Time> started;
  sim.on_chat = [&](NodeIndex node, const ChatEvent& e) {
    if (e.kind == ChatEventKind::register_failed) ++out.refused;
    if (e.kind != ChatEventKind::registered) return;
    ++out.registered;
    out.slowest = std::max(out.slowest, sim.now() - started.at(node));
  };
  SimRandom random(5);
  std::vector<NodeIndex> nodes{sim.add_node()};
  sim.create_ring(nodes[0]);
  auto run_and_start_users = [&](int steps) {  // 10 ms steps
    for (int step = 0; step < steps; ++step) {
      sim.run_for(10ms);
      for (NodeIndex n : nodes) {
        if (started.count(n) == 0 && sim.peer(n)->chord().phase() == ChordNode::Phase::member) {
          started[n] = sim.now();
          EXPECT_TRUE(sim.peer(n)->chat().start_user(numbered("user", n)).has_value());
        }
      }
    }
  };
  const std::size_t count = small_scale() ? 40 : 120;
  for (std::size_t i = 1; i < count; ++i) {
    const NodeIndex node = sim.add_node();
    const NodeIndex via[] = {nodes[random.uniform(nodes.size())]};
    sim.join(node, via);
    nodes.push_back(node);
    run_and_start_users(10);
  }
  run_and_start_users(500);  // the last joiners
  sim.run_for(20s);
  out.users = started.size();
  return out;
}

TEST(SimChat, UsersRegisteringAsTheirNodesJoinAGrowingRingAreNotToldOfPassingRefusals) {
  const Registrations settled =
      register_while_joining(DhtConfig{}.retry_backoff, ChatConfig{}.register_patience);
  EXPECT_EQ(settled.users, small_scale() ? 40u : 120u);
  EXPECT_EQ(settled.registered, settled.users);
  EXPECT_EQ(settled.refused, 0u);
  EXPECT_LT(settled.slowest, ChatConfig{}.register_patience) << "settled within the patience";
  // Immediate retries, every failure shown: the same run does meet stale owners, so the
  // test can tell.
  const Registrations eager = register_while_joining(0ms, 0ms);
  EXPECT_GT(eager.refused, 0u);
  EXPECT_EQ(eager.registered, eager.users);  // retried until registered, either way
}

TEST(SimChat, SameSeedSameChatEvents) {
  auto run = [](std::uint64_t seed) {
    Simulator sim(chat_config(seed));
    SimRandom random(seed);
    ChatLog log;
    log.attach(sim);
    const auto nodes = users_on_ring(sim, 50, log);
    auto pairs = random_pairs(nodes, random);
    for (Pair& pair : pairs) {
      pair.chat_id = *sim.peer(pair.from)->chat().open_chat(log.handles[pair.to]);
      (void)sim.peer(pair.from)->chat().send(pair.chat_id, "hello");
    }
    sim.run_for(20s);
    return std::make_pair(log.hash, sim.trace_hash());
  };
  EXPECT_EQ(run(2400), run(2400));
  EXPECT_NE(run(2400).second, run(2401).second);
}

}  // namespace
}  // namespace chord::sim
