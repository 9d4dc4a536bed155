//! Group commit: concurrent writers that need durability share one flush.
//!
//! A writer calls [`FlushGroup::flush`] after its write has been applied.
//! It registers by noting how many flushes have *started*; it may return
//! only once a flush that started after that point has completed (a flush
//! already running when it arrived may have missed its write). At most one
//! flush runs at a time: the first waiter to find none running runs the
//! next one itself, for everyone waiting, and flushes follow back to back
//! while there are waiters. So N writers arriving while a flush runs cost
//! one more flush, not N, and no writer returns before its write is on disk.
//!
//! Pure std (a `Mutex` and a `Condvar`); it knows nothing of what a flush
//! is, so the sled backend passes its fsync in and a unit test a fake one.
//! Imports nothing of the crate but storage's error.

use std::sync::{Condvar, Mutex, MutexGuard};

use super::{Result, StorageError};

/// How many flushes ran and how many callers they made durable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushStats {
    /// Flushes that ran (fsyncs, for the sled backend).
    pub flushes: u64,
    /// Calls that waited for durability.
    pub waiters: u64,
}

#[derive(Default)]
struct State {
    /// Flushes started so far; the running one, if any, is number `started`.
    started: u64,
    /// The number of the last flush that finished (flushes finish in order).
    finished: u64,
    /// The number of the last flush that succeeded.
    succeeded: u64,
    /// Why the last failed flush failed, and its number.
    failure: Option<(u64, StorageError)>,
    running: bool,
    /// Callers inside [`FlushGroup::flush`] right now.
    waiting: usize,
    waiters_total: u64,
}

/// One store's group commit. See the module doc.
#[derive(Default)]
pub struct FlushGroup {
    state: Mutex<State>,
    finished: Condvar,
}

/// The failure a caller that counted on a failed flush (or commit) gets:
/// a full disk stays [`StorageError::Full`] (507 on every surface), a lost
/// database stays [`StorageError::Unavailable`] (503, try again), anything
/// else is a backend failure with the same text.
pub(crate) fn shared_failure(e: &StorageError) -> StorageError {
    match e {
        StorageError::Full(why) => StorageError::Full(why.clone()),
        StorageError::Unavailable(why) => StorageError::Unavailable(why.clone()),
        other => StorageError::Backend(other.to_string()),
    }
}

impl FlushGroup {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns once a flush that started after this call has completed,
    /// running it with `flush` when no other caller is. Every write applied
    /// before this call is then on disk. A failed flush fails every caller
    /// that was counting on it; the next caller starts a new one.
    pub fn flush(&self, flush: impl FnOnce() -> Result<()>) -> Result<()> {
        let mut st = self.lock();
        let needed = st.started + 1;
        st.waiting += 1;
        st.waiters_total += 1;
        let mut flush = Some(flush);
        let outcome = loop {
            if st.succeeded >= needed {
                break Ok(());
            }
            if st.finished >= needed {
                break Err(st.failure.as_ref().map_or_else(|| StorageError::Backend(String::new()), |(_, why)| shared_failure(why)));
            }
            if !st.running {
                // Our own closure runs at most once: after it, `finished`
                // is at least `needed`, so the loop ends above.
                let Some(run) = flush.take() else { unreachable!("a finished flush satisfies its runner") };
                st.running = true;
                st.started += 1;
                let number = st.started;
                drop(st);
                // A panicking flush must not leave `running` set forever.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
                st = self.lock();
                st.running = false;
                st.finished = number;
                match &result {
                    Ok(Ok(())) => st.succeeded = number,
                    Ok(Err(e)) => st.failure = Some((number, shared_failure(e))),
                    Err(_) => st.failure = Some((number, StorageError::Backend("the flush panicked".into()))),
                }
                self.finished.notify_all();
                match result {
                    Ok(Ok(())) => continue,
                    Ok(Err(e)) => break Err(e),
                    Err(panic) => {
                        st.waiting -= 1;
                        drop(st);
                        std::panic::resume_unwind(panic)
                    }
                }
            }
            st = self.finished.wait(st).unwrap_or_else(|p| p.into_inner());
        };
        st.waiting -= 1;
        outcome
    }

    /// Callers waiting in [`FlushGroup::flush`] right now (for tests).
    pub fn waiting(&self) -> usize {
        self.lock().waiting
    }

