-- wrk script for bench/webdav.sh: GET with a bearer token. With TOKENS_FILE set, each request
-- carries the next token of that file (new tokens: every one must be verified); otherwise the
-- one token in BENCH_TOKEN (a repeated token). One JSON line of results at the end.
local tokens = nil
local i = 0
init = function(args)
  local file = os.getenv("TOKENS_FILE")
  if file and file ~= "" then
    tokens = {}
    for line in io.lines(file) do tokens[#tokens + 1] = line end
    i = math.random(#tokens)
  end
end
request = function()
  local token = os.getenv("BENCH_TOKEN")
  if tokens then
    i = i % #tokens + 1
    token = tokens[i]
  end
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. token })
end
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"seconds":%.3f,"errors":%d,"non2xx":%d,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
