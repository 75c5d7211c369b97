// A node under bad peers keeps serving good ones: random bytes, an oversize length, half a
// frame then silence, and 1,000 idle connections. The node runs on its own loop thread;
// the test speaks to it over blocking loopback sockets with deadlines. Latency of a normal
// client (Ping -> Pong) is measured before the attack and during it, in the same test.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/codec.h"
#include "net_real/uv_node.h"

namespace chord::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One node (a ring of one) on a loop in its own thread; stopped and closed from the loop.
class NodeThread {
 public:
  explicit NodeThread(const NetConfig& net) : node_(loop(), NodeConfig{}, net, 7) {
    const auto error = node_.start();
    EXPECT_FALSE(error.has_value()) << *error;
    node_.peer().create_ring();
    uv_async_init(&loop_, &stop_, [](uv_async_t* async) {
      auto* self = static_cast<NodeThread*>(async->data);
      self->node_.close([] {});
      uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
    });
    stop_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~NodeThread() {
    uv_async_send(&stop_);
    thread_.join();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  std::uint16_t port() const { return node_.endpoint().port; }

 private:
  uv_loop_t& loop() {
    uv_loop_init(&loop_);
    return loop_;
  }
  uv_loop_t loop_{};
  UvNode node_;
  uv_async_t stop_{};
  std::thread thread_;
};

int connect_to(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void send_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// True if the node closes `fd` within `limit` (reads EOF or a reset).
bool closed_by_node(int fd, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  char buffer[4096];
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return true;
  }
  return false;
}

// A well-behaved client: Hello once, then Ping -> Pong round trips.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(connect_to(port)) {
    std::vector<std::uint8_t> hello;
    encode_frame(Hello{Endpoint::ipv4({127, 0, 0, 1}, 9)}, hello);
    send_all(fd_, hello);
  }
  ~Client() { close(fd_); }
  // One round trip, or a negative duration if no Pong came within 2 s.
  std::chrono::microseconds ping(std::uint64_t id) {
    std::vector<std::uint8_t> frame;
    encode_frame(Ping{id}, frame);
    const auto start = Clock::now();
    send_all(fd_, frame);
    while (Clock::now() - start < 2s) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      std::uint8_t buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      decoder_.feed({buffer, static_cast<std::size_t>(n)});
      for (auto next = decoder_.next(); next && next->has_value(); next = decoder_.next()) {
        if (const auto* pong = std::get_if<Pong>(&**next); pong && pong->request_id == id) {
          return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        }
      }
    }
    return std::chrono::microseconds(-1);
  }
  // p99 of `count` round trips; fails the test if any went unanswered.
  std::chrono::microseconds p99(std::size_t count) {
    std::vector<std::chrono::microseconds> samples;
    for (std::size_t i = 0; i < count; ++i) {
      const auto rtt = ping(next_id_++);
      EXPECT_GE(rtt.count(), 0) << "ping " << i << " unanswered";
      samples.push_back(rtt);
    }
    std::sort(samples.begin(), samples.end());
    return samples[count * 99 / 100];
  }

 private:
  int fd_;
  FrameDecoder decoder_;
  std::uint64_t next_id_ = 1;
};

