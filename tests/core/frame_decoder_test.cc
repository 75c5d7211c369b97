#include <gtest/gtest.h>

#include "core/codec.h"
#include "tests/core/message_samples.h"
#include "tests/core/wire_test_util.h"

namespace chord {
namespace {

using testing::Bytes;
using testing::SampleRandom;

// A stream with every message type several times, and the messages it holds.
struct Stream {
  Bytes bytes;
  std::vector<Message> messages;
};

Stream make_stream(std::uint64_t seed, int rounds) {
  SampleRandom random(seed);
  Stream stream;
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t type = 0; type < testing::message_types; ++type) {
      Message message = testing::sample_message(type, random);
      // Keep the stream small enough to cut at every byte in reasonable time.
      if (auto* text = std::get_if<ChatText>(&message)) text->text.resize(text->text.size() % 64);
      if (auto* transfer = std::get_if<RecordTransfer>(&message)) {
        transfer->records.resize(transfer->records.size() % 3);
        for (auto& r : transfer->records)
          r.value.resize(r.value.size() % 32);
      }
      if (auto* put = std::get_if<DhtPut>(&message)) put->record.value.resize(7);
      if (auto* reply = std::get_if<DhtGetReply>(&message)) reply->value.resize(9);
      encode_frame(message, stream.bytes);
      stream.messages.push_back(std::move(message));
    }
  }
  return stream;
}

std::vector<Message> drain(FrameDecoder& decoder) {
  std::vector<Message> out;
  for (int guard = 0; guard < 100000; ++guard) {
    auto next = decoder.next();
    EXPECT_TRUE(next.has_value()) << errc_name(next.error().code);
    if (!next || !next->has_value()) break;
    out.push_back(std::move(**next));
  }
  return out;
}

TEST(FrameDecoder, StreamCutAtEveryByteBoundaryYieldsEveryMessageOnceInOrder) {
  const Stream stream = make_stream(11, 2);
  ASSERT_GT(stream.bytes.size(), 2000u);
  for (std::size_t cut = 0; cut <= stream.bytes.size(); ++cut) {
    FrameDecoder decoder;
    std::vector<Message> got;
    decoder.feed({stream.bytes.data(), cut});
    for (auto& m : drain(decoder))
      got.push_back(std::move(m));
    decoder.feed({stream.bytes.data() + cut, stream.bytes.size() - cut});
    for (auto& m : drain(decoder))
      got.push_back(std::move(m));
    ASSERT_EQ(got, stream.messages) << "cut at byte " << cut;
    ASSERT_EQ(decoder.buffered_bytes(), 0u);
  }
}

TEST(FrameDecoder, OneByteAtATimeAndAllAtOnceGiveTheSameMessages) {
  const Stream stream = make_stream(12, 3);
  FrameDecoder bytewise;
  std::vector<Message> got;
  for (std::uint8_t byte : stream.bytes) {
    bytewise.feed({&byte, 1});
    for (auto& m : drain(bytewise))
      got.push_back(std::move(m));
  }
  EXPECT_EQ(got, stream.messages);
  EXPECT_EQ(testing::decode_all(stream.bytes), stream.messages);
}

TEST(FrameDecoder, RandomPieceSizesGiveTheSameMessages) {
  const Stream stream = make_stream(13, 4);
  SampleRandom random(99);
  for (int trial = 0; trial < 50; ++trial) {
    FrameDecoder decoder;
    std::vector<Message> got;
    std::size_t offset = 0;
    while (offset < stream.bytes.size()) {
      const std::size_t piece = std::min(stream.bytes.size() - offset, 1 + random.upto(700));
      decoder.feed({stream.bytes.data() + offset, piece});
      offset += piece;
      for (auto& m : drain(decoder))
        got.push_back(std::move(m));
    }
    ASSERT_EQ(got, stream.messages) << "trial " << trial;
  }
}

Errc first_error(const Bytes& bytes, std::uint32_t limit = frame_bytes_max_default) {
  FrameDecoder decoder(limit);
  decoder.feed(bytes);
  auto next = decoder.next();
  EXPECT_FALSE(next.has_value());
  return next ? Errc::queue_full : next.error().code;
}

TEST(FrameDecoder, LengthOverTheLimitIsFatalBeforeThePayloadArrives) {
  Bytes header = {0x00, 0x10, 0x00, 0x01};  // 1 MiB + 1
  FrameDecoder decoder;
  decoder.feed(header);
  auto next = decoder.next();
  ASSERT_FALSE(next.has_value());
  EXPECT_EQ(next.error().code, Errc::frame_too_long);
  EXPECT_TRUE(decoder.failed());
  // Fatal: later input is dropped and the same error comes back.
  decoder.feed(testing::frame_bytes(Ping{1}));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  auto again = decoder.next();
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::frame_too_long);
}

