#!/usr/bin/env bash
# Runs libFuzzer targets for a bounded time (docs/fuzzing.md).
#   tests/fuzz/run.sh <target|all> [seconds]     (seconds per target, default 60)
# Builds build-fuzz/ first when needed (clang, ASan + UBSan, Ninja, ccache). Each target starts from
# a temporary copy of its seed corpus and saved crash inputs (tests/fuzz/corpus/<target>,
# tests/fuzz/regressions/<target>): new inputs never land in the repository. Prints, per target,
# the executions, their rate and the coverage reached. Exits non-zero when a target crashes,
# leaks, trips a sanitizer or a property, naming the reproducer kept under build-fuzz/fuzz-crashes/.
# Environment: SALESOS_FUZZ_RSS_MB (default 2048), SALESOS_FUZZ_BUILD_DIR (default build-fuzz),
# SALESOS_FUZZ_SKIP_BUILD=1 runs the fuzzers build-fuzz/ holds without building,
# SALESOS_FUZZ_ARGS adds libFuzzer flags ("-jobs=2 -workers=2", "-only_ascii=1"),
# SALESOS_FUZZ_KEEP_CORPUS=<dir> keeps the grown corpus of each target under <dir>/<target>.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FUZZ_DIR="$ROOT/tests/fuzz"
# shellcheck source=../sanitize/build.sh
. "$ROOT/tests/sanitize/build.sh"

TARGETS=(meta_payload transcoder jwt csv_import segment_rules template)
usage() { echo "usage: tests/fuzz/run.sh <$(IFS='|'; echo "${TARGETS[*]}")|all> [seconds]" >&2; exit 2; }

[ $# -ge 1 ] || usage
which="$1"
seconds="${2:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage
if [ "$which" = all ]; then
  run=("${TARGETS[@]}")
else
  [[ " ${TARGETS[*]} " == *" $which "* ]] || usage
  run=("$which")
fi

if [ "${SALESOS_FUZZ_SKIP_BUILD:-0}" != 1 ]; then  # 1: run what build-fuzz/ holds
  sanitize_build "${run[@]/%/_fuzz}" >/dev/null || { echo "fuzz: the build failed" >&2; exit 1; }
fi

work="$(mktemp -d /tmp/salesos-fuzz.XXXXXX)"
trap 'rm -rf "$work"' EXIT
crashes="$SANITIZE_BUILD_DIR/fuzz-crashes"
failed=()
for t in "${run[@]}"; do
  corpus="$work/$t"
  mkdir -p "$corpus" "$crashes/$t"
  cp "$FUZZ_DIR/corpus/$t"/* "$corpus"/
  if [ -d "$FUZZ_DIR/regressions/$t" ] && ls "$FUZZ_DIR/regressions/$t"/* >/dev/null 2>&1; then
    cp "$FUZZ_DIR/regressions/$t"/* "$corpus"/
  fi
  args=(-max_total_time="$seconds" -rss_limit_mb="${SALESOS_FUZZ_RSS_MB:-2048}" -timeout=10
        -print_final_stats=1 -artifact_prefix="$crashes/$t/")
  [ -f "$FUZZ_DIR/dict/$t.dict" ] && args+=(-dict="$FUZZ_DIR/dict/$t.dict")
  # shellcheck disable=SC2206  # extra libFuzzer flags, split on spaces on purpose
  args+=(${SALESOS_FUZZ_ARGS:-})
  log="$work/$t.log"
  set +e
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$SANITIZE_BUILD_DIR/fuzz/${t}_fuzz" "${args[@]}" "$corpus" >"$log" 2>&1
  code=$?
  set -e
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)"
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  units="$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")"
  if [ -n "${SALESOS_FUZZ_KEEP_CORPUS:-}" ]; then
    mkdir -p "$SALESOS_FUZZ_KEEP_CORPUS/$t" && cp "$corpus"/* "$SALESOS_FUZZ_KEEP_CORPUS/$t"/
  fi
  if [ "$code" -eq 0 ]; then
    printf 'fuzz: %-14s %s runs in %ss (%s/s), coverage %s edges, %s features, corpus %s, peak %s MB\n' \
      "$t" "${runs:-?}" "$seconds" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${units:-?}" "${rss:-?}"
  else
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    echo "fuzz: $t FAILED (exit $code) after ${runs:-?} runs; the last lines of its log:" >&2
    grep -E 'ERROR|SUMMARY|fuzz property|runtime error|#[0-9]+ 0x' "$log" | head -n 30 >&2 || tail -n 30 "$log" >&2
    if [ -n "$artifact" ]; then
      echo "fuzz: reproducer: $artifact" >&2
      echo "fuzz:   replay it: $SANITIZE_BUILD_DIR/fuzz/${t}_fuzz $artifact" >&2
      echo "fuzz:   once fixed, keep it: cp $artifact tests/fuzz/regressions/$t/<what-it-broke>" >&2
    fi
    cp "$log" "$crashes/$t/last.log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (logs in $crashes/<target>/last.log)" >&2
  exit 1
fi
