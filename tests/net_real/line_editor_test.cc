// The chat prompt's line editor on a pseudo-terminal: keystrokes go in at the master side,
// what the terminal would show comes out of it. Every wait is bounded.
#include "net_real/line_editor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace chord::net {
namespace {

class LineEditorOnPty : public ::testing::Test {
 protected:
  void SetUp() override {
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 80;
    ASSERT_EQ(openpty(&master_, &slave_, nullptr, nullptr, &size), 0);
    fcntl(master_, F_SETFL, O_NONBLOCK);
    ASSERT_EQ(tcgetattr(slave_, &before_), 0);
    in_ = fdopen(slave_, "r");
    out_ = fdopen(dup(slave_), "w");
    ASSERT_NE(in_, nullptr);
    ASSERT_NE(out_, nullptr);
    uv_loop_init(&loop_);
    editor_ = std::make_unique<LineEditor>(
        &loop_, in_, out_, [this](std::string line) { lines_.push_back(std::move(line)); },
        [this] { ++ends_; });
  }
  void TearDown() override {
    editor_.reset();
    uv_run(&loop_, UV_RUN_NOWAIT);  // the poll handle's close
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    if (in_ != nullptr) std::fclose(in_);
    if (out_ != nullptr) std::fclose(out_);
    close(master_);
  }

  // Types `keys` and runs the loop until `done` holds (or 5 s pass).
  template <typename Done>
  bool type(const std::string& keys, Done done) {
    EXPECT_EQ(write(master_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < end) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      drain_screen();
      if (done()) return true;
      poll(nullptr, 0, 2);
    }
    return false;
  }
  // Types `keys` and waits until the terminal has echoed `echo`.
  bool type_until_shown(const std::string& keys, const std::string& echo) {
    const std::size_t from = screen_.size();
    return type(keys, [&] { return screen_.find(echo, from) != std::string::npos; });
  }
  void drain_screen() {
    char buffer[4096];
    for (;;) {
      const ssize_t n = read(master_, buffer, sizeof buffer);
      if (n <= 0) return;
      screen_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  int master_ = -1, slave_ = -1;
  termios before_{};
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
  uv_loop_t loop_{};
  std::unique_ptr<LineEditor> editor_;
  std::vector<std::string> lines_;
  int ends_ = 0;
  std::string screen_;  // everything the terminal was sent
};

TEST_F(LineEditorOnPty, EditedLinesArriveWhole) {
  ASSERT_TRUE(editor_->start());
  ASSERT_TRUE(type_until_shown("", "> "));
  // "helo", two backspaces, "llo": hello. Then ^A, "say ", Enter.
  ASSERT_TRUE(type("helo\x7f\x7fllo\x01say \r", [&] { return !lines_.empty(); }));
  EXPECT_EQ(lines_, std::vector<std::string>{"say hello"});
  // Up-arrow recalls it from history; ^U clears a line.
  ASSERT_TRUE(type("junk\x15\x1b[A\r", [&] { return lines_.size() == 2; }));
  EXPECT_EQ(lines_.back(), "say hello");
  EXPECT_EQ(ends_, 0);
}

TEST_F(LineEditorOnPty, Utf8InputIsKeptAndSplitCharactersWait) {
  ASSERT_TRUE(editor_->start());
  // "é" split across two writes, then a check mark and Enter.
  ASSERT_TRUE(type("caf\xC3", [] { return true; }));
  ASSERT_TRUE(type("\xA9 \xE2\x9C\x93\r", [&] { return !lines_.empty(); }));
  EXPECT_EQ(lines_.front(), "caf\xC3\xA9 \xE2\x9C\x93");
}

TEST_F(LineEditorOnPty, PrintedTextGoesAboveTheHalfTypedLineWhichIsRedrawn) {
  ASSERT_TRUE(editor_->start());
  ASSERT_TRUE(type_until_shown("abc", "abc"));
  const std::size_t before_print = screen_.size();
  editor_->print("bob#k3xq2mabz7pd: hi alice");
  drain_screen();
  const std::string after = screen_.substr(before_print);
  // The edit line is cleared, the message printed on a line of its own, then prompt and
  // the half-typed text drawn again below it.
  const std::size_t message = after.find("bob#k3xq2mabz7pd: hi alice\r");
  ASSERT_NE(message, std::string::npos) << after;
  EXPECT_EQ(after.find_first_not_of('\r', message + 27), after.find('\n', message)) << after;
  EXPECT_LT(after.find("\x1b[J"), message);
  const std::size_t redraw = after.find("> abc", message);
  EXPECT_NE(redraw, std::string::npos) << after;
  // Typing goes on where it was: the line holds both halves.
  ASSERT_TRUE(type("def\r", [&] { return !lines_.empty(); }));
  EXPECT_EQ(lines_, std::vector<std::string>{"abcdef"});
}

TEST_F(LineEditorOnPty, PromptChangesAreRedrawn) {
  ASSERT_TRUE(editor_->start());
  ASSERT_TRUE(type_until_shown("x", "x"));
  const std::size_t from = screen_.size();
  editor_->set_prompt("bob#k3xq2mabz7pd> ");
  drain_screen();
  EXPECT_NE(screen_.find("bob#k3xq2mabz7pd> x", from), std::string::npos);
  ASSERT_TRUE(type("\r", [&] { return !lines_.empty(); }));
  EXPECT_EQ(lines_.front(), "x");
}

TEST_F(LineEditorOnPty, ControlDEndsOnlyAtAnEmptyPrompt) {
  ASSERT_TRUE(editor_->start());
  // ^D inside a line deletes the character under the cursor: "ab", ^B, ^D -> "a".
  ASSERT_TRUE(type("ab\x02\x04\r", [&] { return !lines_.empty(); }));
  EXPECT_EQ(lines_.front(), "a");
  EXPECT_EQ(ends_, 0);
  ASSERT_TRUE(type("\x04", [&] { return ends_ == 1; }));
  EXPECT_FALSE(editor_->active());
}

TEST_F(LineEditorOnPty, TheTerminalIsRestoredWhenStopped) {
  ASSERT_TRUE(editor_->start());
  termios raw{};
  ASSERT_EQ(tcgetattr(slave_, &raw), 0);
  EXPECT_EQ(raw.c_lflag & ICANON, 0u) << "editing needs the terminal in raw mode";
  editor_->stop();
  termios after{};
  ASSERT_EQ(tcgetattr(slave_, &after), 0);
  EXPECT_EQ(after.c_lflag & (ICANON | ECHO | ISIG), before_.c_lflag & (ICANON | ECHO | ISIG));
  // Stopped, print() writes plain lines.
  editor_->print("plain");
  drain_screen();
  EXPECT_NE(screen_.find("plain"), std::string::npos);
}

TEST(LineEditor, RefusesWhatIsNotATerminal) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FILE* in = fdopen(fds[0], "r");
  {
    LineEditor editor(
        &loop, in, stdout, [](std::string) {}, [] {});
    EXPECT_FALSE(editor.start());
  }
  std::fclose(in);
  close(fds[1]);
  uv_run(&loop, UV_RUN_NOWAIT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace chord::net
