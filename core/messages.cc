#include "core/messages.h"

#include <array>

namespace chord {

const char* message_name(const Message& message) {
  static constexpr std::array<const char*, std::variant_size_v<Message>> names = {
      "hello",
      "find_successor_request",
      "find_successor_reply",
      "get_state_request",
      "get_state_reply",
      "notify",
      "ping",
      "pong",
      "leave",
      "dht_put",
      "dht_put_reply",
      "dht_get",
      "dht_get_reply",
      "dht_remove",
      "dht_remove_reply",
      "record_transfer",
      "record_transfer_ack",
      "chat_open",
      "chat_text",
      "chat_close",
      "chat_ack"};
  return names[message.index()];
}

}  // namespace chord
