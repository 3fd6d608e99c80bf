-- wrk script: GET <BENCH_PATH_PREFIX><id> with id = BENCH_ID_PREFIX .. %013d of a random n in
-- 1..BENCH_ID_COUNT: the ids bench/run loads with SQL (no id file, so 1,000,000 ids cost nothing).
--   BENCH_ID_PREFIX=task_bench000001 BENCH_ID_COUNT=10000 wrk -c64 -t2 -d15s -s bench/random-range.lua http://127.0.0.1:PORT

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

local prefix = (os.getenv("BENCH_PATH_PREFIX") or "/v1/tasks/") .. (os.getenv("BENCH_ID_PREFIX") or error("BENCH_ID_PREFIX is not set"))
local count = tonumber(os.getenv("BENCH_ID_COUNT") or error("BENCH_ID_COUNT is not set"))
report.install()

function request()
  return wrk.format("GET", string.format("%s%013d", prefix, math.random(count)))
end

