-- wrk script: POST /v1/tasks creating a `noop` task (server-made id) on every request; bench/run
-- starts the node with TASKS_JOB_TYPES=noop so that each one is claimed and completed at once.
--   wrk -c32 -t2 -d15s -s bench/create-noop.lua http://127.0.0.1:PORT

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

report.install()

local body = '{"type":"noop"}'
local headers = { ["Content-Type"] = "application/json" }

function request()
  return wrk.format("POST", "/v1/tasks", headers, body)
end

