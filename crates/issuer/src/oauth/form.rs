//! Token and revocation requests: `application/x-www-form-urlencoded` bodies read strictly
//! (RFC 6749 §3.2): UTF-8 only, no control characters, no parameter twice except those RFC 8693
//! lets repeat, an empty value taken as absent (§3.1), and a bound on the number of parameters.

use axum::http::{header, HeaderMap};
use percent_encoding::percent_decode;

use scitokens_format::Untrusted;

use super::error::OAuthError;

/// Most parameters one request may carry.
pub const MAX_PARAMS: usize = 32;

/// Parameters that may appear more than once (RFC 8693 §2.1).
const REPEATABLE: [&str; 2] = ["audience", "resource"];

/// A parsed form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    params: Vec<(String, String)>,
}

/// Decodes one form component: `+` is a space, then percent-decoding, then UTF-8.
fn decode(raw: &str, what: &str) -> Result<String, OAuthError> {
    let spaced = raw.replace('+', " ");
    let bytes: Vec<u8> = percent_decode(spaced.as_bytes()).collect();
    let text = String::from_utf8(bytes)
        .map_err(|_| OAuthError::request(format!("{what} {} is not UTF-8", Untrusted::new(raw))))?;
    if text.chars().any(char::is_control) {
        return Err(OAuthError::request(format!(
            "{what} {} holds a control character",
            Untrusted::new(&text)
        )));
    }
    Ok(text)
}

impl Form {
    /// Checks the `Content-Type` and parses the body.
    ///
    /// ```
    /// use axum::http::{header, HeaderMap, HeaderValue};
    /// use scitokens_issuer::oauth::Form;
    /// let mut headers = HeaderMap::new();
    /// headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
    /// let form = Form::parse(&headers, b"grant_type=client_credentials&scope=read%3A%2Fa+write%3A%2Fb&x=").unwrap();
    /// assert_eq!(form.get("scope").unwrap(), Some("read:/a write:/b"));
    /// assert_eq!(form.get("x").unwrap(), None);
    /// assert!(Form::parse(&headers, b"scope=a&scope=b").is_err());
    /// ```
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Form, OAuthError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut parts = content_type.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::request(format!(
                "Content-Type must be application/x-www-form-urlencoded, not {}",
                Untrusted::new(content_type)
            )));
        }
        for parameter in parts {
            if let Some(charset) = parameter
                .split_once('=')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, v)| v.trim().trim_matches('"'))
            {
                if !charset.eq_ignore_ascii_case("utf-8") {
                    return Err(OAuthError::request(format!(
                        "charset {} is not UTF-8",
                        Untrusted::new(charset)
                    )));
                }
            }
        }
        let body = std::str::from_utf8(body)
            .map_err(|_| OAuthError::request("the request body is not UTF-8"))?;
        let mut form = Form::default();
        for pair in body.split('&').filter(|p| !p.is_empty()) {
            if form.params.len() == MAX_PARAMS {
                return Err(OAuthError::request(format!(
                    "more than {MAX_PARAMS} parameters"
                )));
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name, "parameter name")?;
            let value = decode(value, &format!("parameter {name}"))?;
            if value.is_empty() {
                continue;
            }
            if !REPEATABLE.contains(&name.as_str()) && form.params.iter().any(|(n, _)| *n == name) {
                return Err(OAuthError::request(format!(
                    "parameter {} appears more than once",
                    Untrusted::new(&name)
                )));
            }
            form.params.push((name, value));
        }
        Ok(form)
    }

    /// The value of a parameter that may appear once.
    pub fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        Ok(self
            .params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str()))
    }

    /// The value of a required parameter; `invalid_request` naming it when absent.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)?
            .ok_or_else(|| OAuthError::request(format!("parameter {name} is required")))
    }

    /// Every value of a repeatable parameter, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.params
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(content_type: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        h
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let form = headers("application/x-www-form-urlencoded; charset=UTF-8");
        let cases: [(&HeaderMap, &[u8], &str); 6] = [
            (&headers("application/json"), b"a=b", "Content-Type must be"),
            (
                &headers("application/x-www-form-urlencoded; charset=latin1"),
                b"a=b",
                "charset",
            ),
            (&form, b"a=%ff", "parameter a \"%ff\" is not UTF-8"),
            (&form, b"a=x%0ay", "control character"),
            (
                &form,
                b"grant_type=a&grant_type=b",
                "grant_type\" appears more than once",
            ),
            (&form, &[b'a', b'=', 0xff], "body is not UTF-8"),
        ];
        for (h, body, expected) in cases {
            let err = Form::parse(h, body).unwrap_err();
            assert_eq!(err.code(), super::super::ErrorCode::InvalidRequest);
            assert!(
                err.description().contains(expected),
                "{err} lacks {expected}"
            );
        }
        let many = "a=1&".repeat(MAX_PARAMS + 1);
        assert!(Form::parse(&form, many.as_bytes()).is_err());
    }

    #[test]
    fn audience_and_resource_repeat() {
        let f = Form::parse(
            &headers("application/x-www-form-urlencoded"),
            b"audience=https%3A%2F%2Fa&audience=https%3A%2F%2Fb&resource=r",
        )
        .unwrap();
        assert_eq!(f.all("audience"), ["https://a", "https://b"]);
        assert_eq!(f.all("resource"), ["r"]);
    }
}
