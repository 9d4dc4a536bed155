//! What the operator's endpoints read from the shared state: the
//! booking-outcome counter registered as a booking change hook, the
//! gauges of a `/metrics` scrape ([`App::metrics_snapshot`], each O(1) or
//! O(number of kinds), active holds counted over the hold table, which
//! only keeps live holds), and readiness for `/readyz` ([`App::readiness`]:
//! a one-record write and read-back in the store, and the mail worker's
//! heartbeat).

use std::sync::Arc;

use super::App;
use crate::booking::service::{ChangeHook, ChangeKind};
use crate::booking::Attendance;
use crate::metrics::{Metrics, Snapshot};
use crate::storage::{RecordBatch, RecordKey};

/// The store's readiness probe: `health` / `probe` → the probe's time
/// (i64 milliseconds, little endian), overwritten by every probe.
const PROBE_TABLE: &str = "health";
const PROBE_KEY: &str = "probe";

/// Counts every booking change by its outcome; writes nothing.
pub(super) fn metrics_hook(metrics: Arc<Metrics>) -> Arc<ChangeHook> {
    Arc::new(move |change| {
        let outcome = match change.kind {
            ChangeKind::Booked => "booked",
            ChangeKind::Rescheduled => "rescheduled",
            ChangeKind::CancelledByStudent => "cancelled_by_student",
            ChangeKind::CancelledByCoach => "cancelled_by_coach",
            ChangeKind::MovedByCoach => "moved_by_coach",
            ChangeKind::ConfirmedByCoach => "confirmed",
            ChangeKind::DeclinedByCoach => "declined",
            ChangeKind::AttendanceMarked => match change.booking.outcome.attendance {
                Some(Attendance::NoShow) => "no_show",
                Some(Attendance::Attended) => "attended",
                None => "attendance_cleared",
            },
            ChangeKind::RescheduleRequested => "reschedule_requested",
            ChangeKind::RescheduleDeclined => "reschedule_declined",
            ChangeKind::RescheduleLapsed => "reschedule_lapsed",
            ChangeKind::RescheduleWithdrawn => "reschedule_withdrawn",
            ChangeKind::RescheduleApproved => "reschedule_approved",
        };
        metrics.booking_change(outcome);
        Vec::new()
    })
}

impl App {
    /// The gauges of one scrape.
    pub fn metrics_snapshot(&self) -> Snapshot {
        let health = self.outbox.health();
        let flushes = self.storage.flush_stats();
        Snapshot {
            holds_active: self.booking.holds_active().map(|n| n as u64).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "counting holds for /metrics failed");
                0
            }),
            outbox_depth: health.depth(),
            outbox_failed: health.failed_by_kind(),
            store_bytes: self.storage.size_on_disk().unwrap_or(0),
            store_flushes: flushes.flushes,
            store_durable_writes: flushes.waiters,
            password_checks: self.auth.checks_run(),
        }
    }

    /// `Ok` when the store takes a write and reads it back and the mail
    /// worker beat recently; else why not (for the 503's body).
    pub fn readiness(&self) -> Result<(), String> {
        let now = self.clock.now();
        let key = RecordKey::new(PROBE_TABLE, PROBE_KEY);
        let value = now.timestamp_millis().to_le_bytes().to_vec();
        let batch = RecordBatch { records: vec![(key.clone(), Some(value.clone()))], object: None };
        self.storage.apply(batch, now).map_err(|e| format!("the store refuses writes: {e}"))?;
        match self.storage.record(&key) {
            Ok(Some(read)) if read == value => {}
            Ok(_) => return Err("the store did not keep a write".into()),
            Err(e) => return Err(format!("the store cannot be read: {e}")),
        }
        self.outbox.health().alive(now)
    }
}
