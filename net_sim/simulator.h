// The simulator kernel: many ChordNodes in one thread, on a virtual clock.
//
// One event queue ordered by (virtual time, sequence); virtual time in microseconds; one
// seed, from which every node's generator and the network's are derived. No wall clock, no
// unseeded randomness, no iteration over unordered containers or pointers. Messages pass
// between nodes as structs (no encoding); their wire size is still accounted.
//
// A node's endpoint is a name derived from its index (10.x.y.z:4000), mapped back by
// arithmetic, never by a hash lookup. Crash drops a node's state and every message in
// flight to it; restart gives the same id a fresh state (a new incarnation).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "core/peer_node.h"
#include "net_sim/chunked_array.h"
#include "net_sim/event_queue.h"
#include "net_sim/flight_pool.h"
#include "net_sim/network_model.h"
#include "net_sim/oracle.h"
#include "net_sim/sim_random.h"

namespace chord::sim {

using NodeIndex = std::uint32_t;

struct SimConfig {
  std::uint64_t seed = 1;
  NetworkConfig network;
  ChordConfig chord;
  DhtConfig dht;
  ChatConfig chat;
};

// Counters the simulator keeps; every figure is deterministic for a scenario and seed.
struct SimCounters {
  std::uint64_t events = 0;  // messages delivered + live timers fired
  std::uint64_t messages_sent = 0;
  std::uint64_t bytes_sent = 0;  // wire size (encoded_frame_size) of every message sent
  std::uint64_t messages_delivered = 0;
  std::uint64_t messages_lost = 0;    // dropped by loss, partitions or dead receivers
  std::uint64_t lookups_done = 0;     // lookups of any purpose that completed
  std::uint64_t lookups_correct = 0;  // ... whose owner the oracle confirmed
  std::uint64_t lookups_wrong = 0;    // ... that named another owner
  std::uint64_t lookups_raced = 0;    // ... named an owner that was right but left or
                                      //     crashed while the answer travelled back
  std::uint64_t lookups_failed = 0;   // ended with a failure reason
  // Messages sent and their wire bytes, by message type (the variant index of Message).
  std::array<std::uint64_t, std::variant_size_v<Message>> messages_by_type{};
  std::array<std::uint64_t, std::variant_size_v<Message>> bytes_by_type{};
};

// One completed lookup with the oracle's verdict.
struct CheckedLookup {
  NodeIndex node = 0;
  LookupResult result;
  bool correct = false;  // owner == the oracle's owner when it completed
  // Not correct, but only because the owner departed during the lookup: it answered while
  // it was the key's owner (it precedes the oracle's owner), and left before the answer
  // reached the initiator. No protocol can avoid this race; it is counted apart.
  bool raced_departure = false;
};

class Simulator {
 public:
  explicit Simulator(const SimConfig& config);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // ---- Nodes ----

  // A node slot with an id drawn from the seed (or the given id), not yet started.
  // Room for `nodes` nodes in the arrays by node and in the oracle, taken once: arrays
  // that double as nodes join copy themselves, and the copies (both alive at once) set a
  // large run's peak memory. Pages not yet used cost no memory. Optional; no effect on
  // results.
  void reserve(std::size_t nodes);
  NodeIndex add_node();
  NodeIndex add_node(const NodeId& id);
  std::size_t node_count() const { return slots_.size(); }
  Endpoint endpoint_of(NodeIndex index) const;
  const NodeId& id_of(NodeIndex index) const { return slots_[index].id; }
  // The node's ring state, or nullptr if it is not running (crashed, left, never started).
  ChordNode* node(NodeIndex index);
  // The whole peer (ring and records), or nullptr if it is not running.
  PeerNode* peer(NodeIndex index);
  bool is_running(NodeIndex index) const { return slots_[index].node.has_value(); }

  void create_ring(NodeIndex index);
  // Gives a running node bootstrap endpoints for rejoins and ring checks.
  void set_bootstrap(NodeIndex index, std::span<const NodeIndex> bootstrap);
  void join(NodeIndex index, std::span<const NodeIndex> bootstrap);
  // Crash: the state is gone at once and messages to the node vanish.
  void crash(NodeIndex index);
  void leave(NodeIndex index);
  // A crashed or departed node comes back with its id and a fresh state (not joined).
  void restart(NodeIndex index);
  // Fast start: installs on `members` exactly the state joins and stabilization reach
  // (predecessor, r successors, the distinct fingers). The oracle checks it.
  void build_ideal_ring(std::span<const NodeIndex> members);

  // ---- Network ----

  // Puts node i in group groups[i]; messages between groups are dropped (also in flight).
  void partition(std::span<const std::uint8_t> groups);
  void heal();
  void set_loss(double probability) { config_.network.loss = probability; }
  void set_maintenance_paused(bool paused);

  // ---- Workload ----

  Result<std::uint64_t> lookup(NodeIndex index, const NodeId& key);
  // Called with every completed lookup and the oracle's verdict (tests, metrics).
  std::function<void(const CheckedLookup&)> on_lookup;
  // Called with every completed DHT operation, and the node that ran it.
  std::function<void(NodeIndex, const DhtResult&)> on_dht;
  // Called with every chat event, and the node whose user it concerns.
  std::function<void(NodeIndex, const ChatEvent&)> on_chat;
  // An adversary's hand on what nodes send (tests of malicious nodes): called with every
  // message a node sends, before it leaves; it may rewrite the message.
  std::function<void(NodeIndex from, const Endpoint& to, Message& message)> tamper;

  // ---- Running ----

