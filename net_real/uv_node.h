// UvNode: one chordchat peer (core/peer_node.h) on a libuv loop, over TCP.
//
// The core runs unchanged: this class is its Runtime. now() is the monotonic clock (fixed
// for the whole of one input); timers are one uv_timer_t per TimerKind; send() encodes a
// frame (core/codec.h) onto a connection from a cache keyed by the peer's advertised
// endpoint, opening one on demand; messages arrive through a FrameDecoder per connection.
// Several UvNodes can share one loop (local test networks); each has its own listener,
// connections and timers. Everything runs on the loop's thread.
//
// Connections: the side that connects sends Hello{advertised endpoint} first; the
// accepting side learns from it who the peer is, and may then use that connection for its
// own messages to the peer as well. A peer is disconnected, and the node goes on serving
// everyone else, when it sends anything that does not decode (garbage, an oversize length,
// an unknown version), sends something before its Hello, stalls in the middle of a frame
// (stall_timeout), says nothing after connecting (first_frame_timeout), or stays idle
// (idle_timeout, reopened on demand). Bounded: connections_max, peer_queued_bytes_max per
// peer (beyond it messages are dropped: the protocol sees a timeout), frame_bytes_max.
//
// Chats: chat messages (ChatOpen, ChatAccept, ChatText, ChatClose, ChatAck) go only over
// TLS 1.3 (net_real/tls.h), on the same port (a connection whose first byte starts a TLS
// record is a chat connection), with certificates made from the users' keys
// (set_identity). Runtime::send_private names the key the peer must prove: a connection
// whose peer shows another key is closed before a byte of the chat is sent, and the core
// is told (PeerNode::on_identity_mismatch). Incoming chat messages carry the key their
// connection proved (PeerNode::on_message's channel_key). A chat message in clear, or ring
// traffic inside TLS, is dropped.
//
// Lifetime: start() once; close() before destruction, and destroy only after its `done`
// has run (libuv closes handles asynchronously). The loop outlives the node.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/peer_node.h"
#include "net_real/net_config.h"
#include "net_real/tls.h"

namespace chord::net {

struct NodeStats {
  std::uint64_t connections_opened = 0;  // outgoing
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over connections_max
  std::uint64_t peers_dropped = 0;        // disconnected for bad input or a timeout
  std::uint64_t messages_sent = 0, messages_received = 0;
  std::uint64_t messages_dropped = 0;  // no connection possible, or the peer's queue full
  std::uint64_t bytes_sent = 0, bytes_received = 0;
};

class UvNode {
 public:
  // `seed` drives the core's randomness (ids of user sessions, jitter, bootstrap order).
  UvNode(uv_loop_t& loop, const NodeConfig& node_config, const NetConfig& net_config,
         std::uint64_t seed);
  ~UvNode();
  UvNode(const UvNode&) = delete;
  UvNode& operator=(const UvNode&) = delete;

  // Binds and listens, then creates the peer, whose id is SHA-1 of the advertised
  // endpoint. Returns why it could not (a busy port, a bad address), or nullopt.
  std::optional<std::string> start();
  // The user's key for chats: they run over TLS 1.3 with a self-signed certificate made
  // from it (net_real/tls.h), on the same port as the ring's messages (a connection that
  // starts with a TLS record is a chat connection). Without it this node neither opens
  // nor accepts chats. Returns why not, or nullopt. Call before the user session starts.
  std::optional<std::string> set_identity(const Identity& identity, const std::string& handle);
  // Closes every handle; `done` runs once all are closed. Idempotent.
  void close(std::function<void()> done);

  const Endpoint& endpoint() const { return advertised_; }  // valid after start()
  // The peer, for API calls. An API call made outside an input is an input of its own:
  // the clock is read here, so it is not stamped with the time of the last input. From
  // inside an input (a report callback) the input's time stands. REQUIRES: started.
  PeerNode& peer() {
    if (inputs_ == 0) refresh_now();
    return *peer_;
  }
  const NodeStats& stats() const { return stats_; }
  std::size_t connections() const { return connections_.size(); }
  // Bytes handed to connections and not yet written (a graceful leave waits for 0).
  std::size_t queued_bytes() const;

