// PeerNode: a whole chordchat peer as a state machine: the Chord ring (ChordNode), the DHT
// records it stores (RecordStore) and the DHT operations it runs for its user.
//
// Like ChordNode it touches nothing but the Runtime it is given, which must outlive it. It
// stands between that Runtime and its ChordNode (a decorator): the ring's timers and
// messages pass through, and the lookups the DHT starts come back here instead of going out.
//
// Records: the node responsible for a key (key in (predecessor, self]) stores it and copies
// it to its first k successors at once and every replicate_period; a replica whose primary
// crashed is served by the next node, which becomes responsible and re-replicates. A node
// that sees a new predecessor join between it and its old one hands that range over. On a
// graceful leave all records move to the successor. Leases are kept by every holder; a
// record not renewed by its owner expires everywhere. Removal is a signed tombstone, stored
// and replicated like a record until the removed record's lease would have run out.
//
// Every record is a signed UserRecord (core/user_record.h): a put, a replica or a hand-over
// is stored only if its signature and key check out (else bad_record; record_expired when
// only its expiry is out of this clock's range), and a get checks
// what it is given the same way: a holder that returns a forged record is skipped and the
// next holders (its successors, the replicas) are asked. A node that joined within handover_grace
// answers a miss by asking its successor, which held the range until then.
//
// Operations: put, get and remove look the key up, send the request to the owner found and
// retry with a fresh lookup when the owner is gone or says it is not responsible, up to
// attempts_max lookups. Every operation ends with one DhtResult through report_dht.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/chat.h"
#include "core/chord_node.h"
#include "core/record_store.h"
#include "core/small_vector.h"

namespace chord {

struct DhtConfig {
  std::uint32_t replicas = 3;  // k: copies beyond the primary
  std::uint32_t records_max = 10000;
  std::uint32_t value_bytes_max = record_value_bytes_max;
  Duration replicate_period = std::chrono::seconds(5);
  Duration lease_sweep_period = std::chrono::seconds(1);
  Duration request_timeout = std::chrono::seconds(1);
  std::uint32_t attempts_max = 4;  // lookups one operation may take
  // After an owner refuses (not responsible, not yet a member), the next attempt waits
  // this long, doubled at each attempt (0.5, 1, 2 s): the ring is settling after joins, and
  // asking again at once would meet the same stale successor lists.
  Duration retry_backoff = std::chrono::milliseconds(500);
  Duration handover_grace = std::chrono::seconds(10);
  std::uint32_t operations_max = 256;  // operations in progress; more get queue_full
};

struct NodeConfig {
  ChordConfig chord;
  DhtConfig dht;
  ChatConfig chat;
};

// Why `config` is unusable, or nullptr.
const char* validate(const NodeConfig& config);

class PeerNode {
 public:
  // REQUIRES: validate(config) == nullptr. `config` and `runtime` outlive the node.
  PeerNode(const NodeConfig& config, Runtime& runtime, const Peer& self);
  PeerNode(const PeerNode&) = delete;
  PeerNode& operator=(const PeerNode&) = delete;

  ChordNode& chord() { return chord_; }
  const ChordNode& chord() const { return chord_; }
  const RecordStore& records() const { return store_; }
  // Whether this node is the primary for `key`: (predecessor, self], or any key while it is
  // alone or does not know its predecessor yet (then the lookup that sent the key decides).
  bool responsible_for(const NodeId& key) const;
  // The user session and its chats, made on first use: most nodes of a large simulation
  // never host a user, and an idle ChatService is a tenth of a node's memory there.
  ChatService& chat();

  // Starts a DHT operation whose end goes back to the chat service with `purpose` and
  // `context` instead of to the runtime. Returns false if it could not start.
  bool start_tagged(DhtOperation kind, const Record& record, std::uint8_t purpose,
                    std::uint64_t context);

  // ---- API ----
  void create_ring() { chord_.create_ring(); }
  void join(std::span<const Endpoint> bootstrap) { chord_.join(bootstrap); }
  // Ends the user session (its record removed first), hands every record to the
  // successor, then leaves the ring; NodeNotice::left says when it is done.
  void leave();
  // Each returns the operation id its DhtResult will carry. Errors: queue_full, not_member.
  Result<std::uint64_t> put(const Record& record);
  Result<std::uint64_t> get(const NodeId& key);
  // Removal: `tombstone` is a signed UserRecord of kind tombstone, with a higher sequence
  // number than the record it removes.
  Result<std::uint64_t> remove(const Record& tombstone);

  // ---- Inputs ----
  // `channel_key`: the key the sender proved on the connection (a real node's TLS peer),
  // or nullptr where the transport proves none (the simulator). Chat messages whose
  // channel key is not the chat peer's are ignored.
  void on_message(const Endpoint& from, const Message& message,
                  const PublicKey* channel_key = nullptr);
  // The peer at `peer` did not prove `expected` on a private channel (TLS): chats with it
  // cannot go on (ChatService::on_identity_mismatch).
  void on_identity_mismatch(const Endpoint& peer, const PublicKey& expected);
  void on_timer(TimerKind kind);
  // A transport's hint (ChordNode::on_connection_lost).
  void on_connection_lost(const Endpoint& peer);

