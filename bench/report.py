#!/usr/bin/env python3
"""Renders bench/compare.sh's measurements: a Markdown table on stdout and an SVG chart.

    report.py RESULTS.jsonl CHART.svg
"""
import json
import math
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def find(rows, kind, **detail):
    for row in rows:
        if row["kind"] == kind and all(row.get("detail", {}).get(k) == v for k, v in detail.items()):
            return row
    return None


ROWS = [
    ("OpenSSL primitive (`openssl speed`, one signature over and over)", "openssl", {}),
    ("verification limit: aws-lc primitive on the same tokens (one-shot SHA-256 of the signing input + signature check), in-process, paired runs", "limit", {}),
    ("the signature check alone (digest computed beforehand), paired runs", "limit_bare", {}),
    ("scitokens-rs, Rust `authorize`, new tokens", "rust_authorize", {"mode": "new"}),
    ("scitokens-rs, Rust `authorize`, repeated token", "rust_authorize", {"mode": "repeated"}),
    ("scitokens-rs, C ABI, new tokens", "capi", {"mode": "new", "library": "ours"}),
    ("scitokens-rs, C ABI, repeated token", "capi", {"mode": "repeated", "library": "ours"}),
    ("scitokens-cpp (Debian libscitokens0), new tokens", "capi", {"mode": "new", "library": "debian"}),
    ("scitokens-cpp (Debian libscitokens0), repeated token", "capi", {"mode": "repeated", "library": "debian"}),
    ("Python `scitokens`, new tokens", "python", {"mode": "new"}),
    ("Python `scitokens`, repeated token", "python", {"mode": "repeated"}),
]


def table(rows):
    machine = next((r for r in rows if r["kind"] == "machine"), {})
    out = []
    out.append(f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; OpenSSL {machine.get('openssl', '?')}, "
               f"rustc {machine.get('rustc', '?')}, scitokens-cpp {machine.get('scitokens_cpp', '?')}, "
               f"Python scitokens {machine.get('python_scitokens', '?')}; {machine.get('date', '?')}; "
               f"{machine.get('tokens', '?')} tokens per algorithm, median of {machine.get('runs', '?')} runs.")
    out.append("")
    out.append("| Per token: deserialize/verify + ACLs/test | alg | µs/token (min-max) | tokens/s | × scitokens-rs | × limit |")
    out.append("|---|---|---:|---:|---:|---:|")
    for alg in ("ES256", "RS256"):
        # The ratio to the limit: to the in-process aws-lc primitive over the same tokens,
        # measured in the same runs (paired, so machine drift cancels), else to `openssl speed`.
        limit = find(rows, "limit", alg=alg) or find(rows, "openssl", alg=alg)
        for label, kind, detail in ROWS:
            row = find(rows, kind, alg=alg, **detail)
            if row is None:
                continue
            mode = detail.get("mode", "new")
            ours = find(rows, "rust_authorize", alg=alg, mode=mode)
            spread = f" ({row['min_us']:.2f}-{row['max_us']:.2f})" if "min_us" in row else ""
            is_limit = kind in ("openssl", "limit", "limit_bare")
            vs_ours = f"{row['us'] / ours['us']:.1f}x" if ours and not is_limit else ""
            vs_limit = f"{row['us'] / limit['us']:.2f}x" if limit and not is_limit else ""
            paired = find(rows, "rust_vs_limit", alg=alg)
            if kind == "rust_authorize" and mode == "new" and paired:
                vs_limit = f"**{paired['us']:.2f}x** (paired: {paired['min_us']:.2f}-{paired['max_us']:.2f})"
                bare = find(rows, "rust_vs_bare", alg=alg)
                if bare:
                    vs_limit += f"; {bare['us']:.2f}x the check alone"
            out.append(f"| {label} | {alg} | {row['us']:.2f}{spread} | {1e6 / row['us']:,.0f} | {vs_ours} | {vs_limit} |")
    out.append("")
    out.append("| Minting (`TokenBuilder::sign`) against the raw signature, paired runs | alg | µs | × raw sign |")
    out.append("|---|---|---:|---:|")
    for alg in ("ES256", "RS256"):
        sign, mint, ratio = (find(rows, k, alg=alg) for k in ("sign", "mint", "mint_vs_sign"))
        if sign and mint and ratio:
            out.append(f"| raw signature (`SigningKey::sign`) | {alg} | {sign['us']:.2f} | |")
            out.append(f"| mint: claims checked and built, `jti`, JSON, base64, signature | {alg} | {mint['us']:.2f} | **{ratio['us']:.2f}x** ({ratio['min_us']:.2f}-{ratio['max_us']:.2f}) |")
    out.append("")
    out.append("| Whole process: verify one token | alg | ms/process | × `scitoken` |")
    out.append("|---|---|---:|---:|")
    for alg in ("ES256", "RS256"):
        ours = find(rows, "cli", alg=alg, cli="scitoken")
        for cli in ("scitoken", "scitokens-verify", "scitokens-verify-token"):
            row = find(rows, "cli", alg=alg, cli=cli)
            if row:
                out.append(f"| `{cli}` | {alg} | {row['us'] / 1000:.2f} | {row['us'] / ours['us']:.1f}x |")
    out.append("")
    out.append("| Growth | value |")
    out.append("|---|---:|")
    workloads = {"new": "new tokens", "repeated": "1,000 repeated tokens", "hot token": "one token asked about by both threads"}
    for alg in ("ES256", "RS256"):
        for workload, words in workloads.items():
            one = find(rows, "rust_threads", alg=alg, workload=workload, threads=1)
            two = find(rows, "rust_threads", alg=alg, workload=workload, threads=2)
            paired = find(rows, "rust_threads_speedup", alg=alg, workload=workload)
            if paired and one and two:
                out.append(f"| {alg} {words}, 2 threads sharing one enforcer vs 1 thread (paired runs) | {paired['us']:.2f}x ({paired['min_us']:.2f}-{paired['max_us']:.2f}); {one['us']:.2f} → {two['us']:.2f} µs |")
    for n in (1, 10, 100, 1000):
        row = find(rows, "rust_scopes", scopes=n)
        if row:
            out.append(f"| `test` against a token with {n} scope(s), the last matching | {row['us'] * 1000:.0f} ns |")
    mem = next((r for r in rows if r["kind"] == "rust_memory"), None)
    if mem:
        out.append(f"| memory for {mem['detail']['tokens']:,} cached verified tokens | {mem['kib'] / 1024:.1f} MiB ({mem['bytes_per_token']:.0f} B/token) |")
    disc = next((r for r in rows if r["kind"] == "rust_discovery"), None)
    if disc:
        out.append(f"| first request for a new issuer (discovery + JWKS over HTTPS + SQLite + verify) | {disc['us'] / 1000:.2f} ms |")
    return "\n".join(out)


