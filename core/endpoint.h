// Endpoint: where a node can be reached, an IPv4 or IPv6 address and a TCP port.
//
// Fixed size (no heap), so it packs into successor lists and messages. The simulator uses
// the same type: there an endpoint is a name for a simulated node, never a real address.
// Parsing and formatting are pure (no name resolution, no sockets).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/result.h"

namespace chord {

enum class AddressFamily : std::uint8_t { none = 0, ipv4 = 4, ipv6 = 6 };

struct Endpoint {
  std::array<std::uint8_t, 16> address{};  // IPv4 in the first 4 bytes, the rest zero
  std::uint16_t port = 0;
  AddressFamily family = AddressFamily::none;

  static Endpoint ipv4(std::array<std::uint8_t, 4> octets, std::uint16_t port);
  static Endpoint ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port);

  // "1.2.3.4:5" or "[::1]:5". Errors: Errc::bad_endpoint (with the reason in detail).
  static Result<Endpoint> parse(std::string_view text);
  // The same forms back; "none" for a default-constructed endpoint.
  std::string to_string() const;

  bool is_set() const { return family != AddressFamily::none; }

  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  // As the defaulted one would, but on words: that one called memcmp for the address, 5% of
  // a large simulation (pending RPCs and peer lists compare endpoints on every reply).
  friend bool operator==(const Endpoint& a, const Endpoint& b) {
    std::uint64_t a_words[2];
    std::uint64_t b_words[2];
    std::memcpy(a_words, a.address.data(), sizeof a_words);
    std::memcpy(b_words, b.address.data(), sizeof b_words);
    return a_words[0] == b_words[0] && a_words[1] == b_words[1] && a.port == b.port &&
           a.family == b.family;
  }
};

static_assert(sizeof(Endpoint) == 20);

}  // namespace chord
