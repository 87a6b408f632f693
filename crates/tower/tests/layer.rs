//! The layer in front of a real axum router, driven request by request: tokens from every
//! place, every refusal with its RFC 6750 challenge, the WebDAV table with the WLCG
//! expectations, base paths, one-line route protection, and the blocking path for keys that
//! are only in the cache file.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::routing::{any, get};
use axum::Router;
use base64::Engine;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use scitokens_enforce::{EnforcerConfig, Existence};
use scitokens_format::{Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_tower::{Authorized, Authorizer, ScitokensLayer};
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example";
const AUD: &str = "https://storage.example";

struct Fixture {
    key: SigningKey,
    home: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        let home = tempfile::tempdir().unwrap();
        let f = Fixture { key, home };
        let jwks = KeySet::new(vec![f.key.verifying_key().clone()])
            .to_json()
            .unwrap();
        f.cache().set_jwks(ISSUER, jwks.as_bytes()).unwrap();
        f
    }

    /// A cache on the fixture's file (a new value: nothing in memory until asked).
    fn cache(&self) -> KeyCache {
        KeyCache::open(KeyCacheConfig {
            location: CacheLocation::CacheHome(self.home.path().to_owned()),
            ..KeyCacheConfig::default()
        })
        .unwrap()
    }

    fn authorizer(&self, cache: KeyCache) -> Arc<Authorizer> {
        let config = EnforcerConfig {
            issuers: vec![ISSUER.into()],
            audiences: vec![AUD.into()],
            ..EnforcerConfig::default()
        };
        Arc::new(Authorizer::new(config, cache).unwrap())
    }

    fn token(&self, profile: Profile, scope: &str, aud: &str) -> String {
        TokenBuilder::new(profile, ISSUER)
            .subject("alice")
            .scope(scope)
            .audience(aud)
            .sign(&self.key, SystemClock.now())
            .unwrap()
    }
}

/// Every route answers with the authorized path, destination and subject.
fn app(layer: ScitokensLayer) -> Router {
    let echo = |auth: Authorized| async move {
        format!(
            "{} {} {}",
            auth.path(),
            auth.destination().unwrap_or("-"),
            auth.subject().unwrap_or("-")
        )
    };
    Router::new()
        .route("/", any(echo))
        .route("/{*path}", any(echo))
        .layer(layer)
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: String,
}

