//! What the running mail worker tells the operator: a heartbeat (when it
//! last looked at the outbox), the outbox depth it last counted, and the
//! messages given up on by kind. Kept in atomics, so `/readyz` and
//! `/metrics` read them without touching the store; the worker updates
//! them on every run (it reads the outbox then anyway), and the failed
//! counts start from one count of `outbox-failed` when the outbox opens.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::outbox::MessageKind;

/// The kinds of [`MessageKind`] as metric labels, in [`kind_index`] order.
pub const KINDS: [&str; 5] = ["student", "coach", "reminder", "invitation", "waitlist"];

fn kind_index(kind: MessageKind) -> usize {
    match kind {
        MessageKind::Student => 0,
        MessageKind::Coach => 1,
        MessageKind::Reminder { .. } => 2,
        MessageKind::Invitation => 3,
        MessageKind::Waitlist => 4,
    }
}

/// The worker's heartbeat and counts.
#[derive(Debug)]
pub struct WorkerHealth {
    /// Milliseconds since 1970 of the last beat, by the outbox's clock;
    /// `i64::MIN`: the worker has not run.
    beat_ms: AtomicI64,
    depth: AtomicU64,
    failed: [AtomicU64; KINDS.len()],
    interval: StdDuration,
}

impl WorkerHealth {
    pub fn new(interval: StdDuration) -> Self {
        WorkerHealth { beat_ms: AtomicI64::new(i64::MIN), depth: AtomicU64::new(0), failed: Default::default(), interval }
    }

    /// The worker is alive at `now`.
    pub fn beat(&self, now: DateTime<Utc>) {
        self.beat_ms.store(now.timestamp_millis(), Ordering::Relaxed);
    }

    /// When the worker last beat.
    pub fn last_beat(&self) -> Option<DateTime<Utc>> {
        let ms = self.beat_ms.load(Ordering::Relaxed);
        (ms != i64::MIN).then(|| DateTime::from_timestamp_millis(ms)).flatten()
    }

    /// How long after its last beat the worker counts as stuck: three
    /// intervals and a minute (a run may wait on a slow SMTP server).
    pub fn stale_after(&self) -> Duration {
        Duration::from_std(self.interval * 3).unwrap_or(Duration::minutes(1)) + Duration::minutes(1)
    }

    /// `Ok` while the worker beat recently at `now`; else why not.
    pub fn alive(&self, now: DateTime<Utc>) -> Result<(), String> {
        match self.last_beat() {
            None => Err("the mail worker is not running".into()),
            Some(t) if now - t > self.stale_after() => {
                Err(format!("the mail worker last ran {}s ago", (now - t).num_seconds()))
            }
            Some(_) => Ok(()),
        }
    }

    pub(super) fn set_depth(&self, n: usize) {
        self.depth.store(n as u64, Ordering::Relaxed);
    }

    /// Messages waiting, as the worker last counted.
    pub fn depth(&self) -> u64 {
        self.depth.load(Ordering::Relaxed)
    }

    pub(super) fn failed(&self, kind: MessageKind) {
        self.failed[kind_index(kind)].fetch_add(1, Ordering::Relaxed);
    }

    /// Messages given up on, by kind label.
    pub fn failed_by_kind(&self) -> Vec<(&'static str, u64)> {
        KINDS.iter().zip(&self.failed).map(|(k, n)| (*k, n.load(Ordering::Relaxed))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_worker_that_never_ran_or_stopped_beating_is_not_alive() {
        let h = WorkerHealth::new(StdDuration::from_secs(5));
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        assert!(h.alive(t).is_err());
        h.beat(t);
        assert_eq!(h.alive(t + Duration::seconds(75)), Ok(()));
        assert!(h.alive(t + Duration::seconds(76)).unwrap_err().contains("76s"));
    }

    #[test]
    fn failures_are_counted_by_kind() {
        let h = WorkerHealth::new(StdDuration::from_secs(5));
        h.failed(MessageKind::Reminder { offset_secs: 60 });
        h.failed(MessageKind::Student);
        h.failed(MessageKind::Student);
        assert_eq!(h.failed_by_kind(), vec![("student", 2), ("coach", 0), ("reminder", 1), ("invitation", 0), ("waitlist", 0)]);
    }
}
