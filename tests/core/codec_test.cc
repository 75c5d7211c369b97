#include "core/codec.h"

#include <gtest/gtest.h>

#include <cereal/archives/portable_binary.hpp>
#include <set>
#include <sstream>

#include "core/wire_schema.h"
#include "tests/core/message_samples.h"
#include "tests/core/wire_test_util.h"

namespace chord {
namespace {

using testing::Bytes;
using testing::SampleRandom;

constexpr int instances_per_type = 200;

TEST(Codec, EveryMessageTypeRoundTrips) {
  SampleRandom random(0xc0dec);
  for (std::size_t type = 0; type < testing::message_types; ++type) {
    for (int i = 0; i < instances_per_type; ++i) {
      const Message original = testing::sample_message(type, random);
      ASSERT_EQ(original.index(), type);
      const Bytes frame = testing::frame_bytes(original);
      FrameDecoder decoder;
      decoder.feed(frame);
      auto decoded = decoder.next();
      ASSERT_TRUE(decoded.has_value())
          << message_name(original) << ": " << errc_name(decoded.error().code);
      ASSERT_TRUE(decoded->has_value());
      EXPECT_EQ(**decoded, original) << message_name(original);
      EXPECT_EQ(decoder.buffered_bytes(), 0u);
    }
  }
}

// The wire format is cereal's portable binary archive (little-endian): the codec's own
// archives (core/wire_schema.h) write the same bytes as cereal's PortableBinaryOutputArchive,
// and cereal's PortableBinaryInputArchive reads what they write.
TEST(Codec, TheWireIsCerealsPortableBinaryFormatByteForByte) {
  SampleRandom random(0xce7ea1);
  for (std::size_t type = 0; type < testing::message_types; ++type) {
    for (int i = 0; i < 50; ++i) {
      const Message original = testing::sample_message(type, random);
      std::ostringstream stream;
      {
        cereal::PortableBinaryOutputArchive archive(
            stream, cereal::PortableBinaryOutputArchive::Options::LittleEndian());
        archive(static_cast<std::uint8_t>(original.index()));
        std::visit([&archive](const auto& alternative) { archive(alternative); }, original);
      }
      const std::string by_cereal = stream.str();
      const Bytes frame = testing::frame_bytes(original);
      const std::string ours(frame.begin() + frame_header_bytes, frame.end());
      ASSERT_EQ(ours, by_cereal) << message_name(original);

      std::istringstream input(ours);
      cereal::PortableBinaryInputArchive archive(input);
      std::uint8_t type_read = 0;
      archive(type_read);
      ASSERT_EQ(type_read, type);
      Message decoded = original;
      std::visit(
          [&archive](auto& alternative) {
            alternative = {};
            archive(alternative);
          },
          decoded);
      EXPECT_EQ(decoded, original) << message_name(original);
    }
  }
}

// The property the simulator's byte accounting rests on.
TEST(Codec, EncodedSizeEqualsTheBytesActuallyEncodedForEveryType) {
  SampleRandom random(0x512e);
  for (std::size_t type = 0; type < testing::message_types; ++type) {
    std::set<std::size_t> sizes_seen;
    for (int i = 0; i < instances_per_type; ++i) {
      const Message message = testing::sample_message(type, random);
      const Bytes frame = testing::frame_bytes(message);
      ASSERT_EQ(encoded_frame_size(message), frame.size()) << message_name(message);
      ASSERT_EQ(encoded_payload_size(message), frame.size() - frame_header_bytes);
      sizes_seen.insert(frame.size());
    }
    // Types with lists or strings must have been tried at several sizes.
    if (type == 2 || type == 4 || type == 8 || type == 12 || type == 15 || type == 18) {
      EXPECT_GT(sizes_seen.size(), 3u) << "type " << type;
    }
  }
}

TEST(Codec, FrameHeaderIsBigEndianLengthThenVersion) {
  const Bytes frame = testing::frame_bytes(Ping{0x0102030405060708ULL});
  // payload: endianness flag, type 6, 8 bytes of request id
  ASSERT_EQ(frame.size(), frame_header_bytes + 2 + 8);
  EXPECT_EQ(frame[0], 0);
  EXPECT_EQ(frame[1], 0);
  EXPECT_EQ(frame[2], 0);
  EXPECT_EQ(frame[3], 1 + 2 + 8);
  EXPECT_EQ(frame[4], wire_version);
  EXPECT_EQ(frame[5], wire_little_endian_flag);
  EXPECT_EQ(frame[6], 6);     // Ping's index in Message
  EXPECT_EQ(frame[7], 0x08);  // little-endian fields inside cereal's portable archive
}

TEST(Codec, LargestMessagesFitTheSmallestFrameLimit) {
  SampleRandom random(7);
  GetStateReply state{1, StateStatus::ok, testing::sample_peer(random), {}};
  while (!state.successors.full()) {
    Peer peer = testing::sample_peer(random);
    peer.endpoint = Endpoint::ipv6({}, 1);
    state.successors.push_back(peer);
  }
  RecordTransfer transfer{1, TransferKind::handover, {}};
  while (!transfer.records.full()) {
    Record record = testing::sample_record(random);
    record.value.assign(record_value_bytes_max, 'v');
    transfer.records.push_back(record);
  }
  ChatText text{1, 1, std::string(chat_text_bytes_max, 't')};
  for (const Message& message : {Message(state), Message(transfer), Message(text)}) {
    EXPECT_LE(encoded_frame_size(message), frame_bytes_max_min) << message_name(message);
    EXPECT_EQ(testing::decode_all(testing::frame_bytes(message)).size(), 1u);
  }
}

}  // namespace
}  // namespace chord
