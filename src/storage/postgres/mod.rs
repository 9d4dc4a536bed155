//! [`PgStorage`]: the store ([`KvStore`]) in PostgreSQL (`[storage] url`),
//! for deployments where several slotdav processes share one database.
//!
//! The records are the same ordered keys as the sled backend's
//! ([`super::keys`]), one row each in `slotdav_records` ([`schema`]), so
//! every operation of the store — the DAV tree, change logs, the UID and
//! time-range indexes, usage and quota, domain records, the checker, the
//! backup's export — is the one [`super::kv`] implements, and a backup of
//! either backend has the same records.
//!
//! Writes run in transactions (READ COMMITTED, `synchronous_commit`
//! on; concurrent writes of one process share one transaction and one
//! commit, each under a savepoint: [`group`]) that first take
//! `pg_advisory_xact_lock(WRITE_LOCK)`: writes are
//! serialised across every process on the database, exactly as the sled
//! backend's write lock serialises them in one process, so conditions
//! (If-Match, UIDs, quota) are checked and revisions assigned against the
//! latest committed state, and a collection's revisions never go back or
//! repeat. A process that dies mid-transaction loses its connection and
//! PostgreSQL rolls the transaction back, releasing the lock. Reads run
//! on any pooled connection, one statement each, without locks.
//!
//! The driver is tokio-postgres with a deadpool pool of `pool_size`
//! connections, on the backend's own runtime ([`runtime`]). No TLS: the
//! database is reached on a unix socket or the loopback. A database that
//! cannot be reached is [`StorageError::Unavailable`] (→ 503 with
//! `Retry-After`); the pool makes new connections by itself once it is
//! back.
//!
//! Rooms: this file (connecting, errors, the backend), [`schema`] (the
//! migrations), [`tree`] (the records table as an ordered tree),
//! [`runtime`], [`exclusive`] (sections across processes), [`group`]
//! (concurrent writes share one transaction and one commit). Only this module names tokio-postgres and deadpool.

mod exclusive;
mod group;
pub mod runtime;
pub mod schema;
pub mod tree;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use self::runtime::PgRuntime;
use self::tree::{PgTree, Source};
use super::keys;
use super::kv::{KvBackend, KvStore, OrderedTree};
use super::migrate::{self, STORE_FORMAT};
use super::{Result, StorageError};

/// The store on PostgreSQL. Cheap to share behind an `Arc`.
pub type PgStorage = KvStore<PgBackend>;

/// Connections in the pool when `[storage] pool_size` is not set.
pub const DEFAULT_POOL_SIZE: usize = 8;

/// The first key of slotdav's advisory locks (`"slot"`); the second is a
/// hash naming the lock and the schema, so stores in two schemas of one
/// database never wait for each other: `pg_advisory_xact_lock(LOCK_CLASS,
/// hashtext('write:' || current_schema()))` for writes ([`BEGIN_WRITE`]),
/// `'migrate:'` for migrations ([`schema::BEGIN`]). Other cross-process
/// locks should take their own names the same way.
pub const LOCK_CLASS: i32 = 0x736c_6f74;

/// The start of every connection's `application_name`; the rest is the
/// store's lease owner ([`KvBackend::owner`]).
pub const APPLICATION_PREFIX: &str = "slotdav/";

/// How long a request waits for a connection (or to make one) before it
/// is answered [`StorageError::Unavailable`].
const CONNECT_WAIT: Duration = Duration::from_secs(5);

/// The database behind a [`PgStorage`]: its pool and the runtime its
/// connections live on. Modules of storage may add operations of their
/// own with [`PgBackend::pool`] and [`PgBackend::run`].
pub struct PgBackend {
    /// [`KvBackend::owner`]; every connection's `application_name` is
    /// `slotdav/{owner}` ([`APPLICATION_PREFIX`]), so other processes see
    /// whether this store still has connections ([`tree::PgTree`]'s
    /// `connected_owners`).
    owner: String,
    pool: Pool,
    runtime: Arc<PgRuntime>,
    reader: Arc<PgTree>,
    /// Group commit ([`group`]).
    group: group::WriteGroup,
}

