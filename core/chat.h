// ChatService: the user session of one peer and its chats, as a state machine.
//
// A user session picks a username and has an Ed25519 identity (core/identity.h); the id is
// derived from the public key and the name (60 bits, 12 base32 characters), so the user's
// handle "name#id" can only be claimed by the key's holder. The handle is registered in the
// DHT under SHA-1(handle) as a signed UserRecord (endpoint, public key, sequence number,
// expiry), renewed every renew_period while the session lives and removed by a signed
// tombstone when it ends (a crashed session's record expires with its lease). Records a
// finder gets back are checked against the handle it asked for (PeerNode, UserRecord).
//
// A chat runs directly between two peers: the opener finds the other user's signed record
// in the DHT and sends ChatOpen, signed with its key; the receiver checks that the key makes
// the opener's handle and answers ChatAccept, signed with its own key over that open, which
// the opener checks against the key in the record. Either side that cannot prove its name
// is refused (bad_identity; the opener reports open_failed with bad_record). Texts carry sequence
// numbers from 1, the receiver delivers each once and in order and acknowledges cumulatively; the
// sender keeps up to `window` texts in flight and resends them (go-back-N) every retry_timeout
// until acknowledged. After retries_max unanswered rounds the chat ends: every text not
// acknowledged is reported as failed, so no message is lost in silence. Either side may end a chat;
// the other is told.
//
// Nothing about users or messages is kept once a chat or session ends: texts are held only
// until acknowledged (sender) or delivered (receiver), then dropped.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity.h"
#include "core/messages.h"
#include "core/result.h"
#include "core/runtime.h"
#include "core/user_record.h"

namespace chord {

class PeerNode;

struct ChatConfig {
  Duration register_lease = std::chrono::seconds(60);
  Duration renew_period = std::chrono::seconds(20);
  Duration retry_timeout = std::chrono::seconds(1);
  // A user's first registration is retried until it succeeds; a refusal that may pass (no
  // answer, the ring settling after joins) is reported only once it has lasted this long.
  // A definite refusal (the name is held by another session, the store is full) at once.
  Duration register_patience = std::chrono::seconds(10);
  std::uint32_t retries_max = 5;  // rounds without progress before a chat gives up
  std::uint32_t window = 16;      // texts in flight per chat
  std::uint32_t queue_max = 256;  // texts waiting per chat; more are refused
  std::uint32_t chats_max = 64;   // chats open at once
  // An open chat with nothing to say sends a heartbeat every keepalive_period; one that has
  // heard nothing from its peer for idle_timeout ends (the peer crashed, or its close was
  // lost), so no chat is kept forever.
  Duration keepalive_period = std::chrono::seconds(10);
  Duration idle_timeout = std::chrono::seconds(35);
};

class ChatService {
 public:
  ChatService(const ChatConfig& config, PeerNode& node, Runtime& runtime);

  // Starts the user session with `identity` and registers name#id. Returns the handle.
  // Errors: not_member (not in a ring), bad_endpoint (bad name), queue_full (a session is
  // already running).
  Result<std::string> start_user(std::string_view username, Identity identity);
  // The same with a key drawn from Runtime::random(): for the simulator, whose random
  // numbers are seeded, so runs repeat. A real node draws its key from a CSPRNG
  // (net_real/identity_file.h) and calls the overload above.
  Result<std::string> start_user(std::string_view username);
  // Ends every chat, removes the directory record and forgets the session.
  void end_user();
  const std::optional<std::string>& handle() const { return handle_; }

  // Looks a user up: a found or not_found event follows.
  Result<void> find_user(std::string_view handle);
  // Opens a chat with a user; returns its id. An opened or open_failed event follows.
  Result<std::uint64_t> open_chat(std::string_view handle);
  // Queues `text` on an open (or opening) chat; returns its sequence number.
  Result<std::uint64_t> send(std::uint64_t chat_id, std::string_view text);
  // Ends a chat; the peer is told.
  void end_chat(std::uint64_t chat_id);
  std::size_t chats() const { return chats_.size(); }

  // Inputs from PeerNode.
  void on_message(const Endpoint& from, const Message& message,
                  const PublicKey* channel_key = nullptr);
  // The peer at `peer` could not prove `expected` on a private channel: its opening chats
  // fail (bad_record), its open ones end (their undelivered texts reported failed).
  void on_identity_mismatch(const Endpoint& peer, const PublicKey& expected);
  void on_timer(TimerKind kind);
  // A DHT operation this service started has ended.
  void on_dht_done(std::uint8_t purpose, std::uint64_t context, const DhtResult& result);

