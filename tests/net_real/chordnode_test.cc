// chordnode as real processes on 127.0.0.1: three serve nodes and two chat users; a chat of
// 100 messages, a graceful quit that removes the record, a killed serve node the ring
// routes around, and a killed user whose record expires with its lease. Every process is
// ended by its pid; every wait has a deadline (generous, for the sanitizer build).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "tests/net_real/process.h"

namespace chord::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto patience = 30s;

class ChordnodeProcesses : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_test_directory("chordnode_test_"); }
  void TearDown() override {
    if (HasFailure()) {  // what each process said on stderr, to see why
      for (const auto& entry : fs::directory_iterator(dir_)) {
        std::FILE* file = std::fopen(entry.path().c_str(), "r");
        char line[512];
        while (file != nullptr && std::fgets(line, sizeof line, file) != nullptr)
          std::printf("%s: %s", entry.path().filename().c_str(), line);
        if (file != nullptr) std::fclose(file);
      }
      for (std::size_t i = 0; i < processes_.size(); ++i) {  // and on stdout
        for (const std::string& line : processes_[i]->lines())
          std::printf("%s stdout: %s\n", names_[i].c_str(), line.c_str());
      }
    }
    processes_.clear();
    fs::remove_all(dir_);
  }

  Process& spawn(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), CHORDNODE_BINARY);
    processes_.push_back(std::make_unique<Process>(args, (dir_ / (name + ".err")).string()));
    names_.push_back(name);
    EXPECT_TRUE(processes_.back()->started()) << name;
    return *processes_.back();
  }

  // A serve node on a free port; returns its endpoint once it has joined.
  std::string serve(const std::string& name, const std::vector<std::string>& bootstrap) {
    std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0"};
    if (bootstrap.empty()) args.push_back("--new-ring");
    for (const std::string& b : bootstrap) {
      args.push_back("--bootstrap");
      args.push_back(b);
    }
    Process& process = spawn(name, args);
    const auto joined = process.wait_for("joined the ring", patience);
    EXPECT_TRUE(joined.has_value()) << name << " did not join";
    serves_.push_back(&process);
    return joined ? joined->substr(joined->rfind(" at ") + 4) : std::string();
  }

  // A chat user; returns its process once registered, with its handle.
  Process& chat(const std::string& name, const std::string& bootstrap, std::string& handle) {
    Process& process = spawn(
        name, {"chat", "--name", name, "--bootstrap", bootstrap, "--json", "--record-lease", "6"});
    const auto registered = process.wait_for("\"registered\"", patience);
    EXPECT_TRUE(registered.has_value()) << name << " did not register";
    handle = registered ? json_field(*registered, "handle") : std::string();
    return process;
  }

  // A chat user at a terminal (no --json): what a person sees.
  Process& chat_on_terminal(const std::string& name, const std::string& bootstrap) {
    processes_.push_back(
        std::make_unique<Process>(std::vector<std::string>{CHORDNODE_BINARY, "chat", "--name", name,
                                                           "--bootstrap", bootstrap},
                                  (dir_ / (name + ".err")).string(), true));
    names_.push_back(name);
    EXPECT_TRUE(processes_.back()->started()) << name;
    return *processes_.back();
  }

  fs::path dir_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<std::string> names_;  // of processes_, in the same order
  std::vector<Process*> serves_;
};

