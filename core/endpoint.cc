#include "core/endpoint.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace chord {
namespace {

Result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return Error{Errc::bad_endpoint, "bad port"};
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) {
    return Error{Errc::bad_endpoint, "bad port"};
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Endpoint Endpoint::ipv4(std::array<std::uint8_t, 4> octets, std::uint16_t port) {
  Endpoint endpoint;
  std::memcpy(endpoint.address.data(), octets.data(), octets.size());
  endpoint.port = port;
  endpoint.family = AddressFamily::ipv4;
  return endpoint;
}

Endpoint Endpoint::ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port) {
  Endpoint endpoint;
  endpoint.address = bytes;
  endpoint.port = port;
  endpoint.family = AddressFamily::ipv6;
  return endpoint;
}

Result<Endpoint> Endpoint::parse(std::string_view text) {
  // Longest: "[" + 45 (IPv4-mapped IPv6) + "]:" + 5.
  if (text.size() > 53) return Error{Errc::bad_endpoint, "too long"};
  char host[64] = {};
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error{Errc::bad_endpoint, "expected [ipv6]:port"};
    }
    const auto port = parse_port(text.substr(close + 2));
    if (!port) return port.error();
    text.substr(1, close - 1).copy(host, close - 1);
    std::array<std::uint8_t, 16> bytes{};
    if (inet_pton(AF_INET6, host, bytes.data()) != 1) {
      return Error{Errc::bad_endpoint, "bad IPv6 address"};
    }
    return ipv6(bytes, *port);
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return Error{Errc::bad_endpoint, "expected host:port"};
  if (text.substr(0, colon).find(':') != std::string_view::npos) {
    return Error{Errc::bad_endpoint, "IPv6 addresses go in brackets: [addr]:port"};
  }
  const auto port = parse_port(text.substr(colon + 1));
  if (!port) return port.error();
  text.substr(0, colon).copy(host, colon);
  std::array<std::uint8_t, 4> octets{};
  if (inet_pton(AF_INET, host, octets.data()) != 1) {
    return Error{Errc::bad_endpoint, "bad IPv4 address"};
  }
  return ipv4(octets, *port);
}

std::string Endpoint::to_string() const {
  char host[INET6_ADDRSTRLEN] = {};
  char text[INET6_ADDRSTRLEN + 16] = {};
  switch (family) {
    case AddressFamily::none:
      return "none";
    case AddressFamily::ipv4:
      inet_ntop(AF_INET, address.data(), host, sizeof(host));
      std::snprintf(text, sizeof(text), "%s:%u", host, unsigned{port});
      return text;
    case AddressFamily::ipv6:
      inet_ntop(AF_INET6, address.data(), host, sizeof(host));
      std::snprintf(text, sizeof(text), "[%s]:%u", host, unsigned{port});
      return text;
  }
  return "none";
}

}  // namespace chord
