// Writes the seed corpus for frame_decoder_fuzz: one frame per message type, a stream of
// many frames, and a few malformed frames. Run once; the fuzzer adds what it finds.
//   build/fuzz/tests/fuzz/make_fuzz_corpus tests/fuzz/corpus
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/codec.h"
#include "tests/core/message_samples.h"

namespace {

void write(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_corpus DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  chord::testing::SampleRandom random(2026);
  std::vector<std::uint8_t> stream;
  for (std::size_t type = 0; type < chord::testing::message_types; ++type) {
    chord::Message message = chord::testing::sample_message(type, random);
    if (auto* text = std::get_if<chord::ChatText>(&message)) text->text.resize(20);
    std::vector<std::uint8_t> frame;
    chord::encode_frame(message, frame);
    write(dir + "/seed-" + chord::message_name(message), frame);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  write(dir + "/seed-stream", stream);
  write(dir + "/seed-too-long", {0x7f, 0xff, 0xff, 0xff, 1});
  write(dir + "/seed-bad-version", {0, 0, 0, 3, 9, 1, 6});
  return 0;
}
