-- wrk script: GET /bench/constant (a constant Trace-sized reply, TASKS_BENCH_ROUTES=true), doing
-- the same Lua work per request as random-task.lua so that the two differ only on the server.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

local paths = { "/bench/constant" }
report.install()

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

