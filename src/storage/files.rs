//! Owner-only permissions for everything slotdav keeps on disk: the data
//! directory holds argon2 hashes, the manage-link signing secret and, with
//! the file mail transport, `.eml` files full of manage links. Directories
//! are made 0700 and files 0600 explicitly (not through the umask), and a
//! tree found with group or other permission bits is repaired
//! (issue 14, finding 7).

use std::fs::{self, DirBuilder, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of slotdav's directories.
pub const DIR_MODE: u32 = 0o700;
/// Mode of slotdav's files.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) with mode 0700, and makes an
/// existing `dir` 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
    fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
}

/// Makes `file` readable and writable by its owner only.
pub fn make_private(file: &Path) -> io::Result<()> {
    fs::set_permissions(file, Permissions::from_mode(FILE_MODE))
}

/// A path whose permissions were wider than owner-only, and its old mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    pub path: PathBuf,
    pub mode: u32,
}

/// Makes every directory below and including `root` 0700 and everything
/// else 0600 where group or others had any permission; returns what was
/// changed. Symbolic links are neither followed nor changed.
pub fn restrict_tree(root: &Path) -> io::Result<Vec<Repaired>> {
    let mut repaired = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode() & 0o7777;
        let want = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
        if mode & 0o077 != 0 || mode & 0o7000 != 0 {
            fs::set_permissions(&path, Permissions::from_mode(want))?;
            repaired.push(Repaired { path: path.clone(), mode });
        }
        if meta.is_dir() {
            for entry in fs::read_dir(&path)? {
                stack.push(entry?.path());
            }
        }
    }
    Ok(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn wide_permissions_are_repaired_and_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("data");
        create_private_dir(&root.join("db")).unwrap();
        assert_eq!((mode(&root), mode(&root.join("db"))), (DIR_MODE, DIR_MODE));
        fs::write(root.join("db/conf"), "x").unwrap();
        fs::write(root.join("secret"), "x").unwrap();
        make_private(&root.join("secret")).unwrap();
        fs::set_permissions(&root, Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(root.join("db/conf"), Permissions::from_mode(0o644)).unwrap();
        let mut got = restrict_tree(&root).unwrap();
        got.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(
            got,
            vec![Repaired { path: root.clone(), mode: 0o755 }, Repaired { path: root.join("db/conf"), mode: 0o644 }]
        );
        assert_eq!((mode(&root), mode(&root.join("db/conf")), mode(&root.join("secret"))), (DIR_MODE, FILE_MODE, FILE_MODE));
        assert_eq!(restrict_tree(&root).unwrap(), vec![], "nothing left to repair");
    }
}
