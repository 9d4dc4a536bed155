//! Backup files: every record of the store at one instant in one file,
//! and back into a new data directory.
//!
//! A backup is a fixed-size text header, then the records in key order,
//! each as `key length (u32 BE) | key | value length (u32 BE) | value`:
//!
//! ```text
//! slotdav-backup 1
//! store-format 0000000001
//! created 2030-03-04T05:06:07Z
//! records 00000000000000012345
//! sha256 <64 hex digits: SHA-256 of every byte after the header>
//! (an empty line)
//! ```
//!
//! [`write`] streams the records from [`Storage::export_records`] (sled
//! holds its write lock meanwhile, so the copy is of one instant and
//! writers wait; memory stays bounded) into an owner-only temporary file
//! beside the target, fills the header in, syncs and renames it into
//! place. [`restore`] refuses a target that is not empty, writes into a
//! temporary directory beside it, checks the record count and the checksum
//! before anything is made live, and renames the directory into place; a
//! backup that is cut short, altered or of a newer format is refused with
//! what is wrong.
//!
//! Imports storage's own types (the sled loader, the format number) only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::FORMAT_KEY;
use super::migrate::STORE_FORMAT;
use super::sled::RawLoader;
use super::{Storage, StorageError};

/// The layout of backup files this build writes and reads.
pub const BACKUP_FORMAT: u32 = 1;

const MAGIC: &str = "slotdav-backup";

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{what} {}: {source}", path.display())]
    Io { what: &'static str, path: PathBuf, source: io::Error },
    #[error("{} is not a slotdav backup: {why}", path.display())]
    NotABackup { path: PathBuf, why: String },
    #[error("the backup {} is damaged ({why}); nothing was restored", path.display())]
    Damaged { path: PathBuf, why: String },
    #[error("the backup is in store format {found}, newer than this slotdav (format {STORE_FORMAT}); restore it with the slotdav that wrote it")]
    NewerFormat { found: u32 },
    #[error("{} is not empty: a backup is restored only into an empty or new directory", path.display())]
    TargetNotEmpty { path: PathBuf },
    #[error("the store: {0}")]
    Store(#[from] StorageError),
}

type Result<T> = std::result::Result<T, BackupError>;

/// What a backup file says about itself (its header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSummary {
    pub store_format: u32,
    pub created: DateTime<Utc>,
    pub records: u64,
    /// SHA-256 of the records, lower-case hex.
    pub sha256: String,
}

impl BackupSummary {
    /// One line for the admin.
    pub fn describe(&self, file: &Path) -> String {
        format!(
            "{} records (store format {}, taken {}, sha256 {}) in {}",
            self.records,
            self.store_format,
            self.created.format("%Y-%m-%dT%H:%M:%SZ"),
            self.sha256,
            file.display()
        )
    }

    /// The header text: always [`header_len`] bytes.
    fn header(&self) -> String {
        format!(
            "{MAGIC} {BACKUP_FORMAT}\nstore-format {:010}\ncreated {}\nrecords {:020}\nsha256 {:0>64}\n\n",
            self.store_format,
            self.created.format("%Y-%m-%dT%H:%M:%SZ"),
            self.records,
            self.sha256
        )
    }
}

/// Bytes of every header.
fn header_len() -> usize {
    BackupSummary { store_format: 0, created: DateTime::UNIX_EPOCH, records: 0, sha256: String::new() }.header().len()
}

/// Takes a backup of `storage` into `file` (replacing it atomically).
pub fn write(storage: &dyn Storage, file: &Path, now: DateTime<Utc>) -> Result<BackupSummary> {
    write_with(file, now, &mut |each| storage.export_records(each))
}

