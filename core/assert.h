// CHORD_ASSERT: an invariant of the program, checked in every build type.
//
// For programmer errors only: a failed assertion means the code is wrong, so the process
// stops with the condition and its place. Bad input from the network or a file is an Error
// value (core/result.h), never an assertion. One condition per assertion; no side effects.
#pragma once

namespace chord::detail {
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line);
}  // namespace chord::detail

#define CHORD_ASSERT(condition)                                          \
  do {                                                                   \
    if (!(condition)) [[unlikely]] {                                     \
      ::chord::detail::assertion_failed(#condition, __FILE__, __LINE__); \
    }                                                                    \
  } while (false)
