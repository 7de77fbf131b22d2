#!/usr/bin/env bash
# bench/run.sh: the SalesOS HTTP benchmark (see bench/README.md). `./salesos bench [args]` builds
# and then execs this script with its arguments.
#
# Starts a private stack in a temporary directory (Redis on a unix socket, the six services, the
# gateway; all on port 0), registers one user, measures the idle RSS of the seven processes, runs
# wrk against GET /api/v1/auth/me and POST /api/v1/auth/login, prints the medians and writes them
# into the marked section of bench/RESULTS.md. Everything it started is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
BUILD_DIR="${SALESOS_BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin"
SERVICES=(auth campaign conversation webhook_ingest ai_orchestration analytics)

BENCH_EMAIL="bench@example.com"
BENCH_PASSWORD="correct horse battery"

BEGIN_MARK="<!-- BEGIN bench/run.sh results: everything up to the END marker is replaced on every run -->"
END_MARK="<!-- END bench/run.sh results -->"

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  cat <<EOF
usage: bench/run.sh [options]        (or: ./salesos bench [options])

  --connections N        connections for GET /api/v1/auth/me       [\$SALESOS_BENCH_CONNECTIONS, 64]
  --login-connections N  connections for POST /api/v1/auth/login   [\$SALESOS_BENCH_LOGIN_CONNECTIONS, 8]
  --threads N            wrk threads (capped at the connections)   [\$SALESOS_BENCH_THREADS, 2]
  --duration S           seconds per measured run                  [\$SALESOS_BENCH_DURATION, 10]
  --runs N               measured runs per endpoint (median kept)  [\$SALESOS_BENCH_RUNS, 3]
  --warmup S             unmeasured warm-up seconds per endpoint   [\$SALESOS_BENCH_WARMUP, 2]
  --timeout S            wrk request timeout (seconds)             [\$SALESOS_BENCH_TIMEOUT, 5]
  --only me|login        run one endpoint only                     [\$SALESOS_BENCH_ONLY, both]
  --results FILE         file whose marked section is replaced     [\$SALESOS_BENCH_RESULTS, bench/RESULTS.md]
  --no-write             print the results, leave RESULTS.md alone
  --keep                 keep the temporary directory (logs, wrk output) for inspection
  -h, --help             this text

A run with non-2xx/3xx answers, socket errors or timeouts fails: nothing is written and the exit
status is 1. Defaults take about 80 s plus start-up.
EOF
}

# ---------------------------------------------------------------------------------------------
# Arguments

CONNECTIONS="${SALESOS_BENCH_CONNECTIONS:-64}"
LOGIN_CONNECTIONS="${SALESOS_BENCH_LOGIN_CONNECTIONS:-8}"
THREADS="${SALESOS_BENCH_THREADS:-2}"
DURATION="${SALESOS_BENCH_DURATION:-10}"
RUNS="${SALESOS_BENCH_RUNS:-3}"
WARMUP="${SALESOS_BENCH_WARMUP:-2}"
TIMEOUT="${SALESOS_BENCH_TIMEOUT:-5}"
ONLY="${SALESOS_BENCH_ONLY:-}"
RESULTS="${SALESOS_BENCH_RESULTS:-$BENCH/RESULTS.md}"
WRITE=1
KEEP=0

while [ $# -gt 0 ]; do
  # Both "--name value" and "--name=value".
  opt="$1"; shift
  case "$opt" in
    --*=*) set -- "${opt#*=}" "$@"; opt="${opt%%=*}"; inline=1 ;;
    *) inline=0 ;;
  esac
  case "$opt" in
    --connections|--login-connections|--threads|--duration|--runs|--warmup|--timeout|--only|--results)
      [ $# -ge 1 ] || { say "$opt needs a value (see --help)"; exit 2; }
      val="$1"; shift ;;
    *) [ "$inline" -eq 0 ] || { say "$opt takes no value"; exit 2; } ;;
  esac
  case "$opt" in
    --connections) CONNECTIONS="$val" ;;
    --login-connections) LOGIN_CONNECTIONS="$val" ;;
    --threads) THREADS="$val" ;;
    --duration) DURATION="${val%s}" ;;
    --runs) RUNS="$val" ;;
    --warmup) WARMUP="${val%s}" ;;
    --timeout) TIMEOUT="${val%s}" ;;
    --only) ONLY="$val" ;;
    --results) RESULTS="$val" ;;
    --no-write) WRITE=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) say "unknown argument: $opt"; usage >&2; exit 2 ;;
  esac
