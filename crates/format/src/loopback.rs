//! The one exception to "issuers are https": plain http to a loopback host, for tests.

/// Whether `url` is `http://` to a loopback host: 127.0.0.0/8, `[::1]` or `localhost`.
/// Callers allow such URLs only after an explicit opt-in.
///
/// ```
/// use scitokens_format::is_loopback_http;
/// assert!(is_loopback_http("http://127.0.0.1:8080/x"));
/// assert!(is_loopback_http("http://localhost/x"));
/// assert!(is_loopback_http("http://[::1]:80"));
/// assert!(!is_loopback_http("http://127.0.0.1.evil.example/"));
/// assert!(!is_loopback_http("http://10.0.0.1/"));
/// assert!(!is_loopback_http("https://127.0.0.1/"));
/// ```
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host = if authority.starts_with('[') {
        &authority[..authority.find(']').map_or(authority.len(), |i| i + 1)]
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}
