-- wrk script: POST /v1/tasks creating a `noop` task, each connection waiting DELAY_MS (env, default
-- 50) between requests: with -cN about N * 1000 / DELAY_MS creates (and so completions) per second.
local delay_ms = tonumber(os.getenv("DELAY_MS") or "50")
local body = '{"type":"noop"}'
local headers = { ["Content-Type"] = "application/json" }

function request()
  return wrk.format("POST", "/v1/tasks", headers, body)
end

function delay()
  return delay_ms
end
