#!/usr/bin/env bash
# The AddressSanitizer + UndefinedBehaviorSanitizer run of CI (docs/fuzzing.md): a clang build of a
# named subset of the tests (build-fuzz/, shared with tests/fuzz/run.sh), run with ctest. Any
# sanitizer report fails its test: ASan aborts, UBSan halts (the build has
# -fno-sanitize-recover=undefined), LeakSanitizer checks at exit.
#   tests/sanitize/run.sh [ctest args]
# The subset is what fits CI's budget from a cold cache (measured in docs/fuzzing.md); the
# integration tests, which need every service binary built with ASan, are not in it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=build.sh
. "$ROOT/tests/sanitize/build.sh"

# The test binaries of the subset CI runs (each one's ctest tests are named "<binary>:<test
# case>"): the unit tests whose code the fuzz targets already build, so they cost little more than
# their own sources (docs/fuzzing.md has the measurements).
SUBSET=(core_test crypto_test store_test redis_test segments_test templates_test contract_test
        webhook_ingest_test)
# SALESOS_SANITIZE_MORE=1 adds the rest of tests/libs and tests/gateway: about 5 CPU-minutes more
# of cold build (auth_lib for rpc_test, the Beast test support for the others), over CI's budget.
if [ "${SALESOS_SANITIZE_MORE:-0}" = 1 ]; then
  SUBSET+=(rpc_test http_test metrics_test gateway_test)
fi
# Each fuzz target's replay of its corpus and saved crash inputs ("fuzz: <target> ...").
REPLAYS=(meta_payload_replay transcoder_replay jwt_replay csv_import_replay segment_rules_replay
         template_replay)

start=$SECONDS
sanitize_build "${SUBSET[@]}" "${REPLAYS[@]}" || { echo "sanitize: the build failed" >&2; exit 1; }
echo "sanitize: built in $((SECONDS - start))s" >&2

regex="^(fuzz|$(IFS='|'; echo "${SUBSET[*]}")):"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/tests/sanitize/lsan.supp:print_suppressions=0}"
start=$SECONDS
ctest --test-dir "$SANITIZE_BUILD_DIR" --output-on-failure -j "${SALESOS_TEST_JOBS:-$(nproc)}" \
  --timeout 600 -R "$regex" "$@"
echo "sanitize: tests ran in $((SECONDS - start))s" >&2
