// Proves that a size claimed inside a frame does not become an allocation: the global
// operator new is replaced in this binary and records the largest single request and the
// total while a test holds an AllocationWatch.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "core/codec.h"
#include "tests/core/wire_test_util.h"

namespace {

std::atomic<bool> watching{false};
std::atomic<std::size_t> largest{0};
std::atomic<std::size_t> total{0};

void* allocate(std::size_t size) {
  if (watching.load(std::memory_order_relaxed)) {
    total.fetch_add(size, std::memory_order_relaxed);
    std::size_t seen = largest.load(std::memory_order_relaxed);
    while (size > seen && !largest.compare_exchange_weak(seen, size)) {
    }
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace chord {
namespace {

using testing::Bytes;

class AllocationWatch {
 public:
  AllocationWatch() {
    largest = 0;
    total = 0;
    watching = true;
  }
  ~AllocationWatch() { watching = false; }
  std::size_t largest_bytes() const { return largest.load(); }
  std::size_t total_bytes() const { return total.load(); }
};

// A decoder fed `frame` in one piece, the error it reports, and what it allocated.
struct Outcome {
  Errc code;
  std::size_t largest;
  std::size_t total;
};

Outcome decode_watched(const Bytes& frame) {
  FrameDecoder decoder;
  AllocationWatch watch;
  decoder.feed(frame);
  auto next = decoder.next();
  EXPECT_FALSE(next.has_value());
  return {next ? Errc::queue_full : next.error().code, watch.largest_bytes(), watch.total_bytes()};
}

TEST(CodecAllocation, TheCounterSeesAllocations) {
  AllocationWatch watch;
  auto* p = new std::vector<char>(100000);
  delete p;
  EXPECT_GE(watch.largest_bytes(), 100000u);  // the replacement is live in this binary
}

TEST(CodecAllocation, HugeStringSizeClaimAllocatesNothingOfThatSize) {
  // DhtGetReply = [flag][type][id 8][status][lease 4][size tag 8][value]
  Bytes payload = testing::payload_of(DhtGetReply{1, DhtStatus::ok, 5, "abc"});
  for (std::uint64_t claim : {std::uint64_t{1} << 40, std::uint64_t{1} << 62, ~std::uint64_t{0},
                              std::uint64_t{record_value_bytes_max}}) {
    testing::patch_u64_le(payload, 15, claim);
    const Bytes frame = testing::raw_frame(payload);
    const Outcome outcome = decode_watched(frame);
    EXPECT_EQ(outcome.code, Errc::undecodable) << claim;
    // What was allocated: the decoder's copy of the frame and the stream machinery.
    EXPECT_LT(outcome.largest, frame.size() + 1024) << claim;
    EXPECT_LT(outcome.total, 16u * 1024u) << claim;
  }
}

TEST(CodecAllocation, HugeChatTextClaimAllocatesNothingOfThatSize) {
  // ChatText = [flag][type][chat id 8][seq 8][size tag 8][text]
  Bytes payload = testing::payload_of(ChatText{1, 2, "hi"});
  testing::patch_u64_le(payload, 18, std::uint64_t{1} << 33);
  const Bytes frame = testing::raw_frame(payload);
  const Outcome outcome = decode_watched(frame);
  EXPECT_EQ(outcome.code, Errc::undecodable);
  EXPECT_LT(outcome.largest, frame.size() + 1024);
}

TEST(CodecAllocation, HugeListCountAllocatesNothingOfThatSize) {
  // RecordTransfer = [flag][type][id 8][kind][count 8]...
  Bytes payload = testing::payload_of(RecordTransfer{1, TransferKind::replica, {}});
  testing::patch_u64_le(payload, 11, std::uint64_t{1} << 50);
  const Bytes frame = testing::raw_frame(payload);
  const Outcome outcome = decode_watched(frame);
  EXPECT_EQ(outcome.code, Errc::undecodable);
  EXPECT_LT(outcome.largest, 16u * 1024u);
}

TEST(CodecAllocation, FrameLengthClaimIsNotReservedAhead) {
  // A header announcing the largest allowed frame, then only a few bytes: nothing of the
  // announced size is allocated while waiting for the rest.
  Bytes header = {0x00, 0x10, 0x00, 0x00, wire_version, 1, 6};
  FrameDecoder decoder;
  AllocationWatch watch;
  decoder.feed(header);
  auto next = decoder.next();
  ASSERT_TRUE(next.has_value());
  EXPECT_FALSE(next->has_value());
  EXPECT_LT(watch.largest_bytes(), 1024u);
  // And a claim over the limit is refused with no allocation of its size either.
  decoder = FrameDecoder();
  Bytes too_big = {0x7f, 0xff, 0xff, 0xff};
  decoder.feed(too_big);
  auto refused = decoder.next();
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Errc::frame_too_long);
  EXPECT_LT(watch.largest_bytes(), 1024u);
}

}  // namespace
}  // namespace chord