done

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
for pair in "connections:$CONNECTIONS" "login-connections:$LOGIN_CONNECTIONS" "threads:$THREADS" \
            "duration:$DURATION" "runs:$RUNS" "timeout:$TIMEOUT"; do
  if ! is_uint "${pair#*:}" || [ "${pair#*:}" -lt 1 ]; then say "--${pair%%:*} must be a whole number >= 1 (got '${pair#*:}')"; exit 2; fi
done
is_uint "$WARMUP" || { say "--warmup must be a whole number >= 0 (got '$WARMUP')"; exit 2; }
case "$ONLY" in
  "") BENCHES=(me login) ;;
  me|login) BENCHES=("$ONLY") ;;
  *) say "--only must be 'me' or 'login' (got '$ONLY')"; exit 2 ;;
esac

for tool in wrk redis-server redis-cli curl awk sed timeout; do
  command -v "$tool" >/dev/null || die "$tool not found (./salesos deps installs it)"
done
for b in gateway "${SERVICES[@]}"; do
  [ -x "$BIN/salesos-${b//_/-}" ] || die "$BIN/salesos-${b//_/-} is missing: build first (./salesos build or ./salesos bench)"
done

# ---------------------------------------------------------------------------------------------
# Private stack

TMP="$(mktemp -d "${TMPDIR:-/tmp}/salesos-bench.XXXXXX")"
LOGS="$TMP/logs"; mkdir -p "$LOGS"
REDIS_SOCK="$TMP/redis.sock"
[ ${#REDIS_SOCK} -lt 100 ] || { rm -rf "$TMP"; die "temporary path too long for a unix socket: $REDIS_SOCK (set TMPDIR)"; }

PIDS=()   # start order: redis, services, gateway
NAMES=()
WRK_PID=""

stop_pid() {   # stop_pid PID...: TERM, up to 10 s, then KILL; reaps them
  local p n
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    n=0
    while kill -0 "$p" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$WRK_PID" ] && stop_pid "$WRK_PID"
  local i gw=() svc=() redis=()
  for i in "${!NAMES[@]}"; do
    case "${NAMES[$i]}" in
      gateway) gw+=("${PIDS[$i]}") ;;
      redis) redis+=("${PIDS[$i]}") ;;
      *) svc+=("${PIDS[$i]}") ;;
    esac
  done
  # Gateway first, then the services, Redis last.
  [ ${#gw[@]} -eq 0 ] || stop_pid "${gw[@]}"
  [ ${#svc[@]} -eq 0 ] || stop_pid "${svc[@]}"
  [ ${#redis[@]} -eq 0 ] || stop_pid "${redis[@]}"
  if [ "$KEEP" -eq 1 ]; then say "kept $TMP (logs in $LOGS)"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

log_tail() { say "last lines of $1:"; tail -n 20 "$1" >&2 || true; }

# Waits (bounded) for a port file to appear; prints its content. Same approach as `salesos up`.
wait_port_file() {
  local file="$1" pid="$2" name="$3" log="$4" limit="${5:-30}" i=0
  while [ ! -s "$file" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "$name exited during start-up"; log_tail "$log"; return 1
    fi
    i=$((i + 1))
    if [ "$i" -gt $((limit * 10)) ]; then
      say "$name did not write $file within ${limit}s"; log_tail "$log"; return 1
    fi
    sleep 0.1
  done
  cat "$file"
}

start() {   # start NAME CMD...: runs CMD in the background, logging to $LOGS/NAME.log
  local name="$1"; shift
  "$@" > "$LOGS/$name.log" 2>&1 &
  PIDS+=($!); NAMES+=("$name")
}

pid_of() {
  local i
  for i in "${!NAMES[@]}"; do [ "${NAMES[$i]}" = "$1" ] && { echo "${PIDS[$i]}"; return; }; done
  return 1
}

check_alive() {
  local i
  for i in "${!NAMES[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      say "${NAMES[$i]} (pid ${PIDS[$i]}) exited"; log_tail "$LOGS/${NAMES[$i]}.log"; return 1
    fi
  done
}

say "private stack in $TMP"
start redis redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 --dir "$TMP" \
  --save "" --appendonly no --daemonize no --loglevel warning
n=0
until redis-cli -s "$REDIS_SOCK" ping >/dev/null 2>&1; do
  kill -0 "${PIDS[0]}" 2>/dev/null || { say "redis-server exited"; log_tail "$LOGS/redis.log"; exit 1; }
  n=$((n + 1)); [ $n -le 100 ] || { say "redis-server did not answer within 10s"; log_tail "$LOGS/redis.log"; exit 1; }
  sleep 0.1
done
REDIS_URL="unix://$REDIS_SOCK"

# Default settings, as `./salesos up` runs them (info logs, the gateway's access log on), with
# the services on Unix sockets as `up` puts them.
common=(--data-dir="$TMP" --redis-url="$REDIS_URL")
# The token from the registration is used for the whole run: make it outlive any --duration/--runs.
start auth "$BIN/salesos-auth" --listen="unix:$TMP/auth.sock" --port-file="$TMP/auth.port" "${common[@]}" \
  --access-token-ttl-seconds=86400
declare -A ADDR
ADDR[auth]="$(wait_port_file "$TMP/auth.port" "$(pid_of auth)" auth "$LOGS/auth.log")" || die "start-up failed"
for s in "${SERVICES[@]:1}"; do
  start "$s" "$BIN/salesos-${s//_/-}" --listen="unix:$TMP/$s.sock" --port-file="$TMP/$s.port" "${common[@]}" \
    --auth-addr="${ADDR[auth]}"
done
for s in "${SERVICES[@]:1}"; do
  ADDR[$s]="$(wait_port_file "$TMP/$s.port" "$(pid_of "$s")" "$s" "$LOGS/$s.log")" || die "start-up failed"
done
# One user on one address would hit the rate limits at once: raise them out of the way (the limiter
# still runs on every request, so its cost is in the figures).
gw_args=(--http-addr=127.0.0.1:0 --port-file="$TMP/gateway.port" --redis-url="$REDIS_URL"
         --rate-limit-user-per-min="${SALESOS_BENCH_RL:-1000000}" --rate-limit-ip-per-min="${SALESOS_BENCH_RL:-1000000}")
for s in "${SERVICES[@]}"; do gw_args+=(--"${s//_/-}"-addr="${ADDR[$s]}"); done
start gateway "$BIN/salesos-gateway" "${gw_args[@]}"
GW="$(wait_port_file "$TMP/gateway.port" "$(pid_of gateway)" gateway "$LOGS/gateway.log")" || die "start-up failed"
URL="http://$GW"

# Ready means /readyz answers 200 (every service and Redis answer).
n=0
until [ "$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$URL/readyz" 2>/dev/null || true)" = 200 ]; do
  kill -0 "$(pid_of gateway)" 2>/dev/null || { say "gateway exited"; log_tail "$LOGS/gateway.log"; exit 1; }
  n=$((n + 1))
  if [ $n -gt 300 ]; then
    say "not ready after 30s; /readyz says:"; curl -sS -m 2 "$URL/readyz" >&2 || true; echo >&2
    for s in gateway "${SERVICES[@]}"; do log_tail "$LOGS/$s.log"; done
    exit 1
  fi
  sleep 0.1
done
say "stack ready: $URL"

# ---------------------------------------------------------------------------------------------
# The benchmark user

http() {   # http METHOD PATH [BODY] [HEADER]: prints the body, then a last line with the status
  local method="$1" path="$2" body="${3:-}" header="${4:-}"
  local args=(-sS -m 30 -X "$method" -w '\n%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  [ -n "$header" ] && args+=(-H "$header")
  curl "${args[@]}" "$URL$path"
}
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

reply="$(http POST /api/v1/auth/register \
  "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\",\"name\":\"Bench\",\"businessName\":\"Bench Co\"}")" \
  || die "register: curl failed"
[[ "$(status_of "$reply")" == 2?? ]] || die "register answered $(status_of "$reply"): $(body_of "$reply")"
TOKEN="$(body_of "$reply" | sed -n 's/.*"accessToken"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)"
[ -n "$TOKEN" ] || die "register: no accessToken in $(body_of "$reply")"

# One request of each kind first, so a broken route fails here and not as a wall of non-2xx.
reply="$(http GET /api/v1/auth/me "" "Authorization: Bearer $TOKEN")" || die "me: curl failed"
[ "$(status_of "$reply")" = 200 ] || die "GET /api/v1/auth/me answered $(status_of "$reply"): $(body_of "$reply")"
reply="$(http POST /api/v1/auth/login "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}")" || die "login: curl failed"
[ "$(status_of "$reply")" = 200 ] || die "POST /api/v1/auth/login answered $(status_of "$reply"): $(body_of "$reply")"

# ---------------------------------------------------------------------------------------------
# Idle RSS (after start-up and the registration, before any load)

PROCS=(gateway "${SERVICES[@]}")
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }   # status_kib PID VmRSS
pss_kib() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || true; }
declare -A RSS_IDLE RSS_ANON RSS_FILE PSS_IDLE RSS_AFTER RSS_PEAK
sleep 1
check_alive || exit 1
for p in "${PROCS[@]}"; do
  pid="$(pid_of "$p")"
  RSS_IDLE[$p]="$(status_kib "$pid" VmRSS)"; RSS_ANON[$p]="$(status_kib "$pid" RssAnon)"
  RSS_FILE[$p]="$(status_kib "$pid" RssFile)"; PSS_IDLE[$p]="$(pss_kib "$pid")"
done

# ---------------------------------------------------------------------------------------------
# Load

to_ms() {   # wrk duration ("812.00us", "2.31ms", "1.02s", "1.50m") -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v; sub(/[a-z]+$/, "", n); u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
    if (n == "" || f < 0) exit 1
    printf "%.3f", n * f }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) printf "%.3f", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# CPU ticks of the whole machine (user+nice+system) and of this benchmark (the stack plus
# finished children of this shell, i.e. wrk), to tell how much other processes took meanwhile.
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4; exit }' /proc/stat; }
own_ticks() {
  local t=0 p f
  for p in "${PIDS[@]}"; do
    # utime and stime are fields 14 and 15; strip "pid (comm) " first (comm may hold spaces).
    f="$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null)" || continue
    t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
  done
  f="$(sed 's/^.*) //' "/proc/$$/stat")"
  echo $((t + $(awk '{ print $14 + $15 }' <<<"$f")))   # cutime, cstime of this shell
}
TICKS_PER_S="$(getconf CLK_TCK)"
NPROC="$(nproc)"

bench_path() { case "$1" in me) echo /api/v1/auth/me ;; login) echo /api/v1/auth/login ;; esac; }
bench_label() { case "$1" in me) echo "GET /api/v1/auth/me" ;; login) echo "POST /api/v1/auth/login" ;; esac; }
bench_conns() { case "$1" in me) echo "$CONNECTIONS" ;; login) echo "$LOGIN_CONNECTIONS" ;; esac; }
bench_threads() { local c; c="$(bench_conns "$1")"; [ "$THREADS" -le "$c" ] && echo "$THREADS" || echo "$c"; }

