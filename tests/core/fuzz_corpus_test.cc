// Replays the fuzz corpus (tests/fuzz/corpus) through the fuzz target's property, so every
// build, gcc and ASan included, runs what the fuzzer found interesting.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/fuzz/frame_decoder_check.h"

namespace chord {
namespace {

TEST(FuzzCorpus, EveryInputKeepsTheDecoderProperty) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(CHORDCHAT_FUZZ_CORPUS)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 21u) << "the seed corpus holds at least one frame per message type";
  fuzz::CheckStats stats;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
    std::string why;
    EXPECT_TRUE(fuzz::check_frame_decoder(data, stats, why)) << file << ": " << why;
  }
  // The seeds alone decode to at least one message of every type.
  EXPECT_GE(stats.messages, 21u);
  EXPECT_GT(stats.errors, 0u) << "the corpus should hold malformed inputs too";
  EXPECT_GE(stats.records, 2u) << "a signed record, alone and in a put";
}

}  // namespace
}  // namespace chord
