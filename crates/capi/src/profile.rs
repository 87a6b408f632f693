//! `SciTokenProfile`, taken from C as an int (an out-of-range value is not UB, just refused).

use std::ffi::c_int;

use scitokens_format::Profile;

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

    /// The profiles accepted.
    pub(crate) fn accepted(self) -> Vec<Profile> {
        match self {
            CProfile::Compat => Profile::ALL.to_vec(),
            CProfile::Only(p) => vec![p],
        }
    }
}
