-- wrk script for bench/api.py. Environment:
--   WRK_MODE   "paths": GET a random line of WRK_DATA (a path per line)
--              "post":  POST /v1/articles with the bodies of WRK_DATA (one JSON per line), each
--                       with a unique external_id written over the placeholder __EXT__
--   WRK_DATA   the data file
--   WRK_KEY    the API key
--   WRK_DELAY  mean pause in ms before each request of a connection, exponentially
--              distributed (0: none, the connection sends as fast as it is answered)
--   WRK_TAG    a prefix making external ids unique across runs
--   WRK_COOKIE a Cookie header to send too (bench/console.py: a console session)
local mode = os.getenv("WRK_MODE") or "paths"
local delay_ms = tonumber(os.getenv("WRK_DELAY") or "0")
local key = os.getenv("WRK_KEY") or ""
local tag = os.getenv("WRK_TAG") or "run"
local cookie = os.getenv("WRK_COOKIE") or ""
local lines = {}
for line in io.lines(os.getenv("WRK_DATA")) do
  if #line > 0 then lines[#lines + 1] = line end
end

local threads = {}
local counter = 0
thread_id = 0  -- a global: setup() overwrites it in each thread's state

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + thread_id * 7919)
end

function request()
  counter = counter + 1
  if mode == "post" then
    local body = lines[(counter % #lines) + 1]
    body = body:gsub("__EXT__", tag .. "-" .. thread_id .. "-" .. counter, 1)
    return wrk.format("POST", "/v1/articles",
                      {["X-API-Key"] = key, ["Content-Type"] = "application/json"}, body)
  end
  local headers = {["X-API-Key"] = key}
  if #cookie > 0 then headers["Cookie"] = cookie end
  return wrk.format("GET", lines[math.random(#lines)], headers)
end

function delay()
  if delay_ms <= 0 then return 0 end
  return -math.log(1 - math.random()) * delay_ms
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.mean, latency.max))
end
