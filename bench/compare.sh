#!/usr/bin/env bash
# bench/compare.sh: SalesOS side by side with the Node.js + Express + Socket.IO stack it replaces,
# and the machine's limits, in one run (issue 12; bench/README.md, "Side by side").
#
# Starts, in a temporary directory: a private Redis and the SalesOS stack (six services and the
# gateway, SQLite, as bench/run.sh runs them), a second private Redis and the Node peer
# (bench/peers/node), a local Graph API stand-in. Measures, each figure over --runs runs:
#   1. GET /api/v1/auth/me: wrk at fixed concurrency, and an open-loop generator at a fixed rate;
#   2. signed webhook ingest: ack p50/p99 at stepped rates, the highest rate held with p99 <= 5 ms;
#   3. webhook -> real-time client latency at --ws-rate;
#   4. fan-out to --fanout-clients clients of one workspace, memory per idle connection;
#   5. broadcasts (salesos-bench-broadcast; SalesOS only);
#   6. RSS of every process idle and under load 1;
#   7. the machine's limits: wrk against a static file, redis-benchmark PUBLISH/XADD, SQLite and
#      PostgreSQL single-row commits.
# Then writes a Markdown section (medians, min-max, ratios to the peer and to the limits, goals
# met/missed) and prints its path. Everything it started is stopped on exit, Ctrl-C included.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
BUILD_DIR="${SALESOS_BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin"
SERVICES=(auth campaign conversation webhook_ingest ai_orchestration analytics)
ALL_MEASURES="get webhook ws fanout broadcast limits"

say() { printf 'compare: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  cat <<EOF
usage: bench/compare.sh [options]          (./salesos bench runs it after bench/run.sh)

  --runs N             runs per figure (median, min, max)              [\$SALESOS_COMPARE_RUNS, 3]
  --duration S         seconds per run (wrk, fixed-rate GET, ws)       [\$SALESOS_COMPARE_DURATION, 5]
  --warmup S           unmeasured seconds before each GET series       [\$SALESOS_COMPARE_WARMUP, 2]
  --connections N      wrk connections (GET, static file)              [\$SALESOS_COMPARE_CONNECTIONS, 64]
  --threads N          wrk threads                                     [\$SALESOS_COMPARE_THREADS, 2]
  --get-rate R         fixed request rate for GET p99 (req/s)          [\$SALESOS_COMPARE_GET_RATE, 1000]
  --webhook-rates "R…" webhook rate steps (/s), stops at the first miss [\$SALESOS_COMPARE_WEBHOOK_RATES, "1000 2000 4000 6000 8000"]
  --webhook-duration S seconds per webhook step run                    [\$SALESOS_COMPARE_WEBHOOK_DURATION, 3]
  --ws-rate R          webhooks/s for webhook -> client latency        [\$SALESOS_COMPARE_WS_RATE, 500]
  --fanout-clients N   clients of one workspace                        [\$SALESOS_COMPARE_FANOUT_CLIENTS, 1000]
  --fanout-rate R      paced webhooks/s during fan-out                 [\$SALESOS_COMPARE_FANOUT_RATE, 10]
  --fanout-burst N     webhooks of the burst (throughput)              [\$SALESOS_COMPARE_FANOUT_BURST, 100]
  --only "m…"          measures to run, of: $ALL_MEASURES   [all]
  --out FILE           where the Markdown goes (raw figures: FILE.jsonl) [\$SALESOS_COMPARE_OUT, bench/results-compare.md]
  --keep               keep the temporary directory (logs, raw results)
  -h, --help           this text
EOF
}

RUNS="${SALESOS_COMPARE_RUNS:-3}"
DURATION="${SALESOS_COMPARE_DURATION:-5}"
WARMUP="${SALESOS_COMPARE_WARMUP:-2}"
CONNECTIONS="${SALESOS_COMPARE_CONNECTIONS:-64}"
THREADS="${SALESOS_COMPARE_THREADS:-2}"
GET_RATE="${SALESOS_COMPARE_GET_RATE:-1000}"
WEBHOOK_RATES="${SALESOS_COMPARE_WEBHOOK_RATES:-1000 2000 4000 6000 8000}"
WEBHOOK_DURATION="${SALESOS_COMPARE_WEBHOOK_DURATION:-3}"
WS_RATE="${SALESOS_COMPARE_WS_RATE:-500}"
FANOUT_CLIENTS="${SALESOS_COMPARE_FANOUT_CLIENTS:-1000}"
FANOUT_RATE="${SALESOS_COMPARE_FANOUT_RATE:-10}"
FANOUT_BURST="${SALESOS_COMPARE_FANOUT_BURST:-100}"
ONLY="$ALL_MEASURES"
OUT="${SALESOS_COMPARE_OUT:-}"
KEEP=0
while [ $# -gt 0 ]; do
  opt="$1"; shift
  case "$opt" in --*=*) set -- "${opt#*=}" "$@"; opt="${opt%%=*}" ;; esac
  case "$opt" in
    --keep) KEEP=1; continue ;;
    -h|--help) usage; exit 0 ;;
  esac
  [ $# -ge 1 ] || { usage >&2; die "$opt needs a value"; }
  val="$1"; shift
  case "$opt" in
    --runs) RUNS="$val" ;; --duration) DURATION="${val%s}" ;; --warmup) WARMUP="${val%s}" ;;
    --connections) CONNECTIONS="$val" ;; --threads) THREADS="$val" ;; --get-rate) GET_RATE="$val" ;;
    --webhook-rates) WEBHOOK_RATES="$val" ;; --webhook-duration) WEBHOOK_DURATION="${val%s}" ;;
    --ws-rate) WS_RATE="$val" ;; --fanout-clients) FANOUT_CLIENTS="$val" ;; --fanout-rate) FANOUT_RATE="$val" ;;
    --fanout-burst) FANOUT_BURST="$val" ;; --only) ONLY="$val" ;; --out) OUT="$val" ;;
    *) usage >&2; die "unknown argument: $opt" ;;
  esac
