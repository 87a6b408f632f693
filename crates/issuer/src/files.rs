//! Writing the files the issuer makes.

use std::path::Path;

use crate::error::{IssuerError, Result};

/// Writes a new file with `mode`, synced, refusing to replace one (secrets, keys, configs).
pub fn write_new(path: &Path, text: &str, mode: u32) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(IssuerError::io("creating", path))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(IssuerError::io("writing", path))
}
