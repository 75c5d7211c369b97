// Signed records on a simulated ring with malicious nodes in it: a node that tries to
// overwrite, replay or delete another user's record is refused everywhere, and a storage
// node that returns a forged record is not believed.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/net_sim/sim_test_util.h"

namespace chord::sim {
namespace {

using namespace testing;

struct Users {
  std::map<NodeIndex, std::string> handles;
  std::vector<ChatEvent> finds;                       // found / not_found, in order
  std::map<NodeIndex, std::vector<ChatEvent>> chats;  // opened, open_failed, message, ended
  void attach(Simulator& sim) {
    sim.on_chat = [this](NodeIndex node, const ChatEvent& e) {
      if (e.kind == ChatEventKind::registered) handles[node] = e.handle;
      if (e.kind == ChatEventKind::found || e.kind == ChatEventKind::not_found) finds.push_back(e);
      if (e.kind == ChatEventKind::opened || e.kind == ChatEventKind::open_failed ||
          e.kind == ChatEventKind::message) {
        chats[node].push_back(e);
      }
    };
  }
  // The last chat event of `node` about `chat_id`.
  std::optional<ChatEvent> last(NodeIndex node, std::uint64_t chat_id) const {
    std::optional<ChatEvent> found;
    const auto it = chats.find(node);
    if (it == chats.end()) return found;
    for (const ChatEvent& e : it->second) {
      if (e.chat_id == chat_id) found = e;
    }
    return found;
  }
};

// A ring of `count` nodes where bob (on node 7) and alice (on node 20) are registered.
struct Ring {
  explicit Ring(std::uint64_t seed, std::size_t count = 40)
      : sim(uniform_latency_config(seed, 5ms, 50ms)) {
    users.attach(sim);
    for (std::size_t i = 0; i < count; ++i)
      nodes.push_back(sim.add_node());
    sim.build_ideal_ring(nodes);
    sim.run_for(2s);
    EXPECT_TRUE(sim.peer(bob())->chat().start_user("bob").has_value());
    EXPECT_TRUE(sim.peer(alice())->chat().start_user("alice").has_value());
    sim.run_for(10s);  // registered and replicated
    key = NodeId::hash_of(bob_handle());
  }
  NodeIndex bob() const { return nodes[7]; }
  NodeIndex alice() const { return nodes[20]; }
  const std::string& bob_handle() { return users.handles.at(bob()); }
  // The nodes holding a live copy of bob's record, and the copies.
  std::map<NodeIndex, std::string> holders() {
    std::map<NodeIndex, std::string> copies;
    for (NodeIndex node : nodes) {
      if (const StoredRecord* r = sim.peer(node)->records().get(key, sim.now())) {
        copies[node] = r->value;
      }
    }
    return copies;
  }
  // Alice looks bob up; returns what she was told.
  ChatEvent alice_finds_bob() {
    const std::size_t before = users.finds.size();
    EXPECT_TRUE(sim.peer(alice())->chat().find_user(bob_handle()).has_value());
    sim.run_for(10s);
    EXPECT_EQ(users.finds.size(), before + 1);
    return users.finds.empty() ? ChatEvent{} : users.finds.back();
  }