  // Purposes of the DHT operations this service starts (PeerNode keeps them as tags).
  static constexpr std::uint8_t purpose_register = 1;
  static constexpr std::uint8_t purpose_renew = 2;
  static constexpr std::uint8_t purpose_unregister = 3;
  static constexpr std::uint8_t purpose_find = 4;
  static constexpr std::uint8_t purpose_resolve = 5;

 private:
  enum class State : std::uint8_t { resolving, opening, open };
  struct Outgoing {
    std::uint64_t seq = 0;
    std::string text;
  };
  struct Chat {
    std::uint64_t id = 0;
    std::string peer_handle;
    Endpoint peer;
    PublicKey peer_key{};          // the peer's key: from its signed record, or its checked open
    std::optional<ChatOpen> open;  // the open we sent (opener, until accepted)
    State state = State::resolving;
    bool opener = false;
    std::uint64_t next_seq = 1;       // next seq to assign to a text we send
    std::uint64_t acked = 0;          // highest seq the peer acknowledged
    std::uint64_t delivered = 0;      // highest seq we delivered from the peer
    std::uint64_t sent_up_to = 0;     // highest seq sent at least once
    std::deque<Outgoing> unacked;     // sent or waiting, oldest first
    Time resend_at = Time::max();     // when to resend (or give up) if no progress
    std::uint32_t rounds = 0;         // resend rounds without progress
    Time last_heard;                  // anything from the peer about this chat
    Time keepalive_at = Time::max();  // next heartbeat if idle
  };

  Chat* find_chat(std::uint64_t id);
  Chat* find_chat(std::uint64_t id, const Endpoint& from);
  void transmit(Chat& chat, bool resend);
  void on_ack(const Endpoint& from, const ChatAck& ack);
  void handle_dht_done(std::uint8_t purpose, std::uint64_t context, const DhtResult& result);
  void fail_and_close(Chat& chat, CloseReason reason, bool tell_peer);
  void arm_resend();
  // Events are queued during an input and handed out at its end (flush), so the
  // application may call back into this service from report_chat without invalidating
  // anything this service still holds.
  void report(ChatEvent event) { pending_events_.push_back(std::move(event)); }
  void flush();
  void heard(Chat& chat);
  void become_open(Chat& chat);
  void register_record(std::uint8_t purpose);
  void registration_failed(DhtStatus status);
  Record signed_record(UserRecordKind kind, std::int64_t expires_ms);
  void on_open(const Endpoint& from, const ChatOpen& open);
  void on_accept(const Endpoint& from, const ChatAccept& accept);
  void open_failed(Chat& chat, DhtStatus status, ChatStatus refusal = ChatStatus::ok);
  // Opens accepted lately (sent_ms, chat id), so a replayed open is not taken twice;
  // bounded by open_window and opens_remembered_max.
  bool seen_open(const ChatOpen& open);
  std::optional<UserRecord> found_record(const std::string& handle, const DhtResult& result);

  const ChatConfig& config_;
  PeerNode& node_;
  Runtime& runtime_;
  std::optional<std::string> handle_;
  std::optional<Identity> identity_;
  // Sequence numbers are wall-clock milliseconds (at least one more than the last), so a
  // later session with the same key (chordnode --identity) outnumbers the last one's
  // tombstone and records without remembering anything.
  std::uint64_t seq_ = 0;
  std::int64_t expires_max_ms_ = 0;  // the latest expiry signed in this session
  std::deque<std::pair<std::int64_t, std::uint64_t>> recent_opens_;
  const PublicKey* channel_key_ = nullptr;  // of the message being handled (on_message)
  bool registered_ = false;        // a registration (first attempt or renewal) has succeeded
  bool failure_reported_ = false;  // register_failed said, once per user session
  Time registering_since_;
  std::vector<Chat> chats_;
  std::map<std::uint64_t, std::string> finding_;  // find_user requests in progress
  std::uint64_t next_find_ = 1;
  Time armed_resend_ = Time::max();
  std::vector<ChatEvent> pending_events_;
};

}  // namespace chord
