#include "core/assert.h"

#include <cstdio>
#include <cstdlib>

namespace chord::detail {

void assertion_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace chord::detail
