# Sanitizer and fuzzing builds (docs/fuzzing.md). Both are off by default: the ordinary build is
# untouched by this file.
#
#   SALESOS_SANITIZE=ON  AddressSanitizer + UndefinedBehaviorSanitizer on every target; any UB
#                        report aborts the test (no recovery), frame pointers kept for stacks.
#   SALESOS_FUZZ=ON      clang only; implies SALESOS_SANITIZE. Every target is compiled with
#                        libFuzzer's coverage instrumentation (-fsanitize=fuzzer-no-link) and
#                        tests/fuzz adds one libFuzzer executable per target (<name>_fuzz).
#
# tests/sanitize/run.sh and tests/fuzz/run.sh configure such a build (build-fuzz/) with clang.

option(SALESOS_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(SALESOS_FUZZ "Build the libFuzzer targets of tests/fuzz (clang; implies SALESOS_SANITIZE)" OFF)

if(SALESOS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SALESOS_FUZZ=ON needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++ (./salesos fuzz does)")
  endif()
  if(NOT SALESOS_SANITIZE)
    message(STATUS "SALESOS_FUZZ=ON turns SALESOS_SANITIZE on")
    set(SALESOS_SANITIZE ON CACHE BOOL "Build with AddressSanitizer and UndefinedBehaviorSanitizer" FORCE)
  endif()
endif()

if(SALESOS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(SALESOS_FUZZ)
  # Coverage feedback for libFuzzer in the code under test; the fuzz executables alone link
  # libFuzzer itself (-fsanitize=fuzzer, tests/fuzz/CMakeLists.txt).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# The code protoc generates (salesos_proto, about 4 MB of C++) is protobuf's, tested by protobuf;
# UBSan checks and coverage on it would triple the build for nothing the fuzzers or tests look
# for. It keeps AddressSanitizer (our code's bad reads of its objects are still caught) at -O0.
function(salesos_sanitize_generated_code)
  if(TARGET salesos_proto)
    target_compile_options(salesos_proto PRIVATE -O0 -fno-sanitize=undefined
                                                 -fno-sanitize=fuzzer-no-link)
  endif()
endfunction()
if(SALESOS_SANITIZE)
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL salesos_sanitize_generated_code)
endif()
