#include "net_real/uv_node.h"

#include <chrono>
#include <cstring>

#include "core/assert.h"

namespace chord::net {
namespace {

constexpr int listen_backlog = 128;
// Connection timeouts are whole seconds; checking once a second keeps an idle node asleep.
// Connection deadlines are checked every second while a connection is opening or holds
// part of a frame, and every 15 s otherwise (only idle_timeout applies then): an idle node
// should not wake up every second for nothing.
constexpr std::uint64_t housekeeping_busy_ms = 1000;
constexpr std::uint64_t housekeeping_quiet_max_ms = 60000;

// The clock every node of the process shares: microseconds of uv_hrtime since the first use.
Time monotonic_now() {
  static const std::uint64_t epoch = uv_hrtime();
  return Time(Duration(static_cast<std::int64_t>((uv_hrtime() - epoch) / 1000)));
}

sockaddr_storage to_sockaddr(const Endpoint& endpoint) {
  sockaddr_storage storage{};
  if (endpoint.family == AddressFamily::ipv4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(endpoint.port);
    std::memcpy(&in->sin_addr, endpoint.address.data(), 4);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(endpoint.port);
    std::memcpy(&in6->sin6_addr, endpoint.address.data(), 16);
  }
  return storage;
}

std::optional<Endpoint> from_sockaddr(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    std::array<std::uint8_t, 4> octets{};
    std::memcpy(octets.data(), &in->sin_addr, 4);
    return Endpoint::ipv4(octets, ntohs(in->sin_port));
  }
  if (storage.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &in6->sin6_addr, 16);
    return Endpoint::ipv6(bytes, ntohs(in6->sin6_port));
  }
  return std::nullopt;
}

// Chat messages travel only over TLS, and everything else only in clear.
bool is_chat_message(const Message& message) {
  return std::holds_alternative<ChatOpen>(message) || std::holds_alternative<ChatAccept>(message) ||
         std::holds_alternative<ChatText>(message) || std::holds_alternative<ChatClose>(message) ||
         std::holds_alternative<ChatAck>(message);
}

// The first byte of a TLS handshake record. Our frames start with a big-endian length, whose
// first byte is 0 for any frame under 16 MiB, so a connection is told apart by it.
constexpr std::uint8_t tls_handshake_record = 0x16;

std::uint64_t delay_ms(Duration delay) {
  // Rounded up, plus one: a uv timer may fire up to a millisecond before its time as the
  // core measures it (the loop's clock is in whole milliseconds).
  const auto micros = std::max<std::int64_t>(0, delay.count());
  return static_cast<std::uint64_t>((micros + 999) / 1000) + 1;
}

}  // namespace

// One input to the core: the clock is read once at its start and stays fixed until it
// ends; API calls made from inside it (report callbacks) do not move it.
struct UvNode::InputScope {
  explicit InputScope(UvNode& node) : node_(node) {
    node_.refresh_now();
    ++node_.inputs_;
  }
  ~InputScope() { --node_.inputs_; }
  InputScope(const InputScope&) = delete;
  InputScope& operator=(const InputScope&) = delete;
  UvNode& node_;
};

struct UvNode::Connection {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  UvNode* node = nullptr;
  std::uint64_t id = 0;
  Endpoint peer;  // advertised endpoint (outgoing: whom we called; incoming: from Hello)
  bool outgoing = false;
  bool ready = false;  // outgoing: connected; incoming: Hello received
  bool closing = false;
  FrameDecoder decoder;
  // Chats (TLS): the session; outgoing, the key the peer must prove; once proved (or, on an
  // incoming connection, presented), the peer's key.
  bool secure = false;
  bool sniffed = false;  // incoming: its first byte said whether it is TLS
  std::unique_ptr<TlsSession> tls;
  std::optional<PublicKey> expected_key;
  bool key_checked = false;
  PublicKey peer_key{};
  // Frames waiting for the connection to be ready (plain: connected; TLS: the handshake
  // done and the peer's key checked; then these are plaintext).
  std::vector<std::uint8_t> pending;
  std::size_t queued_bytes = 0;  // pending plus written and not yet completed
  Time opened, last_read, last_activity;
  Time write_progress;  // when queued bytes last went out (or began to wait)
  Time frame_began;     // when the decoder last went from empty to holding part of a frame

  explicit Connection(std::uint32_t frame_bytes_max) : decoder(frame_bytes_max) {}
};

