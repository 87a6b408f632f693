#!/usr/bin/env bash
# Side by side, one command: this project (Rust API and C ABI), scitokens-cpp (Debian's
# libscitokens0 and tools), the Python reference, and the signature-verification limit (the
# aws-lc primitive on the same tokens, in the Rust process; `openssl speed` beside it), on the
# same machine, tokens and keys (from the local key cache: no network). Then growth: threads,
# scopes, memory, first request for a new issuer; and minting against the raw signature.
#
#   bench/compare.sh [TOKENS] [RUNS]     (defaults: 1000 tokens per algorithm, 5 runs)
#
# Writes bench/results/latest.jsonl (one JSON object per measurement) and, through
# bench/report.py, prints the table and writes docs/performance-compare.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-1000}
runs=${2:-5}
bash .ci/setup >/dev/null
echo "== build (release)" >&2
cargo build -q --release --locked -p scitokens-capi -p scitokens-cli
cargo build -q --release --locked -p scitokens-bench-driver --bin compare
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ours" "$work/cache/scitokens" bench/results
ln -s "$PWD/target/release/libSciTokens.so" "$work/ours/libSciTokens.so.0"
gcc -O2 -pthread -o "$work/capi_bench" bench/capi_bench.c -lSciTokens -ldl
scitoken=$PWD/target/release/scitoken
rust=$PWD/target/release/compare
python=$PWD/.venv/bin/python
issuer=https://issuer.bench.example
aud=https://storage.bench.example
cache="$work/cache/scitokens/scitokens_cpp.sqllite"
export XDG_CACHE_HOME="$work/cache"
out=bench/results/latest.jsonl
: > "$out"
emit() { echo "$1" >> "$out"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
stats() { # kind detail-json samples... -> a JSON line
    local kind=$1 detail=$2; shift 2
    printf '%s\n' "$@" | sort -n | awk -v k="$kind" -v d="$detail" '{a[NR]=$1} END {
        m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2;
        printf "{\"kind\":\"%s\",\"detail\":%s,\"us\":%f,\"min_us\":%f,\"max_us\":%f}\n", k, d, m, a[1], a[NR] }'
}

echo "== machine" >&2
emit "$(printf '{"kind":"machine","cpu":"%s","cores":%s,"openssl":"%s","rustc":"%s","scitokens_cpp":"%s","python_scitokens":"%s","date":"%s","tokens":%s,"runs":%s}' \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$(nproc)" "$(openssl version | cut -d' ' -f2)" \
    "$(rustc --version | cut -d' ' -f2)" "$(dpkg-query -W -f='${Version}' libscitokens0)" \
    "$($python -c 'import scitokens; print(scitokens.__version__)')" "$(date -u +%FT%TZ)" "$tokens" "$runs")"

echo "== openssl speed (another primitive, for reference)" >&2
speed=$(openssl speed -seconds 3 ecdsap256 rsa2048 2>/dev/null)
es=$(echo "$speed" | awk '/ecdsa \(nistp256\)/ {print 1e6 / $NF}')
rs=$(echo "$speed" | awk '/^rsa 2048 bits/ {print 1e6 / $NF}')
emit "{\"kind\":\"openssl\",\"detail\":{\"alg\":\"ES256\"},\"us\":$es}"
emit "{\"kind\":\"openssl\",\"detail\":{\"alg\":\"RS256\"},\"us\":$rs}"

for alg in ES256 RS256; do
    echo "== $alg: keys and $tokens tokens" >&2
    kid="bench-$alg"
    $scitoken keygen --alg "$alg" --kid "$kid" --private "$work/$alg.pem" --public "$work/$alg.pub" --jwks "$work/$alg.jwks" >/dev/null
    $scitoken keys add "$issuer" --jwks "$work/$alg.jwks" --cache "$cache" >/dev/null
    for i in $(seq "$tokens"); do
        $scitoken mint --key "$work/$alg.pem" --kid "$kid" --issuer "$issuer" --aud "$aud" \
            --sub "user$i" --scope "read:/data/$i write:/data/$i/out" --lifetime 7200
    done > "$work/$alg.tokens"
    head -n 1 "$work/$alg.tokens" > "$work/$alg.one"

    echo "== $alg: Rust API" >&2
    "$rust" authorize "$alg" "$work/$alg.tokens" "$cache" "$issuer" "$aud" "$runs" >> "$out"
    "$rust" threads "$alg" "$work/$alg.tokens" "$cache" "$issuer" "$aud" "$runs" >> "$out"

    echo "== $alg: C ABI, ours and Debian's libscitokens0" >&2
    for lib in ours debian; do
        path=""; [ "$lib" = ours ] && path="$work/ours"
        for mode in new repeated; do
            if [ "$mode" = new ]; then file="$work/$alg.tokens"; repeat=1; else file="$work/$alg.one"; repeat=$tokens; fi
            samples=()
            for r in $(seq "$runs"); do
                samples+=("$(LD_LIBRARY_PATH="$path" "$work/capi_bench" "$issuer" "$aud" "$file" "$repeat" | awk '{print $5}')")
            done
            emit "$(stats capi "{\"alg\":\"$alg\",\"mode\":\"$mode\",\"library\":\"$lib\"}" "${samples[@]}")"
        done
    done

    echo "== $alg: Python reference" >&2
    "$python" bench/python_bench.py "$alg" "$issuer" "$aud" "$kid" "$work/$alg.pub" "$work/$alg.tokens" "$runs" >> "$out"

    echo "== $alg: the CLIs as whole processes" >&2
    token=$(head -n 1 "$work/$alg.tokens")
    n=20
    for cli in scitoken scitokens-verify scitokens-verify-token; do
        case $cli in
            scitoken) cmd=("$scitoken" verify --offline --issuer "$issuer" --aud "$aud" --cache "$cache" "$token") ;;
            scitokens-verify) cmd=(scitokens-verify "$token") ;;
            scitokens-verify-token) cmd=("$PWD/.venv/bin/scitokens-verify-token" "$token") ;;
        esac
        "${cmd[@]}" >/dev/null 2>&1 || { echo "$cli failed on a valid token" >&2; "${cmd[@]}"; exit 1; }
        samples=()
        for r in $(seq "$runs"); do
            start=$(date +%s%N)
            for i in $(seq $n); do "${cmd[@]}" >/dev/null 2>&1; done
            samples+=("$(( ($(date +%s%N) - start) / n / 1000 ))")
        done
        emit "$(stats cli "{\"alg\":\"$alg\",\"cli\":\"$cli\"}" "${samples[@]}")"
    done
done

echo "== growth: scopes, memory, first request for a new issuer" >&2
"$rust" scopes "$runs" >> "$out"
"$rust" memory 100000 >> "$out"
"$rust" discovery "$runs" >> "$out"
echo "== minting against the raw signature" >&2
"$rust" mint "$((runs * 3))" >> "$out"

"$python" bench/report.py "$out" docs/performance-compare.svg
