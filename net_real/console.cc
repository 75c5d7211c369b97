#include "net_real/console.h"

#include "core/chat.h"
#include "core/json_writer.h"

namespace chord::net {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Code points that must not reach a terminal as themselves: C0 and C1 controls (ESC and
// CSI start escape sequences), DEL, and the bidirectional overrides and isolates that can
// make a line read differently from what it says.
bool unsafe(std::uint32_t code_point) {
  return code_point < 0x20 || code_point == 0x7f || (code_point >= 0x80 && code_point < 0xa0) ||
         (code_point >= 0x202a && code_point <= 0x202e) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

// Decodes one UTF-8 sequence at text[i]; returns its length, or 0 if it is invalid
// (truncated, overlong, a surrogate or past U+10FFFF).
std::size_t decode(std::string_view text, std::size_t i, std::uint32_t& code_point) {
  const auto byte = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  std::uint32_t minimum = 0;
  if (byte < 0x80) {
    code_point = byte;
    return 1;
  } else if ((byte & 0xe0) == 0xc0) {
    length = 2, code_point = byte & 0x1fu, minimum = 0x80;
  } else if ((byte & 0xf0) == 0xe0) {
    length = 3, code_point = byte & 0x0fu, minimum = 0x800;
  } else if ((byte & 0xf8) == 0xf0) {
    length = 4, code_point = byte & 0x07u, minimum = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3fu);
  }
  if (code_point < minimum || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return 0;
  }
  return length;
}

const char* reason_text(CloseReason reason) {
  switch (reason) {
    case CloseReason::ended_by_user:
      return "ended";
    case CloseReason::user_left:
      return "user left";
    case CloseReason::timed_out:
      return "timed out";
  }
  return "ended";
}

const char* status_text(DhtStatus status) {
  switch (status) {
    case DhtStatus::ok:
      return "ok";
    case DhtStatus::not_found:
      return "not found";
    case DhtStatus::busy:
      return "no answer from the ring";
    case DhtStatus::bad_record:
      return "refused: not validly signed";
    case DhtStatus::record_expired:
      return "refused: the record's time is out of range (are this machine's clock and the "
             "ring's more than 10 minutes apart?)";
    case DhtStatus::stale_version:
      return "refused: a newer record of this name is stored (this key in use elsewhere, or "
             "the clock set back)";
    default:
      return "refused";
  }
}

// The parts joined. (Not `"literal" + std::string(...)`: GCC 12 warns falsely, -Wrestrict.)
std::string concat(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (const std::string_view part : parts)
    text.append(part);
  return text;
}

std::string_view first_word(std::string_view& rest) {
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  const std::size_t end = std::min(rest.find(' '), rest.size());
  const std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  return word;
}

}  // namespace

std::string printable(std::string_view text) {
  const bool cut = text.size() > chat_text_bytes_max;
  if (cut) text = text.substr(0, chat_text_bytes_max);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t code_point = 0;
    const std::size_t length = decode(text, i, code_point);
    if (length == 0) {  // one invalid byte at a time, so the rest still shows
      out += replacement;
      ++i;
      continue;
    }
    if (code_point == '\t') {
      out += ' ';
    } else if (unsafe(code_point)) {
      out += replacement;
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  if (cut) out += "\xE2\x80\xA6";  // an ellipsis: the text was longer
  return out;
}

ChatConsole::ChatConsole(std::function<PeerNode&()> peer, bool json,
                         std::function<void(const std::string&)> print)
    : peer_(peer), json_(json), print_(std::move(print)) {}

void ChatConsole::show(const char* event, std::initializer_list<Field> fields,
                       const std::string& text) {
  print_(format(event, fields, text));
}

std::string ChatConsole::format(const char* event, std::initializer_list<Field> fields,
                                const std::string& text) const {
  if (!json_) return text;
  JsonWriter line(false);
  line.begin_object().field("event", event);
  for (const Field& field : fields) {
    if (field.is_number) {
      line.field(field.key, field.number);
    } else {
      line.field(field.key, field.text);
    }
  }
  line.end_object();
  return line.str();
}

void ChatConsole::error(const std::string& message) {
  print_(error_line(message));
}

std::string ChatConsole::error_line(const std::string& message) const {
  const std::string safe = printable(message);  // it may echo what the user typed
  return format("error", {{"message", safe}}, "! " + safe);
}

void ChatConsole::start_user(std::string_view name, Identity identity) {
  const auto handle = peer_().chat().start_user(name, std::move(identity));
  if (!handle) error(std::string("cannot start the user session: ") + handle.error().detail);
}

std::optional<std::string> ChatConsole::current_chat() const {
  if (!current_) return std::nullopt;
  const auto it = chats_.find(*current_);
  if (it == chats_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint64_t> ChatConsole::chat_with(std::string_view handle) const {
  for (const auto& [id, peer_handle] : chats_) {
    if (peer_handle == handle) return id;
  }
  return std::nullopt;
}

void ChatConsole::send_text(std::uint64_t chat_id, std::string_view text) {
  if (text.empty()) return;
  if (text.size() > chat_text_bytes_max) {
    error(concat({"a message is at most ", std::to_string(chat_text_bytes_max), " bytes"}));
    return;
  }
  const auto seq = peer_().chat().send(chat_id, text);
  if (!seq) {
    error(std::string("not sent: ") + seq.error().detail);
    return;
  }
  ++sent_;
}

bool ChatConsole::command(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.remove_suffix(1);
  if (line.empty()) return true;
  if (line.front() != '/') {
    if (!current_) {
      error("no chat open: /chat NAME#ID first (/help lists the commands)");
    } else {
      send_text(*current_, line);
    }
    return true;
  }
  std::string_view rest = line.substr(1);
  const std::string_view verb = first_word(rest);
  if (verb == "quit") return false;
  if (verb == "help") {
    show_help();
  } else if (verb == "id") {
    const auto& handle = peer_().chat().handle();
    const Peer& self = peer_().chord().self();
    show("id", {{"handle", handle.value_or("")}, {"id", self.id.to_hex()}},
         concat({handle ? "you are " : "not registered yet", handle.value_or(""), ", node ",
                 self.id.short_hex(), " at ", self.endpoint.to_string()}));
  } else if (verb == "who") {
    std::string list;
    for (const auto& [id, handle] : chats_)
      list += (list.empty() ? "" : ", ") + handle + (current_ == id ? " (current)" : "");
    show("who", {{"chats", list}}, list.empty() ? "no open chats" : "chats: " + list);
  } else if (verb == "ring") {
    show_ring();
  } else if (verb == "find" || verb == "chat" || verb == "msg" || verb == "end") {
    const std::string_view handle = first_word(rest);
    if (verb == "end" && handle.empty()) {
      if (!current_) {
        error("no chat open");
        return true;
      }
      peer_().chat().end_chat(*current_);
      return true;
    }
    if (!valid_handle(handle)) {
      error("expected NAME#ID (12 characters after '#'), like bob#k3xq2mabz7pd");
      return true;
    }
    if (verb == "find") {
      if (const auto found = peer_().chat().find_user(handle); !found) {
        error(std::string("cannot look up: ") + found.error().detail);
      }
      return true;
    }
    std::optional<std::uint64_t> chat = chat_with(handle);
    if (verb == "end") {
      if (!chat) {
        error(concat({"no chat with ", handle}));
        return true;
      }
      peer_().chat().end_chat(*chat);
      return true;
    }
    if (!chat) {
      const auto opened = peer_().chat().open_chat(handle);
      if (!opened) {
        error(std::string("cannot open: ") + opened.error().detail);
        return true;
      }
      chat = *opened;
      chats_[*chat] = std::string(handle);
    }
    current_ = chat;
    if (verb == "msg") send_text(*chat, rest);
  } else {
    error(concat({"unknown command /", verb, " (/help lists them)"}));
  }
  return true;
}

void ChatConsole::on_chat(const ChatEvent& e) {
  const std::string who = printable(e.handle);
  switch (e.kind) {
    case ChatEventKind::registered:
      show("registered", {{"handle", who}}, "you are " + who);
      return;
    case ChatEventKind::register_failed:
      show("register_failed", {{"handle", who}, {"reason", status_text(e.status)}},
           "! could not register " + who + ": " + status_text(e.status));
      return;
    case ChatEventKind::found:
      show("found", {{"handle", who}, {"endpoint", e.endpoint.to_string()}},
           who + " is at " + e.endpoint.to_string());
      return;
    case ChatEventKind::not_found:
      show("not_found", {{"handle", who}}, who + ": not found");
      return;
    case ChatEventKind::opened:
      chats_[e.chat_id] = e.handle;
      if (!current_) current_ = e.chat_id;
      show("opened", {{"handle", who}}, "chat with " + who + " open");
      return;
    case ChatEventKind::open_failed:
      chats_.erase(e.chat_id);
      if (current_ == e.chat_id) current_.reset();
      {
        // bad_record here: whoever answered could not prove it holds the key of that name,
        // or it refused our own proof.
        const char* reason =
            e.status != DhtStatus::bad_record ? status_text(e.status)
            : e.refusal == ChatStatus::bad_identity
                ? "it refused our proof of name (are the two clocks more than 10 minutes apart?)"
                : "it could not prove it is that user (wrong key)";
        show("open_failed", {{"handle", who}, {"reason", reason}},
             "! could not open a chat with " + who + ": " + reason);
      }
      return;
    case ChatEventKind::message: {
      const std::string text = printable(e.text);
      show("message", {{"from", who}, {"seq", e.seq}, {"text", text}}, "[" + who + "] " + text);
      return;
    }
    case ChatEventKind::delivered:
      ++delivered_;
      if (json_) show("delivered", {{"to", who}, {"seq", e.seq}}, "");
      return;
    case ChatEventKind::delivery_failed:
      ++failed_;
      show("delivery_failed", {{"to", who}, {"seq", e.seq}},
           concat({"! message ", std::to_string(e.seq), " to ", who, " was not delivered"}));
      return;
    case ChatEventKind::ended:
      chats_.erase(e.chat_id);
      if (current_ == e.chat_id) {
        current_.reset();
        if (!chats_.empty()) current_ = chats_.rbegin()->first;
      }
      show("ended", {{"handle", who}, {"reason", reason_text(e.reason)}},
           "chat with " + who + " " + reason_text(e.reason));
      return;
  }
}

void ChatConsole::on_notice(NodeNotice notice) {
  const Peer& self = peer_().chord().self();
  switch (notice) {
    case NodeNotice::joined:
      show("joined", {{"id", self.id.to_hex()}, {"endpoint", self.endpoint.to_string()}},
           concat({"joined the ring as node ", self.id.short_hex(), " at ",
                   self.endpoint.to_string()}));
      return;
    case NodeNotice::lost_ring:
      show("lost_ring", {}, "! lost every successor: rejoining");
      return;
    case NodeNotice::left:
      show("left", {}, "left the ring");
      return;
    case NodeNotice::reformed:
      show("reformed", {},
           "! no ring member answered: re-formed the ring from this node; it merges with "
           "the others as they come back");
      return;
    case NodeNotice::join_round_failed:
      return;  // the caller counts these against its join timeout
  }
}

void ChatConsole::show_ring() {
  const ChordNode& chord = peer_().chord();
  std::string successors;
  for (const Peer& peer : chord.successors())
    successors.append(successors.empty() ? "" : " ").append(peer.id.short_hex());
  const std::string predecessor =
      chord.predecessor() ? chord.predecessor()->id.short_hex() : std::string("none");
  const std::string fingers = std::to_string(chord.fingers().size());
  show("ring",
       {{"id", chord.self().id.to_hex()},
        {"predecessor", predecessor},
        {"successors", successors},
        {"fingers", fingers}},
       concat({"node ", chord.self().id.short_hex(), " at ", chord.self().endpoint.to_string(),
               "\n  predecessor ", predecessor, "\n  successors  ", successors, "\n  fingers     ",
               fingers, " distinct"}));
}

void ChatConsole::show_help() {
  show("help", {},
       "/id                   your name#id and node\n"
       "/find NAME#ID         where a user is, or \"not found\"\n"
       "/chat NAME#ID         open a chat; plain lines then go to it\n"
       "/msg NAME#ID TEXT     send one message (opens the chat if needed)\n"
       "/end [NAME#ID]        end the current chat, or the one with NAME#ID\n"
       "/who                  open chats\n"
       "/ring                 this node's predecessor, successors and fingers\n"
       "/quit                 remove your record, hand records over, leave\n"
       "/help                 this list");
}

}  // namespace chord::net
