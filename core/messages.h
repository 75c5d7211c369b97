// The protocol's messages: plain structs, all of them alternatives of one std::variant.
//
// What each message means, who sends it and what answers it is written beside it. Requests
// carry a RequestId chosen by the sender; the reply echoes it, so replies are matched to
// requests without trusting anything else in them. The sender's endpoint is not in the
// message: a transport gives it (the simulator knows it; TCP learns it from Hello).
//
// Size: every list has a fixed capacity (core/limits.h), so a message never owns heap memory
// except the bounded strings of records and chat, which are rare next to Chord maintenance.
// The wire encoding lives in core/codec.h; append new alternatives at the end of Message,
// since the variant index is the type on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "core/endpoint.h"
#include "core/identity.h"
#include "core/inline_vector.h"
#include "core/limits.h"
#include "core/node_id.h"

namespace chord {

using RequestId = std::uint64_t;

// A Chord node as others know it: its identifier and where to reach it.
struct Peer {
  NodeId id;
  Endpoint endpoint;
  friend bool operator==(const Peer&, const Peer&) = default;
};

using SuccessorList = InlineVector<Peer, successors_max>;
using LookupPeers = InlineVector<Peer, lookup_peers_max>;

// A DHT record. The lease travels as time left (the signed value carries the absolute
// expiry, core/user_record.h). `value` is an encoded, signed UserRecord; `owner` and
// `version` are hints only: a storing node derives them from the value's key and sequence
// number once its signature verifies.
struct Record {
  NodeId key;
  std::uint64_t owner = 0;
  std::uint64_t version = 0;   // a newer write by the same owner carries a higher version
  std::uint32_t lease_ms = 0;  // lease left when sent
  std::string value;           // at most record_value_bytes_max bytes
  friend bool operator==(const Record&, const Record&) = default;
};

using RecordChunk = InlineVector<Record, records_per_chunk_max>;

// ---- Connection set-up (TCP only) ----

// First frame on every connection: where the sender listens, so replies and later requests
// can reach it through the connection cache.
struct Hello {
  Endpoint advertised;
  friend bool operator==(const Hello&, const Hello&) = default;
};

// ---- Lookup: iterative find_successor ----

// "Who is closest to `key` that you know of?" The initiator sends one per hop; `hop` is the
// number of nodes it has contacted before this one, echoed back for tracing.
struct FindSuccessorRequest {
  RequestId request_id = 0;
  NodeId key;
  std::uint8_t hop = 0;
  friend bool operator==(const FindSuccessorRequest&, const FindSuccessorRequest&) = default;
};

enum class LookupStatus : std::uint8_t {
  done = 0,  // key in (responder, successor]: peers = [owner, owner's successors...]
  next = 1,  // go on: peers = closest preceding candidates, best first
  busy = 2,  // responder is not a ring member yet (joining); try another peer
};

struct FindSuccessorReply {
  RequestId request_id = 0;
  NodeId responder_id;  // who answers: a joiner's new predecessor when done
  std::uint8_t hop = 0;
  LookupStatus status = LookupStatus::done;
  LookupPeers peers;
  friend bool operator==(const FindSuccessorReply&, const FindSuccessorReply&) = default;
};

// ---- Ring maintenance (Zave's corrected Chord) ----

// Read a neighbour's predecessor and successor list in one atomic step (stabilize, join).
struct GetStateRequest {
  RequestId request_id = 0;
  friend bool operator==(const GetStateRequest&, const GetStateRequest&) = default;
};

enum class StateStatus : std::uint8_t {
  ok = 0,
  busy = 1,        // the responder's own state query is pending: its state is undefined
  not_member = 2,  // the responder has no Chord state (joining, or left)
};

struct GetStateReply {
  RequestId request_id = 0;
  StateStatus status = StateStatus::ok;
  std::optional<Peer> predecessor;
  SuccessorList successors;
  friend bool operator==(const GetStateReply&, const GetStateReply&) = default;
};

// "I think I am your predecessor" (rectify on the receiver). No reply.
struct Notify {
  NodeId sender_id;
  friend bool operator==(const Notify&, const Notify&) = default;
};

// Liveness check (ping_predecessor, rectify, checks before adopting a pointer).
// Answered at once, even while the responder's own state query is pending.
struct Ping {
  RequestId request_id = 0;
  friend bool operator==(const Ping&, const Ping&) = default;
};

struct Pong {
  RequestId request_id = 0;
  friend bool operator==(const Pong&, const Pong&) = default;
};

// Graceful leave, sent to the predecessor and the successor so the ring closes at once.
// The receiver still checks a node is alive before adopting a pointer to it. Records move
// to the successor in RecordTransfer chunks sent before this message.
struct Leave {
  NodeId sender_id;
  std::optional<Peer> predecessor;
  SuccessorList successors;
  friend bool operator==(const Leave&, const Leave&) = default;
};

// ---- DHT records ----

enum class DhtStatus : std::uint8_t {
  ok = 0,
  not_found = 1,
  not_responsible = 2,  // the key is not in this node's range; look it up again
  value_too_large = 3,
  store_full = 4,
  not_owner = 5,      // another owner holds this key
  stale_version = 6,  // an older version than the one stored
  busy = 7,
  bad_record = 8,      // not a validly signed record for its key (core/user_record.h)
  record_expired = 9,  // signed, but its expiry is past or too far ahead: clocks disagree?
};

struct DhtPut {
  RequestId request_id = 0;
  Record record;
  friend bool operator==(const DhtPut&, const DhtPut&) = default;
};

struct DhtPutReply {
  RequestId request_id = 0;
  DhtStatus status = DhtStatus::ok;
  friend bool operator==(const DhtPutReply&, const DhtPutReply&) = default;
};

struct DhtGet {
  RequestId request_id = 0;
  NodeId key;
  friend bool operator==(const DhtGet&, const DhtGet&) = default;
};

// The owner token is not returned: readers learn the value and the lease left.
struct DhtGetReply {
  RequestId request_id = 0;
  DhtStatus status = DhtStatus::ok;
  std::uint32_t lease_ms = 0;
  std::string value;
  friend bool operator==(const DhtGetReply&, const DhtGetReply&) = default;
};

// Removal without a signature: refused (bad_record) since records are signed; a user
// removes a record by putting a signed tombstone. Kept so that type numbers stay put.
struct DhtRemove {
  RequestId request_id = 0;
  NodeId key;
  std::uint64_t owner = 0;
  friend bool operator==(const DhtRemove&, const DhtRemove&) = default;
};

struct DhtRemoveReply {
  RequestId request_id = 0;
  DhtStatus status = DhtStatus::ok;
  friend bool operator==(const DhtRemoveReply&, const DhtRemoveReply&) = default;
};

enum class TransferKind : std::uint8_t {
  replica = 0,   // the owner of a range keeps its replicas up to date
  handover = 1,  // the sender gives up these keys (leave, or a joiner took its range)
};

// Records moving between nodes, in bounded chunks; each chunk is acknowledged.
struct RecordTransfer {
  RequestId request_id = 0;
  TransferKind kind = TransferKind::replica;
  RecordChunk records;
  friend bool operator==(const RecordTransfer&, const RecordTransfer&) = default;
};

struct RecordTransferAck {
  RequestId request_id = 0;
  DhtStatus status = DhtStatus::ok;
  friend bool operator==(const RecordTransferAck&, const RecordTransferAck&) = default;
};

// ---- Chat, directly between two users' nodes ----

// Opens chat `chat_id` (chosen by the opener) from user `from_user` to `to_user`
// ("username#id" each). The opener proves it holds from_user's key: from_key makes
// from_user's id and `signature` (by from_key) covers every field before it; to_key is
// the key the opener found in to_user's signed record. `sent_ms` (wall clock) bounds
// replays. Answered by ChatAccept, or by ChatAck with seq 0 and a refusal status.
struct ChatOpen {
  std::uint64_t chat_id = 0;
  std::string from_user;
  std::string to_user;
  PublicKey from_key{};
  PublicKey to_key{};
  std::int64_t sent_ms = 0;
  Signature signature{};
  friend bool operator==(const ChatOpen&, const ChatOpen&) = default;
};

// One message; seq starts at 1 and grows by one, so the receiver delivers once, in order.
struct ChatText {
  std::uint64_t chat_id = 0;
  std::uint64_t seq = 0;
  std::string text;
  friend bool operator==(const ChatText&, const ChatText&) = default;
};

enum class CloseReason : std::uint8_t { ended_by_user = 0, user_left = 1, timed_out = 2 };

struct ChatClose {
  std::uint64_t chat_id = 0;
  std::uint64_t seq = 0;
  CloseReason reason = CloseReason::ended_by_user;
  friend bool operator==(const ChatClose&, const ChatClose&) = default;
};

enum class ChatStatus : std::uint8_t {
  ok = 0,
  no_such_user = 1,  // the receiving node does not host to_user (any more)
  no_such_chat = 2,
  busy = 3,          // too many chats open on the receiver
  bad_identity = 4,  // the open's key does not make from_user, or its signature is bad
};

struct ChatAck {
  std::uint64_t chat_id = 0;
  std::uint64_t seq = 0;
  ChatStatus status = ChatStatus::ok;
  friend bool operator==(const ChatAck&, const ChatAck&) = default;
};

// The variant index is the message type on the wire: append only.
// Adaptive maintenance (ChordConfig::quiet_backoff_max): "stabilize now", sent to the
// predecessor when the sender's successor list changed, and to the old predecessor when a
// newcomer took its place, so the change reaches the nodes before it without waiting for
// their backed-off periods. A hint, not answered; acted on only if the sender is in the
// receiver's successor list or closer than its successor. Never sent with fixed periods.
struct Nudge {
  NodeId sender_id;
  friend bool operator==(const Nudge&, const Nudge&) = default;
};

// Chat `chat_id` is open: the receiver of ChatOpen proves it holds to_user's key, with a
// signature over the open's fields (so it answers this open and no other).
struct ChatAccept {
  std::uint64_t chat_id = 0;
  Signature signature{};
  friend bool operator==(const ChatAccept&, const ChatAccept&) = default;
};

using Message =
    std::variant<Hello, FindSuccessorRequest, FindSuccessorReply, GetStateRequest, GetStateReply,
                 Notify, Ping, Pong, Leave, DhtPut, DhtPutReply, DhtGet, DhtGetReply, DhtRemove,
                 DhtRemoveReply, RecordTransfer, RecordTransferAck, ChatOpen, ChatText, ChatClose,
                 ChatAck, Nudge, ChatAccept>;

// A short name per alternative ("find_successor_request"), for traces and tests.
const char* message_name(const Message& message);
// The same by type (the variant index). REQUIRES: type < std::variant_size_v<Message>.
const char* message_type_name(std::size_t type);

// The variant index of alternative T in Variant (its type number on the wire).
template <typename Variant, typename T, std::size_t I = 0>
constexpr std::size_t variant_index() {
  static_assert(I < std::variant_size_v<Variant>, "T is not an alternative");
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Variant>, T>) {
    return I;
  } else {
    return variant_index<Variant, T, I + 1>();
  }
}

// The largest alternative is GetStateReply / Leave (a full successor list of 32 peers at 40
// bytes). The simulator stores in-flight messages per alternative, so a Ping costs what a
// Ping weighs; this bound keeps the variant itself from growing unnoticed.
inline constexpr std::size_t message_bytes_max = 1408;
static_assert(sizeof(Peer) == 40);
static_assert(sizeof(Message) <= message_bytes_max);

}  // namespace chord
