//! [`Storage::exclusive`](crate::storage::Storage::exclusive) on
//! PostgreSQL: of all processes on the database, one at a time is inside
//! a scope. The section is a session-level advisory lock
//! (`pg_advisory_lock(LOCK_CLASS, hashtext('exclusive:' || scope || ':' ||
//! schema))`) on a pooled connection kept for the guard's life and
//! unlocked when it is dropped; a process that dies loses the connection
//! and PostgreSQL releases the lock, so `kill -9` leaves nothing locked.
//! Within the process an in-process section of the same scope is entered
//! first, so at most one connection per scope and process waits on the
//! database (waiters never hold the whole pool). What the holder then
//! reads on any connection was committed before it entered (READ
//! COMMITTED: each statement sees every commit before it).
//!
//! Known limit: should the lock's connection die while the database stays
//! up (the server terminated that backend), the lock is released at once
//! while this process still thinks it holds it; the decision in progress
//! then races with the next one for its one write. The unlock fails and
//! is logged.

use deadpool_postgres::Object;

use super::{pg_error, PgBackend};
use crate::storage::exclusive::{process_wide, ExclusiveGuard};
use crate::storage::Result;

const LOCK: &str = "SELECT pg_advisory_lock(1936486260, hashtext('exclusive:' || $1::text || ':' || coalesce(current_schema(), '')))";
const UNLOCK: &str = "SELECT pg_advisory_unlock(1936486260, hashtext('exclusive:' || $1::text || ':' || coalesce(current_schema(), '')))";

impl PgBackend {
    /// Enters `scope` in this process, then on the database.
    pub(super) fn enter_exclusive(&self, scope: &str) -> Result<ExclusiveGuard> {
        let local = process_wide().enter(&format!("postgres:{scope}"));
        let client = self.connection()?;
        let name = scope.to_string();
        let client = self.run(async move {
            match client.execute(LOCK, &[&name]).await {
                Ok(_) => Ok(client),
                Err(e) => {
                    // A connection in an unknown state does not go back to the pool.
                    let _ = Object::take(client);
                    Err(pg_error("advisory lock", e))
                }
            }
        })??;
        let runtime = self.runtime.clone();
        let name = scope.to_string();
        Ok(ExclusiveGuard::new(move || {
            let what = name.clone();
            let unlocked = runtime.run(async move {
                let result = client.execute(UNLOCK, &[&name]).await;
                match result {
                    Ok(_) => Ok(()),
                    Err(e) => {
                        let _ = Object::take(client);
                        Err(pg_error("advisory unlock", e))
                    }
                }
            });
            if let Err(e) | Ok(Err(e)) = unlocked {
                tracing::warn!(scope = %what, error = %e, "advisory unlock failed; the connection was closed, which releases it");
            }
            drop(local);
        }))
    }
}
