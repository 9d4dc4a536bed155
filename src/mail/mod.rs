//! Email: iMIP invitations (RFC 6047), notifications and reminders, through
//! a durable outbox.
//!
//! - [`config`]: the `[mail]` section.
//! - [`compose`]: who is told what, formatted as MIME with lettre's typed
//!   headers (names and notes cannot add headers; non-ASCII is RFC 2047).
//! - [`outbox`]: entries in the store, written by the booking change hook
//!   ([`change_hook`]) in the same atomic batch as the booking, and the
//!   worker that sends them with retries.
//! - [`scheduling`]: implicit scheduling (RFC 6638) by iMIP, with
//!   [`quota`], the hourly cap on what one user's writes may send.
//! - [`transport`]: SMTP (rustls) or `.eml` files.
//! - [`health`]: the worker's heartbeat, the outbox depth and failures by
//!   kind, for `/readyz` and `/metrics`.
//! - [`waitlist`]: the waitlist's messages, queued by its hook.
//!
//! A booking never fails because of mail: the hook only adds records, and
//! sending happens later, in the worker.

pub mod check;
pub mod compose;
pub mod config;
pub mod health;
pub mod outbox;
pub mod quota;
pub mod scheduling;
pub mod smtp;
pub mod transport;
pub mod waitlist;

use std::sync::{Arc, Weak};

use chrono::{DateTime, Duration, Utc};
use lettre::message::Mailbox;

pub use config::{MailConfig, MailTransport, RawMail, SmtpTls};
pub use outbox::{listing, status, FailedEntry, MessageKind, Outbox, OutboxEntry, OutboxStatus, Report, Worker};

use crate::booking::service::{BookingService, ChangeHook, ChangeKind};
use crate::booking::BookingChange;
use crate::booking::{Booking, BookingStatus};
use crate::booking::coach::CoachConfig;
use crate::storage::RecordKey;
use compose::{Context, Draft, Method};
use outbox::{new_id, reminder_index_key, BookingMailState, MAIL_STATES, OUTBOX, T_OUTBOX, T_REMINDER};

type Records = Vec<(RecordKey, Option<Vec<u8>>)>;

/// The hook to register with [`BookingService::add_change_hook`]: the
/// outbox records of every booking change. `service` is weak because the
/// service owns the hook.
pub fn change_hook(outbox: Arc<Outbox>, service: Weak<BookingService>, from: Mailbox) -> Arc<ChangeHook> {
    Arc::new(move |change: &BookingChange| {
        let Some(service) = service.upgrade() else { return Vec::new() };
        // (issue 11 §4) a change made with the guardian's link
        let by_guardian = matches!((&change.actor, &change.booking.guardian),
            (crate::booking::Actor::Student { email }, Some(g)) if email.eq_ignore_ascii_case(&g.email));
        let records = change_records_by(&outbox, &service, &from, change.booking, change.kind, change.coach, change.now, change.coach_message, by_guardian);
        if !records.is_empty() {
            outbox.wake();
        }
        records
    })
}

fn queue(records: &mut Records, draft: &Draft, kind: MessageKind, b: &Booking, from: &Mailbox, now: DateTime<Utc>, due: DateTime<Utc>) -> Option<outbox::OutboxEntry> {
    let id = new_id(now);
    let bytes = match compose::format(draft, from, &id, due) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(reference = %b.reference, error = %e, "cannot format a message; not sent");
            return None;
        }
    };
    let entry = outbox::OutboxEntry {
        id,
        kind,
        booking_id: b.id.clone(),
        sequence: b.sequence,
        session_start: b.range.start,
        created: now,
        due,
        envelope_from: from.email.to_string(),
        to: draft.to.email.to_string(),
        subject: draft.subject.clone(),
        attempts: 0,
        last_error: None,
        bytes,
    };
    records.push(OUTBOX.put(entry.key().key, &entry));
    Some(entry)
}

/// The records one change writes: messages due now, the booking's
/// reminders replaced, and the mail state of the booking.
/// `coach_message`: what the coach wrote to the student with a
/// cancellation or decline on the dashboard.
#[allow(clippy::too_many_arguments)]
pub fn change_records(
    outbox: &Outbox,
    service: &BookingService,
    from: &Mailbox,
    b: &Booking,
    kind: ChangeKind,
    coach: &CoachConfig,
    now: DateTime<Utc>,
    coach_message: Option<&str>,
) -> Records {
    change_records_by(outbox, service, from, b, kind, coach, now, coach_message, false)
}

