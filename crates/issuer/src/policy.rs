//! Each client's policy: which grants it may use, which scopes (from templates) and audiences
//! it may be given, its profile and lifetime. A request gets the part of what it asks for that
//! the policy covers, or an error; never more (docs/issuer.md, "Policy").

use std::time::Duration;

use serde::Deserialize;

use scitokens_format::scope::Scope;
use scitokens_format::{Profile, Untrusted};

use crate::config::TokensConfig;
use crate::oauth::{ErrorCode, OAuthError};

/// The scope that asks for a refresh token (OpenID Connect Core §11, WLCG profile §3.3).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// Lifetime given when a client's policy names none: ten minutes, or the cap if lower.
pub const DEFAULT_CLIENT_LIFETIME: Duration = Duration::from_secs(600);

/// The placeholder a template may use; it is replaced by the client's id.
const CLIENT_ID_PLACEHOLDER: &str = "{client_id}";

/// A grant type a client may be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials,
    /// `refresh_token` (RFC 6749 §6): also allows `offline_access` to ask for one.
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693).
    TokenExchange,
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628): a person approves on the
    /// issuer's pages; the token carries what their login rules give them.
    DeviceCode,
}

impl GrantType {
    /// The `grant_type` value of the token request.
    pub fn wire_name(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// The short name used in `issuer.toml` and metrics.
    pub fn name(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
            GrantType::TokenExchange => "token_exchange",
            GrantType::DeviceCode => "device_code",
        }
    }

    /// Every grant type.
    pub const ALL: [GrantType; 4] = [
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
        GrantType::TokenExchange,
        GrantType::DeviceCode,
    ];

    /// The grant type with this `grant_type` value.
    pub fn from_wire(value: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.wire_name() == value)
    }
}

/// A client's policy as written in `[clients.ID]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Grant types: `client_credentials`, `refresh_token`, `token_exchange`, `device_code`.
    pub grants: Vec<String>,
    /// A public client (RFC 6749 §2.1): it has no secret and sends only `client_id`, as a
    /// command-line tool on people's machines does. It may not use `client_credentials`.
    #[serde(default)]
    pub public: bool,
    /// `wlcg` (default) or `scitokens2`.
    #[serde(default)]
    pub profile: Option<String>,
    /// Scope templates; `{client_id}` is replaced by the client's id.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Audiences the client may ask for; the first is given when it asks for none.
    pub audiences: Vec<String>,
    /// Access-token lifetime in seconds (default ten minutes, never above the cap).
    #[serde(default)]
    pub lifetime_secs: Option<u64>,
}

/// A compiled policy.
#[derive(Debug, Clone)]
pub struct ClientPolicy {
    id: String,
    public: bool,
    grants: Vec<GrantType>,
    profile: Profile,
    scopes: Vec<Scope>,
    audiences: Vec<String>,
    lifetime: Duration,
}

/// What a request is given: scopes and whether a refresh token was asked for (and allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The scopes the token carries.
    pub scopes: Vec<Scope>,
    /// `offline_access` was asked for and the client may have refresh tokens.
    pub refresh: bool,
}

impl Granted {
    /// The scopes as a `scope` claim.
    pub fn scope_claim(&self) -> String {
        join_scopes(&self.scopes)
    }
}

/// Scopes as a space-separated claim, in their normal written form.
pub fn join_scopes(scopes: &[Scope]) -> String {
    let mut out = String::new();
    for (i, s) in scopes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&s.to_string());
    }
    out
}

/// Checks a client id: 1 to 64 characters of `[A-Za-z0-9._-]`, not `.` or `..`, so that it
/// can be put into a scope path without changing the path's shape.
///
/// ```
/// use scitokens_issuer::policy::check_client_id;
/// assert!(check_client_id("rucio-prod.1").is_ok());
/// assert!(check_client_id("..").is_err() && check_client_id("a/b").is_err());
/// ```
pub fn check_client_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() || id.len() > 64 {
        return Err("must be 1 to 64 characters");
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err("may hold only letters, digits, '.', '_' and '-'");
    }
    if id == "." || id == ".." {
        return Err("must not be '.' or '..'");
    }
    Ok(())
}

