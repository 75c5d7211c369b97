#include "net_real/line_editor.h"

#include <histedit.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cwchar>

namespace chord::net {
namespace {

constexpr int history_size = 200;
constexpr wchar_t end_of_file = 4;  // ^D: libedit puts it alone in the line at an empty prompt

LineEditor* editor_of(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<LineEditor*>(data);
}

// One code point from UTF-8 at `bytes`: its length, 0 if the sequence is incomplete, or 1
// with U+FFFD for an invalid byte.
std::size_t decode_utf8(std::string_view bytes, wchar_t* out) {
  const auto lead = static_cast<unsigned char>(bytes[0]);
  std::size_t length = 0;
  char32_t value = 0;
  if (lead < 0x80) {
    *out = static_cast<wchar_t>(lead);
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07u;
  } else {
    *out = static_cast<wchar_t>(0xFFFD);
    return 1;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= bytes.size()) return 0;  // the rest is still on its way
    const auto next = static_cast<unsigned char>(bytes[i]);
    if ((next & 0xC0u) != 0x80u) {
      *out = static_cast<wchar_t>(0xFFFD);
      return 1;
    }
    value = (value << 6) | (next & 0x3Fu);
  }
  const bool overlong = (length == 3 && value < 0x800) || (length == 4 && value < 0x10000);
  if (overlong || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) value = 0xFFFD;
  *out = static_cast<wchar_t>(value);
  return length;
}

void append_utf8(std::string& text, wchar_t code) {
  auto value = static_cast<std::uint32_t>(code);
  if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) value = 0xFFFD;
  if (value < 0x80) {
    text += static_cast<char>(value);
  } else if (value < 0x800) {
    text += static_cast<char>(0xC0 | (value >> 6));
    text += static_cast<char>(0x80 | (value & 0x3F));
  } else if (value < 0x10000) {
    text += static_cast<char>(0xE0 | (value >> 12));
    text += static_cast<char>(0x80 | ((value >> 6) & 0x3F));
    text += static_cast<char>(0x80 | (value & 0x3F));
  } else {
    text += static_cast<char>(0xF0 | (value >> 18));
    text += static_cast<char>(0x80 | ((value >> 12) & 0x3F));
    text += static_cast<char>(0x80 | ((value >> 6) & 0x3F));
    text += static_cast<char>(0x80 | (value & 0x3F));
  }
}

int columns_of(wchar_t code) {
  const int width = wcwidth(code);
  return width < 0 ? 1 : width;  // libedit shows what wcwidth cannot measure as one cell or more
}

}  // namespace

LineEditor::LineEditor(uv_loop_t* loop, FILE* in, FILE* out,
                       std::function<void(std::string)> on_line, std::function<void()> on_end)
    : loop_(loop), in_(in), out_(out), on_line_(std::move(on_line)), on_end_(std::move(on_end)) {}

LineEditor::~LineEditor() {
  stop();
  if (el_ != nullptr) el_end(el_);
  if (history_ != nullptr) history_wend(history_);
}

bool LineEditor::start() {
  if (active_) return true;
  if (isatty(fileno(in_)) == 0) return false;
  if (el_ == nullptr) {
    el_ = el_init_fd("chordnode", in_, out_, stderr, fileno(in_), fileno(out_), STDERR_FILENO);
    if (el_ == nullptr) return false;
    el_set(el_, EL_CLIENTDATA, this);
    el_set(el_, EL_EDITOR, "emacs");
    el_set(el_, EL_SIGNAL, 0);
    // U+00A0..U+00FF (é, ü, ...) are letters, not Meta keys: libedit's emacs map reads a
    // character below 256 as a key code, and the upper half as Meta-key, which would turn
    // "é" into M-i. Meta stays available as ESC-key.
    for (wchar_t code = 0xA0; code <= 0xFF; ++code) {
      const wchar_t key[2] = {code, 0};
      el_wset(el_, EL_BIND, key, L"ed-insert", nullptr);
    }
    el_set(
        el_, EL_PROMPT, +[](EditLine* el) { return const_cast<char*>(editor_of(el)->prompt()); });
    el_wset(
        el_, EL_GETCFN, +[](EditLine* el, wchar_t* out) { return editor_of(el)->next_char(out); });
    history_ = history_winit();
    if (history_ != nullptr) {
      HistEventW event;
      history_w(history_, &event, H_SETSIZE, history_size);
      history_w(history_, &event, H_SETUNIQUE, 1);
      el_wset(el_, EL_HIST, history_w, history_);
    }
  }
  if (uv_poll_init(loop_, &poll_, fileno(in_)) != 0) return false;
  poll_.data = this;
  polling_ = true;
  uv_poll_start(&poll_, UV_READABLE, [](uv_poll_t* handle, int status, int) {
    auto* editor = static_cast<LineEditor*>(handle->data);
    if (status < 0) {
      editor->stop();
      if (!editor->ended_) {
        editor->ended_ = true;
        editor->on_end_();
      }
      return;
    }
    editor->readable();
  });
  active_ = true;
  el_set(el_, EL_UNBUFFERED, 1);  // raw mode; shows the prompt
  return true;
}

