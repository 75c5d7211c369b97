// ChordNode: one Chord peer as a state machine (no sockets, no clocks, no threads).
//
// Inputs: on_message (a message arrived), on_timer (a timer fired), and the API calls
// (create_ring, join, leave, lookup). Outputs go only through the Runtime given at
// construction, which must outlive the node. Each input runs to completion.
//
// The ring maintenance follows P. Zave, "Reasoning about identifier spaces: How to make
// Chord correct" (IEEE TSE 2017) where it differs from the 2001 paper:
//   - join reads its new predecessor's successor list atomically (GetState) and starts with
//     the whole list, never with a lone successor;
//   - stabilize adopts the successor's list ([head] + butLast(head.list)) and, if the head's
//     predecessor lies between, that node's list after checking it answers; it notifies the
//     successor at the end of every round, whatever happened;
//   - a round that moved the successor to a closer node is followed at once by another
//     (not a period later), so walking back along a chain of k new nodes takes k round
//     trips rather than k periods;
//   - rectify on notify: adopt the notifier if it lies between, else keep the predecessor
//     unless a ping shows it dead;
//   - no pointer is adopted to a node that has not answered (lists are copied from a node
//     that just answered; a leaving node's neighbours ping the node they would adopt);
//   - a node whose own state query is pending answers GetState with "busy": its state is
//     undefined until the answer is applied.
//
// Small rings: a successor list holds min(r, N - 1) distinct nodes; lists are cut where
// they would wrap back to this node. Zave shows a ring is provably self-repairing only once
// it has r + 1 principal nodes; until then each stabilize round keeps re-reading the
// successor's list, so lists fill as the ring grows, and the simulator's oracle counts
// principals so tests know when the guarantee holds.
//
// Partitions: stabilization cannot merge two rings, so every check_ring_period a node
// looks its own id up through a remembered peer (or a bootstrap endpoint). If that ring
// names a successor closer than ours, we adopt it after it answers and notify it; rings
// zip together one link at a time. A node whose whole successor list is dead rejoins
// through remembered or bootstrap peers.
//
// Memory: the node holds its successor list, distinct fingers and remembered peers in
// PeerLists (28 bytes a peer, core/peer_list.h) sized to what the ring needs (not 160
// fingers, not successors_max), a bounded table of pending RPCs, and one timer slot per
// TimerKind in the runtime.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/chord_config.h"
#include "core/finger_table.h"
#include "core/messages.h"
#include "core/result.h"
#include "core/runtime.h"
#include "core/small_vector.h"

namespace chord {

class ChordNode {
 public:
  enum class Phase : std::uint8_t {
    idle,     // constructed; neither in a ring nor joining
    joining,  // looking up its place through bootstrap or remembered peers
    member,   // in a ring
    left,     // left gracefully; answers nothing
  };

  // REQUIRES: validate(config) == nullptr. `config` and `runtime` outlive the node.
  ChordNode(const ChordConfig& config, Runtime& runtime, const Peer& self);

  // ---- API calls ----

  // Starts a new ring of one node (the first node, or chordnode --new-ring).
  void create_ring();
  // Joins through `bootstrap` (tried in random order until one answers; any live node can
  // serve). Retries every join_retry_period, also through peers remembered from an
  // earlier membership. At most bootstrap_max endpoints are kept.
  void join(std::span<const Endpoint> bootstrap);
  // Leaves gracefully: tells predecessor and successor, then answers nothing.
  void leave();
  // Looks up the owner of `key`; the result comes back through Runtime::report with the
  // returned id. Errors: Errc::queue_full (too many lookups), Errc::timeout (not a member).
  Result<std::uint64_t> lookup(const NodeId& key);

  // ---- Inputs ----

  void on_message(const Endpoint& from, const Message& message);
  void on_timer(TimerKind kind);
  // A hint from a transport with connections: the one to `peer`, in use lately, ended
  // without a goodbye (its process may have died: TCP tells at once what a backed-off
  // ring's next round would find only a long period later). If it is our successor or
  // predecessor, check it now; a live one answers and nothing changes. The simulator has
  // no connections and never calls it.
  void on_connection_lost(const Endpoint& peer);

  // ---- Observation (oracle, /ring) ----

  Phase phase() const { return phase_; }
  const Peer& self() const { return self_; }
  const std::optional<Peer>& predecessor() const { return predecessor_; }
  const PeerList& successors() const { return successors_; }
  const PeerList& fingers() const { return fingers_.entries(); }
  std::size_t pending_rpcs() const { return rpcs_.size(); }
  std::size_t pending_lookups() const { return lookups_.size(); }

  // ---- Control (simulator, tests) ----

