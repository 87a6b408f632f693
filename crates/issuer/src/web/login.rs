//! The login pages: the choices, a local account's form, and the upstream provider's round
//! trip (off with state, nonce and PKCE; back through the callback).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use crate::login::{accounts, Person};
use crate::service::Issuer;

use super::device::Peer;
use super::pages;
use super::session::Session;

impl Issuer {
    fn login_choices(&self) -> (bool, Option<&str>) {
        let local = self
            .config
            .login
            .as_ref()
            .is_some_and(|l| l.accounts_file.is_some());
        let upstream = self
            .upstream
            .as_ref()
            .map(|u| u.config().display_name.as_str());
        (local, upstream)
    }

    /// The "Login failed" page: `reason` shown to the person, with `status`.
    fn login_failed(&self, status: StatusCode, session: &Session, reason: &str) -> Response {
        self.page(
            status,
            Some(session),
            pages::message(&self.config.issuer, "Login failed", "error", reason),
        )
    }

    fn callback_uri(&self) -> String {
        format!("{}/login/callback", self.config.issuer)
    }

    /// A person logged in: the session gets them (with only the groups the rules name, so
    /// that a provider's long group lists do not outgrow the cookie) and a new CSRF token.
    fn logged_in(&self, mut session: Session, mut person: Person) -> Response {
        tracing::info!(user = %person.username, via = %person.via, "logged in on the pages");
        if let Some(login) = &self.config.login {
            person.groups.retain(|g| login.rules.mentions(g));
        }
        let Ok(fresh) = Session::new(self.now(), self.session_lifetime()) else {
            return self.server_error_page();
        };
        session.csrf = fresh.csrf;
        session.person = Some(person);
        session.upstream = None;
        self.next_step(&session)
    }
}

/// `GET /login`: the login choices.
pub(crate) async fn login_page(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> Response {
    let Some(session) = issuer.session(&headers) else {
        return issuer.to_page("/device", None);
    };
    let (local, upstream) = issuer.login_choices();
    let markup = pages::login(&issuer.config.issuer, &session.csrf, local, upstream, None);
    issuer.page(StatusCode::OK, Some(&session), markup)
}

/// `POST /login`: a local account's username and password.
pub(crate) async fn local_login(
    State(issuer): State<Arc<Issuer>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((session, form)) = issuer.checked_post(&headers, &body) else {
        return issuer.expired_form();
    };
    let Some(path) = issuer
        .config
        .login
        .as_ref()
        .and_then(|l| l.accounts_file.clone())
    else {
        return issuer.to_page("/login", Some(&session));
    };
    if !issuer.pages.attempt(peer) {
        return issuer.too_many();
    }
    let username = form.get("username").ok().flatten().unwrap_or("").to_owned();
    let password = form.get("password").ok().flatten().unwrap_or("").to_owned();
    let Ok(_permit) = issuer.pages.permits.acquire().await else {
        return issuer.server_error_page();
    };
    let decoy = issuer.pages.decoy.clone();
    let checked =
        tokio::task::spawn_blocking(move || accounts::check(&path, &username, &password, &decoy))
            .await;
    match checked {
        Ok(Ok(person)) => issuer.logged_in(session, person),
        Ok(Err(accounts::LoginFailed::BadCredentials)) => {
            let (local, upstream) = issuer.login_choices();
            let markup = pages::login(
                &issuer.config.issuer,
                &session.csrf,
                local,
                upstream,
                Some("Unknown username or wrong password."),
            );
            issuer.page(StatusCode::UNAUTHORIZED, Some(&session), markup)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "local login");
            issuer.server_error_page()
        }
        Err(e) => {
            tracing::error!(error = %e, "local login task");
            issuer.server_error_page()
        }
    }
}

/// `POST /login/upstream`: off to the upstream provider, with state, nonce and PKCE.
pub(crate) async fn upstream_login(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((mut session, _)) = issuer.checked_post(&headers, &body) else {
        return issuer.expired_form();
    };
    if issuer.upstream.is_none() {
        return issuer.to_page("/login", Some(&session));
    }
    let redirect = issuer.callback_uri();
    let begun = {
        let issuer = Arc::clone(&issuer);
        tokio::task::spawn_blocking(move || {
            issuer
                .upstream
                .as_ref()
                .map(|u| u.begin(&redirect))
                .transpose()
        })
        .await
    };
    match begun {
        Ok(Ok(Some((url, pending)))) => {
            session.upstream = Some(pending);
            issuer.see_other(&url, Some(&session))
        }
        Ok(Ok(None)) => issuer.to_page("/login", Some(&session)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "starting an upstream login");
            issuer.login_failed(StatusCode::BAD_GATEWAY, &session, &e.to_string())
        }
        Err(_) => issuer.server_error_page(),
    }
}

#[derive(Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /login/callback`: the provider sends the browser back with a code (or an error).
pub(crate) async fn upstream_callback(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let Some(mut session) = issuer.session(&headers) else {
        return issuer.expired_form();
    };
    let Some(pending) = session.upstream.take() else {
        return issuer.expired_form();
    };
    let state_ok = q.state.as_deref().is_some_and(|s| {
        aws_lc_rs::constant_time::verify_slices_are_equal(s.as_bytes(), pending.state.as_bytes())
            .is_ok()
    });
    if !state_ok {
        return issuer.expired_form();
    }
    let Some(code) = q.code else {
        let why = format!(
            "The identity provider did not log you in ({}).",
            scitokens_format::Untrusted::new(q.error.as_deref().unwrap_or("no code"))
        );
        return issuer.login_failed(StatusCode::FORBIDDEN, &session, &why);
    };
    let redirect = issuer.callback_uri();
    let finished = {
        let issuer = Arc::clone(&issuer);
        tokio::task::spawn_blocking(move || {
            issuer
                .upstream
                .as_ref()
                .map(|u| u.finish(&code, &pending, &redirect))
        })
        .await
    };
    match finished {
        Ok(Some(Ok(person))) => issuer.logged_in(session, person),
        Ok(Some(Err(e))) => {
            tracing::warn!(error = %e, "finishing an upstream login");
            issuer.login_failed(StatusCode::BAD_GATEWAY, &session, &e.to_string())
        }
        _ => issuer.server_error_page(),
    }
}
