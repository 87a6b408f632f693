//! From an authorized path to a file under the root, and nowhere else: the path was already
//! decoded once and normalized by the layer (no `..`), and every existing component below the
//! root is checked not to be a symbolic link, so nothing outside the root is ever opened.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a path cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// A component is a symbolic link: never followed.
    #[error("{0} is a symbolic link; links are not served")]
    Symlink(String),
    /// The path has a component that is not a plain name (cannot happen after the layer).
    #[error("path component {0:?} is not a plain name")]
    NotPlain(String),
    /// The file system refused.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The file under `root` for an authorized path (`/` is the root itself). Existing components
/// are checked with `symlink_metadata`; a missing tail is fine (a `PUT` or `MKCOL` target).
pub fn resolve(root: &Path, path: &str) -> Result<PathBuf, PathError> {
    let mut out = root.to_path_buf();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(name) => out.push(name),
            Component::CurDir => {}
            other => return Err(PathError::NotPlain(format!("{other:?}"))),
        }
        match std::fs::symlink_metadata(&out) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(PathError::Symlink(path.to_owned()))
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_refused_and_nothing_climbs_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("data/etc")).unwrap();
        assert_eq!(resolve(&root, "/data/x").unwrap(), root.join("data/x"));
        assert_eq!(resolve(&root, "/").unwrap(), root);
        assert!(matches!(
            resolve(&root, "/data/etc/passwd"),
            Err(PathError::Symlink(_))
        ));
        assert!(matches!(
            resolve(&root, "/data/etc"),
            Err(PathError::Symlink(_))
        ));
        assert!(matches!(
            resolve(&root, "/../x"),
            Err(PathError::NotPlain(_))
        ));
    }
}
