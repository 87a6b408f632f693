//! Token profiles and how a token says which one it follows (semantics.md §2).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::claims::{names, ClaimValue, Claims};
use crate::error::{FormatError, Result};
use crate::header::Header;
use crate::text::Untrusted;

/// The `ver` value written by SciTokens 2.0 minting.
pub const VER_SCITOKENS_2: &str = "scitoken:2.0";
/// The `wlcg.ver` value written by WLCG minting.
pub const WLCG_VER_1_0: &str = "1.0";

/// A token profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// SciTokens 1.0: `ver` absent, `scitoken:1.0`, `scitokens:1.0` or the integer 1.
    SciTokens1,
    /// SciTokens 2.0: `ver` is `scitoken:2.0` or `scitokens:2.0`.
    SciTokens2,
    /// WLCG Common JWT Profile 1.x: `wlcg.ver` is `1.MINOR`.
    Wlcg,
    /// RFC 9068 access token: `typ` is `at+jwt`, and no `ver` or `wlcg.ver`.
    AccessToken,
}

impl Profile {
    /// All profiles, in a fixed order.
    pub const ALL: [Profile; 4] = [
        Profile::SciTokens1,
        Profile::SciTokens2,
        Profile::Wlcg,
        Profile::AccessToken,
    ];

    /// The short name used on command lines: `scitokens1`, `scitokens2`, `wlcg`, `atjwt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::SciTokens1 => "scitokens1",
            Profile::SciTokens2 => "scitokens2",
            Profile::Wlcg => "wlcg",
            Profile::AccessToken => "atjwt",
        }
    }

    /// The claim and value that mark a minted token as this profile: `ver` for SciTokens 2.0,
    /// `wlcg.ver` for WLCG; none for SciTokens 1.0 and access tokens (`docs/semantics.md` §2).
    ///
    /// ```
    /// use scitokens_format::Profile;
    /// assert_eq!(Profile::Wlcg.marker(), Some(("wlcg.ver", "1.0")));
    /// assert_eq!(Profile::SciTokens1.marker(), None);
    /// ```
    pub fn marker(self) -> Option<(&'static str, &'static str)> {
        match self {
            Profile::SciTokens2 => Some((names::VER, VER_SCITOKENS_2)),
            Profile::Wlcg => Some((names::WLCG_VER, WLCG_VER_1_0)),
            Profile::SciTokens1 | Profile::AccessToken => None,
        }
    }

    /// The header `typ` a minted token of this profile carries: `at+jwt` for access tokens,
    /// `JWT` otherwise.
    pub fn typ(self) -> &'static str {
        match self {
            Profile::AccessToken => crate::header::TYP_AT_JWT,
            Profile::SciTokens1 | Profile::SciTokens2 | Profile::Wlcg => crate::header::TYP_JWT,
        }
    }

    /// The audience value that stands for "any audience" in this profile, if it has one.
    pub fn any_audience(self) -> Option<&'static str> {
        match self {
            Profile::SciTokens1 | Profile::SciTokens2 => Some("ANY"),
            Profile::Wlcg => Some("https://wlcg.cern.ch/jwt/v1/any"),
            Profile::AccessToken => None,
        }
    }

    /// Which profile a token follows, from its header and claims.
    ///
    /// ```
    /// use scitokens_format::{Claims, Header, Profile};
    /// let header = Header::from_json(br#"{"alg":"ES256","typ":"at+jwt"}"#).unwrap();
    /// let wlcg = Claims::from_json(br#"{"wlcg.ver":"1.2"}"#).unwrap();
    /// assert_eq!(Profile::detect(&header, &wlcg).unwrap(), Profile::Wlcg);
    /// let none = Claims::from_json(b"{}").unwrap();
    /// assert_eq!(Profile::detect(&header, &none).unwrap(), Profile::AccessToken);
    /// let both = Claims::from_json(br#"{"ver":"scitoken:2.0","wlcg.ver":"1.0"}"#).unwrap();
    /// assert!(Profile::detect(&header, &both).is_err());
    /// ```
    pub fn detect(header: &Header, claims: &Claims) -> Result<Profile> {
        // Strings are read in place; a value is made only for the messages of the errors.
        let raw = |name| claims.get(name).cloned().unwrap_or_default();
        match (claims.string(names::VER), claims.string(names::WLCG_VER)) {
            (ver, wlcg) if !ver.is_absent() && !wlcg.is_absent() => Err(FormatError::Profile {
                reason: "token carries both \"ver\" and \"wlcg.ver\"".into(),
            }),
            (ClaimValue::Present("scitoken:2.0" | "scitokens:2.0"), _) => Ok(Profile::SciTokens2),
            (ClaimValue::Present("scitoken:1.0" | "scitokens:1.0"), _) => Ok(Profile::SciTokens1),
            (ver, _) if !ver.is_absent() => match raw(names::VER) {
                Value::Number(n) if n.as_u64() == Some(1) => Ok(Profile::SciTokens1),
                other => Err(FormatError::Profile {
                    reason: format!(
                        "\"ver\" {} is not a known SciTokens version",
                        Untrusted::json(&other)
                    ),
                }),
            },
            (_, ClaimValue::Present(v)) => match v.split_once('.') {
                Some(("1", minor))
                    if !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    Ok(Profile::Wlcg)
                }
                _ => Err(FormatError::Profile {
                    reason: format!("\"wlcg.ver\" {} is not a 1.x version", Untrusted::new(v)),
                }),
            },
            (_, ClaimValue::Malformed(_)) => Err(FormatError::Profile {
                reason: format!(
                    "\"wlcg.ver\" {} is not a string",
                    Untrusted::json(&raw(names::WLCG_VER))
                ),
            }),
            _ if header.is_access_token_typ() => Ok(Profile::AccessToken),
            _ => Ok(Profile::SciTokens1),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = FormatError;

    /// The short names of [`as_str`](Profile::as_str).
    fn from_str(s: &str) -> Result<Self> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| FormatError::Profile {
                reason: format!(
                    "{} is not a profile name (scitokens1, scitokens2, wlcg, atjwt)",
                    Untrusted::new(s)
                ),
            })
    }
}
