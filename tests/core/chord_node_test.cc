// ChordNode against a scripted runtime: messy timing, one message at a time.
#include "core/chord_node.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "core/peer_node.h"
#include "core/user_record.h"

namespace chord {
namespace {

using namespace std::chrono_literals;

class ScriptedRuntime : public Runtime {
 public:
  Time now() const override { return now_; }
  std::int64_t wall_clock_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now_.time_since_epoch()).count();
  }
  void send(const Endpoint& to, Message&& message) override {
    sent.push_back({to, std::move(message)});
  }
  void send_private(const Endpoint& to, const PublicKey&, Message&& message) override {
    sent.push_back({to, std::move(message)});
  }
  void set_timer(TimerKind kind, Time at) override { timers[kind] = at; }
  void cancel_timer(TimerKind kind) override { timers.erase(kind); }
  std::uint64_t random() override {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    return z ^ (z >> 27);
  }
  void report(const LookupResult& result) override { reports.push_back(result); }
  void notice(NodeNotice notice) override { notices.push_back(notice); }
  void report_dht(const DhtResult& result) override { dht_reports.push_back(result); }
  void report_chat(const ChatEvent&) override {}

  void advance(Duration by) { now_ += by; }
  // The last message sent of type T, and to whom.
  template <typename T>
  std::pair<Endpoint, T> last() const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
      if (const T* m = std::get_if<T>(&it->second)) return {it->first, *m};
    }
    ADD_FAILURE() << "no such message sent";
    return {};
  }
  template <typename T>
  std::size_t count() const {
    std::size_t n = 0;
    for (const auto& [to, m] : sent)
      n += std::holds_alternative<T>(m) ? 1u : 0u;
    return n;
  }

  std::vector<std::pair<Endpoint, Message>> sent;
  std::map<TimerKind, Time> timers;
  std::vector<LookupResult> reports;
  std::vector<NodeNotice> notices;
  std::vector<DhtResult> dht_reports;

 private:
  Time now_{std::chrono::seconds(100)};
  std::uint64_t state_ = 1;
};

Peer peer(unsigned value) {
  NodeId::Bytes bytes{};
  bytes[0] = static_cast<std::uint8_t>(value);
  return {NodeId(bytes), Endpoint::ipv4({127, 0, 0, static_cast<std::uint8_t>(value)}, 4000)};
}

class ChordNodeTiming : public ::testing::Test {
 protected:
  ChordNodeTiming() : node(config, runtime, peer(50)) {
    const Peer successors[] = {peer(60), peer(70), peer(80)};
    node.install_state(peer(40), successors, {});
  }
  // Runs one stabilize round up to its first GetState request; returns its id.
  RequestId start_stabilize() {
    node.on_timer(TimerKind::stabilize);
    const auto [to, request] = runtime.last<GetStateRequest>();
    EXPECT_EQ(to, peer(60).endpoint);
    return request.request_id;
  }
  GetStateReply state_reply(RequestId id, std::initializer_list<unsigned> successors,
                            std::optional<unsigned> predecessor = std::nullopt) {
    GetStateReply reply{id, StateStatus::ok, std::nullopt, {}};
    if (predecessor) reply.predecessor = peer(*predecessor);
    for (unsigned s : successors)
      reply.successors.push_back(peer(s));
    return reply;
  }
  std::vector<NodeId> successor_ids() const {
    std::vector<NodeId> ids;
    for (const Peer& p : node.successors())
      ids.push_back(p.id);
    return ids;
  }

  ChordConfig config;
  ScriptedRuntime runtime;
  ChordNode node;
};

