-- wrk script: GET /v1/tasks/{id} with an id drawn at random, on every request, from the file
-- named by BENCH_IDS_FILE (one id per line: the tasks bench/run-poll loaded).
--   BENCH_IDS_FILE=ids.txt wrk -c64 -t2 -d15s -s bench/random-task.lua http://127.0.0.1:PORT

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

local ids = {}

report.install(function()
  local file = os.getenv("BENCH_IDS_FILE") or error("BENCH_IDS_FILE is not set")
  for line in io.lines(file) do
    if line ~= "" then ids[#ids + 1] = line end
  end
  if #ids == 0 then error("no task id in " .. file) end
end)

function request()
  return wrk.format("GET", "/v1/tasks/" .. ids[math.random(#ids)])
end

