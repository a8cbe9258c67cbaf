-- One wrk script for every benchmarked request: method, JSON body and bearer token come from
-- the environment (WRK_METHOD, WRK_BODY, WRK_TOKEN); the summary is printed as one JSON line.
wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
-- WRK_ALTERNATE: a second method, sent every other request (PUT, DELETE, PUT, … on one URL).
local alternate = os.getenv("WRK_ALTERNATE") or ""
if alternate ~= "" then
  local sent = 0
  request = function()
    sent = sent + 1
    return wrk.format(sent % 2 == 1 and wrk.method or alternate)
  end
end
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
