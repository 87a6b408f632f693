#!/usr/bin/env bash
# scitokens-issuer against npm oidc-provider, side by side in one run: client_credentials
# tokens per second and latency (p50, p99) with CLIENTS concurrent clients (wrk, two threads),
# each on its own keep-alive HTTPS connection over loopback, the same certificate, ES256 JWT
# access tokens with one scope and one audience. Both use every core (the issuer its tokio
# workers, oidc-provider one node:cluster worker per core); the load generator runs on the same
# machine. Each server gets an unrecorded 2 s warm-up first (the issuer verifies a client's
# argon2id hash on its first requests); runs alternate (ours, theirs, ...) so drift hits both;
# the medians go to docs/performance.md.
#
#   bench/issuer.sh [CLIENTS] [SECONDS] [RUNS]      (defaults: 50 clients, 10 s, 3 runs)
#
# Needs Node.js and npm (oidc-provider is installed into bench/oidc-provider/node_modules) and
# wrk (Debian's package, installed here if missing).
# Writes bench/results/issuer.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-50}
seconds=${2:-10}
runs=${3:-3}
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
echo "== build (release)" >&2
cargo build -q --release --locked -p scitokens-issuer
(cd bench/oidc-provider && npm ci --no-audit --no-fund --silent)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -sk -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

ours_port=$(free_port)
theirs_port=$(free_port)
issuer=target/release/scitokens-issuer
$issuer init "$work/ours" --issuer "https://127.0.0.1:$ours_port" --listen "127.0.0.1:$ours_port" --self-signed-tls >/dev/null
# The benchmark client; limits raised out of the way (both servers run without rate limits).
python3 - "$work/ours/issuer.toml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
for k in ("per_client_per_second", "per_client_burst", "per_address_per_second", "per_address_burst"):
    s = __import__("re").sub(rf"^{k} = \d+", f"{k} = 1000000", s, flags=__import__("re").M)
s = s.replace("[tls]", '''[clients.bench]
grants = ["client_credentials"]
scopes = ["storage.read:/data"]
audiences = ["https://storage.example"]
lifetime_secs = 600

[tls]''')
open(p, "w").write(s)
PY
$issuer clients add bench --config "$work/ours/issuer.toml" --secret-file "$work/secret" 2>/dev/null
secret=$(cat "$work/secret")
ca="$work/ours/tls/ca.pem"
# Request logs at info cost a line per token; oidc-provider logs nothing per request.
RUST_LOG=warn $issuer serve --config "$work/ours/issuer.toml" 2>"$work/ours.log" &
pids+=($!)
node bench/oidc-provider/server.mjs "$theirs_port" "$work/ours/tls/cert.pem" "$work/ours/tls/key.pem" "$secret" 2>"$work/theirs.log" &
pids+=($!)
wait_for "https://127.0.0.1:$ours_port/healthz"
wait_for "https://127.0.0.1:$theirs_port/.well-known/openid-configuration"

mkdir -p bench/results
out=bench/results/issuer.jsonl
printf '{"kind":"machine","cpu":"%s","cores":%s,"node":"%s","oidc_provider":"%s","date":"%s","clients":%s,"seconds":%s}\n' \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$(nproc)" "$(node --version)" \
    "$(node -p 'require("./bench/oidc-provider/node_modules/oidc-provider/package.json").version')" \
    "$(date -u +%FT%TZ)" "$clients" "$seconds" > "$out"
echo "== $runs runs of ${seconds}s, $clients clients" >&2
export BENCH_AUTH="Basic $(printf 'bench:%s' "$secret" | base64 -w0)"
load() { wrk -t2 -c"$clients" -d"$2" -s bench/issuer_post.lua "https://127.0.0.1:$1/token" | tail -1; }
load "$ours_port" 2s >/dev/null
load "$theirs_port" 2s >/dev/null
for run in $(seq "$runs"); do
    for who in scitokens-issuer oidc-provider; do
        port=$ours_port
        [ "$who" = oidc-provider ] && port=$theirs_port
        line=$(load "$port" "${seconds}s")
        echo "{\"kind\":\"issuer\",\"server\":\"$who\",\"run\":$run,\"clients\":$clients,\"result\":$line}" >> "$out"
        echo "$who run $run: $line" >&2
    done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows:
    if r["kind"] == "issuer":
        by.setdefault(r["server"], []).append(r["result"])
for xs in by.values():
    for x in xs:
        x["tokens_per_s"] = x["requests"] / x["seconds"]
med = lambda xs, k: statistics.median(x[k] for x in xs)
print("| server | tokens/s | p50 ms | p99 ms | errors |")
print("|---|---|---|---|---|")
for who, xs in by.items():
    print(f"| {who} | {med(xs,'tokens_per_s'):.0f} | {med(xs,'p50_ms'):.2f} | {med(xs,'p99_ms'):.2f} | {sum(x['errors'] + x['non2xx'] for x in xs)} |")
o, t = med(by["scitokens-issuer"], "tokens_per_s"), med(by["oidc-provider"], "tokens_per_s")
print(f"\nscitokens-issuer / oidc-provider throughput: {o / t:.2f}x")
PY
