//! The audit trail: who changed what, when, and how it was before.
//!
//! Every change of a booking (through the booking service's change hook,
//! [`change_hook`]), of a hold (placed, replaced, expired: [`hold_hook`])
//! a reminder sent ([`system_booking_records`], through the outbox's sent
//! hook that `app` registers) and every admin action on users and feeds
//! ([`admin_records`], written by `admin` with the change) becomes one
//! [`AuditEntry`] **in the same batch**
//! as the change itself, so the trail never tells of a change that did not
//! happen and never misses one that did.
//!
//! Rooms: this file (the entry, the hooks, the queries and pruning),
//! [`store`] (the tables and their key layouts), [`describe`] (what
//! changed in a booking, and the kind names). Imports `booking` (its change
//! types), `storage`, `model` and `clock`; nothing above them.

pub mod describe;
pub mod store;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::booking::change::{HoldChange, HoldChangeKind};
use crate::booking::service::{ChangeHook, HoldHook};
use crate::booking::{Actor, BookingChange};
use crate::storage::{RecordWrites, Storage, StorageError};

pub use store::{for_booking, prune, query, AuditQuery};

/// `audit_retention` when absent: 400 days.
pub const DEFAULT_RETENTION_DAYS: i64 = 400;

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unique; entries of one instant sort in the order they were made.
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// What happened, e.g. `booking.booked`, `hold.expired`, `user.added`
    /// (the list is in docs and [`describe`]).
    pub action: String,
    pub subject: Subject,
    /// The coach it concerns, when it concerns one (indexed).
    pub coach: Option<String>,
    /// The fields that changed, before and after.
    pub changes: Vec<FieldChange>,
}

/// What an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    Booking { id: String, reference: String },
    Hold { id: String },
    User { name: String },
    Feed { user: String, calendar: String },
    /// (D) A secret link to a private event type (issue 11 §7). Appended
    /// last: entries encode the subject by position.
    PrivateLink { coach: String, event_type: String },
    /// A place on a waitlist (issue 11 §1), by its entry id.
    Waitlist { id: String },
}

/// One field's value before and after a change (`None`: not set / did not
/// exist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl FieldChange {
    pub fn new(field: &str, before: Option<String>, after: Option<String>) -> Self {
        FieldChange { field: field.to_string(), before, after }
    }
}

impl AuditEntry {
    /// A new entry made now (a fresh id).
    pub fn new(at: DateTime<Utc>, actor: Actor, action: &str, subject: Subject, coach: Option<String>, changes: Vec<FieldChange>) -> Self {
        AuditEntry { id: store::new_id(), at, actor, action: action.to_string(), subject, coach, changes }
    }

    /// The entry as one JSON object, the stable shape of `slotdav audit
    /// --json` (documented in docs/audit.md).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "id": self.id,
            "at": self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "actor": self.actor.kind(),
            "action": self.action,
            "coach": self.coach,
            "changes": self.changes.iter().map(|c| serde_json::json!({"field": c.field, "before": c.before, "after": c.after})).collect::<Vec<_>>(),
        });
        let who = match &self.actor {
            Actor::Student { email } => Some(("email", email.as_str())).filter(|(_, e)| !e.is_empty()),
            Actor::CoachCalendar { coach } | Actor::CoachDashboard { coach } => Some(("by", coach.as_str())),
            Actor::Admin => None,
            Actor::System { cause } => Some(("cause", cause.as_str())),
        };
        if let Some((k, w)) = who {
            v[k] = w.into();
        }
        match &self.subject {
            Subject::Booking { id, reference } => {
                v["booking"] = id.as_str().into();
                v["reference"] = reference.as_str().into();
            }
            Subject::Hold { id } => v["hold"] = id.as_str().into(),
            Subject::Waitlist { id } => v["waitlist"] = id.as_str().into(),
            Subject::User { name } => v["user"] = name.as_str().into(),
            Subject::Feed { user, calendar } => {
                v["user"] = user.as_str().into();
                v["calendar"] = calendar.as_str().into();
            }
            Subject::PrivateLink { coach, event_type } => {
                v["coach"] = coach.as_str().into();
                v["event_type"] = event_type.as_str().into();
            }
        }
        v
    }

    /// The entry as one line of text for `slotdav audit`.
    pub fn to_line(&self) -> String {
        let who = match &self.actor {
            Actor::Student { email } if email.is_empty() => "student (anonymous)".to_string(),
            a => a.to_string(),
        };
        let what = match &self.subject {
            Subject::Booking { reference, .. } => format!("booking {reference}"),
            Subject::Hold { id } => format!("hold {id}"),
            Subject::Waitlist { id } => format!("waitlist {id}"),
            Subject::User { name } => format!("user {name}"),
            Subject::Feed { user, calendar } => format!("feed {user}/{calendar}"),
            Subject::PrivateLink { coach, event_type } => format!("private link to {coach}/{event_type}"),
        };
        let coach = self.coach.as_deref().map(|c| format!(" coach={c}")).unwrap_or_default();
        let changes = self
            .changes
            .iter()
            .map(|c| format!("{}: {} -> {}", c.field, c.before.as_deref().unwrap_or("-"), c.after.as_deref().unwrap_or("-")))
            .collect::<Vec<_>>()
            .join("; ");
        let sep = if changes.is_empty() { "" } else { "  " };
        format!("{}  {}  {}  {what}{coach}{sep}{changes}", self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), self.action, who)
    }
}