struct UvNode::WriteRequest {
  uv_write_t request{};
  std::vector<std::uint8_t> bytes;
  Connection* connection = nullptr;
};

const char* validate(const NetConfig& config) {
  if (!config.listen.is_set()) return "no address to listen on";
  if (config.frame_bytes_max < frame_bytes_max_min) return "frame_bytes_max below 64 KiB";
  if (config.connections_max < 4) return "connections_max below 4";
  if (config.outgoing_reserved >= config.connections_max) {
    return "outgoing_reserved must leave room for incoming connections";
  }
  if (config.peer_queued_bytes_max < config.frame_bytes_max) {
    return "peer_queued_bytes_max below frame_bytes_max";
  }
  if (config.first_frame_timeout <= Duration(0) || config.stall_timeout <= Duration(0) ||
      config.idle_timeout <= Duration(0) || config.connect_timeout <= Duration(0)) {
    return "timeouts must be positive";
  }
  return nullptr;
}

bool is_wildcard(const Endpoint& endpoint) {
  // 0.0.0.0, [::], and [::ffff:0.0.0.0] (IPv4's wildcard written as IPv6).
  for (std::size_t i = 0; i < endpoint.address.size(); ++i) {
    const bool mapped_marker = endpoint.family == AddressFamily::ipv6 && (i == 10 || i == 11);
    if (endpoint.address[i] != 0 && !(mapped_marker && endpoint.address[i] == 0xff)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Life cycle

UvNode::UvNode(uv_loop_t& loop, const NodeConfig& node_config, const NetConfig& net_config,
               std::uint64_t seed)
    : loop_(loop),
      node_config_(node_config),
      net_config_(net_config),
      runtime_(*this),
      random_(seed) {
  CHORD_ASSERT(validate(node_config_) == nullptr);
  CHORD_ASSERT(validate(net_config_) == nullptr);
}

UvNode::~UvNode() {
  CHORD_ASSERT(!started_ || (closing_ && handles_open_ == 0));  // close() first, and wait
}

std::optional<std::string> UvNode::start() {
  CHORD_ASSERT(!started_);
  const sockaddr_storage address = to_sockaddr(net_config_.listen);
  uv_tcp_init(&loop_, &server_);
  server_.data = this;
  started_ = true;
  ++handles_open_;
  const int bound_status = uv_tcp_bind(&server_, reinterpret_cast<const sockaddr*>(&address), 0);
  if (bound_status != 0) {
    return "cannot listen on " + net_config_.listen.to_string() + ": " + uv_strerror(bound_status);
  }
  sockaddr_storage bound{};
  int length = sizeof bound;
  // libuv reports some bind errors (a busy port) only now, or at listen.
  const int named = uv_tcp_getsockname(&server_, reinterpret_cast<sockaddr*>(&bound), &length);
  const std::optional<Endpoint> local = from_sockaddr(bound);
  if (named != 0 || !local) {
    return "cannot listen on " + net_config_.listen.to_string() + ": " +
           uv_strerror(named != 0 ? named : UV_EINVAL);
  }
  advertised_ = net_config_.advertise.is_set() ? net_config_.advertise : *local;
  if (advertised_.port == 0) advertised_.port = local->port;
  if (is_wildcard(advertised_)) {  // checked before listening: nobody may reach a half-built node
    return "listening on " + net_config_.listen.to_string() +
           " needs an address others can reach: give --advertise HOST:PORT";
  }
  // Bind errors (a busy port) surface at listen on Linux.
  const int status =
      uv_listen(reinterpret_cast<uv_stream_t*>(&server_), listen_backlog, &UvNode::on_accept);
  if (status != 0) {
    return "cannot listen on " + net_config_.listen.to_string() + ": " + uv_strerror(status);
  }
  for (std::size_t k = 0; k < timers_.size(); ++k) {
    timers_[k].node = this;
    timers_[k].kind = static_cast<TimerKind>(k);
    uv_timer_init(&loop_, &timers_[k].timer);
    timers_[k].timer.data = &timers_[k];
    ++handles_open_;
  }
  uv_timer_init(&loop_, &housekeeping_timer_);
  housekeeping_timer_.data = this;
  uv_timer_init(&loop_, &self_timer_);
  self_timer_.data = this;
  handles_open_ += 2;
  arm_housekeeping(housekeeping_busy_ms);
  refresh_now();
  peer_.emplace(node_config_, runtime_,
                Peer{NodeId::hash_of(advertised_.to_string()), advertised_});
  return std::nullopt;
}

void UvNode::close(std::function<void()> done) {
  if (closing_ || !started_) {
    if (!started_ && done) done();
    return;
  }
  closing_ = true;
  closed_ = std::move(done);
  // Handles whose data is the node, and the timer slots whose data is the slot.
  auto node_closed = [](uv_handle_t* handle) {
    static_cast<UvNode*>(handle->data)->handle_closed();
  };
  auto slot_closed = [](uv_handle_t* handle) {
    static_cast<TimerSlot*>(handle->data)->node->handle_closed();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&server_), node_closed);
  for (TimerSlot& slot : timers_) {
    if (slot.node != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(&slot.timer), slot_closed);
  }
  if (housekeeping_timer_.data != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(&housekeeping_timer_), node_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&self_timer_), node_closed);
  }
  std::vector<Connection*> open;
  for (auto& [id, connection] : connections_)
    open.push_back(connection.get());
  for (Connection* connection : open)
    drop(*connection);
}

