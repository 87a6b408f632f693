#!/usr/bin/env bash
# scitokens-webdav: what authorization costs. The same tree served twice by one process
# (bench/driver webdav-servers): behind ScitokensLayer and without authorization. Then:
#   1. small authorized GETs (1 KiB) with one repeated token, against the unauthenticated
#      server (goal: authorization costs under 5% of throughput);
#   2. GETs each with a new token (every one verified: ES256, keys from memory);
#   3. peak resident memory of the server while a 1 GiB file is PUT and then GET.
# wrk (2 threads, 50 keep-alive connections) on loopback plain http, on the same machine;
# runs alternate. Tokens come from scitokens-issuer (client_credentials), new ones are minted
# with the issuer's key by the Python virtualenv's PyJWT.
#
#   bench/webdav.sh [SECONDS] [RUNS] [NEW_TOKENS]     (defaults: 10 s, 3 runs, 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
runs=${2:-3}
new_tokens=${3:-100000}
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
bash .ci/setup >/dev/null
echo "== build (release)" >&2
cargo build -q --release --locked -p scitokens-issuer -p scitokens-bench-driver --bin webdav-servers
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
aud=https://storage.example

# The issuer, and one token.
iport=$(free_port)
issuer=target/release/scitokens-issuer
$issuer init "$work/issuer" --issuer "https://127.0.0.1:$iport" --listen "127.0.0.1:$iport" --self-signed-tls >/dev/null
python3 - "$work/issuer/issuer.toml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("[tls]", '''[clients.bench]
grants = ["client_credentials"]
scopes = ["storage.read:/", "storage.create:/", "storage.modify:/"]
audiences = ["https://storage.example"]
lifetime_secs = 3600

[tls]''')
open(p, "w").write(s.replace("max_lifetime_secs = 3600", "max_lifetime_secs = 3600"))
PY
$issuer clients add bench --config "$work/issuer/issuer.toml" --secret-file "$work/secret" 2>/dev/null
RUST_LOG=warn $issuer serve --config "$work/issuer/issuer.toml" 2>"$work/issuer.log" &
pids+=($!)
ca="$work/issuer/tls/ca.pem"
for _ in $(seq 100); do curl -s --cacert "$ca" -o /dev/null "https://127.0.0.1:$iport/healthz" && break; sleep 0.1; done
token=$(curl -s --cacert "$ca" -u "bench:$(cat "$work/secret")" -d grant_type=client_credentials \
    "https://127.0.0.1:$iport/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# New tokens, minted with the issuer's key (its database holds it).
.venv/bin/python - "$work/issuer/issuer.db" "https://127.0.0.1:$iport" "$aud" "$new_tokens" "$work/tokens" <<'PY'
import sqlite3, sys, time, uuid
import jwt
db, iss, aud, n, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
kid, pem = sqlite3.connect(db).execute("SELECT kid, private_pem FROM signing_keys ORDER BY activate_at LIMIT 1").fetchone()
now = int(time.time())
with open(out, "w") as f:
    for i in range(n):
        claims = {"iss": iss, "sub": "bench", "aud": aud, "iat": now, "nbf": now, "exp": now + 3600,
                  "jti": str(uuid.uuid4()), "scope": "storage.read:/", "wlcg.ver": "1.0"}
        f.write(jwt.encode(claims, pem, algorithm="ES256", headers={"kid": kid, "typ": "JWT"}) + "\n")
PY

# The tree and the two servers.
mkdir -p "$work/root/data" "$work/cache"
head -c 1024 /dev/urandom > "$work/root/data/small"
pport=$(free_port); oport=$(free_port)
target/release/webdav-servers "$work/root" "https://127.0.0.1:$iport" "$aud" "$ca" "$work/cache" "$pport" "$oport" &
server=$!
pids+=($server)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$oport/data/small" && break; sleep 0.1; done
curl -s -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$pport/data/small"

mkdir -p bench/results
out=bench/results/webdav.jsonl
printf '{"kind":"machine","cpu":"%s","cores":%s,"date":"%s","seconds":%s}\n' \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$(nproc)" "$(date -u +%FT%TZ)" "$seconds" > "$out"
export BENCH_TOKEN="$token"
load() { wrk -t2 -c50 -d"$2" -s bench/webdav_get.lua "http://127.0.0.1:$1/data/small" | tail -1; }
load "$pport" 2s >/dev/null; load "$oport" 2s >/dev/null
for run in $(seq "$runs"); do
    for who in authorized open; do
        port=$pport; [ "$who" = open ] && port=$oport
        line=$(load "$port" "${seconds}s")
        echo "{\"kind\":\"get\",\"server\":\"$who\",\"run\":$run,\"result\":$line}" >> "$out"
        echo "$who run $run: $line" >&2
    done
    line=$(TOKENS_FILE="$work/tokens" load "$pport" "${seconds}s")
    echo "{\"kind\":\"get\",\"server\":\"new-tokens\",\"run\":$run,\"result\":$line}" >> "$out"
    echo "new tokens run $run: $line" >&2
done

# Resident memory while 1 GiB goes in and out.
rss() { awk '/VmHWM/ {print $2}' "/proc/$server/status"; }
before=$(rss)
head -c 1073741824 /dev/zero > "$work/big"
curl -s -o /dev/null -H "Authorization: Bearer $token" -T "$work/big" "http://127.0.0.1:$pport/data/big"
rm -f "$work/big"
curl -s -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$pport/data/big"
after=$(rss)
echo "{\"kind\":\"rss\",\"before_kib\":$before,\"peak_kib\":$after,\"bytes\":1073741824}" >> "$out"
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows:
    if r["kind"] == "get":
        x = r["result"]; x["rps"] = x["requests"] / x["seconds"]
        by.setdefault(r["server"], []).append(x)
med = lambda xs, k: statistics.median(x[k] for x in xs)
print("| server | requests/s | p50 ms | p99 ms | errors |")
print("|---|---|---|---|---|")
for who, xs in by.items():
    print(f"| {who} | {med(xs,'rps'):.0f} | {med(xs,'p50_ms'):.2f} | {med(xs,'p99_ms'):.2f} | {sum(x['errors'] + x['non2xx'] for x in xs)} |")
a, o = med(by["authorized"], "rps"), med(by["open"], "rps")
print(f"\nauthorization costs {100 * (1 - a / o):.1f}% of throughput (repeated token)")
rss = [r for r in rows if r["kind"] == "rss"][0]
print(f"peak RSS while streaming 1 GiB in and out: {rss['peak_kib'] / 1024:.1f} MiB (before: {rss['before_kib'] / 1024:.1f} MiB)")
PY