  // What the core reports, for the embedder (chordnode's prompt, tests). Called from
  // inside an input: they may start API calls, never feed the node inputs (runtime.h).
  std::function<void(const LookupResult&)> on_lookup;
  std::function<void(NodeNotice)> on_notice;
  std::function<void(const DhtResult&)> on_dht;
  std::function<void(const ChatEvent&)> on_chat;

 private:
  struct Connection;
  struct WriteRequest;
  struct InputScope;
  struct TimerSlot {
    uv_timer_t timer;
    UvNode* node = nullptr;
    TimerKind kind = TimerKind::stabilize;
  };
  class NodeRuntime final : public Runtime {
   public:
    explicit NodeRuntime(UvNode& node) : node_(node) {}
    Time now() const override { return node_.now_; }
    std::int64_t wall_clock_ms() const override;
    void send(const Endpoint& to, Message&& message) override;
    void send_private(const Endpoint& to, const PublicKey& peer_key, Message&& message) override;
    void set_timer(TimerKind kind, Time at) override;
    void cancel_timer(TimerKind kind) override;
    std::uint64_t random() override { return node_.random_(); }
    void report(const LookupResult& result) override;
    void notice(NodeNotice notice) override;
    void report_dht(const DhtResult& result) override;
    void report_chat(const ChatEvent& event) override;

   private:
    UvNode& node_;
  };

  void refresh_now();
  Connection* connection_to(const Endpoint& to);
  Connection* secure_connection_to(const Endpoint& to, const PublicKey& key);
  // Opens a connection to `to`, Hello first: in clear, or with `key` TLS to its holder.
  Connection* open_connection(const Endpoint& to, const std::optional<PublicKey>& key);
  bool on_tls_established(Connection& connection);  // false: dropped
  // An outgoing chat connection whose peer has not proved the expected key: dropped, and
  // the core told (true). False (nothing done) for any other connection.
  bool unproved(Connection& connection);
  void flush_tls(Connection& connection);
  Connection* add_connection(bool outgoing);
  void enqueue(Connection& connection, const Message& message);
  void write(Connection& connection, std::vector<std::uint8_t> bytes);
  void drop(Connection& connection);  // closes it; its queued messages are lost
  void on_frame(Connection& connection, Message&& message);
  void housekeeping();
  void arm_housekeeping(std::uint64_t delay_ms);
  void housekeeping_soon();
  void handle_closed();

  static void on_accept(uv_stream_t* server, int status);
  static void on_connect(uv_connect_t* request, int status);
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buffer);
  static void on_read(uv_stream_t* stream, ssize_t count, const uv_buf_t* buffer);
  static void on_write(uv_write_t* request, int status);
  static void on_timer(uv_timer_t* timer);

  uv_loop_t& loop_;
  const NodeConfig node_config_;
  const NetConfig net_config_;
  NodeRuntime runtime_;
  std::mt19937_64 random_;
  Time now_{};
  int inputs_ = 0;  // inputs running (InputScope): peer() leaves the clock alone inside one
  Endpoint advertised_;
  std::optional<PeerNode> peer_;
  NodeStats stats_;

  uv_tcp_t server_{};
  std::array<TimerSlot, timer_kinds> timers_{};
  uv_timer_t housekeeping_timer_{};
  uv_timer_t self_timer_{};  // delivers messages a node sends itself, as a later input
  std::deque<Message> to_self_;
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections_;  // by connection id
  std::map<Endpoint, Connection*> by_peer_;  // the connection used to send to a peer
  // The same for chats (TLS), by endpoint and the key its peer proves: a connection from
  // someone else who claims that endpoint in its Hello never stands in for the real user.
  std::map<std::pair<Endpoint, PublicKey>, Connection*> by_peer_secure_;
  std::unique_ptr<TlsIdentity> tls_;  // set_identity
  std::uint64_t next_connection_id_ = 1;
  std::size_t incoming_ = 0;  // accepted connections open (at most connections_max minus
                              // outgoing_reserved, so callers cannot crowd out our own)
  std::array<char, 64 * 1024> read_buffer_{};
  bool started_ = false;
  bool closing_ = false;
  std::size_t handles_open_ = 0;
  std::function<void()> closed_;
};

}  // namespace chord::net