void UvNode::handle_closed() {
  CHORD_ASSERT(handles_open_ > 0);
  if (--handles_open_ == 0 && connections_.empty() && closed_) {
    auto done = std::move(closed_);
    done();
  }
}

std::size_t UvNode::queued_bytes() const {
  std::size_t total = 0;
  for (const auto& [id, connection] : connections_)
    total += connection->closing ? 0 : connection->queued_bytes;
  return total;
}

void UvNode::refresh_now() {
  now_ = std::max(now_, monotonic_now());
}

// ---------------------------------------------------------------------------------------
// Runtime

std::int64_t UvNode::NodeRuntime::wall_clock_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void UvNode::NodeRuntime::send(const Endpoint& to, Message&& message) {
  UvNode& node = node_;
  if (node.closing_) return;
  if (to == node.advertised_) {  // to ourselves: a later input, never a call back
    node.to_self_.push_back(std::move(message));
    uv_timer_start(
        &node.self_timer_,
        [](uv_timer_t* timer) {
          auto* self = static_cast<UvNode*>(timer->data);
          std::deque<Message> batch;
          batch.swap(self->to_self_);
          for (Message& m : batch) {
            if (self->closing_) return;
            const InputScope input(*self);
            self->peer_->on_message(self->advertised_, m);
          }
        },
        0, 0);
    return;
  }
  Connection* connection = node.connection_to(to);
  if (connection == nullptr) {
    ++node.stats_.messages_dropped;
    return;
  }
  node.enqueue(*connection, message);
}

void UvNode::NodeRuntime::send_private(const Endpoint& to, const PublicKey& peer_key,
                                       Message&& message) {
  UvNode& node = node_;
  if (node.closing_) return;
  if (to == node.advertised_) {
    // A chat with oneself stays in the process, and only with one's own key: a peer that
    // named our endpoint as its own must not get our texts looped back to us as its.
    if (node.tls_ && peer_key == node.tls_->public_key()) {
      send(to, std::move(message));
    } else {
      ++node.stats_.messages_dropped;
    }
    return;
  }
  Connection* connection = node.tls_ ? node.secure_connection_to(to, peer_key) : nullptr;
  if (connection == nullptr) {
    ++node.stats_.messages_dropped;  // no identity, or no room: never in clear
    return;
  }
  node.enqueue(*connection, message);
}

void UvNode::NodeRuntime::set_timer(TimerKind kind, Time at) {
  TimerSlot& slot = node_.timers_[static_cast<std::size_t>(kind)];
  if (node_.closing_) return;
  uv_timer_start(&slot.timer, &UvNode::on_timer, delay_ms(at - node_.now_), 0);
}

void UvNode::NodeRuntime::cancel_timer(TimerKind kind) {
  if (node_.closing_) return;
  uv_timer_stop(&node_.timers_[static_cast<std::size_t>(kind)].timer);
}

void UvNode::NodeRuntime::report(const LookupResult& result) {
  if (node_.on_lookup) node_.on_lookup(result);
}
void UvNode::NodeRuntime::notice(NodeNotice notice) {
  if (node_.on_notice) node_.on_notice(notice);
}
void UvNode::NodeRuntime::report_dht(const DhtResult& result) {
  if (node_.on_dht) node_.on_dht(result);
}
void UvNode::NodeRuntime::report_chat(const ChatEvent& event) {
  if (node_.on_chat) node_.on_chat(event);
}