 private:
  // What the ring sees as its runtime: everything passes through to the real one, except
  // the results of the lookups this node started for DHT operations.
  class RingRuntime final : public Runtime {
   public:
    explicit RingRuntime(PeerNode& node) : node_(node) {}
    Time now() const override { return node_.runtime_.now(); }
    std::int64_t wall_clock_ms() const override { return node_.runtime_.wall_clock_ms(); }
    void send(const Endpoint& to, Message&& message) override {
      node_.runtime_.send(to, std::move(message));
    }
    void send_private(const Endpoint& to, const PublicKey& peer_key, Message&& message) override {
      node_.runtime_.send_private(to, peer_key, std::move(message));
    }
    void set_timer(TimerKind kind, Time at) override { node_.runtime_.set_timer(kind, at); }
    void cancel_timer(TimerKind kind) override { node_.runtime_.cancel_timer(kind); }
    std::uint64_t random() override { return node_.runtime_.random(); }
    void report(const LookupResult& result) override { node_.on_lookup_done(result); }
    void notice(NodeNotice notice) override { node_.on_notice(notice); }
    void report_dht(const DhtResult& result) override { node_.runtime_.report_dht(result); }
    void report_chat(const ChatEvent& event) override { node_.runtime_.report_chat(event); }

   private:
    PeerNode& node_;
  };

  struct Operation {
    std::uint64_t id = 0;
    DhtOperation kind = DhtOperation::get;
    Record record;                // put: the record; remove: the tombstone; get: the key
    std::uint64_t lookup_id = 0;  // the lookup in progress, or 0
    RequestId request_id = 0;     // the request in flight, or 0
    Peer target;                  // whom the request went to
    Time started;
    Time deadline;                 // of the request in flight
    Time retry_at = Time::max();   // the next attempt, after a refusal (retry_backoff)
    bool asked_successor = false;  // a get of a range we just took over: asked who held it
    std::uint8_t attempts = 0;
    // A get whose holder returned a forged record (or, after that, none) asks the next
    // holder: the successor of skip_past. At most `replicas` holders are skipped.
    std::optional<NodeId> skip_past;
    std::uint8_t skipped = 0;
    // A get this node forwards for a requester while it takes over a range (handover grace).
    std::optional<Endpoint> reply_to;
    RequestId reply_id = 0;
    std::uint8_t purpose = 0;  // 0: the user's; else the chat service's (ChatService::purpose_*)
    std::uint64_t context = 0;
  };

  void on_lookup_done(const LookupResult& result);
  void on_notice(NodeNotice notice);
  void after_input();  // reacts to a predecessor that changed during the input

  // Requests served.
  void on_put(const Endpoint& from, const DhtPut& request);
  void on_get(const Endpoint& from, const DhtGet& request);
  void on_remove(const Endpoint& from, const DhtRemove& request);
  void on_transfer(const Endpoint& from, const RecordTransfer& transfer);
  // Checks a record a peer sent (its signature, key and expiry, unless this store holds
  // the same bytes) and fills in its owner, version, lease cap and kind from the signed
  // value. bad_record or record_expired if it fails.
  DhtStatus admit(Record& record, RecordStore::Kind& kind) const;
  // admit, then store `record` as it proves itself (it is updated to what was stored).
  DhtStatus store_checked(Record& record);
  DhtStatus store_primary(const Record& record);

  // Operations run.
  Result<std::uint64_t> start(Operation operation);
  void attempt(Operation& operation);
  void send_operation_request(Operation& operation);
  void on_operation_reply(const Endpoint& from, RequestId id, DhtStatus status,
                          const std::string* value, std::uint32_t lease_ms);
  void refused(Operation& operation, DhtStatus status);
  std::optional<Peer> handover_source() const;
  void retry_or_finish(Operation& operation, DhtStatus status);
  void ask_next_holder(Operation& operation);
  void finish(std::uint64_t operation_id, DhtStatus status, const std::string& value = {},
              std::uint32_t lease_ms = 0);
  void expire_operations();
  void arm_deadlines();
  Operation* find_operation(std::uint64_t id);

  // Leaving.
  bool unregistering() const;
  void complete_leave();

  // Replication.
  void arm_store_timers();  // after a record was stored
  void replicate();
  void send_records(const Peer& to, TransferKind kind, const NodeId& from_key,
                    const NodeId& to_key);
  void replicate_one(const Record& record);

  const NodeConfig& config_;
  Runtime& runtime_;
  RingRuntime ring_runtime_;
  ChordNode chord_;
  RecordStore store_;
  std::unique_ptr<ChatService> chat_;  // see chat()
  SmallVector<Operation> operations_;
  std::uint64_t next_operation_id_ = 1;
  std::uint64_t attempting_ = 0;  // the operation whose lookup ChordNode::lookup is running
  RequestId next_request_id_;
  std::optional<NodeId> last_predecessor_;  // its id: what after_input compares
  Time joined_at_{};
  Time armed_deadline_ = Time::max();
  std::uint32_t replicate_factor_ = 1;  // the ring's backoff when replicate was last armed
  // The replicate and lease_sweep timers run only while we hold records: a node that holds
  // none has nothing to copy or expire, and an idle real node should not wake for it.
  bool replicate_armed_ = false;
  bool sweep_armed_ = false;
  bool leaving_ = false;  // leave() waits for the user's record to be removed
};

}  // namespace chord
