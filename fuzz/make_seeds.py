#!/usr/bin/env python3
"""Rebuild the committed seed corpus (fuzz/seeds/TARGET/) from testdata/.

    python3 fuzz/make_seeds.py

Seeds are named by the SHA-1 of their content (as libFuzzer names corpus files), so running
this twice changes nothing; `git status` after a run shows whether the seeds are current.
Sources: the known-answer vectors (tokens), the fixture key sets, the enforcer conformance
cases (scopes, paths, requests), and hand-written shapes of SciTokens 1.0/2.0, WLCG and
RFC 9068 access tokens.
"""
import base64
import hashlib
import json
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
ISSUER = "https://issuer.example"
AUD = "https://storage.example"
T = 1700000000
MAX_SEED = 16 * 1024


def b64d(segment):
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def put(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_SEED:
        return
    directory = SEEDS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def shapes():
    """(header, claims) of each profile, plus odd but legal variations."""
    base = {"iss": ISSUER, "sub": "alice", "iat": T, "nbf": T, "exp": T + 600, "jti": "3f1c6b0e"}
    yield {"alg": "ES256", "typ": "JWT", "kid": "es"}, dict(base, aud=AUD, ver="scitoken:2.0", scope="read:/data write:/data/out")
    yield {"alg": "RS256", "typ": "JWT", "kid": "rs"}, dict(base, aud=[AUD, "x"], ver="scitokens:2.0", scope="read:/ write:/tmp")
    yield {"alg": "ES256", "kid": "es"}, dict(base, scope="read:/store", ver="scitoken:1.0")
    yield {"alg": "ES256", "kid": "es"}, dict(base, aud="ANY", scope="read:/store queue execute:/x condor:/READ")
    yield {"alg": "ES256", "typ": "JWT", "kid": "es"}, dict(base, aud=AUD, **{"wlcg.ver": "1.0", "scope": "storage.read:/data storage.modify:/data/out storage.stage:/tape compute.read openid offline_access", "wlcg.groups": ["/cms", "/cms/uscms"]})
    yield {"alg": "ES256", "typ": "at+jwt", "kid": "es"}, dict(base, aud=AUD, scope="storage.read:/ storage.create:/out", client_id="c")
    yield {"alg": "ES256", "typ": "JWT", "kid": "es"}, dict(base, aud="https://wlcg.cern.ch/jwt/v1/any", **{"wlcg.ver": "1.2", "scope": "storage.read:/a%20b/ storage.create:/x/./y//z"})
    yield {"alg": "ES256", "typ": "JWT", "kid": "es"}, dict(base, aud=AUD, ver="scitoken:2.0", scope="read:mysql://db:3806/schema read:/john")


def main():
    # Tokens: the known-answer vectors and the shapes above (with a fake signature).
    tokens = []
    for path in sorted((ROOT / "testdata" / "vectors").glob("*.json")):
        vector = json.loads(path.read_text())
        tokens.append(vector["token"])
    for header, claims in shapes():
        signature = b"\x5a" * (256 if header["alg"] == "RS256" else 64)
        tokens.append(".".join(base64.urlsafe_b64encode(part).decode().rstrip("=") for part in (compact(header).encode(), compact(claims).encode(), signature)))
    for token in tokens:
        put("token_decode", token)
        parts = token.split(".")
        if len(parts) >= 2:
            try:
                put("claims", b64d(parts[1]))
            except Exception:
                pass
        put("http", f"Bearer {token}\nauthz=Bearer%20{token}&x=1")
        basic = base64.b64encode(f"{token}:x-oauth-basic".encode()).decode()
        put("http", f"Basic {basic}\nauthz={token}")
    for header, claims in shapes():
        put("claims", compact(claims))

    # Scopes and paths: the conformance cases.
    cases = json.loads((ROOT / "testdata" / "conformance" / "cases.json").read_text())["cases"]
    for case in cases:
        scope = case.get("scope")
        if isinstance(scope, str):
            put("scope", scope)
            for entry in scope.split():
                resource = entry.split(":", 1)[1] if ":" in entry else "/"
                put("paths", f"{resource}\n{case['path']}")
        profile = case["profile"]
        header = {"alg": "ES256", "typ": "at+jwt" if profile == "atjwt" else "JWT", "kid": "es"}
        claims = {"iss": ISSUER, "aud": AUD, "iat": T, "nbf": T, "exp": T + 600}
        if profile == "scitokens2":
            claims["ver"] = "scitoken:2.0"
        elif profile == "wlcg":
            claims["wlcg.ver"] = "1.0"
        if scope is not None:
            claims["scope"] = scope
        for name, value in (case.get("claims") or {}).items():
            if value is None:
                claims.pop(name, None)
            elif isinstance(value, str) and value.startswith("+"):
                claims[name] = T + int(value[1:])
            else:
                claims[name] = value
        put("authorize", f"{case['op']}\n{case['path']}\n{compact(header)}\n{compact(claims)}")
    for header, claims in shapes():
        put("authorize", f"read\n/data/file\n{compact(header)}\n{compact(claims)}")
        put("authorize", f"write\n/data/out/../x\n{compact(header)}\n{compact(claims)}")

    # Key sets and cache rows.
    for path in sorted((ROOT / "testdata" / "keys").glob("*.jwks")):
        document = path.read_text()
        put("jwks", document)
        put("cache_row", compact({"expires": T + 345600, "jwks": json.loads(document), "next_update": T + 600}))
    put("cache_row", '{"jwks":{"keys":[{"kty":"EC","alg":"ES256","kid":"k","x":"AA","y":"AA"}]},"expires":1,"next_update":0}')
    put("cache_row", '{"jwks":{"keys":[]},"expires":"soon"}')


if __name__ == "__main__":
    main()