/// The hook to register with `BookingService::add_change_hook`: one entry
/// per booking change.
pub fn change_hook() -> Arc<ChangeHook> {
    Arc::new(|change: &BookingChange| {
        let b = change.booking;
        let entry = AuditEntry::new(
            change.now,
            change.actor.clone(),
            describe::booking_action(change.kind),
            Subject::Booking { id: b.id.clone(), reference: b.reference.clone() },
            Some(b.coach.clone()),
            describe::booking_changes(change.previous, b),
        );
        store::writes(&entry)
    })
}

/// The hook to register with `BookingService::add_hold_hook`: one entry
/// per hold placed, replaced or expired.
pub fn hold_hook() -> Arc<HoldHook> {
    Arc::new(|change: &HoldChange| {
        let rec = change.hold;
        let fields = describe::hold_fields(rec);
        let changes = match change.kind {
            HoldChangeKind::Placed => fields.into_iter().map(|(f, v)| FieldChange::new(f, None, Some(v))).collect(),
            HoldChangeKind::Replaced | HoldChangeKind::Expired => {
                fields.into_iter().map(|(f, v)| FieldChange::new(f, Some(v), None)).collect()
            }
        };
        let entry = AuditEntry::new(
            change.now,
            change.actor.clone(),
            describe::hold_action(change.kind),
            Subject::Hold { id: rec.hold.id.clone() },
            Some(rec.coach.clone()),
            changes,
        );
        store::writes(&entry)
    })
}

/// The hook to register with `BookingService::add_waitlist_hook`: one
/// entry per waitlist change (joined, offered, claimed, expired, left).
pub fn waitlist_hook() -> Arc<crate::booking::service::WaitlistHook> {
    use crate::booking::waitlist::{WaitlistChange, WaitlistChangeKind};
    Arc::new(|change: &WaitlistChange| {
        let e = change.entry;
        let actor = match change.kind {
            WaitlistChangeKind::Joined | WaitlistChangeKind::Claimed | WaitlistChangeKind::Left => Actor::Student { email: e.email.clone() },
            WaitlistChangeKind::Offered | WaitlistChangeKind::Expired => Actor::System { cause: "waitlist".into() },
        };
        let mut changes = vec![
            FieldChange::new("status", None, Some(e.status.name().to_string())),
            FieldChange::new("start", None, Some(e.range.start.to_rfc3339())),
            FieldChange::new("event_type", None, Some(e.event_type.clone())),
        ];
        if let Some(p) = change.position {
            changes.push(FieldChange::new("position", None, Some(p.to_string())));
        }
        let entry = AuditEntry::new(change.now, actor, change.kind.action(), Subject::Waitlist { id: e.id.clone() }, Some(e.coach.clone()), changes);
        store::writes(&entry)
    })
}

/// The records of an admin action, for the batch of the action itself.
pub fn admin_records(now: DateTime<Utc>, action: &str, subject: Subject, changes: Vec<FieldChange>) -> RecordWrites {
    store::writes(&AuditEntry::new(now, Actor::Admin, action, subject, None, changes))
}

/// The records of something the system did to a booking known only by
/// its id (a reminder sent): its reference and coach are taken from the
/// booking's latest entry, so the entry is found per booking, reference
/// and coach like the others.
pub fn system_booking_records(storage: &dyn Storage, booking_id: &str, action: &str, cause: &str, changes: Vec<FieldChange>, now: DateTime<Utc>) -> RecordWrites {
    let latest = match store::for_booking(storage, booking_id) {
        Ok(entries) => entries.into_iter().last(),
        Err(e) => {
            tracing::warn!(error = %e, booking = booking_id, "cannot read the booking's audit trail; recording without its reference");
            None
        }
    };
    let (reference, coach) = match latest {
        Some(AuditEntry { subject: Subject::Booking { reference, .. }, coach, .. }) => (reference, coach),
        _ => (String::new(), None),
    };
    let subject = Subject::Booking { id: booking_id.to_string(), reference };
    store::writes(&AuditEntry::new(now, Actor::System { cause: cause.to_string() }, action, subject, coach, changes))
}

/// `slotdav audit`: the entries `q` selects, one line each (text or JSON
/// lines), oldest first.
pub fn listing(storage: &dyn Storage, q: &AuditQuery, json: bool) -> Result<String, StorageError> {
    let (entries, truncated) = query(storage, q)?;
    let mut lines: Vec<String> =
        entries.iter().map(|e| if json { e.to_json().to_string() } else { e.to_line() }).collect();
    if truncated && !json {
        lines.push(format!("(only the first {} entries; narrow with --since, --coach or --booking)", q.limit));
    }
    if lines.is_empty() && !json {
        return Ok("no audit entries".to_string());
    }
    Ok(lines.join("\n"))
}

/// How long entries are kept, from `audit_retention`.
pub fn default_retention() -> Duration {
    Duration::days(DEFAULT_RETENTION_DAYS)
}
