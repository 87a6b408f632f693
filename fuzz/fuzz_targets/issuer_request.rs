//! The issuer's request parsing and policy: a token-endpoint body (with a content type and an
//! `Authorization` header), the client's credentials, and a policy compiled from fuzzed scope
//! templates applied to the fuzzed `scope` and `audience` parameters. The input is
//! `CONTENT_TYPE\nAUTHORIZATION\nTEMPLATES (space-separated)\nBODY`.
//!
//! Properties: no panic; every granted scope is included in one of the policy's scopes and
//! was asked for (or the policy was given whole); every granted audience is the policy's.

#![no_main]

use axum::http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use scitokens_issuer::config::TokensConfig;
use scitokens_issuer::oauth::{presented_client, Form};
use scitokens_issuer::policy::{ClientPolicy, PolicyConfig};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(4, '\n');
    let (Some(content_type), Some(authorization), Some(templates), Some(body)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(authorization) {
        headers.insert(header::AUTHORIZATION, v);
    }
    let Ok(form) = Form::parse(&headers, body.as_bytes()) else {
        return;
    };
    let _ = presented_client(&headers, &form);

    let caps = TokensConfig {
        max_lifetime: Duration::from_secs(3600),
        refresh_idle: Duration::from_secs(60),
        refresh_absolute: Duration::from_secs(600),
    };
    let config = PolicyConfig {
        grants: vec!["client_credentials".into(), "refresh_token".into()],
        public: false,
        profile: None,
        scopes: templates.split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        audiences: vec!["https://a.example".into(), "https://b.example".into()],
        lifetime_secs: None,
    };
    let Ok(policy) = ClientPolicy::compile("svc", config, &caps) else {
        return;
    };
    let Ok(requested) = form.get("scope") else {
        return;
    };
    if let Ok(granted) = policy.grant_scopes(requested) {
        for scope in &granted.scopes {
            assert!(
                policy.scopes().iter().any(|p| p.includes(scope)),
                "{scope} granted beyond the policy"
            );
        }
    }
    let mut asked = form.all("audience");
    asked.extend(form.all("resource"));
    if let Ok(audiences) = policy.grant_audiences(&asked) {
        for aud in audiences {
            assert!(aud == "https://a.example" || aud == "https://b.example", "{aud}");
        }
    }
});