/// [`write`] from any source of records: `export` hands each record of one
/// instant, in key order, to the function it is given.
pub fn write_with(
    file: &Path,
    now: DateTime<Utc>,
    export: &mut dyn FnMut(&mut dyn FnMut(&[u8], &[u8]) -> std::result::Result<(), StorageError>) -> std::result::Result<(), StorageError>,
) -> Result<BackupSummary> {
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = file.file_name().ok_or_else(|| BackupError::Io {
        what: "a backup needs a file name, not",
        path: file.to_path_buf(),
        source: io::Error::from(io::ErrorKind::InvalidInput),
    })?;
    let temp = dir.join(format!(".{}.partial-{}", name.to_string_lossy(), std::process::id()));
    let out = OpenOptions::new().write(true).create(true).truncate(true).mode(super::files::FILE_MODE).open(&temp).map_err(io("cannot create", &temp))?;
    let result = (|| {
        super::files::make_private(&temp).map_err(io("cannot restrict", &temp))?;
        let mut out = BufWriter::with_capacity(1 << 16, out);
        out.write_all(&vec![b' '; header_len()]).map_err(io("cannot write", &temp))?;
        let mut hasher = Sha256::new();
        let mut records = 0u64;
        let mut store_format = 0u32;
        let mut failed: Option<io::Error> = None;
        let exported = export(&mut |key, value| {
            if key == FORMAT_KEY {
                store_format = value.try_into().map(u32::from_be_bytes).unwrap_or(0);
            }
            let write = |out: &mut BufWriter<File>, hasher: &mut Sha256, bytes: &[u8]| -> io::Result<()> {
                hasher.update(bytes);
                out.write_all(bytes)
            };
            let r = (|| {
                write(&mut out, &mut hasher, &len_prefix(key.len())?)?;
                write(&mut out, &mut hasher, key)?;
                write(&mut out, &mut hasher, &len_prefix(value.len())?)?;
                write(&mut out, &mut hasher, value)
            })();
            records += 1;
            r.map_err(|e| {
                let msg = e.to_string();
                failed = Some(e);
                StorageError::Backend(msg)
            })
        });
        if let Some(e) = failed {
            return Err(BackupError::Io { what: "cannot write", path: temp.clone(), source: e });
        }
        exported?;
        // The header keeps whole seconds: so does the summary answered.
        let created = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let summary = BackupSummary { store_format, created, records, sha256: crate::hex::encode(&hasher.finalize()) };
        let mut out = out.into_inner().map_err(|e| BackupError::Io { what: "cannot write", path: temp.clone(), source: e.into_error() })?;
        out.seek(SeekFrom::Start(0)).map_err(io("cannot write", &temp))?;
        out.write_all(summary.header().as_bytes()).map_err(io("cannot write", &temp))?;
        out.sync_all().map_err(io("cannot sync", &temp))?;
        fs::rename(&temp, file).map_err(io("cannot rename the finished backup to", file))?;
        sync_dir(dir);
        Ok(summary)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// `map_err` of an I/O failure doing `what` to `path`.
fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> BackupError + 'a {
    move |source| BackupError::Io { what, path: path.to_path_buf(), source }
}

fn len_prefix(len: usize) -> io::Result<[u8; 4]> {
    u32::try_from(len).map(u32::to_be_bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a record is larger than 4 GiB"))
}

/// Makes a rename in `dir` durable (best effort: not every filesystem
/// lets a directory be synced).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads and checks the header of the backup `file`.
pub fn read_header(file: &Path) -> Result<BackupSummary> {
    let mut f = File::open(file).map_err(|source| BackupError::Io { what: "cannot open", path: file.to_path_buf(), source })?;
    header_of(&mut f, file)
}

fn header_of(f: &mut impl Read, file: &Path) -> Result<BackupSummary> {
    let not = |why: &str| BackupError::NotABackup { path: file.to_path_buf(), why: why.to_string() };
    let mut head = vec![0u8; header_len()];
    f.read_exact(&mut head).map_err(|_| not("it is shorter than a backup's header"))?;
    let text = std::str::from_utf8(&head).map_err(|_| not("its header is not text"))?;
    let mut lines = text.split('\n');
    let mut field = |name: &str| -> Result<String> {
        let line = lines.next().unwrap_or("");
        line.strip_prefix(name).and_then(|r| r.strip_prefix(' ')).map(str::to_string).ok_or_else(|| not(&format!("its header has no `{name}` line where one belongs")))
    };
    let version = field(MAGIC)?;
    if version != BACKUP_FORMAT.to_string() {
        return Err(not(&format!("it is backup format {version}; this slotdav reads backup format {BACKUP_FORMAT}")));
    }
    let number = |text: String, what: &str| text.parse::<u64>().map_err(|_| not(&format!("its {what} is not a number")));
    let store_format = u32::try_from(number(field("store-format")?, "store format")?).map_err(|_| not("its store format is out of range"))?;
    let created = DateTime::parse_from_rfc3339(&field("created")?).map_err(|_| not("its creation time is unreadable"))?.with_timezone(&Utc);
    let records = number(field("records")?, "record count")?;
    let sha256 = field("sha256")?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not("its checksum is unreadable"));
    }
    Ok(BackupSummary { store_format, created, records, sha256 })
}

/// Whether `dir` is missing or an empty directory.
fn is_missing_or_empty(dir: &Path) -> Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(source) => Err(BackupError::Io { what: "cannot read", path: dir.to_path_buf(), source }),
    }
}

