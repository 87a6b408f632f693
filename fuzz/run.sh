#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET...]: build every fuzz target, run each for SECONDS (all targets,
# or those named), and fail on the first crash, leak, timeout or out-of-memory.
#
# Nightly (if installed) builds with AddressSanitizer; otherwise stable with --sanitizer none.
# New corpus entries go to fuzz/corpus/TARGET (not committed); the committed seeds are
# fuzz/seeds/TARGET; crashes are saved in fuzz/artifacts/TARGET and reproduce with
# `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`. A summary line per target
# (executions, corpus size, peak RSS) goes to stdout and to fuzz/logs/summary.txt.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
    sanitizer=()
else
    toolchain=()
    sanitizer=(--sanitizer none)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list)
fi

dicts_for() {
    case "$1" in
        token_decode|http) echo "dict/token.dict dict/json.dict" ;;
        scope|paths) echo "dict/scope.dict" ;;
        authorize) echo "dict/json.dict dict/scope.dict" ;;
        *) echo "dict/json.dict" ;;
    esac
}

echo "== build (${toolchain[*]:-stable} ${sanitizer[*]:-address sanitizer})"
cargo "${toolchain[@]}" fuzz build "${sanitizer[@]}"

mkdir -p logs
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    dict="corpus/.$target.dict"
    # shellcheck disable=SC2046
    cat $(dicts_for "$target") > "$dict"
    log="logs/$target.log"
    echo "== $target: ${seconds} s"
    if ! cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=16384 \
        -dict="$dict" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz/run.sh: $target FAILED (log: fuzz/$log; input in fuzz/artifacts/$target/)" >&2
        exit 1
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    corpus=$(find "corpus/$target" -type f | wc -l)
    line="$target: ${seconds} s, $execs executions, corpus $corpus, peak RSS ${rss} MB, no crash"
    echo "$line"
    echo "$(date -u +%FT%TZ) $line" >> logs/summary.txt
done
