"""Drives scitokens-issuer with an independent OAuth 2.0 client library (Authlib on requests):
every grant and the revocation endpoint, as a third-party client would. Prints one JSON object
of what it saw; exits non-zero on the first unexpected answer.

    oauth_client.py ISSUER CLIENT_ID SECRET_FILE BROKER_ID BROKER_SECRET_FILE
The CA is taken from REQUESTS_CA_BUNDLE."""
import json
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"


def session(client_id, secret_file, method):
    with open(secret_file) as f:
        secret = f.read().strip()
    return OAuth2Session(client_id, secret, token_endpoint_auth_method=method)


def main():
    issuer, cid, csecret, bid, bsecret = sys.argv[1:6]
    meta = requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=10).json()
    token_url, revoke_url = meta["token_endpoint"], meta["revocation_endpoint"]
    seen = {}

    # client_credentials with HTTP Basic, asking for a refresh token.
    svc = session(cid, csecret, "client_secret_basic")
    first = svc.fetch_token(token_url, grant_type="client_credentials",
                            scope="storage.read:/data offline_access")
    seen["client_credentials"] = {k: first[k] for k in ("token_type", "scope", "expires_in")}

    # refresh_token: rotated.
    second = svc.refresh_token(token_url, refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"], "not rotated"
    seen["refresh_rotated"] = True
    try:
        svc.refresh_token(token_url, refresh_token=first["refresh_token"])
        raise SystemExit("a replayed refresh token was accepted")
    except OAuthError as e:
        seen["replay_error"] = e.error

    # token exchange with client_secret_post: attenuation.
    broker = session(bid, bsecret, "client_secret_post")
    exchanged = broker.fetch_token(token_url, grant_type=EXCHANGE,
                                   subject_token=second["access_token"],
                                   subject_token_type=ACCESS,
                                   scope="storage.read:/data/sub")
    seen["exchange"] = {k: exchanged[k] for k in ("scope", "issued_token_type")}
    seen["exchanged_token"] = exchanged["access_token"]
    try:
        broker.fetch_token(token_url, grant_type=EXCHANGE, subject_token=second["access_token"],
                           subject_token_type=ACCESS, scope="storage.read:/")
        raise SystemExit("a widening exchange was accepted")
    except OAuthError as e:
        seen["widen_error"] = e.error

    # revocation (RFC 7009), then the revoked family refuses.
    third = svc.fetch_token(token_url, grant_type="client_credentials", scope="offline_access")
    response = svc.revoke_token(revoke_url, third["refresh_token"], token_type_hint="refresh_token")
    seen["revoke_status"] = response.status_code
    try:
        svc.refresh_token(token_url, refresh_token=third["refresh_token"])
        raise SystemExit("a revoked refresh token was accepted")
    except OAuthError as e:
        seen["revoked_error"] = e.error

    # A wrong secret.
    try:
        OAuth2Session(cid, "wrong").fetch_token(token_url, grant_type="client_credentials")
        raise SystemExit("a wrong secret was accepted")
    except OAuthError as e:
        seen["wrong_secret_error"] = e.error
    print(json.dumps(seen, sort_keys=True))


if __name__ == "__main__":
    main()
