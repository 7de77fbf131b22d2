#pragma once

// What a fuzz target asserts besides the sanitizers: a broken property aborts, so libFuzzer (or
// replay_main.cpp) reports the input that broke it. Active in every build type.

#include <cstdio>
#include <cstdlib>

#define FUZZ_REQUIRE(cond)                                                                 \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: fuzz property broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)
