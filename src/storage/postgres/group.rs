//! Group commit on PostgreSQL: concurrent writes of this process share one
//! transaction and one `COMMIT` (one WAL flush), the way the sled backend's
//! writers share one fsync ([`crate::storage::flush_group`]).
//!
//! Writes are serialised anyway (the write lock, `pg_advisory_xact_lock`,
//! [`super::BEGIN_WRITE`]), so without grouping each write waited for the
//! commit of the one before it. Now a writer that finds a transaction open
//! runs its write inside it, after the writes already there, under a
//! savepoint of its own, so a write that fails leaves nothing behind while
//! the others stand. The writer that finds nobody queued behind it commits
//! for everyone (or a group reaching [`MAX_GROUP`] writes). Every writer
//! returns only once the commit that holds its write is known: acknowledged
//! writes are durable (`synchronous_commit` on), and when a commit fails,
//! every write in it fails, none acknowledged.
//!
//! Each write still reads the latest state: its own connection's, which
//! holds every earlier write of the group. Writes only read through the
//! tree they are handed (the kv layer's `Staged`), never through the
//! reader pool, so none of them can see the store without the writes
//! before it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};

use deadpool_postgres::Object;

use super::tree::{PgTree, Source};
use super::PgBackend;
use crate::storage::flush_group::{shared_failure, FlushStats};
use crate::storage::kv::OrderedTree;
use crate::storage::{Result, StorageError};

/// The most writes one transaction takes before it is committed even
/// with writers queued: bounds how long the write lock is held for
/// other processes and how much one failed commit takes with it.
pub const MAX_GROUP: usize = 64;

/// This process's open write transaction, if any. See the module doc.
#[derive(Default)]
pub struct WriteGroup {
    /// Writers waiting to run their write.
    queued: AtomicUsize,
    open: Mutex<Option<Open>>,
    commits: AtomicU64,
    writes: AtomicU64,
}

struct Open {
    client: Arc<Object>,
    tree: PgTree,
    /// Writes in the transaction that wait for its commit.
    members: usize,
    outcome: Arc<Outcome>,
}

/// How a group's commit ended, for the writers waiting on it.
#[derive(Default)]
struct Outcome {
    done: Mutex<Option<Result<()>>>,
    finished: Condvar,
}

/// A copy of a commit's result for one of its writers.
fn share(result: &Result<()>) -> Result<()> {
    result.as_ref().map(|_| ()).map_err(shared_failure)
}

impl Outcome {
    fn set(&self, result: &Result<()>) {
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = Some(share(result));
        self.finished.notify_all();
    }

    fn wait(&self) -> Result<()> {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(result) = done.as_ref() {
                return share(result);
            }
            done = self.finished.wait(done).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Open {
    /// Ends the transaction with `sql` (COMMIT or ROLLBACK) and tells its
    /// writers. The tree goes first: it holds the connection too, and a
    /// connection whose end failed must be the last holder to be taken
    /// out of the pool ([`PgBackend::end`]).
    fn end(self, backend: &PgBackend, sql: &'static str, result: impl FnOnce(Result<()>) -> Result<()>) -> Result<()> {
        let Open { client, tree, outcome, .. } = self;
        drop(tree);
        let result = result(backend.end(client, sql));
        outcome.set(&result);
        result
    }
}

impl WriteGroup {
    /// Runs `run` in this process's open write transaction (opened when
    /// there is none) and returns once that transaction's commit is known.
    pub fn write(&self, backend: &PgBackend, run: &mut dyn FnMut(&dyn OrderedTree) -> Result<()>) -> Result<()> {
        self.queued.fetch_add(1, SeqCst);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        self.queued.fetch_sub(1, SeqCst);
        self.writes.fetch_add(1, SeqCst);
        if open.is_none() {
            let client = Arc::new(backend.connection()?);
            if let Err(e) = backend.batch(&client, super::BEGIN_WRITE) {
                backend.end(client, "ROLLBACK").ok();
                return Err(e);
            }
            let tree = PgTree::new(backend.runtime.clone(), Source::Conn(client.clone()));
            *open = Some(Open { client, tree, members: 0, outcome: Arc::default() });
        }
        let tx = open.as_mut().expect("opened above");
        // Why the transaction cannot go on, when it cannot: its writers
        // fail with the same kind of error (a lost connection is 503 for
        // every one of them, not only for the writer that saw it).
        let mut broken: Option<StorageError> = None;
        let mine = match backend.batch(&tx.client, "SAVEPOINT write") {
            Err(e) => {
                broken = Some(shared_failure(&e));
                Err(e)
            }
            Ok(()) => match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&tx.tree))) {
                Ok(Ok(())) => match backend.batch(&tx.client, "RELEASE SAVEPOINT write") {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        broken = Some(shared_failure(&e));
                        Err(e)
                    }
                },
                Ok(Err(e)) => {
                    // Nothing of a failed write stays; a transaction that
                    // cannot even roll back to the savepoint is given up.
                    broken = backend.batch(&tx.client, "ROLLBACK TO SAVEPOINT write").err();
                    Err(e)
                }
                Err(panic) => {
                    let rolled_back = |_| Err(StorageError::Backend("a write panicked; its group was rolled back".into()));
                    open.take().expect("open").end(backend, "ROLLBACK", rolled_back).ok();
                    drop(open);
                    std::panic::resume_unwind(panic)
                }
            },
        };
        if mine.is_ok() {
            tx.members += 1;
        }
        if broken.is_some() || self.queued.load(SeqCst) == 0 || tx.members >= MAX_GROUP {
            let tx = open.take().expect("open");
            let result = match broken {
                Some(cause) => tx.end(backend, "ROLLBACK", |_| Err(cause)),
                None => tx.end(backend, "COMMIT", |r| r),
            };
            self.commits.fetch_add(1, SeqCst);
            drop(open);
            return mine.and(result);
        }
        if mine.is_err() {
            return mine;
        }
        // A writer queued behind us runs next and commits, or hands on.
        let outcome = tx.outcome.clone();
        drop(open);
        outcome.wait()
    }

    /// Commits (transactions ended) and the writes they carried.
    pub fn stats(&self) -> FlushStats {
        FlushStats { flushes: self.commits.load(SeqCst), waiters: self.writes.load(SeqCst) }
    }
}
