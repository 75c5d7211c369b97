// A child process for tests: stdin and stdout as pipes, stderr to a file, every read
// bounded by a deadline, and the process always ended (SIGKILL by pid) when the object goes.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace chord::testing {

class Process {
 public:
  // Starts `argv` (argv[0] looked up in PATH); its stderr goes to `stderr_path`.
  // With `terminal`, stdin and stdout are instead one pseudo-terminal (80 columns), the
  // child's controlling terminal in a session of its own: write_line types, and lines are
  // what the terminal shows (escape sequences and carriage returns included).
  Process(const std::vector<std::string>& argv, const std::string& stderr_path,
          bool terminal = false) {
    if (terminal) {
      start_on_terminal(argv, stderr_path);
      return;
    }
    int in[2], out[2];
    // Close-on-exec: a later child must not hold this one's pipes (its stdin would never end).
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<char*> args;
    for (const std::string& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    fcntl(stdout_, F_SETFL, O_NONBLOCK);
  }
  void start_on_terminal(const std::vector<std::string>& argv, const std::string& stderr_path) {
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 80;
    int master = -1, slave = -1;
    if (openpty(&master, &slave, nullptr, nullptr, &size) != 0) return;
    fcntl(master, F_SETFD, FD_CLOEXEC);
    const std::string slave_path = ptsname(master);
    close(slave);  // the child opens it after setsid, which makes it its controlling terminal
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, slave_path.c_str(), O_RDWR, 0);
    posix_spawn_file_actions_adddup2(&actions, STDIN_FILENO, STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> args;
    for (const std::string& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &actions, &attributes, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    stdin_ = master;
    stdout_ = dup(master);
    fcntl(stdout_, F_SETFD, FD_CLOEXEC);
    fcntl(stdout_, F_SETFL, O_NONBLOCK);
    terminal_ = true;
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ >= 0) close(stdout_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // A line of input: typed and ended with Enter (\r) on a terminal.
  void write_line(const std::string& line) { write_raw(line + (terminal_ ? "\r" : "\n")); }
  void write_raw(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = write(stdin_, text.data() + done, text.size() - done);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }
  void close_stdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }

  // The next output line (after those already taken) containing `needle`, or nullopt once
  // `limit` has passed. Lines skipped on the way stay in lines().
  std::optional<std::string> wait_for(const std::string& needle, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      while (next_ < lines_.size()) {
        const std::string& line = lines_[next_++];
        if (line.find(needle) != std::string::npos) return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) return std::nullopt;
    }
  }
  const std::vector<std::string>& lines() const { return lines_; }

  // Whether `needle` shows in the output not yet taken by wait_for, the line still being
  // written included (a prompt, a half-typed line), within `limit`. Takes nothing.
  bool wait_shown(const std::string& needle, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      std::string shown;
      for (std::size_t i = next_; i < lines_.size(); ++i)
        shown += lines_[i] + "\n";
      shown += partial_;
      if (shown.find(needle) != std::string::npos) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) return false;
    }
  }

  void signal(int number) {
    if (pid_ > 0 && !exited_) kill(pid_, number);
  }
  // True once the process has been reaped and was ended by a signal.
  bool killed() const { return exited_ && signalled_; }
  // The exit code, or nullopt if it has not exited within `limit` (or died of a signal:
  // see killed()).
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      const pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exited_ = true;
        signalled_ = WIFSIGNALED(status);
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return std::nullopt;
      }
      read_some(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }

 private:
  // Reads what arrives within `limit`; false if nothing did (or the pipe closed).
  bool read_some(std::chrono::milliseconds limit) {
    pollfd fd{stdout_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(limit.count())) <= 0) return false;
    char buffer[4096];
    const ssize_t n = read(stdout_, buffer, sizeof buffer);
    if (n <= 0) return false;
    for (ssize_t i = 0; i < n; ++i) {
      if (buffer[i] == '\n') {
        lines_.push_back(std::move(partial_));
        partial_.clear();
      } else {
        partial_ += buffer[i];
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  bool signalled_ = false;
  int stdin_ = -1, stdout_ = -1;
  bool terminal_ = false;
  std::vector<std::string> lines_;
  std::size_t next_ = 0;
  std::string partial_;
};

// prefix + decimal n. (Not `"x" + std::to_string(n)`: GCC 12 warns falsely, -Wrestrict.)
inline std::string numbered(const std::string& prefix, std::uint64_t n) {
  std::string text = prefix;
  text += std::to_string(n);
  return text;
}

// A fresh directory for one test process's files: TMPDIR/<prefix><pid>.
inline std::filesystem::path make_test_directory(const std::string& prefix) {
  const auto dir = std::filesystem::temp_directory_path() /
                   numbered(prefix, static_cast<std::uint64_t>(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// The value of "key":"..." in a JSON line (chordnode --json prints strings only).
inline std::string json_field(const std::string& line, const std::string& key) {
  const std::string tag = "\"" + key + "\":\"";
  const std::size_t start = line.find(tag);
  if (start == std::string::npos) return {};
  const std::size_t from = start + tag.size();
  return line.substr(from, line.find('"', from) - from);
}

}  // namespace chord::testing