done
for v in RUNS DURATION CONNECTIONS THREADS GET_RATE WEBHOOK_DURATION WS_RATE FANOUT_CLIENTS FANOUT_RATE FANOUT_BURST; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$(tr '[:upper:]_' '[:lower:]-' <<<"$v") must be a whole number >= 1 (got '${!v}')"
done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "--warmup must be a whole number >= 0"
for r in $WEBHOOK_RATES; do [[ "$r" =~ ^[1-9][0-9]*$ ]] || die "--webhook-rates: '$r' is not a rate"; done
for m in $ONLY; do [[ " $ALL_MEASURES " == *" $m "* ]] || die "--only: unknown measure '$m' (of: $ALL_MEASURES)"; done
want() { [[ " $ONLY " == *" $1 "* ]]; }
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS="$CONNECTIONS"

for tool in node npm wrk redis-server redis-cli redis-benchmark sqlite3 cc curl awk; do
  command -v "$tool" >/dev/null || die "$tool not found (see bench/README.md, 'Side by side': what ./salesos deps installs)"
done
for b in gateway "${SERVICES[@]}"; do
  [ -x "$BIN/salesos-${b//_/-}" ] || die "$BIN/salesos-${b//_/-} is missing: build first (./salesos build)"
done
if want broadcast && [ ! -x "$BIN/salesos-bench-broadcast" ]; then
  die "$BIN/salesos-bench-broadcast is missing (built with the tests: ./salesos build)"
fi

# npm packages, exactly as locked (npm ci when the lock changed since the last install).
npm_ci() {
  local dir="$1"
  if [ ! -f "$dir/node_modules/.lock-installed" ] || ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.lock-installed"; then
    say "npm ci in ${dir#"$ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in $dir failed (the npm registry must be reachable)"
    cp "$dir/package-lock.json" "$dir/node_modules/.lock-installed"
  fi
}
npm_ci "$BENCH/peers/node"
npm_ci "$BENCH/clients"
CLIENTS="$BENCH/clients"

# ---------------------------------------------------------------------------------------------
# Processes