    /// Flushes run and callers served since the store was opened.
    pub fn stats(&self) -> FlushStats {
        let st = self.lock();
        FlushStats { flushes: st.started, waiters: st.waiters_total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    /// A fake disk: `written` counts writes applied, `durable` how many of
    /// them the last completed flush covered (all written before it began).
    #[derive(Default)]
    struct Disk {
        written: AtomicU64,
        durable: AtomicU64,
        flushes: AtomicUsize,
    }

    impl Disk {
        fn flush(&self) -> Result<()> {
            let covered = self.written.load(Ordering::SeqCst);
            self.flushes.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            self.durable.fetch_max(covered, Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn every_waiter_returns_after_a_flush_that_covers_its_write_and_waiters_share_flushes() {
        const WRITERS: usize = 32;
        const ROUNDS: usize = 20;
        let group = Arc::new(FlushGroup::new());
        let disk = Arc::new(Disk::default());
        let start = Arc::new(Barrier::new(WRITERS));
        let threads: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (group, disk, start) = (group.clone(), disk.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..ROUNDS {
                        let mine = disk.written.fetch_add(1, Ordering::SeqCst) + 1;
                        group.flush(|| disk.flush()).unwrap();
                        let durable = disk.durable.load(Ordering::SeqCst);
                        assert!(durable >= mine, "write {mine} acknowledged with only {durable} on disk");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let calls = disk.flushes.load(Ordering::SeqCst);
        let waiters = WRITERS * ROUNDS;
        assert_eq!(group.stats(), FlushStats { flushes: calls as u64, waiters: waiters as u64 });
        assert!(calls * 4 < waiters, "{calls} flushes for {waiters} durable writes");
    }

    #[test]
    fn writers_arriving_during_a_flush_share_exactly_one_more() {
        const WRITERS: usize = 16;
        let group = Arc::new(FlushGroup::new());
        let disk = Arc::new(Disk::default());
        // The first flush holds until every other writer is waiting, so the
        // count below does not depend on timing.
        let first = {
            let (group, disk) = (group.clone(), disk.clone());
            std::thread::spawn(move || {
                disk.written.fetch_add(1, Ordering::SeqCst);
                group
                    .flush(|| {
                        while group.waiting() < WRITERS {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        disk.flush()
                    })
                    .unwrap();
            })
        };
        while group.stats().flushes == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let rest: Vec<_> = (1..WRITERS)
            .map(|_| {
                let (group, disk) = (group.clone(), disk.clone());
                std::thread::spawn(move || {
                    let mine = disk.written.fetch_add(1, Ordering::SeqCst) + 1;
                    group.flush(|| disk.flush()).unwrap();
                    assert!(disk.durable.load(Ordering::SeqCst) >= mine);
                })
            })
            .collect();
        first.join().unwrap();
        for t in rest {
            t.join().unwrap();
        }
        assert_eq!(disk.flushes.load(Ordering::SeqCst), 2, "one flush for the first writer, one for the other {}", WRITERS - 1);
        assert_eq!(disk.durable.load(Ordering::SeqCst), WRITERS as u64);
    }

    /// Two callers share a failed flush (the second of two): both get
    /// the failure `fail` makes, and `is` holds for it.
    fn share_a_failed_flush(fail: fn() -> StorageError, is: fn(&StorageError) -> bool) {
        let group = Arc::new(FlushGroup::new());
        let first = {
            let group = group.clone();
            std::thread::spawn(move || {
                group.flush(|| {
                    // Held until a second caller waits for the next flush.
                    while group.waiting() < 3 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Ok(())
                })
            })
        };
        while group.stats().flushes == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Two callers arrive during the first flush: one of them runs the
        // next flush, which fails, and the other shares it.
        let others: Vec<_> = (0..2)
            .map(|_| {
                let group = group.clone();
                std::thread::spawn(move || group.flush(|| Err(fail())))
            })
            .collect();
        first.join().unwrap().unwrap();
        for t in others {
            let err = t.join().unwrap().unwrap_err();
            assert!(is(&err), "{err:?}");
        }
        assert_eq!(group.stats().flushes, 2);
    }

    #[test]
    fn a_full_disk_stays_full_for_every_caller_that_shared_the_flush() {
        share_a_failed_flush(
            || StorageError::Full("No space left on device".into()),
            |e| matches!(e, StorageError::Full(why) if why.contains("No space")),
        );
    }

    /// A lost database is 503 (try again) for every writer of a failed
    /// commit, not 500 for all but one (CI, session 11: a PUT answered
    /// 500 while PostgreSQL restarted).
    #[test]
    fn a_lost_database_stays_unavailable_for_every_caller_that_shared_the_commit() {
        share_a_failed_flush(
            || StorageError::Unavailable("COMMIT: 57P01: terminating connection".into()),
            |e| matches!(e, StorageError::Unavailable(why) if why.contains("57P01")),
        );
    }

    #[test]
    fn a_failed_flush_fails_its_waiters_and_the_next_caller_flushes_again() {
        let group = FlushGroup::new();
        let err = group.flush(|| Err(StorageError::Backend("disk full".into()))).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        let ran = AtomicUsize::new(0);
        group
            .flush(|| {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert_eq!(group.stats(), FlushStats { flushes: 2, waiters: 2 });
    }
}