# run_wrk NAME SECONDS OUT: one wrk run; its exit status is wrk's.
run_wrk() {
  local name="$1" secs="$2" out="$3" rc=0
  SALESOS_BENCH_TOKEN="$TOKEN" SALESOS_BENCH_EMAIL="$BENCH_EMAIL" SALESOS_BENCH_PASSWORD="$BENCH_PASSWORD" \
    timeout -k 5 $((secs + TIMEOUT + 30)) \
    wrk -t "$(bench_threads "$name")" -c "$(bench_conns "$name")" -d "${secs}s" --timeout "${TIMEOUT}s" \
        --latency -s "$BENCH/wrk/$name.lua" "$URL$(bench_path "$name")" > "$out" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  return "$rc"
}

# parse_wrk OUT: prints "reqs p50_ms p99_ms requests non2xx socket_errors", or fails.
parse_wrk() {
  local out="$1" rps p50 p99 total non2xx sock
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
  p50="$(awk '/Latency Distribution/ { d = 1; next } d && $1 == "50%" { print $2; exit }' "$out")"
  p99="$(awk '/Latency Distribution/ { d = 1; next } d && $1 == "99%" { print $2; exit }' "$out")"
  total="$(awk '/ requests in / { print $1; exit }' "$out")"
  non2xx="$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2; exit }' "$out")"
  sock="$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$out" \
          | awk '{ print $1 + $2 + $3 + $4 }')"
  [ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] && [ -n "$total" ] || return 1
  p50="$(to_ms "$p50")" && p99="$(to_ms "$p99")" || return 1
  echo "$rps $p50 $p99 $total ${non2xx:-0} ${sock:-0}"
}

