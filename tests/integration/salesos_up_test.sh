#!/usr/bin/env bash
# `./salesos up` as a newcomer runs it: starts Redis and the seven processes, prints the URL, is
# ready, refuses a second `up` on the same data dir with "already running", and stops everything
# with exit 0 on SIGTERM. Every wait is bounded.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export SALESOS_BUILD_DIR="${SALESOS_BUILD_DIR:?set by ctest}"
work="$(mktemp -d /tmp/salesos-up-test.XXXXXX)"
export SALESOS_DATA_DIR="$work/data"
export SALESOS_HTTP_ADDR=127.0.0.1:0
export SALESOS_REDIS_PORT=$(( 30000 + RANDOM % 20000 ))
# Services on their default Unix sockets in the run folder (the integration suite covers TCP).
up_pid=""
cleanup() {
  # A failed check leaves `up` running: SIGTERM lets it stop its children (Redis's process title
  # does not show its arguments, so only `up` knows its pid), then whatever still runs is killed.
  if [ -n "$up_pid" ] && kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$up_pid" 2>/dev/null || true
  fi
  pkill -KILL -f -- "$SALESOS_DATA_DIR" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- up output:" >&2; cat "$work/up.out" >&2 || true; exit 1; }

"$ROOT/salesos" up > "$work/up.out" 2>&1 &
up_pid=$!
for _ in $(seq 1 600); do
  grep -q "SalesOS is up" "$work/up.out" && break
  kill -0 "$up_pid" 2>/dev/null || fail "up exited before it was up"
  sleep 0.1
done
grep -q "SalesOS is up" "$work/up.out" || fail "not up within 60 s"
url="$(grep -o 'http://[0-9.:]*' "$work/up.out" | head -n 1)"
[ -n "$url" ] || fail "no URL printed"
grep -q "logs in $SALESOS_DATA_DIR/logs" "$work/up.out" || fail "the log folder is not printed"
ready="$(curl -fsS -m 5 "$url/readyz")" || fail "readyz did not answer 200"
for s in redis auth campaign conversation webhook_ingest ai_orchestration analytics; do
  grep -q "\"$s\":\"\(ok\|SERVING\)\"" <<<"$ready" || fail "readyz does not show $s healthy: $ready"
done

# The web console is served, built in (no browser or Node.js involved), under its CSP.
page="$(curl -fsS -m 5 -D "$work/console.head" "$url/")" || fail "GET / did not answer 200"
grep -q "<title>SalesOS</title>" <<<"$page" || fail "GET / is not the console: $page"
grep -qi "^content-security-policy: default-src 'none'" "$work/console.head" || fail "GET / has no CSP"
app="$(grep -o '/assets/[0-9a-f]*/js/app.js' <<<"$page" | head -n 1)"
[ -n "$app" ] || fail "the console names no /assets/<release>/js/app.js"
# (read whole first: grep -q stops reading at its match, and curl's broken pipe fails under pipefail)
appjs="$(curl -fsS -m 5 "$url$app")" || fail "GET $app did not answer 200"
grep -q "ROUTES" <<<"$appjs" || fail "GET $app is not the console's app.js"

# Every service reaches every other: the data manager's health (auth calling the five others)
# shows every component ok.
token="$(curl -fsS -m 5 "$url/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"up@example.com","password":"correct horse battery","name":"Up","businessName":"Up Test"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')" || fail "register failed"
health="$(curl -fsS -m 10 "$url/api/v1/admin/health" -H "Authorization: Bearer $token")" ||
  fail "GET /api/v1/admin/health failed"
python3 -c 'import json,sys
bad = [c["name"] for c in json.loads(sys.argv[1])["components"] if c["status"] != "ok"]
sys.exit("not ok: " + ", ".join(bad) if bad else 0)' "$health" || fail "admin health: $health"

# A second `up` on the same data dir refuses, and leaves the first running.
if "$ROOT/salesos" up > "$work/second.out" 2>&1; then fail "a second up succeeded"; fi
grep -q "already running" "$work/second.out" || { cat "$work/second.out" >&2; fail "no 'already running' message"; }
curl -fsS -m 5 "$url/healthz" >/dev/null || fail "the first suite stopped serving"

kill -TERM "$up_pid"
code=""
for _ in $(seq 1 300); do
  if ! kill -0 "$up_pid" 2>/dev/null; then wait "$up_pid" && code=0 || code=$?; break; fi
  sleep 0.1
done
[ -n "$code" ] || fail "up did not stop within 30 s of SIGTERM"
[ "$code" = 0 ] || fail "up exited $code after SIGTERM"
up_pid=""
if pgrep -f -- "--data-dir=$SALESOS_DATA_DIR" >/dev/null; then fail "processes left running after stop"; fi
grep -q "stopped" "$work/up.out" || fail "no 'stopped' message"
echo "1 passed, 0 failed"
