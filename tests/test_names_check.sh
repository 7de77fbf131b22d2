#!/usr/bin/env bash
# Every Catch2 test name must be runnable by ctest: catch_discover_tests turns a name into a CMake
# list element, so a ';' splits it in two tests that each match nothing and "pass" without running.
set -euo pipefail
build_dir="$1"
bad=0
while IFS= read -r -d '' bin; do
  while IFS= read -r name; do
    echo "$(basename "$bin"): test name with ';' (ctest would never run it): $name" >&2
    bad=1
  done < <("$bin" --list-test-names-only 2>/dev/null | grep ';' || true)
done < <(find "$build_dir/tests" -type f -executable -name '*_test' -print0)
exit "$bad"