TEST_F(ChordNodeTiming, ReplyAfterItsTimeoutIsIgnored) {
  const RequestId id = start_stabilize();
  runtime.advance(config.rpc_timeout + 1ms);
  node.on_timer(TimerKind::deadlines);  // 60 is declared dead: the next head is read
  EXPECT_EQ(successor_ids(), (std::vector<NodeId>{peer(70).id, peer(80).id}));
  EXPECT_EQ(runtime.last<GetStateRequest>().first, peer(70).endpoint);
  // 60's answer arrives late: it must not resurrect anything.
  node.on_message(peer(60).endpoint, state_reply(id, {65, 70, 80}, 50));
  EXPECT_EQ(successor_ids(), (std::vector<NodeId>{peer(70).id, peer(80).id}));
}

TEST_F(ChordNodeTiming, DuplicateReplyIsAppliedOnce) {
  const RequestId id = start_stabilize();
  node.on_message(peer(60).endpoint, state_reply(id, {70, 80, 90}, 50));
  EXPECT_EQ(successor_ids(),
            (std::vector<NodeId>{peer(60).id, peer(70).id, peer(80).id, peer(90).id}));
  const std::size_t sent = runtime.sent.size();
  const std::size_t pending = node.pending_rpcs();
  // The same reply again, now saying something else: ignored, nothing sent.
  node.on_message(peer(60).endpoint, state_reply(id, {61, 62}, 55));
  EXPECT_EQ(successor_ids(),
            (std::vector<NodeId>{peer(60).id, peer(70).id, peer(80).id, peer(90).id}));
  EXPECT_EQ(runtime.sent.size(), sent);
  EXPECT_EQ(node.pending_rpcs(), pending);
}

TEST_F(ChordNodeTiming, ReplyFromAnotherNodeThanAskedIsIgnored) {
  const RequestId id = start_stabilize();
  const std::size_t pending = node.pending_rpcs();
  // Someone else answers with the right request id: ignored, the request stays pending.
  node.on_message(peer(99).endpoint, state_reply(id, {99}, 98));
  EXPECT_EQ(node.pending_rpcs(), pending);
  EXPECT_EQ(successor_ids(), (std::vector<NodeId>{peer(60).id, peer(70).id, peer(80).id}));
  // The genuine answer is still taken.
  node.on_message(peer(60).endpoint, state_reply(id, {70, 80}, 50));
  EXPECT_EQ(node.pending_rpcs(), pending - 1);
}

TEST_F(ChordNodeTiming, ReplyOfTheWrongTypeIsIgnored) {
  const RequestId id = start_stabilize();
  const std::size_t pending = node.pending_rpcs();
  node.on_message(peer(60).endpoint, Pong{id});  // a pong cannot answer a GetState
  EXPECT_EQ(successor_ids(), (std::vector<NodeId>{peer(60).id, peer(70).id, peer(80).id}));
  EXPECT_EQ(node.pending_rpcs(), pending);  // still waiting: its timeout will still fire
  runtime.advance(config.rpc_timeout + 1ms);
  node.on_timer(TimerKind::deadlines);
  EXPECT_EQ(runtime.last<GetStateRequest>().first, peer(70).endpoint);  // stabilize went on
}

TEST_F(ChordNodeTiming, RequestsFromUnknownNodesAreServed) {
  node.on_message(peer(200).endpoint, GetStateRequest{77});
  const auto [to, reply] = runtime.last<GetStateReply>();
  EXPECT_EQ(to, peer(200).endpoint);
  EXPECT_EQ(reply.request_id, 77u);
  EXPECT_EQ(reply.status, StateStatus::ok);
  ASSERT_TRUE(reply.predecessor.has_value());
  EXPECT_EQ(reply.predecessor->id, peer(40).id);
  EXPECT_EQ(reply.successors.size(), 3u);
}

TEST_F(ChordNodeTiming, StateQueryPendingAnswersBusy) {
  (void)start_stabilize();
  node.on_message(peer(45).endpoint, GetStateRequest{5});
  EXPECT_EQ(runtime.last<GetStateReply>().second.status, StateStatus::busy);
  // A liveness ping is still answered at once.
  node.on_message(peer(45).endpoint, Ping{6});
  EXPECT_EQ(runtime.last<Pong>().second.request_id, 6u);
}

