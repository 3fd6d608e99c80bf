-- Shared by the wrk scripts of bench/: one machine-readable line per run, read by bench/run-poll.
-- Latencies are wrk's (microseconds, measured from the client, coordinated omission included).

local M = {}

--- Installs the wrk hooks every script of bench/ shares: setup numbers the threads, init seeds
--- math.random per thread (after `prepare(args)`, the script's own per-thread set-up, if given),
--- done prints the BENCH_RESULT line. The script then defines only `request`.
function M.install(prepare)
  local next_thread = 0
  setup = function(thread)
    next_thread = next_thread + 1
    thread:set("thread_id", next_thread)
  end
  init = function(args)
    if prepare then prepare(args) end
    M.seed(thread_id)
  end
  done = M.done
end

--- Seeds math.random differently in every wrk thread (each thread has its own Lua state).
function M.seed(thread_id)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  for _ = 1, 10 do math.random() end
end

function M.done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d"
      .. " bytes=%d status_errors=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max,
    summary.bytes, e.status, e.connect + e.read + e.write + e.timeout))
end

return M
