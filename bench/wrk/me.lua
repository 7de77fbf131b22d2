-- wrk script for GET /api/v1/auth/me: sends the access token bench/run.sh got from registering.
-- The token comes from the environment (SALESOS_BENCH_TOKEN) so it never appears in `ps`.
local token = os.getenv("SALESOS_BENCH_TOKEN")
if token == nil or token == "" then
  io.stderr:write("me.lua: SALESOS_BENCH_TOKEN is not set (bench/run.sh sets it)\n")
  os.exit(2)
end

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"