TEST_F(ChordnodeProcesses, ChatQuitCrashAndExpiryAcrossThreeServeNodes) {
  const std::string s0 = serve("s0", {});
  const std::string s1 = serve("s1", {s0});
  const std::string s2 = serve("s2", {s0, s1});
  std::string bob_handle, alice_handle;
  Process& bob = chat("bob", s1, bob_handle);
  Process& alice = chat("alice", s2, alice_handle);
  ASSERT_FALSE(bob_handle.empty());
  ASSERT_FALSE(alice_handle.empty());

  // alice finds bob, opens a chat and sends 100 messages; bob gets them all, in order.
  alice.write_line("/find " + bob_handle);
  const auto found = alice.wait_for("found\"", patience);  // "found" or "not_found"
  ASSERT_TRUE(found.has_value());
  ASSERT_NE(found->find("\"found\""), std::string::npos) << *found;
  EXPECT_EQ(json_field(*found, "handle"), bob_handle);
  alice.write_line("/chat " + bob_handle);
  ASSERT_TRUE(alice.wait_for("\"opened\"", patience).has_value());
  for (int i = 1; i <= 100; ++i)
    alice.write_line("message " + std::to_string(i));
  for (int i = 1; i <= 100; ++i) {
    const auto message = bob.wait_for("\"message\"", patience);
    ASSERT_TRUE(message.has_value()) << "message " << i << " did not arrive";
    EXPECT_EQ(json_field(*message, "text"), "message " + std::to_string(i));
    EXPECT_EQ(json_field(*message, "from"), alice_handle);
  }
  for (int i = 1; i <= 100; ++i)
    ASSERT_TRUE(alice.wait_for("\"delivered\"", patience).has_value()) << "ack " << i;

  // alice ends the chat (bob is told), then quits: her record goes with her.
  alice.write_line("/end");
  ASSERT_TRUE(bob.wait_for("\"ended\"", patience).has_value());
  alice.write_line("/quit");
  ASSERT_TRUE(alice.wait_for("\"left\"", patience).has_value());
  EXPECT_EQ(alice.wait_exit(patience), 0);
  bob.write_line("/find " + alice_handle);
  const auto gone = bob.wait_for("found\"", patience);  // "found" or "not_found"
  ASSERT_TRUE(gone.has_value());
  EXPECT_NE(gone->find("not_found"), std::string::npos) << *gone;

  // A serve node dies (kill -9); within a few stabilization periods lookups succeed again.
  serves_[1]->signal(SIGKILL);
  EXPECT_EQ(serves_[1]->wait_exit(patience), std::nullopt);
  EXPECT_TRUE(serves_[1]->killed());
  // Within a few 1 s stabilization periods a lookup succeeds again, then keeps succeeding.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool recovered = false;
  while (!recovered && std::chrono::steady_clock::now() < deadline) {
    bob.write_line("/find " + bob_handle);
    const auto answer = bob.wait_for("found\"", patience);
    ASSERT_TRUE(answer.has_value());
    recovered = answer->find("\"found\"") != std::string::npos;
    if (!recovered) std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(recovered) << "no successful lookup within 10 s of the crash";
  for (int i = 0; i < 5; ++i) {
    bob.write_line("/find " + bob_handle);
    const auto again = bob.wait_for("found\"", patience);
    ASSERT_TRUE(again.has_value());
    EXPECT_NE(again->find("\"found\""), std::string::npos) << *again;
  }

  // bob dies (kill -9): nobody removes his record, so it expires with its lease (6 s).
  bob.signal(SIGKILL);
  std::string carol_handle;
  Process& carol = chat("carol", s0, carol_handle);
  bool expired = false;
  for (int attempt = 0; attempt < 20 && !expired; ++attempt) {  // up to ~20 s
    carol.write_line("/find " + bob_handle);
    const auto answer = carol.wait_for("found\"", patience);
    ASSERT_TRUE(answer.has_value());
    expired = answer->find("not_found") != std::string::npos;
    if (!expired) std::this_thread::sleep_for(1s);
  }
  EXPECT_TRUE(expired) << "bob's record outlived its lease";

  // The rest leave gracefully on SIGTERM and exit 0.
  carol.close_stdin();
  EXPECT_EQ(carol.wait_exit(patience), 0);
  for (Process* node : {serves_[0], serves_[2]}) {
    node->signal(SIGTERM);
    EXPECT_EQ(node->wait_exit(patience), 0);
  }
}

}  // namespace
}  // namespace chord::testing