async fn send(app: &Router, method: &str, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        challenge,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn tokens_from_every_place_and_every_refusal() {
    let f = Fixture::new();
    let cache = f.cache();
    cache.keys(ISSUER, None).unwrap();
    let app = app(ScitokensLayer::webdav(f.authorizer(cache)));
    let token = f.token(Profile::SciTokens2, "read:/data", AUD);
    let auth = bearer(&token);

    let ok = send(&app, "GET", "/data/run1/file", &[("authorization", &auth)]).await;
    assert_eq!(
        (ok.status, ok.body.as_str()),
        (StatusCode::OK, "/data/run1/file - alice")
    );
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{token}:x-oauth-basic"))
    );
    assert_eq!(
        send(&app, "GET", "/data/x", &[("authorization", &basic)])
            .await
            .status,
        StatusCode::OK
    );
    let query = format!("/data/x?authz=Bearer%20{token}");
    assert_eq!(send(&app, "GET", &query, &[]).await.status, StatusCode::OK);

    // No token: invalid_token, saying where a token was looked for.
    let none = send(&app, "GET", "/data/x", &[]).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.challenge.as_deref(),
        Some("Bearer realm=\"scitokens\", error=\"invalid_token\", error_description=\"no bearer token in Authorization or the authz parameter\"")
    );
    // A bad token: invalid_token, with why.
    for bad in [
        bearer("not.a.token"),
        bearer(&f.token(Profile::SciTokens2, "read:/data", "https://other.example")),
        "Digest abc".to_owned(),
    ] {
        let answer = send(&app, "GET", "/data/x", &[("authorization", &bad)]).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{bad}: {}",
            answer.body
        );
        let challenge = answer.challenge.unwrap();
        assert!(
            challenge.starts_with(
                "Bearer realm=\"scitokens\", error=\"invalid_token\", error_description=\""
            ),
            "{challenge}"
        );
    }
    // Not granted: insufficient_scope naming what would be.
    let denied = send(&app, "GET", "/database", &[("authorization", &auth)]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(
        denied.challenge.as_deref(),
        Some("Bearer realm=\"scitokens\", error=\"insufficient_scope\", scope=\"read:/database\"")
    );
    // `..`, encoded or not, is resolved before the test: never widens.
    for path in [
        "/data/../etc/passwd",
        "/data/%2e%2e/etc/passwd",
        "/data/%2E%2E/etc/passwd",
    ] {
        let answer = send(&app, "GET", path, &[("authorization", &auth)]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert!(answer
            .challenge
            .unwrap()
            .contains("scope=\"read:/etc/passwd\""));
    }
    // A path that decodes badly is a bad request; a method with no operation is 405.
    assert_eq!(
        send(&app, "GET", "/data/%zz", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send(&app, "TRACE", "/data/x", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn the_webdav_table_with_wlcg_expectations() {
    let f = Fixture::new();
    let cache = f.cache();
    cache.keys(ISSUER, None).unwrap();
    // "/existing" exists; everything else does not.
    let layer = ScitokensLayer::webdav(f.authorizer(cache)).with_existence(|p: &str| {
        if p.starts_with("/out/existing") {
            Existence::Exists
        } else {
            Existence::Absent
        }
    });
    let app = app(layer);
    let wlcg = |scope: &str| bearer(&f.token(Profile::Wlcg, scope, AUD));
    let status = |answer: Answer| answer.status;

    let create = wlcg("storage.create:/out");
    assert_eq!(
        status(send(&app, "PUT", "/out/new", &[("authorization", &create)]).await),
        StatusCode::OK
    );
    assert_eq!(
        status(send(&app, "MKCOL", "/out/dir/", &[("authorization", &create)]).await),
        StatusCode::OK
    );
    // storage.create cannot overwrite, nor read, nor delete.
    assert_eq!(
        status(send(&app, "PUT", "/out/existing", &[("authorization", &create)]).await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(send(&app, "GET", "/out/new", &[("authorization", &create)]).await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(send(&app, "DELETE", "/out/new", &[("authorization", &create)]).await),
        StatusCode::FORBIDDEN
    );
    // storage.modify overwrites and deletes, but does not read.
    let modify = wlcg("storage.modify:/out");
    assert_eq!(
        status(send(&app, "PUT", "/out/existing", &[("authorization", &modify)]).await),
        StatusCode::OK
    );
    assert_eq!(
        status(
            send(
                &app,
                "DELETE",
                "/out/existing",
                &[("authorization", &modify)]
            )
            .await
        ),
        StatusCode::OK
    );
    assert_eq!(
        status(send(&app, "GET", "/out/existing", &[("authorization", &modify)]).await),
        StatusCode::FORBIDDEN
    );
    // storage.stage does not read.
    let stage = wlcg("storage.stage:/out");
    assert_eq!(
        status(send(&app, "GET", "/out/existing", &[("authorization", &stage)]).await),
        StatusCode::FORBIDDEN
    );

    // MOVE: read and modify on the source, create on the destination.
    let mover = wlcg("storage.read:/in storage.modify:/in storage.create:/out");
    let answer = send(
        &app,
        "MOVE",
        "/in/a",
        &[
            ("authorization", &mover),
            ("destination", "https://storage.example/out/b"),
        ],
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "/in/a /out/b alice")
    );
    let reader = wlcg("storage.read:/in storage.create:/out");
    let answer = send(
        &app,
        "MOVE",
        "/in/a",
        &[("authorization", &reader), ("destination", "/out/b")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.challenge.unwrap().contains("scope=\"modify:/in/a\""));
    // COPY onto an existing destination needs modify there.
    let copier = wlcg("storage.read:/in storage.create:/out");
    let answer = send(
        &app,
        "COPY",
        "/in/a",
        &[("authorization", &copier), ("destination", "/out/existing")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // A Destination that climbs out with `..` is judged where it lands.
    let answer = send(
        &app,
        "COPY",
        "/in/a",
        &[("authorization", &copier), ("destination", "/out/../in/b")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.challenge.unwrap().contains("scope=\"create:/in/b\""));
    let missing = send(&app, "COPY", "/in/a", &[("authorization", &copier)]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn base_paths_and_one_line_route_protection() {
    let f = Fixture::new();
    let cache = f.cache();
    cache.keys(ISSUER, None).unwrap();
    let authorizer = f.authorizer(cache);
    let app = app(ScitokensLayer::webdav(Arc::clone(&authorizer))
        .with_base_path("/dav/")
        .unwrap());
    let auth = bearer(&f.token(Profile::SciTokens2, "read:/data", AUD));
    let answer = send(&app, "GET", "/dav/data/a%20b", &[("authorization", &auth)]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "/data/a b - alice")
    );
    assert_eq!(
        send(&app, "GET", "/other/data", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, "GET", "/dav/../data", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let protected: Router = Router::new().route(
        "/report",
        get(|| async { "report" })
            .layer(ScitokensLayer::require(authorizer, "read:/reports").unwrap()),
    );
    let reports = bearer(&f.token(Profile::SciTokens2, "read:/reports", AUD));
    let answer = send(&protected, "GET", "/report", &[("authorization", &reports)]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "report")
    );
    let answer = send(&protected, "GET", "/report", &[("authorization", &auth)]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer
        .challenge
        .unwrap()
        .contains("scope=\"read:/reports\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_only_in_the_file_are_read_on_a_blocking_thread() {
    let f = Fixture::new();
    // A fresh cache value: the keys are in its file, not in its memory.
    let cache = f.cache();
    assert!(cache.keys_in_memory(ISSUER, None).is_none());
    let app = app(ScitokensLayer::webdav(f.authorizer(cache.clone())));
    let auth = bearer(&f.token(Profile::SciTokens2, "read:/data", AUD));
    assert_eq!(
        send(&app, "GET", "/data/x", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::OK
    );
    // Now they are in memory: the next request is answered on its own thread.
    assert!(cache.keys_in_memory(ISSUER, None).is_some());
    assert_eq!(
        send(&app, "GET", "/data/y", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::OK
    );
}
