//! The outbox's invariants, for `slotdav check` (composed by `admin`):
//! every queued message of a booking names a booking that exists (an
//! implicit-scheduling invitation and a waitlist message name none), and every reminder index
//! entry points to a queued message. A repair drops index entries that
//! point nowhere; it never drops a message.

use chrono::{DateTime, Utc};

use super::outbox::{MessageKind, OutboxEntry, T_OUTBOX, T_REMINDER};
use crate::booking::service::booking_exists;
use crate::storage::check::{CheckReport, Problem};
use crate::storage::table::TableValue;
use crate::storage::{RecordBatch, RecordKey, Result, Storage};

/// Checks the outbox; with `repair`, drops dangling reminder entries.
pub fn check_outbox(storage: &dyn Storage, repair: bool, now: DateTime<Utc>) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    let problem = |report: &mut CheckReport, what: String, fixable: bool| {
        let mut p = Problem::new("outbox", what);
        p.repaired = repair && fixable;
        report.problems.push(p);
    };
    for (key, bytes) in storage.records(T_OUTBOX, "")? {
        report.records += 1;
        match <OutboxEntry as TableValue>::decode(&bytes) {
            Ok(entry) if matches!(entry.kind, MessageKind::Invitation | MessageKind::Waitlist) => {}
            Ok(entry) => {
                if !booking_exists(storage, &entry.booking_id)? {
                    problem(&mut report, format!("message {key} ({}) is for booking {}, which does not exist", entry.subject, entry.booking_id), false);
                }
            }
            Err(e) => problem(&mut report, format!("message {key} does not decode: {e}"), false),
        }
    }
    let mut dangling = Vec::new();
    for (key, target) in storage.records(T_REMINDER, "")? {
        let target = String::from_utf8_lossy(&target).into_owned();
        if storage.record(&RecordKey::new(T_OUTBOX, target.clone()))?.is_none() {
            problem(&mut report, format!("reminder entry {key} points to message {target}, which is not queued"), true);
            dangling.push((RecordKey::new(T_REMINDER, key), None));
        }
    }
    if repair && !dangling.is_empty() {
        storage.apply(RecordBatch { records: dangling, object: None }, now)?;
        storage.flush()?;
    }
    Ok(report)
}