namespace chord::testing {
namespace {

// NAME#ID as printed in "you are NAME#ID", whatever terminal codes follow it.
std::string handle_in(const std::string& line, const std::string& name) {
  const std::size_t start = line.find(name + "#");
  if (start == std::string::npos) return {};
  std::size_t end = start + name.size() + 1;
  while (end < line.size() && std::isalnum(static_cast<unsigned char>(line[end])) != 0)
    ++end;
  return line.substr(start, end - start);
}

// What a terminal line leaves visible: the text after its last carriage return (the
// editor returns to the line's start and clears it before printing over it), without
// escape sequences.
std::string visible(std::string line) {
  while (!line.empty() && line.back() == '\r')
    line.pop_back();
  line = line.substr(line.rfind('\r') == std::string::npos ? 0 : line.rfind('\r') + 1);
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b' && i + 1 < line.size() && line[i + 1] == '[') {
      i += 2;
      while (i < line.size() && std::isalpha(static_cast<unsigned char>(line[i])) == 0)
        ++i;
      continue;
    }
    out += line[i];
  }
  return out;
}

// The prompt on a terminal: a message from bob arrives while alice has half a line typed;
// it prints on a line of its own and her half line is drawn again below it, under a prompt
// naming the chat; she finishes the line and bob gets it whole. ^D at an empty prompt is a
// graceful quit that restores the terminal and exits 0.
// bob's program stops reading his --json output while alice sends him 3,000 messages (about
// 2 MB of events, far beyond a pipe's 64 KiB): his node must keep serving all the same, so
// every message is acknowledged. A blocking write to standard output used to stop bob's
// whole node once the pipe was full.
// chat --identity FILE: the first session makes the key file (private to its owner), and a
// later session with it is the same name#id, found again; its records outnumber the first
// session's tombstone.
TEST_F(ChordnodeProcesses, AnIdentityFileKeepsTheHandleAcrossSessions) {
  const std::string s0 = serve("s0", {});
  const std::string key = (dir_ / "alice.key").string();
  const std::vector<std::string> args{"chat",   "--name",         "alice", "--bootstrap", s0,
                                      "--json", "--record-lease", "6",     "--identity",  key};
  std::string first_handle;
  {
    Process& alice = spawn("alice1", args);
    const auto registered = alice.wait_for("\"registered\"", patience);
    ASSERT_TRUE(registered.has_value()) << "alice did not register";
    first_handle = json_field(*registered, "handle");
    alice.write_line("/quit");
    EXPECT_EQ(alice.wait_exit(patience), 0);
  }
  ASSERT_TRUE(fs::exists(key));
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  Process& again = spawn("alice2", args);
  const auto registered = again.wait_for("\"registered\"", patience);
  ASSERT_TRUE(registered.has_value()) << "the second session did not register";
  EXPECT_EQ(json_field(*registered, "handle"), first_handle);
  std::string bob_handle;
  Process& bob = chat("bob", s0, bob_handle);
  bob.write_line("/find " + first_handle);
  const auto found = bob.wait_for("\"found\"", patience);
  ASSERT_TRUE(found.has_value()) << "the second session's record is found";
}

// A port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// A TCP relay on 127.0.0.1 that forwards every connection to `target_port` and keeps every
// byte it carries, as a wiretap on the path to a node would. Loopback only; one thread,
// stopped (and joined) by the destructor; every wait is bounded.
class Wiretap {
 public:
  explicit Wiretap(std::uint16_t target_port) : target_port_(target_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 64);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~Wiretap() {
    stop_ = true;
    thread_.join();
    for (const auto& [a, b] : pairs_) {
      close(a);
      close(b);
    }
    close(listener_);
  }
  std::uint16_t port() const { return port_; }
  std::string bytes() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }
  std::size_t tls_connections() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return tls_connections_;
  }

 private:
  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (const auto& [a, b] : pairs_) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) accept_one();
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const auto& pair = pairs_[(i - 1) / 2];
        const bool from_client = (i - 1) % 2 == 0;
        forward(from_client ? pair.first : pair.second, from_client ? pair.second : pair.first,
                from_client);
      }
    }
  }
  void accept_one() {
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(target_port_);
    if (connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(client);
      close(server);
      return;
    }
    pairs_.emplace_back(client, server);
    first_read_.push_back(true);
  }
  void forward(int from, int to, bool from_client) {
    char buffer[16384];
    const ssize_t count = read(from, buffer, sizeof buffer);
    if (count <= 0) {
      shutdown(to, SHUT_WR);
      return;
    }
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      seen_.append(buffer, static_cast<std::size_t>(count));
      for (std::size_t i = 0; i < pairs_.size(); ++i) {
        if (from_client && pairs_[i].first == from && first_read_[i]) {
          first_read_[i] = false;
          if (static_cast<unsigned char>(buffer[0]) == 0x16) ++tls_connections_;
        }
      }
    }
    for (ssize_t sent = 0; sent < count;) {  // loopback: a blocking write finishes quickly
      const ssize_t n = write(to, buffer + sent, static_cast<std::size_t>(count - sent));
      if (n <= 0) return;
      sent += n;
    }
  }

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::vector<std::pair<int, int>> pairs_;  // client side, node side
  std::vector<bool> first_read_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::string seen_;
  std::size_t tls_connections_ = 0;
};

