# Fails if a file in core/ reaches the OS behind the Runtime interface's back: a clock, a
# thread, the environment, a file or unseeded randomness. See ../shared/STYLE.md §2.5.
file(GLOB sources "${CORE_DIR}/*.h" "${CORE_DIR}/*.cc")
set(forbidden
  "std::chrono::(system|steady|high_resolution)_clock" "<thread>" "std::thread" "<mutex>"
  "getenv" "<fstream>" "fopen" "std::random_device" "[^_a-z]rand\\(" "srand" "time\\(nullptr\\)"
  "gettimeofday" "clock_gettime" "std::uniform_int_distribution" "std::hash<")
set(violations "")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" lines)
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    foreach(pattern IN LISTS forbidden)
      if(line MATCHES "${pattern}")
        string(APPEND violations "${source}:${number}: '${pattern}' in core/: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
list(LENGTH sources count)
if(count EQUAL 0)
  message(FATAL_ERROR "core_purity: no sources found in ${CORE_DIR}")
endif()
if(violations)
  message(FATAL_ERROR "core_purity: core/ must reach the OS only through Runtime:\n${violations}")
endif()
message(STATUS "core_purity: ${count} files clean")