/// Restores the backup `file` as the store in `target`, which must be an
/// empty or missing directory. Nothing is made live unless the record
/// count and the checksum are the header's.
pub fn restore(file: &Path, target: &Path) -> Result<BackupSummary> {
    if !is_missing_or_empty(target)? {
        return Err(BackupError::TargetNotEmpty { path: target.to_path_buf() });
    }
    let mut input = File::open(file).map_err(|source| BackupError::Io { what: "cannot open", path: file.to_path_buf(), source })?;
    let size = input.metadata().map_err(|source| BackupError::Io { what: "cannot read", path: file.to_path_buf(), source })?.len();
    let summary = header_of(&mut input, file)?;
    if summary.store_format > STORE_FORMAT {
        return Err(BackupError::NewerFormat { found: summary.store_format });
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "slotdav-data".into());
    // A missing parent is made owner-only; an existing one keeps its mode.
    if !parent.exists() {
        super::files::create_private_dir(parent).map_err(io("cannot create", parent))?;
    }
    let temp = parent.join(format!(".{name}.restoring-{}", std::process::id()));
    if temp.exists() {
        fs::remove_dir_all(&temp).map_err(io("cannot remove the unfinished restore", &temp))?;
    }
    super::files::create_private_dir(&temp).map_err(io("cannot create", &temp))?;
    let result = (|| {
        load(BufReader::with_capacity(1 << 16, input), size - header_len() as u64, &summary, file, &temp)?;
        super::files::restrict_tree(&temp).map_err(io("cannot restrict permissions in", &temp))?;
        if target.exists() {
            fs::remove_dir(target).map_err(io("cannot replace the empty directory", target))?;
        }
        fs::rename(&temp, target).map_err(io("cannot move the restored store to", target))?;
        sync_dir(parent);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&temp);
    }
    result.map(|()| summary)
}

/// Reads the records after the header into a new database in `dir`,
/// checking each length against what is left of the file, then the count
/// and the checksum.
fn load(mut input: impl Read, mut left: u64, summary: &BackupSummary, file: &Path, dir: &Path) -> Result<()> {
    let mut loader = RawLoader::create(dir)?;
    let mut hasher = Sha256::new();
    let mut records = 0u64;
    while left > 0 {
        let key = read_part(&mut input, &mut left, &mut hasher, (records + 1, "key"), file)?;
        let value = read_part(&mut input, &mut left, &mut hasher, (records + 1, "value"), file)?;
        loader.insert(&key, &value)?;
        records += 1;
    }
    let damaged = |why: String| BackupError::Damaged { path: file.to_path_buf(), why };
    if records != summary.records {
        return Err(damaged(format!("it holds {records} records, its header says {}", summary.records)));
    }
    let sum = crate::hex::encode(&hasher.finalize());
    if sum != summary.sha256 {
        return Err(damaged(format!("the records' SHA-256 is {sum}, its header says {}", summary.sha256)));
    }
    loader.finish()?;
    Ok(())
}

/// One length-prefixed part (`what` of record `n`) of a record.
fn read_part(input: &mut impl Read, left: &mut u64, hasher: &mut Sha256, (n, what): (u64, &str), file: &Path) -> Result<Vec<u8>> {
    let damaged = |why: String| BackupError::Damaged { path: file.to_path_buf(), why };
    if *left < 4 {
        return Err(damaged(format!("it ends inside record {n}")));
    }
    let mut len = [0u8; 4];
    input.read_exact(&mut len).map_err(|e| damaged(format!("record {n}: {e}")))?;
    let size = u32::from_be_bytes(len) as u64;
    if size > *left - 4 {
        return Err(damaged(format!("the {what} of record {n} is longer than the rest of the file")));
    }
    let mut bytes = vec![0u8; size as usize];
    input.read_exact(&mut bytes).map_err(|e| damaged(format!("record {n}: {e}")))?;
    *left -= 4 + size;
    hasher.update(len);
    hasher.update(&bytes);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{SledStorage, User};

    fn records(s: &dyn Storage) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        s.export_records(&mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn every_header_has_one_length_and_reads_back() {
        let now = DateTime::parse_from_rfc3339("2030-03-04T05:06:07Z").unwrap().with_timezone(&Utc);
        let summary = BackupSummary { store_format: 7, created: now, records: u64::MAX, sha256: "ab".repeat(32) };
        assert_eq!(summary.header().len(), header_len());
        assert_eq!(header_of(&mut summary.header().as_bytes(), Path::new("x")).unwrap(), summary);
        let other = summary.header().replace("slotdav-backup 1", "slotdav-backup 9");
        let err = header_of(&mut other.as_bytes(), Path::new("x")).unwrap_err().to_string();
        assert!(err.contains("backup format 9"), "{err}");
    }

    #[test]
    fn a_store_comes_back_record_for_record_and_a_lying_length_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStorage::open(&dir.path().join("data"), true, None).unwrap();
        let now = Utc::now();
        for name in ["ann", "bob"] {
            store.put_user(&User { name: name.into(), password_hash: "h".into(), email: None, created: now }).unwrap();
        }
        let file = dir.path().join("b.backup");
        let summary = write(&store, &file, now).unwrap();
        assert_eq!(summary.records as usize, records(&store).len());
        assert_eq!(summary.store_format, STORE_FORMAT);
        assert_eq!(read_header(&file).unwrap(), summary);
        restore(&file, &dir.path().join("copy")).unwrap();
        let copy = SledStorage::open(&dir.path().join("copy"), true, None).unwrap();
        assert_eq!(records(&copy), records(&store));

        // A key length far beyond the file: refused, nothing allocated for it.
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[header_len()..header_len() + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        std::fs::write(&file, bytes).unwrap();
        let err = restore(&file, &dir.path().join("again")).unwrap_err().to_string();
        assert!(err.contains("longer than the rest of the file"), "{err}");
        assert!(!dir.path().join("again").exists());
    }
}
