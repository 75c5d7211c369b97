// Endpoint: where a node can be reached, an IPv4 or IPv6 address and a TCP port.
//
// Fixed size (no heap), so it packs into successor lists and messages. The simulator uses
// the same type: there an endpoint is a name for a simulated node, never a real address.
// Parsing and formatting are pure (no name resolution, no sockets).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
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
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

static_assert(sizeof(Endpoint) == 20);

}  // namespace chord