def chart(rows, path):
    bars = []
    for alg in ("ES256", "RS256"):
        for label, kind, detail in ROWS:
            if detail.get("mode") == "repeated":
                continue
            row = find(rows, kind, alg=alg, **detail)
            if row:
                short = label.split(",")[0].replace("`", "").replace(" (Debian libscitokens0)", "")
                if kind == "capi" and detail.get("library") == "ours":
                    short = "scitokens-rs C ABI"
                elif kind == "rust_authorize":
                    short = "scitokens-rs Rust API"
                elif kind == "openssl":
                    short = "openssl speed"
                elif kind == "limit":
                    short = "aws-lc primitive (limit)"
                elif kind == "limit_bare":
                    short = "aws-lc check alone"
                bars.append((f"{alg}  {short}", 1e6 / row["us"], kind))
    width, left, bar_h, gap = 860, 300, 22, 8
    height = 60 + len(bars) * (bar_h + gap)
    top = max(v for _, v, _ in bars)
    scale = (width - left - 120) / math.log10(top * 1.5)
    colors = {"openssl": "#999999", "limit": "#bbbbbb", "limit_bare": "#dddddd", "rust_authorize": "#1f77b4", "capi": "#2ca02c", "python": "#ff7f0e"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             f'<text x="10" y="22" font-size="15" font-weight="bold">New tokens per second (log scale): verify + ACLs, one core</text>']
    y = 44
    for label, value, kind in bars:
        color = colors.get(kind, "#888")
        if "scitokens-cpp" in label:
            color = "#d62728"
        w = max(2, math.log10(max(value, 1)) * scale)
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}">{value:,.0f}/s</text>')
        y += bar_h + gap
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    rows = load(sys.argv[1])
    print(table(rows))
    chart(rows, sys.argv[2])


if __name__ == "__main__":
    main()