  Time now() const { return now_; }
  // Runs every event due at or before `until`, then sets the clock to `until`.
  void run_until(Time until);
  void run_for(Duration duration) { run_until(now_ + duration); }
  // Runs until `predicate()` holds, checked every `interval`, or `limit` passes.
  // Returns the time it first held, or nullopt.
  std::optional<Time> run_until_true(const std::function<bool()>& predicate, Duration interval,
                                     Duration limit);

  // ---- Observation ----

  const Oracle& oracle();
  RingHealth health();
  const SimCounters& counters() const { return counters_; }
  // Virtual calendar time, what nodes' Runtime::wall_clock_ms says: a fixed date
  // (2026-01-01T00:00:00Z) plus the virtual clock, so signed expiries repeat run to run.
  static constexpr std::int64_t epoch_unix_ms = 1'767'225'600'000;
  std::int64_t wall_clock_ms() const {
    return epoch_unix_ms +
           std::chrono::duration_cast<std::chrono::milliseconds>(now_.time_since_epoch()).count();
  }
  // A hash of every event processed (time, node, type, message type): equal for equal runs.
  std::uint64_t trace_hash() const { return trace_hash_; }
  std::span<ChordNode* const> node_table();

 private:
  class NodeRuntime final : public Runtime {
   public:
    NodeRuntime(Simulator& simulator, NodeIndex index) : simulator_(simulator), index_(index) {}
    Time now() const override { return simulator_.now_; }
    std::int64_t wall_clock_ms() const override { return simulator_.wall_clock_ms(); }
    void send(const Endpoint& to, Message&& message) override;
    // No transport encryption in the simulator: the core's signature checks run, the key
    // is not needed here.
    void send_private(const Endpoint& to, const PublicKey&, Message&& message) override {
      send(to, std::move(message));
    }
    void set_timer(TimerKind kind, Time at) override;
    void cancel_timer(TimerKind kind) override;
    std::uint64_t random() override;
    void report(const LookupResult& result) override;
    void notice(NodeNotice notice) override;
    void report_dht(const DhtResult& result) override;
    void report_chat(const ChatEvent& event) override;

   private:
    Simulator& simulator_;
    NodeIndex index_;
  };

  struct Slot {
    Slot(Simulator& simulator, NodeIndex index, const NodeId& node_id)
        : runtime(simulator, index), id(node_id), random(0) {}
    NodeRuntime runtime;
    std::optional<PeerNode> node;
    NodeId id;
    std::uint32_t incarnation = 0;  // restarts so far (each has its own random seed)
    SimRandom random;
  };
  // What the kernel checks on every delivery, kept apart from the slots in a dense array:
  // whether the message was sent to the receiver's current incarnation (before it last
  // stopped: then it vanishes), and the receiver's partition group. 8 bytes: events are
  // numbered by the queue, so "sent before the stop" is "the delivery event's sequence
  // number is below the queue's next number at the stop" (56 bits: ample), and neither
  // the sender nor the receiver's entry is read when the message is sent.
  class Reach {
   public:
    std::uint64_t valid_from() const { return word_ & sequence_mask; }
    void set_valid_from(std::uint64_t sequence) {
      word_ = (word_ & ~sequence_mask) | (sequence & sequence_mask);
    }
    std::uint8_t group() const { return static_cast<std::uint8_t>(word_ >> 56); }
    void set_group(std::uint8_t group) {
      word_ = (word_ & sequence_mask) | (std::uint64_t{group} << 56);
    }

   private:
    static constexpr std::uint64_t sequence_mask = (std::uint64_t{1} << 56) - 1;
    std::uint64_t word_ = 0;
  };
  using TimerGenerations = std::array<std::uint32_t, timer_kinds>;

  std::optional<NodeIndex> index_of(const Endpoint& endpoint) const;
  void start(NodeIndex index);
  void stop(NodeIndex index);
  void process(const Event& event);
  // Starts loading what processing `event` will touch first (its node's slot, its
  // message), and then (once the slot is in) the lists the node points to.
  void prefetch(const Event& event) const;
  void prefetch_lists(const Event& event) const;
  // Which event after the one being processed run_until prefetches the slot of (ahead(4):
  // the fifth), and the lists of (the second).
  static constexpr std::size_t prefetch_slot_ahead = 4;
  static constexpr std::size_t prefetch_lists_ahead = 1;
  // Node `index` may have become or stopped being a live member: the oracle updates that
  // node alone when next asked (a full rebuild sorts every member: at 10^5 nodes joining
  // at 200 a second, it was three quarters of the run).
  void membership_changed(NodeIndex index);
  void record_departure(NodeIndex index);
  bool departed_since(const NodeId& id, Time since);
  void mix_trace(std::uint64_t value);

  SimConfig config_;
  NodeConfig node_config_;
  SimRandom network_random_;
  SimRandom id_random_;
  EventQueue queue_;
  // Stable addresses (each node holds a reference to its runtime), found by arithmetic.
  ChunkedArray<Slot, 10> slots_;
  std::vector<Reach> reach_;  // by node index
  bool partitioned_ = false;  // some group is not 0: deliveries compare groups
  std::vector<TimerGenerations> timer_generation_;  // by node index
  FlightPool flights_;
  std::vector<ChordNode*> table_;
  Oracle oracle_;
  // Recent departures (crash or leave), for judging lookups that raced one. Pruned after
  // the lookup timeout, so bounded by the departure rate.
  std::map<NodeId, Time> departed_;
  std::deque<std::pair<Time, NodeId>> departures_;
  bool oracle_dirty_ = true;                    // rebuild it all
  std::vector<Oracle::Member> oracle_changed_;  // else: update these (id, index) only
  bool paused_ = false;
  Time now_{};
  SimCounters counters_;
  std::uint64_t trace_hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace chord::sim