TEST(FrameDecoder, ConfiguredLimitIsHonoured) {
  const Bytes frame = testing::frame_bytes(ChatText{1, 1, std::string(chat_text_bytes_max, 'x')});
  EXPECT_EQ(testing::decode_all(frame).size(), 1u);
  Bytes big = testing::raw_frame(Bytes(frame_bytes_max_min + 10, 0));
  EXPECT_EQ(first_error(big, frame_bytes_max_min), Errc::frame_too_long);
  Bytes max_u32 = {0xff, 0xff, 0xff, 0xff, 1};
  EXPECT_EQ(first_error(max_u32), Errc::frame_too_long);
}

TEST(FrameDecoder, LengthTooShortForAMessageIsFatal) {
  EXPECT_EQ(first_error(Bytes{0, 0, 0, 0}), Errc::frame_too_short);
  EXPECT_EQ(first_error(Bytes{0, 0, 0, 2, wire_version, 1}), Errc::frame_too_short);
}

TEST(FrameDecoder, WrongVersionSkipsThatFrameOnly) {
  Bytes bytes = testing::raw_frame(testing::payload_of(Ping{5}), 99);
  encode_frame(Pong{6}, bytes);
  FrameDecoder decoder;
  decoder.feed(bytes);
  auto first = decoder.next();
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, Errc::bad_version);
  auto second = decoder.next();
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ(**second, Message(Pong{6}));
}

TEST(FrameDecoder, UnknownMessageTypeIsItsOwnError) {
  Bytes payload = testing::payload_of(Ping{5});
  payload[1] = static_cast<std::uint8_t>(testing::message_types);
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::unknown_message);
  payload[1] = 255;
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::unknown_message);
}

TEST(FrameDecoder, PayloadThatEndsEarlyIsUndecodable) {
  Bytes payload = testing::payload_of(FindSuccessorRequest{1, NodeId::hash_of("k"), 3});
  for (std::size_t keep = 2; keep < payload.size(); ++keep) {
    EXPECT_EQ(first_error(testing::raw_frame(
                  Bytes(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(keep)))),
              Errc::undecodable)
        << "kept " << keep;
  }
}

TEST(FrameDecoder, PayloadWithBytesLeftOverIsTrailingBytes) {
  Bytes payload = testing::payload_of(Ping{5});
  payload.push_back(0);
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::trailing_bytes);
}

TEST(FrameDecoder, ValuesOutOfRangeAreUndecodable) {
  // Endianness flag other than little-endian.
  Bytes payload = testing::payload_of(Ping{5});
  payload[0] = 0;
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::undecodable);
  // An enum past its last value: DhtPutReply = [flag][type][id 8][status].
  payload = testing::payload_of(DhtPutReply{1, DhtStatus::ok});
  payload[10] = 10;
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::undecodable);
  // An optional's presence flag other than 0 or 1: GetStateReply = [flag][type][id
  // 8][status][present].
  payload = testing::payload_of(GetStateReply{1, StateStatus::ok, std::nullopt, {}});
  payload[11] = 2;
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::undecodable);
  // An address family other than 4 or 6: Hello = [flag][type][family]...
  payload = testing::payload_of(Hello{Endpoint::ipv4({127, 0, 0, 1}, 80)});
  payload[2] = 5;
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::undecodable);
}

TEST(FrameDecoder, ListCountOverItsCapacityIsUndecodable) {
  // FindSuccessorReply = [flag][type][id 8][responder 20][hop][status][count 8]...
  Bytes payload = testing::payload_of(FindSuccessorReply{1, NodeId(), 0, LookupStatus::next, {}});
  testing::patch_u64_le(payload, 32, lookup_peers_max + 1);
  payload.resize(payload.size() + 200 * sizeof(Peer), 0);
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::undecodable);
}

TEST(FrameDecoder, StringSizeOverItsMaximumOrTheBytesLeftIsUndecodable) {
  // DhtGetReply = [flag][type][id 8][status][lease 4][size tag 8][value]
  Bytes payload = testing::payload_of(DhtGetReply{1, DhtStatus::ok, 5, "abc"});
  testing::patch_u64_le(payload, 15, record_value_bytes_max + 1);
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::undecodable);
  testing::patch_u64_le(payload, 15, 4);  // within the maximum, one byte more than is there
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::undecodable);
  testing::patch_u64_le(payload, 15, ~0ULL);
  EXPECT_EQ(first_error(testing::raw_frame(payload)), Errc::undecodable);
}

TEST(FrameDecoder, DecodingGoesOnAfterAFrameWithABadPayload) {
  Bytes bad = testing::payload_of(Ping{5});
  bad.push_back(1);
  Bytes bytes = testing::raw_frame(bad);
  encode_frame(Ping{7}, bytes);
  FrameDecoder decoder;
  decoder.feed(bytes);
  auto first = decoder.next();
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, Errc::trailing_bytes);
  EXPECT_FALSE(decoder.failed());
  auto second = decoder.next();
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ(**second, Message(Ping{7}));
}

}  // namespace
}  // namespace chord
