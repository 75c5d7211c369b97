#include "core/node_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/sha1.h"

namespace chord {
namespace {

std::string hex(const Sha1Digest& digest) {
  return NodeId(digest).to_hex();
}

std::string numbered(char prefix, int i) {
  std::string text(1, prefix);
  text += std::to_string(i);
  return text;
}

// FIPS 180-2 appendix A vectors for SHA-1.
TEST(Sha1, MatchesFips180Vectors) {
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(sha1(std::string(1000000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(NodeId, HashOfIsSha1OfTheText) {
  EXPECT_EQ(NodeId::hash_of("abc").to_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(NodeId, HexRoundTrips) {
  const auto id = NodeId::hash_of("alice#3fk2a9");
  const auto parsed = NodeId::parse_hex(id.to_hex());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, id);
  const auto upper = NodeId::parse_hex("A9993E364706816ABA3E25717850C26C9CD0D89D");
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(upper->to_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(id.short_hex(), id.to_hex().substr(0, 8));
}

TEST(NodeId, BadHexIsAnErrorValue) {
  for (const char* text :
       {"", "a9993e36", "a9993e364706816aba3e25717850c26c9cd0d89",
        "a9993e364706816aba3e25717850c26c9cd0d89d0", "g9993e364706816aba3e25717850c26c9cd0d89d",
        "a9993e364706816aba3e25717850c26c9cd0d8 d", "0xa993e364706816aba3e25717850c26c9cd0d89d"}) {
    const auto parsed = NodeId::parse_hex(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, Errc::bad_hex) << text;
  }
}

// An identifier whose top byte is `value` and whose other bytes are `fill`: the 160-bit
// arithmetic restricted to the top byte behaves as 8-bit arithmetic mod 256.
NodeId top_byte(unsigned value, std::uint8_t fill = 0) {
  NodeId::Bytes bytes{};
  bytes.fill(fill);
  bytes[0] = static_cast<std::uint8_t>(value);
  return NodeId(bytes);
}

TEST(NodeId, PlusPowerOfTwoWrapsModuloTheRingExhaustivelyOnTheTopByte) {
  for (unsigned x = 0; x < 256; ++x) {
    for (unsigned i = 0; i < 8; ++i) {
      EXPECT_EQ(top_byte(x).plus_power_of_two(152 + i), top_byte((x + (1u << i)) % 256))
          << "x=" << x << " i=" << i;
    }
  }
}

TEST(NodeId, PlusPowerOfTwoCarriesAcrossBytes) {
  NodeId::Bytes low{};
  low[19] = 0xff;
  NodeId::Bytes expected{};
  expected[18] = 0x01;
  EXPECT_EQ(NodeId(low).plus_power_of_two(0), NodeId(expected));

  NodeId::Bytes all_ones{};
  all_ones.fill(0xff);
  EXPECT_EQ(NodeId(all_ones).plus_power_of_two(0), NodeId());  // 2^160 - 1 + 1 wraps to 0
  EXPECT_EQ(NodeId().plus_power_of_two(159), top_byte(0x80));
  EXPECT_EQ(top_byte(0x80).plus_power_of_two(159), NodeId());
}

TEST(NodeId, DistanceIsClockwiseExhaustivelyOnTheTopByte) {
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      ASSERT_EQ(top_byte(a).distance_to(top_byte(b)), top_byte((b - a + 256) % 256))
          << "a=" << a << " b=" << b;
    }
  }
}

TEST(NodeId, DistanceAndPlusAreInverseOnRandomIds) {
  for (int i = 0; i < 2000; ++i) {
    const auto a = NodeId::hash_of(numbered('a', i));
    const auto b = NodeId::hash_of(numbered('b', i));
    EXPECT_EQ(a.plus(a.distance_to(b)), b);
    EXPECT_EQ(a.distance_to(b).plus(b.distance_to(a)), NodeId());  // a full turn is 0 mod 2^160
    EXPECT_EQ(a.distance_to(a), NodeId());
  }
}

// The word form of a distance is the same number, and orders distances as NodeId does,
// including borrows across each word boundary.
TEST(NodeId, WordsDistanceIsTheDistanceAndOrdersTheSame) {
  auto words_of = [](const NodeId& id) {
    return NodeId::Distance{id.high(), id.middle(), id.low()};
  };
  std::vector<NodeId> ids;
  for (int i = 0; i < 200; ++i)
    ids.push_back(NodeId::hash_of(numbered('w', i)));
  // Borrows: ids that differ only in the low or middle word, either way round.
  ids.push_back(NodeId::from_words(5, 7, 0));
  ids.push_back(NodeId::from_words(5, 7, 0xffffffff));
  ids.push_back(NodeId::from_words(5, 0, 1));
  ids.push_back(NodeId::from_words(5, ~std::uint64_t{0}, 0));
  ids.push_back(NodeId::from_words(0, 0, 0));
  ids.push_back(NodeId::from_words(~std::uint64_t{0}, ~std::uint64_t{0}, 0xffffffff));
  const NodeId key = NodeId::hash_of("key");
  for (const NodeId& a : ids) {
    for (const NodeId& b : ids) {
      ASSERT_EQ(a.words_distance_to(b), words_of(a.distance_to(b)));
      EXPECT_EQ(a.words_distance_to(key) < b.words_distance_to(key),
                a.distance_to(key) < b.distance_to(key));
    }
  }
}

TEST(NodeId, BytesAreBigEndianAndRoundTrip) {
  NodeId::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<std::uint8_t>(0x11 * (i + 1));
  const NodeId id(bytes);
  EXPECT_EQ(id.bytes(), bytes);
  EXPECT_EQ(id.high(), 0x1122334455667788ULL);
  EXPECT_EQ(id.middle(), 0x99aabbccddeeff10ULL);
  EXPECT_EQ(id.low(), 0x21324354U);
  EXPECT_EQ(NodeId::from_words(id.high(), id.middle(), id.low()), id);
  EXPECT_EQ(id.to_hex(), "112233445566778899aabbccddeeff1021324354");
  // Bit e of the number is bit e % 8 of byte 19 - e / 8, on every word boundary too.
  for (std::size_t e = 0; e < id_bits; ++e) {
    NodeId::Bytes one{};
    one[id_bytes - 1 - e / 8] = static_cast<std::uint8_t>(1u << (e % 8));
    EXPECT_EQ(NodeId().plus_power_of_two(e).bytes(), one) << e;
  }
  NodeId::Bytes small{};
  small[15] = 0x01;  // bit 32
  small[19] = 0x02;
  EXPECT_EQ(NodeId::from_u64(0x0100000002ULL).bytes(), small);
}

TEST(NodeId, HighestBit) {
  EXPECT_EQ(NodeId().highest_bit(), -1);
  EXPECT_EQ(NodeId::from_u64(1).highest_bit(), 0);
  EXPECT_EQ(NodeId::from_u64(0x80).highest_bit(), 7);
  EXPECT_EQ(NodeId::from_u64(0x100).highest_bit(), 8);
  EXPECT_EQ(top_byte(0x80).highest_bit(), 159);
  for (std::size_t i = 0; i < id_bits; ++i) {
    EXPECT_EQ(NodeId().plus_power_of_two(i).highest_bit(), static_cast<int>(i));
  }
}

TEST(NodeId, OrderIsNumeric) {
  EXPECT_LT(NodeId::from_u64(1), NodeId::from_u64(2));
  EXPECT_LT(NodeId::from_u64(0xffffffffffffffffULL), top_byte(1));
  EXPECT_LT(top_byte(1, 0xff), top_byte(2, 0x00));
}

}  // namespace
}  // namespace chord