void UvNode::on_timer(uv_timer_t* timer) {
  auto* slot = static_cast<TimerSlot*>(timer->data);
  UvNode& node = *slot->node;
  if (node.closing_) return;
  const InputScope input(node);
  node.peer_->on_timer(slot->kind);
}

// ---------------------------------------------------------------------------------------
// Connections

UvNode::Connection* UvNode::add_connection(bool outgoing) {
  auto connection = std::make_unique<Connection>(net_config_.frame_bytes_max);
  connection->node = this;
  connection->id = next_connection_id_++;
  connection->outgoing = outgoing;
  connection->opened = connection->last_read = connection->last_activity = now_;
  uv_tcp_init(&loop_, &connection->tcp);
  connection->tcp.data = connection.get();
  uv_tcp_nodelay(&connection->tcp, 1);
  Connection* raw = connection.get();
  if (!outgoing) ++incoming_;
  connections_.emplace(raw->id, std::move(connection));
  housekeeping_soon();  // its connect or first-frame deadline
  return raw;
}

UvNode::Connection* UvNode::connection_to(const Endpoint& to) {
  if (const auto it = by_peer_.find(to); it != by_peer_.end()) return it->second;
  return open_connection(to, std::nullopt);
}

UvNode::Connection* UvNode::secure_connection_to(const Endpoint& to, const PublicKey& key) {
  if (const auto it = by_peer_secure_.find({to, key}); it != by_peer_secure_.end()) {
    return it->second;
  }
  return open_connection(to, key);
}

UvNode::Connection* UvNode::open_connection(const Endpoint& to,
                                            const std::optional<PublicKey>& key) {
  if (!to.is_set() || to.port == 0 || is_wildcard(to)) return nullptr;
  if (connections_.size() >= net_config_.connections_max) return nullptr;
  Connection* connection = add_connection(true);
  connection->peer = to;
  if (key) {  // a chat connection: TLS, to the holder of `key` only
    connection->secure = true;
    connection->expected_key = key;
    connection->tls = std::make_unique<TlsSession>(tls_->client(), TlsSession::Role::client);
    by_peer_secure_[{to, *key}] = connection;
  } else {
    by_peer_[to] = connection;
  }
  ++stats_.connections_opened;
  std::vector<std::uint8_t> hello;  // the first frame (inside TLS for a chat connection)
  encode_frame(Hello{advertised_}, hello);
  connection->queued_bytes += hello.size();
  connection->pending = std::move(hello);
  const sockaddr_storage address = to_sockaddr(to);
  connection->connect.data = connection;
  const int status = uv_tcp_connect(&connection->connect, &connection->tcp,
                                    reinterpret_cast<const sockaddr*>(&address), &on_connect);
  if (status != 0) {
    drop(*connection);
    return nullptr;
  }
  return connection;
}

void UvNode::flush_tls(Connection& connection) {
  std::vector<std::uint8_t> out = connection.tls->take_output();
  if (!out.empty() && !connection.closing) write(connection, std::move(out));
}

bool UvNode::unproved(Connection& connection) {
  if (!connection.secure || !connection.outgoing || connection.key_checked) return false;
  // Whoever answers at that address did not prove the key of the user we meant to reach
  // (another key, no Ed25519 certificate, a failed or refused handshake): nothing is sent
  // to it, and the core is told (its chats there fail, saying why).
  const Endpoint peer = connection.peer;
  const PublicKey expected = *connection.expected_key;
  drop(connection);
  const InputScope input(*this);
  peer_->on_identity_mismatch(peer, expected);
  return true;
}

bool UvNode::on_tls_established(Connection& connection) {
  const auto& key = connection.tls->peer_key();
  if (!key || (connection.outgoing && *key != *connection.expected_key)) {
    ++stats_.peers_dropped;
    if (!unproved(connection)) drop(connection);  // incoming: no Ed25519 certificate
    return false;
  }
  connection.peer_key = *key;
  connection.key_checked = true;
  if (connection.outgoing && !connection.pending.empty()) {
    std::vector<std::uint8_t> pending = std::move(connection.pending);
    connection.pending.clear();
    connection.queued_bytes -= pending.size();
    if (!connection.tls->write(pending)) {
      drop(connection);
      return false;
    }
    flush_tls(connection);
  }
  return true;
}

