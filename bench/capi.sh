#!/usr/bin/env bash
# The C ABI side by side: one C program (bench/capi_bench.c), built once, run against Debian's
# libscitokens0 and against ours (release build), on the same tokens, keys from the same key
# cache file (no network). Prints a table; numbers are medians of RUNS runs.
#
#   bench/capi.sh [TOKENS] [RUNS]       (defaults 2000 tokens, 5 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-2000}
runs=${2:-5}
bash .ci/setup >/dev/null
cargo build -q --release --locked -p scitokens-capi -p scitokens-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ours" "$work/cache"
ln -s "$PWD/target/release/libSciTokens.so" "$work/ours/libSciTokens.so.0"
gcc -O2 -pthread -o "$work/capi_bench" bench/capi_bench.c -lSciTokens -ldl
scitoken=target/release/scitoken
issuer=https://issuer.bench.example
aud=https://storage.bench.example
export XDG_CACHE_HOME="$work/cache"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf "%-7s %-9s %-10s %12s %10s %12s %8s\n" alg tokens library "tokens/s" "us/token" "spread us" ratio
for alg in ES256 RS256; do
    $scitoken keygen --alg "$alg" --kid "bench-$alg" --private "$work/$alg.pem" --jwks "$work/$alg.jwks" >/dev/null
    $scitoken keys add "$issuer" --jwks "$work/$alg.jwks" --cache "$work/cache/scitokens/scitokens_cpp.sqllite" >/dev/null
    for i in $(seq "$tokens"); do
        $scitoken mint --key "$work/$alg.pem" --kid "bench-$alg" --issuer "$issuer" --aud "$aud" \
            --sub "user$i" --scope "read:/data/$i write:/data/$i/out" --lifetime 3600
    done > "$work/$alg.tokens"
    for mode in new repeated; do
        if [ "$mode" = new ]; then file="$work/$alg.tokens"; repeat=1; else head -n 1 "$work/$alg.tokens" > "$work/$alg.one"; file="$work/$alg.one"; repeat=$tokens; fi
        declare -A us=()
        for lib in debian ours; do
            if [ "$lib" = ours ]; then path="$work/ours"; else path=""; fi
            samples=$(for r in $(seq "$runs"); do
                LD_LIBRARY_PATH="$path" "$work/capi_bench" "$issuer" "$aud" "$file" "$repeat" | awk '{print $5}'
            done)
            us[$lib]=$(echo "$samples" | median)
            spread=$(echo "$samples" | sort -n | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.2f-%.2f", lo, hi}')
            printf "%-7s %-9s %-10s %12.0f %10.2f %12s %8s\n" "$alg" "$mode" "$lib" \
                "$(awk -v u="${us[$lib]}" 'BEGIN {print 1000000 / u}')" "${us[$lib]}" "$spread" \
                "$( [ "$lib" = ours ] && awk -v d="${us[debian]}" -v o="${us[ours]}" 'BEGIN {printf "%.1fx", d / o}' || echo "")"
        done
        unset us
    done
done
