// ChordNode, part three: outstanding RPCs, their deadlines and how replies are matched.
// The class and its contract are in core/chord_node.h.
#include <algorithm>

#include "core/chord_node.h"

namespace chord {

namespace {
// Starts loading the cache lines of [begin, begin + bytes), at most `lines_max` of them.
// Offsets stay inside the object (`begin` is null for a list never allocated).
void prefetch_lines(const void* begin, std::size_t bytes, std::size_t lines_max) {
  if (begin == nullptr) return;
  const char* base = static_cast<const char*>(begin);
  const std::size_t limit = std::min(bytes, lines_max * 64);
  for (std::size_t offset = 0; offset < limit; offset += 64)
    __builtin_prefetch(base + offset);
}
}  // namespace

void ChordNode::prefetch_state(std::optional<std::size_t> message) const {
  const PeerList& fingers = fingers_.entries();
  constexpr std::size_t entry = sizeof(PeerList::Entry);
  const std::size_t type = message.value_or(std::variant_size_v<Message>);
  if (type == variant_index<Message, FindSuccessorRequest>()) {
    // route(): the last successor, then the fingers by bisection (first, middle, last).
    prefetch_lines(successors_.data(), entry, 1);
    __builtin_prefetch(successors_.last_entry_address());
    if (!fingers.empty()) {
      __builtin_prefetch(fingers.data());
      __builtin_prefetch(static_cast<const char*>(fingers.data()) + fingers.size() / 2 * entry);
      __builtin_prefetch(fingers.last_entry_address());
    }
    return;
  }
  if (type == variant_index<Message, FindSuccessorReply>()) {
    // The RPC it answers, and the lookup it moves on (its candidates are rewritten).
    prefetch_lines(rpcs_.data(), rpcs_.size() * sizeof(PendingRpc), 2);
    if (!lookups_.empty()) prefetch_lines(lookups_.data(), sizeof(Lookup), 8);
    return;
  }
  if (type == variant_index<Message, GetStateRequest>()) {
    prefetch_lines(successors_.data(), successors_.size() * entry, 5);  // copied into the reply
    return;
  }
  if (type == variant_index<Message, GetStateReply>()) {
    prefetch_lines(rpcs_.data(), rpcs_.size() * sizeof(PendingRpc), 2);
    prefetch_lines(successors_.data(), successors_.size() * entry, 5);
    return;
  }
  __builtin_prefetch(successors_.data());
  __builtin_prefetch(fingers.data());
  __builtin_prefetch(rpcs_.data());
  __builtin_prefetch(lookups_.data());
}

// ---------------------------------------------------------------------------------------
// RPCs

RequestId ChordNode::send_request(Peer target, RpcKind kind, Message&& message,
                                  std::uint64_t context, Peer subject) {
  // target and subject are copies: callers pass entries of vectors this call may change.
  const RequestId id = next_request_id_++;
  std::visit(
      [id](auto& m) {
        if constexpr (requires { m.request_id; }) m.request_id = id;
      },
      message);
  if (rpcs_.size() >= config_.pending_rpcs_max) {
    // Full: the request is not sent and times out at once, as a later input (the deadlines
    // timer), so no handler runs inside this call. At most one such entry per request an
    // input makes, and the next timer removes them.
    rpcs_.push_back({id, target, subject, runtime_.now(), context, kind});
    arm_deadlines();
    return id;
  }
  rpcs_.push_back({id, target, subject, runtime_.now() + config_.rpc_timeout, context, kind});
  runtime_.send(target.endpoint, std::move(message));
  arm_deadlines();
  return id;
}

std::optional<ChordNode::PendingRpc> ChordNode::take_rpc(RequestId id, const Endpoint& from,
                                                         ReplyType type) {
  for (auto it = rpcs_.begin(); it != rpcs_.end(); ++it) {
    if (it->id != id) continue;
    // Not from whom we asked, or not an answer to what we asked: ignore it, and keep the
    // request pending so its timeout still fires.
    if (it->target.endpoint != from || expected_reply(it->kind) != type) return std::nullopt;
    const PendingRpc rpc = *it;
    rpcs_.erase(it);
    disarm_idle_deadlines();
    return rpc;
  }
  return std::nullopt;  // late (after its timeout), duplicate, or never asked: ignore
}

ChordNode::ReplyType ChordNode::expected_reply(RpcKind kind) {
  switch (kind) {
    case RpcKind::lookup_step:
      return ReplyType::find_successor;
    case RpcKind::ping_predecessor:
    case RpcKind::ping_rectify:
    case RpcKind::ping_adopt_predecessor:
      return ReplyType::pong;
    default:
      return ReplyType::state;
  }
}

void ChordNode::arm_deadlines() {
  Time earliest = Time::max();
  for (const PendingRpc& rpc : rpcs_)
    earliest = std::min(earliest, rpc.deadline);
  for (const Lookup& lookup : lookups_)
    earliest = std::min(earliest, lookup.deadline);
  if (earliest < armed_deadline_) {
    armed_deadline_ = earliest;
    runtime_.set_timer(TimerKind::deadlines, earliest);
  }
}

// Nothing left to time out: a timer that would fire for nothing is a wakeup an idle real
// node pays for (and an event the simulator pays for).
void ChordNode::disarm_idle_deadlines() {
  // Nor does it keep room for them: in a simulation of a million nodes, the room that
  // finished RPCs and lookups leave behind would be a good part of each node's memory.
  if (rpcs_.empty()) rpcs_.release();
  if (lookups_.empty()) lookups_.release();
  if (!rpcs_.empty() || !lookups_.empty() || armed_deadline_ == Time::max()) return;
  armed_deadline_ = Time::max();
  runtime_.cancel_timer(TimerKind::deadlines);
}

void ChordNode::expire_deadlines() {
  const Time now = runtime_.now();
  // Bounded: each pass removes the expired RPCs it finds; handlers may add new ones, whose
  // deadlines lie in the future.
  std::vector<PendingRpc> expired;
  for (const PendingRpc& rpc : rpcs_) {
    if (rpc.deadline <= now) expired.push_back(rpc);
  }
  erase_if(rpcs_, [&](const PendingRpc& rpc) { return rpc.deadline <= now; });
  for (const PendingRpc& rpc : expired) {
    if (phase_ == Phase::left) return;
    on_rpc_timeout(rpc);
  }
  std::vector<std::uint64_t> late;
  for (const Lookup& lookup : lookups_) {
    if (lookup.deadline <= now) late.push_back(lookup.id);
  }
  for (std::uint64_t id : late) {
    if (find_lookup(id) != nullptr) finish_lookup(id, LookupFailure::deadline, {});
  }
}

}  // namespace chord