impl KvStore<PgBackend> {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, or
    /// `postgres:///DB?host=/run/postgresql` for a unix socket) with a
    /// pool of `pool_size` connections, creates or upgrades the schema
    /// ([`schema`]) and marks a new store with [`STORE_FORMAT`].
    pub fn connect(url: &str, pool_size: usize) -> Result<Self> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| StorageError::Backend(format!("[storage] url: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_WAIT);
        }
        let owner = super::kv::new_owner();
        config.application_name(&format!("{APPLICATION_PREFIX}{owner}"));
        let runtime = Arc::new(PgRuntime::new()?);
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_WAIT))
            .create_timeout(Some(CONNECT_WAIT))
            .recycle_timeout(Some(CONNECT_WAIT))
            .build()
            .map_err(|e| StorageError::Backend(format!("cannot make the connection pool: {e}")))?;
        let reader = Arc::new(PgTree::new(runtime.clone(), Source::Pool(pool.clone())));
        let backend = PgBackend { owner, pool, runtime, reader, group: group::WriteGroup::default() };
        backend.prepare()?;
        Ok(KvStore::with_backend(backend))
    }
}

impl PgBackend {
    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs `fut` on the backend's runtime and waits for it (the way every
    /// synchronous operation reaches the database).
    pub fn run<T: Send + 'static>(&self, fut: impl std::future::Future<Output = T> + Send + 'static) -> Result<T> {
        self.runtime.run(fut)
    }

    /// The runtime, for tasks of its own (a lease renewal, a listener).
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.runtime.handle()
    }

    fn connection(&self) -> Result<Object> {
        let pool = self.pool.clone();
        self.run(async move { pool.get().await.map_err(pool_error) })?
    }

    /// Runs `sql` (simple protocol, several statements) on `client`.
    fn batch(&self, client: &Arc<Object>, sql: &'static str) -> Result<()> {
        let c = client.clone();
        self.run(async move { c.batch_execute(sql).await.map_err(|e| pg_error("statement", e)) })?
    }

    /// Runs `run` inside one transaction opened with `begin`: committed
    /// when it succeeds, rolled back when it fails. A connection whose
    /// rollback failed is not given back to the pool.
    fn transaction(&self, begin: &'static str, run: &mut dyn FnMut(&dyn OrderedTree) -> Result<()>) -> Result<()> {
        let client = Arc::new(self.connection()?);
        let result = self.batch(&client, begin).and_then(|()| {
            let tree = PgTree::new(self.runtime.clone(), Source::Conn(client.clone()));
            run(&tree)
        });
        let end = self.end(client, if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
        result.and(end)
    }

    /// Ends the transaction on `client` with `sql` (COMMIT or ROLLBACK). A
    /// connection whose end failed is not given back to the pool.
    fn end(&self, client: Arc<Object>, sql: &'static str) -> Result<()> {
        let end = self.batch(&client, sql);
        if let (Err(_), Ok(client)) = (&end, Arc::try_unwrap(client)) {
            let _ = Object::take(client);
        }
        end
    }

    /// Migrations, the store format and the usage count, in one
    /// transaction under the migration lock.
    fn prepare(&self) -> Result<()> {
        let client = Arc::new(self.connection()?);
        let result = (|| {
            self.batch(&client, schema::BEGIN)?;
            let c = client.clone();
            let applied = self.run(async move { schema::migrate(&c).await })??;
            if !applied.is_empty() {
                tracing::info!(?applied, "PostgreSQL schema migrated");
            }
            // The format mark and the one-time usage count write records:
            // as any write, under the write lock.
            self.batch(&client, "SELECT pg_advisory_xact_lock(1936486260, hashtext('write:' || coalesce(current_schema(), '')));")?;
            let tree = PgTree::new(self.runtime.clone(), Source::Conn(client.clone()));
            check_format(&tree)?;
            super::kv::count_usage(&tree)?;
            super::kv::pages::rebuild(&tree, false)?;
            super::kv::index::upgrade_heads(&tree, false)
        })();
        let end = match &result {
            Ok(()) => self.batch(&client, "COMMIT"),
            Err(_) => self.batch(&client, "ROLLBACK"),
        };
        result.and(end)
    }
}

