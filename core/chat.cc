#include "core/chat.h"

#include <algorithm>

#include "core/overloaded.h"
#include "core/peer_node.h"

namespace chord {
namespace {

constexpr std::string_view open_domain{"chordchat open v1\0", 18};
constexpr std::string_view accept_domain{"chordchat accept v1\0", 20};
constexpr std::size_t opens_remembered_max = 4096;

void append_u64(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void append_text(std::vector<std::uint8_t>& out, std::string_view text) {
  append_u64(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

// What the opener signs (open_domain) and the receiver signs to accept (accept_domain):
// every field of the open but its signature, each length-prefixed, after the domain.
std::vector<std::uint8_t> open_bytes(const ChatOpen& open, std::string_view domain) {
  std::vector<std::uint8_t> out(domain.begin(), domain.end());
  append_u64(out, open.chat_id);
  append_text(out, open.from_user);
  append_text(out, open.to_user);
  out.insert(out.end(), open.from_key.begin(), open.from_key.end());
  out.insert(out.end(), open.to_key.begin(), open.to_key.end());
  append_u64(out, static_cast<std::uint64_t>(open.sent_ms));
  return out;
}

}  // namespace

ChatService::ChatService(const ChatConfig& config, PeerNode& node, Runtime& runtime)
    : config_(config), node_(node), runtime_(runtime) {}

void ChatService::flush() {
  // Bounded: each event is handed out once; events the application causes meanwhile are
  // handed out by the call that caused them.
  std::vector<ChatEvent> events;
  events.swap(pending_events_);
  for (const ChatEvent& event : events)
    runtime_.report_chat(event);
}

void ChatService::become_open(Chat& chat) {
  chat.state = State::open;
  chat.rounds = 0;
  chat.resend_at = Time::max();
  heard(chat);
  ChatEvent opened;
  opened.kind = ChatEventKind::opened;
  opened.chat_id = chat.id;
  opened.handle = chat.peer_handle;
  opened.endpoint = chat.peer;
  report(opened);
  transmit(chat, false);  // what was queued while opening
}

void ChatService::heard(Chat& chat) {
  chat.last_heard = runtime_.now();
  chat.keepalive_at = runtime_.now() + config_.keepalive_period;
}

// ---------------------------------------------------------------------------------------
// The user session

Result<std::string> ChatService::start_user(std::string_view username) {
  IdentitySeed seed{};
  for (std::size_t i = 0; i < seed.size(); i += 8) {
    const std::uint64_t bits = runtime_.random();
    for (std::size_t j = 0; j < 8; ++j)
      seed[i + j] = static_cast<std::uint8_t>(bits >> (8 * j));
  }
  return start_user(username, Identity::from_seed(seed));
}

Result<std::string> ChatService::start_user(std::string_view username, Identity identity) {
  if (handle_) return Error{Errc::queue_full, "a user session is already running"};
  if (!valid_username(username)) {
    return Error{Errc::bad_endpoint, "a username is 1-32 letters, digits, '-', '_' or '.'"};
  }
  if (node_.chord().phase() != ChordNode::Phase::member) {
    return Error{Errc::not_member, "not in a ring yet"};
  }
  std::string handle = handle_for(username, identity.public_key());
  handle_ = handle;
  identity_ = std::move(identity);
  registered_ = false;
  failure_reported_ = false;
  registering_since_ = runtime_.now();
  expires_max_ms_ = 0;
  register_record(purpose_register);
  runtime_.set_timer(TimerKind::user_renew, runtime_.now() + config_.renew_period);
  flush();
  return handle;
}

Record ChatService::signed_record(UserRecordKind kind, std::int64_t expires_ms) {
  CHORD_ASSERT(handle_.has_value() && identity_.has_value());
  const std::int64_t now_ms = runtime_.wall_clock_ms();
  seq_ = std::max(seq_ + 1, static_cast<std::uint64_t>(std::max<std::int64_t>(now_ms, 0)));
  UserRecord user{
      *handle_, node_.chord().self().endpoint, identity_->public_key(), seq_, expires_ms, kind, {}};
  sign_user_record(user, *identity_);
  const auto lease_ms = std::clamp<std::int64_t>(expires_ms - now_ms, 0, UINT32_MAX);
  return Record{NodeId::hash_of(*handle_), owner_token(identity_->public_key()), seq_,
                static_cast<std::uint32_t>(lease_ms), encode_user_record(user)};
}

void ChatService::register_record(std::uint8_t purpose) {
  const auto lease = std::chrono::duration_cast<std::chrono::milliseconds>(config_.register_lease);
  const std::int64_t expires_ms = runtime_.wall_clock_ms() + lease.count();
  expires_max_ms_ = std::max(expires_max_ms_, expires_ms);
  const Record record = signed_record(UserRecordKind::live, expires_ms);
  if (!node_.start_tagged(DhtOperation::put, record, purpose, 0) && !registered_) {
    registration_failed(DhtStatus::busy);
  }
}

// A failed attempt at the first registration (it is retried every retry_timeout).
void ChatService::registration_failed(DhtStatus status) {
  if (failure_reported_) return;
  const bool may_pass = status == DhtStatus::busy || status == DhtStatus::not_responsible;
  if (may_pass && runtime_.now() - registering_since_ < config_.register_patience) return;
  failure_reported_ = true;
  ChatEvent event;
  event.kind = ChatEventKind::register_failed;
  event.handle = *handle_;
  event.status = status;
  report(event);
}

void ChatService::end_user() {
  if (!handle_) return;
  while (!chats_.empty())
    fail_and_close(chats_.front(), CloseReason::user_left, true);
  // The tombstone lives as long as the last record signed could: until then a replayed copy
  // of that record would otherwise be taken again.
  if (expires_max_ms_ > runtime_.wall_clock_ms()) {
    const Record tombstone = signed_record(UserRecordKind::tombstone, expires_max_ms_);
    (void)node_.start_tagged(DhtOperation::remove, tombstone, purpose_unregister, 0);
  }
  runtime_.cancel_timer(TimerKind::user_renew);
  handle_.reset();
  identity_.reset();
  registered_ = false;
  flush();
}

Result<void> ChatService::find_user(std::string_view handle) {
  if (!valid_handle(handle)) return Error{Errc::bad_endpoint, "expected name#id"};
  Record record;
  record.key = NodeId::hash_of(handle);
  const std::uint64_t find_id = next_find_++;
  finding_[find_id] = std::string(handle);  // before: the answer may come at once
  if (!node_.start_tagged(DhtOperation::get, record, purpose_find, find_id)) {
    finding_.erase(find_id);
    return Error{Errc::queue_full, "cannot look users up now"};
  }
  flush();
  return {};
}

// ---------------------------------------------------------------------------------------
// Chats

Result<std::uint64_t> ChatService::open_chat(std::string_view handle) {
  if (!handle_) return Error{Errc::not_member, "no user session"};
  if (!valid_handle(handle)) return Error{Errc::bad_endpoint, "expected name#id"};
  if (chats_.size() >= config_.chats_max) return Error{Errc::queue_full, "too many chats"};
  Chat chat;
  chat.id = runtime_.random();
  chat.peer_handle = handle;
  chat.opener = true;
  chat.last_heard = runtime_.now();
  const std::uint64_t id = chat.id;
  chats_.push_back(std::move(chat));  // before the lookup: its answer may come at once
  Record record;
  record.key = NodeId::hash_of(handle);
  if (!node_.start_tagged(DhtOperation::get, record, purpose_resolve, id)) {
    std::erase_if(chats_, [&](const Chat& c) { return c.id == id; });
    pending_events_.clear();
    return Error{Errc::queue_full, "cannot look users up now"};
  }
  flush();
  return id;
}

Result<std::uint64_t> ChatService::send(std::uint64_t chat_id, std::string_view text) {
  Chat* chat = find_chat(chat_id);
  if (chat == nullptr) return Error{Errc::not_member, "no such chat"};
  if (text.size() > chat_text_bytes_max) return Error{Errc::queue_full, "message too long"};
  if (chat->unacked.size() >= config_.queue_max) return Error{Errc::queue_full, "queue full"};
  const std::uint64_t seq = chat->next_seq++;
  chat->unacked.push_back({seq, std::string(text)});
  if (chat->state == State::open) transmit(*chat, false);
  return seq;
}

void ChatService::end_chat(std::uint64_t chat_id) {
  if (Chat* chat = find_chat(chat_id)) fail_and_close(*chat, CloseReason::ended_by_user, true);
  flush();
}

ChatService::Chat* ChatService::find_chat(std::uint64_t id) {
  for (Chat& chat : chats_) {
    if (chat.id == id) return &chat;
  }
  return nullptr;
}

ChatService::Chat* ChatService::find_chat(std::uint64_t id, const Endpoint& from) {
  Chat* chat = find_chat(id);
  const bool proved = channel_key_ == nullptr || chat == nullptr || chat->peer_key == *channel_key_;
  return chat != nullptr && chat->state != State::resolving && chat->peer == from && proved
             ? chat
             : nullptr;
}

void ChatService::transmit(Chat& chat, bool resend) {
  // The window is the oldest `window` texts not yet acknowledged. A resend repeats all of
  // them (go-back-N); otherwise only those never sent go out.
  std::size_t position = 0;
  for (const Outgoing& out : chat.unacked) {
    if (position++ >= config_.window) break;
    if (!resend && out.seq <= chat.sent_up_to) continue;
    runtime_.send_private(chat.peer, chat.peer_key, ChatText{chat.id, out.seq, out.text});
    chat.sent_up_to = std::max(chat.sent_up_to, out.seq);
  }
  if (!chat.unacked.empty() && chat.resend_at == Time::max()) {
    chat.resend_at = runtime_.now() + config_.retry_timeout;
  }
  arm_resend();
}

void ChatService::arm_resend() {
  Time earliest = Time::max();
  for (const Chat& chat : chats_) {
    earliest = std::min(earliest, chat.resend_at);
    if (chat.state == State::open) {
      earliest = std::min({earliest, chat.keepalive_at, chat.last_heard + config_.idle_timeout});
    }
  }
  if (earliest < armed_resend_) {
    armed_resend_ = earliest;
    runtime_.set_timer(TimerKind::chat_resend, earliest);
  }
}

void ChatService::fail_and_close(Chat& chat, CloseReason reason, bool tell_peer) {
  const std::uint64_t id = chat.id;
  for (const Outgoing& out : chat.unacked) {
    ChatEvent failed;
    failed.kind = ChatEventKind::delivery_failed;
    failed.chat_id = id;
    failed.handle = chat.peer_handle;
    failed.seq = out.seq;
    report(failed);
  }
  if (tell_peer && chat.state != State::resolving) {
    runtime_.send_private(chat.peer, chat.peer_key, ChatClose{id, chat.next_seq, reason});
  }
  ChatEvent ended;
  ended.kind = ChatEventKind::ended;
  ended.chat_id = id;
  ended.handle = chat.peer_handle;
  ended.reason = reason;
  std::erase_if(chats_, [&](const Chat& c) { return c.id == id; });  // forgets the texts too
  report(ended);
}

// ---------------------------------------------------------------------------------------
// Inputs

void ChatService::on_identity_mismatch(const Endpoint& peer, const PublicKey& expected) {
  std::vector<std::uint64_t> affected;
  for (const Chat& chat : chats_) {
    if (chat.state != State::resolving && chat.peer == peer && chat.peer_key == expected) {
      affected.push_back(chat.id);
    }
  }
  for (std::uint64_t id : affected) {
    Chat* chat = find_chat(id);
    if (chat == nullptr) continue;
    if (chat->state == State::opening) {
      open_failed(*chat, DhtStatus::bad_record);
    } else {
      fail_and_close(*chat, CloseReason::user_left, false);
    }
  }
  flush();
}

void ChatService::on_message(const Endpoint& from, const Message& message,
                             const PublicKey* channel_key) {
  // A message that came over a channel proving another key than its claimed sender's is
  // not from that sender: ignored (find_chat checks it, on_open checks the opener's key).
  channel_key_ = channel_key;
  if (const auto* open = std::get_if<ChatOpen>(&message);
      open != nullptr && channel_key != nullptr && *channel_key != open->from_key) {
    channel_key_ = nullptr;
    return;
  }
  std::visit(Overloaded{
                 [&](const ChatOpen& m) { on_open(from, m); },
                 [&](const ChatAccept& m) { on_accept(from, m); },
                 [&](const ChatText& m) {
                   Chat* chat = find_chat(m.chat_id, from);
                   if (chat == nullptr) {
                     runtime_.send_private(from, channel_key_ ? *channel_key_ : PublicKey{},
                                           ChatAck{m.chat_id, m.seq, ChatStatus::no_such_chat});
                     return;
                   }
                   // The peer took our open but its ChatAccept was lost: a text is no proof of who
                   // sent it, so wait for the accept (our open is resent, and answered again).
                   if (chat->state == State::opening) return;
                   heard(*chat);
                   if (m.seq == chat->delivered + 1) {
                     ++chat->delivered;
                     ChatEvent received;
                     received.kind = ChatEventKind::message;
                     received.chat_id = chat->id;
                     received.handle = chat->peer_handle;
                     received.seq = m.seq;
                     received.text = m.text;
                     report(received);
                   }
                   // Cumulative: duplicates and texts after a gap are acknowledged up to what we
                   // have.
                   runtime_.send_private(from, chat->peer_key,
                                         ChatAck{m.chat_id, chat->delivered, ChatStatus::ok});
                 },
                 [&](const ChatAck& m) { on_ack(from, m); },
                 [&](const ChatClose& m) {
                   if (Chat* chat = find_chat(m.chat_id, from))
                     fail_and_close(*chat, m.reason, false);
                 },
                 [&](const auto&) {},
             },
             message);
  channel_key_ = nullptr;
  flush();
}

void ChatService::open_failed(Chat& chat, DhtStatus status, ChatStatus refusal) {
  ChatEvent failed;
  failed.kind = ChatEventKind::open_failed;
  failed.chat_id = chat.id;
  failed.handle = chat.peer_handle;
  failed.status = status;
  failed.refusal = refusal;
  report(failed);
  fail_and_close(chat, CloseReason::user_left, false);
}

void ChatService::on_open(const Endpoint& from, const ChatOpen& m) {
  ChatAck refusal{m.chat_id, 0, ChatStatus::ok};
  if (!handle_ || m.to_user != *handle_ || m.to_key != identity_->public_key()) {
    refusal.status = ChatStatus::no_such_user;  // not us (any more), or a forged record
  } else if (!handle_matches_key(m.from_user, m.from_key) ||
             !verify_signature(m.from_key, open_bytes(m, open_domain), m.signature) ||
             m.sent_ms < runtime_.wall_clock_ms() - clock_skew_max_ms ||
             m.sent_ms > runtime_.wall_clock_ms() + clock_skew_max_ms) {
    refusal.status = ChatStatus::bad_identity;  // it cannot prove the name it gives
  } else if (const Chat* same = find_chat(m.chat_id, from);
             same != nullptr && same->peer_key == m.from_key) {
    // A repeated open whose accept was lost: accept again.
  } else if (find_chat(m.chat_id) != nullptr || chats_.size() >= config_.chats_max) {
    refusal.status = ChatStatus::busy;
  } else if (seen_open(m)) {
    refusal.status = ChatStatus::bad_identity;  // a replay of an open already taken
  } else {
    Chat chat;
    chat.id = m.chat_id;
    chat.peer_handle = m.from_user;
    chat.peer = from;
    chat.peer_key = m.from_key;
    chat.state = State::open;
    heard(chat);
    chats_.push_back(std::move(chat));
    arm_resend();
    ChatEvent opened;
    opened.kind = ChatEventKind::opened;
    opened.chat_id = m.chat_id;
    opened.handle = m.from_user;
    opened.endpoint = from;
    report(opened);
  }
  if (refusal.status != ChatStatus::ok) {
    runtime_.send_private(from, m.from_key, refusal);
    return;
  }
  runtime_.send_private(from, m.from_key,
                        ChatAccept{m.chat_id, identity_->sign(open_bytes(m, accept_domain))});
}

bool ChatService::seen_open(const ChatOpen& open) {
  const std::int64_t oldest = runtime_.wall_clock_ms() - clock_skew_max_ms;
  while (!recent_opens_.empty() && recent_opens_.front().first < oldest)
    recent_opens_.pop_front();
  const std::pair<std::int64_t, std::uint64_t> entry{open.sent_ms, open.chat_id};
  if (std::find(recent_opens_.begin(), recent_opens_.end(), entry) != recent_opens_.end()) {
    return true;
  }
  // Bounded: a flood of opens pushes out the oldest, which then could be replayed once;
  // each still needs a valid signature, so only a real user's old open can come back.
  if (recent_opens_.size() >= opens_remembered_max) recent_opens_.pop_front();
  recent_opens_.push_back(entry);
  return false;
}

void ChatService::on_accept(const Endpoint& from, const ChatAccept& accept) {
  Chat* chat = find_chat(accept.chat_id, from);
  if (chat == nullptr || chat->state != State::opening || !chat->open) return;
  heard(*chat);
  if (!verify_signature(chat->peer_key, open_bytes(*chat->open, accept_domain), accept.signature)) {
    // Whoever answers at that endpoint does not hold the key of the user we asked for.
    runtime_.send_private(chat->peer, chat->peer_key,
                          ChatClose{chat->id, 0, CloseReason::ended_by_user});
    open_failed(*chat, DhtStatus::bad_record);
    return;
  }
  chat->open.reset();
  become_open(*chat);
}

void ChatService::on_ack(const Endpoint& from, const ChatAck& ack) {
  Chat* chat = find_chat(ack.chat_id, from);
  if (chat == nullptr) {
    // A heartbeat or acknowledgement for a chat we no longer have (we closed it and the
    // close was lost, or we restarted): say so, once; never answer a no_such_chat.
    if (ack.status == ChatStatus::ok) {
      runtime_.send_private(from, channel_key_ ? *channel_key_ : PublicKey{},
                            ChatAck{ack.chat_id, 0, ChatStatus::no_such_chat});
    }
    return;
  }
  heard(*chat);
  if (chat->state == State::opening) {
    // Only a refusal counts here: the chat opens on a ChatAccept that proves the peer's name.
    if (ack.seq != 0 || ack.status == ChatStatus::ok) return;
    open_failed(*chat,
                ack.status == ChatStatus::busy           ? DhtStatus::busy
                : ack.status == ChatStatus::bad_identity ? DhtStatus::bad_record
                                                         : DhtStatus::not_found,
                ack.status);
    return;
  }
  if (ack.status == ChatStatus::no_such_chat) {  // the peer forgot this chat (it restarted)
    fail_and_close(*chat, CloseReason::user_left, false);
    return;
  }
  if (ack.seq <= chat->acked) return;
  chat->acked = ack.seq;
  while (!chat->unacked.empty() && chat->unacked.front().seq <= ack.seq) {
    ChatEvent delivered;
    delivered.kind = ChatEventKind::delivered;
    delivered.chat_id = chat->id;
    delivered.handle = chat->peer_handle;
    delivered.seq = chat->unacked.front().seq;
    chat->unacked.pop_front();
    report(delivered);
  }
  chat->rounds = 0;
  chat->resend_at = Time::max();
  transmit(*chat, false);
}

void ChatService::on_timer(TimerKind kind) {
  if (kind == TimerKind::user_renew) {
    if (!handle_) return;
    // Set before registering: a failed attempt may re-arm it sooner. Until the first
    // registration succeeds, try every retry_timeout (the node may be out of the ring,
    // where no attempt can even start).
    runtime_.set_timer(
        TimerKind::user_renew,
        runtime_.now() + (registered_ ? config_.renew_period : config_.retry_timeout));
    register_record(purpose_renew);
    return;
  }
  CHORD_ASSERT(kind == TimerKind::chat_resend);
  armed_resend_ = Time::max();
  const Time now = runtime_.now();
  std::vector<std::uint64_t> give_up;
  for (Chat& chat : chats_) {
    if (chat.state == State::open && now - chat.last_heard >= config_.idle_timeout) {
      give_up.push_back(chat.id);  // the peer has been silent too long
      continue;
    }
    if (chat.state == State::open && chat.unacked.empty() && chat.keepalive_at <= now) {
      runtime_.send_private(chat.peer, chat.peer_key,
                            ChatAck{chat.id, chat.delivered, ChatStatus::ok});  // heartbeat
      chat.keepalive_at = now + config_.keepalive_period;
    }
    if (chat.resend_at > now) continue;
    if (chat.rounds >= config_.retries_max) {
      give_up.push_back(chat.id);
      continue;
    }
    ++chat.rounds;
    chat.resend_at = now + config_.retry_timeout;
    if (chat.state == State::opening) {
      runtime_.send_private(chat.peer, chat.peer_key, *chat.open);
    } else if (chat.state == State::open) {
      transmit(chat, true);
    }
  }
  for (std::uint64_t id : give_up) {
    Chat* chat = find_chat(id);
    if (chat == nullptr) continue;
    if (chat->state == State::opening) {
      ChatEvent failed;
      failed.kind = ChatEventKind::open_failed;
      failed.chat_id = id;
      failed.handle = chat->peer_handle;
      failed.status = DhtStatus::busy;
      report(failed);
    }
    fail_and_close(*chat, CloseReason::timed_out, true);
  }
  arm_resend();
  flush();
}

// The record a get found for `handle`. PeerNode hands out only records it has checked
// against their key (signature, id, expiry; live), whoever held them; the handle is
// compared here, so a record of another handle that hashed alike could not pass.
std::optional<UserRecord> ChatService::found_record(const std::string& handle,
                                                    const DhtResult& result) {
  if (!result.ok()) return std::nullopt;
  auto record = decode_user_record(result.value);
  if (!record || record->handle != handle) return std::nullopt;
  return std::move(record).value();
}

void ChatService::on_dht_done(std::uint8_t purpose, std::uint64_t context,
                              const DhtResult& result) {
  handle_dht_done(purpose, context, result);
  flush();
}

void ChatService::handle_dht_done(std::uint8_t purpose, std::uint64_t context,
                                  const DhtResult& result) {
  switch (purpose) {
    case purpose_register:
    case purpose_renew: {
      if (!handle_) return;
      // The first registration that succeeds (the first attempt or a retry) is reported as
      // registered. Until then every failure is retried after retry_timeout, not a whole
      // renew_period, and reported once (registration_failed says when). A registered
      // user's failed renewal is retried at the next period.
      ChatEvent event;
      event.handle = *handle_;
      event.status = result.status;
      if (result.ok()) {
        if (registered_) return;
        registered_ = true;
        event.kind = ChatEventKind::registered;
        report(event);
        return;
      }
      if (registered_) return;
      runtime_.set_timer(TimerKind::user_renew, runtime_.now() + config_.retry_timeout);
      registration_failed(result.status);
      return;
    }
    case purpose_unregister:
      return;  // a lost removal expires with the lease
    case purpose_find: {
      ChatEvent event;
      event.handle = finding_.count(context) ? finding_[context] : std::string();
      finding_.erase(context);
      const auto record = found_record(event.handle, result);
      event.kind = record ? ChatEventKind::found : ChatEventKind::not_found;
      if (record) event.endpoint = record->endpoint;
      event.status = result.ok() && !record ? DhtStatus::not_found : result.status;
      report(event);
      return;
    }
    case purpose_resolve: {
      Chat* chat = find_chat(context);
      if (chat == nullptr || chat->state != State::resolving) return;
      const auto record = found_record(chat->peer_handle, result);
      if (!record || !handle_) {
        ChatEvent failed;
        failed.kind = ChatEventKind::open_failed;
        failed.chat_id = chat->id;
        failed.handle = chat->peer_handle;
        failed.status = result.ok() ? DhtStatus::not_found : result.status;
        report(failed);
        fail_and_close(*chat, CloseReason::user_left, false);
        return;
      }
      chat->peer = record->endpoint;
      chat->peer_key = record->public_key;
      chat->state = State::opening;
      chat->resend_at = runtime_.now() + config_.retry_timeout;
      ChatOpen open;
      open.chat_id = chat->id;
      open.from_user = *handle_;
      open.to_user = chat->peer_handle;
      open.from_key = identity_->public_key();
      open.to_key = chat->peer_key;
      open.sent_ms = runtime_.wall_clock_ms();
      open.signature = identity_->sign(open_bytes(open, open_domain));
      chat->open = open;
      runtime_.send_private(chat->peer, chat->peer_key, open);
      arm_resend();
      return;
    }
    default:
      return;
  }
}

}  // namespace chord