TEST_F(ChordNodeTiming, NotifyFromACloserNodeIsAdoptedAndAFartherOneIsChecked) {
  node.on_message(peer(45).endpoint, Notify{peer(45).id});
  ASSERT_TRUE(node.predecessor().has_value());
  EXPECT_EQ(node.predecessor()->id, peer(45).id);
  const std::size_t pings = runtime.count<Ping>();
  node.on_message(peer(30).endpoint, Notify{peer(30).id});  // farther: ping 45 first
  EXPECT_EQ(node.predecessor()->id, peer(45).id);
  EXPECT_EQ(runtime.count<Ping>(), pings + 1);
  EXPECT_EQ(runtime.last<Ping>().first, peer(45).endpoint);
  runtime.advance(config.rpc_timeout + 1ms);
  node.on_timer(TimerKind::deadlines);  // 45 did not answer: the notifier takes its place
  EXPECT_EQ(node.predecessor()->id, peer(30).id);
}

TEST_F(ChordNodeTiming, LeavingPredecessorIsReplacedOnlyOnceItsSuccessorAnswers) {
  node.on_message(peer(40).endpoint, Leave{peer(40).id, peer(30), {}});
  EXPECT_FALSE(node.predecessor().has_value());
  const auto [to, ping] = runtime.last<Ping>();
  EXPECT_EQ(to, peer(30).endpoint);
  node.on_message(peer(30).endpoint, Pong{ping.request_id});
  ASSERT_TRUE(node.predecessor().has_value());
  EXPECT_EQ(node.predecessor()->id, peer(30).id);
}

TEST_F(ChordNodeTiming, LookupReportsItsOwnerAndHops) {
  // Key 65 lies in (60, 70]: our own successor list names 70 as its owner, and the lookup
  // checks that 70 answers and owns it before reporting.
  NodeId::Bytes bytes{};
  bytes[0] = 65;
  const auto id = node.lookup(NodeId(bytes));
  ASSERT_TRUE(id.has_value());
  const auto [to, check] = runtime.last<GetStateRequest>();
  EXPECT_EQ(to, peer(70).endpoint);
  node.on_message(peer(70).endpoint, state_reply(check.request_id, {80}, 60));
  ASSERT_EQ(runtime.reports.size(), 1u);
  EXPECT_TRUE(runtime.reports[0].ok());
  EXPECT_EQ(runtime.reports[0].owner.id, peer(70).id);
  EXPECT_EQ(runtime.reports[0].hops, 1);
  EXPECT_EQ(runtime.reports[0].lookup_id, *id);
}

TEST_F(ChordNodeTiming, LookupWhoseOwnerAndCandidatesAreAllDeadFailsWithAReason) {
  NodeId::Bytes bytes{};
  bytes[0] = 200;  // beyond our successors: routed through them, all dead
  ASSERT_TRUE(node.lookup(NodeId(bytes)).has_value());
  for (int i = 0; i < 40 && runtime.reports.empty(); ++i) {
    runtime.advance(config.rpc_timeout + 1ms);
    node.on_timer(TimerKind::deadlines);
  }
  ASSERT_EQ(runtime.reports.size(), 1u);
  EXPECT_FALSE(runtime.reports[0].ok());
  EXPECT_EQ(runtime.reports[0].failure, LookupFailure::no_route);
  EXPECT_GT(runtime.reports[0].timeouts, 0);
}

