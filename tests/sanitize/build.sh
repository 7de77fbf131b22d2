# Sourced by tests/sanitize/run.sh and tests/fuzz/run.sh: the clang ASan + UBSan (+ libFuzzer
# coverage) build both use, in one directory so the libraries compile once (docs/fuzzing.md).
#   sanitize_configure     configures $SANITIZE_BUILD_DIR when it has no build.ninja yet
#   sanitize_build T...    builds targets T... there
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SANITIZE_BUILD_DIR="${SALESOS_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"

sanitize_configure() {
  if [ -f "$SANITIZE_BUILD_DIR/build.ninja" ]; then
    return 0
  fi
  local cxx="${SALESOS_FUZZ_CXX:-clang++}"
  command -v "$cxx" >/dev/null || {
    echo "sanitize: $cxx not found (./salesos deps installs the SANITIZER_PACKAGES of ./salesos)" >&2
    return 1
  }
  # -O1 and line tables only: the sanitizers' stacks keep file:line, the build stays quick. No
  # NDEBUG, so assertions hold too.
  cmake -S "$ROOT" -B "$SANITIZE_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DSALESOS_SANITIZE=ON -DSALESOS_FUZZ=ON >/dev/null
}

sanitize_build() {
  sanitize_configure || return 1
  ninja -C "$SANITIZE_BUILD_DIR" -j "${SALESOS_BUILD_JOBS:-$(nproc)}" "$@"
}
