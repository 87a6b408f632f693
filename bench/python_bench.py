#!/usr/bin/env python3
"""The Python reference's side of bench/compare.sh: SciToken.deserialize with the key from its
own key cache (filled here; no network), then Enforcer.test, per token.

    python_bench.py ALG ISSUER AUDIENCE KID PUBLIC_PEM TOKENS_FILE RUNS

Prints JSON lines like the Rust driver: {"kind": "python", "detail": {...}, "us": median, ...}.
"""
import json
import statistics
import sys
import time

import scitokens
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from scitokens.utils.keycache import KeyCache


def main():
    alg, issuer, audience, kid, public_pem, tokens_file, runs = sys.argv[1:]
    runs = int(runs)
    with open(public_pem, "rb") as f:
        key = load_pem_public_key(f.read())
    KeyCache.getinstance().addkeyinfo(issuer, kid, key, cache_timer=3600)
    with open(tokens_file) as f:
        tokens = [line.strip() for line in f if line.strip()]
    enforcer = scitokens.Enforcer(issuer, audience=audience)

    def one(token):
        parsed = scitokens.SciToken.deserialize(token, audience=audience)
        if not enforcer.test(parsed, "read", "/data/1/x"):
            pass  # denied is fine for timing; tokens grant /data/N only for N == 1
        return parsed

    one(tokens[0])
    for mode, work in (("new", tokens), ("repeated", [tokens[0]] * len(tokens))):
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            for token in work:
                one(token)
            samples.append((time.perf_counter() - start) * 1e6 / len(work))
        print(json.dumps({"kind": "python", "detail": {"alg": alg, "mode": mode},
                          "us": statistics.median(samples), "min_us": min(samples), "max_us": max(samples)}))


if __name__ == "__main__":
    main()