/// [`change_records`]; `by_guardian`: the change was made with the
/// guardian's manage link (issue 11 §4), which the student's message says.
#[allow(clippy::too_many_arguments)]
pub fn change_records_by(
    outbox: &Outbox,
    service: &BookingService,
    from: &Mailbox,
    b: &Booking,
    kind: ChangeKind,
    coach: &CoachConfig,
    now: DateTime<Utc>,
    coach_message: Option<&str>,
    by_guardian: bool,
) -> Records {
    if kind == ChangeKind::AttendanceMarked {
        return Vec::new();
    }
    let storage = outbox.storage();
    let Some(et) = coach.policy.event_type(&b.event_type) else {
        tracing::warn!(reference = %b.reference, "event type gone; no mail");
        return Vec::new();
    };
    let coach_email = storage.user(&coach.user).ok().flatten().and_then(|u| u.email);
    let organizer = service.coach_email(coach);
    let manage_url = service.manage_url(b);
    let previous: BookingMailState = MAIL_STATES.get(&**storage, &b.id).ok().flatten().unwrap_or_default();
    let answers = crate::booking::service::details::labelled(et, &service.answers_of(&b.id).unwrap_or_default());
    // (issue 11 §2) A series has one invitation, sent with its first
    // occurrence; its other occurrences get their reminders only.
    let series_calendar = |method: compose::Method| service.series_invitation(coach, et, b, method.as_str(), now);
    let later_occurrence = kind == ChangeKind::Booked && service.is_later_occurrence(b);
    let ctx = Context {
        booking: b,
        coach,
        event_type: et,
        coach_email: coach_email.as_deref(),
        organizer_email: &organizer,
        manage_url: &manage_url,
        now,
        coach_message,
        answers: &answers,
        series_calendar: Some(&series_calendar),
        by_guardian,
    };
    // (issue 11 §4) the guardian gets what the student gets, with their own link.
    let guardian_url = b.guardian.as_ref().map(|_| service.guardian_manage_url(b));
    let mut records = Records::new();
    let mut invited = previous.invited || later_occurrence;
    match compose::student_message(&ctx, kind, previous.invited) {
        _ if later_occurrence => {}
        Some(d) => {
            if matches!(d.calendar, Some((Method::Request, _))) {
                invited = true;
            }
            queue(&mut records, &d, MessageKind::Student, b, from, now, now);
        }
        None => tracing::warn!(reference = %b.reference, "no message to the student: the address is not usable"),
    }
    if let (Some(url), false) = (&guardian_url, later_occurrence) {
        if let Some(d) = compose::guardian_message(&ctx, kind, previous.invited, url) {
            queue(&mut records, &d, MessageKind::Student, b, from, now, now);
        }
    }
    if coach.notify_coach && !later_occurrence {
        if let Some(d) = compose::coach_message(&ctx, kind) {
            queue(&mut records, &d, MessageKind::Coach, b, from, now, now);
        }
    }
    // A reschedule request leaves the stored booking, its reminders and
    // mail state as they are (issue 11 §3).
    if kind.is_reschedule_request() {
        return records;
    }
    // Reminders: the old ones go; a confirmed booking gets those still ahead.
    match storage.records(T_REMINDER, &format!("{}/", b.id)) {
        Ok(old) => {
            for (k, outbox_key) in old {
                records.push((RecordKey::new(T_REMINDER, k), None));
                records.push((RecordKey::new(T_OUTBOX, String::from_utf8_lossy(&outbox_key).into_owned()), None));
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read pending reminders; stale ones will be dropped when due"),
    }
    if b.status == BookingStatus::Confirmed {
        for offset in &et.reminders {
            let due = b.range.start - *offset;
            if due <= now || *offset <= Duration::zero() {
                continue;
            }
            let guardian = guardian_url.as_deref().and_then(|url| compose::guardian_reminder(&ctx, *offset, url));
            for d in compose::reminder_message(&ctx, *offset).into_iter().chain(guardian) {
                if let Some(entry) = queue(&mut records, &d, MessageKind::Reminder { offset_secs: offset.num_seconds() }, b, from, now, due) {
                    records.push((reminder_index_key(&entry), Some(entry.key().key.into_bytes())));
                }
            }
        }
    }
    let state = BookingMailState { sequence: b.sequence, active: b.is_active(), invited };
    records.push(MAIL_STATES.put(b.id.clone(), &state));
    records
}
