// LineEditor: the chat prompt on a terminal, with line editing and history, driven by the
// node's libuv loop, so that messages arriving while the user types print above the line
// being typed and the line is then redrawn as it was.
//
// Built on libedit (BSD licence) through its native interface in unbuffered mode: each
// keystroke is one el_wgets call, fed from a uv_poll on the terminal, so the loop never
// blocks on the keyboard. libedit's readline-compatible layer is a thin wrapper over the
// same calls but lacks a reliable way to redraw a half-typed line after printing above it;
// GNU readline has one but is GPL-3, which would bind every binary that links it.
//
// libedit's own signal handling is off: SIGINT and SIGTERM reach the program through
// uv_signal (a graceful quit), and the caller forwards SIGWINCH to resized(). History lives
// in memory only: nothing typed is written to disk.
#pragma once

#include <uv.h>

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

struct editline;
struct histeventW;
struct historyW;

namespace chord::net {

class LineEditor {
 public:
  // `in` must be a terminal; `out` is where the prompt, the line and print()ed text go.
  // on_line gets each completed line (UTF-8, without its newline); on_end is called once,
  // on ^D at an empty prompt or when the terminal goes away.
  LineEditor(uv_loop_t* loop, FILE* in, FILE* out, std::function<void(std::string)> on_line,
             std::function<void()> on_end);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // Puts the terminal in raw mode, shows the prompt and starts reading. False (with the
  // terminal untouched) if libedit cannot drive `in`.
  bool start();
  // Restores the terminal and stops reading; what is half typed is dropped. Idempotent.
  void stop();
  bool active() const { return active_; }

  // The prompt shown from the next redraw on (redrawn at once if a line is being edited).
  void set_prompt(std::string prompt);
  // One line of output, printed above the line being edited (or plainly when stopped).
  void print(std::string_view line);
  // The terminal changed size (SIGWINCH).
  void resized();

  // For libedit's callbacks.
  const char* prompt() const { return prompt_.c_str(); }
  int next_char(wchar_t* out);

 private:
  void readable();
  void feed();
  void clear_edit_area();
  void write_out(std::string_view text);

  uv_loop_t* loop_;
  FILE* in_;
  FILE* out_;
  std::function<void(std::string)> on_line_;
  std::function<void()> on_end_;
  editline* el_ = nullptr;
  historyW* history_ = nullptr;
  uv_poll_t poll_{};
  bool polling_ = false;
  bool active_ = false;
  bool ended_ = false;
  std::string prompt_ = "> ";
  std::string pending_;  // bytes read from the terminal, not yet given to libedit
  std::size_t taken_ = 0;
};

}  // namespace chord::net
