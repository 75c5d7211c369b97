// LineOutput: standard output that never blocks the node's loop. Each test writes into a
// pipe of its own; every loop run is bounded in time.
#include "net_real/line_output.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

namespace chord::net {
namespace {

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) {
      read = fds[0];
      write = fds[1];
      fcntl(read, F_SETFL, O_NONBLOCK);
    }
  }
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
};

std::string numbered_line(std::size_t i) {
  std::string line = "line " + std::to_string(i) + " ";
  line.resize(100, 'x');
  return line;
}

std::string gap(std::uint64_t dropped) {
  return "dropped " + std::to_string(dropped);
}

class LineOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop_);
  }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_NOWAIT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }
  // Runs the loop until `done()` or `limit` of wall time; reads the pipe as it goes if
  // `drain`. Returns whether `done()` held.
  template <typename F>
  bool run_until(F done, Pipe* drain, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (drain != nullptr) read_some(*drain);
      if (done()) return true;
      usleep(1000);
    }
    return false;
  }
  void read_some(Pipe& pipe) {
    char buffer[65536];
    for (;;) {
      const ssize_t got = ::read(pipe.read, buffer, sizeof buffer);
      if (got <= 0) return;
      received_.append(buffer, static_cast<std::size_t>(got));
    }
  }
  std::vector<std::string> received_lines() const {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = received_.find('\n', start)) != std::string::npos; start = end + 1)
      lines.push_back(received_.substr(start, end - start));
    return lines;
  }

  uv_loop_t loop_{};
  std::string received_;
};

TEST_F(LineOutputTest, AReaderThatStopsReadingNeverBlocksTheWriterAndIsToldWhatItMissed) {
  Pipe pipe;
  ASSERT_GE(pipe.write, 0);
  constexpr std::size_t queued_max = 64 * 1024;
  LineOutput output(loop_, pipe.write, queued_max, gap);
  ASSERT_TRUE(output.asynchronous());
  // 2 MB of lines, nobody reading: far beyond the pipe (64 KiB) and the queue. Each call
  // returns at once (a blocking write would hang this test until ctest's timeout).
  constexpr std::size_t lines = 20000;
  for (std::size_t i = 0; i < lines; ++i) {
    output.write_line(numbered_line(i));
    ASSERT_LE(output.queued_bytes(), queued_max);
  }
  EXPECT_GT(output.dropped_lines(), 0u);
  const std::uint64_t dropped = output.dropped_lines();

  // The reader comes back: whole lines in order, then the gap line, then new lines.
  ASSERT_TRUE(run_until(
      [&] { return output.queued_bytes() == 0 && received_.find("dropped") != std::string::npos; },
      &pipe, std::chrono::seconds(10)));
  output.write_line("after");
  ASSERT_TRUE(run_until([&] { return received_.find("after\n") != std::string::npos; }, &pipe,
                        std::chrono::seconds(10)));
  const auto got = received_lines();
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(got[got.size() - 2], gap(dropped));
  EXPECT_EQ(got.back(), "after");
  for (std::size_t i = 0; i + 2 < got.size(); ++i) {
    ASSERT_EQ(got[i], numbered_line(i)) << "lines are whole and in order, the rest dropped";
  }
  EXPECT_EQ(got.size() - 2 + dropped, lines);

  bool closed = false;
  output.close([&] { closed = true; }, 1000);
  EXPECT_TRUE(run_until([&] { return closed; }, &pipe, std::chrono::seconds(5)));
}

TEST_F(LineOutputTest, AReaderThatWentAwayIsNoError) {
  Pipe pipe;
  ::close(pipe.read);
  pipe.read = -1;
  LineOutput output(loop_, pipe.write, 64 * 1024, gap);
  for (int i = 0; i < 1000; ++i)
    output.write_line(numbered_line(static_cast<std::size_t>(i)));
  bool closed = false;
  output.close([&] { closed = true; }, 1000);
  EXPECT_TRUE(run_until([&] { return closed; }, nullptr, std::chrono::seconds(5)));
}

TEST_F(LineOutputTest, ClosingWaitsABoundedTimeForAReaderThatNeverReads) {
  Pipe pipe;
  LineOutput output(loop_, pipe.write, 1 << 20, gap);
  for (std::size_t i = 0; i < 5000; ++i)
    output.write_line(numbered_line(i));
  ASSERT_GT(output.queued_bytes(), 0u);
  bool closed = false;
  const auto start = std::chrono::steady_clock::now();
  output.close([&] { closed = true; }, 200);
  ASSERT_TRUE(run_until([&] { return closed; }, nullptr, std::chrono::seconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
}

}  // namespace
}  // namespace chord::net
