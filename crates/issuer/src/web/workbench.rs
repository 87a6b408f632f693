//! The token workbench: paste a token to see its header and claims, whether this issuer's keys
//! verify it (and why not), its ACLs, and the answer for a request. The verification is the
//! enforcer's own, against this issuer's published keys only: the page never fetches keys of
//! another issuer (that would let anyone make the issuer fetch URLs). In test mode a button
//! mints a sample token.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{html, Markup};
use serde_json::Value;

use scitokens_enforce::{AclForm, Decision, Enforcer, EnforcerConfig, Operation};
use scitokens_format::{Profile, StaticKeys, TokenBuilder, Untrusted, UnverifiedToken};

use super::pages::{layout, notice};
use super::session::Session;
use crate::oauth::Form;
use crate::service::Issuer;

/// The scopes of a sample token.
pub const SAMPLE_SCOPE: &str = "storage.read:/sample storage.create:/sample/out";
/// The audience of a sample token.
pub const SAMPLE_AUDIENCE: &str = "https://workbench.example";

/// What was typed into the form.
#[derive(Default)]
struct Input {
    token: String,
    audience: String,
    operation: String,
    path: String,
}

impl Input {
    fn from_form(form: &Form) -> Input {
        let get = |n: &str| form.get(n).ok().flatten().unwrap_or("").trim().to_owned();
        Input {
            token: get("token"),
            audience: get("audience"),
            operation: get("operation"),
            path: get("path"),
        }
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The analysis of a token.
fn analysis(issuer: &Issuer, input: &Input) -> Markup {
    let token = match UnverifiedToken::parse(&input.token) {
        Ok(t) => t,
        Err(e) => return notice("error", &format!("Not a token: {e}")),
    };
    let header = Value::Object(token.header().to_map());
    let claims = Value::Object(token.claims().to_map());
    let token_aud: Vec<String> = token
        .claims()
        .aud()
        .optional("aud")
        .ok()
        .flatten()
        .map(|a| a.values().map(str::to_owned).collect())
        .unwrap_or_default();
    let audiences = if input.audience.is_empty() {
        token_aud
    } else {
        vec![input.audience.clone()]
    };
    let now = issuer.now();
    let keys = StaticKeys::new().with_issuer(
        issuer.config.issuer.clone(),
        issuer.keys().verifying_set(now),
    );
    let mut config = EnforcerConfig {
        issuers: vec![issuer.config.issuer.clone()],
        audiences,
        token_cache_capacity: 0,
        ..EnforcerConfig::default()
    };
    config.dangerous.allow_http_loopback_issuers = issuer.config.tls.is_none();
    let verdict = Enforcer::with_clock(config, Arc::new(keys), issuer.clock())
        .map_err(|e| e.to_string())
        .and_then(|enforcer| {
            let grants = enforcer.grants(&input.token).map_err(|e| e.to_string())?;
            Ok((enforcer, grants))
        });
    html! {
        h2 { "Header" }
        pre { (pretty(&header)) }
        h2 { "Claims" }
        pre { (pretty(&claims)) }
        h2 { "Verification" }
        @match &verdict {
            Ok(_) => {
                (notice("ok", &format!("Valid: signed by this issuer ({}), within its lifetime, claims as its profile requires.", issuer.config.issuer)))
                @if input.audience.is_empty() { p.muted { "No audience was given, so the token's own audiences were accepted." } }
            }
            Err(why) => (notice("error", &format!("Not valid here: {why}"))),
        }
        @if let Ok((enforcer, grants)) = &verdict {
            h2 { "ACLs" }
            @let acls = grants.acls(AclForm::Native);
            @if acls.is_empty() { p { "None: the token grants nothing." } }
            ul.scopes { @for acl in &acls { li { (acl.to_string()) } } }
            @if !input.operation.is_empty() && !input.path.is_empty() {
                h2 { "Request" }
                @match input.operation.parse::<Operation>() {
                    Err(e) => (notice("error", &format!("Operation: {e}"))),
                    Ok(op) => @match enforcer.authorize(&input.token, &op, &input.path) {
                        Ok(Decision::Allowed { by }) => (notice("ok", &format!(
                            "Allowed: {} on {} by {}", op, Untrusted::new(&input.path),
                            by.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")))),
                        Ok(Decision::Denied(d)) => (notice("error", &format!("Denied: {d}"))),
                        Err(e) => (notice("error", &format!("Refused: {e}"))),
                    },
                }
            }
        }
    }
}

fn render(issuer: &Issuer, session: &Session, input: &Input, result: Option<Markup>) -> Markup {
    let action = format!("{}/workbench", issuer.config.issuer);
    layout(
        &issuer.config.issuer,
        "Token workbench",
        html! {
            p { "Paste a token to decode it, verify it against this issuer's keys, list its ACLs and test a request. Nothing you paste is stored or logged." }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="token" { "Token" }
                textarea #token name="token" spellcheck="false" { (input.token) }
                label for="audience" { "Your service's audience (optional)" }
                input #audience type="text" name="audience" value=(input.audience);
                label for="operation" { "Operation to test (optional): read, create, modify, storage.read, ..." }
                input #operation type="text" name="operation" value=(input.operation);
                label for="path" { "Path" }
                input #path type="text" name="path" value=(input.path);
                button #analyse type="submit" { "Analyse" }
            }
            @if issuer.config.workbench.test_mode {
                form method="post" action={ (action) "/sample" } {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button #sample .secondary type="submit" { "Mint a sample token (test mode)" }
                }
            }
            @if let Some(r) = result { hr; (r) }
        },
    )
}

/// `GET /workbench`.
pub(crate) async fn page(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> Response {
    let Ok(session) = issuer.session_or_new(&headers) else {
        return issuer.page(StatusCode::INTERNAL_SERVER_ERROR, None, html! {});
    };
    let markup = render(&issuer, &session, &Input::default(), None);
    issuer.page(StatusCode::OK, Some(&session), markup)
}

fn checked(issuer: &Issuer, headers: &HeaderMap, body: &[u8]) -> Option<(Session, Form)> {
    let session = issuer.session(headers)?;
    let form = Form::parse(headers, body).ok()?;
    let csrf = form.get("csrf").ok().flatten()?;
    session.csrf_ok(csrf).then_some((session, form))
}

/// `POST /workbench`: the analysis.
pub(crate) async fn analyse(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((session, form)) = checked(&issuer, &headers, &body) else {
        return issuer.to_page("/workbench", None);
    };
    let input = Input::from_form(&form);
    let result = analysis(&issuer, &input);
    let markup = render(&issuer, &session, &input, Some(result));
    issuer.page(StatusCode::OK, Some(&session), markup)
}

/// `POST /workbench/sample`: a sample token, in test mode only.
pub(crate) async fn sample(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((session, _)) = checked(&issuer, &headers, &body) else {
        return issuer.to_page("/workbench", None);
    };
    if !issuer.config.workbench.test_mode {
        return issuer.page(
            StatusCode::NOT_FOUND,
            Some(&session),
            layout(
                &issuer.config.issuer,
                "Not offered",
                notice("error", "Sample tokens are minted only in test mode."),
            ),
        );
    }
    let now = issuer.now();
    let Some(key) = issuer.keys().signer(now).cloned() else {
        return issuer.page(StatusCode::SERVICE_UNAVAILABLE, Some(&session), html! {});
    };
    let token = TokenBuilder::new(Profile::Wlcg, &issuer.config.issuer)
        .subject("workbench-sample")
        .scope(SAMPLE_SCOPE)
        .audience(SAMPLE_AUDIENCE)
        .lifetime(std::time::Duration::from_secs(600))
        .sign(&key, now);
    let token = match token {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "minting a sample token");
            return issuer.page(StatusCode::INTERNAL_SERVER_ERROR, Some(&session), html! {});
        }
    };
    tracing::info!("workbench minted a sample token (test mode)");
    let input = Input {
        token,
        audience: SAMPLE_AUDIENCE.to_owned(),
        operation: "storage.create".into(),
        path: "/sample/out/result.root".into(),
    };
    let result = analysis(&issuer, &input);
    let markup = render(&issuer, &session, &input, Some(result));
    issuer.page(StatusCode::OK, Some(&session), markup)
}
