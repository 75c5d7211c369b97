#include "core/chord_node.h"

#include <algorithm>

#include "core/ring_interval.h"

namespace chord {
namespace {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// Inserts `peer` into `peers`, kept sorted by clockwise distance to `key` (closest preceding
// first), without duplicates; the farthest falls off when full.
void insert_candidate(LookupPeers& peers, const Peer& peer, const NodeId& key) {
  const NodeId distance = peer.id.distance_to(key);
  for (const Peer& existing : peers) {
    if (existing.id == peer.id) return;
  }
  std::size_t place = peers.size();
  while (place > 0 && distance < peers[place - 1].id.distance_to(key))
    --place;
  if (place == peers.size() && peers.full()) return;
  if (peers.full()) peers.pop_back();
  peers.push_back(peer);
  for (std::size_t i = peers.size() - 1; i > place; --i)
    std::swap(peers[i], peers[i - 1]);
}

}  // namespace

const char* validate(const ChordConfig& config) {
  if (config.successor_list_length < 1) return "successor_list_length must be at least 1";
  if (config.successor_list_length > successors_max) return "successor_list_length over 32";
  if (config.stabilize_period <= Duration(0)) return "stabilize_period must be positive";
  if (config.fix_fingers_period <= Duration(0)) return "fix_fingers_period must be positive";
  if (config.ping_predecessor_period <= Duration(0)) {
    return "ping_predecessor_period must be positive";
  }
  if (config.check_ring_period < Duration(0)) return "check_ring_period must not be negative";
  if (config.jitter_fraction < 0.0 || config.jitter_fraction >= 1.0) {
    return "jitter_fraction must be in [0, 1)";
  }
  if (config.rpc_timeout <= Duration(0)) return "rpc_timeout must be positive";
  if (config.lookup_timeout < config.rpc_timeout) return "lookup_timeout below rpc_timeout";
  if (config.lookup_hops_max < 1 || config.lookup_hops_max > 250) {
    return "lookup_hops_max must be in [1, 250]";
  }
  if (config.join_retry_period <= Duration(0)) return "join_retry_period must be positive";
  if (config.remembered_peers_max > 64) return "remembered_peers_max over 64";
  if (config.pending_rpcs_max < 8) return "pending_rpcs_max below 8";
  if (config.lookups_max < 4) return "lookups_max below 4";
  return nullptr;
}

ChordNode::ChordNode(const ChordConfig& config, Runtime& runtime, const Peer& self)
    : config_(config),
      runtime_(runtime),
      self_(self),
      fingers_(self.id),
      next_request_id_(runtime.random()) {
  CHORD_ASSERT(validate(config) == nullptr);
  CHORD_ASSERT(self.endpoint.is_set());
}

// ---------------------------------------------------------------------------------------
// Membership

void ChordNode::create_ring() {
  CHORD_ASSERT(phase_ == Phase::idle);
  predecessor_.reset();
  successors_.clear();
  become_member();
}

void ChordNode::set_bootstrap(std::span<const Endpoint> bootstrap) {
  bootstrap_.clear();
  for (const Endpoint& endpoint : bootstrap) {
    if (endpoint == self_.endpoint) continue;
    if (std::find(bootstrap_.begin(), bootstrap_.end(), endpoint) != bootstrap_.end()) continue;
    if (bootstrap_.size() >= bootstrap_max) break;
    bootstrap_.push_back(endpoint);
  }
}

void ChordNode::join(std::span<const Endpoint> bootstrap) {
  CHORD_ASSERT(phase_ == Phase::idle);
  set_bootstrap(bootstrap);
  phase_ = Phase::joining;
  start_join_round();
}

void ChordNode::start_join_round() {
  join_order_ = bootstrap_;
  for (const Peer& peer : remembered_) {
    if (std::find(join_order_.begin(), join_order_.end(), peer.endpoint) == join_order_.end()) {
      join_order_.push_back(peer.endpoint);
    }
  }
  // Fisher-Yates with the runtime's generator: any live node can serve, none is special.
  for (std::size_t i = join_order_.size(); i > 1; --i) {
    std::swap(join_order_[i - 1], join_order_[uniform(runtime_, i)]);
  }
  bootstrap_next_ = 0;
  try_next_bootstrap();
}

void ChordNode::try_next_bootstrap() {
  if (phase_ != Phase::joining) return;
  while (bootstrap_next_ < join_order_.size()) {
    const Endpoint contact = join_order_[bootstrap_next_++];
    if (start_lookup(self_.id, LookupPurpose::join, contact)) return;
  }
  runtime_.notice(NodeNotice::join_round_failed);
  schedule(TimerKind::join_retry, config_.join_retry_period);
}

void ChordNode::become_member() {
  phase_ = Phase::member;
  state_query_pending_ = false;
  runtime_.notice(NodeNotice::joined);
  start_timers(config_.build_fingers_on_join);
}

void ChordNode::start_timers(bool build_fingers) {
  // First rounds at a random point of the period, so nodes started together fall out of step.
  const Time now = runtime_.now();
  auto first = [&](TimerKind kind, Duration period) {
    const auto offset = uniform(runtime_, static_cast<std::uint64_t>(period.count()));
    runtime_.set_timer(kind, now + Duration(static_cast<std::int64_t>(offset)));
  };
  first(TimerKind::stabilize, config_.stabilize_period);
  first(TimerKind::ping_predecessor, config_.ping_predecessor_period);
  if (config_.check_ring_period > Duration(0)) {
    first(TimerKind::check_ring, config_.check_ring_period);
  }
  next_finger_ = id_bits - 1;
  if (build_fingers) {
    building_fingers_ = true;
    fix_fingers();
  } else {
    first(TimerKind::fix_fingers, config_.fix_fingers_period);
  }
}

void ChordNode::install_state(const std::optional<Peer>& predecessor,
                              std::span<const Peer> successors, std::span<const Peer> fingers) {
  CHORD_ASSERT(phase_ == Phase::idle);
  CHORD_ASSERT(successors.size() <= config_.successor_list_length);
  predecessor_ = predecessor;
  successors_.assign(successors.begin(), successors.end());
  fingers_.assign(fingers);
  phase_ = Phase::member;
  runtime_.notice(NodeNotice::joined);
  start_timers(false);
}

void ChordNode::leave() {
  if (phase_ == Phase::left) return;
  if (phase_ == Phase::member) {
    Leave message{self_.id, predecessor_, {}};
    for (const Peer& peer : successors_)
      message.successors.push_back(peer);
    if (predecessor_) runtime_.send(predecessor_->endpoint, Message(message));
    const auto head = successor();
    if (head && (!predecessor_ || head->endpoint != predecessor_->endpoint)) {
      runtime_.send(head->endpoint, Message(message));
    }
  }
  phase_ = Phase::left;
  // Nothing is left unanswered: pending lookups end with a reason.
  while (!lookups_.empty())
    finish_lookup(lookups_.front().id, LookupFailure::not_member, {});
  rpcs_.clear();
  for (std::size_t kind = 0; kind < timer_kinds; ++kind) {
    runtime_.cancel_timer(static_cast<TimerKind>(kind));
  }
  predecessor_.reset();
  successors_.clear();
  fingers_.clear();
  runtime_.notice(NodeNotice::left);
}

void ChordNode::recover_successor() {
  if (recovery_.empty()) {
    lost_all_successors();
    return;
  }
  const Peer candidate = recovery_.front();
  recovery_.erase(recovery_.begin());
  query_state(candidate, RpcKind::recover_successor);
}

void ChordNode::lost_all_successors() {
  // Every entry of the list failed: this node is cut off. Rejoin through remembered or
  // bootstrap peers rather than stay alone (Zave's OneLiveSuccessor was violated).
  phase_ = Phase::joining;
  predecessor_.reset();
  successors_.clear();
  fingers_.clear();
  recovery_.clear();
  state_query_pending_ = false;
  building_fingers_ = false;
  runtime_.notice(NodeNotice::lost_ring);
  start_join_round();
}

// ---------------------------------------------------------------------------------------
// Periodic maintenance

void ChordNode::schedule(TimerKind kind, Duration period) {
  runtime_.set_timer(kind, runtime_.now() + jittered(runtime_, period, config_.jitter_fraction));
}

void ChordNode::stabilize() {
  schedule(TimerKind::stabilize, config_.stabilize_period);
  if (maintenance_paused_ || state_query_pending_) return;
  if (successors_.empty()) {
    // Alone: our successor is ourselves, whose predecessor is ours (a node that notified
    // us). Adopt it once it answers.
    if (predecessor_) query_state(*predecessor_, RpcKind::adopt_successor);
    return;
  }
  query_state(successors_.front(), RpcKind::stabilize_successor);
}

void ChordNode::query_state(const Peer& target, RpcKind kind, const Peer& subject) {
  state_query_pending_ = true;
  (void)send_request(target, kind, GetStateRequest{}, 0, subject);
}

void ChordNode::finish_stabilize() {
  state_query_pending_ = false;
  if (const auto head = successor()) runtime_.send(head->endpoint, Notify{self_.id});
}

void ChordNode::adopt_successor_list(const Peer& head, const SuccessorList& list) {
  if (head.id == self_.id) return;
  const std::size_t length = config_.successor_list_length;
  successors_.clear();
  successors_.push_back(head);
  for (const Peer& peer : list) {
    if (successors_.size() >= length) break;
    // The list runs clockwise from the head; meeting ourselves (or the head again) means it
    // wrapped around a ring smaller than r + 1: stop, keeping the entries distinct.
    if (peer.id == self_.id || peer.id == head.id) break;
    if (!in_open(successors_.back().id, peer.id, self_.id)) break;  // out of order: stop
    successors_.push_back(peer);
  }
}

void ChordNode::fix_fingers() {
  if (phase_ != Phase::member) return;
  if (!building_fingers_) schedule(TimerKind::fix_fingers, config_.fix_fingers_period);
  if (maintenance_paused_) return;
  // One finger per period, except in the first round after joining, which chains its
  // lookups until the round is done. A lookup answered locally completes inside
  // start_lookup, so the chain is this bounded loop, never recursion.
  for (std::size_t guard = 0; guard < id_bits; ++guard) {
    for (const Lookup& lookup : lookups_) {
      if (lookup.purpose == LookupPurpose::fix_finger) return;  // one at a time
    }
    in_fix_fingers_ = true;
    const auto started = start_lookup(self_.id.plus_power_of_two(next_finger_),
                                      LookupPurpose::fix_finger, std::nullopt, next_finger_);
    in_fix_fingers_ = false;
    if (!started || !building_fingers_) return;
  }
}

void ChordNode::check_ring() {
  schedule(TimerKind::check_ring, config_.check_ring_period);
  if (maintenance_paused_) return;
  // Look our own id up through a peer outside our routing state; if its ring names a closer
  // successor than ours, the rings differ (a healed partition) or we missed a node.
  const std::size_t choices = remembered_.size() + bootstrap_.size();
  if (choices == 0) return;
  const std::size_t pick = uniform(runtime_, choices);
  const Endpoint contact = pick < remembered_.size() ? remembered_[pick].endpoint
                                                     : bootstrap_[pick - remembered_.size()];
  if (contact == self_.endpoint) return;
  (void)start_lookup(self_.id, LookupPurpose::check_ring, contact);
}

// ---------------------------------------------------------------------------------------
// Inputs

void ChordNode::on_timer(TimerKind kind) {
  if (phase_ == Phase::left || phase_ == Phase::idle) return;
  switch (kind) {
    case TimerKind::stabilize:
      if (phase_ == Phase::member) stabilize();
      return;
    case TimerKind::fix_fingers:
      if (phase_ == Phase::member) fix_fingers();
      return;
    case TimerKind::ping_predecessor:
      if (phase_ != Phase::member) return;
      schedule(TimerKind::ping_predecessor, config_.ping_predecessor_period);
      if (maintenance_paused_ || !predecessor_) return;
      for (const PendingRpc& rpc : rpcs_) {
        if (rpc.kind == RpcKind::ping_predecessor) return;
      }
      (void)send_request(*predecessor_, RpcKind::ping_predecessor, Ping{});
      return;
    case TimerKind::check_ring:
      if (phase_ == Phase::member) check_ring();
      return;
    case TimerKind::deadlines:
      armed_deadline_ = Time::max();
      expire_deadlines();
      arm_deadlines();
      return;
    case TimerKind::join_retry:
      if (phase_ == Phase::joining) start_join_round();
      return;
    case TimerKind::replicate:
    case TimerKind::lease_sweep:
    case TimerKind::dht_deadlines:
      return;  // the DHT's (core/peer_node.h), not the ring's
    case TimerKind::count_:
      break;
  }
  CHORD_ASSERT(false);
}

void ChordNode::on_message(const Endpoint& from, const Message& message) {
  if (phase_ == Phase::left || phase_ == Phase::idle) return;
  std::visit(
      Overloaded{
          [&](const FindSuccessorRequest& m) { on_find_successor(from, m); },
          [&](const GetStateRequest& m) { on_get_state(from, m); },
          [&](const Notify& m) { on_notify(from, m); }, [&](const Leave& m) { on_leave(from, m); },
          [&](const Ping& m) {
            // Pure liveness: answered at once, but only by a ring member, so a node
            // that restarted with the same id is not mistaken for its old self.
            if (phase_ == Phase::member) runtime_.send(from, Pong{m.request_id});
          },
          [&](const FindSuccessorReply& m) {
            if (auto rpc = take_rpc(m.request_id, from, ReplyType::find_successor))
              on_lookup_reply(*rpc, m);
          },
          [&](const GetStateReply& m) {
            if (auto rpc = take_rpc(m.request_id, from, ReplyType::state)) on_state_reply(*rpc, m);
          },
          [&](const Pong& m) {
            if (auto rpc = take_rpc(m.request_id, from, ReplyType::pong)) on_pong(*rpc);
          },
          [&](const auto&) {},  // DHT and chat messages are not the ring's business
      },
      message);
}

void ChordNode::on_find_successor(const Endpoint& from, const FindSuccessorRequest& request) {
  FindSuccessorReply reply{request.request_id, self_.id, request.hop, LookupStatus::busy, {}};
  if (phase_ == Phase::member) {
    reply.status = route(request.key, reply.peers) ? LookupStatus::done : LookupStatus::next;
  }
  runtime_.send(from, std::move(reply));
}

void ChordNode::on_get_state(const Endpoint& from, const GetStateRequest& request) {
  GetStateReply reply{request.request_id, StateStatus::ok, std::nullopt, {}};
  if (phase_ != Phase::member) {
    reply.status = StateStatus::not_member;
  } else if (state_query_pending_) {
    reply.status = StateStatus::busy;  // our own state is undefined until our query returns
  } else {
    reply.predecessor = predecessor_;
    for (const Peer& peer : successors_)
      reply.successors.push_back(peer);
  }
  runtime_.send(from, std::move(reply));
}

void ChordNode::on_notify(const Endpoint& from, const Notify& notify) {
  if (phase_ != Phase::member || notify.sender_id == self_.id) return;
  const Peer notifier{notify.sender_id, from};
  // rectify (Zave): the notifier is presumed live, since it just sent this.
  if (!predecessor_ || in_open(predecessor_->id, notifier.id, self_.id)) {
    predecessor_ = notifier;
    return;
  }
  if (predecessor_->id == notifier.id) {
    predecessor_->endpoint = from;
    return;
  }
  for (const PendingRpc& rpc : rpcs_) {
    if (rpc.kind == RpcKind::ping_rectify) return;  // one check at a time
  }
  (void)send_request(*predecessor_, RpcKind::ping_rectify, Ping{}, 0, notifier);
}

void ChordNode::on_leave(const Endpoint& from, const Leave& leave) {
  if (phase_ != Phase::member || leave.sender_id == self_.id) return;
  const Peer leaver{leave.sender_id, from};
  fingers_.remove(leaver.id);
  std::erase_if(remembered_, [&](const Peer& p) { return p.id == leaver.id; });
  if (predecessor_ && predecessor_->id == leaver.id) {
    predecessor_.reset();
    // Adopt the leaver's predecessor only once it answers.
    if (leave.predecessor && leave.predecessor->id != self_.id) {
      (void)send_request(*leave.predecessor, RpcKind::ping_adopt_predecessor, Ping{}, 0,
                         *leave.predecessor);
    }
  }
  const auto place = std::find_if(successors_.begin(), successors_.end(),
                                  [&](const Peer& p) { return p.id == leaver.id; });
  if (place == successors_.end()) return;
  const bool was_head = place == successors_.begin();
  successors_.erase(place);
  if (!was_head || state_query_pending_) return;
  // Close the ring at once: read the new head (or the leaver's successor) now.
  if (!successors_.empty()) {
    query_state(successors_.front(), RpcKind::stabilize_successor);
    return;
  }
  for (const Peer& peer : leave.successors) {
    if (peer.id == self_.id) continue;
    query_state(peer, RpcKind::adopt_successor);
    return;
  }
  // The leaver was the only other node: we are a ring of one again.
}

void ChordNode::on_state_reply(PendingRpc rpc, const GetStateReply& reply) {
  switch (rpc.kind) {
    case RpcKind::stabilize_successor: {
      if (reply.status == StateStatus::not_member) {
        on_rpc_timeout(rpc);  // no Chord state: as good as gone for the ring
        return;
      }
      if (reply.status == StateStatus::busy) {
        finish_stabilize();
        return;
      }
      remember(rpc.target);
      adopt_successor_list(rpc.target, reply.successors);
      const auto& candidate = reply.predecessor;
      if (candidate && candidate->id != self_.id &&
          in_open(self_.id, candidate->id, rpc.target.id)) {
        query_state(*candidate, RpcKind::adopt_successor);  // StabilizeFromPredecessor
        return;
      }
      finish_stabilize();
      return;
    }
    case RpcKind::recover_successor:
      if (reply.status != StateStatus::ok) {
        recover_successor();
        return;
      }
      recovery_.clear();
      successors_.clear();
      remember(rpc.target);
      adopt_successor_list(rpc.target, reply.successors);
      finish_stabilize();  // notifies it; stabilize walks back to any closer node
      return;
    case RpcKind::adopt_successor:
      if (reply.status == StateStatus::ok) {
        remember(rpc.target);
        adopt_successor_list(rpc.target, reply.successors);
      }
      finish_stabilize();
      return;
    case RpcKind::join_owner_state: {
      state_query_pending_ = false;
      if (phase_ != Phase::joining) return;
      if (reply.status != StateStatus::ok) {
        try_next_bootstrap();
        return;
      }
      // The node that will follow us answered. Take its predecessor as ours if that lies
      // before us; else join with the owner as successor and no predecessor yet (notify and
      // rectify supply one): every pointer we adopt has answered.
      const auto& before = reply.predecessor;
      if (before && before->id != self_.id && before->id != rpc.subject.id &&
          in_open(before->id, self_.id, rpc.target.id)) {
        query_state(*before, RpcKind::join_state, rpc.target);
        return;
      }
      predecessor_.reset();
      remember(rpc.target);
      adopt_successor_list(rpc.target, reply.successors);
      become_member();
      runtime_.send(rpc.target.endpoint, Notify{self_.id});
      return;
    }
    case RpcKind::join_state: {
      state_query_pending_ = false;
      if (phase_ != Phase::joining) return;
      if (reply.status == StateStatus::not_member && rpc.subject.endpoint.is_set() &&
          rpc.subject.id != self_.id) {
        query_state(rpc.subject, RpcKind::join_owner_state, rpc.target);  // ask the owner
        return;
      }
      if (reply.status != StateStatus::ok) {
        try_next_bootstrap();
        return;
      }
      // Our place must be between the new predecessor and its successor. Entries equal to
      // our own id are a previous life of ours: skip them.
      SuccessorList list;
      for (const Peer& peer : reply.successors) {
        if (peer.id != self_.id) list.push_back(peer);
      }
      const NodeId head = list.empty() ? rpc.target.id : list.front().id;
      if (!list.empty() && !in_open(rpc.target.id, self_.id, head)) {
        try_next_bootstrap();  // the ring moved under us; look again
        return;
      }
      predecessor_ = rpc.target;
      remember(rpc.target);
      if (list.empty()) {
        successors_.assign(1, rpc.target);  // a ring of one: its node is our successor
      } else {
        adopt_successor_list(list.front(), [&] {
          SuccessorList tail;
          for (std::size_t i = 1; i < list.size(); ++i)
            tail.push_back(list[i]);
          return tail;
        }());
      }
      become_member();
      if (const auto head_peer = successor()) runtime_.send(head_peer->endpoint, Notify{self_.id});
      return;
    }
    case RpcKind::lookup_verify:
      on_owner_state(rpc, reply);
      return;
    default:
      return;  // a GetStateReply matched to a ping: ignore
  }
}

void ChordNode::on_owner_state(const PendingRpc& rpc, const GetStateReply& reply) {
  Lookup* lookup = find_lookup(rpc.context);
  if (lookup == nullptr) return;
  if (reply.status == StateStatus::not_member) {  // gone from the ring: as if dead
    on_rpc_timeout(rpc);
    return;
  }
  // The named owner is alive. It owns the key if the key lies in (its predecessor, it]. If
  // its predecessor lies between the key and it, a node joined there that the answer did not
  // know of yet (ToN §V-E's window): that node owns the key; check it the same way.
  const auto& predecessor = reply.predecessor;
  const bool closer_owner = reply.status == StateStatus::ok && predecessor &&
                            predecessor->id != rpc.target.id && predecessor->id != self_.id &&
                            in_closed_open(lookup->key, predecessor->id, rpc.target.id) &&
                            !is_dead(*lookup, predecessor->id);
  if (!closer_owner || ++lookup->restarts > restarts_max) {
    finish_lookup(lookup->id, LookupFailure::none, rpc.target);
    return;
  }
  lookup->candidates.clear();
  lookup->candidates.push_back(*predecessor);
  lookup->candidates.push_back(rpc.target);  // if the newcomer is dead after all
  lookup->in_flight = true;
  (void)send_request(*predecessor, RpcKind::lookup_verify, GetStateRequest{}, lookup->id);
}

void ChordNode::on_pong(PendingRpc rpc) {
  if (rpc.kind == RpcKind::ping_adopt_predecessor) {
    if (!predecessor_ || in_open(predecessor_->id, rpc.subject.id, self_.id)) {
      predecessor_ = rpc.subject;
    }
  }
  // ping_predecessor and ping_rectify: the predecessor is alive; keep it.
}

void ChordNode::on_rpc_timeout(const PendingRpc& rpc) {
  switch (rpc.kind) {
    case RpcKind::stabilize_successor: {
      // StabilizeFromSuccessor, head dead: drop it and read the next one.
      suspect(rpc.target.id);
      const bool was_head = !successors_.empty() && successors_.front().id == rpc.target.id;
      if (was_head && successors_.size() == 1) {
        // The last successor is dead too. It stays in the list while we look for another
        // (an empty list would mean "alone", and we would claim every key).
        recovery_.clear();
        for (const Peer& peer : fingers_.entries())
          recovery_.push_back(peer);
        std::vector<Peer> others = remembered_;
        if (predecessor_) others.push_back(*predecessor_);
        std::sort(others.begin(), others.end(), [&](const Peer& a, const Peer& b) {
          return self_.id.distance_to(a.id) < self_.id.distance_to(b.id);
        });
        for (const Peer& peer : others)
          recovery_.push_back(peer);
        std::erase_if(recovery_, [&](const Peer& p) { return p.id == rpc.target.id; });
        constexpr std::size_t recovery_candidates_max = 16;
        if (recovery_.size() > recovery_candidates_max) recovery_.resize(recovery_candidates_max);
        recover_successor();
        return;
      }
      if (was_head) successors_.erase(successors_.begin());
      if (successors_.empty()) {
        finish_stabilize();
        return;
      }
      query_state(successors_.front(), RpcKind::stabilize_successor);
      return;
    }
    case RpcKind::recover_successor:
      suspect(rpc.target.id);
      recover_successor();
      return;
    case RpcKind::adopt_successor:
      suspect(rpc.target.id);
      finish_stabilize();  // keep the list we had: never replace a live pointer by a dead one
      return;
    case RpcKind::join_state:
      state_query_pending_ = false;
      if (phase_ == Phase::joining && rpc.subject.endpoint.is_set() && rpc.subject.id != self_.id) {
        query_state(rpc.subject, RpcKind::join_owner_state, rpc.target);  // ask the owner
        return;
      }
      try_next_bootstrap();
      return;
    case RpcKind::join_owner_state:
      state_query_pending_ = false;
      try_next_bootstrap();
      return;
    case RpcKind::ping_predecessor:
      if (predecessor_ && predecessor_->id == rpc.target.id) predecessor_.reset();
      suspect(rpc.target.id);
      return;
    case RpcKind::ping_rectify:
      if (predecessor_ && predecessor_->id == rpc.target.id) predecessor_ = rpc.subject;
      suspect(rpc.target.id);
      return;
    case RpcKind::ping_adopt_predecessor:
      return;
    case RpcKind::lookup_verify: {
      // The named owner is dead: the next successor the answer named owns the key now.
      Lookup* lookup = find_lookup(rpc.context);
      if (lookup == nullptr) return;
      ++lookup->timeouts;
      suspect(rpc.target.id);
      if (!lookup->candidates.empty() && lookup->candidates.front().id == rpc.target.id) {
        for (std::size_t i = 1; i < lookup->candidates.size(); ++i) {
          lookup->candidates[i - 1] = lookup->candidates[i];
        }
        lookup->candidates.pop_back();
      }
      if (lookup->dead.full()) {
        for (std::size_t i = 1; i < lookup->dead.size(); ++i)
          lookup->dead[i - 1] = lookup->dead[i];
        lookup->dead.pop_back();
      }
      lookup->dead.push_back(rpc.target.id);
      if (lookup->candidates.empty()) {
        continue_past(*lookup, rpc.target.id);
        return;
      }
      if (lookup->candidates.front().id == self_.id) {  // the key is ours
        finish_lookup(lookup->id, LookupFailure::none, self_);
        return;
      }
      (void)send_request(lookup->candidates.front(), RpcKind::lookup_verify, GetStateRequest{},
                         lookup->id);
      return;
    }
    case RpcKind::lookup_step: {
      Lookup* lookup = find_lookup(rpc.context);
      if (lookup == nullptr) return;
      ++lookup->timeouts;
      lookup->in_flight = false;
      if (rpc.target.id != NodeId()) {
        suspect(rpc.target.id);
        if (lookup->dead.full()) {
          for (std::size_t i = 1; i < lookup->dead.size(); ++i)
            lookup->dead[i - 1] = lookup->dead[i];
          lookup->dead.pop_back();
        }
        lookup->dead.push_back(rpc.target.id);
      }
      if (lookup->purpose == LookupPurpose::join || lookup->purpose == LookupPurpose::check_ring) {
        if (lookup->hops == 0) {  // the first contact did not answer: try another
          finish_lookup(lookup->id, LookupFailure::no_route, {});
          return;
        }
      }
      advance_lookup(*lookup);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------
// RPCs

RequestId ChordNode::send_request(const Peer& target, RpcKind kind, Message&& message,
                                  std::uint64_t context, const Peer& subject) {
  const RequestId id = next_request_id_++;
  std::visit(
      [id](auto& m) {
        if constexpr (requires { m.request_id; }) m.request_id = id;
      },
      message);
  if (rpcs_.size() >= config_.pending_rpcs_max) {
    // Full: the oldest RPC is treated as timed out rather than growing without bound.
    const PendingRpc oldest = rpcs_.front();
    rpcs_.erase(rpcs_.begin());
    on_rpc_timeout(oldest);
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

void ChordNode::expire_deadlines() {
  const Time now = runtime_.now();
  // Bounded: each pass removes the expired RPCs it finds; handlers may add new ones, whose
  // deadlines lie in the future.
  std::vector<PendingRpc> expired;
  for (const PendingRpc& rpc : rpcs_) {
    if (rpc.deadline <= now) expired.push_back(rpc);
  }
  std::erase_if(rpcs_, [&](const PendingRpc& rpc) { return rpc.deadline <= now; });
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

// ---------------------------------------------------------------------------------------
// Lookups
//
// Iterative: the initiator asks one node per hop for the closest node it knows preceding
// the key, until a node answers that it knows the owner (the key lies between it and its
// successor, or, with successor-list routing, within its successor list).
//
// Path length is counted as the Chord paper's simulator counts it (REFERENCES.md §1.0):
// hops = the nodes contacted that answered, the last being the node that names the owner.
// The initiator is not counted. A key owned by the initiator's own successor needs no other
// node and counts 1 hop: the owner is reached directly (Fig. 10b's smallest value is 1; its
// mean at N = 8 is 1.7, at 4096 nodes 5.85 ≈ ½·log2 N). Timeouts are counted separately
// and never as hops.

Result<std::uint64_t> ChordNode::lookup(const NodeId& key) {
  if (phase_ != Phase::member) return Error{Errc::not_member, "not a ring member"};
  return start_lookup(key, LookupPurpose::user, std::nullopt);
}

Result<std::uint64_t> ChordNode::start_lookup(const NodeId& key, LookupPurpose purpose,
                                              std::optional<Endpoint> first_contact,
                                              std::uint8_t finger_index) {
  if (lookups_.size() >= config_.lookups_max) return Error{Errc::queue_full, "too many lookups"};
  Lookup lookup;
  lookup.id = next_lookup_id_++;
  lookup.key = key;
  lookup.started = runtime_.now();
  lookup.deadline = lookup.started + config_.lookup_timeout;
  lookup.purpose = purpose;
  lookup.finger_index = finger_index;
  lookup.route_key = key;
  lookup.responder = self_;
  const std::uint64_t id = lookup.id;
  if (first_contact) {
    lookup.in_flight = true;
    lookups_.push_back(lookup);
    (void)send_request(Peer{NodeId(), *first_contact}, RpcKind::lookup_step,
                       FindSuccessorRequest{0, key, 0}, id);
    return id;
  }
  LookupPeers peers;
  const bool done = route(key, peers);
  lookups_.push_back(lookup);
  if (done) {
    Lookup& stored = lookups_.back();
    stored.key_predecessor = peers[0];
    verify_owner(stored, peers.span().subspan(1));
    return id;
  }
  Lookup& stored = lookups_.back();
  stored.candidates = peers;
  advance_lookup(stored);
  return id;
}

void ChordNode::advance_lookup(Lookup& lookup) {
  const std::uint64_t id = lookup.id;
  if (runtime_.now() >= lookup.deadline) {
    finish_lookup(id, LookupFailure::deadline, {});
    return;
  }
  if (lookup.hops >= config_.lookup_hops_max) {
    finish_lookup(id, LookupFailure::hops_exceeded, {});
    return;
  }
  if (lookup.candidates.empty() && lookup.purpose != LookupPurpose::join &&
      phase_ == Phase::member) {
    // Every candidate the path offered failed: fall back on our own fingers and successors
    // that precede the key (ToN §V-A), except those that already failed.
    LookupPeers own;
    if (route(lookup.route_key, own, &lookup)) {
      if (++lookup.restarts > restarts_max) {
        finish_lookup(id, LookupFailure::no_route, {});
        return;
      }
      lookup.key_predecessor = own[0];
      verify_owner(lookup, own.span().subspan(1));
      return;
    }
    for (const Peer& peer : own) {
      if (!is_dead(lookup, peer.id)) lookup.candidates.push_back(peer);
    }
  }
  if (lookup.candidates.empty()) {
    finish_lookup(id, LookupFailure::no_route, {});
    return;
  }
  const Peer next = lookup.candidates.front();
  for (std::size_t i = 1; i < lookup.candidates.size(); ++i) {
    lookup.candidates[i - 1] = lookup.candidates[i];
  }
  lookup.candidates.pop_back();
  lookup.in_flight = true;
  (void)send_request(next, RpcKind::lookup_step,
                     FindSuccessorRequest{0, lookup.route_key, lookup.hops}, id);
}

void ChordNode::on_lookup_reply(PendingRpc rpc, const FindSuccessorReply& reply) {
  if (rpc.kind != RpcKind::lookup_step) return;
  Lookup* lookup = find_lookup(rpc.context);
  if (lookup == nullptr) return;
  lookup->in_flight = false;
  if (reply.status == LookupStatus::busy) {
    if (lookup->hops == 0 && lookup->purpose != LookupPurpose::user &&
        lookup->purpose != LookupPurpose::fix_finger) {
      finish_lookup(lookup->id, LookupFailure::no_route, {});  // first contact not a member
      return;
    }
    advance_lookup(*lookup);
    return;
  }
  ++lookup->hops;
  lookup->responder = Peer{reply.responder_id, rpc.target.endpoint};
  if (reply.status == LookupStatus::done && reply.peers.size() >= 2) {
    lookup->key_predecessor = reply.peers[0];
    verify_owner(*lookup, reply.peers.span().subspan(1));
    return;
  }
  // Keep only candidates that make progress: strictly between the responder and the key.
  for (const Peer& peer : reply.peers) {
    if (peer.id == self_.id || is_dead(*lookup, peer.id)) continue;
    if (!in_open(reply.responder_id, peer.id, lookup->route_key)) continue;
    insert_candidate(lookup->candidates, peer, lookup->route_key);
  }
  advance_lookup(*lookup);
}

void ChordNode::verify_owner(Lookup& lookup, std::span<const Peer> peers) {
  const Peer owner = peers.front();
  const bool check =
      config_.verify_owner && owner.id != self_.id && lookup.purpose != LookupPurpose::join;
  if (!check) {
    finish_lookup(lookup.id, LookupFailure::none, owner);
    return;
  }
  lookup.verifying = true;
  lookup.candidates.clear();
  for (const Peer& peer : peers) {
    if (lookup.candidates.full()) break;
    if (is_dead(lookup, peer.id)) continue;
    lookup.candidates.push_back(peer);
    if (peer.id == self_.id) break;  // we are alive: no need to look further
  }
  if (lookup.candidates.empty()) {  // every owner named is known dead: search past them
    continue_past(lookup, peers.back().id);
    return;
  }
  if (lookup.candidates.front().id == self_.id) {
    finish_lookup(lookup.id, LookupFailure::none, self_);
    return;
  }
  lookup.in_flight = true;
  (void)send_request(lookup.candidates.front(), RpcKind::lookup_verify, GetStateRequest{},
                     lookup.id);
}

void ChordNode::continue_past(Lookup& lookup, const NodeId& last_dead) {
  // Every node from the key to `last_dead` is dead, so the key's owner is the owner of
  // last_dead + 1: route there, starting again from the node that named them (it answered,
  // and its successor list reaches further than its answer could carry).
  lookup.verifying = false;
  lookup.in_flight = false;
  lookup.route_key = last_dead.plus_power_of_two(0);
  lookup.candidates.clear();
  if (lookup.responder.id != self_.id && !is_dead(lookup, lookup.responder.id)) {
    lookup.candidates.push_back(lookup.responder);
  }
  advance_lookup(lookup);
}

bool ChordNode::is_dead(const Lookup& lookup, const NodeId& id) {
  for (const NodeId& dead : lookup.dead) {
    if (dead == id) return true;
  }
  return false;
}

ChordNode::Lookup* ChordNode::find_lookup(std::uint64_t id) {
  for (Lookup& lookup : lookups_) {
    if (lookup.id == id) return &lookup;
  }
  return nullptr;
}

void ChordNode::finish_lookup(std::uint64_t lookup_id, LookupFailure failure, const Peer& owner) {
  const auto it = std::find_if(lookups_.begin(), lookups_.end(),
                               [&](const Lookup& l) { return l.id == lookup_id; });
  CHORD_ASSERT(it != lookups_.end());
  const Lookup lookup = *it;
  lookups_.erase(it);
  std::erase_if(rpcs_, [&](const PendingRpc& rpc) {
    return (rpc.kind == RpcKind::lookup_step || rpc.kind == RpcKind::lookup_verify) &&
           rpc.context == lookup_id;
  });

  LookupResult result;
  result.lookup_id = lookup.id;
  result.purpose = lookup.purpose;
  result.key = lookup.key;
  result.failure = failure;
  result.owner = owner;
  result.hops =
      failure == LookupFailure::none ? std::max<std::uint8_t>(lookup.hops, 1) : lookup.hops;
  result.timeouts = lookup.timeouts;
  result.latency = runtime_.now() - lookup.started;
  runtime_.report(result);

  switch (lookup.purpose) {
    case LookupPurpose::user:
      return;
    case LookupPurpose::join:
      if (phase_ != Phase::joining) return;
      if (failure != LookupFailure::none || lookup.key_predecessor.id == self_.id) {
        try_next_bootstrap();
        return;
      }
      // Zave's join reads the new predecessor; the owner is kept in case that node turns out
      // not to be a member (it may be rejoining itself).
      query_state(lookup.key_predecessor, RpcKind::join_state, owner);
      return;
    case LookupPurpose::fix_finger: {
      if (phase_ != Phase::member) return;
      if (failure != LookupFailure::none) {
        if (building_fingers_) {  // give up the fast round; the periodic one goes on
          building_fingers_ = false;
          schedule(TimerKind::fix_fingers, config_.fix_fingers_period);
        }
        return;
      }
      fingers_.refresh(lookup.finger_index, owner);
      remember(owner);
      const std::size_t index = lookup.finger_index;
      // Lower fingers all fall on the successor once 2^(index-1) is within reach of it.
      const auto head = successor();
      const bool round_done =
          index == 0 || !head ||
          !(self_.id.distance_to(head->id) < NodeId().plus_power_of_two(index - 1));
      if (round_done) {
        next_finger_ = id_bits - 1;
        if (building_fingers_) {
          building_fingers_ = false;
          schedule(TimerKind::fix_fingers, config_.fix_fingers_period);
        }
      } else {
        next_finger_ = static_cast<std::uint8_t>(index - 1);
        if (building_fingers_ && !in_fix_fingers_) fix_fingers();
      }
      return;
    }
    case LookupPurpose::check_ring: {
      if (phase_ != Phase::member || failure != LookupFailure::none) return;
      if (owner.id == self_.id || state_query_pending_) return;
      const auto head = successor();
      if (!head || in_open(self_.id, owner.id, head->id)) {
        query_state(owner, RpcKind::adopt_successor);  // adopted only if it answers
      }
      return;
    }
  }
}

bool ChordNode::route(const NodeId& key, LookupPeers& peers, const Lookup* lookup) const {
  // Peers this lookup already found dead are left out.
  auto usable = [&](const Peer& peer) { return lookup == nullptr || !is_dead(*lookup, peer.id); };
  peers.clear();
  if (successors_.empty()) {  // alone: we own every key and precede it
    peers.push_back(self_);
    peers.push_back(self_);
    return true;
  }
  const std::size_t routing_successors = config_.route_with_successor_list ? successors_.size() : 1;
  Peer previous = self_;
  for (std::size_t i = 0; i < routing_successors; ++i) {
    if (in_open_closed(previous.id, key, successors_[i].id)) {
      peers.push_back(previous);  // the key's predecessor, then its owner and beyond
      for (std::size_t j = i; j < successors_.size() && !peers.full(); ++j) {
        peers.push_back(successors_[j]);
      }
      return true;
    }
    previous = successors_[i];
  }
  // Closest preceding nodes among fingers and successors, best first. The last two places
  // go to our first successors: if every far candidate is dead, the initiator can still
  // make progress along the ring through them (they are the farthest from the key).
  LookupPeers best;
  for (const Peer& peer : fingers_.entries()) {
    if (usable(peer) && in_open(self_.id, peer.id, key)) insert_candidate(best, peer, key);
  }
  for (std::size_t i = 0; i < routing_successors; ++i) {
    const Peer& peer = successors_[i];
    if (usable(peer) && in_open(self_.id, peer.id, key)) insert_candidate(best, peer, key);
  }
  constexpr std::size_t ring_fallbacks = 2;
  for (const Peer& peer : best) {
    if (peers.size() + ring_fallbacks >= peers.capacity) break;
    peers.push_back(peer);
  }
  std::size_t added = 0;
  for (std::size_t i = 0; i < routing_successors && added < ring_fallbacks; ++i) {
    const Peer& peer = successors_[i];
    if (!usable(peer) || !in_open(self_.id, peer.id, key)) continue;
    insert_candidate(peers, peer, key);
    ++added;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Routing state

void ChordNode::suspect(const NodeId& id) {
  if (maintenance_paused_) return;  // ToN Table II keeps dead fingers while paused
  fingers_.remove(id);
  // The head is stabilize's to replace (it reads the next entry and checks it answers).
  if (successors_.size() > 1) {
    successors_.erase(std::remove_if(successors_.begin() + 1, successors_.end(),
                                     [&](const Peer& p) { return p.id == id; }),
                      successors_.end());
  }
}

void ChordNode::remember(const Peer& peer) {
  if (peer.id == self_.id || config_.remembered_peers_max == 0) return;
  for (Peer& known : remembered_) {
    if (known.id == peer.id) {
      known.endpoint = peer.endpoint;
      return;
    }
  }
  if (remembered_.size() < config_.remembered_peers_max) {
    remembered_.push_back(peer);
    return;
  }
  remembered_[remembered_next_ % remembered_.size()] = peer;
  remembered_next_ = static_cast<std::uint8_t>((remembered_next_ + 1) % remembered_.size());
}

std::optional<Peer> ChordNode::successor() const {
  if (successors_.empty()) return std::nullopt;
  return successors_.front();
}

}  // namespace chord
