-- wrk script: GET /bench/constant (a constant Trace-sized reply, TASKS_BENCH_ROUTES=true), doing
-- the same Lua work per request as random-task.lua so that the two differ only on the server.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

local paths = { "/bench/constant" }
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

function init(args)
  report.seed(thread_id)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

done = report.done