std::optional<std::string> UvNode::set_identity(const Identity& identity,
                                                const std::string& handle) {
  std::string error;
  auto tls = TlsIdentity::make(identity, handle, error);
  if (!tls) return error;
  tls_ = std::move(tls);
  return std::nullopt;
}

void UvNode::on_connect(uv_connect_t* request, int status) {
  auto* connection = static_cast<Connection*>(request->data);
  UvNode& node = *connection->node;
  if (connection->closing) return;
  if (status != 0) {
    node.drop(*connection);  // refused or unreachable: its messages are lost (RPC timeouts)
    return;
  }
  connection->ready = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&connection->tcp), &on_alloc, &on_read);
  if (connection->secure) {  // the frames wait for the handshake and the key check
    if (!connection->tls->start()) {
      node.drop(*connection);
      return;
    }
    node.refresh_now();
    node.flush_tls(*connection);
    return;
  }
  std::vector<std::uint8_t> pending = std::move(connection->pending);
  connection->pending.clear();
  connection->queued_bytes -= pending.size();
  node.write(*connection, std::move(pending));
}

void UvNode::on_accept(uv_stream_t* server, int status) {
  auto* node = static_cast<UvNode*>(server->data);
  if (status != 0 || node->closing_) return;
  node->refresh_now();
  Connection* connection = node->add_connection(false);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&connection->tcp)) != 0) {
    node->drop(*connection);
    return;
  }
  if (node->incoming_ > node->net_config_.connections_max - node->net_config_.outgoing_reserved) {
    ++node->stats_.connections_refused;
    node->drop(*connection);
    return;
  }
  ++node->stats_.connections_accepted;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&connection->tcp), &on_alloc, &on_read);
}

void UvNode::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buffer) {
  // One buffer per node: libuv calls on_read right after on_alloc for the same stream.
  UvNode& node = *static_cast<Connection*>(handle->data)->node;
  *buffer = uv_buf_init(node.read_buffer_.data(), static_cast<unsigned>(node.read_buffer_.size()));
}

void UvNode::on_read(uv_stream_t* stream, ssize_t count, const uv_buf_t* buffer) {
  auto* connection = static_cast<Connection*>(stream->data);
  UvNode& node = *connection->node;
  if (connection->closing || node.closing_) return;
  if (count < 0) {  // end of stream or an error
    // A connection in use lately that ends without a goodbye: its peer may have died. (One
    // idle for long is the peer's idle close: no news.) Told to the core as a hint.
    node.refresh_now();
    const bool lost = connection->ready && !connection->closing &&
                      node.now_ - connection->last_activity < node.net_config_.idle_timeout / 2;
    const Endpoint peer = connection->peer;
    if (node.unproved(*connection)) return;  // a chat peer that ended the handshake
    node.drop(*connection);
    if (lost && !node.closing_) {
      const InputScope input(node);
      node.peer_->on_connection_lost(peer);
    }
    return;
  }
  if (count == 0) return;
  node.refresh_now();
  node.stats_.bytes_received += static_cast<std::uint64_t>(count);
  connection->last_read = connection->last_activity = node.now_;
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(buffer->base),
                                      static_cast<std::size_t>(count));
  if (!connection->outgoing && !connection->sniffed) {
    connection->sniffed = true;
    if (bytes.front() == tls_handshake_record) {
      if (!node.tls_) {  // no user here: no chats
        ++node.stats_.peers_dropped;
        node.drop(*connection);
        return;
      }
      connection->secure = true;
      connection->tls = std::make_unique<TlsSession>(node.tls_->server(), TlsSession::Role::server);
    }
  }
  std::vector<std::uint8_t> plaintext;
  if (connection->secure) {
    std::string error;
    const bool established = connection->tls->established();
    if (!connection->tls->feed(bytes, plaintext, error)) {
      ++node.stats_.peers_dropped;
      if (!node.unproved(*connection)) node.drop(*connection);
      return;
    }
    node.flush_tls(*connection);  // handshake records
    if (!established && connection->tls->established() && !node.on_tls_established(*connection)) {
      return;
    }
    if (connection->closing || node.closing_) return;
    bytes = plaintext;
    if (bytes.empty()) return;
  }
  if (connection->decoder.buffered_bytes() == 0) connection->frame_began = node.now_;
  connection->decoder.feed(bytes);
  for (;;) {
    auto next = connection->decoder.next();
    if (!next) {  // garbage, an oversize length, an unknown version: not a peer we can serve
      ++node.stats_.peers_dropped;
      node.drop(*connection);
      return;
    }
    if (!next->has_value()) {  // a partial frame: wait for more (within stall_timeout)
      if (connection->decoder.buffered_bytes() > 0) node.housekeeping_soon();
      return;
    }
    node.on_frame(*connection, std::move(**next));
    if (connection->closing || node.closing_) return;
  }
}

