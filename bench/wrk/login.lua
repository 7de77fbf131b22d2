-- wrk script for POST /api/v1/auth/login with the benchmark user's credentials
-- (SALESOS_BENCH_EMAIL / SALESOS_BENCH_PASSWORD, set by bench/run.sh). Every request runs one
-- argon2id verification on the auth service, so this measures the password hash, not the gateway.
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == '\\' then return '\\\\' end
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local email = os.getenv("SALESOS_BENCH_EMAIL") or "bench@example.com"
local password = os.getenv("SALESOS_BENCH_PASSWORD") or "correct horse battery"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = '{"email":' .. json_string(email) .. ',"password":' .. json_string(password) .. '}'