/// Opens a write transaction: serialised with every other write of every
/// process by the advisory lock, durable at commit.
pub const BEGIN_WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED; \
    SET LOCAL synchronous_commit TO on; \
    SELECT pg_advisory_xact_lock(1936486260, hashtext('write:' || coalesce(current_schema(), '')));";

/// One snapshot for a whole backup, without blocking writers.
const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;";

impl KvBackend for PgBackend {
    fn reader(&self) -> Result<Arc<dyn OrderedTree>> {
        Ok(self.reader.clone())
    }

    /// In this process's open write transaction ([`group`]).
    fn write(&self, run: &mut dyn FnMut(&dyn OrderedTree) -> Result<()>) -> Result<()> {
        self.group.write(self, run)
    }

    /// Every write is durable when its transaction commits.
    fn flush(&self) -> Result<()> {
        Ok(())
    }

    /// Commits and the writes they carried.
    fn flush_stats(&self) -> super::flush_group::FlushStats {
        self.group.stats()
    }

    fn size_on_disk(&self) -> Result<u64> {
        let pool = self.pool.clone();
        self.run(async move {
            let c = pool.get().await.map_err(pool_error)?;
            let row = c.query_one("SELECT pg_total_relation_size('slotdav_records')", &[]).await.map_err(|e| pg_error("size", e))?;
            Ok(row.get::<_, i64>(0).max(0) as u64)
        })?
    }

    /// A session-level advisory lock on a connection of its own
    /// ([`exclusive`]).
    fn exclusive(&self, scope: &str) -> Result<super::ExclusiveGuard> {
        self.enter_exclusive(scope)
    }

    fn owner(&self) -> &str {
        &self.owner
    }

    fn export(&self, each: &mut dyn FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        self.transaction(BEGIN_SNAPSHOT, &mut |tree| {
            for kv in tree.iter() {
                let (k, v) = kv?;
                each(&k, &v)?;
            }
            Ok(())
        })
    }
}

/// Marks a new store with [`STORE_FORMAT`]; upgrades an older one with
/// [`migrate::MIGRATIONS`]; refuses a newer one.
fn check_format(tree: &PgTree) -> Result<()> {
    let tree: &dyn OrderedTree = tree;
    let Some(v) = tree.get(keys::FORMAT_KEY)? else {
        return tree.apply_writes(vec![(keys::FORMAT_KEY.to_vec(), Some(STORE_FORMAT.to_be_bytes().to_vec()))]);
    };
    let found = <[u8; 4]>::try_from(v.as_slice())
        .map(u32::from_be_bytes)
        .map_err(|_| StorageError::Backend(format!("the database's store format number is unreadable ({v:?})")))?;
    // Each step in this transaction: the store moves to the new format
    // whole, or not at all.
    for step in migrate::steps_from(migrate::MIGRATIONS, found, STORE_FORMAT)? {
        tracing::warn!(from = step.from, to = step.from + 1, what = step.what, "upgrading the store in the database");
        super::kv::migrate_tree(tree, &step)?;
    }
    Ok(())
}

/// A driver error in storage's words: a lost or refused connection is
/// [`StorageError::Unavailable`], a full disk [`StorageError::Full`].
pub(crate) fn pg_error(what: &str, e: tokio_postgres::Error) -> StorageError {
    let text = match e.as_db_error() {
        Some(db) => format!("{what}: {}: {}", db.code().code(), db.message()),
        None => format!("{what}: {e}"),
    };
    match e.code() {
        Some(c) if *c == SqlState::DISK_FULL => StorageError::Full(text),
        Some(c) if c.code().starts_with("08") || c.code().starts_with("57P") || *c == SqlState::TOO_MANY_CONNECTIONS => StorageError::Unavailable(text),
        Some(_) => StorageError::Backend(text),
        // No answer from the server: the connection is gone.
        None => StorageError::Unavailable(text),
    }
}

pub(crate) fn pool_error(e: PoolError) -> StorageError {
    match e {
        PoolError::Backend(e) => pg_error("connect", e),
        e => StorageError::Unavailable(format!("no database connection: {e}")),
    }
}
