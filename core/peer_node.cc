#include "core/peer_node.h"

#include <algorithm>

#include "core/overloaded.h"
#include "core/ring_interval.h"
#include "core/user_record.h"

namespace chord {
const char* validate(const NodeConfig& config) {
  if (const char* why = validate(config.chord)) return why;
  const DhtConfig& dht = config.dht;
  if (dht.replicas > config.chord.successor_list_length) {
    return "dht.replicas must not exceed the successor list length (replicas are successors)";
  }
  if (dht.records_max < 1) return "dht.records_max must be at least 1";
  if (dht.value_bytes_max > record_value_bytes_max) return "dht.value_bytes_max over 1024";
  if (dht.replicate_period <= Duration(0)) return "dht.replicate_period must be positive";
  if (dht.lease_sweep_period <= Duration(0)) return "dht.lease_sweep_period must be positive";
  if (dht.request_timeout <= Duration(0)) return "dht.request_timeout must be positive";
  if (dht.attempts_max < 1 || dht.attempts_max > 16) return "dht.attempts_max must be in [1, 16]";
  if (dht.retry_backoff < Duration(0)) return "dht.retry_backoff must not be negative";
  if (dht.operations_max < 1) return "dht.operations_max must be at least 1";
  return nullptr;
}

PeerNode::PeerNode(const NodeConfig& config, Runtime& runtime, const Peer& self)
    : config_(config),
      runtime_(runtime),
      ring_runtime_(*this),
      chord_(config.chord, ring_runtime_, self),
      store_(config.dht.records_max, config.dht.value_bytes_max),
      next_request_id_(runtime.random()) {
  CHORD_ASSERT(validate(config) == nullptr);
}

ChatService& PeerNode::chat() {
  if (!chat_) chat_ = std::make_unique<ChatService>(config_.chat, *this, runtime_);
  return *chat_;
}

// ---------------------------------------------------------------------------------------
// Inputs

void PeerNode::on_message(const Endpoint& from, const Message& message,
                          const PublicKey* channel_key) {
  std::visit(Overloaded{
                 [&](const DhtPut& m) { on_put(from, m); },
                 [&](const DhtGet& m) { on_get(from, m); },
                 [&](const DhtRemove& m) { on_remove(from, m); },
                 [&](const RecordTransfer& m) { on_transfer(from, m); },
                 [&](const DhtPutReply& m) {
                   on_operation_reply(from, m.request_id, m.status, nullptr, 0);
                 },
                 [&](const DhtGetReply& m) {
                   on_operation_reply(from, m.request_id, m.status, &m.value, m.lease_ms);
                 },
                 [&](const DhtRemoveReply& m) {
                   on_operation_reply(from, m.request_id, m.status, nullptr, 0);
                 },
                 [&](const RecordTransferAck&) {},  // transfers are repeated, not retried
                 [&](const ChatOpen&) { chat().on_message(from, message, channel_key); },
                 [&](const ChatText&) { chat().on_message(from, message, channel_key); },
                 [&](const ChatClose&) { chat().on_message(from, message, channel_key); },
                 [&](const ChatAck&) { chat().on_message(from, message, channel_key); },
                 [&](const ChatAccept&) { chat().on_message(from, message, channel_key); },
                 [&](const auto&) { chord_.on_message(from, message); },
             },
             message);
  after_input();
}

void PeerNode::on_identity_mismatch(const Endpoint& peer, const PublicKey& expected) {
  if (chat_) chat_->on_identity_mismatch(peer, expected);
  after_input();
}

void PeerNode::on_connection_lost(const Endpoint& peer) {
  chord_.on_connection_lost(peer);
  after_input();
}

void PeerNode::on_timer(TimerKind kind) {
  const bool member = chord_.phase() == ChordNode::Phase::member;
  switch (kind) {
    case TimerKind::replicate:
      replicate_armed_ = false;
      if (member) replicate();
      break;
    case TimerKind::lease_sweep:
      sweep_armed_ = false;
      if (member) {
        store_.expire(runtime_.now());
        arm_store_timers();
      }
      break;
    case TimerKind::dht_deadlines:
      armed_deadline_ = Time::max();
      expire_operations();
      arm_deadlines();
      break;
    case TimerKind::chat_resend:
    case TimerKind::user_renew:
      if (chat_) chat_->on_timer(kind);  // armed only by an existing ChatService
      break;
    default:
      chord_.on_timer(kind);
      break;
  }
  after_input();
}

void PeerNode::on_notice(NodeNotice notice) {
  if (notice == NodeNotice::joined) {
    joined_at_ = runtime_.now();
    last_predecessor_.reset();
    if (chord_.predecessor()) last_predecessor_ = chord_.predecessor()->id;
    replicate_armed_ = sweep_armed_ = false;
    arm_store_timers();
  }
  runtime_.notice(notice);
}

void PeerNode::after_input() {
  if (chord_.phase() != ChordNode::Phase::member) return;
  if (chord_.backoff() < replicate_factor_) {
    // The ring was disturbed: replicas may be missing, so replicate at the base period.
    replicate_factor_ = 1;
    if (replicate_armed_) {
      runtime_.set_timer(TimerKind::replicate, runtime_.now() + config_.dht.replicate_period);
    }
  }
  const auto& predecessor = chord_.predecessor();
  if (!predecessor) return;  // keep the old one: a new one is compared with it
  if (last_predecessor_ == predecessor->id) return;
  // A new predecessor: everything we hold outside our range (self, predecessor]... is either
  // its own range now (it joined, perhaps where a crashed node was, or the ring grew from
  // us alone) or the range of nodes before it, of which it is a replica too. Hand it all
  // over; the store's owner and version checks make repeated copies harmless. We keep ours:
  // as its successor we are one of its replicas.
  const NodeId& self = chord_.self().id;
  if (predecessor->id != self)
    send_records(*predecessor, TransferKind::handover, self, predecessor->id);
  last_predecessor_ = predecessor->id;
}

// ---------------------------------------------------------------------------------------
// Requests served

bool PeerNode::responsible_for(const NodeId& key) const {
  if (chord_.phase() != ChordNode::Phase::member) return false;
  // A known predecessor bounds our range even while our successor list is still empty (the
  // first node of a ring, before it adopts a successor, already has the joiner as its
  // predecessor: it must not take the joiner's keys).
  const auto& predecessor = chord_.predecessor();
  if (predecessor && predecessor->id != chord_.self().id) {
    return in_open_closed(predecessor->id, key, chord_.self().id);
  }
  // Alone, or the predecessor not known yet: the lookup that sent the key here decides.
  return true;
}

// Within handover_grace of joining, the successor that held our range before us: its
// records may still be on their way to us.
std::optional<Peer> PeerNode::handover_source() const {
  const PeerList& successors = chord_.successors();
  if (runtime_.now() - joined_at_ >= config_.dht.handover_grace || successors.empty() ||
      successors.front().id == chord_.self().id) {
    return std::nullopt;
  }
  return successors.front();
}

DhtStatus PeerNode::admit(Record& record, RecordStore::Kind& kind) const {
  // Replicas are pushed again every replicate_period: bytes this store already took were
  // checked then, and their lease here already ends by the signed expiry, so a repeated
  // copy keeps what is stored (the owner, version and kind derived then).
  const Time now = runtime_.now();
  if (const StoredRecord* held = store_.find(record.key, now);
      held != nullptr && held->value == record.value) {
    record.owner = held->owner;
    record.version = held->version;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(held->expires - now);
    record.lease_ms =
        static_cast<std::uint32_t>(std::min<std::int64_t>(record.lease_ms, left.count()));
    kind = held->removed ? RecordStore::Kind::tombstone : RecordStore::Kind::live;
    return DhtStatus::ok;
  }
  const auto decoded = decode_user_record(record.value);
  if (!decoded) return DhtStatus::bad_record;
  const std::int64_t now_ms = runtime_.wall_clock_ms();
  switch (check_user_record(record.key, *decoded, now_ms)) {
    case RecordCheck::ok:
      break;
    case RecordCheck::expired:
    case RecordCheck::too_far:
      return DhtStatus::record_expired;  // signed, but out of this clock's range: say so
    default:
      return DhtStatus::bad_record;
  }
  record.owner = owner_token(decoded->public_key);
  record.version = decoded->seq;
  record.lease_ms = lease_within_expiry(record.lease_ms, decoded->expires_ms, now_ms);
  kind = decoded->kind == UserRecordKind::tombstone ? RecordStore::Kind::tombstone
                                                    : RecordStore::Kind::live;
  return DhtStatus::ok;
}

DhtStatus PeerNode::store_checked(Record& record) {
  RecordStore::Kind kind = RecordStore::Kind::live;
  const DhtStatus status = admit(record, kind);
  return status == DhtStatus::ok ? store_.put(record, runtime_.now(), kind) : status;
}

DhtStatus PeerNode::store_primary(const Record& record) {
  Record checked = record;
  const DhtStatus status = store_checked(checked);
  if (status == DhtStatus::ok) {
    arm_store_timers();
    replicate_one(checked);
  }
  return status;
}

void PeerNode::on_put(const Endpoint& from, const DhtPut& request) {
  DhtPutReply reply{request.request_id, DhtStatus::busy};
  if (chord_.phase() == ChordNode::Phase::member) {
    reply.status = responsible_for(request.record.key) ? store_primary(request.record)
                                                       : DhtStatus::not_responsible;
  }
  runtime_.send(from, reply);
}

void PeerNode::on_get(const Endpoint& from, const DhtGet& request) {
  DhtGetReply reply{request.request_id, DhtStatus::busy, 0, {}};
  const Time now = runtime_.now();
  if (chord_.phase() == ChordNode::Phase::member) {
    const bool responsible = responsible_for(request.key);
    // Any copy we hold answers, a replica's too: availability first while the ring settles
    // (the owner a lookup names may be a replica for a moment). Removals reach the primary
    // and every replica (as tombstones), so a removed record is rarely left anywhere.
    const StoredRecord* stored = store_.get(request.key, now);
    if (stored != nullptr) {
      reply.status = DhtStatus::ok;
      reply.value = stored->value;
      reply.lease_ms = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(stored->expires - now).count());
    } else if (!responsible) {
      reply.status = DhtStatus::not_responsible;
    } else if (const auto holder = handover_source();
               holder && holder->endpoint != from &&
               operations_.size() < config_.dht.operations_max) {
      // We took this range over moments ago and its records may still be on their way:
      // ask the successor that held it.
      Operation forward;
      forward.id = next_operation_id_++;
      forward.kind = DhtOperation::get;
      forward.record.key = request.key;
      forward.started = now;
      forward.attempts = static_cast<std::uint8_t>(config_.dht.attempts_max);  // no retries
      forward.reply_to = from;
      forward.reply_id = request.request_id;
      forward.target = *holder;
      operations_.push_back(forward);
      send_operation_request(operations_.back());
      return;
    } else {
      reply.status = DhtStatus::not_found;
    }
  }
  runtime_.send(from, std::move(reply));
}