void UvNode::on_frame(Connection& connection, Message&& message) {
  if (const auto* hello = std::get_if<Hello>(&message)) {
    if (connection.outgoing || connection.ready) return;  // only the first, from a caller
    if (!hello->advertised.is_set() || hello->advertised.port == 0 ||
        is_wildcard(hello->advertised) || hello->advertised == advertised_) {
      ++stats_.peers_dropped;
      drop(connection);
      return;
    }
    connection.peer = hello->advertised;
    connection.ready = true;
    // Keeps an existing one. A chat connection is filed under the key its peer proved.
    if (connection.secure) {
      by_peer_secure_.emplace(std::make_pair(connection.peer, connection.peer_key), &connection);
    } else {
      by_peer_.emplace(connection.peer, &connection);
    }
    return;
  }
  if (!connection.ready) {  // anything before Hello
    ++stats_.peers_dropped;
    drop(connection);
    return;
  }
  if (is_chat_message(message) != connection.secure) {
    // A chat message in clear (or ring traffic inside a chat's TLS): never taken, so no chat
    // can be read or injected around TLS.
    ++stats_.messages_dropped;
    return;
  }
  ++stats_.messages_received;
  const InputScope input(*this);
  peer_->on_message(connection.peer, message, connection.secure ? &connection.peer_key : nullptr);
}

void UvNode::enqueue(Connection& connection, const Message& message) {
  std::vector<std::uint8_t> frame;
  encode_frame(message, frame);
  if (connection.queued_bytes + frame.size() > net_config_.peer_queued_bytes_max) {
    ++stats_.messages_dropped;  // the peer does not keep up: the protocol sees a timeout
    return;
  }
  ++stats_.messages_sent;
  if (!connection.ready || (connection.secure && !connection.key_checked)) {
    if (connection.queued_bytes == 0) connection.write_progress = now_;
    connection.queued_bytes += frame.size();
    connection.pending.insert(connection.pending.end(), frame.begin(), frame.end());
    return;
  }
  if (connection.secure) {
    if (!connection.tls->write(frame)) {
      drop(connection);
      return;
    }
    flush_tls(connection);
    return;
  }
  write(connection, std::move(frame));
}

void UvNode::write(Connection& connection, std::vector<std::uint8_t> bytes) {
  if (bytes.empty()) return;
  connection.last_activity = now_;
  if (connection.tcp.write_queue_size == 0) {
    // Nothing queued: write at once. Saves uv_write's epoll changes and its allocation, so
    // an idle node's maintenance message costs one system call, not three.
    uv_buf_t direct =
        uv_buf_init(reinterpret_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
    const int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&connection.tcp), &direct, 1);
    if (written < 0 && written != UV_EAGAIN) {
      drop(connection);
      return;
    }
    if (written > 0) {
      stats_.bytes_sent += static_cast<std::size_t>(written);
      if (static_cast<std::size_t>(written) == bytes.size()) return;
      bytes.erase(bytes.begin(), bytes.begin() + written);
    }
  }
  if (connection.queued_bytes == 0) {
    connection.write_progress = now_;  // from now on the peer must keep reading
    housekeeping_soon();
  }
  auto* request = new WriteRequest;
  request->bytes = std::move(bytes);
  request->connection = &connection;
  request->request.data = request;
  connection.queued_bytes += request->bytes.size();
  stats_.bytes_sent += request->bytes.size();
  uv_buf_t buffer = uv_buf_init(reinterpret_cast<char*>(request->bytes.data()),
                                static_cast<unsigned>(request->bytes.size()));
  const int status = uv_write(&request->request, reinterpret_cast<uv_stream_t*>(&connection.tcp),
                              &buffer, 1, &on_write);
  if (status != 0) {
    connection.queued_bytes -= request->bytes.size();
    delete request;
    drop(connection);
  }
}