impl ClientPolicy {
    /// Compiles `[clients.ID]`: expands and parses the templates, checks the audiences and the
    /// lifetime against the caps. The error names the setting.
    pub fn compile(id: &str, config: PolicyConfig, caps: &TokensConfig) -> Result<Self, String> {
        check_client_id(id).map_err(|r| format!("client id {r}"))?;
        let mut grants = Vec::new();
        for name in &config.grants {
            let grant = GrantType::ALL
                .into_iter()
                .find(|g| g.name() == name)
                .ok_or_else(|| {
                    format!(
                        "grants: {} is not one of client_credentials, refresh_token, token_exchange, device_code",
                        Untrusted::new(name)
                    )
                })?;
            grants.push(grant);
        }
        if config.public && grants.contains(&GrantType::ClientCredentials) {
            return Err(
                "grants: a public client has no secret, so it may not use client_credentials"
                    .into(),
            );
        }
        let profile = match config.profile.as_deref().unwrap_or("wlcg") {
            "wlcg" => Profile::Wlcg,
            "scitokens2" => Profile::SciTokens2,
            other => {
                return Err(format!(
                    "profile: {} is not wlcg or scitokens2",
                    Untrusted::new(other)
                ))
            }
        };
        let mut scopes = Vec::new();
        for template in &config.scopes {
            let expanded = template.replace(CLIENT_ID_PLACEHOLDER, id);
            if expanded.contains(['{', '}']) {
                return Err(format!(
                    "scopes: {} has a placeholder other than {CLIENT_ID_PLACEHOLDER}",
                    Untrusted::new(template)
                ));
            }
            if expanded.contains(' ') {
                return Err(format!(
                    "scopes: {} holds a space; write one scope per entry",
                    Untrusted::new(template)
                ));
            }
            scopes.push(Scope::parse(&expanded).map_err(|e| format!("scopes: {e}"))?);
        }
        if config.audiences.is_empty() {
            return Err("audiences: at least one is needed (the first is the default)".into());
        }
        if let Some(bad) = config
            .audiences
            .iter()
            .find(|a| a.is_empty() || a.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(format!(
                "audiences: {} is empty or holds a space or control character",
                Untrusted::new(bad)
            ));
        }
        let lifetime = match config.lifetime_secs {
            Some(secs) => Duration::from_secs(secs),
            None => DEFAULT_CLIENT_LIFETIME.min(caps.max_lifetime),
        };
        if lifetime < Duration::from_secs(1) || lifetime > caps.max_lifetime {
            return Err(format!(
                "lifetime_secs must be between 1 and tokens.max_lifetime_secs ({})",
                caps.max_lifetime.as_secs()
            ));
        }
        Ok(ClientPolicy {
            id: id.to_owned(),
            public: config.public,
            grants,
            profile,
            scopes,
            audiences: config.audiences,
            lifetime,
        })
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether it is a public client (no secret).
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// Whether it may use `grant`.
    pub fn may(&self, grant: GrantType) -> bool {
        self.grants.contains(&grant)
    }

    /// The profile its tokens follow.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Its access-token lifetime.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The scopes it may be given.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// Whether it may use `grant`; `unauthorized_client` if not.
    pub fn allow(&self, grant: GrantType) -> Result<(), OAuthError> {
        if self.grants.contains(&grant) {
            Ok(())
        } else {
            Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                format!("this client may not use the {} grant", grant.name()),
            ))
        }
    }

    /// The scopes for a request's `scope` parameter: each requested scope that one of the
    /// policy's includes (path-aware) is given as asked; the others are dropped. No parameter
    /// gives the whole policy. `offline_access` asks for a refresh token, given only with the
    /// `refresh_token` grant. `invalid_scope` when a scope is malformed or none is allowed.
    ///
    /// ```
    /// use scitokens_issuer::policy::{ClientPolicy, PolicyConfig};
    /// let caps = scitokens_issuer::config::Config::parse(
    ///     std::path::Path::new("/x/issuer.toml"),
    ///     "issuer='https://i.example'\nlisten='127.0.0.1:1'\ndatabase='sqlite:x'\n[tls]\ncert='c'\nkey='k'",
    /// ).unwrap().tokens;
    /// let policy = ClientPolicy::compile("svc", PolicyConfig {
    ///     grants: vec!["client_credentials".into()],
    ///     public: false,
    ///     profile: None,
    ///     scopes: vec!["storage.read:/data/{client_id}".into()],
    ///     audiences: vec!["https://storage.example".into()],
    ///     lifetime_secs: None,
    /// }, &caps).unwrap();
    /// let granted = policy.grant_scopes(Some("storage.read:/data/svc/run1 storage.read:/etc")).unwrap();
    /// assert_eq!(granted.scope_claim(), "storage.read:/data/svc/run1");
    /// assert!(policy.grant_scopes(Some("storage.modify:/data/svc")).is_err());
    /// assert_eq!(policy.grant_scopes(None).unwrap().scope_claim(), "storage.read:/data/svc");
    /// ```
    pub fn grant_scopes(&self, requested: Option<&str>) -> Result<Granted, OAuthError> {
        let refresh_allowed = self.grants.contains(&GrantType::RefreshToken);
        let Some(requested) = requested else {
            return Ok(Granted {
                scopes: self.scopes.clone(),
                refresh: false,
            });
        };
        let mut refresh = false;
        let mut asked = Vec::new();
        for entry in requested.split(' ').filter(|e| !e.is_empty()) {
            if entry == OFFLINE_ACCESS {
                refresh = refresh_allowed;
                continue;
            }
            asked.push(parse_requested(entry)?);
        }
        let scopes = if asked.is_empty() {
            self.scopes.clone()
        } else {
            let given: Vec<Scope> = asked
                .into_iter()
                .filter(|s| self.scopes.iter().any(|allowed| allowed.includes(s)))
                .collect();
            if given.is_empty() {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "scope: none of the requested scopes is allowed for this client",
                ));
            }
            given
        };
        Ok(Granted { scopes, refresh })
    }

    /// The scopes a person's approval gives a device-flow client: those requested (or, without
    /// a request, all) that the person's `entitlement` includes and, when the client's policy
    /// lists scopes, that it includes too (path-aware). `offline_access` asks for a refresh
    /// token as in [`ClientPolicy::grant_scopes`]. `invalid_scope` when none is left.
    ///
    /// ```
    /// use scitokens_format::scope::Scope;
    /// use scitokens_issuer::policy::{ClientPolicy, PolicyConfig};
    /// # let caps = scitokens_issuer::config::Config::parse(
    /// #     std::path::Path::new("/x/issuer.toml"),
    /// #     "issuer='https://i.example'\nlisten='127.0.0.1:1'\ndatabase='sqlite:x'\n[tls]\ncert='c'\nkey='k'",
    /// # ).unwrap().tokens;
    /// let cli = ClientPolicy::compile("cli", PolicyConfig {
    ///     grants: vec!["device_code".into(), "refresh_token".into()],
    ///     public: true,
    ///     profile: None,
    ///     scopes: vec![],
    ///     audiences: vec!["https://storage.example".into()],
    ///     lifetime_secs: None,
    /// }, &caps).unwrap();
    /// let alice = Scope::parse_list("storage.read:/home/alice storage.create:/home/alice").unwrap();
    /// let g = cli.grant_device_scopes(Some("storage.read:/home/alice/x offline_access"), &alice).unwrap();
    /// assert_eq!((g.scope_claim().as_str(), g.refresh), ("storage.read:/home/alice/x", true));
    /// assert_eq!(cli.grant_device_scopes(None, &alice).unwrap().scopes, alice);
    /// assert!(cli.grant_device_scopes(Some("storage.read:/home/bob"), &alice).is_err());
    /// ```
    pub fn grant_device_scopes(
        &self,
        requested: Option<&str>,
        entitlement: &[Scope],
    ) -> Result<Granted, OAuthError> {
        let mut refresh = false;
        let mut asked = Vec::new();
        for entry in requested.unwrap_or("").split(' ').filter(|e| !e.is_empty()) {
            if entry == OFFLINE_ACCESS {
                refresh = self.grants.contains(&GrantType::RefreshToken);
                continue;
            }
            asked.push(parse_requested(entry)?);
        }
        let candidates = if asked.is_empty() {
            entitlement.to_vec()
        } else {
            asked
                .into_iter()
                .filter(|s| entitlement.iter().any(|e| e.includes(s)))
                .collect()
        };
        let scopes: Vec<Scope> = candidates
            .into_iter()
            .filter(|s| self.scopes.is_empty() || self.scopes.iter().any(|c| c.includes(s)))
            .collect();
        if scopes.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "scope: none of the requested scopes is allowed for this person and client",
            ));
        }
        Ok(Granted { scopes, refresh })
    }

    /// The audiences for a request: those asked for, each of which must be in the policy
    /// (`invalid_target` if not), or the policy's first.
    pub fn grant_audiences(&self, requested: &[String]) -> Result<Vec<String>, OAuthError> {
        if requested.is_empty() {
            return Ok(vec![self.audiences[0].clone()]);
        }
        for aud in requested {
            if !self.audiences.contains(aud) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    format!(
                        "audience: {} is not allowed for this client",
                        Untrusted::new(aud)
                    ),
                ));
            }
        }
        let mut out = requested.to_vec();
        out.dedup();
        Ok(out)
    }
}