void PeerNode::on_remove(const Endpoint& from, const DhtRemove& request) {
  // Anyone could send this: only a signed tombstone (a put) removes a record.
  runtime_.send(from, DhtRemoveReply{request.request_id, DhtStatus::bad_record});
}

void PeerNode::on_transfer(const Endpoint& from, const RecordTransfer& transfer) {
  for (const Record& record : transfer.records) {
    // A replica or a handover: the sender was responsible, but it is not trusted. A record
    // that fails its check is dropped; a newer copy here wins.
    Record checked = record;
    (void)store_checked(checked);
  }
  arm_store_timers();
  runtime_.send(from, RecordTransferAck{transfer.request_id, DhtStatus::ok});
}

// ---------------------------------------------------------------------------------------
// Operations

Result<std::uint64_t> PeerNode::put(const Record& record) {
  Operation operation;
  operation.kind = DhtOperation::put;
  operation.record = record;
  return start(std::move(operation));
}

Result<std::uint64_t> PeerNode::get(const NodeId& key) {
  Operation operation;
  operation.kind = DhtOperation::get;
  operation.record.key = key;
  return start(std::move(operation));
}

Result<std::uint64_t> PeerNode::remove(const Record& tombstone) {
  Operation operation;
  operation.kind = DhtOperation::remove;
  operation.record = tombstone;
  return start(std::move(operation));
}

