//! The schema of the PostgreSQL backend: numbered SQL migrations embedded
//! in the binary ([`MIGRATIONS`], files in `migrations/`), applied at
//! start in one transaction under an advisory lock (`'migrate:'`, see
//! [`super::LOCK_CLASS`])
//! — a second process starting at the same moment waits for the first and
//! then finds nothing left to do — and recorded in `schema_migrations`.
//! A database migrated by a newer slotdav is refused.

use deadpool_postgres::Object;

use super::pg_error;
use crate::storage::{Result, StorageError};

/// `(version, SQL)`, in order, without gaps (a unit test checks).
pub const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("migrations/0001_records.sql"))];

/// The statements that open the migration transaction.
pub const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED; \
    SELECT pg_advisory_xact_lock(1936486260, hashtext('migrate:' || coalesce(current_schema(), ''))); \
    CREATE TABLE IF NOT EXISTS schema_migrations ( \
        version integer PRIMARY KEY, \
        applied timestamptz NOT NULL DEFAULT now() \
    );";

/// Applies the migrations `client` has not seen yet, inside the
/// transaction [`BEGIN`] opened. Returns the versions applied.
pub async fn migrate(client: &Object) -> Result<Vec<i32>> {
    let rows = client.query("SELECT version FROM schema_migrations ORDER BY version", &[]).await.map_err(|e| pg_error("read schema_migrations", e))?;
    let done: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if let Some(&found) = done.iter().find(|v| **v > newest) {
        return Err(StorageError::Backend(format!(
            "the database's schema is at migration {found}, newer than this slotdav (migration {newest}): run the slotdav that migrated it"
        )));
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS {
        if done.contains(version) {
            continue;
        }
        client.batch_execute(sql).await.map_err(|e| pg_error(&format!("migration {version}"), e))?;
        client
            .execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])
            .await
            .map_err(|e| pg_error("record the migration", e))?;
        applied.push(*version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps_and_the_locks_are_slotdavs() {
        for (i, (version, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i32 + 1);
            assert!(!sql.trim().is_empty());
        }
        for begin in [BEGIN, super::super::BEGIN_WRITE] {
            assert!(begin.contains(&super::super::LOCK_CLASS.to_string()), "{begin}");
        }
    }
}