FAILED=0
declare -A RES_RPS RES_P50 RES_P99 RES_RUNS RES_FAIL RES_OTHER
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

for name in "${BENCHES[@]}"; do
  label="$(bench_label "$name")"
  if [ "$WARMUP" -gt 0 ]; then
    say "$label: warm-up ${WARMUP}s"
    run_wrk "$name" "$WARMUP" "$TMP/$name.warmup.txt" || true
  fi
  rps_l=(); p50_l=(); p99_l=(); other_l=(); fail_notes=()
  for ((r = 1; r <= RUNS; r++)); do
    out="$TMP/$name.$r.txt"
    m0="$(machine_ticks)"; o0="$(own_ticks)"; t0="$(date +%s.%N)"
    rc=0; run_wrk "$name" "$DURATION" "$out" || rc=$?
    m1="$(machine_ticks)"; o1="$(own_ticks)"; t1="$(date +%s.%N)"
    # CPU other processes used during the run, in % of the whole machine.
    other="$(awk -v m=$((m1 - m0)) -v o=$((o1 - o0)) -v t0="$t0" -v t1="$t1" -v hz="$TICKS_PER_S" -v n="$NPROC" \
      'BEGIN { x = (m - o) / (hz * n * (t1 - t0)) * 100; if (x < 0) x = 0; printf "%.0f", x }')"
    if ! parsed="$(parse_wrk "$out")" || [ "$rc" -ne 0 ]; then
      say "$label run $r/$RUNS: wrk failed (exit $rc); its output:"; sed 's/^/    /' "$out" >&2
      fail_notes+=("run $r: wrk failed (exit $rc)"); FAILED=1
      check_alive || exit 1
      continue
    fi
    read -r rps p50 p99 total non2xx sock <<<"$parsed"
    say "$(printf '%s run %d/%d: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %s requests, other processes %s%% CPU' \
      "$label" "$r" "$RUNS" "$rps" "$p50" "$p99" "$total" "$other")"
    if [ "$non2xx" != 0 ] || [ "$sock" != 0 ] || [ "$total" = 0 ]; then
      say "$label run $r/$RUNS FAILED: $non2xx non-2xx/3xx responses, $sock socket errors/timeouts; wrk output:"
      sed 's/^/    /' "$out" >&2
      fail_notes+=("run $r: $non2xx non-2xx/3xx, $sock socket errors"); FAILED=1
    fi
    rps_l+=("$rps"); p50_l+=("$p50"); p99_l+=("$p99"); other_l+=("$other")
    check_alive || exit 1
  done
  if [ ${#rps_l[@]} -gt 0 ]; then
    RES_RPS[$name]="$(median "${rps_l[@]}")"; RES_P50[$name]="$(median "${p50_l[@]}")"
    RES_P99[$name]="$(median "${p99_l[@]}")"; RES_OTHER[$name]="$(median "${other_l[@]}")"
    RES_RUNS[$name]="$(printf '%.0f / ' "${rps_l[@]}")"; RES_RUNS[$name]="${RES_RUNS[$name]% / }"
  fi
  RES_FAIL[$name]="$(IFS=';'; echo "${fail_notes[*]:-}")"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

check_alive || exit 1
for p in "${PROCS[@]}"; do
  RSS_AFTER[$p]="$(status_kib "$(pid_of "$p")" VmRSS)"
  RSS_PEAK[$p]="$(status_kib "$(pid_of "$p")" VmHWM)"
done

# ---------------------------------------------------------------------------------------------
# Report

mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
thousands() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s }'; }

report() {
  local when commit dirty model mem kernel os build_type sanitize
  when="$(date -u '+%Y-%m-%d %H:%M UTC')"
  commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  dirty=""
  [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=" (working tree has uncommitted changes)"
  model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  [ -n "$model" ] || model="$(LC_ALL=C lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')"
  mem="$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  kernel="$(uname -s) $(uname -r) ($(uname -m))"
  # shellcheck disable=SC1091
  os="$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}") || true)"
  build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)"
  sanitize="$(sed -n 's/^SALESOS_SANITIZE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)"

  echo "## Run of $when"
  echo
  echo "Commit \`$commit\`$dirty, build type ${build_type:-RelWithDebInfo (default)}, sanitizers ${sanitize:-OFF}."
  echo "wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }'), $(bench_threads me) thread(s), request timeout ${TIMEOUT}s, ${WARMUP}s unmeasured warm-up per endpoint; wrk runs on the same machine as the stack."
  echo
  echo "| benchmark | connections | duration | runs | median req/s | median p50 | median p99 | req/s per run | other processes' CPU | target |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  local name target status
  for name in "${BENCHES[@]}"; do
    if [ -z "${RES_RPS[$name]:-}" ]; then
      echo "| $(bench_label "$name") | $(bench_conns "$name") | ${DURATION} s | $RUNS | FAILED | | | | | ${RES_FAIL[$name]} |"
      continue
    fi
    target="—"
    if [ "$name" = me ]; then
      if awk -v r="${RES_RPS[$name]}" -v p="${RES_P99[$name]}" 'BEGIN { exit !(r >= 20000 && p <= 10) }'; then
        status=met; else status=missed; fi
      target="≥ 20,000 req/s, p99 ≤ 10 ms (2 cores): $status"
    fi
    [ -n "${RES_FAIL[$name]}" ] && target="FAILED: ${RES_FAIL[$name]}"
    printf '| %s | %s | %s s | %s | %s | %.2f ms | %.2f ms | %s | %.0f%% | %s |\n' \
      "$(bench_label "$name")" "$(bench_conns "$name")" "$DURATION" "$RUNS" "$(thousands "${RES_RPS[$name]}")" \
      "${RES_P50[$name]}" "${RES_P99[$name]}" "${RES_RUNS[$name]}" "${RES_OTHER[$name]}" "$target"
  done
  echo
  echo "Idle RSS is VmRSS after start-up and the registration, before any load, split into anonymous memory"
  echo "and file-backed pages (the executable and shared libraries, which the processes share); PSS counts"
  echo "shared pages once across processes. After load and peak (VmHWM) are read when the load is over."
  echo
  echo "| process | idle RSS | of which anon | of which file | idle PSS | RSS after load | peak RSS | idle RSS ≤ 20 MiB |"
  echo "|---|---|---|---|---|---|---|---|"
  local p total=0 total_anon=0 total_pss=0
  for p in "${PROCS[@]}"; do
    if [ "${RSS_IDLE[$p]}" -le $((20 * 1024)) ]; then status=met; else status=missed; fi
    total=$((total + RSS_IDLE[$p])); total_anon=$((total_anon + RSS_ANON[$p])); total_pss=$((total_pss + ${PSS_IDLE[$p]:-0}))
    echo "| ${p//_/-} | $(mib "${RSS_IDLE[$p]}") | $(mib "${RSS_ANON[$p]}") | $(mib "${RSS_FILE[$p]}") | $( [ -n "${PSS_IDLE[$p]}" ] && mib "${PSS_IDLE[$p]}" || echo n/a) | $(mib "${RSS_AFTER[$p]}") | $(mib "${RSS_PEAK[$p]}") | $status |"
  done
  echo "| total (7 processes) | $(mib "$total") | $(mib "$total_anon") | | $(mib "$total_pss") | | | |"
  echo
  echo "Machine: $NPROC CPUs ($(nproc --all) online), ${model:-unknown CPU}, $mem memory, $kernel${os:+, $os}."
  echo "Load average (1/5/15 min) before the load: $LOAD_BEFORE; after (counts the benchmark itself): $LOAD_AFTER."
}

