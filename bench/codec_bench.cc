// Encode and decode throughput per message type, and the cost of encoded_frame_size (which
// the simulator calls for every message it accounts).
//   build/release/bench/codec_bench --benchmark_min_time=0.05
#include <benchmark/benchmark.h>

#include "core/codec.h"
#include "tests/core/message_samples.h"

namespace {

chord::Message sample(std::size_t type) {
  chord::testing::SampleRandom random(type + 1);
  return chord::testing::sample_message(type, random);
}

void encode(benchmark::State& state) {
  const chord::Message message = sample(static_cast<std::size_t>(state.range(0)));
  state.SetLabel(chord::message_name(message));
  std::vector<std::uint8_t> out;
  out.reserve(64 * 1024);
  for (auto _ : state) {
    out.clear();
    chord::encode_frame(message, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void decode(benchmark::State& state) {
  const chord::Message message = sample(static_cast<std::size_t>(state.range(0)));
  state.SetLabel(chord::message_name(message));
  std::vector<std::uint8_t> frame;
  chord::encode_frame(message, frame);
  chord::FrameDecoder decoder;
  for (auto _ : state) {
    decoder.feed(frame);
    auto next = decoder.next();
    if (!next || !next->has_value()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(next);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}

void encoded_size(benchmark::State& state) {
  const chord::Message message = sample(static_cast<std::size_t>(state.range(0)));
  state.SetLabel(chord::message_name(message));
  for (auto _ : state)
    benchmark::DoNotOptimize(chord::encoded_frame_size(message));
}

BENCHMARK(encode)->DenseRange(0, chord::testing::message_types - 1);
BENCHMARK(decode)->DenseRange(0, chord::testing::message_types - 1);
BENCHMARK(encoded_size)->DenseRange(0, chord::testing::message_types - 1);

}  // namespace

BENCHMARK_MAIN();
