//! Files the command writes: atomically (a temporary file in the same directory, synced, then
//! renamed over the target), so a reader sees the old contents or the new, never a part; with
//! the mode set before any byte is written.

use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::{CliError, Result};

/// Makes `dir` (and its parents) if missing; a directory this makes is mode 0700.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(CliError::file(dir))
}

/// Writes `contents` to `path` atomically (a temporary file in the same directory, renamed),
/// with `mode`; refuses to replace an existing file unless `force`.
pub(crate) fn write_file(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(CliError::file(path))?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(CliError::file(path))?;
    file.write_all(contents).map_err(CliError::file(path))?;
    file.as_file().sync_all().map_err(CliError::file(path))?;
    let persisted = if force {
        file.persist(path)
    } else {
        file.persist_noclobber(path)
    };
    persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Usage(format!(
                "{} exists; pass --force to overwrite it",
                path.display()
            ))
        } else {
            CliError::file(path)(e.error)
        }
    })?;
    Ok(())
}
