#include "core/endpoint.h"

#include <gtest/gtest.h>

namespace chord {
namespace {

TEST(Endpoint, ParsesAndFormatsIpv4) {
  const auto endpoint = Endpoint::parse("127.0.0.1:4000");
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_EQ(endpoint->family, AddressFamily::ipv4);
  EXPECT_EQ(endpoint->port, 4000);
  EXPECT_EQ(endpoint->to_string(), "127.0.0.1:4000");
  EXPECT_EQ(*endpoint, Endpoint::ipv4({127, 0, 0, 1}, 4000));
}

TEST(Endpoint, ParsesAndFormatsIpv6) {
  const auto endpoint = Endpoint::parse("[::1]:65535");
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_EQ(endpoint->family, AddressFamily::ipv6);
  EXPECT_EQ(endpoint->port, 65535);
  EXPECT_EQ(endpoint->to_string(), "[::1]:65535");
  const auto full = Endpoint::parse("[fe80::1:2:3:4]:7");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->to_string(), "[fe80::1:2:3:4]:7");
}

TEST(Endpoint, BadTextIsAnErrorValue) {
  for (const char* text :
       {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
        "256.0.0.1:80", "localhost:80", "::1:80", "[::1]80", "[::1:80", "[zz::1]:80", "1.2.3.4:5:6",
        "[0000:0000:0000:0000:0000:0000:0000:0000:0000]:1"}) {
    const auto endpoint = Endpoint::parse(text);
    ASSERT_FALSE(endpoint.has_value()) << text;
    EXPECT_EQ(endpoint.error().code, Errc::bad_endpoint) << text;
  }
}

TEST(Endpoint, DefaultIsUnset) {
  EXPECT_FALSE(Endpoint{}.is_set());
  EXPECT_EQ(Endpoint{}.to_string(), "none");
}

}  // namespace
}  // namespace chord
