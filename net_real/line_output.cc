#include "net_real/line_output.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace chord::net {

namespace {
void handle_closed(uv_handle_t* handle) {
  static_cast<LineOutput*>(handle->data)->on_handle_closed();
}
}  // namespace

struct LineOutput::Write {
  uv_write_t request{};
  LineOutput* output = nullptr;
  std::string text;
};

LineOutput::LineOutput(uv_loop_t& loop, int fd, std::size_t queued_max,
                       std::function<std::string(std::uint64_t)> gap_line)
    : loop_(loop), queued_max_(queued_max), gap_line_(std::move(gap_line)) {
  if (uv_guess_handle(fd) != UV_NAMED_PIPE) return;  // a terminal or a file: written directly
  if (uv_pipe_init(&loop_, &pipe_, 0) != 0) return;
  pipe_.data = this;
  ++handles_open_;
  if (uv_pipe_open(&pipe_, fd) != 0) {  // not usable through libuv: write directly
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), handle_closed);
    return;
  }
  pipe_open_ = true;
}

LineOutput::~LineOutput() = default;

void LineOutput::write_line(std::string_view line) {
  std::string text;
  text.reserve(line.size() + 1);
  text.append(line);
  text.push_back('\n');
  if (!pipe_open_) {
    // A terminal or a file: as before, straight out, in order with what others print.
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  if (broken_ || closing_) return;
  if (dropping_ || queued_ + text.size() > queued_max_) {
    dropping_ = true;
    ++dropped_;
    ++dropped_total_;
    return;
  }
  queue(std::move(text));
}

void LineOutput::queue(std::string text) {
  if (queued_ == 0) {  // nothing waits: try to write it now, without a request
    uv_buf_t buffer = uv_buf_init(text.data(), static_cast<unsigned>(text.size()));
    const int sent = uv_try_write(reinterpret_cast<uv_stream_t*>(&pipe_), &buffer, 1);
    if (sent == static_cast<int>(text.size())) return;
    if (sent < 0 && sent != UV_EAGAIN) {
      broken_ = true;
      return;
    }
    if (sent > 0) text.erase(0, static_cast<std::size_t>(sent));
  }
  auto* write = new Write;
  write->output = this;
  write->text = std::move(text);
  write->request.data = write;
  queued_ += write->text.size();
  uv_buf_t buffer = uv_buf_init(write->text.data(), static_cast<unsigned>(write->text.size()));
  const int status = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&pipe_), &buffer, 1,
                              [](uv_write_t* request, int result) {
                                auto* done = static_cast<Write*>(request->data);
                                done->output->written(done, result);
                              });
  if (status != 0) {
    queued_ -= write->text.size();
    delete write;
    broken_ = true;
  }
}

void LineOutput::written(Write* write, int status) {
  queued_ -= write->text.size();
  delete write;
  if (status != 0) broken_ = true;  // EPIPE, or cancelled by close
  if (queued_ != 0) return;
  if (closing_) {
    finish_close();
    return;
  }
  if (dropping_ && !broken_) {
    // The reader caught up: say what it missed, then carry on.
    dropping_ = false;
    const std::uint64_t missed = dropped_;
    dropped_ = 0;
    std::string gap = gap_line_(missed);
    gap.push_back('\n');
    queue(std::move(gap));
  }
}

void LineOutput::close(std::function<void()> done, std::uint64_t limit_ms) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  if (handles_open_ == 0) {
    if (auto callback = std::move(closed_)) callback();
    return;
  }
  if (!pipe_open_ || queued_ == 0 || broken_) {
    finish_close();
    return;
  }
  uv_timer_init(&loop_, &close_timer_);
  close_timer_.data = this;
  ++handles_open_;
  uv_timer_start(
      &close_timer_,
      [](uv_timer_t* timer) { static_cast<LineOutput*>(timer->data)->finish_close(); }, limit_ms,
      0);
}

void LineOutput::finish_close() {
  if (close_timer_.data != nullptr &&
      !uv_is_closing(reinterpret_cast<uv_handle_t*>(&close_timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&close_timer_), handle_closed);
  }
  if (pipe_open_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&pipe_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), handle_closed);  // cancels what is left
  }
}

void LineOutput::on_handle_closed() {
  if (--handles_open_ != 0 || !closing_) return;
  if (auto callback = std::move(closed_)) callback();
}

}  // namespace chord::net
