#!/usr/bin/env python3
"""Drive the Python `scitokens` reference library for the interop tests.

    pyref.py mint   PRIVATE_PEM ALG KID ISSUER SCOPE AUD   -> prints a token
    pyref.py verify PUBLIC_PEM TOKEN                        -> prints the claims as JSON
    pyref.py enforce PUBLIC_PEM ISSUER AUD TOKEN AUTHZ:PATH...
                                                            -> one line per request: allow/deny

Exit status 0 on success; on failure the exception goes to stderr and the status is 1.
"""
import json
import sys

import scitokens


def mint(private_pem, alg, kid, issuer, scope, aud):
    with open(private_pem, "rb") as f:
        pem = f.read()
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(pem, password=None)
    token = scitokens.SciToken(key=key, algorithm=alg, key_id=kid)
    token.update_claims({"scope": scope, "aud": aud, "ver": "scitoken:2.0", "sub": "interop"})
    print(token.serialize(issuer=issuer, lifetime=600).decode())


def verify(public_pem, token):
    with open(public_pem, "rb") as f:
        pem = f.read()
    parsed = scitokens.SciToken.deserialize(token, public_key=pem)
    print(json.dumps(dict(parsed.claims()), sort_keys=True))


def enforce(public_pem, issuer, aud, token, *requests):
    with open(public_pem, "rb") as f:
        pem = f.read()
    parsed = scitokens.SciToken.deserialize(token, public_key=pem, audience=aud)
    enforcer = scitokens.Enforcer(issuer, audience=aud)
    for request in requests:
        authz, path = request.split(":", 1)
        try:
            allowed = enforcer.test(parsed, authz, path)
        except Exception:  # the reference raises for some invalid inputs
            allowed = False
        print("allow" if allowed else "deny")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "mint":
        mint(*args)
    elif command == "verify":
        verify(*args)
    elif command == "enforce":
        enforce(*args)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
