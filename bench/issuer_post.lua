-- wrk script for bench/issuer.sh: client_credentials requests with HTTP Basic (BENCH_AUTH), and
-- one JSON line of results at the end (requests, errors, non-2xx answers, p50 and p99 latency).
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=storage.read%3A%2Fdata"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"seconds":%.3f,"errors":%d,"non2xx":%d,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
