// LineOutput: chordnode's standard output, written without ever blocking the loop.
//
// The node serves the ring from the same loop that prints chat events. A program that runs
// `chordnode chat --json` and stops reading its output (busy, stopped, or gone) would fill
// the pipe, and a blocking write would then stop the node answering anyone. So a pipe or a
// socket is written through libuv, with at most `queued_max` bytes waiting: lines beyond
// that are dropped, whole, until the reader has caught up with everything queued; then
// `gap_line(count)` is written in their place, so the reader knows what it missed. A broken
// pipe (the reader went away) drops everything after it silently.
//
// A terminal or a regular file is written directly, as before: a file does not block for
// long, and a terminal stopped with ^S stops a program by the user's own choice.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace chord::net {

class LineOutput {
 public:
  LineOutput(uv_loop_t& loop, int fd, std::size_t queued_max,
             std::function<std::string(std::uint64_t dropped)> gap_line);
  ~LineOutput();
  LineOutput(const LineOutput&) = delete;
  LineOutput& operator=(const LineOutput&) = delete;

  // Writes `line` and a newline, or queues it, or drops it (see above). Never blocks on a
  // pipe or a socket.
  void write_line(std::string_view line);
  // Lets what is queued go out for at most `limit_ms`, then closes; `done` runs once closed
  // (at once if nothing was queued, or if fd is not a pipe or socket).
  void close(std::function<void()> done, std::uint64_t limit_ms);

  bool asynchronous() const { return pipe_open_; }
  std::size_t queued_bytes() const { return queued_; }
  std::uint64_t dropped_lines() const { return dropped_total_; }

  void on_handle_closed();  // libuv's close callbacks (internal)

 private:
  struct Write;
  void queue(std::string text);
  void written(Write* write, int status);
  void finish_close();

  uv_loop_t& loop_;
  std::size_t queued_max_;
  std::function<std::string(std::uint64_t)> gap_line_;
  uv_pipe_t pipe_{};
  uv_timer_t close_timer_{};
  bool pipe_open_ = false;
  bool broken_ = false;    // the reader went away
  bool dropping_ = false;  // a line was dropped; until the queue drains, so are the rest
  bool closing_ = false;
  int handles_open_ = 0;
  std::size_t queued_ = 0;
  std::uint64_t dropped_ = 0;  // since the last gap line
  std::uint64_t dropped_total_ = 0;
  std::function<void()> closed_;
};

}  // namespace chord::net