bool PeerNode::start_tagged(DhtOperation kind, const Record& record, std::uint8_t purpose,
                            std::uint64_t context) {
  Operation operation;
  operation.kind = kind;
  operation.record = record;
  operation.purpose = purpose;
  operation.context = context;
  return start(std::move(operation)).has_value();
}

Result<std::uint64_t> PeerNode::start(Operation operation) {
  if (chord_.phase() != ChordNode::Phase::member) {
    return Error{Errc::not_member, "not a ring member"};
  }
  if (operations_.size() >= config_.dht.operations_max) {
    return Error{Errc::queue_full, "too many DHT operations"};
  }
  operation.id = next_operation_id_++;
  operation.started = runtime_.now();
  const std::uint64_t id = operation.id;
  operations_.push_back(std::move(operation));
  attempt(operations_.back());
  return id;
}

void PeerNode::attempt(Operation& operation) {
  const std::uint64_t id = operation.id;
  if (operation.attempts >= config_.dht.attempts_max) {
    // Out of lookups while skipping forged copies: no genuine record was found.
    finish(id, operation.skip_past ? DhtStatus::not_found : DhtStatus::busy);
    return;
  }
  ++operation.attempts;
  const std::uint8_t attempts = operation.attempts;
  operation.request_id = 0;
  operation.lookup_id = 0;
  const NodeId key =
      operation.skip_past ? operation.skip_past->plus(NodeId::from_u64(1)) : operation.record.key;
  attempting_ = id;
  const auto lookup = chord_.lookup(key);
  attempting_ = 0;
  if (!lookup) {
    if (find_operation(id) != nullptr) finish(id, DhtStatus::busy);
    return;
  }
  // A lookup answered inside lookup() (the key is ours) has already moved the operation on:
  // it finished, sent its request, or started another attempt. Otherwise it waits.
  Operation* still = find_operation(id);
  if (still != nullptr && still->attempts == attempts && still->request_id == 0 &&
      still->lookup_id == 0 && still->retry_at == Time::max()) {
    still->lookup_id = *lookup;
  }
}

