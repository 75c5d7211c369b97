#include "core/chord_node.h"

#include <algorithm>

#include "core/overloaded.h"
#include "core/ring_interval.h"

namespace chord {
ChordNode::ChordNode(const ChordConfig& config, Runtime& runtime, const Peer& self)
    : config_(config), runtime_(runtime), self_(self), next_request_id_(runtime.random()) {
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
  heard_in_round_ = false;
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
  // A round in which nobody answered at all (every peer we know is gone, as when the only
  // other node of a ring of two died) leaves nobody to rejoin through: re-form at once,
  // not after reform_after_rounds. Peers that answer "not a member" (a total outage, all
  // rejoining) count as answers, so those rounds still wait, and their rings still merge.
  if (lost_ring_ && config_.reform_after_rounds > 0 &&
      (!heard_in_round_ || ++failed_join_rounds_ >= config_.reform_after_rounds)) {
    // Nobody we know is a member: re-form the ring from here. We keep the peers we
    // remember, through which check_ring finds the rings the others re-form.
    lost_ring_ = false;
    failed_join_rounds_ = 0;
    predecessor_.reset();
    successors_.clear();
    join_order_.release();
    phase_ = Phase::member;
    state_query_pending_ = false;
    runtime_.notice(NodeNotice::reformed);
    runtime_.notice(NodeNotice::joined);
    start_timers(false);
    return;
  }
  schedule(TimerKind::join_retry, config_.join_retry_period);
}

void ChordNode::become_member() {
  phase_ = Phase::member;
  join_order_.release();  // the join round's contacts: no room kept while a member
  lost_ring_ = false;
  failed_join_rounds_ = 0;
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
  // In ring order from us, distinct, never us (what adopt_successor_list keeps).
  const NodeId* previous = &self_.id;
  for (const Peer& peer : successors) {
    CHORD_ASSERT(in_open(*previous, peer.id, self_.id));
    previous = &peer.id;
  }
  predecessor_ = predecessor;
  successors_.assign(successors);
  fingers_.assign(self_.id, fingers);
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
  lost_ring_ = true;
  failed_join_rounds_ = 0;
  runtime_.notice(NodeNotice::lost_ring);
  start_join_round();
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
      schedule(TimerKind::ping_predecessor, maintenance_period(config_.ping_predecessor_period));
      if (!maintenance_paused_) ping_predecessor();
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
    case TimerKind::chat_resend:
    case TimerKind::user_renew:
      return;  // the DHT's and chat's (core/peer_node.h), not the ring's
    case TimerKind::count_:
      break;
  }
  CHORD_ASSERT(false);
}

