//! `SciTokenProfile`, taken from C as an int (an out-of-range value is not UB, just refused).

use std::ffi::c_int;
use std::sync::LazyLock;

use scitokens_format::Profile;
use scitokens_validate::{UnknownClaims, Validator};

use crate::error::{CError, Result};

/// The C enum's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CProfile {
    /// Any profile; ACLs translated to SciTokens 1.0 names.
    Compat,
    /// One profile only.
    Only(Profile),
}

impl CProfile {
    /// From the C enum value; `None` for a value the enum does not have.
    pub(crate) fn from_c(value: c_int) -> Option<Self> {
        Some(match value {
            0 => CProfile::Compat,
            1 => CProfile::Only(Profile::SciTokens1),
            2 => CProfile::Only(Profile::SciTokens2),
            3 => CProfile::Only(Profile::Wlcg),
            4 => CProfile::Only(Profile::AccessToken),
            _ => return None,
        })
    }

    /// A byte identifying the value (for cache keys).
    pub(crate) fn tag(self) -> u8 {
        match self {
            CProfile::Compat => 0,
            CProfile::Only(Profile::SciTokens1) => 1,
            CProfile::Only(Profile::SciTokens2) => 2,
            CProfile::Only(Profile::Wlcg) => 3,
            CProfile::Only(Profile::AccessToken) => 4,
        }
    }

    /// The validator `scitoken_deserialize` applies for this profile: any issuer (the
    /// caller's allow-list is checked before), no audience (the enforcer's business), unknown
    /// claims ignored (the Validator API's business, as in scitokens-cpp). Built
    /// once per value, never per token.
    pub(crate) fn deserialize_validator(self) -> Result<&'static Validator> {
        // The builder's error is kept as text: a static cannot hand out an owned error, and
        // these fixed configurations do not fail (tests/api.rs deserializes in each profile).
        static VALIDATORS: LazyLock<[Result<Validator, String>; 5]> = LazyLock::new(|| {
            [0, 1, 2, 3, 4].map(|c| {
                let profile = CProfile::from_c(c).ok_or("no such profile")?;
                Validator::builder()
                    .dangerous()
                    .any_issuer()
                    .skip_audience()
                    .done()
                    .unknown_claims(UnknownClaims::Ignore)
                    .profiles(profile.accepted())
                    .build()
                    .map_err(|e| e.to_string())
            })
        });
        VALIDATORS[usize::from(self.tag())]
            .as_ref()
            .map_err(|e| CError::Internal(format!("the deserialize validator: {e}")))
    }

    /// The header `typ` a token serialized in this profile carries (`COMPAT` writes
    /// SciTokens 1.0).
    pub(crate) fn typ(self) -> &'static str {
        match self {
            CProfile::Compat => Profile::SciTokens1.typ(),
            CProfile::Only(profile) => profile.typ(),
        }
    }

    /// The profiles accepted.
    pub(crate) fn accepted(self) -> Vec<Profile> {
        match self {
            CProfile::Compat => Profile::ALL.to_vec(),
            CProfile::Only(p) => vec![p],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_value_has_a_deserialize_validator() {
        for c in 0..5 {
            let profile = CProfile::from_c(c).map(CProfile::deserialize_validator);
            assert!(matches!(profile, Some(Ok(_))), "profile {c}");
        }
        assert!(CProfile::from_c(5).is_none());
    }
}
