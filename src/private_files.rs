//! Directories and files that only the server's own account may read: the data directory
//! (0700), the SQLite database with its `-wal` and `-shm` files, and keys (0600).
//!
//! Modes are set explicitly after creation rather than left to the process's umask, which can
//! make them wider (the usual 022 gives 0755 and 0644) or narrower than intended.

use std::io;
use std::path::{Path, PathBuf};

/// Creates `dir` and any missing parents, each new one with mode 0700. Existing directories
/// keep their mode: they are the operator's.
pub(crate) fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        missing.push(path.to_path_buf());
        at = path.parent();
    }
    for path in missing.iter().rev() {
        match std::fs::create_dir(path) {
            Ok(()) => set_mode(path, 0o700)?,
            // Made meanwhile by another process, which chose its mode.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Creates `file` empty with mode 0600 unless it exists; takes group and other permissions off
/// it if it does (a file an older version left at 0644).
pub(crate) fn create_file(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never wider than 0600, not even for the moment before `set_mode`.
        options.mode(0o600);
    }
    match options.open(file) {
        Ok(_) => set_mode(file, 0o600),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => restrict(file),
        Err(error) => Err(error),
    }
}

/// Takes group and other permissions off `file` if it exists.
pub(crate) fn restrict(file: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(file) {
            Ok(metadata) => metadata.permissions().mode(),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        if mode & 0o077 != 0 {
            set_mode(file, mode & 0o700)?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_are_0700_and_existing_ones_keep_their_mode() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let nested = root.path().join("data").join("sqlite");
        create_dir_all(&nested).unwrap();
        assert_eq!(mode(&root.path().join("data")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(root.path()), 0o755);
        create_dir_all(&nested).unwrap();
    }

    #[test]
    fn files_are_created_0600_and_older_ones_lose_group_and_other_permissions() {
        let root = tempfile::tempdir().unwrap();
        let new = root.path().join("new.db");
        create_file(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        let old = root.path().join("old.db");
        std::fs::write(&old, b"kept").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_file(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read(&old).unwrap(), b"kept");
        restrict(&root.path().join("absent")).unwrap();
    }
}
