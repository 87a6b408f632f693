//! Authorization names (the part of a scope before the first `:`), as data (semantics.md §6).

use std::fmt;
use std::str::FromStr;

use crate::error::{FormatError, Result};
use crate::text::Untrusted;

/// The authorization a scope entry grants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Authz {
    /// `read` (SciTokens).
    Read,
    /// `write` (SciTokens): create and modify.
    Write,
    /// `storage.read` (WLCG).
    StorageRead,
    /// `storage.create` (WLCG): create only.
    StorageCreate,
    /// `storage.modify` (WLCG): create and modify.
    StorageModify,
    /// `storage.stage` (WLCG): stage and poll.
    StorageStage,
    /// `storage.poll`.
    StoragePoll,
    /// `queue` (SciTokens compute).
    Queue,
    /// `execute` (SciTokens compute).
    Execute,
    /// `compute.read` (WLCG).
    ComputeRead,
    /// `compute.create` (WLCG).
    ComputeCreate,
    /// `compute.modify` (WLCG).
    ComputeModify,
    /// `compute.cancel` (WLCG).
    ComputeCancel,
    /// `condor` (HTCondor authorization levels as paths: `/READ`, `/WRITE`).
    Condor,
    /// Any other well-formed name (`openid`, `offline_access`, `wlcg.groups`, ...).
    Other(String),
}

/// What a scope entry's resource may or must be, by authorization name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceRule {
    /// A path or URL may follow; without one the grant is for `/`.
    PathOrUrlDefaultRoot,
    /// A path must follow (WLCG storage scopes, `condor`); a URL or nothing is invalid.
    PathRequired,
    /// A path or URL may follow; without one the grant is not restricted to a resource.
    Optional,
    /// Whatever follows the `:` is ignored (WLCG compute scopes).
    Ignored,
}

/// Every named authorization with its spelling and resource rule.
const TABLE: [(Authz, &str, ResourceRule); 14] = [
    (Authz::Read, "read", ResourceRule::PathOrUrlDefaultRoot),
    (Authz::Write, "write", ResourceRule::PathOrUrlDefaultRoot),
    (
        Authz::StorageRead,
        "storage.read",
        ResourceRule::PathRequired,
    ),
    (
        Authz::StorageCreate,
        "storage.create",
        ResourceRule::PathRequired,
    ),
    (
        Authz::StorageModify,
        "storage.modify",
        ResourceRule::PathRequired,
    ),
    (
        Authz::StorageStage,
        "storage.stage",
        ResourceRule::PathRequired,
    ),
    (
        Authz::StoragePoll,
        "storage.poll",
        ResourceRule::PathRequired,
    ),
    (Authz::Queue, "queue", ResourceRule::Optional),
    (Authz::Execute, "execute", ResourceRule::Optional),
    (Authz::ComputeRead, "compute.read", ResourceRule::Ignored),
    (
        Authz::ComputeCreate,
        "compute.create",
        ResourceRule::Ignored,
    ),
    (
        Authz::ComputeModify,
        "compute.modify",
        ResourceRule::Ignored,
    ),
    (
        Authz::ComputeCancel,
        "compute.cancel",
        ResourceRule::Ignored,
    ),
    (Authz::Condor, "condor", ResourceRule::PathRequired),
];

/// Whether `c` may appear in an authorization name: `[A-Za-z0-9._-]`.
pub(crate) fn is_authz_char(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_authz_byte)
}

/// [`is_authz_char`] for a byte of UTF-8 text (the name's characters are all ASCII).
pub(crate) fn is_authz_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

impl Authz {
    /// The authorization named `name`, whose characters the caller has checked.
    pub(crate) fn from_name(name: &str) -> Self {
        // Length first: most names are told apart without comparing bytes.
        TABLE
            .iter()
            .find(|(_, known, _)| known.len() == name.len() && *known == name)
            .map_or_else(|| Authz::Other(name.to_owned()), |(a, _, _)| a.clone())
    }

    /// This authorization's row of [`TABLE`] (rows are in declaration order, which a test
    /// checks); `None` for [`Authz::Other`].
    fn row(&self) -> Option<&'static (Authz, &'static str, ResourceRule)> {
        let i = match self {
            Authz::Read => 0,
            Authz::Write => 1,
            Authz::StorageRead => 2,
            Authz::StorageCreate => 3,
            Authz::StorageModify => 4,
            Authz::StorageStage => 5,
            Authz::StoragePoll => 6,
            Authz::Queue => 7,
            Authz::Execute => 8,
            Authz::ComputeRead => 9,
            Authz::ComputeCreate => 10,
            Authz::ComputeModify => 11,
            Authz::ComputeCancel => 12,
            Authz::Condor => 13,
            Authz::Other(_) => return None,
        };
        TABLE.get(i)
    }

    /// The name as written in a scope.
    pub fn as_str(&self) -> &str {
        match self {
            Authz::Other(name) => name,
            known => known.row().map_or("", |(_, name, _)| name),
        }
    }

    /// What may follow the `:` for this name.
    pub fn resource_rule(&self) -> ResourceRule {
        self.row()
            .map_or(ResourceRule::Optional, |(_, _, rule)| *rule)
    }

    /// Whether this is a WLCG `storage.*` name.
    pub fn is_storage(&self) -> bool {
        matches!(
            self,
            Authz::StorageRead
                | Authz::StorageCreate
                | Authz::StorageModify
                | Authz::StorageStage
                | Authz::StoragePoll
        )
    }
}

impl fmt::Display for Authz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Authz {
    type Err = FormatError;

    /// A non-empty name of `[A-Za-z0-9._-]`, case-sensitive.
    ///
    /// ```
    /// use scitokens_format::scope::Authz;
    /// assert_eq!("storage.modify".parse::<Authz>().unwrap(), Authz::StorageModify);
    /// assert_eq!("READ".parse::<Authz>().unwrap(), Authz::Other("READ".into()));
    /// assert!("re ad".parse::<Authz>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        if s.is_empty() || !s.chars().all(is_authz_char) {
            return Err(FormatError::InvalidScope {
                entry: Untrusted::new(s),
                reason: "authorization name must be non-empty [A-Za-z0-9._-]".into(),
            });
        }
        Ok(Authz::from_name(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_named_authorization_finds_its_own_row() {
        for (authz, name, rule) in &TABLE {
            assert_eq!(authz.as_str(), *name);
            assert_eq!(authz.resource_rule(), *rule);
            assert_eq!(&Authz::from_name(name), authz);
        }
        let other = Authz::from_name("wlcg.groups");
        assert_eq!(other, Authz::Other("wlcg.groups".into()));
        assert_eq!(
            (other.as_str(), other.resource_rule()),
            ("wlcg.groups", ResourceRule::Optional)
        );
    }

    #[test]
    fn name_characters() {
        for c in ['a', 'Z', '0', '.', '_', '-'] {
            assert!(is_authz_char(c));
        }
        for c in [':', ' ', '/', 'é', '\0', 'ſ'] {
            assert!(!is_authz_char(c));
        }
    }
}
