// libFuzzer target for the frame decoder. Build with the `fuzz` preset (clang) and run:
//   build/fuzz/tests/fuzz/frame_decoder_fuzz tests/fuzz/corpus -max_total_time=300
// Crashes, sanitizer reports and violated properties (tests/fuzz/frame_decoder_check.h)
// are findings.
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/frame_decoder_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  chord::fuzz::CheckStats stats;
  std::string why;
  if (!chord::fuzz::check_frame_decoder({data, size}, stats, why)) {
    std::fprintf(stderr, "property violated: %s\n", why.c_str());
    std::abort();
  }
  return 0;
}
