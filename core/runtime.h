// Runtime: the only way the protocol core reaches the world.
//
// Implemented twice: over libuv (net_real/) and over a virtual clock (net_sim/). The core is
// driven by three inputs only (a message arrived, a timer fired, an API call) and acts only
// through this interface. Contract for implementations:
//   - now() is fixed for the whole of one input and never goes backwards.
//   - send() queues; it never calls back into the core. Messages may be lost: a loss shows
//     up as the RPC's timeout.
//   - A timer fires as a later input, never inside set_timer(). Each node has one slot per
//     TimerKind: setting a kind replaces that kind's pending timer (timers are data, as in
//     quinn-proto: the node keeps deadlines and arms the earliest).
//   - wall_clock_ms() is calendar time (ms since the Unix epoch on a real node; a fixed date
//     plus virtual time in the simulator). Only signed expiries use it (core/user_record.h):
//     timers and leases run on now(), which never jumps.
//   - random() is the core's only source of randomness (seeded per node in the simulator).
//   - report(), notice(), report_dht() and report_chat() hand a completed lookup, a
//     membership change, a completed DHT operation or a chat event to whoever embeds the
//     node (the simulator's oracle and metrics, a real node's user interface). They are
//     called when the node's state is consistent again, so the embedder may start new API
//     calls from them (chat events are queued and handed out at the end of each input);
//     they must not feed the node inputs (messages, timers) from inside.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/endpoint.h"
#include "core/messages.h"

namespace chord {

// The core's clock: time points come only from Runtime::now(). There is no now() here.
struct RuntimeClock {
  using rep = std::int64_t;
  using period = std::micro;
  using duration = std::chrono::microseconds;
  using time_point = std::chrono::time_point<RuntimeClock>;
  static constexpr bool is_steady = true;
};
using Time = RuntimeClock::time_point;
using Duration = RuntimeClock::duration;

enum class TimerKind : std::uint8_t {
  stabilize = 0,
  fix_fingers,
  ping_predecessor,
  check_ring,  // partition healing: look ourselves up through a remembered peer
  deadlines,   // the earliest RPC or lookup deadline
  join_retry,
  replicate,      // DHT: push our primary records to our replicas
  lease_sweep,    // DHT: drop records whose lease ran out
  dht_deadlines,  // DHT: the earliest operation deadline
  chat_resend,    // chat: the earliest retransmission or give-up deadline
  user_renew,     // chat: renew the user's directory record
  count_,         // number of kinds; not a kind
};
inline constexpr std::size_t timer_kinds = static_cast<std::size_t>(TimerKind::count_);

enum class LookupPurpose : std::uint8_t { user, join, fix_finger, check_ring };

// Why a lookup ended without an owner.
enum class LookupFailure : std::uint8_t {
  none = 0,
  no_route,       // every candidate timed out or none was left
  deadline,       // the lookup's overall deadline passed
  hops_exceeded,  // more hops than lookup_hops_max
  not_member,     // the node left or is not in a ring
};

// A completed lookup, as the Chord paper measures it.
struct LookupResult {
  std::uint64_t lookup_id = 0;
  LookupPurpose purpose = LookupPurpose::user;
  NodeId key;
  LookupFailure failure = LookupFailure::none;
  Peer owner;                 // valid when failure == none
  std::uint8_t hops = 0;      // path length as the Chord paper counts it (chord_node.cc)
  std::uint8_t timeouts = 0;  // RPCs of this lookup that timed out
  Duration latency{0};
  bool ok() const { return failure == LookupFailure::none; }
};

enum class DhtOperation : std::uint8_t { put, get, remove };

// A completed DHT operation (core/peer_node.h), handed over by Runtime::report_dht.
struct DhtResult {
  std::uint64_t operation_id = 0;
  DhtOperation operation = DhtOperation::get;
  NodeId key;
  DhtStatus status = DhtStatus::ok;  // not_found for a get of nothing; busy if out of attempts
  std::string value;                 // get: the value found
  std::uint32_t lease_ms = 0;        // get: the lease left
  Peer stored_at;                    // the node that answered last
  std::uint8_t attempts = 0;         // lookups it took (1 when nothing went wrong)
  Duration latency{0};
  bool ok() const { return status == DhtStatus::ok; }
};

// What happened to the user session or one of its chats (core/chat.h).
enum class ChatEventKind : std::uint8_t {
  registered,       // the user's name#id is in the directory (handle = our name#id)
  register_failed,  // the directory refused or could not be reached (status says why);
                    // retried after retry_timeout: `registered` follows when one succeeds
  found,            // find_user: handle's endpoint
  not_found,        // find_user: no such user
  opened,           // a chat with handle is open (incoming or outgoing)
  open_failed,      // the user could not be reached or refused (status says why)
  message,          // text received from handle, delivered once and in order
  delivered,        // our message seq was acknowledged by the peer
  delivery_failed,  // our message seq could not be delivered: the chat is ending
  ended,            // the chat is over (reason says who or what ended it)
};

struct ChatEvent {
  ChatEventKind kind = ChatEventKind::registered;
  std::uint64_t chat_id = 0;
  std::string handle;  // the other user's name#id (ours for registered)
  Endpoint endpoint;   // found: where the user is
  std::uint64_t seq = 0;
  std::string text;
  CloseReason reason = CloseReason::ended_by_user;
  DhtStatus status = DhtStatus::ok;
  // open_failed with bad_record: ok when the peer could not prove its name; bad_identity
  // when it refused ours (our open's time out of its clock's range, or a replay).
  ChatStatus refusal = ChatStatus::ok;
};

// Changes of a node's membership, for whoever embeds it.
enum class NodeNotice : std::uint8_t {
  joined,             // became a ring member (create_ring, join, or rejoin)
  join_round_failed,  // no bootstrap or remembered peer let it join; it retries later
  lost_ring,          // every successor died; it is rejoining
  left,               // left gracefully
  reformed,           // after lost_ring, nobody let it rejoin: it re-formed a ring alone
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual Time now() const = 0;
  virtual std::int64_t wall_clock_ms() const = 0;
  virtual void send(const Endpoint& to, Message&& message) = 0;
  // A chat message for the holder of `peer_key` only. A real node sends it over TLS to a
  // peer whose certificate has that key, never in clear (and tells the core through
  // PeerNode::on_identity_mismatch when the peer there has another key); the simulator
  // sends it like any message (the core's own signature checks still run).
  virtual void send_private(const Endpoint& to, const PublicKey& peer_key, Message&& message) = 0;
  virtual void set_timer(TimerKind kind, Time at) = 0;
  virtual void cancel_timer(TimerKind kind) = 0;
  virtual std::uint64_t random() = 0;
  virtual void report(const LookupResult& result) = 0;
  virtual void notice(NodeNotice notice) = 0;
  virtual void report_dht(const DhtResult& result) = 0;
  virtual void report_chat(const ChatEvent& event) = 0;
};

// Uniform in [0, bound), unbiased (rejection on the top of the range). REQUIRES: bound > 0.
std::uint64_t uniform(Runtime& runtime, std::uint64_t bound);
// `period` scaled by a uniform factor in [1 - fraction, 1 + fraction].
Duration jittered(Runtime& runtime, Duration period, double fraction);

}  // namespace chord
