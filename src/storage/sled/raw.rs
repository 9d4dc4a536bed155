//! The sled store record by record, below the DAV tree and the domain
//! tables: what a backup reads (`SledBackend::export`, every record
//! at one instant, under the write lock), what a restore writes into a
//! fresh database ([`RawLoader`]), and what a format upgrade runs on at
//! open ([`migrate_tree`], one batch per migration with the format number
//! bumped in it).
//!
//! Imports sled and storage's own types only.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::super::backup;
use super::super::keys::FORMAT_KEY;
use super::super::migrate::{self, Migration, STORE_FORMAT};
use super::super::{Result, StorageError};

/// Records a restore writes per sled batch.
const LOAD_BATCH: usize = 1024;

/// Writes records into a new, empty database in `dir/db` (a restore). The
/// records go in batches; [`RawLoader::finish`] flushes them.
pub struct RawLoader {
    db: ::sled::Db,
    tree: ::sled::Tree,
    batch: ::sled::Batch,
    pending: usize,
}

impl RawLoader {
    /// Creates the database in `dir` (which must hold no database yet).
    pub fn create(dir: &Path) -> Result<Self> {
        let db = ::sled::Config::new().path(dir.join("db")).cache_capacity(super::DEFAULT_CACHE_BYTES).open()?;
        let tree = db.open_tree("slotdav")?;
        if !tree.is_empty() {
            return Err(StorageError::Backend(format!("{} already holds a store", dir.display())));
        }
        Ok(RawLoader { db, tree, batch: ::sled::Batch::default(), pending: 0 })
    }

    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.batch.insert(key, value);
        self.pending += 1;
        if self.pending >= LOAD_BATCH {
            self.tree.apply_batch(std::mem::take(&mut self.batch))?;
            self.pending = 0;
        }
        Ok(())
    }

    /// Applies what is left and makes it durable; the database is closed.
    pub fn finish(mut self) -> Result<()> {
        self.tree.apply_batch(std::mem::take(&mut self.batch))?;
        self.db.flush()?;
        Ok(())
    }
}

/// The format number a tree records, `None` when it records none.
pub(super) fn format_of(tree: &::sled::Tree) -> Result<Option<u32>> {
    match tree.get(FORMAT_KEY)? {
        None => Ok(None),
        Some(v) => {
            let bytes: [u8; 4] = v.as_ref().try_into().map_err(|_| StorageError::Backend(format!("the store's format number is unreadable ({:?})", v.as_ref())))?;
            Ok(Some(u32::from_be_bytes(bytes)))
        }
    }
}

/// Runs `migration` on `tree` as one batch with its new format number
/// ([`super::super::kv::migrate_tree`]), then flushes.
pub(super) fn migrate_tree(db: &::sled::Db, tree: &::sled::Tree, migration: &Migration) -> Result<()> {
    super::super::kv::migrate_tree(tree, migration)?;
    db.flush()?;
    Ok(())
}

/// Brings the store in `db` to [`STORE_FORMAT`] with `migrations` when it
/// is older: first a backup beside the data directory `dir`
/// ([`migrate::backup_path`]), then each migration in its own batch
/// ([`migrate_tree`]). A store newer than this build is refused; a new
/// store (no format number yet) is left to `check_format`.
pub(super) fn upgrade(dir: &Path, db: &super::handles::Db, migrations: &[Migration], now: DateTime<Utc>) -> Result<()> {
    let Some(found) = format_of(&db.tree)? else { return Ok(()) };
    let steps = migrate::steps_from(migrations, found, STORE_FORMAT)?;
    if steps.is_empty() {
        return Ok(());
    }
    let file = migrate::backup_path(dir, found, now);
    let summary = backup::write_with(&file, now, &mut |each| {
        for kv in db.tree.iter() {
            let (k, v) = kv?;
            each(&k, &v)?;
        }
        Ok(())
    })
    .map_err(|e| StorageError::Backend(format!("cannot take the backup before upgrading the store from format {found}: {e}")))?;
    tracing::warn!(backup = %file.display(), records = summary.records, "upgrading the store from format {found} to {STORE_FORMAT}; a backup was written first");
    for step in steps {
        migrate_tree(&db.db, &db.tree, &step).map_err(|e| {
            StorageError::Backend(format!(
                "upgrading the store from format {} to {} ({}) failed: {e}; the store is still whole in format {}, and the backup from before the upgrade is {}",
                step.from,
                step.from + 1,
                step.what,
                step.from,
                file.display()
            ))
        })?;
        tracing::info!(from = step.from, to = step.from + 1, what = step.what, "store migrated");
    }
    Ok(())
}
