//! People logging in on the issuer's pages: a local accounts file ([`accounts`]) and an
//! upstream OpenID provider ([`upstream`]), and the rules that turn a username and groups into
//! the scopes the person may be given ([`Rules`]). docs/issuer.md, "People and the device flow".

pub mod accounts;
pub mod upstream;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use scitokens_format::scope::Scope;
use scitokens_format::Untrusted;

pub use upstream::{UpstreamConfig, UpstreamFile};

/// The placeholder a rule's scope template may use; it is replaced by the username.
pub const USERNAME_PLACEHOLDER: &str = "{username}";

/// How long a login on the pages lasts, when `[login] session_secs` is not set: 15 minutes.
pub const DEFAULT_SESSION: Duration = Duration::from_secs(15 * 60);

/// `[login]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFile {
    accounts_file: Option<PathBuf>,
    upstream: Option<UpstreamFile>,
    #[serde(default)]
    rules: Vec<RuleFile>,
    session_secs: Option<u64>,
}

/// `[[login.rules]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    groups: Option<Vec<String>>,
    scopes: Vec<String>,
}

/// How people log in, and what they may be given.
#[derive(Debug, Clone)]
pub struct LoginConfig {
    /// The local accounts file (TOML, argon2id hashes), read at each login.
    pub accounts_file: Option<PathBuf>,
    /// The upstream OpenID provider.
    pub upstream: Option<UpstreamConfig>,
    /// Username and groups to scopes.
    pub rules: Rules,
    /// How long a login (and a page session) lasts.
    pub session: Duration,
}

impl LoginConfig {
    /// Checks `[login]`; relative paths are taken from `dir`. The error names the setting.
    pub fn compile(file: LoginFile, dir: &Path) -> Result<LoginConfig, String> {
        let relative = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
        if file.accounts_file.is_none() && file.upstream.is_none() {
            return Err("set accounts_file, [login.upstream], or both".into());
        }
        let upstream = file
            .upstream
            .map(|u| UpstreamConfig::compile(u, dir))
            .transpose()
            .map_err(|e| format!("upstream.{e}"))?;
        let mut rules = Vec::new();
        for (i, r) in file.rules.into_iter().enumerate() {
            rules.push(Rule::compile(r).map_err(|e| format!("rules[{i}].{e}"))?);
        }
        if rules.is_empty() {
            return Err(
                "rules: at least one [[login.rules]] is needed to give anyone a scope".into(),
            );
        }
        let session = Duration::from_secs(file.session_secs.unwrap_or(DEFAULT_SESSION.as_secs()));
        if session < Duration::from_secs(60) || session > Duration::from_secs(12 * 3600) {
            return Err("session_secs must be between 60 and 43200".into());
        }
        Ok(LoginConfig {
            accounts_file: file.accounts_file.map(relative),
            upstream,
            rules: Rules(rules),
            session,
        })
    }
}

/// One rule: for anyone in one of `groups` (or anyone, without groups), these scope templates.
#[derive(Debug, Clone)]
struct Rule {
    groups: Option<Vec<String>>,
    templates: Vec<String>,
}

impl Rule {
    fn compile(file: RuleFile) -> Result<Rule, String> {
        if file.groups.as_ref().is_some_and(Vec::is_empty) {
            return Err(
                "groups: an empty list matches no one; leave it out to match everyone".into(),
            );
        }
        if file.scopes.is_empty() {
            return Err("scopes: at least one template is needed".into());
        }
        for template in &file.scopes {
            let sample = template.replace(USERNAME_PLACEHOLDER, "user");
            if sample.contains(['{', '}']) {
                return Err(format!(
                    "scopes: {} has a placeholder other than {USERNAME_PLACEHOLDER}",
                    Untrusted::new(template)
                ));
            }
            if sample.contains(' ') {
                return Err(format!(
                    "scopes: {} holds a space; write one scope per entry",
                    Untrusted::new(template)
                ));
            }
            Scope::parse(&sample).map_err(|e| format!("scopes: {e}"))?;
        }
        Ok(Rule {
            groups: file.groups,
            templates: file.scopes,
        })
    }

