// A LAN of four hosts in network namespaces this test creates: one node per namespace,
// each with its own address on a bridge (in a namespace of its own, so nothing is added to
// the machine's own network), and a chat across them. Traffic stays inside the namespaces;
// addresses are from 198.18.0.0/24 (RFC 2544's benchmarking range). Needs root; without it
// the test says so and skips, except under CI=true, where it fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "tests/net_real/process.h"

namespace chord::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto patience = 30s;
constexpr int hosts = 4;

bool run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

// The namespaces: each held by a `unshare -n sleep` process (no /run/netns mounts, so it
// works in a chroot too), configured with `ip ... netns PID` and entered with nsenter. All
// of it goes when the holders are killed: a namespace without processes is removed, with
// its end of every veth, and the other end with it.
class Lan {
 public:
  explicit Lan(const std::string& logs)
      : prefix_(numbered("cc", static_cast<std::uint64_t>(getpid() % 100000))), logs_(logs) {}

  // Creates the bridge's namespace and `hosts` host namespaces; false if it cannot.
  bool build() {
    Process* bridge = add_namespace("br");
    if (bridge == nullptr || !in(*bridge, "ip link add br0 type bridge") ||
        !in(*bridge, "ip link set br0 up")) {
      return false;
    }
    for (int i = 0; i < hosts; ++i) {
      Process* host = add_namespace(numbered("h", static_cast<std::uint64_t>(i)));
      const std::string host_end = numbered(prefix_ + "v", static_cast<std::uint64_t>(i));
      const std::string bridge_end = numbered(prefix_ + "b", static_cast<std::uint64_t>(i));
      const bool ok = host != nullptr &&
                      run("ip link add " + host_end + " netns " + pid(*host) +
                          " type veth peer name " + bridge_end + " netns " + pid(*bridge)) &&
                      in(*bridge, "ip link set " + bridge_end + " master br0") &&
                      in(*bridge, "ip link set " + bridge_end + " up") &&
                      in(*host, "ip addr add " + address(i) + "/24 dev " + host_end) &&
                      in(*host, "ip link set " + host_end + " up") &&
                      in(*host, "ip link set lo up");
      if (!ok) return false;
    }
    return true;
  }
  // The command line that runs a program inside host i's namespace.
  std::vector<std::string> enter(int i) const {
    return {"nsenter", "-t", pid(*holders_[static_cast<std::size_t>(i) + 1]), "-n"};
  }
  static std::string address(int i) {
    return numbered("198.18.0.", static_cast<std::uint64_t>(i + 1));
  }

 private:
  static std::string pid(const Process& p) { return std::to_string(p.pid()); }
  static bool in(const Process& p, const std::string& command) {
    return run("nsenter -t " + pid(p) + " -n " + command);
  }
  // A process in a new network namespace, once it is there (until then, `netns PID` would
  // name the machine's own namespace).
  Process* add_namespace(const std::string& name) {
    holders_.push_back(std::make_unique<Process>(
        std::vector<std::string>{"unshare", "-n", "sleep", "600"}, logs_ + "/" + name));
    Process& holder = *holders_.back();
    if (!holder.started()) return nullptr;
    const auto own = fs::read_symlink("/proc/self/ns/net");
    const std::string theirs = "/proc/" + pid(holder) + "/ns/net";
    for (int attempt = 0; attempt < 500; ++attempt) {
      std::error_code error;
      const auto ns = fs::read_symlink(theirs, error);
      if (!error && ns != own) return &holder;
      std::this_thread::sleep_for(10ms);
    }
    return nullptr;
  }
  std::string prefix_;
  std::string logs_;
  std::vector<std::unique_ptr<Process>> holders_;  // [0] the bridge, then the hosts
};

TEST(Lan, UsersInSeparateNetworkNamespacesFindEachOtherAndChat) {
  const bool ci = std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true";
  const fs::path logs =
      fs::temp_directory_path() / numbered("lan_test_", static_cast<std::uint64_t>(getpid()));
  fs::create_directories(logs);
  struct RemoveLogs {
    fs::path path;
    ~RemoveLogs() { fs::remove_all(path); }
  } remove_logs{logs};
  Lan lan(logs.string());
  if (geteuid() != 0 || !lan.build()) {
    const char* why = geteuid() != 0 ? "not root" : "could not create network namespaces";
    if (ci) FAIL() << "the LAN test needs root and network namespaces (" << why << ")";
    GTEST_SKIP() << "the LAN test needs root and network namespaces (" << why << ")";
  }
  std::vector<std::unique_ptr<Process>> nodes;
  auto start = [&](int host, std::vector<std::string> args) -> Process& {
    const std::string listen = Lan::address(host) + ":4500";
    std::vector<std::string> argv = lan.enter(host);
    argv.push_back(CHORDNODE_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--listen", listen});
    nodes.push_back(std::make_unique<Process>(
        argv, (logs / numbered("h", static_cast<std::uint64_t>(host))).string()));
    return *nodes.back();
  };
  const std::string first = Lan::address(0) + ":4500";
  ASSERT_TRUE(start(0, {"serve", "--new-ring"}).wait_for("joined the ring", patience));
  ASSERT_TRUE(start(1, {"serve", "--bootstrap", first}).wait_for("joined the ring", patience));
  Process& bob = start(2, {"chat", "--name", "bob", "--json", "--bootstrap", first});
  Process& alice =
      start(3, {"chat", "--name", "alice", "--json", "--bootstrap", Lan::address(1) + ":4500"});
  const auto bob_registered = bob.wait_for("\"registered\"", patience);
  ASSERT_TRUE(bob_registered.has_value());
  ASSERT_TRUE(alice.wait_for("\"registered\"", patience).has_value());
  const std::string bob_handle = json_field(*bob_registered, "handle");

  alice.write_line("/find " + bob_handle);
  const auto found = alice.wait_for("\"found\"", patience);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(json_field(*found, "endpoint"), Lan::address(2) + ":4500");  // bob's own host
  alice.write_line("/msg " + bob_handle + " hello across the LAN");
  const auto message = bob.wait_for("\"message\"", patience);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(json_field(*message, "text"), "hello across the LAN");
  alice.close_stdin();  // graceful quit
  EXPECT_EQ(alice.wait_exit(patience), 0);
  bob.close_stdin();
  EXPECT_EQ(bob.wait_exit(patience), 0);
  for (int i = 0; i < 2; ++i) {
    nodes[static_cast<std::size_t>(i)]->signal(SIGTERM);
    EXPECT_EQ(nodes[static_cast<std::size_t>(i)]->wait_exit(patience), 0);
  }
  nodes.clear();
}

}  // namespace
}  // namespace chord::testing