  // Installs the state joins and stabilization would reach, and starts the timers
  // (the simulator's documented fast start; the oracle checks the result).
  void install_state(const std::optional<Peer>& predecessor, std::span<const Peer> successors,
                     std::span<const Peer> fingers);
  // Replaces the bootstrap endpoints kept for rejoining and ring checks (a node started by
  // the simulator's fast start has none). At most bootstrap_max are kept.
  void set_bootstrap(std::span<const Endpoint> bootstrap);
  // While paused, periodic maintenance does nothing and lookups do not forget the nodes
  // that time out (ToN Table II: stabilization stopped, dead fingers kept).
  void set_maintenance_paused(bool paused) { maintenance_paused_ = paused; }

  // A hint for an embedder about to feed this node an input: starts loading what the input
  // reads first into the cache, so its misses overlap instead of following one another
  // (the simulator's events each touch a different node). `message` is the index in
  // Message of the message about to arrive, or nullopt for a timer. No effect on behaviour.
  void prefetch_state(std::optional<std::size_t> message = std::nullopt) const;

  static constexpr std::size_t bootstrap_max = 16;
  // A lookup falls back on our own successor list at most this often (bounds the work one
  // lookup can do when everything it is told about is dead).
  static constexpr std::uint8_t restarts_max = 8;

 private:
  enum class RpcKind : std::uint8_t {
    stabilize_successor,  // GetState of the head of the successor list
    adopt_successor,      // GetState of a node we would make our successor
    join_state,           // GetState of the new predecessor while joining (subject: owner)
    join_owner_state,     // GetState of our future successor when that predecessor failed
    recover_successor,    // every successor failed: GetState of a finger or remembered peer
    ping_predecessor,
    ping_rectify,            // is the predecessor alive, or do we take the notifier?
    ping_adopt_predecessor,  // a leaving predecessor named its own; is it alive?
    lookup_step,             // a find_successor request of lookup `context`
    lookup_verify,           // is lookup `context`'s owner alive?
  };

  struct PendingRpc {
    RequestId id = 0;
    Peer target;   // target.id is zero when only the endpoint is known (bootstrap)
    Peer subject;  // the node a ping decides about (rectify, adopt_predecessor)
    Time deadline;
    std::uint64_t context = 0;  // lookup id for lookup_step
    RpcKind kind = RpcKind::lookup_step;
  };

  struct Lookup {
    std::uint64_t id = 0;
    NodeId key;
    Time started;
    Time deadline;
    NodeId route_key;        // what we route towards: the key, or past named owners found dead
    Peer responder;          // the last node that answered
    Peer key_predecessor;    // when done: the node before the owner (a joiner's place)
    LookupPeers candidates;  // next nodes to ask, closest preceding the key first
    // Nodes that timed out in this lookup, newest last, at most dead_max. On the heap: it
    // is empty in all but a few lookups, and 16 ids inline would double a Lookup's size.
    std::vector<NodeId> dead;
    std::uint8_t hops = 0;  // nodes that answered a request of this lookup
    std::uint8_t timeouts = 0;
    std::uint8_t finger_index = 0;
    std::uint8_t restarts = 0;  // times our own successor list had to name the owner
    LookupPurpose purpose = LookupPurpose::user;
    bool in_flight = false;
    bool verifying = false;  // the owner is named; candidates hold it and its successors
  };

  // Membership and maintenance.
  void become_member();
  void start_timers(bool build_fingers);
  void start_join_round();
  void try_next_bootstrap();
  void lost_all_successors();
  // Every successor failed. Before rejoining, try the nearest fingers and remembered peers
  // that answer: beyond a run of dead successors the ring usually goes on (a partition, or
  // more consecutive failures than r), and a finger reaches past it.
  void recover_successor();
  void stabilize();
  // Notifies our successor, unless `successor_predecessor` (what it named as its
  // predecessor) is already us and maintenance is economical (quiet_backoff_max > 1).
  void finish_stabilize(const std::optional<Peer>& successor_predecessor = std::nullopt);
  void ping_predecessor();
  void query_state(const Peer& target, RpcKind kind, const Peer& subject = {});
  void adopt_successor_list(const Peer& head, const SuccessorList& list);
  void on_nudge(const Endpoint& from, const Nudge& nudge);
  void successors_changed();  // economical: disturb, and nudge our predecessor
  void check_ring();
  void fix_fingers();
  // A fix_fingers lookup for finger `index` named `owner`: refresh it, move to the next.
  void finger_found(std::uint8_t index, const Peer& owner);
  // Economical mode: the owner of finger next_finger_ when our successor list spans it.
  std::optional<Peer> finger_from_successor_list() const;
  void schedule(TimerKind kind, Duration period);
  // Adaptive maintenance (ChordConfig::quiet_backoff_max): `period` at the current factor;
  // the factor after a stabilize round; back to the base periods after a change or failure.
  Duration maintenance_period(Duration period) const { return period * backoff_; }