TMP="$(mktemp -d "${TMPDIR:-/tmp}/salesos-compare.XXXXXX")"
LOGS="$TMP/logs"; mkdir -p "$LOGS"
RESULTS="$TMP/results.jsonl"; : > "$RESULTS"
[ ${#TMP} -lt 80 ] || { rm -rf "$TMP"; die "temporary path too long for unix sockets: $TMP (set TMPDIR)"; }
PIDS=(); NAMES=()
BG_PID=""

stop_pid() {
  local p n
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    n=0
    while kill -0 "$p" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
# stop NAME...: stops those of the processes this script started (in the order given).
stop() {
  local name i
  for name in "$@"; do
    for i in "${!NAMES[@]}"; do
      if [ "${NAMES[$i]}" = "$name" ] && [ -n "${PIDS[$i]}" ]; then stop_pid "${PIDS[$i]}"; PIDS[$i]=""; fi
    done
  done
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$BG_PID" ] && stop_pid "$BG_PID"
  stop gateway peer "${SERVICES[@]}" graph static redis redis-peer redis-limits
  [ -n "${PG_STOP:-}" ] && { eval "$PG_STOP" >/dev/null 2>&1 || true; }
  [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
  if [ "$KEEP" -eq 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

start() {   # start NAME CMD...
  local name="$1"; shift
  "$@" > "$LOGS/$name.log" 2>&1 &
  PIDS+=($!); NAMES+=("$name")
}
pid_of() {
  local i
  for i in "${!NAMES[@]}"; do [ "${NAMES[$i]}" = "$1" ] && [ -n "${PIDS[$i]}" ] && { echo "${PIDS[$i]}"; return; }; done
  return 1
}
log_tail() { say "last lines of $1:"; tail -n 20 "$1" >&2 || true; }
wait_port_file() {   # wait_port_file FILE NAME: prints its content (bounded: 30 s)
  local file="$1" name="$2" i=0 pid
  pid="$(pid_of "$name")"
  while [ ! -s "$file" ]; do
    kill -0 "$pid" 2>/dev/null || { say "$name exited during start-up"; log_tail "$LOGS/$name.log"; return 1; }
    i=$((i + 1)); [ $i -le 300 ] || { say "$name did not write $file within 30 s"; log_tail "$LOGS/$name.log"; return 1; }
    sleep 0.1
  done
  cat "$file"
}
check_alive() {
  local i
  for i in "${!NAMES[@]}"; do
    [ -n "${PIDS[$i]}" ] || continue
    kill -0 "${PIDS[$i]}" 2>/dev/null || { say "${NAMES[$i]} (pid ${PIDS[$i]}) exited"; log_tail "$LOGS/${NAMES[$i]}.log"; return 1; }
  done
}
start_redis() {   # start_redis NAME SOCKET
  local dir="$TMP/$1"; mkdir -p "$dir"
  start "$1" redis-server --port 0 --unixsocket "$2" --unixsocketperm 700 --dir "$dir" \
    --save "" --appendonly no --daemonize no --loglevel warning
  local n=0
  until redis-cli -s "$2" ping >/dev/null 2>&1; do
    kill -0 "$(pid_of "$1")" 2>/dev/null || { log_tail "$LOGS/$1.log"; die "$1 exited"; }
    n=$((n + 1)); [ $n -le 100 ] || die "$1 did not answer within 10 s"
    sleep 0.1
  done
}

# CPU accounting: ticks of given pids; of this shell's finished children (the load generators).
TICKS="$(getconf CLK_TCK)"
pid_ticks() {
  local t=0 p f
  for p in "$@"; do
    f="$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null)" || continue
    t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
  done
  echo "$t"
}
# (of the current shell: $BASHPID, since `$(measured ...)` runs in a subshell that reaps the generator)
child_ticks() { sed 's/^.*) //' "/proc/${1:-$BASHPID}/stat" | awk '{ print $14 + $15 }'; }   # [PID]
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

record() { printf '%s\n' "$1" >> "$RESULTS"; }   # one JSON object a line

SECRET="bench-app-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
PASSWORD="correct horse battery"
EMAIL="bench-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')@example.com"

# ---------------------------------------------------------------------------------------------
# The stacks

say "temporary directory $TMP"
start graph node "$CLIENTS/fake_graph.js" "$TMP/graph.port"
GRAPH="$(wait_port_file "$TMP/graph.port" graph)" || exit 1

start_redis redis "$TMP/redis.sock"
# As bench/run.sh (default settings, Unix sockets), with the Meta app secret, the Graph stand-in
# and the AI's debounce at its maximum (60 s): the peer does no AI, so neither side does any
# during the measures (each of the 100 customers writes more often than that).
export SALESOS_META_APP_SECRET="$SECRET" SALESOS_META_VERIFY_TOKEN="verify-bench"
export SALESOS_GRAPH_API_BASE="http://$GRAPH/v21.0" SALESOS_AI_DEBOUNCE_MS=60000
common=(--data-dir="$TMP" --redis-url="unix://$TMP/redis.sock")
declare -A ADDR
# Every service gets every peer's address, as ./salesos up gives them (conversation resolves the
# campaign of a new conversation, auth's data manager reads the others...).
peers_of() {   # peers_of SERVICE: --<peer>-addr=unix:... for the others
  local p
  for p in "${SERVICES[@]}"; do [ "$p" = "$1" ] || printf -- '--%s-addr=unix:%s\n' "${p//_/-}" "$TMP/$p.sock"; done
}
mapfile -t peers < <(peers_of auth)
start auth "$BIN/salesos-auth" --listen="unix:$TMP/auth.sock" --port-file="$TMP/auth.port" "${common[@]}" "${peers[@]}"
ADDR[auth]="$(wait_port_file "$TMP/auth.port" auth)" || exit 1
for s in "${SERVICES[@]:1}"; do
  mapfile -t peers < <(peers_of "$s")
  start "$s" "$BIN/salesos-${s//_/-}" --listen="unix:$TMP/$s.sock" --port-file="$TMP/$s.port" "${common[@]}" "${peers[@]}"
done
for s in "${SERVICES[@]:1}"; do ADDR[$s]="$(wait_port_file "$TMP/$s.port" "$s")" || exit 1; done
RL="${SALESOS_BENCH_RL:-1000000}"
gw_args=(--http-addr=127.0.0.1:0 --port-file="$TMP/gateway.port" --redis-url="unix://$TMP/redis.sock"
         --rate-limit-user-per-min="$RL" --rate-limit-ip-per-min="$RL"
         --ws-max-per-workspace=$((FANOUT_CLIENTS + 50)) --ws-max-connections=$((FANOUT_CLIENTS + 1000)))
for s in "${SERVICES[@]}"; do gw_args+=(--"${s//_/-}"-addr="${ADDR[$s]}"); done
start_gateway() { rm -f "$TMP/gateway.port"; start gateway "$BIN/salesos-gateway" "${gw_args[@]}"; }
start_gateway
SALESOS="http://$(wait_port_file "$TMP/gateway.port" gateway)" || exit 1

start_redis redis-peer "$TMP/redis-peer.sock"
PEER_JWT="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
start_peer() {
  rm -f "$TMP/peer.port"
  start peer env REDIS_PATH="$TMP/redis-peer.sock" PEER_PORT_FILE="$TMP/peer.port" JWT_SECRET="$PEER_JWT" \
    META_APP_SECRET="$SECRET" META_VERIFY_TOKEN="verify-bench" node "$BENCH/peers/node/server.js"
}
start_peer
PEER="http://$(wait_port_file "$TMP/peer.port" peer)" || exit 1

n=0
until [ "$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$SALESOS/readyz" 2>/dev/null || true)" = 200 ]; do
  check_alive || exit 1
  n=$((n + 1)); [ $n -le 300 ] || { curl -sS -m 2 "$SALESOS/readyz" >&2 || true; die "SalesOS not ready after 30 s"; }
  sleep 0.1
done
say "SalesOS $SALESOS, peer $PEER"
SALESOS_PIDS=(); for p in gateway "${SERVICES[@]}"; do SALESOS_PIDS+=("$(pid_of "$p")"); done
PEER_PID="$(pid_of peer)"

# http BASE METHOD PATH [BODY] [TOKEN]: the body, then a last line with the status.
http() {
  local args=(-sS -m 30 -X "$2" -w '\n%{http_code}')
  [ -n "${4:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  [ -n "${5:-}" ] && args+=(-H "Authorization: Bearer $5")
  curl "${args[@]}" "$1$3"
}
json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }
expect_200() {   # expect_200 WHAT REPLY: prints the body
  [ "$(tail -n 1 <<<"$2")" = 200 ] || die "$1 answered $(tail -n 1 <<<"$2"): $(sed '$d' <<<"$2")"
  sed '$d' <<<"$2"
}
declare -A TOKEN PAGE URL_OF
URL_OF[salesos]="$SALESOS"; URL_OF[peer]="$PEER"
login() {   # login STACK: a fresh access token (both stacks' tokens last 15 minutes)
  local r
  r="$(expect_200 "$1 login" "$(http "${URL_OF[$1]}" POST /api/v1/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}")")" || exit 1
  TOKEN[$1]="$(json_field accessToken <<<"$r")"
}
for stack in salesos peer; do
  r="$(expect_200 "$stack register" "$(http "${URL_OF[$stack]}" POST /api/v1/auth/register \
    "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"name\":\"Bench\",\"businessName\":\"Bench Lamps\"}")")" || exit 1
  TOKEN[$stack]="$(json_field accessToken <<<"$r")"
  [ -n "${TOKEN[$stack]}" ] || die "$stack register: no accessToken"
  PAGE[$stack]="10$(od -An -N6 -tu2 /dev/urandom | tr -d ' \n' | cut -c1-13)"
  expect_200 "$stack connect page" "$(http "${URL_OF[$stack]}" POST /api/v1/integrations \
    "{\"platform\":\"facebook\",\"pageId\":\"${PAGE[$stack]}\",\"pageAccessToken\":\"EAAbench0000abcd\",\"pageName\":\"Bench Lamps\"}" \
    "${TOKEN[$stack]}")" >/dev/null || exit 1
  expect_200 "$stack me" "$(http "${URL_OF[$stack]}" GET /api/v1/auth/me "" "${TOKEN[$stack]}")" > "$TMP/$stack.me.json" || exit 1
  expect_200 "$stack campaigns" "$(http "${URL_OF[$stack]}" GET /api/v1/campaigns "" "${TOKEN[$stack]}")" >/dev/null || exit 1
done

# One signed webhook each, seen on a real-time client: the whole path works before measuring.
for stack in salesos peer; do
  out="$(BENCH_TOKEN="${TOKEN[$stack]}" BENCH_META_SECRET="$SECRET" node "$CLIENTS/ws_latency.js" --kind "$stack" \
    --url "${URL_OF[$stack]}" --page "${PAGE[$stack]}" --rate 20 --duration 1 --tag check --wait 15 2>"$LOGS/check-$stack.err")" \
    || { cat "$LOGS/check-$stack.err" >&2; die "$stack: the webhook -> client check failed"; }
  grep -q '"errors":0,"missing":0' <<<"$out" || die "$stack: webhook -> client check: $out"
done
say "both stacks answer; webhooks reach their clients"

# ---------------------------------------------------------------------------------------------
# 6. Idle RSS (after start-up, registration and the checks, before any load)

sleep 1
check_alive || exit 1
mem_snapshot() {   # mem_snapshot PHASE
  local p
  for p in gateway "${SERVICES[@]}" peer; do
    record "{\"measure\":\"rss\",\"phase\":\"$1\",\"process\":\"${p//_/-}\",\"kib\":$(rss_kib "$(pid_of "$p")")}"
  done
}
mem_snapshot idle

# ---------------------------------------------------------------------------------------------
# Helpers for the measures

wrk_ms() {   # wrk duration -> ms
  awk -v v="$1" 'BEGIN { n = v; sub(/[a-z]+$/, "", n); u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
    if (n == "" || f < 0) exit 1; printf "%.3f", n * f }'
}
# wrk_json OUT: {"rps":..,"p50":..,"p99":..,"requests":..,"bad":..} or fails
wrk_json() {
  local rps p50 p99 total non2xx sock
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$1")"
  p50="$(awk '/Latency Distribution/ { d = 1; next } d && $1 == "50%" { print $2; exit }' "$1")"
  p99="$(awk '/Latency Distribution/ { d = 1; next } d && $1 == "99%" { print $2; exit }' "$1")"
  total="$(awk '/ requests in / { print $1; exit }' "$1")"
  non2xx="$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2; exit }' "$1")"
  sock="$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$1" | awk '{ print $1 + $2 + $3 + $4 }')"
  [ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] || return 1
  printf '{"rps":%s,"p50":%s,"p99":%s,"requests":%s,"bad":%s}' "$rps" "$(wrk_ms "$p50")" "$(wrk_ms "$p99")" "${total:-0}" $(( ${non2xx:-0} + ${sock:-0} ))
}
stack_pids() { if [ "$1" = salesos ]; then echo "${SALESOS_PIDS[*]}"; else echo "$PEER_PID"; fi; }

# measured STACK CMD...: runs CMD (a load generator) as a child, prints
# "<load generator CPU %> <stack CPU %> <seconds>" of one core each, and CMD's stdout to $MEASURED_OUT.
MEASURED_OUT="$TMP/measured.out"
measured() {
  local stack="$1"; shift
  local pids c0 s0 t0 c1 s1 t1 rc=0 me="$BASHPID"
  read -r -a pids <<<"$(stack_pids "$stack")"
  c0="$(child_ticks "$me")"; s0="$(pid_ticks "${pids[@]}")"; t0="$(date +%s.%N)"
  "$@" > "$MEASURED_OUT" 2>>"$LOGS/generators.log" &
  BG_PID=$!
  wait "$BG_PID" || rc=$?
  BG_PID=""
  c1="$(child_ticks "$me")"; s1="$(pid_ticks "${pids[@]}")"; t1="$(date +%s.%N)"
  awk -v c=$((c1 - c0)) -v s=$((s1 - s0)) -v t0="$t0" -v t1="$t1" -v hz="$TICKS" \
    'BEGIN { w = (t1 - t0) * hz; printf "%.0f %.0f %.2f", c / w * 100, s / w * 100, t1 - t0 }'
  return "$rc"
}

# SalesOS acknowledges a webhook once it is in salesos:inbound; conversation stores it after, and
# the services' consumers of salesos:events (analytics, automations, outgoing webhooks...) follow.
# drain_salesos: waits (at most 120 s) until every consumer group of both streams has nothing
# left, so the next measure does not pay for the last one's work; prints seconds.
drain_salesos() {
  local t0 n=0 info lag pending stream
  t0="$(date +%s.%N)"
  while :; do
    lag=0; pending=0
    for stream in salesos:inbound salesos:events; do
      info="$(redis-cli -s "$TMP/redis.sock" XINFO GROUPS "$stream" 2>/dev/null || true)"
      lag=$((lag + $(awk 'p == "lag" { s += ($1 == "" ? 0 : $1) } { p = $1 } END { print s + 0 }' <<<"$info")))
      pending=$((pending + $(awk 'p == "pending" { s += $1 } { p = $1 } END { print s + 0 }' <<<"$info")))
    done
    [ "$lag" = 0 ] && [ "$pending" = 0 ] && break
    n=$((n + 1)); [ $n -le 1200 ] || { say "SalesOS streams not drained after 120 s (lag $lag, pending $pending)"; break; }
    sleep 0.1
  done
  awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.2f", t1 - t0 }'
}

# ---------------------------------------------------------------------------------------------
# 1. Authenticated GET

if want get; then
  for stack in salesos peer; do
    login "$stack"
    url="${URL_OF[$stack]}/api/v1/auth/me"
    wrk_cmd=(wrk -t "$THREADS" -c "$CONNECTIONS" --timeout 5s --latency -s "$BENCH/wrk/me.lua")
    [ "$WARMUP" -gt 0 ] && SALESOS_BENCH_TOKEN="${TOKEN[$stack]}" "${wrk_cmd[@]}" -d "${WARMUP}s" "$url" >/dev/null 2>&1
    for ((r = 1; r <= RUNS; r++)); do
      if [ "$r" = 1 ]; then   # memory under load 1: read in the middle of the first run
        ( sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')"; for p in gateway "${SERVICES[@]}" peer; do
            echo "{\"measure\":\"rss\",\"phase\":\"load-$stack\",\"process\":\"${p//_/-}\",\"kib\":$(rss_kib "$(pid_of "$p")")}"; done ) > "$TMP/rss-load.jsonl" &
        sampler=$!
      fi
      cpu="$(SALESOS_BENCH_TOKEN="${TOKEN[$stack]}" measured "$stack" "${wrk_cmd[@]}" -d "${DURATION}s" "$url")" || die "wrk failed on $stack"
      [ "$r" = 1 ] && { wait "$sampler" || true; cat "$TMP/rss-load.jsonl" >> "$RESULTS"; }
      cp "$MEASURED_OUT" "$LOGS/wrk-me-$stack-$r.txt"
      j="$(wrk_json "$MEASURED_OUT")" || { cat "$MEASURED_OUT" >&2; die "cannot read wrk's output"; }
      read -r gcpu scpu secs <<<"$cpu"
      record "{\"measure\":\"get_wrk\",\"stack\":\"$stack\",\"run\":$r,\"genCpu\":$gcpu,\"stackCpu\":$scpu,\"data\":$j}"
      say "GET /me $stack wrk run $r: $j, wrk ${gcpu}% stack ${scpu}% of a core"
      check_alive || exit 1
    done
    for ((r = 1; r <= RUNS; r++)); do
      cpu="$(BENCH_TOKEN="${TOKEN[$stack]}" measured "$stack" node "$CLIENTS/openloop.js" --kind me --url "${URL_OF[$stack]}" \
        --rate "$GET_RATE" --duration "$DURATION" --connections 32 --warmup "$([ "$r" = 1 ] && echo 1 || echo 0)")" \
        || die "the open-loop generator failed on $stack (see $LOGS/generators.log)"
      read -r gcpu scpu secs <<<"$cpu"
      j="$(cat "$MEASURED_OUT")"
      record "{\"measure\":\"get_rate\",\"stack\":\"$stack\",\"run\":$r,\"genCpu\":$gcpu,\"stackCpu\":$scpu,\"data\":$j}"
      say "GET /me $stack at $GET_RATE/s run $r: $j"
    done
  done
fi

# ---------------------------------------------------------------------------------------------
# 2. Signed webhook ingest, stepped rates

if want webhook; then
  for stack in salesos peer; do
    for rate in $WEBHOOK_RATES; do
      step_ok=1
      for ((r = 1; r <= RUNS; r++)); do
        cpu="$(BENCH_META_SECRET="$SECRET" measured "$stack" node "$CLIENTS/openloop.js" --kind webhook --url "${URL_OF[$stack]}" \
          --page "${PAGE[$stack]}" --rate "$rate" --duration "$WEBHOOK_DURATION" --connections 32 --tag "wh$rate-$r")" \
          || die "the webhook generator failed on $stack (see $LOGS/generators.log)"
        read -r gcpu scpu secs <<<"$cpu"
        j="$(cat "$MEASURED_OUT")"
        drain=0
        [ "$stack" = salesos ] && drain="$(drain_salesos)"
        record "{\"measure\":\"webhook\",\"stack\":\"$stack\",\"rate\":$rate,\"run\":$r,\"genCpu\":$gcpu,\"stackCpu\":$scpu,\"drainS\":$drain,\"data\":$j}"
        say "webhook $stack at $rate/s run $r: $j (drain ${drain}s)"
        check_alive || exit 1
        # a step is missed when the run's p99 is over 5 ms, it fell behind or had errors
        node -e 'const j = JSON.parse(process.argv[1]); process.exit(j.errors === 0 && j.p99 <= 5 && j.achieved >= 0.95 * j.rate ? 0 : 1)' "$j" || step_ok=$((step_ok + 1))
      done
      # stop stepping once most runs of a step missed
      if [ $((step_ok - 1)) -gt $((RUNS / 2)) ]; then say "webhook $stack: $rate/s missed, stop stepping"; break; fi
    done
  done
fi

# ---------------------------------------------------------------------------------------------
# 3. Webhook -> real-time client

if want ws; then
  for stack in salesos peer; do
    login "$stack"
    [ "$stack" = salesos ] && drain_salesos >/dev/null   # the webhook steps' work, done first
    for ((r = 1; r <= RUNS; r++)); do
      cpu="$(BENCH_TOKEN="${TOKEN[$stack]}" BENCH_META_SECRET="$SECRET" measured "$stack" node "$CLIENTS/ws_latency.js" --kind "$stack" \
        --url "${URL_OF[$stack]}" --page "${PAGE[$stack]}" --rate "$WS_RATE" --duration "$DURATION" --tag "ws$r")" \
        || die "ws_latency failed on $stack (see $LOGS/generators.log)"
      read -r gcpu scpu secs <<<"$cpu"
      j="$(cat "$MEASURED_OUT")"
      drain=0; [ "$stack" = salesos ] && drain="$(drain_salesos)"
      record "{\"measure\":\"ws\",\"stack\":\"$stack\",\"run\":$r,\"genCpu\":$gcpu,\"stackCpu\":$scpu,\"drainS\":$drain,\"data\":$j}"
      say "webhook -> client $stack at $WS_RATE/s run $r: $j"
      check_alive || exit 1
    done
  done
fi

# ---------------------------------------------------------------------------------------------
# 4. Fan-out

if want fanout; then
  # A fresh gateway and a fresh peer, so that the RSS delta is the connections' and not memory an
  # earlier load left allocated (Node keeps its grown heap). The data stays (SQLite, Redis).
  stop gateway peer
  start_gateway; start_peer
  SALESOS="http://$(wait_port_file "$TMP/gateway.port" gateway)" || exit 1
  PEER="http://$(wait_port_file "$TMP/peer.port" peer)" || exit 1
  URL_OF[salesos]="$SALESOS"; URL_OF[peer]="$PEER"
  n=0
  until [ "$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$SALESOS/readyz" 2>/dev/null || true)" = 200 ]; do
    n=$((n + 1)); [ $n -le 300 ] || die "the restarted gateway is not ready after 30 s"; sleep 0.1
  done
  SALESOS_PIDS=(); for p in gateway "${SERVICES[@]}"; do SALESOS_PIDS+=("$(pid_of "$p")"); done
  PEER_PID="$(pid_of peer)"
  sleep 1
  for stack in salesos peer; do
    login "$stack"
    server_pid="$(pid_of gateway)"; [ "$stack" = peer ] && server_pid="$PEER_PID"
    cpu="$(BENCH_TOKEN="${TOKEN[$stack]}" BENCH_META_SECRET="$SECRET" measured "$stack" node "$CLIENTS/fanout.js" --kind "$stack" \
      --url "${URL_OF[$stack]}" --page "${PAGE[$stack]}" --clients "$FANOUT_CLIENTS" --server-pid "$server_pid" \
      --rate "$FANOUT_RATE" --duration "$DURATION" --runs "$RUNS" --burst "$FANOUT_BURST")" \
      || die "fanout failed on $stack (see $LOGS/generators.log)"
    read -r gcpu scpu secs <<<"$cpu"
    j="$(cat "$MEASURED_OUT")"
    drain=0; [ "$stack" = salesos ] && drain="$(drain_salesos)"
    record "{\"measure\":\"fanout\",\"stack\":\"$stack\",\"genCpu\":$gcpu,\"stackCpu\":$scpu,\"data\":$j}"
    say "fan-out $stack: $j"
    check_alive || exit 1
  done
fi

# The stacks are done: stop them so that what follows has the machine to itself.
mem_snapshot end
stop gateway peer "${SERVICES[@]}" graph redis redis-peer

# ---------------------------------------------------------------------------------------------
# 5. Broadcasts (SalesOS only: the peer has none)

if want broadcast; then
  for ((r = 1; r <= RUNS; r++)); do
    out="$("$BIN/salesos-bench-broadcast" --contacts=100000 --send-contacts=5000 --rate=1000 --latency-ms=5 2>>"$LOGS/broadcast.err")" \
      || { cat "$LOGS/broadcast.err" >&2; die "salesos-bench-broadcast failed"; }
    q="$(sed -n 's/^| queue [0-9]* recipients.*| \([0-9.]*\) s (\([0-9.]*\) a second) |$/\1 \2/p' <<<"$out")"
    s="$(sed -n 's/.*| observed \([0-9.]*\)\/s over the steady.*/\1/p' <<<"$out")"
    [ -n "$q" ] && [ -n "$s" ] || { echo "$out" >&2; die "cannot read salesos-bench-broadcast's output"; }
    read -r qs qrate <<<"$q"
    record "{\"measure\":\"broadcast\",\"run\":$r,\"queueS\":$qs,\"queuePerS\":$qrate,\"sendPerS\":$s,\"sendRate\":1000}"
    say "broadcast run $r: queue 100,000 in ${qs}s, send ${s}/s of 1000/s"
  done
fi

# ---------------------------------------------------------------------------------------------
# 7. The machine's limits

if want limits; then
  # HTTP: wrk against the smallest static-file server, serving a body the size of /me's.
  cc -O2 -pthread -o "$TMP/static_server" "$BENCH/limits/static_server.c" || die "cannot build the static server"
  cp "$TMP/salesos.me.json" "$TMP/static.json"
  start static "$TMP/static_server" "$TMP/static.json" "$TMP/static.port" 2
  STATIC="http://$(wait_port_file "$TMP/static.port" static)" || exit 1
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "$STATIC/me.json" >/dev/null 2>&1 || true
  for ((r = 1; r <= RUNS; r++)); do
    c0="$(child_ticks $$)"; t0="$(date +%s.%N)"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "$STATIC/me.json" > "$TMP/static.out" 2>&1 || die "wrk failed on the static server"
    gcpu="$(awk -v c=$(( $(child_ticks $$) - c0 )) -v t0="$t0" -v t1="$(date +%s.%N)" -v hz="$TICKS" 'BEGIN { printf "%.0f", c / ((t1 - t0) * hz) * 100 }')"
    j="$(wrk_json "$TMP/static.out")" || die "cannot read wrk's output (static)"
    record "{\"measure\":\"limit_http\",\"run\":$r,\"genCpu\":$gcpu,\"data\":$j}"
    say "static file run $r: $j"
  done
  stop static

  # Redis: PUBLISH and XADD of a 300-byte payload, 50 clients, one command a round trip.
  start_redis redis-limits "$TMP/redis-limits.sock"
  payload="$(head -c 300 /dev/zero | tr '\0' x)"
  for cmd in PUBLISH XADD; do
    for ((r = 1; r <= RUNS; r++)); do
      if [ "$cmd" = PUBLISH ]; then args=(PUBLISH salesos:rt:bench "$payload"); else args=(XADD salesos:bench MAXLEN '~' 100000 '*' e "$payload"); fi
      rps="$(redis-benchmark -s "$TMP/redis-limits.sock" -c 50 -n 200000 --csv "${args[@]}" 2>/dev/null | awk -F'","' 'NR == 2 { print $2 + 0 }')"
      [ -n "$rps" ] || die "redis-benchmark $cmd gave no figure"
      record "{\"measure\":\"limit_redis\",\"cmd\":\"$cmd\",\"run\":$r,\"rps\":$rps}"
      say "redis $cmd run $r: $rps/s"
    done
  done
  stop redis-limits

  # SQLite: single-row INSERTs, each its own transaction, WAL and synchronous=NORMAL (libs/store).
  rows=20000
  for ((r = 1; r <= RUNS; r++)); do
    db="$TMP/limit-$r.db"
    { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      echo "CREATE TABLE t (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);"
      awk -v n=$rows -v p="$payload" 'BEGIN { for (i = 0; i < n; i++) printf "INSERT INTO t VALUES (%c%08d-bench%c, %cws%c, %c%s%c, %d);\n", 39, i, 39, 39, 39, 39, p, 39, i }'
    } > "$TMP/limit.sql"
    t0="$(date +%s.%N)"
    sqlite3 "$db" < "$TMP/limit.sql" >/dev/null || die "sqlite3 failed"
    rate="$(awk -v n=$rows -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.0f", n / (t1 - t0) }')"
    record "{\"measure\":\"limit_sqlite\",\"run\":$r,\"rps\":$rate}"
    say "SQLite single-row commits run $r: $rate/s"
    rm -f "$db" "$db-wal" "$db-shm"
  done

  # PostgreSQL: a private cluster with the server's defaults (fsync and synchronous_commit on).
  pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -x "$pgbin/initdb" ] && command -v pgbench >/dev/null; then
    # Its own directory: the postgres user cannot enter $TMP (mode 700).
    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/salesos-compare-pg.XXXXXX")"
    run=()
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; run=(runuser -u postgres --); fi
    port=$(( 55000 + RANDOM % 5000 ))
    "${run[@]}" "$pgbin/initdb" -D "$PG_DIR/data" -A trust -U postgres > "$LOGS/initdb.log" 2>&1 || { log_tail "$LOGS/initdb.log"; die "initdb failed"; }
    "${run[@]}" "$pgbin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
      -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1" start >/dev/null || { log_tail "$PG_DIR/server.log"; die "PostgreSQL did not start"; }
    PG_STOP="$(printf '%q ' "${run[@]}" "$pgbin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop)"
    psql_url="postgresql://postgres@127.0.0.1:$port/postgres"
    "$( [ -x "$pgbin/psql" ] && echo "$pgbin/psql" || echo psql)" -q "$psql_url" -c "CREATE TABLE t (id bigserial PRIMARY KEY, workspace_id text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())" >/dev/null
    echo "INSERT INTO t (workspace_id, body) VALUES ('ws', '$payload');" > "$TMP/pg.sql"
    for clients in 1 8; do
      for ((r = 1; r <= RUNS; r++)); do
        tps="$(pgbench -n -f "$TMP/pg.sql" -c "$clients" -j "$(( clients < 2 ? 1 : 2 ))" -T "$DURATION" "$psql_url" 2>>"$LOGS/pgbench.log" \
          | awk '/^tps = / { print $3; exit }')"
        [ -n "$tps" ] || { log_tail "$LOGS/pgbench.log"; die "pgbench gave no figure"; }
        record "{\"measure\":\"limit_pg\",\"clients\":$clients,\"run\":$r,\"rps\":$tps}"
        say "PostgreSQL single-row commits, $clients client(s), run $r: $tps/s"
      done
    done
    eval "$PG_STOP" >/dev/null 2>&1 || true; PG_STOP=""; rm -rf "$PG_DIR"; PG_DIR=""
  else
    record '{"measure":"limit_pg","skipped":"PostgreSQL server binaries or pgbench not found"}'
    say "PostgreSQL not found: skipped"
  fi
