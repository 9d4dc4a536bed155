//! Exclusive sections the store provides ([`super::Storage::exclusive`]):
//! of all callers of one scope, in every process sharing the store, one at
//! a time runs between taking an [`ExclusiveGuard`] and dropping it. The
//! booking service decides holds and confirmations under one
//! (`booking::service`), claims and job leases ([`super::lease`]) take one
//! per table or job.
//!
//! A store used by one process (sled: its database is locked to one
//! process) needs no more than an in-process lock per scope, which
//! [`LocalExclusive`] is; a shared database gives the guard a lock of its
//! own (PostgreSQL: a session-level advisory lock on a pooled connection,
//! released on drop and by the server when the process dies).
//!
//! Imports nothing of the crate above storage.

use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// Held while a caller is inside an exclusive section; dropping it lets
/// the next caller of the scope in.
#[must_use = "the section ends when the guard is dropped"]
pub struct ExclusiveGuard {
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl ExclusiveGuard {
    /// A guard that runs `release` once, when it is dropped.
    pub fn new(release: impl FnOnce() + Send + 'static) -> Self {
        ExclusiveGuard { release: Some(Box::new(release)) }
    }
}

impl Drop for ExclusiveGuard {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

impl std::fmt::Debug for ExclusiveGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExclusiveGuard")
    }
}

/// Exclusive sections within one process: the scopes held now, and a
/// condition variable the waiters sleep on.
#[derive(Default)]
pub struct LocalExclusive {
    held: Mutex<HashSet<String>>,
    freed: Condvar,
}

impl LocalExclusive {
    pub fn new() -> Arc<Self> {
        Arc::new(LocalExclusive::default())
    }

    /// Waits until no one holds `scope`, then holds it until the guard is
    /// dropped.
    pub fn enter(self: &Arc<Self>, scope: &str) -> ExclusiveGuard {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        while held.contains(scope) {
            held = self.freed.wait(held).unwrap_or_else(|p| p.into_inner());
        }
        held.insert(scope.to_string());
        drop(held);
        let this = self.clone();
        let scope = scope.to_string();
        ExclusiveGuard::new(move || {
            this.held.lock().unwrap_or_else(|p| p.into_inner()).remove(&scope);
            this.freed.notify_all();
        })
    }
}

/// The process-wide sections of [`super::Storage::exclusive`]'s default.
pub fn process_wide() -> &'static Arc<LocalExclusive> {
    static SECTIONS: OnceLock<Arc<LocalExclusive>> = OnceLock::new();
    SECTIONS.get_or_init(LocalExclusive::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_caller_of_a_scope_at_a_time_other_scopes_run_beside_it() {
        let sections = LocalExclusive::new();
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (sections, inside, most) = (sections.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let _g = sections.enter("booking");
                        let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(most.load(Ordering::SeqCst), 1);

        let a = sections.enter("a");
        // Another scope is not blocked by `a` (this would hang otherwise).
        let b = sections.enter("b");
        drop((a, b));
        let _again = sections.enter("a");
    }
}