void PeerNode::on_lookup_done(const LookupResult& result) {
  Operation* operation = nullptr;
  for (Operation& candidate : operations_) {
    if (candidate.lookup_id != 0 && candidate.lookup_id == result.lookup_id) {
      operation = &candidate;
    }
  }
  if (operation == nullptr && attempting_ != 0 && result.purpose == LookupPurpose::user) {
    operation = find_operation(attempting_);  // answered inside ChordNode::lookup
    attempting_ = 0;
  }
  if (operation == nullptr) {
    runtime_.report(result);  // a lookup of our user, or of the ring itself
    return;
  }
  operation->lookup_id = 0;
  if (!result.ok()) {
    attempt(*operation);
    return;
  }
  operation->target = result.owner;
  if (result.owner.id != chord_.self().id) {
    send_operation_request(*operation);
    return;
  }
  // We own the key: serve it here. Unless our predecessor lies between the key and us: the
  // lookup went through a stale successor list that skips the node before us (moments
  // after joins), so the key is that node's, and a put here would misplace its record and
  // a get miss it. Look again once the ring has settled, as after any refusal. (A get
  // still takes a copy we hold, as on_get does.)
  const Time now = runtime_.now();
  const bool ours = responsible_for(operation->record.key);
  switch (operation->kind) {
    case DhtOperation::put:
    case DhtOperation::remove:  // a tombstone is put like a record
      if (!ours) {
        refused(*operation, DhtStatus::not_responsible);
        return;
      }
      finish(operation->id, store_primary(operation->record));
      return;
    case DhtOperation::get: {
      const StoredRecord* stored = store_.get(operation->record.key, now);
      if (operation->skip_past && stored == nullptr) {
        // The next holder after one that lied is us, without a copy: try the one after us.
        // (What we do hold was checked when stored.)
        ask_next_holder(*operation);
        return;
      }
      if (stored == nullptr && !ours) {
        refused(*operation, DhtStatus::not_responsible);
        return;
      }
      if (stored == nullptr) {
        // As for a get from another node (on_get): we may have taken this range over
        // moments ago, with its records still on their way; ask the successor that held it.
        const auto holder = handover_source();
        if (!operation->asked_successor && holder) {
          operation->asked_successor = true;
          operation->target = *holder;
          send_operation_request(*operation);
          return;
        }
        finish(operation->id, DhtStatus::not_found);
        return;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(stored->expires - now);
      finish(operation->id, DhtStatus::ok, stored->value, static_cast<std::uint32_t>(left.count()));
      return;
    }
  }
}

void PeerNode::send_operation_request(Operation& operation) {
  const RequestId id = next_request_id_++;
  operation.request_id = id;
  operation.deadline = runtime_.now() + config_.dht.request_timeout;
  switch (operation.kind) {
    case DhtOperation::put:
    case DhtOperation::remove:
      runtime_.send(operation.target.endpoint, DhtPut{id, operation.record});
      break;
    case DhtOperation::get:
      runtime_.send(operation.target.endpoint, DhtGet{id, operation.record.key});
      break;
  }
  arm_deadlines();
}

void PeerNode::on_operation_reply(const Endpoint& from, RequestId id, DhtStatus status,
                                  const std::string* value, std::uint32_t lease_ms) {
  for (Operation& operation : operations_) {
    if (operation.request_id != id || operation.request_id == 0) continue;
    if (operation.target.endpoint != from) return;  // not whom we asked: ignore
    operation.request_id = 0;
    if (operation.kind == DhtOperation::get && !operation.reply_to) {
      // The finder trusts no holder: a record that fails its check is a forgery (or a
      // corrupted copy); the next holders may have the genuine one.
      if (status == DhtStatus::ok && value != nullptr) {
        const auto decoded = decode_user_record(*value);
        const std::int64_t now_ms = runtime_.wall_clock_ms();
        if (!decoded || decoded->kind != UserRecordKind::live ||
            check_user_record(operation.record.key, *decoded, now_ms) != RecordCheck::ok) {
          ask_next_holder(operation);
          return;
        }
        lease_ms = lease_within_expiry(lease_ms, decoded->expires_ms, now_ms);  // unsigned: cap it
      } else if (operation.skip_past && status != DhtStatus::busy) {
        ask_next_holder(operation);  // this holder has no copy: try the one after it
        return;
      }
    }
    if (status == DhtStatus::not_responsible && operation.asked_successor) {
      finish(operation.id, DhtStatus::not_found);  // the old holder has no copy either
      return;
    }
    if (status == DhtStatus::not_responsible || status == DhtStatus::busy) {
      refused(operation, status);
      return;
    }
    finish(operation.id, status, value != nullptr ? *value : std::string(), lease_ms);
    return;
  }
}

// The owner a lookup named refused (not responsible, not a member): the ring is settling,
// so look again after a pause rather than at once.
void PeerNode::refused(Operation& operation, DhtStatus status) {
  if (operation.reply_to || operation.attempts >= config_.dht.attempts_max) {
    retry_or_finish(operation, status);
    return;
  }
  operation.retry_at = runtime_.now() + config_.dht.retry_backoff * (1 << (operation.attempts - 1));
  arm_deadlines();
}

void PeerNode::ask_next_holder(Operation& operation) {
  if (operation.skipped >= config_.dht.replicas) {
    finish(operation.id, DhtStatus::not_found);
    return;
  }
  ++operation.skipped;
  operation.skip_past = operation.target.id;
  attempt(operation);
}

void PeerNode::retry_or_finish(Operation& operation, DhtStatus status) {
  if (operation.reply_to) {  // a forwarded get is not retried: the requester will retry
    finish(operation.id, status == DhtStatus::busy ? DhtStatus::not_found : status);
    return;
  }
  attempt(operation);
}

void PeerNode::finish(std::uint64_t operation_id, DhtStatus status, const std::string& value,
                      std::uint32_t lease_ms) {
  const auto it = std::find_if(operations_.begin(), operations_.end(),
                               [&](const Operation& o) { return o.id == operation_id; });
  CHORD_ASSERT(it != operations_.end());
  const Operation operation = *it;
  operations_.erase(it);
  if (operations_.empty()) operations_.release();  // no room kept for finished ones
  if (operation.reply_to) {
    runtime_.send(*operation.reply_to, DhtGetReply{operation.reply_id, status, lease_ms, value});
    return;
  }
  DhtResult result;
  result.operation_id = operation.id;
  result.operation = operation.kind;
  result.key = operation.record.key;
  result.status = status;
  result.value = value;
  result.lease_ms = lease_ms;
  result.stored_at = operation.target;
  result.attempts = operation.attempts;
  result.latency = runtime_.now() - operation.started;
  if (operation.purpose != 0) {
    chat().on_dht_done(operation.purpose, operation.context, result);
    if (leaving_ && operation.purpose == ChatService::purpose_unregister) complete_leave();
    return;
  }
  runtime_.report_dht(result);
}

void PeerNode::expire_operations() {
  const Time now = runtime_.now();
  std::vector<std::uint64_t> late;
  std::vector<std::uint64_t> due;
  for (const Operation& operation : operations_) {
    if (operation.request_id != 0 && operation.deadline <= now) late.push_back(operation.id);
    if (operation.retry_at <= now) due.push_back(operation.id);
  }
  for (std::uint64_t id : late) {
    Operation* operation = find_operation(id);
    if (operation == nullptr) continue;
    operation->request_id = 0;
    retry_or_finish(*operation, DhtStatus::busy);  // the owner did not answer: look again
  }
  for (std::uint64_t id : due) {
    Operation* operation = find_operation(id);
    if (operation == nullptr || operation->retry_at > now) continue;
    operation->retry_at = Time::max();
    attempt(*operation);
  }
}

void PeerNode::arm_deadlines() {
  Time earliest = Time::max();
  for (const Operation& operation : operations_) {
    if (operation.request_id != 0) earliest = std::min(earliest, operation.deadline);
    earliest = std::min(earliest, operation.retry_at);
  }
  if (earliest < armed_deadline_) {
    armed_deadline_ = earliest;
    runtime_.set_timer(TimerKind::dht_deadlines, earliest);
  }
}

PeerNode::Operation* PeerNode::find_operation(std::uint64_t id) {
  for (Operation& operation : operations_) {
    if (operation.id == id) return &operation;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// Replication and hand-over

void PeerNode::leave() {
  if (chat_ && chat_->handle()) {
    // Remove the user's record first, so it does not outlive the session by a lease; the
    // ring is left when that removal ends (bounded by attempts_max).
    leaving_ = true;
    chat_->end_user();
    if (leaving_ && !unregistering()) complete_leave();
    return;
  }
  complete_leave();
}

bool PeerNode::unregistering() const {
  return std::any_of(operations_.begin(), operations_.end(), [](const Operation& o) {
    return o.purpose == ChatService::purpose_unregister;
  });
}

void PeerNode::complete_leave() {
  leaving_ = false;
  if (chord_.phase() == ChordNode::Phase::member && !chord_.successors().empty()) {
    const NodeId& self = chord_.self().id;
    send_records(chord_.successors().front(), TransferKind::handover, self, self);
  }
  while (!operations_.empty())
    finish(operations_.front().id, DhtStatus::busy);
  chord_.leave();
}

void PeerNode::arm_store_timers() {
  if (store_.empty() || chord_.phase() != ChordNode::Phase::member) return;
  const Time now = runtime_.now();
  if (!sweep_armed_) {
    sweep_armed_ = true;
    runtime_.set_timer(TimerKind::lease_sweep, now + config_.dht.lease_sweep_period);
  }
  if (!replicate_armed_) {
    // The first round at a random point of the period, so nodes fall out of step.
    replicate_armed_ = true;
    const auto period = static_cast<std::uint64_t>(config_.dht.replicate_period.count());
    runtime_.set_timer(TimerKind::replicate,
                       now + Duration(static_cast<std::int64_t>(uniform(runtime_, period))));
  }
}

void PeerNode::replicate() {
  if (store_.empty()) return;  // armed again by the next record stored here
  // At the ring maintenance's factor: a quiet ring needs no repair (new records are copied
  // when they are stored), and a disturbance brings the period back (after_input).
  replicate_factor_ = chord_.backoff();
  replicate_armed_ = true;
  runtime_.set_timer(TimerKind::replicate,
                     runtime_.now() + config_.dht.replicate_period * replicate_factor_);
  const auto& predecessor = chord_.predecessor();
  if (!predecessor) return;  // our range is not known: wait
  const PeerList& successors = chord_.successors();
  const std::size_t copies = std::min<std::size_t>(config_.dht.replicas, successors.size());
  for (std::size_t i = 0; i < copies; ++i) {
    send_records(successors[i], TransferKind::replica, predecessor->id, chord_.self().id);
  }
}

void PeerNode::send_records(const Peer& to, TransferKind kind, const NodeId& from_key,
                            const NodeId& to_key) {
  if (to.id == chord_.self().id) return;
  RecordTransfer chunk{0, kind, {}};
  store_.for_each_in(from_key, to_key, runtime_.now(),
                     [&](const Record& record, RecordStore::Kind) {
                       chunk.records.push_back(record);
                       if (chunk.records.full()) {
                         runtime_.send(to.endpoint, chunk);
                         chunk.records.clear();
                       }
                     });
  if (!chunk.records.empty()) runtime_.send(to.endpoint, std::move(chunk));
}

void PeerNode::replicate_one(const Record& record) {
  const PeerList& successors = chord_.successors();
  const std::size_t copies = std::min<std::size_t>(config_.dht.replicas, successors.size());
  for (std::size_t i = 0; i < copies; ++i) {
    if (successors[i].id == chord_.self().id) continue;
    RecordTransfer transfer{0, TransferKind::replica, {}};
    transfer.records.push_back(record);
    runtime_.send(successors[i].endpoint, std::move(transfer));
  }
}

}  // namespace chord
