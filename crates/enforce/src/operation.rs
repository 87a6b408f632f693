//! Operations a request asks for, and which operations each authorization grants
//! (semantics.md §6-§7). The table is data, not logic in the scope loop.

use std::fmt;
use std::str::FromStr;

use scitokens_format::scope::Authz;
use scitokens_format::Untrusted;

use crate::error::EnforceError;

/// What a request wants to do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Read a file or list a directory.
    Read,
    /// Create a new file or directory (never overwrite).
    Create,
    /// Change or delete existing data.
    Modify,
    /// Create and modify: allowed only where both are granted, so `storage.create` cannot
    /// overwrite.
    Write,
    /// Bring data online (from tape).
    Stage,
    /// Ask whether staged data is online.
    Poll,
    /// Submit to a queue.
    Queue,
    /// Execute.
    Execute,
    /// Read compute resources (jobs).
    ComputeRead,
    /// Create compute resources.
    ComputeCreate,
    /// Modify compute resources.
    ComputeModify,
    /// Cancel compute resources.
    ComputeCancel,
    /// An HTCondor authorization; the request path names it (`/READ`, `/WRITE`).
    Condor,
    /// Any other authorization, by its literal name (`openid`, ...).
    Other(String),
}

impl Operation {
    /// The name accepted by [`FromStr`].
    pub fn as_str(&self) -> &str {
        match self {
            Operation::Read => "read",
            Operation::Create => "create",
            Operation::Modify => "modify",
            Operation::Write => "write",
            Operation::Stage => "stage",
            Operation::Poll => "poll",
            Operation::Queue => "queue",
            Operation::Execute => "execute",
            Operation::ComputeRead => "compute.read",
            Operation::ComputeCreate => "compute.create",
            Operation::ComputeModify => "compute.modify",
            Operation::ComputeCancel => "compute.cancel",
            Operation::Condor => "condor",
            Operation::Other(name) => name,
        }
    }

    /// Whether a scope of `authz` grants this operation (for `Write`: one of its two halves
    /// is asked separately, see [`Operation::parts`]).
    pub fn granted_by(&self, authz: &Authz) -> bool {
        grants(authz).iter().any(|g| g == self)
            || matches!((authz, self), (Authz::Other(a), Operation::Other(o)) if a == o)
    }

    /// The operations a request for this one needs, all of them: `Write` is `Create` and
    /// `Modify`; every other operation is itself.
    ///
    /// ```
    /// use scitokens_enforce::Operation;
    /// assert_eq!(Operation::Write.parts(), [Operation::Create, Operation::Modify]);
    /// assert_eq!(Operation::Read.parts(), [Operation::Read]);
    /// ```
    pub fn parts(&self) -> &[Operation] {
        match self {
            Operation::Write => &[Operation::Create, Operation::Modify],
            other => std::slice::from_ref(other),
        }
    }
}

/// semantics.md §6: what each authorization grants.
fn grants(authz: &Authz) -> &'static [Operation] {
    match authz {
        Authz::Read | Authz::StorageRead => &[Operation::Read],
        Authz::Write | Authz::StorageModify => &[Operation::Create, Operation::Modify],
        Authz::StorageCreate => &[Operation::Create],
        Authz::StorageStage => &[Operation::Stage, Operation::Poll],
        Authz::StoragePoll => &[Operation::Poll],
        Authz::Queue => &[Operation::Queue],
        Authz::Execute => &[Operation::Execute],
        Authz::ComputeRead => &[Operation::ComputeRead],
        Authz::ComputeCreate => &[Operation::ComputeCreate],
        Authz::ComputeModify => &[Operation::ComputeModify],
        Authz::ComputeCancel => &[Operation::ComputeCancel],
        Authz::Condor => &[Operation::Condor],
        // Other names grant their literal name; see `granted_by`.
        Authz::Other(_) => &[],
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = EnforceError;

    /// An operation name, or an authorization name that asks for the same thing
    /// (`storage.read` is `read`, `storage.create` is `create`, ...).
    ///
    /// ```
    /// use scitokens_enforce::Operation;
    /// assert_eq!("storage.modify".parse::<Operation>().unwrap(), Operation::Modify);
    /// assert_eq!("write".parse::<Operation>().unwrap(), Operation::Write);
    /// assert_eq!("openid".parse::<Operation>().unwrap(), Operation::Other("openid".into()));
    /// assert!("".parse::<Operation>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, EnforceError> {
        Ok(match s {
            "read" | "storage.read" => Operation::Read,
            "create" | "storage.create" => Operation::Create,
            "modify" | "storage.modify" => Operation::Modify,
            "write" => Operation::Write,
            "stage" | "storage.stage" => Operation::Stage,
            "poll" | "storage.poll" => Operation::Poll,
            "queue" => Operation::Queue,
            "execute" => Operation::Execute,
            "compute.read" => Operation::ComputeRead,
            "compute.create" => Operation::ComputeCreate,
            "compute.modify" => Operation::ComputeModify,
            "compute.cancel" => Operation::ComputeCancel,
            "condor" => Operation::Condor,
            other
                if !other.is_empty()
                    && other
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) =>
            {
                Operation::Other(other.to_owned())
            }
            other => {
                return Err(EnforceError::InvalidOperation {
                    operation: Untrusted::new(other),
                })
            }
        })
    }
}