void UvNode::on_write(uv_write_t* uv_request, int status) {
  auto* request = static_cast<WriteRequest*>(uv_request->data);
  Connection& connection = *request->connection;
  connection.queued_bytes -= request->bytes.size();
  connection.node->refresh_now();
  connection.write_progress = connection.node->now_;
  delete request;
  if (status != 0 && !connection.closing) connection.node->drop(connection);
}

void UvNode::drop(Connection& connection) {
  if (connection.closing) return;
  connection.closing = true;
  if (connection.secure) {
    const PublicKey key = connection.outgoing ? *connection.expected_key : connection.peer_key;
    if (const auto it = by_peer_secure_.find({connection.peer, key});
        it != by_peer_secure_.end() && it->second == &connection) {
      by_peer_secure_.erase(it);
    }
  } else if (const auto it = by_peer_.find(connection.peer);
             it != by_peer_.end() && it->second == &connection) {
    by_peer_.erase(it);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&connection.tcp), [](uv_handle_t* handle) {
    auto* closed = static_cast<Connection*>(handle->data);
    UvNode& node = *closed->node;
    if (!closed->outgoing) --node.incoming_;
    node.connections_.erase(closed->id);
    if (node.closing_ && node.handles_open_ == 0 && node.connections_.empty() && node.closed_) {
      auto done = std::move(node.closed_);
      done();
    }
  });
}

void UvNode::arm_housekeeping(std::uint64_t delay_ms) {
  uv_timer_start(
      &housekeeping_timer_,
      [](uv_timer_t* timer) { static_cast<UvNode*>(timer->data)->housekeeping(); }, delay_ms, 0);
}

void UvNode::housekeeping_soon() {
  if (closing_ || housekeeping_timer_.data == nullptr) return;
  if (uv_timer_get_due_in(&housekeeping_timer_) > housekeeping_busy_ms) {
    arm_housekeeping(housekeeping_busy_ms);
  }
}

void UvNode::housekeeping() {
  if (closing_) return;
  refresh_now();
  std::vector<Connection*> expired;
  bool busy = false;            // a connection left with a deadline closer than idle_timeout
  Time idle_due = Time::max();  // the earliest idle close
  for (auto& [id, connection] : connections_) {
    const Connection& c = *connection;
    if (c.closing) continue;
    const bool timed_out =
        (c.outgoing && !c.ready && now_ - c.opened > net_config_.connect_timeout) ||
        (!c.outgoing && !c.ready && now_ - c.opened > net_config_.first_frame_timeout) ||
        // A chat connection's TLS handshake must be done within the same time.
        (c.secure && !c.key_checked && now_ - c.opened > net_config_.first_frame_timeout) ||
        // A frame must be whole within stall_timeout of its first byte: a trickle of
        // bytes cannot keep a large frame's buffer pinned.
        (c.decoder.buffered_bytes() > 0 && now_ - c.frame_began > net_config_.stall_timeout) ||
        // A peer that stops reading cannot pin our queue either: writes must progress.
        (c.queued_bytes > 0 && now_ - c.write_progress > net_config_.stall_timeout) ||
        (now_ - c.last_activity > net_config_.idle_timeout);
    if (timed_out) {
      expired.push_back(connection.get());
    } else {
      busy = busy || !c.ready || (c.secure && !c.key_checked) || c.decoder.buffered_bytes() > 0 ||
             c.queued_bytes > 0;
      idle_due = std::min(idle_due, c.last_activity + net_config_.idle_timeout);
    }
  }
  for (Connection* connection : expired) {
    if (!connection->ready || connection->decoder.buffered_bytes() > 0) ++stats_.peers_dropped;
    drop(*connection);
  }
  if (busy) {
    arm_housekeeping(housekeeping_busy_ms);
    return;
  }
  // Quiet: wake at the first idle close (a connection in use keeps pushing it out), and
  // at least every housekeeping_quiet_max_ms.
  std::uint64_t delay_ms = housekeeping_quiet_max_ms;
  if (idle_due != Time::max()) {
    const auto due_in = std::chrono::ceil<std::chrono::milliseconds>(idle_due - now_).count();
    delay_ms =
        std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::max<std::int64_t>(due_in, 0)),
                                  housekeeping_busy_ms, housekeeping_quiet_max_ms);
  }
  arm_housekeeping(delay_ms);
}

}  // namespace chord::net
