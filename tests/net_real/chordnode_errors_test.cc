// chordnode's refusals: a bad command line or config file exits 2, a busy port or a
// bootstrap list nobody answers exits 1; each with one line on stderr that says what is
// wrong and what to do, and nothing on stdout.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/net_real/process.h"

namespace chord::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Outcome {
  std::optional<int> code;
  std::string err;
  std::size_t out_lines = 0;
};

class ChordnodeRefuses : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_test_directory("chordnode_errors_"); }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome run(std::vector<std::string> args) {
    args.insert(args.begin(), CHORDNODE_BINARY);
    const std::string err_path = (dir_ / "err").string();
    Outcome outcome;
    {
      Process process(args, err_path);
      process.close_stdin();
      outcome.code = process.wait_exit(20s);
      outcome.out_lines = process.lines().size();
    }
    std::ifstream file(err_path);
    std::stringstream text;
    text << file.rdbuf();
    outcome.err = text.str();
    return outcome;
  }
  std::string file(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // One line on stderr, containing `needle`.
  static void expect_one_line(const Outcome& o, const std::string& needle) {
    EXPECT_NE(o.err.find(needle), std::string::npos) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_EQ(o.out_lines, 0u);
  }

  fs::path dir_;
};

TEST_F(ChordnodeRefuses, BadCommandLinesExit2) {
  EXPECT_EQ(run({}).code, 2);
  EXPECT_EQ(run({"talk"}).code, 2);
  EXPECT_EQ(run({"chat"}).code, 2) << "--name is required";
  const Outcome name = run({"chat", "--name", "bad name!"});
  EXPECT_EQ(name.code, 2);
  expect_one_line(name, "--name");
  const Outcome port = run({"serve", "--listen", "127.0.0.1:http", "--new-ring"});
  EXPECT_EQ(port.code, 2);
  expect_one_line(port, "write HOST:PORT");
  const Outcome wildcard = run({"serve", "--listen", "0.0.0.0:4500", "--new-ring"});
  EXPECT_EQ(wildcard.code, 2);
  expect_one_line(wildcard, "--advertise");
  const Outcome link_local = run({"serve", "--listen", "[fe80::1%lo]:4500", "--new-ring"});
  EXPECT_EQ(link_local.code, 2);
  expect_one_line(link_local, "link-local");
  EXPECT_EQ(run({"serve", "--join-timeout", "0"}).code, 2);
}

TEST_F(ChordnodeRefuses, BadConfigFilesExit2WithTheFileAndLine) {
  const Outcome missing = run({"serve", "--config", (dir_ / "none.yaml").string()});
  EXPECT_EQ(missing.code, 2);
  expect_one_line(missing, "cannot read the config file");
  const std::string broken = file("broken.yaml", "listen: 127.0.0.1:4500\nbootstrap: [\n");
  const Outcome syntax = run({"serve", "--config", broken});
  EXPECT_EQ(syntax.code, 2);
  expect_one_line(syntax, broken + ":");
  const std::string unknown = file("unknown.yaml", "listen: 127.0.0.1:0\nboostrap: []\n");
  const Outcome key = run({"serve", "--config", unknown});
  EXPECT_EQ(key.code, 2);
  expect_one_line(key, unknown + ":2: unknown key 'boostrap'");
}

// --identity FILE: a file that is not a key, one others may read, or a path that cannot
// be created is refused before anything starts, saying which and what to do.
TEST_F(ChordnodeRefuses, BadKeyFilesExit2) {
  auto chat_with = [&](const std::string& key) {
    return run({"chat", "--name", "alice", "--bootstrap", "127.0.0.1:1", "--identity", key});
  };
  const std::string garbage = file("garbage.key", "not a key\n");
  fs::permissions(garbage, fs::perms::owner_read | fs::perms::owner_write);
  const Outcome not_key = chat_with(garbage);
  EXPECT_EQ(not_key.code, 2);
  expect_one_line(not_key, garbage + ": not a usable key file");
  const std::string open = file("open.key", "whatever\n");
  fs::permissions(open, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  const Outcome readable = chat_with(open);
  EXPECT_EQ(readable.code, 2);
  expect_one_line(readable, "chmod 600 " + open);
  const Outcome directory = chat_with(dir_.string());
  EXPECT_EQ(directory.code, 2);
  expect_one_line(directory, "not a regular file");
  const Outcome nowhere = chat_with((dir_ / "no" / "such" / "dir.key").string());
  EXPECT_EQ(nowhere.code, 2);
  expect_one_line(nowhere, "cannot create the key file");
}

TEST_F(ChordnodeRefuses, ABusyPortExits1) {
  const int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(holder, 1), 0);
  socklen_t length = sizeof address;
  getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string endpoint = numbered("127.0.0.1:", ntohs(address.sin_port));
  const Outcome busy = run({"serve", "--listen", endpoint, "--new-ring"});
  close(holder);
  EXPECT_EQ(busy.code, 1);
  expect_one_line(busy, "cannot listen on " + endpoint);
}

TEST_F(ChordnodeRefuses, ABootstrapListNobodyAnswersExits1AndNamesWhatItTried) {
  // Port 1 on loopback: refused at once. Never a new ring without --new-ring.
  const Outcome alone = run({"serve", "--listen", "127.0.0.1:0", "--bootstrap", "127.0.0.1:1",
                             "--bootstrap", "127.0.0.1:2", "--join-timeout", "2"});
  EXPECT_EQ(alone.code, 1);
  expect_one_line(alone, "could not join through");
  EXPECT_NE(alone.err.find("127.0.0.1:1"), std::string::npos) << alone.err;
  EXPECT_NE(alone.err.find("127.0.0.1:2"), std::string::npos) << alone.err;
  EXPECT_NE(alone.err.find("--new-ring"), std::string::npos) << alone.err;
}

}  // namespace
}  // namespace chord::testing
