//! The open sled database, and its recovery from a full disk.
//!
//! sled 0.34 keeps a global error once a write to its log fails (a full
//! disk: ENOSPC or EDQUOT): every later write and flush of that `Db`
//! answers the same error, even after space has been freed. So
//! [`Handles`] owns the only `Db` and `Tree` of the store, behind a lock,
//! and a write that finds them poisoned reopens the database in-process:
//! at most every [`REOPEN_EVERY`], only once a probe file of
//! [`PROBE_BYTES`] can be written to the data directory, and only after
//! every operation still using the old database let go of it (sled's file
//! lock is released when the old `Db` is dropped). What was acknowledged
//! was flushed, so the reopened database has it; a write that failed was
//! never acknowledged. Most reads keep working on the poisoned database;
//! sled answers those of pages the failed write touched with its error
//! (507) until the reopen. A reopen that fails leaves the database closed,
//! and then reads reopen it ([`Handles::get`]).
//!
//! Imports sled and storage's own types only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::super::{Result, StorageError};

/// The least time between two attempts to reopen a poisoned database.
pub const REOPEN_EVERY: Duration = Duration::from_secs(2);

/// Bytes a probe must be able to write before a reopen is tried (a few of
/// sled's 512 KiB log segments).
pub const PROBE_BYTES: usize = 2 * 1024 * 1024;

/// The least time between two reopens tried by reads, when a reopen by a
/// writer left the database closed.
const READ_REOPEN_EVERY: Duration = Duration::from_millis(200);

/// How long a reopen waits for operations still using the old database.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// One opened database: the `Db` and slotdav's tree in it.
pub(super) struct Db {
    pub(super) db: ::sled::Db,
    pub(super) tree: ::sled::Tree,
}

/// How to open the database, and the open one.
pub(super) struct Handles {
    /// The data directory (the database is in its `db`).
    dir: PathBuf,
    flush_every_ms: Option<u64>,
    /// sled's page cache, in bytes.
    cache_bytes: u64,
    /// What a freshly opened tree must pass before it is used (the store
    /// format, the usage count).
    prepare: fn(&::sled::Tree) -> Result<()>,
    /// `None` only while a reopen runs or after one failed.
    current: RwLock<Option<Arc<Db>>>,
    /// A write or flush failed because the disk was full.
    poisoned: AtomicBool,
    last_attempt: Mutex<Option<Instant>>,
    /// The last reopen a read tried (see [`Handles::get`]).
    last_read_attempt: Mutex<Option<Instant>>,
    reopens: std::sync::atomic::AtomicU64,
}

impl From<::sled::Error> for StorageError {
    fn from(e: ::sled::Error) -> Self {
        match e {
            ::sled::Error::Io(io) if super::super::is_storage_full(&io) => StorageError::Full(io.to_string()),
            e => StorageError::Backend(e.to_string()),
        }
    }
}

impl Handles {
    /// Opens the database; `upgrade` runs on it once, before `prepare`
    /// (a format upgrade, [`super::raw::upgrade`]); a reopen runs only
    /// `prepare`.
    pub(super) fn open(
        dir: &Path,
        flush_every_ms: Option<u64>,
        cache_bytes: u64,
        prepare: fn(&::sled::Tree) -> Result<()>,
        upgrade: impl FnOnce(&Db) -> Result<()>,
    ) -> Result<Self> {
        let db = open_unprepared(dir, flush_every_ms, cache_bytes)?;
        upgrade(&db)?;
        prepare(&db.tree)?;
        Ok(Handles {
            dir: dir.to_path_buf(),
            flush_every_ms,
            cache_bytes,
            prepare,
            current: RwLock::new(Some(Arc::new(db))),
            poisoned: AtomicBool::new(false),
            last_attempt: Mutex::new(None),
            last_read_attempt: Mutex::new(None),
            reopens: Default::default(),
        })
    }

