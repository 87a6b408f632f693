//! The one error type of this crate.

use std::fmt;
use std::path::PathBuf;

use crate::key::Algorithm;
use crate::text::Untrusted;

/// The three dot-separated parts of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The protected header (first segment).
    Header,
    /// The claims (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Who an error is about, which decides what a server answers: the token is invalid (HTTP
/// 401, CLI exit 1), the request cannot be tested (HTTP 400), or the server could not judge
/// (keys unavailable, configuration, I/O: HTTP 500/503, CLI exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The token: malformed, badly signed, or naming an issuer or key that is not served.
    Token,
    /// The request: a path, operation or header that cannot be tested.
    Request,
    /// The server: it could not judge the token (keys unavailable, configuration, I/O).
    Server,
}

/// Everything that can go wrong reading, writing, signing or verifying a token, a key, a key set
/// or a scope. Each variant names the part at fault; untrusted text is quoted and truncated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The serialized token is longer than the configured limit; nothing was decoded.
    #[error("token is {len} bytes, over the limit of {max} bytes")]
    TooLong {
        /// Length of the input.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// The token does not have three dot-separated segments.
    #[error("token has {found} segment(s); a compact JWS has exactly 3")]
    SegmentCount {
        /// How many segments were found.
        found: usize,
    },
    /// The token does not have three segments and one is empty: a stray `.` at either end or
    /// two dots in a row.
    #[error("token segment {position} of {found} is empty (a stray '.'); a compact JWS has exactly 3 segments")]
    EmptySegment {
        /// Which segment is empty, counting from 1.
        position: usize,
        /// How many dot-separated segments the input has.
        found: usize,
    },
    /// A four-segment "token with key" (an old SciTokens form) is not supported.
    #[error("token has 4 segments (a token with an embedded key), which is not supported")]
    TokenWithKey,
    /// A segment is not strict base64url.
    #[error("token {part} is not valid base64url (alphabet A-Z a-z 0-9 - _, no padding)")]
    Base64 {
        /// The segment at fault.
        part: Part,
    },
    /// A segment is not a JSON object, or has duplicate member names.
    #[error("token {part} is not a valid JSON object: {reason}")]
    Json {
        /// The segment at fault.
        part: Part,
        /// What the parser said.
        reason: String,
    },
    /// The header has no `alg`.
    #[error("header has no \"alg\"")]
    MissingAlg,
    /// The header `alg` is not ES256 or RS256.
    #[error("header alg {alg} is not allowed (only ES256 and RS256)")]
    AlgNotAllowed {
        /// The algorithm the token asked for.
        alg: Untrusted,
    },
    /// A header field is of the wrong type or is not allowed.
    #[error("header field \"{field}\" {reason}")]
    Header {
        /// The header parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature has the wrong length for its algorithm (for example a DER ES256 signature).
    #[error("{alg} signature is {found} bytes; expected {expected}")]
    SignatureLength {
        /// The token's algorithm.
        alg: Algorithm,
        /// The required length.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The signature does not verify under the selected key.
    #[error("signature does not verify with key {kid}")]
    BadSignature {
        /// The key tried (its `kid`, or `(no kid)`).
        kid: Untrusted,
    },
    /// The selected key is for another algorithm than the token's header names.
    #[error("key {kid} is a {key} key but the token header says {token}")]
    KeyAlgMismatch {
        /// The key's `kid`.
        kid: Untrusted,
        /// The algorithm the key is for.
        key: Algorithm,
        /// The algorithm in the token header.
        token: Algorithm,
    },
    /// The key set has no key with the token's `kid`.
    #[error("kid {kid} is not in the key set")]
    UnknownKid {
        /// The `kid` asked for.
        kid: Untrusted,
    },
    /// A key source has no keys for the token's issuer.
    #[error("no keys configured for issuer {issuer}")]
    UnknownIssuer {
        /// The issuer.
        issuer: Untrusted,
    },
    /// The issuer's current key set has no key with the token's `kid`.
    #[error("kid {kid} not published by {issuer}")]
    KidNotPublished {
        /// The key identifier from the token.
        kid: Untrusted,
        /// The issuer.
        issuer: Untrusted,
    },
    /// A key source could not give keys for the token; its own error says why.
    #[error("{source}")]
    KeySource {
        /// The source's short name for the error (`offline`, `fetch_failed`, ...).
        kind: &'static str,
        /// Whether the token or the source ([`Fault::Server`]) is at fault.
        fault: Fault,
        /// The source's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The token has no `kid` and the key set does not hold exactly one key.
    #[error("token has no kid and the key set holds {count} keys; without a kid exactly one is required")]
    AmbiguousKey {
        /// Number of keys in the set.
        count: usize,
    },
    /// The key set holds more than one key with the token's `kid`.
    #[error("kid {kid} names {count} keys in the key set")]
    DuplicateKid {
        /// The repeated `kid`.
        kid: Untrusted,
        /// How many keys carry it.
        count: usize,
    },
    /// A key (PEM, DER or JWK) is malformed or not acceptable.
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// What is wrong with it.
        reason: String,
    },
    /// A JWK set is malformed as a whole.
    #[error("invalid JWK set: {reason}")]
    InvalidKeySet {
        /// What is wrong with it.
        reason: String,
    },
    /// A required claim is absent.
    #[error("missing claim \"{claim}\"")]
    MissingClaim {
        /// The claim name.
        claim: String,
    },
    /// A claim is present with a value of the wrong type or form.
    #[error("claim {claim} is malformed: {reason}")]
    MalformedClaim {
        /// The claim name.
        claim: Untrusted,
        /// What is wrong with it, with the value quoted.
        reason: String,
    },
    /// The profile markers (`ver`, `wlcg.ver`, `typ`) do not name an accepted profile.
    #[error("unsupported token profile: {reason}")]
    Profile {
        /// What is wrong.
        reason: String,
    },
    /// A scope entry is invalid; one such entry refuses the whole token (semantics.md §6).
    #[error("invalid scope {entry}: {reason}")]
    InvalidScope {
        /// The offending entry.
        entry: Untrusted,
        /// Why it is invalid.
        reason: String,
    },
    /// A requested path or URL cannot be tested (semantics.md §7).
    #[error("invalid request path {path}: {reason}")]
    InvalidRequestPath {
        /// The request as given.
        path: Untrusted,
        /// Why it is invalid.
        reason: String,
    },
    /// A token cannot be minted as asked.
    #[error("cannot mint token: {reason}")]
    Mint {
        /// Why not.
        reason: String,
    },
    /// The cryptographic backend failed (not a verification failure).
    #[error("crypto backend error: {reason}")]
    Crypto {
        /// What the crypto library said.
        reason: String,
    },
    /// Reading or writing a key file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl FormatError {
    /// A stable, short name for the kind of error, used by test vectors and the CLI's JSON output.
    ///
    /// ```
    /// use scitokens_format::FormatError;
    /// assert_eq!(FormatError::MissingAlg.kind(), "missing_alg");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            FormatError::TooLong { .. } => "too_long",
            FormatError::SegmentCount { .. } => "segment_count",
            FormatError::EmptySegment { .. } => "empty_segment",
            FormatError::TokenWithKey => "token_with_key",
            FormatError::Base64 { .. } => "base64",
            FormatError::Json { .. } => "json",
            FormatError::MissingAlg => "missing_alg",
            FormatError::AlgNotAllowed { .. } => "alg_not_allowed",
            FormatError::Header { .. } => "header",
            FormatError::SignatureLength { .. } => "signature_length",
            FormatError::BadSignature { .. } => "bad_signature",
            FormatError::KeyAlgMismatch { .. } => "key_alg_mismatch",
            FormatError::UnknownKid { .. } => "unknown_kid",
            FormatError::UnknownIssuer { .. } => "unknown_issuer",
            FormatError::KidNotPublished { .. } => "unknown_kid",
            FormatError::KeySource { kind, .. } => kind,
            FormatError::AmbiguousKey { .. } => "ambiguous_key",
            FormatError::DuplicateKid { .. } => "duplicate_kid",
            FormatError::InvalidKey { .. } => "invalid_key",
            FormatError::InvalidKeySet { .. } => "invalid_key_set",
            FormatError::MissingClaim { .. } => "missing_claim",
            FormatError::MalformedClaim { .. } => "malformed_claim",
            FormatError::Profile { .. } => "profile",
            FormatError::InvalidScope { .. } => "invalid_scope",
            FormatError::InvalidRequestPath { .. } => "invalid_request_path",
            FormatError::Mint { .. } => "mint",
            FormatError::Crypto { .. } => "crypto",
            FormatError::Io { .. } => "io",
        }
    }

    /// Who the error is about.
    ///
    /// ```
    /// use scitokens_format::{Fault, FormatError};
    /// assert_eq!(FormatError::MissingAlg.fault(), Fault::Token);
    /// ```
    pub fn fault(&self) -> Fault {
        match self {
            FormatError::KeySource { fault, .. } => *fault,
            FormatError::InvalidRequestPath { .. } => Fault::Request,
            FormatError::Mint { .. } | FormatError::Crypto { .. } | FormatError::Io { .. } => {
                Fault::Server
            }
            FormatError::TooLong { .. }
            | FormatError::SegmentCount { .. }
            | FormatError::EmptySegment { .. }
            | FormatError::TokenWithKey
            | FormatError::Base64 { .. }
            | FormatError::Json { .. }
            | FormatError::MissingAlg
            | FormatError::AlgNotAllowed { .. }
            | FormatError::Header { .. }
            | FormatError::SignatureLength { .. }
            | FormatError::BadSignature { .. }
            | FormatError::KeyAlgMismatch { .. }
            | FormatError::UnknownKid { .. }
            | FormatError::UnknownIssuer { .. }
            | FormatError::KidNotPublished { .. }
            | FormatError::AmbiguousKey { .. }
            | FormatError::DuplicateKid { .. }
            | FormatError::InvalidKey { .. }
            | FormatError::InvalidKeySet { .. }
            | FormatError::MissingClaim { .. }
            | FormatError::MalformedClaim { .. }
            | FormatError::Profile { .. }
            | FormatError::InvalidScope { .. } => Fault::Token,
        }
    }

    pub(crate) fn key(reason: impl Into<String>) -> Self {
        FormatError::InvalidKey {
            reason: reason.into(),
        }
    }

    pub(crate) fn crypto(err: impl fmt::Display) -> Self {
        FormatError::Crypto {
            reason: err.to_string(),
        }
    }

    pub(crate) fn malformed(claim: &str, reason: impl Into<String>) -> Self {
        FormatError::MalformedClaim {
            claim: Untrusted::new(claim),
            reason: reason.into(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;