TEST(ChordNodeBounds, AFullRpcTableRefusesRequestsWithoutGrowing) {
  ChordConfig config;
  config.pending_rpcs_max = 8;
  ScriptedRuntime runtime;
  ChordNode node(config, runtime, peer(50));
  const Peer successors[] = {peer(60), peer(70), peer(80)};
  const Peer fingers[] = {peer(100), peer(150), peer(200), peer(250)};
  node.install_state(peer(40), successors, fingers);
  std::size_t refused = 0;
  for (unsigned k = 0; k < 40; ++k) {  // lookups far away: each sends a request
    NodeId::Bytes bytes{};
    bytes[0] = static_cast<std::uint8_t>(90 + k * 4);
    bytes[19] = static_cast<std::uint8_t>(k);
    const auto started = node.lookup(NodeId(bytes));
    if (!started) {
      EXPECT_EQ(started.error().code, Errc::queue_full);
      ++refused;
    }
    EXPECT_LE(node.pending_rpcs(), std::size_t{config.pending_rpcs_max});
  }
  EXPECT_EQ(refused, 40u - config.pending_rpcs_max);  // refused at once, with a reason
  const std::size_t sent = runtime.count<FindSuccessorRequest>();
  EXPECT_LE(sent, std::size_t{config.pending_rpcs_max});  // the rest were refused, not sent
  for (int i = 0; i < 100 && node.pending_lookups() > 0; ++i) {
    runtime.advance(config.rpc_timeout + 1ms);
    node.on_timer(TimerKind::deadlines);
  }
  EXPECT_EQ(node.pending_lookups(), 0u);  // every lookup ended, with a reason
  std::size_t failed = 0;
  for (const LookupResult& r : runtime.reports)
    failed += r.ok() ? 0u : 1u;
  EXPECT_EQ(failed, runtime.reports.size());
  EXPECT_EQ(runtime.reports.size(), std::size_t{config.pending_rpcs_max});
}

TEST_F(ChordNodeTiming, LeftNodeAnswersNothing) {
  node.leave();
  EXPECT_EQ(node.phase(), ChordNode::Phase::left);
  EXPECT_GE(runtime.count<Leave>(), 2u);  // told its predecessor and successor
  const std::size_t sent = runtime.sent.size();
  node.on_message(peer(45).endpoint, GetStateRequest{1});
  node.on_message(peer(45).endpoint, Ping{2});
  node.on_timer(TimerKind::stabilize);
  EXPECT_EQ(runtime.sent.size(), sent);
}

// A node stores only records signed by the key their handle names: a put, a replica or a
// hand-over that fails the check is refused or dropped, an unsigned removal is refused, a
// replay of an older version is stale, and a signed tombstone removes the record and is
// copied to the replicas like one.
Identity identity_of(std::uint8_t n) {
  IdentitySeed seed{};
  seed.fill(n);
  return Identity::from_seed(seed);
}

Record signed_record(const Identity& signer, const PublicKey& claimed, std::uint64_t seq,
                     std::int64_t expires_ms, UserRecordKind kind = UserRecordKind::live) {
  UserRecord user;
  user.handle = handle_for("bob", claimed);
  user.endpoint = Endpoint::ipv4({127, 0, 0, 9}, 4000);
  user.public_key = signer.public_key();
  user.seq = seq;
  user.expires_ms = expires_ms;
  user.kind = kind;
  sign_user_record(user, signer);
  return Record{NodeId::hash_of(user.handle), 1, seq, 60000, encode_user_record(user)};
}

