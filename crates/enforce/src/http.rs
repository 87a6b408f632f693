//! Helpers for HTTP and WebDAV servers: where the token is, and what a method asks for.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use scitokens_format::{percent_decode, Plus, Untrusted};

use crate::error::{EnforceError, Result};
use crate::operation::Operation;

/// The password that marks "the user name is a token" in HTTP Basic authentication.
pub const OAUTH_BASIC_PASSWORD: &str = "x-oauth-basic";

fn http_err(part: &'static str, reason: impl Into<String>) -> EnforceError {
    EnforceError::Http {
        part,
        reason: reason.into(),
    }
}

/// The token in an `Authorization` header value: `Bearer TOKEN`, or `Basic B64(TOKEN:PASSWORD)`
/// where the password is `x-oauth-basic` or empty. Scheme names are case-insensitive.
///
/// ```
/// use scitokens_enforce::token_from_authorization;
/// assert_eq!(token_from_authorization("Bearer abc.def.ghi").unwrap(), "abc.def.ghi");
/// // "abc.def.ghi:x-oauth-basic"
/// assert_eq!(
///     token_from_authorization("Basic YWJjLmRlZi5naGk6eC1vYXV0aC1iYXNpYw==").unwrap(),
///     "abc.def.ghi"
/// );
/// assert!(token_from_authorization("Digest x").is_err());
/// ```
pub fn token_from_authorization(value: &str) -> Result<String> {
    const PART: &str = "Authorization header";
    let value = value.trim();
    let (scheme, rest) = value
        .split_once(' ')
        .ok_or_else(|| http_err(PART, "expected \"Bearer TOKEN\" or \"Basic CREDENTIALS\""))?;
    let rest = rest.trim_start();
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(http_err(PART, "expected one credential after the scheme"));
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        return checked(rest, PART);
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(http_err(
            PART,
            format!("scheme {} is not Bearer or Basic", Untrusted::new(scheme)),
        ));
    }
    let decoded = STANDARD
        .decode(rest)
        .map_err(|_| http_err(PART, "Basic credentials are not base64"))?;
    let text = String::from_utf8(decoded)
        .map_err(|_| http_err(PART, "Basic credentials are not UTF-8"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| http_err(PART, "Basic credentials have no \":\""))?;
    if !(password.is_empty() || password == OAUTH_BASIC_PASSWORD) {
        return Err(http_err(
            PART,
            "Basic password must be empty or x-oauth-basic for a token",
        ));
    }
    checked(user, PART)
}

/// A token as found: not empty, and no white space or control character (which no compact
/// JWS has; refusing them here keeps them out of logs and error messages downstream).
fn checked(token: &str, part: &'static str) -> Result<String> {
    if token.is_empty() {
        return Err(http_err(part, "the token is empty"));
    }
    if token.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(http_err(
            part,
            "the token contains white space or a control character",
        ));
    }
    Ok(token.to_owned())
}

/// The token in a query string's `authz` parameter (`Bearer%20` prefix optional), if any.
///
/// ```
/// use scitokens_enforce::token_from_query;
/// assert_eq!(token_from_query("a=1&authz=Bearer%20abc.def.ghi").unwrap().as_deref(), Some("abc.def.ghi"));
/// assert_eq!(token_from_query("authz=abc.def.ghi").unwrap().as_deref(), Some("abc.def.ghi"));
/// assert_eq!(token_from_query("a=1").unwrap(), None);
/// ```
pub fn token_from_query(query: &str) -> Result<Option<String>> {
    const PART: &str = "authz query parameter";
    let mut found = None;
    for pair in query.trim_start_matches('?').split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "authz" {
            continue;
        }
        if found.is_some() {
            return Err(http_err(PART, "appears more than once"));
        }
        let decoded = percent_decode(value, Plus::Space)
            .map_err(|reason| http_err(PART, format!("bad percent-encoding: {reason}")))?;
        let token = decoded.strip_prefix("Bearer ").unwrap_or(&decoded);
        found = Some(checked(token, PART)?);
    }
    Ok(found)
}

/// Whether a request's target (or `Destination`) exists already: writing over something is
/// a modification, writing something new a creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existence {
    /// It exists.
    Exists,
    /// It does not exist yet.
    Absent,
}

/// What an HTTP or WebDAV request needs: operations on its target, and for `COPY`/`MOVE`
/// one on the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodNeeds {
    /// The operations on the request's path (the source, for `COPY`/`MOVE`), all required:
    /// `MOVE` reads its source and deletes it.
    pub target: Vec<Operation>,
    /// The operation on the `Destination` path, for `COPY`/`MOVE`.
    pub destination: Option<Operation>,
}