  Simulator sim;
  Users users;
  std::vector<NodeIndex> nodes;
  NodeId key;
};

// A record for `handle` with `claimed` as its public key, signed by `signer` (over the
// signer's own key, so the signature holds only when claimed is the signer's key).
UserRecord record_for(const std::string& handle, const PublicKey& claimed, const Identity& signer,
                      const Endpoint& endpoint, std::uint64_t seq, std::int64_t expires_ms,
                      UserRecordKind kind = UserRecordKind::live) {
  UserRecord user;
  user.handle = handle;
  user.endpoint = endpoint;
  user.public_key = signer.public_key();
  user.seq = seq;
  user.expires_ms = expires_ms;
  user.kind = kind;
  sign_user_record(user, signer);
  user.public_key = claimed;  // another's key in place of the signer's: the signature breaks
  return user;
}

TEST(SimSecurity, AMaliciousNodeCannotOverwriteReplayOrDeleteAnotherUsersRecord) {
  const std::uint64_t seed = 3000;
  SCOPED_TRACE(replay_hint(seed));
  Ring ring(seed);
  Simulator& sim = ring.sim;
  const auto first = ring.holders();
  ASSERT_EQ(first.size(), 4u) << "the primary and k = 3 replicas";
  const std::string old_value = first.begin()->second;
  sim.run_for(25s);  // bob renews (every 20 s): a newer version everywhere
  const auto renewed = ring.holders();
  ASSERT_EQ(renewed.size(), 4u);
  const std::string genuine = renewed.begin()->second;
  ASSERT_NE(genuine, old_value);
  const UserRecord bob = decode_user_record(genuine).value();

  // Mallory runs node 30, with her own key.
  const NodeIndex mallory = ring.nodes[30];
  const Identity key = test_identity(99);
  const Endpoint hers = sim.endpoint_of(mallory);
  const std::int64_t later = sim.wall_clock_ms() + 60000;
  std::map<std::uint64_t, DhtStatus> results;
  sim.on_dht = [&](NodeIndex node, const DhtResult& r) {
    if (node == mallory) results[r.operation_id] = r.status;
  };
  auto put = [&](const UserRecord& user, bool removal = false) {
    const Record record{ring.key, 1, user.seq, 60000, encode_user_record(user)};
    const auto op = removal ? sim.peer(mallory)->remove(record) : sim.peer(mallory)->put(record);
    EXPECT_TRUE(op.has_value());
    return op ? *op : 0;
  };
  // Overwrite: bob's handle, her endpoint, her key (the id is not hers) ...
  const auto own_key =
      put(record_for(ring.bob_handle(), key.public_key(), key, hers, bob.seq + 1, later));
  // ... or bob's key with her signature.
  const auto forged =
      put(record_for(ring.bob_handle(), bob.public_key, key, hers, bob.seq + 1, later));
  // Replay: bob's own, genuinely signed, older record.
  const Record replay{ring.key, 1, 1, 60000, old_value};
  const auto replayed = sim.peer(mallory)->put(replay);
  // Delete: a tombstone she signed, and an unsigned removal sent to every holder.
  const auto tombstone = put(record_for(ring.bob_handle(), bob.public_key, key, hers, bob.seq + 5,
                                        later, UserRecordKind::tombstone),
                             true);
  for (const auto& [holder, value] : renewed) {
    sim.peer(holder)->on_message(hers, DhtRemove{77, ring.key, owner_token(bob.public_key)});
    // And pushes of her record as a replica, straight to the holders.
    RecordTransfer push{0, TransferKind::replica, {}};
    push.records.push_back({ring.key, 1, bob.seq + 9, 60000,
                            encode_user_record(record_for(ring.bob_handle(), bob.public_key, key,
                                                          hers, bob.seq + 9, later))});
    sim.peer(holder)->on_message(hers, push);
  }
  // And bob's older record replayed straight to the holders, as a hand-over.
  const UserRecord old_record = decode_user_record(old_value).value();
  for (const auto& [holder, value] : renewed) {
    RecordTransfer stale{0, TransferKind::handover, {}};
    stale.records.push_back({ring.key, 1, old_record.seq, 60000, old_value});
    sim.peer(holder)->on_message(hers, stale);
  }
  sim.run_for(10s);
  ASSERT_TRUE(replayed.has_value());
  EXPECT_EQ(results.at(own_key), DhtStatus::bad_record);
  EXPECT_EQ(results.at(forged), DhtStatus::bad_record);
  EXPECT_EQ(results.at(*replayed), DhtStatus::stale_version);
  EXPECT_EQ(results.at(tombstone), DhtStatus::bad_record);

  // Every holder still has bob's genuine record (or a newer renewal of his), and alice
  // finds him where he is.
  const auto after = ring.holders();
  EXPECT_EQ(after.size(), 4u);
  for (const auto& [holder, value] : after) {
    const UserRecord held = decode_user_record(value).value();
    EXPECT_EQ(held.public_key, bob.public_key) << "holder " << holder;
    EXPECT_EQ(held.endpoint, sim.endpoint_of(ring.bob())) << "holder " << holder;
    EXPECT_GE(held.seq, bob.seq);
  }
  const ChatEvent found = ring.alice_finds_bob();
  EXPECT_EQ(found.kind, ChatEventKind::found);
  EXPECT_EQ(found.endpoint, sim.endpoint_of(ring.bob()));
}

TEST(SimSecurity, AForgedRecordFromAStorageNodeIsRejectedAndAReplicaAnswers) {
  const std::uint64_t seed = 3100;
  SCOPED_TRACE(replay_hint(seed));
  Ring ring(seed);
  Simulator& sim = ring.sim;
  const auto holders = ring.holders();
  ASSERT_EQ(holders.size(), 4u);
  ASSERT_EQ(holders.count(ring.alice()), 0u) << "alice must ask others (seed choice)";
  const UserRecord bob = decode_user_record(holders.begin()->second).value();
  const Identity evil = test_identity(66);
  const Endpoint elsewhere = Endpoint::parse("10.6.6.6:4500").value();
  // Liars answer every get of bob's record with a forgery: a record redirecting bob to
  // `elsewhere`, under bob's key but signed by another (or, for variety, under the
  // forger's own key).
  std::set<NodeIndex> liars;
  std::size_t forgeries = 0;
  sim.tamper = [&](NodeIndex from, const Endpoint&, Message& message) {
    auto* reply = std::get_if<DhtGetReply>(&message);
    if (reply == nullptr || liars.count(from) == 0) return;
    const PublicKey claimed = forgeries % 2 == 0 ? bob.public_key : evil.public_key();
    reply->status = DhtStatus::ok;
    reply->value = encode_user_record(record_for(ring.bob_handle(), claimed, evil, elsewhere,
                                                 bob.seq + 1, sim.wall_clock_ms() + 60000));
    ++forgeries;
  };
  // The primary lies: alice still gets bob's genuine record, from a replica.
  const NodeIndex primary = sim.oracle().owner_of(ring.key).second;
  ASSERT_EQ(holders.count(primary), 1u);
  liars.insert(primary);
  ChatEvent found = ring.alice_finds_bob();
  EXPECT_GE(forgeries, 1u) << "the liar was asked";
  EXPECT_EQ(found.kind, ChatEventKind::found);
  EXPECT_EQ(found.endpoint, sim.endpoint_of(ring.bob()));
  // Every holder lies: "not found", never the forgery.
  for (const auto& [holder, value] : holders)
    liars.insert(holder);
  forgeries = 0;
  found = ring.alice_finds_bob();
  EXPECT_GE(forgeries, 2u);
  EXPECT_EQ(found.kind, ChatEventKind::not_found);
}

// Somebody who knows bob#id but not bob's key answers at bob's endpoint (bob crashed and
// another node took his address): whatever it signs, or replays of bob's own earlier
// answers, alice's chat does not open, and she is told why. And nobody can open a chat
// to alice in bob's name.
TEST(SimSecurity, AnImpersonatorWithoutTheKeyCannotCompleteAChatHandshake) {
  const std::uint64_t seed = 3200;
  SCOPED_TRACE(replay_hint(seed));
  Ring ring(seed);
  Simulator& sim = ring.sim;
  const std::string bob_handle = ring.bob_handle();
  const NodeIndex bob = ring.bob();
  const NodeIndex alice = ring.alice();
  const PublicKey bob_key = decode_user_record(ring.holders().begin()->second).value().public_key;
  // A genuine chat first; its accept is kept for a replay.
  std::optional<ChatAccept> genuine_accept;
  sim.tamper = [&](NodeIndex from, const Endpoint&, Message& message) {
    if (const auto* accept = std::get_if<ChatAccept>(&message); accept && from == bob) {
      genuine_accept = *accept;
    }
  };
  const auto first = sim.peer(alice)->chat().open_chat(bob_handle);
  ASSERT_TRUE(first.has_value());
  sim.run_for(5s);
  ASSERT_EQ(ring.users.last(alice, *first)->kind, ChatEventKind::opened);
  ASSERT_TRUE(genuine_accept.has_value());
  sim.peer(alice)->chat().end_chat(*first);

  // Bob's node crashes and comes back as mallory's, at the same endpoint, with a user
  // "bob" of her own key (so another id), while bob's record still stands.
  sim.crash(bob);
  sim.restart(bob);
  const NodeIndex via[] = {ring.nodes[0]};
  sim.join(bob, via);
  sim.run_for(3s);
  ASSERT_TRUE(sim.peer(bob)->chat().start_user("bob").has_value());
  sim.run_for(2s);
  const Identity mallory = test_identity(77);
  // Her node answers alice's opens with an accept: signed by her, or bob's old one.
  bool replay = false;
  std::size_t answered = 0;
  sim.tamper = [&](NodeIndex from, const Endpoint&, Message& message) {
    const auto* refusal = std::get_if<ChatAck>(&message);
    if (from != bob || refusal == nullptr || refusal->seq != 0) return;
    ChatAccept forged{refusal->chat_id, mallory.sign(std::vector<std::uint8_t>{1, 2, 3})};
    if (replay) forged = ChatAccept{refusal->chat_id, genuine_accept->signature};
    message = forged;
    ++answered;
  };
  for (bool replayed : {false, true}) {
    replay = replayed;
    const auto chat = sim.peer(alice)->chat().open_chat(bob_handle);
    ASSERT_TRUE(chat.has_value());
    ASSERT_TRUE(sim.peer(alice)->chat().send(*chat, "for bob only").has_value());
    sim.run_for(5s);
    const auto last = ring.users.last(alice, *chat);
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->kind, ChatEventKind::open_failed) << (replayed ? "replay" : "forgery");
    EXPECT_EQ(last->status, DhtStatus::bad_record) << "alice is told the peer's key is wrong";
  }
  EXPECT_GE(answered, 2u);
  EXPECT_EQ(sim.peer(alice)->chat().chats(), 0u);

  // Mallory opens a chat to alice in bob's name: with her own key (whose id is not bob's),
  // or with bob's key and her signature. Alice's node refuses both; nothing opens there.
  bool claim_bobs_key = false;
  sim.tamper = [&](NodeIndex from, const Endpoint&, Message& message) {
    auto* open = std::get_if<ChatOpen>(&message);
    if (from != bob || open == nullptr) return;
    open->from_user = bob_handle;
    if (claim_bobs_key) open->from_key = bob_key;
  };
  const std::size_t alice_events = ring.users.chats[alice].size();
  for (bool claim : {false, true}) {
    claim_bobs_key = claim;
    const auto as_bob = sim.peer(bob)->chat().open_chat(ring.users.handles.at(alice));
    ASSERT_TRUE(as_bob.has_value());
    sim.run_for(5s);
    const auto refused = ring.users.last(bob, *as_bob);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->kind, ChatEventKind::open_failed) << (claim ? "bob's key" : "her key");
    EXPECT_EQ(refused->status, DhtStatus::bad_record);
  }
  EXPECT_EQ(ring.users.chats[alice].size(), alice_events) << "nothing opened at alice's";
}

}  // namespace
}  // namespace chord::sim
