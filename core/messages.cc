#include "core/messages.h"

#include <array>

#include "core/assert.h"

namespace chord {

namespace {
constexpr std::array<const char*, std::variant_size_v<Message>> names = {"hello",
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
                                                                         "chat_ack",
                                                                         "nudge",
                                                                         "chat_accept"};
}  // namespace

const char* message_name(const Message& message) {
  return names[message.index()];
}

const char* message_type_name(std::size_t type) {
  CHORD_ASSERT(type < names.size());
  return names[type];
}

}  // namespace chord