REPORT="$TMP/report.md"
report > "$REPORT"
echo
cat "$REPORT"
echo

if [ "$FAILED" -ne 0 ]; then
  say "FAILED: at least one run had errors (see above); $RESULTS not updated"
  exit 1
fi
if [ "$WRITE" -eq 0 ]; then
  say "--no-write: $RESULTS not updated"
  exit 0
fi

if [ ! -f "$RESULTS" ]; then
  cat > "$RESULTS" <<'EOF'
# SalesOS benchmark results

Written by `bench/run.sh`; see [README.md](README.md) for what is measured, the targets and how to
read the tables. To reproduce on a machine with the repository:

```
./salesos bench                                   # defaults: 64 connections on /me, 8 on login, 2 threads, 3 runs of 10 s
./salesos bench --connections 64 --login-connections 8 --duration 10 --runs 3
```

The section between the markers below is replaced by every run (the latest run only); anything
outside of it is kept.

EOF
fi
section="$TMP/section.md"
{ echo "$BEGIN_MARK"; cat "$REPORT"; echo "$END_MARK"; } > "$section"
new="$(mktemp "$(dirname "$RESULTS")/.RESULTS.md.XXXXXX")"
if grep -qxF "$BEGIN_MARK" "$RESULTS" && grep -qxF "$END_MARK" "$RESULTS"; then
  awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v f="$section" '
    $0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
    $0 == e { skip = 0; next }
    !skip' "$RESULTS" > "$new"
else
  { cat "$RESULTS"; cat "$section"; } > "$new"
fi
chmod 644 "$new"
mv "$new" "$RESULTS"
say "results written to $RESULTS"