TEST(PeerNodeRecords, OnlyRecordsSignedByTheKeyOfTheirHandleAreStored) {
  ScriptedRuntime runtime;
  NodeConfig config;
  config.dht.replicas = 2;
  const Identity bob = identity_of(1);
  const Identity mallory = identity_of(2);
  const std::int64_t now_ms = runtime.wall_clock_ms();
  const Record genuine = signed_record(bob, bob.public_key(), 1, now_ms + 60000);
  // Place the node just after the key, so the key is in its range (pred, self].
  const NodeId one = NodeId::from_u64(1);
  const Peer self{genuine.key.plus(one), peer(50).endpoint};
  const Peer predecessor{genuine.key.plus(one.distance_to(NodeId())), peer(40).endpoint};
  const Peer successors[] = {{self.id.plus(one), peer(60).endpoint},
                             {self.id.plus(one).plus(one), peer(70).endpoint}};
  PeerNode node(config, runtime, self);
  node.chord().install_state(predecessor, successors, {});
  auto put = [&](RequestId id, const Record& record) {
    node.on_message(peer(99).endpoint, DhtPut{id, record});
    const auto [to, reply] = runtime.last<DhtPutReply>();
    EXPECT_EQ(reply.request_id, id);
    return reply.status;
  };

  EXPECT_EQ(put(1, genuine), DhtStatus::ok);
  EXPECT_EQ(runtime.count<RecordTransfer>(), 2u) << "copied to both replicas";
  const auto stored = [&] {
    const StoredRecord* record = node.records().get(genuine.key, runtime.now());
    return record == nullptr ? std::string("none") : record->value;
  };
  EXPECT_EQ(stored(), genuine.value);

  // Mallory signs a record for bob's handle with her own key: its id is not hers.
  EXPECT_EQ(put(2, signed_record(mallory, bob.public_key(), 5, now_ms + 60000)),
            DhtStatus::bad_record);
  // She cannot forge bob's signature either: his key in the record, hers signing.
  Record forged = signed_record(mallory, mallory.public_key(), 5, now_ms + 60000);
  auto fields = decode_user_record(forged.value).value();
  fields.handle = handle_for("bob", bob.public_key());
  fields.public_key = bob.public_key();
  forged.key = genuine.key;
  forged.value = encode_user_record(fields);  // mallory's signature, over other bytes
  EXPECT_EQ(put(3, forged), DhtStatus::bad_record);
  // Nor through replication, nor with an unsigned removal.
  RecordTransfer push{0, TransferKind::replica, {}};
  push.records.push_back(forged);
  node.on_message(peer(60).endpoint, push);
  node.on_message(peer(99).endpoint, DhtRemove{4, genuine.key, owner_token(bob.public_key())});
  EXPECT_EQ(runtime.last<DhtRemoveReply>().second.status, DhtStatus::bad_record);
  EXPECT_EQ(stored(), genuine.value);
  // Garbage, and an expired record, are refused too.
  Record garbage = genuine;
  garbage.value = "127.0.0.1:9";
  EXPECT_EQ(put(5, garbage), DhtStatus::bad_record);
  EXPECT_EQ(put(6, signed_record(bob, bob.public_key(), 7, now_ms - clock_skew_max_ms - 1)),
            DhtStatus::record_expired);
  EXPECT_EQ(put(6, signed_record(bob, bob.public_key(), 7,
                                 now_ms + user_record_lease_max_ms + clock_skew_max_ms + 1)),
            DhtStatus::record_expired)
      << "a clock far ahead is told apart from a forgery";

  // Bob's newer version replaces the record; a replay of the older one is stale.
  const Record newer = signed_record(bob, bob.public_key(), 2, now_ms + 60000);
  EXPECT_EQ(put(7, newer), DhtStatus::ok);
  EXPECT_EQ(put(8, genuine), DhtStatus::stale_version);
  EXPECT_EQ(stored(), newer.value);
  // His signed tombstone removes it, and goes to the replicas.
  const std::size_t transfers = runtime.count<RecordTransfer>();
  const Record tombstone =
      signed_record(bob, bob.public_key(), 3, now_ms + 60000, UserRecordKind::tombstone);
  EXPECT_EQ(put(9, tombstone), DhtStatus::ok);
  EXPECT_EQ(stored(), "none");
  EXPECT_EQ(runtime.count<RecordTransfer>(), transfers + 2);
  EXPECT_EQ(runtime.last<RecordTransfer>().second.records.front().value, tombstone.value);
  EXPECT_EQ(put(10, newer), DhtStatus::stale_version) << "a replayed record cannot come back";
}

}  // namespace
}  // namespace chord