/// Maps a method to operations: `GET`, `HEAD`, `PROPFIND`: read; `PUT`: create, or modify when
/// the target exists; `DELETE`: modify; `MKCOL`: create; `COPY`: read on the source; `MOVE`:
/// read and modify on the source (it is deleted); both create (or modify, when it exists) on
/// the destination (`docs/semantics.md` §7).
///
/// ```
/// use scitokens_enforce::{method_needs, Existence::{Absent, Exists}, Operation};
/// assert_eq!(method_needs("PUT", Exists, Absent).unwrap().target, [Operation::Modify]);
/// assert_eq!(method_needs("COPY", Exists, Absent).unwrap().destination, Some(Operation::Create));
/// assert_eq!(method_needs("MOVE", Exists, Absent).unwrap().target, [Operation::Read, Operation::Modify]);
/// assert!(method_needs("TRACE", Absent, Absent).is_err());
/// ```
pub fn method_needs(
    method: &str,
    target: Existence,
    destination: Existence,
) -> Result<MethodNeeds> {
    let write = |existence: Existence| match existence {
        Existence::Exists => Operation::Modify,
        Existence::Absent => Operation::Create,
    };
    let (on_target, on_destination) = match method {
        "GET" | "HEAD" | "PROPFIND" | "OPTIONS" => (vec![Operation::Read], None),
        "PUT" => (vec![write(target)], None),
        "DELETE" => (vec![Operation::Modify], None),
        "MKCOL" => (vec![Operation::Create], None),
        "COPY" => (vec![Operation::Read], Some(write(destination))),
        "MOVE" => (
            vec![Operation::Read, Operation::Modify],
            Some(write(destination)),
        ),
        other => {
            return Err(http_err(
                "method",
                format!("{} is not mapped to an operation", Untrusted::new(other)),
            ))
        }
    };
    Ok(MethodNeeds {
        target: on_target,
        destination: on_destination,
    })
}

#[cfg(test)]
mod tests {
    use super::Existence::{Absent, Exists};
    use super::*;

    /// Found by the `http` fuzz target: a Basic credential decoding to "a. b" was returned as
    /// a token with a space in it.
    #[test]
    fn tokens_with_white_space_or_controls_are_refused_everywhere() {
        let basic = |user: &str| format!("Basic {}", STANDARD.encode(format!("{user}:")));
        for value in [
            basic("a. b"),
            basic("a.\tb"),
            basic("a.\u{1}b"),
            "Bearer a.\u{1}b".into(),
        ] {
            let err = token_from_authorization(&value).unwrap_err();
            assert!(
                err.to_string().contains("white space or a control"),
                "{value:?}: {err}"
            );
        }
        for query in ["authz=a.%01b", "authz=Bearer%20a.%20b", "authz=a+b"] {
            assert!(token_from_query(query).is_err(), "{query}");
        }
        assert_eq!(token_from_authorization(&basic("a.b.c")).unwrap(), "a.b.c");
    }

    #[test]
    fn malformed_headers_are_clear_errors() {
        for (value, why) in [
            ("Bearer", "expected \"Bearer TOKEN\""),
            ("Bearer a b", "one credential"),
            ("Basic !!!", "not base64"),
            ("Basic dG9rZW4=", "no \":\""),
            ("Basic dG9rZW46c2VjcmV0", "must be empty or x-oauth-basic"),
            ("Basic Ongtb2F1dGgtYmFzaWM=", "the token is empty"),
            ("Negotiate abc", "scheme \"Negotiate\""),
        ] {
            let err = token_from_authorization(value).unwrap_err();
            assert_eq!(err.kind(), "http");
            assert!(err.to_string().contains(why), "{value}: {err}");
        }
        assert_eq!(token_from_authorization("bearer   tok").unwrap(), "tok");
        // "tok:" (empty password)
        assert_eq!(token_from_authorization("Basic dG9rOg==").unwrap(), "tok");
    }

    #[test]
    fn query_parameter() {
        assert_eq!(
            token_from_query("?authz=Bearer+tok").unwrap().as_deref(),
            Some("tok")
        );
        assert!(token_from_query("authz=a&authz=b").is_err());
        assert!(token_from_query("authz=%zz").is_err());
        // "+1" is not two hex digits, though u8::from_str_radix would read it as 1.
        assert!(token_from_query("authz=a.b.c%+1").is_err());
        assert!(token_from_query("authz=").is_err());
        assert_eq!(token_from_query("authzx=1").unwrap(), None);
    }

    #[test]
    fn methods() {
        assert_eq!(
            method_needs("GET", Absent, Absent).unwrap().target,
            [Operation::Read]
        );
        assert_eq!(
            method_needs("PUT", Absent, Absent).unwrap().target,
            [Operation::Create]
        );
        assert_eq!(
            method_needs("DELETE", Exists, Absent).unwrap().target,
            [Operation::Modify]
        );
        assert_eq!(
            method_needs("MKCOL", Absent, Absent).unwrap().target,
            [Operation::Create]
        );
        // MOVE deletes its source: read alone is not enough.
        let mv = method_needs("MOVE", Exists, Exists).unwrap();
        assert_eq!(
            (mv.target, mv.destination),
            (
                vec![Operation::Read, Operation::Modify],
                Some(Operation::Modify)
            )
        );
        let cp = method_needs("COPY", Exists, Absent).unwrap();
        assert_eq!(
            (cp.target, cp.destination),
            (vec![Operation::Read], Some(Operation::Create))
        );
        assert!(
            method_needs("get", Absent, Absent).is_err(),
            "methods are case-sensitive"
        );
    }
}