fi

# ---------------------------------------------------------------------------------------------
# Report

[ -n "$OUT" ] || OUT="$BENCH/results-compare.md"   # ignored by git (bench/.gitignore)
meta="$(printf '{"runs":%s,"duration":%s,"warmup":%s,"connections":%s,"threads":%s,"getRate":%s,"webhookDuration":%s,"wsRate":%s,"fanoutClients":%s,"fanoutRate":%s,"fanoutBurst":%s,"commit":"%s","dirty":%s,"cpus":%s,"cpu":"%s","kernel":"%s","node":"%s","wrk":"%s","load":"%s"}' \
  "$RUNS" "$DURATION" "$WARMUP" "$CONNECTIONS" "$THREADS" "$GET_RATE" "$WEBHOOK_DURATION" "$WS_RATE" "$FANOUT_CLIENTS" "$FANOUT_RATE" "$FANOUT_BURST" \
  "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$([ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && echo true || echo false)" \
  "$(nproc)" "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -r)" "$(node -v)" \
  "$(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')" "$(cut -d' ' -f1-3 /proc/loadavg)")"
node "$CLIENTS/report.js" "$RESULTS" "$meta" > "$OUT" || die "report failed (raw results in $RESULTS; --keep keeps them)"
cp "$RESULTS" "${OUT%.md}.jsonl"   # the raw figures beside it
cat "$OUT"
say "report written to $OUT"
