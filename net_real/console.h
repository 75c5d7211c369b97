// ChatConsole: chordnode's chat commands and what it prints, apart from any terminal.
//
// It turns lines typed by the user (or a program) into calls on the peer's ChatService and
// turns the service's events into output lines, as text for a person or as one JSON object
// a line (--json) for programs. Everything a peer sent is made safe before it is shown:
// control characters and terminal escape sequences are neutralised, invalid UTF-8 is
// replaced with U+FFFD, and a text is cut at chat_text_bytes_max. Nothing is written
// anywhere but to the `print` callback: no logs of users or messages.
//
// Commands: /id, /find NAME#ID, /chat NAME#ID, /msg NAME#ID TEXT, /end [NAME#ID], /who,
// /ring, /quit, /help; any other line goes to the current chat (the last opened).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/peer_node.h"

namespace chord::net {

// `text` made safe to print on a terminal (see above). Pure.
std::string printable(std::string_view text);

class ChatConsole {
 public:
  // `peer` gives the peer for each call (UvNode::peer reads the clock: every command is an
  // input of its own). `print` gets one line at a time, without its newline.
  ChatConsole(std::function<PeerNode&()> peer, bool json,
              std::function<void(const std::string&)> print);

  // The user's session: registers name#id once the node is a member.
  void start_user(std::string_view name, Identity identity);
  // One input line. Returns false for /quit (the caller then runs the graceful exit).
  bool command(std::string_view line);

  // Events to show.
  void on_chat(const ChatEvent& event);
  void on_notice(NodeNotice notice);
  void error(const std::string& message);
  // The line error() would print, without printing it.
  std::string error_line(const std::string& message) const;

  // Texts sent and neither acknowledged nor reported failed: the graceful exit waits for
  // them (bounded by the caller).
  std::uint64_t outstanding() const { return sent_ - delivered_ - failed_; }
  const std::optional<std::string>& handle() const { return peer_().chat().handle(); }
  // NAME#ID of the chat plain lines go to, if any (the prompt shows it).
  std::optional<std::string> current_chat() const;

 private:
  void send_text(std::uint64_t chat_id, std::string_view text);
  // One field of a JSON event: a string, or a number (sequence numbers).
  struct Field {
    Field(const char* k, std::string v) : key(k), text(std::move(v)) {}
    Field(const char* k, std::uint64_t n) : key(k), number(n), is_number(true) {}
    const char* key;
    std::string text;
    std::uint64_t number = 0;
    bool is_number = false;
  };
  void show(const char* event, std::initializer_list<Field> fields, const std::string& text);
  std::string format(const char* event, std::initializer_list<Field> fields,
                     const std::string& text) const;
  void show_ring();
  void show_help();
  std::optional<std::uint64_t> chat_with(std::string_view handle) const;

  std::function<PeerNode&()> peer_;
  bool json_;
  std::function<void(const std::string&)> print_;
  std::map<std::uint64_t, std::string> chats_;  // open (or opening) chats: id -> handle
  std::optional<std::uint64_t> current_;
  std::uint64_t sent_ = 0, delivered_ = 0, failed_ = 0;
};

}  // namespace chord::net
