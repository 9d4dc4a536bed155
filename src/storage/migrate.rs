//! Format upgrades: the store's format number and the numbered list of
//! migrations that take an older store to it.
//!
//! A store records the format its records are written in (the `M format`
//! record, [`super::keys::FORMAT_KEY`]). When a build whose
//! [`STORE_FORMAT`] is higher opens an older store, it first writes a
//! backup file beside the data directory ([`backup_path`], the format of
//! [`super::backup`]), then runs each migration from the store's format
//! up, each as one batch that also bumps the format number, flushed before
//! the next: a crash or a failing migration leaves the store at a whole
//! format, never half-way, and the next open carries on from there. A
//! store newer than this build is refused ([`steps_from`]) rather than
//! misread.
//!
//! A migration sees the store as raw records ([`RecordSource`]) and stages
//! its writes in [`MigrationWrites`] (one too large for memory applies
//! them in parts, [`RecordSource::apply`], each leaving a store the
//! migration can run over again); it knows the byte layout of
//! [`super::keys`] and nothing of sled. Record encodings that domain
//! modules own (bookings, holds: versioned postcard read by their own
//! decoders) are upgraded there, on read, not here; see ARCHITECTURE.md
//! "Format upgrades".
//!
//! Imports storage's own types only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{Result, StorageError};

/// The layout of records this build reads and writes. Bumping it means
/// adding the migration from the previous number to [`MIGRATIONS`].
pub const STORE_FORMAT: u32 = 2;

/// The migrations of this build, oldest first: entry `i` takes a store
/// from format `MIGRATIONS[i].from` to `from + 1`, and the last ends at
/// [`STORE_FORMAT`] (a unit test checks). Format 1 is the first format
/// that was marked.
pub const MIGRATIONS: &[Migration] = &[super::kv::spans::MIGRATION];

/// One upgrade step, from format `from` to `from + 1`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub from: u32,
    /// What it changes, for the log.
    pub what: &'static str,
    /// Reads the store at format `from` and stages what changes.
    pub apply: fn(&dyn RecordSource, &mut MigrationWrites) -> Result<()>,
}

/// The store's records as a migration reads them (before its own writes,
/// and after the parts it has applied).
pub trait RecordSource {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Every record whose key starts with `prefix`, in key order.
    fn scan(&self, prefix: &[u8], each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()>;
    /// The first `limit` records whose key starts with `prefix`, in key order.
    fn first(&self, prefix: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// Applies a part of the migration's writes at once, for a migration
    /// too large for one batch in memory. Such a migration must leave the
    /// store readable by itself after every part: a crash between parts
    /// leaves the store at the old format with the parts applied, and the
    /// next open runs the migration again over that.
    fn apply(&self, writes: MigrationWrites) -> Result<()>;
}

/// The writes one migration stages; applied as one batch with the new
/// format number.
#[derive(Debug, Default)]
pub struct MigrationWrites {
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl MigrationWrites {
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }

    pub fn remove(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The staged writes (`None` removes), in key order.
    pub fn into_writes(self) -> impl Iterator<Item = (Vec<u8>, Option<Vec<u8>>)> {
        self.writes.into_iter()
    }
}

/// The migrations of `migrations` a store at format `found` needs to reach
/// `target`, in order: none when it is there already; an error naming both
/// numbers for a store newer than `target`, and for a gap in the list.
pub fn steps_from(migrations: &[Migration], found: u32, target: u32) -> Result<Vec<Migration>> {
    if found > target {
        return Err(StorageError::Backend(format!(
            "the store is in format {found}, newer than this slotdav (format {target}): run the slotdav that wrote it, \
             or restore a backup taken before the upgrade"
        )));
    }
    let mut steps = Vec::new();
    for from in found..target {
        let step = migrations.iter().find(|m| m.from == from).ok_or_else(|| {
            StorageError::Backend(format!("this slotdav (format {target}) has no migration from store format {from}"))
        })?;
        steps.push(*step);
    }
    Ok(steps)
}

/// Where the backup taken before upgrading the store in `data_dir` from
/// format `from` goes: beside the data directory (not in it: a restore
/// needs an empty directory), named after it, the format and the time.
pub fn backup_path(data_dir: &Path, from: u32, now: DateTime<Utc>) -> PathBuf {
    let name = data_dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "slotdav-data".into());
    let parent = data_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!("{name}.format-{from}.{}.slotdav-backup", now.format("%Y%m%dT%H%M%SZ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &dyn RecordSource, _: &mut MigrationWrites) -> Result<()> {
        Ok(())
    }

    #[test]
    fn the_migrations_are_numbered_without_gaps_up_to_the_store_format() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.from + 1 + (MIGRATIONS.len() - 1 - i) as u32, STORE_FORMAT, "{}", m.what);
        }
        assert!(steps_from(MIGRATIONS, STORE_FORMAT, STORE_FORMAT).unwrap().is_empty());
        if let Some(first) = MIGRATIONS.first() {
            assert_eq!(steps_from(MIGRATIONS, first.from, STORE_FORMAT).unwrap().len(), MIGRATIONS.len());
        }
    }

    #[test]
    fn a_newer_store_and_a_missing_step_are_refused_by_number() {
        let list = [Migration { from: 3, what: "three", apply: nothing }, Migration { from: 4, what: "four", apply: nothing }];
        assert_eq!(steps_from(&list, 3, 5).unwrap().iter().map(|m| m.from).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(steps_from(&list, 4, 5).unwrap().len(), 1);
        assert!(steps_from(&list, 5, 5).unwrap().is_empty());
        let newer = steps_from(&list, 6, 5).unwrap_err().to_string();
        assert!(newer.contains("format 6") && newer.contains("newer than this slotdav (format 5)"), "{newer}");
        let gap = steps_from(&list, 2, 5).unwrap_err().to_string();
        assert!(gap.contains("no migration from store format 2"), "{gap}");
    }

    #[test]
    fn the_backup_before_an_upgrade_lies_beside_the_data_directory() {
        let now = DateTime::parse_from_rfc3339("2030-03-04T05:06:07Z").unwrap().with_timezone(&Utc);
        assert_eq!(backup_path(Path::new("/var/lib/slotdav"), 1, now), PathBuf::from("/var/lib/slotdav.format-1.20300304T050607Z.slotdav-backup"));
        assert_eq!(backup_path(Path::new("data"), 2, now), PathBuf::from("./data.format-2.20300304T050607Z.slotdav-backup"));
    }
}
