//! The store's ordered records in the `slotdav_records` table as an
//! [`OrderedTree`]: point reads, range scans in pages of [`PAGE_ROWS`]
//! (keyset pagination on the primary key, so a listing of a big
//! collection or a backup streams instead of loading everything), and a
//! batch's writes as two statements. A [`PgTree`] reads either from the
//! pool (one statement each, for reads outside writes) or from the one
//! connection of a write's transaction.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use deadpool_postgres::{Object, Pool};
use tokio_postgres::types::ToSql;

use super::runtime::PgRuntime;
use super::{pg_error, pool_error};
use crate::storage::kv::{OrderedTree, Row, Rows, TreeWrites};
use crate::storage::{Result, StorageError};

/// Rows fetched per page of a range scan.
pub const PAGE_ROWS: i64 = 512;

/// Where a tree's statements run.
#[derive(Clone)]
pub enum Source {
    /// Any pooled connection, one statement at a time.
    Pool(Pool),
    /// The connection of one open transaction.
    Conn(Arc<Object>),
}

impl Source {
    /// Runs one query with owned byte parameters.
    async fn query(&self, sql: &'static str, params: Vec<Param>) -> Result<Vec<tokio_postgres::Row>> {
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(Param::as_sql).collect();
        match self {
            Source::Pool(pool) => {
                let client = pool.get().await.map_err(pool_error)?;
                let st = client.prepare_cached(sql).await.map_err(|e| pg_error("prepare", e))?;
                client.query(&st, &refs).await.map_err(|e| pg_error("query", e))
            }
            Source::Conn(client) => {
                let st = client.prepare_cached(sql).await.map_err(|e| pg_error("prepare", e))?;
                client.query(&st, &refs).await.map_err(|e| pg_error("query", e))
            }
        }
    }
}

/// An owned statement parameter.
pub enum Param {
    Bytes(Vec<u8>),
    BytesList(Vec<Vec<u8>>),
    Int(i64),
    Text(String),
}

impl Param {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Param::Bytes(b) => b,
            Param::BytesList(l) => l,
            Param::Int(i) => i,
            Param::Text(t) => t,
        }
    }
}

/// The records table through one [`Source`].
pub struct PgTree {
    runtime: Arc<PgRuntime>,
    source: Source,
}

impl PgTree {
    pub fn new(runtime: Arc<PgRuntime>, source: Source) -> Self {
        PgTree { runtime, source }
    }

    fn query(&self, sql: &'static str, params: Vec<Param>) -> Result<Vec<tokio_postgres::Row>> {
        let source = self.source.clone();
        self.runtime.run(async move { source.query(sql, params).await })?
    }

    /// One page of `[lo, hi)` in key order.
    fn page(&self, lo: &[u8], hi: Option<&[u8]>) -> Result<Vec<Row>> {
        let rows = match hi {
            Some(hi) => self.query(
                "SELECT k, v FROM slotdav_records WHERE k >= $1 AND k < $2 ORDER BY k LIMIT $3",
                vec![Param::Bytes(lo.to_vec()), Param::Bytes(hi.to_vec()), Param::Int(PAGE_ROWS)],
            )?,
            None => self.query(
                "SELECT k, v FROM slotdav_records WHERE k >= $1 ORDER BY k LIMIT $2",
                vec![Param::Bytes(lo.to_vec()), Param::Int(PAGE_ROWS)],
            )?,
        };
        Ok(rows.into_iter().map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1))).collect())
    }
}

impl OrderedTree for PgTree {
    fn get_key(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let rows = self.query("SELECT v FROM slotdav_records WHERE k = $1", vec![Param::Bytes(key.to_vec())])?;
        Ok(rows.into_iter().next().map(|r| r.get::<_, Vec<u8>>(0)))
    }

    fn last_at_or_below(&self, lo: &[u8], at: &[u8]) -> Result<Option<Row>> {
        let rows = self.query(
            "SELECT k, v FROM slotdav_records WHERE k >= $1 AND k <= $2 ORDER BY k DESC LIMIT 1",
            vec![Param::Bytes(lo.to_vec()), Param::Bytes(at.to_vec())],
        )?;
        Ok(rows.into_iter().next().map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1))))
    }

    fn count_range(&self, lo: &[u8], hi: Option<&[u8]>) -> Result<usize> {
        let rows = match hi {
            Some(hi) => self.query("SELECT count(*) FROM slotdav_records WHERE k >= $1 AND k < $2", vec![Param::Bytes(lo.to_vec()), Param::Bytes(hi.to_vec())])?,
            None => self.query("SELECT count(*) FROM slotdav_records WHERE k >= $1", vec![Param::Bytes(lo.to_vec())])?,
        };
        Ok(rows.into_iter().next().map_or(0, |r| r.get::<_, i64>(0)) as usize)
    }

    fn range_keys(&self, lo: &[u8], hi: Option<&[u8]>) -> Rows<'_> {
        Box::new(Pages { tree: self, next: Some(lo.to_vec()), hi: hi.map(<[u8]>::to_vec), buf: VecDeque::new() })
    }

    /// The owners in the `application_name` of every connection to the
    /// server now (a process killed with `kill -9` has none: the kernel
    /// closes its sockets and PostgreSQL ends those sessions).
    fn connected_owners(&self) -> Result<Option<std::collections::BTreeSet<String>>> {
        let rows = self.query(
            "SELECT DISTINCT application_name FROM pg_stat_activity WHERE starts_with(application_name, $1::text)",
            vec![Param::Text(super::APPLICATION_PREFIX.to_string())],
        )?;
        Ok(Some(rows.into_iter().filter_map(|r| r.get::<_, String>(0).strip_prefix(super::APPLICATION_PREFIX).map(str::to_string)).collect()))
    }

    /// Upserts and deletes, last write of a key winning, inside the
    /// caller's transaction (a tree on the pool refuses: reads only).
    fn apply_writes(&self, writes: TreeWrites) -> Result<()> {
        if matches!(self.source, Source::Pool(_)) {
            return Err(StorageError::Backend("a write outside a transaction".into()));
        }
        let last: BTreeMap<Vec<u8>, Option<Vec<u8>>> = writes.into_iter().collect();
        let (mut keys, mut values, mut removed) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in last {
            match v {
                Some(v) => {
                    keys.push(k);
                    values.push(v);
                }
                None => removed.push(k),
            }
        }
        if !removed.is_empty() {
            self.query("DELETE FROM slotdav_records WHERE k = ANY($1)", vec![Param::BytesList(removed)])?;
        }
        if !keys.is_empty() {
            self.query(
                "INSERT INTO slotdav_records (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
                 ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
                vec![Param::BytesList(keys), Param::BytesList(values)],
            )?;
        }
        Ok(())
    }
}

/// A range scan, one page at a time.
struct Pages<'a> {
    tree: &'a PgTree,
    /// Where the next page starts; `None` once the last page was read.
    next: Option<Vec<u8>>,
    hi: Option<Vec<u8>>,
    buf: VecDeque<Row>,
}

impl Iterator for Pages<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            let lo = self.next.take()?;
            let page = match self.tree.page(&lo, self.hi.as_deref()) {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            if page.len() as i64 == PAGE_ROWS {
                // The smallest key after the last one read.
                let mut after = page.last().map(|(k, _)| k.clone()).unwrap_or_default();
                after.push(0);
                self.next = Some(after);
            }
            self.buf = page.into();
        }
        self.buf.pop_front().map(Ok)
    }
}