    /// The open database, for one operation (hold it no longer: a reopen
    /// waits for every holder).
    pub(super) fn get(&self) -> Result<Arc<Db>> {
        if let Some(db) = self.current.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(db);
        }
        self.reopen_closed()
    }

    /// Only a writer's reopen after a full disk leaves the database closed
    /// (the new one could not be opened: sled's file lock still held by the
    /// old one's background threads, or no room). Reads must keep working,
    /// so an operation that finds it closed opens it again, at most every
    /// [`READ_REOPEN_EVERY`]; until then it answers 507. The first write
    /// that fails on a still-full disk poisons it again, as before.
    fn reopen_closed(&self) -> Result<Arc<Db>> {
        let closed = || StorageError::Full("the database could not be reopened after the disk was full; retrying".into());
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if let Some(db) = current.clone() {
            return Ok(db);
        }
        {
            let mut last = self.last_read_attempt.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < READ_REOPEN_EVERY) {
                return Err(closed());
            }
            *last = Some(Instant::now());
        }
        match open_db(&self.dir, self.flush_every_ms, self.cache_bytes, self.prepare) {
            Ok(db) => {
                let db = Arc::new(db);
                *current = Some(db.clone());
                self.poisoned.store(false, Ordering::SeqCst);
                self.reopens.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("the database was closed after a failed reopen; it is open again");
                Ok(db)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the database is still closed after a full disk");
                Err(closed())
            }
        }
    }

    /// Passes `r` through, noting a full disk so that the next write
    /// reopens the database.
    pub(super) fn note<T>(&self, r: Result<T>) -> Result<T> {
        if let Err(StorageError::Full(why)) = &r {
            if !self.poisoned.swap(true, Ordering::SeqCst) {
                tracing::error!(error = %why, "the disk is full: writes answer 507 until space is freed");
            }
        }
        r
    }

    /// How many times the database was reopened after a full disk.
    pub(super) fn reopens(&self) -> u64 {
        self.reopens.load(Ordering::Relaxed)
    }

    /// Called by a writer under the store's write lock: reopens a poisoned
    /// (or closed) database when the last attempt is long enough ago and
    /// the disk has room again. Errors are the writer's answer (507 while
    /// the disk is still full).
    pub(super) fn recover(&self) -> Result<()> {
        let closed = self.current.read().unwrap_or_else(|p| p.into_inner()).is_none();
        if !closed && !self.poisoned.load(Ordering::SeqCst) {
            return Ok(());
        }
        {
            let mut last = self.last_attempt.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < REOPEN_EVERY) {
                // The poisoned database answers the write itself (507).
                return if closed { Err(StorageError::Full("the database is closed until the disk has room".into())) } else { Ok(()) };
            }
            *last = Some(Instant::now());
        }
        probe_space(&self.dir)?;
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = current.take() {
            if let Err(old) = drain(old) {
                *current = Some(old);
                return Err(StorageError::Full("the database is still in use; the reopen is retried".into()));
            }
        }
        let db = self.open_again().inspect_err(|e| {
            tracing::error!(error = %e, "reopening the database after a full disk failed; retried on a later write");
        })?;
        *current = Some(Arc::new(db));
        self.poisoned.store(false, Ordering::SeqCst);
        self.reopens.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("the disk has room again: the database was reopened and takes writes");
        Ok(())
    }
}

impl Handles {
    /// Opens the database again after its last handle was dropped. sled
    /// may release its file lock a moment after the drop (its background
    /// writers hold the file too): retried briefly.
    fn open_again(&self) -> Result<Db> {
        let started = Instant::now();
        loop {
            match open_db(&self.dir, self.flush_every_ms, self.cache_bytes, self.prepare) {
                Ok(db) => return Ok(db),
                Err(e) if started.elapsed() < Duration::from_secs(10) && e.to_string().contains("lock") => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Called under the store's write lock: flushes the database, closes
    /// it and opens it again in-process. sled writes a snapshot of its
    /// page table at every open and otherwise never, so the next open
    /// starts from here instead of reading every log segment written since
    /// the last one (seconds for a store of 100,000 events; see
    /// [`super::super::Storage::checkpoint`]). This takes as long as that
    /// read. A closed database is left for the next open.
    pub(super) fn checkpoint(&self) -> Result<()> {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        let Some(old) = current.take() else { return Ok(()) };
        old.db.flush()?;
        if let Err(old) = drain(old) {
            *current = Some(old);
            return Err(StorageError::Backend("the database is still in use; no snapshot was written".into()));
        }
        // A failed open leaves the database closed: reads open it again
        // (`Handles::get`), as after a failed reopen on a full disk.
        let db = self.open_again()?;
        *current = Some(Arc::new(db));
        Ok(())
    }
}

/// Waits until `old` is the last handle of its database and drops it, or
/// gives it back when operations keep holding it.
fn drain(old: Arc<Db>) -> std::result::Result<(), Arc<Db>> {
    let started = Instant::now();
    while Arc::strong_count(&old) > 1 {
        if started.elapsed() > DRAIN_TIMEOUT {
            return Err(old);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(old);
    Ok(())
}

/// Writes and removes a file of [`PROBE_BYTES`] in `dir`: fails with
/// [`StorageError::Full`] while the disk has no room for it.
fn probe_space(dir: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("space-probe");
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&path)?;
        f.write_all(&vec![0u8; PROBE_BYTES])?;
        f.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    result.map_err(|e| StorageError::from_io("the disk has no room yet", &e))
}

/// Opens the database in `dir/db` and slotdav's tree in it.
fn open_db(dir: &Path, flush_every_ms: Option<u64>, cache_bytes: u64, prepare: fn(&::sled::Tree) -> Result<()>) -> Result<Db> {
    let db = open_unprepared(dir, flush_every_ms, cache_bytes)?;
    prepare(&db.tree)?;
    Ok(db)
}

/// How long an open waits for the directory's lock: a store of this
/// process closed a moment ago lets go of it only when sled's background
/// flusher, which holds the database too, has noticed and stopped.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Opens the database in `dir/db` and slotdav's tree in it, unchecked.
/// The directory's lock is waited for up to [`LOCK_WAIT`]; held longer
/// (another process has the store open) the open fails with sled's error.
fn open_unprepared(dir: &Path, flush_every_ms: Option<u64>, cache_bytes: u64) -> Result<Db> {
    let config = ::sled::Config::new().path(dir.join("db")).cache_capacity(cache_bytes).flush_every_ms(flush_every_ms);
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    let db = loop {
        match config.open() {
            // sled says so only in its message (an `Other` error).
            Err(::sled::Error::Io(e)) if e.to_string().starts_with("could not acquire lock") && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other?,
        }
    };
    let tree = db.open_tree("slotdav")?;
    Ok(Db { db, tree })
}