    fn applies(&self, groups: &[String]) -> bool {
        self.groups
            .as_ref()
            .is_none_or(|wanted| wanted.iter().any(|g| groups.contains(g)))
    }
}

/// The rules of `[[login.rules]]`: every rule that applies to a person adds its scopes.
#[derive(Debug, Clone)]
pub struct Rules(Vec<Rule>);

/// A person who logged in: the name tokens are issued to, and their groups.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    /// The username (checked by [`check_username`]); the tokens' `sub`.
    pub username: String,
    /// Group names, as the accounts file or the upstream provider gave them.
    pub groups: Vec<String>,
    /// Where they logged in: `local` or the upstream issuer URL.
    pub via: String,
}

impl Rules {
    /// The scopes `person` may be given: each applicable rule's templates with `{username}`
    /// replaced, in order, without repeats.
    ///
    /// ```
    /// use scitokens_issuer::login::{Person, Rules};
    /// let rules = Rules::parse_for_tests(&[
    ///     (None, &["storage.read:/home/{username}", "storage.create:/home/{username}"]),
    ///     (Some(&["cms"]), &["storage.read:/cms"]),
    /// ]).unwrap();
    /// let alice = Person { username: "alice".into(), groups: vec!["cms".into()], via: "local".into() };
    /// let scopes: Vec<String> = rules.entitlement(&alice).iter().map(|s| s.to_string()).collect();
    /// assert_eq!(scopes, ["storage.read:/home/alice", "storage.create:/home/alice", "storage.read:/cms"]);
    /// ```
    pub fn entitlement(&self, person: &Person) -> Vec<Scope> {
        let mut out: Vec<Scope> = Vec::new();
        for rule in self.0.iter().filter(|r| r.applies(&person.groups)) {
            for template in &rule.templates {
                let text = template.replace(USERNAME_PLACEHOLDER, &person.username);
                // Templates were checked with a sample name and usernames are checked when a
                // person logs in; a failure here is a rule the name makes invalid: skip it.
                match Scope::parse(&text) {
                    Ok(scope) if !out.contains(&scope) => out.push(scope),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "a login rule's scope for a username"),
                }
            }
        }
        out
    }

    /// Whether a rule names `group` (only such groups matter, and only they are kept).
    pub fn mentions(&self, group: &str) -> bool {
        self.0.iter().any(|r| {
            r.groups
                .as_ref()
                .is_some_and(|g| g.iter().any(|x| x == group))
        })
    }

    /// Rules from `(groups, templates)` pairs, as `[[login.rules]]` would give them.
    pub fn parse_for_tests(rules: &[(Option<&[&str]>, &[&str])]) -> Result<Rules, String> {
        rules
            .iter()
            .map(|(groups, scopes)| {
                Rule::compile(RuleFile {
                    groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
                    scopes: scopes.iter().map(|s| s.to_string()).collect(),
                })
            })
            .collect::<Result<_, _>>()
            .map(Rules)
    }
}

/// Checks a username: 1 to 64 characters of `[A-Za-z0-9._@-]`, not starting with `.` or `-`,
/// so that it can be put into a scope path as one segment.
///
/// ```
/// use scitokens_issuer::login::check_username;
/// assert!(check_username("alice").is_ok() && check_username("a.b@lab").is_ok());
/// assert!(check_username("..").is_err() && check_username("a/b").is_err() && check_username("").is_err());
/// ```
pub fn check_username(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 64 {
        return Err("must be 1 to 64 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
    {
        return Err("may hold only letters, digits, '.', '_', '-' and '@'");
    }
    if name.starts_with(['.', '-']) {
        return Err("must not start with '.' or '-'");
    }
    Ok(())
}
