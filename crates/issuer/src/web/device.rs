//! The device flow's pages: enter the user code, consent; the helpers every page uses.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use crate::grants::{normalize_user_code, show_user_code};
use crate::login::Person;
use crate::oauth::Form;
use crate::policy::join_scopes;
use crate::service::Issuer;
use crate::store::Decision;

use super::pages::{self, ConsentView};
use super::session::Session;

/// The client's address, when the connection loop recorded it.
pub(crate) struct Peer(pub(crate) Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// A POSTed page form; `None` when it is not a form.
fn form(headers: &HeaderMap, body: &[u8]) -> Option<Form> {
    Form::parse(headers, body).ok()
}

impl Issuer {
    pub(crate) fn server_error_page(&self) -> Response {
        self.page(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            pages::message(
                &self.config.issuer,
                "Something went wrong",
                "error",
                "The issuer could not finish this step. Try again in a moment.",
            ),
        )
    }

    pub(crate) fn expired_form(&self) -> Response {
        self.page(
            StatusCode::FORBIDDEN,
            None,
            pages::message(
                &self.config.issuer,
                "This page expired",
                "error",
                "The form was too old or came from elsewhere. Start again from the code page.",
            ),
        )
    }

    pub(crate) fn too_many(&self) -> Response {
        self.page(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            pages::message(
                &self.config.issuer,
                "Too many attempts",
                "error",
                "Too many codes or logins were tried from your address. Wait a minute and try again.",
            ),
        )
    }

    /// The session of a POSTed form whose CSRF token matches, with the form.
    pub(crate) fn checked_post(&self, headers: &HeaderMap, body: &[u8]) -> Option<(Session, Form)> {
        let session = self.session(headers)?;
        let form = form(headers, body)?;
        let csrf = form.get("csrf").ok().flatten()?;
        session.csrf_ok(csrf).then_some((session, form))
    }

    /// Where a session goes next: the code page, the login page or the consent page.
    pub(crate) fn next_step(&self, session: &Session) -> Response {
        match (&session.user_code, &session.person) {
            (None, _) => self.to_page("/device", Some(session)),
            (Some(_), None) => self.to_page("/login", Some(session)),
            (Some(_), Some(_)) => self.to_page("/device/consent", Some(session)),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CodeQuery {
    user_code: Option<String>,
}

/// `GET /device`: the code form, filled from `?user_code=` when it came in the link.
pub(crate) async fn enter_code(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> Response {
    if issuer.config.login.is_none() {
        return issuer.page(
            StatusCode::NOT_FOUND,
            None,
            pages::message(
                &issuer.config.issuer,
                "No device flow",
                "error",
                "This issuer does not offer the device flow.",
            ),
        );
    }
    let Ok(session) = issuer.session_or_new(&headers) else {
        return issuer.server_error_page();
    };
    let code = query
        .user_code
        .and_then(|c| normalize_user_code(&c))
        .map(|c| show_user_code(&c))
        .unwrap_or_default();
    let markup = pages::enter_code(&issuer.config.issuer, &session.csrf, &code, None);
    issuer.page(StatusCode::OK, Some(&session), markup)
}

/// `POST /device`: checks the code; on to login or consent.
pub(crate) async fn submit_code(
    State(issuer): State<Arc<Issuer>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((mut session, form)) = issuer.checked_post(&headers, &body) else {
        return issuer.expired_form();
    };
    if !issuer.pages.attempt(peer) {
        return issuer.too_many();
    }
    let typed = form.get("user_code").ok().flatten().unwrap_or("");
    let found = match normalize_user_code(typed) {
        None => None,
        Some(code) => match issuer.store.pending_device(&code, issuer.now()).await {
            Ok(found) => found.map(|_| code),
            Err(e) => {
                tracing::error!(error = %e, "reading a device authorization");
                return issuer.server_error_page();
            }
        },
    };
    let Some(code) = found else {
        let markup = pages::enter_code(
            &issuer.config.issuer,
            &session.csrf,
            "",
            Some("That code is not valid, has expired, or was already used. Check your terminal and type it again."),
        );
        return issuer.page(StatusCode::BAD_REQUEST, Some(&session), markup);
    };
    session.user_code = Some(code);
    issuer.next_step(&session)
}

/// What a session's person would be given for its user code: the view's parts.
struct Offer {
    client_id: String,
    scopes: Result<(Vec<String>, bool), String>,
    audiences: Vec<String>,
    lifetime_secs: u64,
}

impl Issuer {
    /// What approving would grant, computed afresh from the stored request, the client's policy
    /// and the person's rules (never from the form). `None` if the request is gone.
    async fn offer(&self, code: &str, person: &Person) -> crate::Result<Option<Offer>> {
        let Some(request) = self.store.pending_device(code, self.now()).await? else {
            return Ok(None);
        };
        let Some(client) = self.config.clients.get(&request.client_id) else {
            return Ok(None);
        };
        let entitlement = self
            .config
            .login
            .as_ref()
            .map(|l| l.rules.entitlement(person))
            .unwrap_or_default();
        let scopes = client
            .grant_device_scopes(request.scope.as_deref(), &entitlement)
            .map(|g| {
                (
                    g.scopes.iter().map(ToString::to_string).collect(),
                    g.refresh,
                )
            })
            .map_err(|_| {
                "Your account is not entitled to any of the scopes this device asks for, so \
                 there is nothing to approve."
                    .to_owned()
            });
        Ok(Some(Offer {
            client_id: request.client_id,
            scopes,
            audiences: request.audiences,
            lifetime_secs: client.lifetime().as_secs(),
        }))
    }
}

/// `GET /device/consent`: what the token will carry; Approve or Deny.
pub(crate) async fn consent_page(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
) -> Response {
    let Some(session) = issuer.session(&headers) else {
        return issuer.to_page("/device", None);
    };
    let (Some(code), Some(person)) = (&session.user_code, &session.person) else {
        return issuer.next_step(&session);
    };
    let offer = match issuer.offer(code, person).await {
        Ok(Some(offer)) => offer,
        Ok(None) => return gone(&issuer, session),
        Err(e) => {
            tracing::error!(error = %e, "reading a device authorization");
            return issuer.server_error_page();
        }
    };
    let (scopes, refresh, refusal) = match &offer.scopes {
        Ok((s, r)) => (s.clone(), *r, None),
        Err(why) => (Vec::new(), false, Some(why.as_str())),
    };
    let shown = show_user_code(code);
    let markup = pages::consent(&ConsentView {
        issuer: &issuer.config.issuer,
        csrf: &session.csrf,
        username: &person.username,
        via: &person.via,
        client_id: &offer.client_id,
        user_code: &shown,
        scopes: &scopes,
        audiences: &offer.audiences,
        lifetime_secs: offer.lifetime_secs,
        refresh,
        refusal,
    });
    issuer.page(StatusCode::OK, Some(&session), markup)
}

fn gone(issuer: &Issuer, mut session: Session) -> Response {
    session.user_code = None;
    issuer.page(
        StatusCode::GONE,
        Some(&session),
        pages::message(
            &issuer.config.issuer,
            "Request no longer pending",
            "error",
            "This request expired or was already approved or denied. Start again on your device.",
        ),
    )
}

/// `POST /device/consent`: the decision.
pub(crate) async fn decide(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((mut session, form)) = issuer.checked_post(&headers, &body) else {
        return issuer.expired_form();
    };
    let (Some(code), Some(person)) = (session.user_code.clone(), session.person.clone()) else {
        return issuer.next_step(&session);
    };
    let approve = match form.get("decision").ok().flatten() {
        Some("approve") => true,
        Some("deny") => false,
        _ => return issuer.next_step(&session),
    };
    let offer = match issuer.offer(&code, &person).await {
        Ok(Some(offer)) => offer,
        Ok(None) => return gone(&issuer, session),
        Err(e) => {
            tracing::error!(error = %e, "reading a device authorization");
            return issuer.server_error_page();
        }
    };
    let decision = match (&offer.scopes, approve) {
        (Ok((scopes, _)), true) => Decision::Approve {
            subject: person.username.clone(),
            scope: join_scopes(
                &scopes
                    .iter()
                    .filter_map(|s| scitokens_format::scope::Scope::parse(s).ok())
                    .collect::<Vec<_>>(),
            ),
        },
        _ => Decision::Deny,
    };
    let approved = matches!(decision, Decision::Approve { .. });
    match issuer
        .store
        .decide_device(&code, decision, issuer.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => return gone(&issuer, session),
        Err(e) => {
            tracing::error!(error = %e, "recording a device decision");
            return issuer.server_error_page();
        }
    }
    tracing::info!(user = %person.username, client = %offer.client_id, approved, "device decision");
    issuer.metrics.device_decision(approved);
    session.user_code = None;
    let (title, class, text) = if approved {
        (
            "Device approved",
            "ok",
            "Done. Return to your terminal: the device receives its token within a few seconds.",
        )
    } else {
        (
            "Request denied",
            "error",
            "Denied. The device gets no token.",
        )
    };
    issuer.page(
        StatusCode::OK,
        Some(&session),
        pages::message(&issuer.config.issuer, title, class, text),
    )
}
