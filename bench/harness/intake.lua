-- wrk script for the intake benchmark: every request is a distinct, signed push delivery read
-- from a file of "delivery signature body" lines. Each wrk thread takes its own share of the
-- lines, so no delivery is sent twice; a thread that runs out stops rather than repeating one
-- (a repeat would be a cheap redelivery and flatter the server).
-- Arguments: PATH FILE THREADS

local threads_started = 0
function setup(thread)
  thread:set("thread_index", threads_started)
  threads_started = threads_started + 1
end

local requests = {}
local next_request = 0

function init(args)
  local path, file, threads = args[1], args[2], tonumber(args[3])
  local index = 0
  for line in io.lines(file) do
    if index % threads == thread_index then
      local delivery, signature, body = line:match("^(%S+) (%S+) (.*)$")
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/json",
        ["X-GitHub-Event"] = "push",
        ["X-GitHub-Delivery"] = delivery,
        ["X-Hub-Signature-256"] = signature,
      }, body)
    end
    index = index + 1
  end
end

function request()
  next_request = next_request + 1
  if next_request > #requests then
    wrk.thread:stop()
    next_request = #requests
  end
  return requests[next_request]
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