void ChordNode::on_message(const Endpoint& from, const Message& message) {
  if (phase_ == Phase::left || phase_ == Phase::idle) return;
  if (phase_ == Phase::joining &&
      (std::holds_alternative<FindSuccessorReply>(message) ||
       std::holds_alternative<GetStateReply>(message) || std::holds_alternative<Pong>(message))) {
    heard_in_round_ = true;  // somebody is out there (try_next_bootstrap)
  }
  if (predecessor_ && predecessor_->endpoint == from) heard_predecessor_ = 2;
  std::visit(
      Overloaded{
          [&](const FindSuccessorRequest& m) { on_find_successor(from, m); },
          [&](const GetStateRequest& m) { on_get_state(from, m); },
          [&](const Notify& m) { on_notify(from, m); }, [&](const Leave& m) { on_leave(from, m); },
          [&](const Nudge& m) { on_nudge(from, m); },
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
    // A newcomer, most likely, between the old predecessor and us: the old one must now
    // adopt it as its successor. Tell it to look now rather than at its next round: after
    // concurrent joins, a run of nodes that skip past each other is taken in by a cascade
    // of these, one round trip per node, not one period per node.
    if (predecessor_) runtime_.send(predecessor_->endpoint, Nudge{self_.id});
    predecessor_ = notifier;
    disturb();
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
  disturb();
  fingers_.remove(leaver.id);
  remembered_.erase_if_id([&](const NodeId& id) { return id == leaver.id; });
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
  if (successors_.size() == 1) {
    // Our only successor leaves. Keep it until a replacement answers (an empty list would
    // mean "alone", and we would claim every key meanwhile); stabilize drops it otherwise.
    if (state_query_pending_) return;
    for (const Peer& peer : leave.successors) {
      if (peer.id == self_.id) continue;
      query_state(peer, RpcKind::adopt_successor);
      return;
    }
    successors_.clear();  // it was the only other node: we are a ring of one again
    return;
  }
  successors_.erase(place);
  successors_changed();
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
        // We learned nothing: not a quiet round, or a node outside the ring whose
        // successor is busy would back off and stay outside ever longer.
        disturb();
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
      finish_stabilize(candidate);
      return;
    }
    case RpcKind::recover_successor:
      if (reply.status == StateStatus::busy) {
        // Alive and a member, only busy with its own query (it may be recovering from the
        // same crash): take it as our successor, and stabilize reads its list next round.
        // Passing over it could leave no candidate, and we would leave the ring.
        recovery_.clear();
        successors_.assign_one(rpc.target);
        remember(rpc.target);
        successors_changed();
        finish_stabilize();
        return;
      }
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
    case RpcKind::adopt_successor: {
      const auto before = successor();
      if (reply.status == StateStatus::ok) {
        remember(rpc.target);
        adopt_successor_list(rpc.target, reply.successors);
      }
      finish_stabilize();
      // A round moves the successor back one node (to the old head's predecessor). If it
      // moved, the new head's predecessor may lie between too: run the next round at once
      // rather than a period later, so a pointer that skips k nodes is fixed in k round
      // trips, not k periods. Each repeat needs a closer node that answered, so it ends.
      const auto after = successor();
      if (after && (!before || before->id != after->id)) {
        runtime_.set_timer(TimerKind::stabilize, runtime_.now());
      }
      return;
    }
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
        // Alone, or it has not adopted yet the node that joined after it: the owner that
        // sent us here, whose predecessor it is. That one follows us, else it does.
        const Peer& owner = rpc.subject;
        const bool after = owner.endpoint.is_set() && owner.id != rpc.target.id &&
                           owner.id != self_.id && in_open(self_.id, owner.id, rpc.target.id);
        successors_.assign_one(after ? owner : rpc.target);
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
  disturb();  // someone may have failed
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
        std::vector<Peer> others = remembered_.to_vector();
        if (predecessor_) others.push_back(*predecessor_);
        std::sort(others.begin(), others.end(), [&](const Peer& a, const Peer& b) {
          return self_.id.distance_to(a.id) < self_.id.distance_to(b.id);
        });
        for (const Peer& peer : others)
          recovery_.push_back(peer);
        erase_if(recovery_, [&](const Peer& p) { return p.id == rpc.target.id; });
        constexpr std::size_t recovery_candidates_max = 16;
        if (recovery_.size() > recovery_candidates_max) recovery_.resize(recovery_candidates_max);
        recover_successor();
        return;
      }
      if (was_head) {
        successors_.erase(successors_.begin());
        successors_changed();  // the adoption that follows may find nothing more to change
      }
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
      note_dead(*lookup, rpc.target.id);
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
        note_dead(*lookup, rpc.target.id);
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
// Routing state

void ChordNode::suspect(const NodeId& id) {
  if (maintenance_paused_) return;  // ToN Table II keeps dead fingers while paused
  fingers_.remove(id);
  // The head is stabilize's to replace (it reads the next entry and checks it answers).
  // (The list is distinct: only a head other than `id` leaves anything to remove.)
  if (successors_.size() > 1 && successors_.id(0) != id) {
    successors_.erase_if_id([&](const NodeId& entry) { return entry == id; });
  }
}

void ChordNode::remember(const Peer& peer) {
  if (peer.id == self_.id || config_.remembered_peers_max == 0) return;
  if (const std::size_t known = remembered_.find(peer.id); known < remembered_.size()) {
    remembered_.set(known, peer);  // the same id may come back at a new address
    return;
  }
  if (remembered_.size() < config_.remembered_peers_max) {
    remembered_.push_back(peer);
    return;
  }
  remembered_.set(remembered_next_ % remembered_.size(), peer);
  remembered_next_ = static_cast<std::uint8_t>((remembered_next_ + 1) % remembered_.size());
}

std::optional<Peer> ChordNode::successor() const {
  if (successors_.empty()) return std::nullopt;
  return successors_.front();
}

}  // namespace chord