TEST(BadPeers, GarbageOversizeStallsAndIdleConnectionsDoNotHurtAGoodClient) {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::max<rlim_t>(files.rlim_cur, std::min<rlim_t>(files.rlim_max, 4096));
  setrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < 2200) {  // 1,000 idle connections, counted on both sides
    const bool ci = std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true";
    if (ci) FAIL() << "needs 2,200 file descriptors; the hard limit is " << files.rlim_max;
    GTEST_SKIP() << "needs 2,200 file descriptors; the hard limit is " << files.rlim_max;
  }
  NetConfig net;
  net.listen = Endpoint::ipv4({127, 0, 0, 1}, 0);
  net.stall_timeout = 1s;         // short, so the test waits little
  net.first_frame_timeout = 60s;  // the idle connections stay while we measure
  net.connections_max = 1100;
  NodeThread node(net);
  Client client(node.port());
  ASSERT_GE(client.ping(0).count(), 0) << "the node does not answer at all";
  const auto baseline = client.p99(1000);

  // Random bytes: disconnected.
  const int garbage = connect_to(node.port());
  std::vector<std::uint8_t> noise(4096);
  std::uint64_t state = 42;
  for (auto& byte : noise)
    byte = static_cast<std::uint8_t>((state = state * 6364136223846793005ULL + 1) >> 56);
  send_all(garbage, noise);
  EXPECT_TRUE(closed_by_node(garbage, 5s)) << "random bytes";
  close(garbage);

  // A length over the frame limit: disconnected before anything is buffered.
  const int oversize = connect_to(node.port());
  send_all(oversize, {0xff, 0xff, 0xff, 0xff, 1});
  EXPECT_TRUE(closed_by_node(oversize, 5s)) << "oversize length";
  close(oversize);

  // A Hello, then half a frame and silence: disconnected after stall_timeout.
  const int stall = connect_to(node.port());
  std::vector<std::uint8_t> frames;
  encode_frame(Hello{Endpoint::ipv4({127, 0, 0, 1}, 10)}, frames);
  encode_frame(Ping{5}, frames);
  frames.resize(frames.size() - 3);
  send_all(stall, frames);
  EXPECT_TRUE(closed_by_node(stall, 5s)) << "half a frame then silence";
  close(stall);

  // 1,000 idle connections; the good client is served as before.
  std::vector<int> idle;
  for (int i = 0; i < 1000; ++i) {
    const int fd = connect_to(node.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    idle.push_back(fd);
  }
  // The node keeps them (it must not shed load by dropping them): none is closed now, and
  // none once the good client has been measured.
  auto still_open = [&idle] {
    std::size_t open = 0;
    for (const int fd : idle) {
      pollfd p{fd, POLLIN | POLLRDHUP, 0};
      if (poll(&p, 1, 0) == 0) ++open;  // nothing to read, no hang-up
    }
    return open;
  };
  EXPECT_EQ(still_open(), idle.size());
  const auto attacked = client.p99(1000);
  EXPECT_EQ(still_open(), idle.size());
  for (const int fd : idle)
    close(fd);
  std::printf("[ bad peers ] ping p99: %lld us before, %lld us with 1,000 idle connections\n",
              static_cast<long long>(baseline.count()), static_cast<long long>(attacked.count()));
  // 2x the baseline, the baseline taken as at least 100 us: a loopback round trip is a few
  // microseconds, where one scheduler hiccup on a 2-core machine would decide the test.
  EXPECT_LE(attacked.count(), 2 * std::max<std::int64_t>(baseline.count(), 100));
}

// A peer that sends requests but never reads the answers: the answers pile up in the
// kernel's buffers and then in our queue for it. Once nothing of that queue has gone out
// for stall_timeout, the node closes the connection (it would otherwise hold the queue
// until the idle timeout, which its own requests keep from ever coming), and a good
// client is served throughout.
// A caller that names the node's own endpoint in its Hello would get the node's chat
// replies looped back to the node itself: disconnected. A TLS connection (a chat) to a
// node with no user is closed too. Either way the good client is still served.
TEST(BadPeers, AHelloNamingTheNodeItselfAndTlsToANodeWithoutAUserAreRefused) {
  NetConfig net;
  net.listen = Endpoint::ipv4({127, 0, 0, 1}, 0);
  NodeThread node(net);
  Client good(node.port());
  ASSERT_GE(good.ping(1).count(), 0);

  const int spoof = connect_to(node.port());
  ASSERT_GE(spoof, 0);
  std::vector<std::uint8_t> frames;
  encode_frame(Hello{Endpoint::ipv4({127, 0, 0, 1}, node.port())}, frames);
  encode_frame(Ping{7}, frames);
  send_all(spoof, frames);
  EXPECT_TRUE(closed_by_node(spoof, 5000ms)) << "a Hello in the node's own name was taken";
  close(spoof);

  const int tls = connect_to(node.port());
  ASSERT_GE(tls, 0);
  send_all(tls, {0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5});  // a TLS record's start
  EXPECT_TRUE(closed_by_node(tls, 5000ms)) << "a chat connection to a node with no user";
  close(tls);
  EXPECT_GE(good.ping(2).count(), 0);
}

TEST(BadPeers, APeerThatNeverReadsIsDisconnectedOnceItsQueueStalls) {
  NetConfig net;
  net.listen = Endpoint::ipv4({127, 0, 0, 1}, 0);
  net.stall_timeout = 1s;
  net.peer_queued_bytes_max = 64 * 1024;
  NodeThread node(net);
  Client good(node.port());
  ASSERT_GE(good.ping(1).count(), 0);

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);  // fills up sooner
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(node.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::vector<std::uint8_t> frames;
  encode_frame(Hello{Endpoint::ipv4({127, 0, 0, 1}, 10)}, frames);
  send_all(fd, frames);
  // 300,000 pings (4.5 MB): more answers than the kernel's buffers and our queue hold.
  frames.clear();
  for (std::uint64_t i = 0; i < 1000; ++i)
    encode_frame(Ping{i}, frames);
  for (int round = 0; round < 300; ++round) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 2000) <= 0) break;  // the node stopped reading us: enough
    send_all(fd, frames);
  }
  std::this_thread::sleep_for(3s);  // stall_timeout and a housekeeping round, without reading
  EXPECT_GE(good.ping(2).count(), 0) << "the good client is still served";
  // Read what was sent before the close: then the end of the stream.
  EXPECT_TRUE(closed_by_node(fd, 10000ms)) << "the node kept a peer that never reads";
  close(fd);
}

}  // namespace
}  // namespace chord::net