// A wiretap between the ring and bob's node sees the ring's traffic to bob, and alice's
// chat with him, but not one byte of what they say: chats are TLS 1.3.
TEST_F(ChordnodeProcesses, AChatReadOffTheWireHoldsNoneOfItsText) {
  const std::string s0 = serve("s0", {});
  const std::uint16_t bob_port = free_port();
  Wiretap tap(bob_port);
  const std::string advertised = "127.0.0.1:" + std::to_string(tap.port());
  Process& bob = spawn("bob", {"chat", "--name", "bob", "--bootstrap", s0, "--json", "--listen",
                               "127.0.0.1:" + std::to_string(bob_port), "--advertise", advertised});
  const auto registered = bob.wait_for("\"registered\"", patience);
  ASSERT_TRUE(registered.has_value()) << "bob did not register";
  const std::string bob_handle = json_field(*registered, "handle");
  std::string alice_handle;
  Process& alice = chat("alice", s0, alice_handle);
  const std::string secret = "the password is swordfish-42";
  alice.write_line("/msg " + bob_handle + " " + secret);
  const auto message = bob.wait_for("\"message\"", patience);
  ASSERT_TRUE(message.has_value()) << "bob got nothing";
  EXPECT_EQ(json_field(*message, "text"), secret);
  bob.write_line("/msg " + alice_handle + " and the other is " + secret);
  ASSERT_TRUE(alice.wait_for("\"message\"", patience).has_value());

  const std::string wire = tap.bytes();
  EXPECT_GT(wire.size(), 1000u) << "the tap carried the ring's traffic and the chat";
  EXPECT_GE(tap.tls_connections(), 1u) << "alice's chat came through the tap, in TLS";
  EXPECT_EQ(wire.find("swordfish"), std::string::npos) << "plaintext on the wire";
  EXPECT_EQ(wire.find("password"), std::string::npos);
}