/// The requested scopes, each of which one of `held` must include (path-aware): the test of
/// every attenuation (a refresh narrowing its family, a token exchange). `invalid_scope` for
/// the first that none includes, saying it is not within `held_by`.
pub fn narrow(held: &[Scope], requested: &str, held_by: &str) -> Result<String, OAuthError> {
    let mut out = Vec::new();
    for entry in requested.split(' ').filter(|e| !e.is_empty()) {
        let scope = parse_requested(entry)?;
        if !held.iter().any(|h| h.includes(&scope)) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope: {scope} is not within {held_by}"),
            ));
        }
        out.push(scope);
    }
    Ok(join_scopes(&out))
}

/// Parses one requested scope; `invalid_scope` naming it if malformed.
pub fn parse_requested(entry: &str) -> Result<Scope, OAuthError> {
    Scope::parse(entry).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, format!("scope: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> TokensConfig {
        TokensConfig {
            max_lifetime: Duration::from_secs(3600),
            refresh_idle: Duration::from_secs(60),
            refresh_absolute: Duration::from_secs(600),
        }
    }

    fn config(scopes: &[&str]) -> PolicyConfig {
        PolicyConfig {
            grants: vec!["client_credentials".into(), "refresh_token".into()],
            public: false,
            profile: None,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            audiences: vec!["https://a.example".into(), "https://b.example".into()],
            lifetime_secs: None,
        }
    }

    fn policy(scopes: &[&str]) -> ClientPolicy {
        ClientPolicy::compile("svc", config(scopes), &caps()).unwrap()
    }

    #[test]
    fn covered_part_or_error_never_more() {
        let p = policy(&["storage.read:/data", "storage.create:/data/{client_id}/"]);
        let g = |r: &str| p.grant_scopes(Some(r)).map(|g| g.scope_claim());
        assert_eq!(g("storage.read:/data/x").unwrap(), "storage.read:/data/x");
        assert_eq!(
            g("storage.create:/data/svc/out storage.create:/data/other").unwrap(),
            "storage.create:/data/svc/out"
        );
        // A directory grant does not include the bare name; a prefix is not a segment.
        assert!(g("storage.create:/data/svc").is_err());
        assert!(g("storage.read:/database").is_err());
        assert!(g("storage.modify:/data").is_err());
        let err = g("storage.read:/data/..").unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidScope);
        assert!(err.description().contains("\"..\""), "{err}");
    }

    #[test]
    fn offline_access_asks_for_refresh_only_when_allowed() {
        let p = policy(&["storage.read:/data"]);
        let g = p.grant_scopes(Some("offline_access")).unwrap();
        assert!(g.refresh);
        assert_eq!(g.scope_claim(), "storage.read:/data");
        let mut no_refresh = config(&["storage.read:/data"]);
        no_refresh.grants = vec!["client_credentials".into()];
        let p = ClientPolicy::compile("svc", no_refresh, &caps()).unwrap();
        assert!(
            !p.grant_scopes(Some("offline_access storage.read:/data"))
                .unwrap()
                .refresh
        );
    }

    #[test]
    fn audiences_from_the_policy_only() {
        let p = policy(&["storage.read:/data"]);
        assert_eq!(p.grant_audiences(&[]).unwrap(), ["https://a.example"]);
        assert_eq!(
            p.grant_audiences(&["https://b.example".into()]).unwrap(),
            ["https://b.example"]
        );
        let err = p
            .grant_audiences(&["https://c.example".into()])
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidTarget);
    }

    #[test]
    fn compile_refusals_name_the_setting() {
        type Edit = Box<dyn Fn(&mut PolicyConfig)>;
        let cases: [(Edit, &str); 5] = [
            (
                Box::new(|c| c.grants.push("implicit".into())),
                "grants: \"implicit\"",
            ),
            (
                Box::new(|c| c.scopes.push("read:/{user}".into())),
                "placeholder",
            ),
            (Box::new(|c| c.scopes.push("read:/a/..".into())), "scopes: "),
            (Box::new(|c| c.audiences.clear()), "audiences: at least one"),
            (
                Box::new(|c| c.lifetime_secs = Some(7200)),
                "lifetime_secs must be between",
            ),
        ];
        for (edit, expected) in cases {
            let mut c = config(&["read:/x"]);
            edit(&mut c);
            let err = ClientPolicy::compile("svc", c, &caps()).unwrap_err();
            assert!(err.contains(expected), "{err} lacks {expected}");
        }
        assert!(ClientPolicy::compile("a/b", config(&[]), &caps()).is_err());
    }
}