 public:
  // The maintenance periods' current factor: 1, or more in a quiet ring (quiet_backoff_max).
  std::uint32_t backoff() const { return backoff_; }

 private:
  void update_backoff();
  void disturb();
  // quiet_backoff_max > 1: also skip messages whose answer is already known (a Notify our
  // successor does not need, a Ping to a predecessor just heard from, a finger lookup our
  // successor list answers). Off by default, so the simulator runs the paper's protocol.
  bool economical() const { return config_.quiet_backoff_max > 1; }
  std::uint64_t view_hash() const;        // predecessor, successors and fingers
  std::uint64_t successors_hash() const;  // the successor list alone

  // Message handlers.
  void on_find_successor(const Endpoint& from, const FindSuccessorRequest& request);
  void on_get_state(const Endpoint& from, const GetStateRequest& request);
  void on_notify(const Endpoint& from, const Notify& notify);
  void on_leave(const Endpoint& from, const Leave& leave);
  void on_state_reply(PendingRpc rpc, const GetStateReply& reply);
  void on_pong(PendingRpc rpc);
  void on_owner_state(const PendingRpc& rpc, const GetStateReply& reply);
  void on_lookup_reply(PendingRpc rpc, const FindSuccessorReply& reply);
  void on_rpc_timeout(const PendingRpc& rpc);

  // RPCs.
  RequestId send_request(Peer target, RpcKind kind, Message&& message, std::uint64_t context = 0,
                         Peer subject = {});
  enum class ReplyType : std::uint8_t { find_successor, state, pong };
  static ReplyType expected_reply(RpcKind kind);
  std::optional<PendingRpc> take_rpc(RequestId id, const Endpoint& from, ReplyType type);
  void expire_deadlines();
  void arm_deadlines();
  void disarm_idle_deadlines();

  // Lookups.
  Result<std::uint64_t> start_lookup(const NodeId& key, LookupPurpose purpose,
                                     std::optional<Endpoint> first_contact,
                                     std::uint8_t finger_index = 0);
  void advance_lookup(Lookup& lookup);
  // The key's owner is named by `peers` = [owner, its successors...]: check it answers.
  void verify_owner(Lookup& lookup, std::span<const Peer> peers);
  void finish_lookup(std::uint64_t lookup_id, LookupFailure failure, const Peer& owner);
  Lookup* find_lookup(std::uint64_t id);
  static bool is_dead(const Lookup& lookup, const NodeId& id);
  // Adds `id` to the lookup's dead nodes, forgetting the oldest beyond dead_max.
  static void note_dead(Lookup& lookup, const NodeId& id);
  static constexpr std::size_t dead_max = 16;
  void continue_past(Lookup& lookup, const NodeId& last_dead);
  // The local routing step: done with the owner and its successors, or the candidates.
  // `lookup`, when given, excludes the peers it found dead.
  bool route(const NodeId& key, LookupPeers& peers, const Lookup* lookup = nullptr) const;

  // Routing state.
  void suspect(const NodeId& id);
  void remember(const Peer& peer);
  std::optional<Peer> successor() const;

  const ChordConfig& config_;
  Runtime& runtime_;
  Peer self_;
  Phase phase_ = Phase::idle;
  bool maintenance_paused_ = false;
  bool state_query_pending_ = false;      // our stabilize or join GetState awaits its answer
  bool building_fingers_ = false;         // the first fix_fingers round after joining
  bool in_fix_fingers_ = false;           // fix_fingers() is on the stack
  bool lost_ring_ = false;                // joining again after losing the ring (may reform)
  std::uint16_t failed_join_rounds_ = 0;  // since the ring was lost
  bool heard_in_round_ = false;           // a reply came back during this join round
  std::uint8_t backoff_ = 1;              // maintenance periods' current factor (quiet_backoff_max)
  bool disturbed_ = false;                // a change or failure since the last stabilize round
  std::uint8_t heard_predecessor_ = 0;    // rounds left in which a message from it counts
  std::uint64_t view_hash_ = 0;           // predecessor, successors and fingers at that round
  std::uint8_t next_finger_ = id_bits - 1;
  std::uint8_t bootstrap_next_ = 0;
  std::uint8_t remembered_next_ = 0;

  std::optional<Peer> predecessor_;
  // At most config_.successor_list_length, distinct, never self, in ring order from us
  // (route() relies on it).
  PeerList successors_;
  FingerTable fingers_;
  SmallVector<Endpoint> bootstrap_;
  SmallVector<Endpoint> join_order_;  // this round's contacts, shuffled
  PeerList remembered_;
  SmallVector<Peer> recovery_;  // candidates left while recovering a successor
  SmallVector<PendingRpc> rpcs_;
  SmallVector<Lookup> lookups_;
  RequestId next_request_id_;
  std::uint64_t next_lookup_id_ = 1;
  Time armed_deadline_ = Time::max();
};

}  // namespace chord