// bob's node is gone and somebody else listens at his address, with a user "bob" of its
// own (its own key, so another id) while bob's record still stands. alice's chat with bob's
// name#id does not open, and she is told why.
TEST_F(ChordnodeProcesses, AnImpersonatorAtBobsAddressCannotTakeHisChats) {
  const std::string s0 = serve("s0", {});
  const std::string bob_listen = "127.0.0.1:" + std::to_string(free_port());
  const std::vector<std::string> as_bob{"chat",   "--name",   "bob",      "--bootstrap",    s0,
                                        "--json", "--listen", bob_listen, "--record-lease", "60"};
  Process& bob = spawn("bob", as_bob);
  const auto registered = bob.wait_for("\"registered\"", patience);
  ASSERT_TRUE(registered.has_value()) << "bob did not register";
  const std::string bob_handle = json_field(*registered, "handle");
  std::string alice_handle;
  Process& alice = chat("alice", s0, alice_handle);
  bob.signal(SIGKILL);
  EXPECT_EQ(bob.wait_exit(patience), std::nullopt);
  // Bob's record lives on at its replicas, but if alice joined between its key and bob a
  // moment before he died, his hand-over to her may have died with him: then it reaches
  // her when the replica's holder sees its new predecessor, a stabilization or two later.
  // Wait for that (the test is about the impostor, not about that race; in the fresh-
  // machine check under load alice was once told "not found").
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool found = false;
  while (!found && std::chrono::steady_clock::now() < deadline) {
    alice.write_line("/find " + bob_handle);
    const auto answer = alice.wait_for("found\"", patience);  // "found" or "not_found"
    ASSERT_TRUE(answer.has_value());
    found = answer->find("\"found\"") != std::string::npos;
    if (!found) std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(found) << "bob's record was not found within 10 s of his crash";

  Process& impostor = spawn("impostor", as_bob);
  const auto impostor_registered = impostor.wait_for("\"registered\"", patience);
  ASSERT_TRUE(impostor_registered.has_value()) << "the impostor did not start";
  ASSERT_NE(json_field(*impostor_registered, "handle"), bob_handle) << "another key, another id";
  alice.write_line("/chat " + bob_handle);
  const auto failed = alice.wait_for("\"open_failed\"", patience);
  ASSERT_TRUE(failed.has_value()) << "alice was not told";
  EXPECT_EQ(json_field(*failed, "handle"), bob_handle);
  EXPECT_NE(json_field(*failed, "reason").find("could not prove"), std::string::npos) << *failed;
}

TEST_F(ChordnodeProcesses, AUserWhoseOutputIsNotReadKeepsItsNodeServing) {
  const std::string s0 = serve("s0", {});
  std::string bob_handle, alice_handle;
  Process& bob = chat("bob", s0, bob_handle);
  Process& alice = chat("alice", s0, alice_handle);
  ASSERT_FALSE(bob_handle.empty());
  ASSERT_FALSE(alice_handle.empty());
  alice.write_line("/chat " + bob_handle);
  ASSERT_TRUE(alice.wait_for("\"opened\"", patience).has_value());
  ASSERT_TRUE(bob.wait_for("\"opened\"", patience).has_value());
  // From here on nobody reads bob's standard output.
  constexpr int messages = 3000;
  const std::string padding(600, 'p');
  constexpr int batch = 200;  // within the chat's queue (256 texts)
  for (int sent = 0; sent < messages; sent += batch) {
    for (int i = sent + 1; i <= sent + batch; ++i)
      alice.write_line("message " + std::to_string(i) + " " + padding);
    for (int i = sent + 1; i <= sent + batch; ++i)
      ASSERT_TRUE(alice.wait_for("\"delivered\"", patience).has_value()) << "ack " << i;
  }
  // And bob's prompt still answers.
  bob.write_line("/find " + alice_handle);
  const auto found = bob.wait_for("found\"", patience);
  ASSERT_TRUE(found.has_value()) << "bob's output, read again, ends with his answer";
}

TEST_F(ChordnodeProcesses, OnATerminalMessagesPrintAboveTheLineBeingTyped) {
  const std::string s0 = serve("s0", {});
  std::string bob_handle;
  Process& bob = chat("bob", s0, bob_handle);
  Process& alice = chat_on_terminal("alice", s0);
  const auto you = alice.wait_for("you are alice#", patience);
  ASSERT_TRUE(you.has_value()) << "alice did not register";
  const std::string alice_handle = handle_in(*you, "alice");
  ASSERT_EQ(alice_handle.size(), std::string("alice#").size() + 12) << *you;
  ASSERT_TRUE(alice.wait_shown("> ", patience)) << "no prompt";

  alice.write_line("/chat " + bob_handle);
  ASSERT_TRUE(alice.wait_for("chat with " + bob_handle + " open", patience).has_value());
  ASSERT_TRUE(bob.wait_for("\"opened\"", patience).has_value());
  ASSERT_TRUE(alice.wait_shown(bob_handle + "> ", patience)) << "the prompt names the chat";

  alice.write_raw("half");
  ASSERT_TRUE(alice.wait_shown(bob_handle + "> half", patience)) << "typing is echoed";
  bob.write_line("/msg " + alice_handle + " hello from bob");
  const auto message = alice.wait_for("[" + bob_handle + "] hello from bob", patience);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(visible(*message), "[" + bob_handle + "] hello from bob")
      << "the message shows on a line of its own: " << *message;
  EXPECT_TRUE(alice.wait_shown(bob_handle + "> half", patience))
      << "the half-typed line is drawn again below the message";

  alice.write_line(" done");
  const auto got = bob.wait_for("\"message\"", patience);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(json_field(*got, "text"), "half done");
  EXPECT_EQ(json_field(*got, "from"), alice_handle);

  alice.write_raw("\x04");  // ^D at an empty prompt
  EXPECT_EQ(alice.wait_exit(patience), 0);
  const auto ended = bob.wait_for("\"ended\"", patience);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(json_field(*ended, "handle"), alice_handle);
}

}  // namespace
}  // namespace chord::testing