void LineEditor::stop() {
  if (polling_) {
    polling_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  }
  if (!active_) return;
  active_ = false;
  clear_edit_area();
  el_set(el_, EL_UNBUFFERED, 0);  // the terminal as it was
}

void LineEditor::set_prompt(std::string prompt) {
  if (prompt == prompt_) return;
  if (!active_) {
    prompt_ = std::move(prompt);
    return;
  }
  clear_edit_area();
  prompt_ = std::move(prompt);
  el_set(el_, EL_REFRESH);
}

void LineEditor::print(std::string_view line) {
  if (!active_) {
    write_out(line);
    write_out("\n");
    return;
  }
  clear_edit_area();
  write_out(line);
  write_out("\r\n");  // raw mode may not turn \n into \r\n
  el_set(el_, EL_REFRESH);
}

void LineEditor::resized() {
  if (active_) el_resize(el_);
}

int LineEditor::next_char(wchar_t* out) {
  if (taken_ >= pending_.size()) return 0;  // nothing more now: libedit ends this call
  const std::size_t length = decode_utf8(std::string_view(pending_).substr(taken_), out);
  if (length == 0) return 0;  // half a character: wait for the rest
  taken_ += length;
  return 1;
}

void LineEditor::readable() {
  char buffer[4096];
  const ssize_t count = read(fileno(in_), buffer, sizeof buffer);
  if (count < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (count <= 0) {  // the terminal hung up
    stop();
    if (!ended_) {
      ended_ = true;
      on_end_();
    }
    return;
  }
  pending_.append(buffer, static_cast<std::size_t>(count));
  feed();
}

// Gives libedit what was read, one keystroke (or key sequence) per call, and acts on each
// completed line. Runs until the bytes are used up or only half a character is left.
void LineEditor::feed() {
  while (active_ && taken_ < pending_.size()) {
    const std::size_t before = taken_;
    int count = 0;
    const wchar_t* line = el_wgets(el_, &count);
    if (line != nullptr && count == 1 && line[0] == end_of_file) {
      stop();
      if (!ended_) {
        ended_ = true;
        on_end_();
      }
      break;
    }
    if (line != nullptr && count > 0 && line[count - 1] == L'\n') {
      std::wstring typed(line, static_cast<std::size_t>(count - 1));
      if (history_ != nullptr && !typed.empty()) {
        HistEventW event;
        history_w(history_, &event, H_ENTER, typed.c_str());
      }
      std::string text;
      for (wchar_t code : typed)
        append_utf8(text, code);
      // Between lines libedit is reset: unbuffered mode off, then on again (a fresh prompt).
      el_set(el_, EL_UNBUFFERED, 0);
      el_set(el_, EL_UNBUFFERED, 1);
      on_line_(std::move(text));
      continue;
    }
    if (taken_ == before) break;  // nothing used: half a character or key sequence
  }
  pending_.erase(0, taken_);
  taken_ = 0;
}

// Moves the cursor to the start of the prompt and clears from there down, so that what is
// printed next starts on a clean line. libedit then redraws prompt and line (EL_REFRESH).
void LineEditor::clear_edit_area() {
  if (!active_) return;
  winsize size{};
  int width = 80;
  if (ioctl(fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) width = size.ws_col;
  int column = 0;
  for (char c : prompt_)
    if ((static_cast<unsigned char>(c) & 0xC0u) != 0x80u) ++column;
  const LineInfoW* info = el_wline(el_);
  for (const wchar_t* p = info->buffer; p < info->cursor; ++p)
    column += columns_of(*p);
  const int row = column / width;
  std::string clear = "\r";
  if (row > 0) clear += "\x1b[" + std::to_string(row) + "A";
  clear += "\x1b[J";
  write_out(clear);
}

void LineEditor::write_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace chord::net
