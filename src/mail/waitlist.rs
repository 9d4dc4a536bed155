//! The waitlist's messages (issue 11 §1): "you are number N" with a leave
//! link when someone joins, "a seat is yours until …" with the claim link
//! when a seat is offered, and "the offer has lapsed". Queued by
//! [`waitlist_hook`] in the waitlist change's batch, like a booking's mail.
//! Imports the booking domain's waitlist types, `i18n` (written in the
//! coach's `language`) and this module's compose.

use std::sync::Arc;

use lettre::message::Mailbox;

use super::compose::{self, header_text, mailbox, Body, Draft};
use super::outbox::{new_id, MessageKind, Outbox, OutboxEntry, OUTBOX};
use crate::booking::service::WaitlistHook;
use crate::booking::waitlist::{WaitlistChange, WaitlistChangeKind};
use crate::i18n::{dates, Arg, Tr};

/// The hook to register with `BookingService::add_waitlist_hook`.
pub fn waitlist_hook(outbox: Arc<Outbox>, from: Mailbox) -> Arc<WaitlistHook> {
    Arc::new(move |change: &WaitlistChange| {
        let Some(draft) = waitlist_message(change) else { return Vec::new() };
        let id = new_id(change.now);
        let bytes = match compose::format(&draft, &from, &id, change.now) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cannot format a waitlist message; not sent");
                return Vec::new();
            }
        };
        let entry = OutboxEntry {
            id,
            kind: MessageKind::Waitlist,
            booking_id: change.entry.id.clone(),
            sequence: 0,
            session_start: change.entry.range.start,
            created: change.now,
            due: change.now,
            envelope_from: from.email.to_string(),
            to: draft.to.email.to_string(),
            subject: draft.subject.clone(),
            attempts: 0,
            last_error: None,
            bytes,
        };
        outbox.wake();
        vec![OUTBOX.put(entry.key().key, &entry)]
    })
}

/// The message to the person on the list (`None` for changes that need
/// none: a claim brings the booking's own mail, a leave was their doing).
pub fn waitlist_message(change: &WaitlistChange<'_>) -> Option<Draft> {
    let e = change.entry;
    let to = mailbox(&e.name, &e.email)?;
    // The language they joined in (older places: the coach's).
    let tr = Tr::new(crate::i18n::Locale::from_tag(&e.locale).unwrap_or(change.coach.language));
    let coach = header_text(&change.coach.display_name);
    let title = header_text(&change.event_type.title);
    let tz = change.coach.policy.tz;
    let when = dates::subject(tr.locale, &e.range.start.with_timezone(&tz));
    let args = |extra: Option<(&'static str, Arg)>| {
        let mut a = vec![("title", Arg::from(&title)), ("coach", Arg::from(&coach)), ("when", Arg::from(&when))];
        a.extend(extra);
        a
    };
    let (subject, paragraphs, link) = match change.kind {
        WaitlistChangeKind::Joined => (
            tr.t_args("mail-waitlist-subject-joined", &args(None)),
            vec![tr.t_args("mail-waitlist-joined", &args(Some(("n", Arg::from(change.position.unwrap_or(1))))))],
            (tr.t("mail-waitlist-link-joined"), change.status_url.to_string()),
        ),
        WaitlistChangeKind::Offered => {
            let until = match &e.status {
                crate::booking::waitlist::WaitlistStatus::Offered { expires_at, .. } => {
                    let local = expires_at.with_timezone(&tz);
                    format!("{} {}", dates::subject(tr.locale, &local), local.format("%Z"))
                }
                _ => String::new(),
            };
            (
                tr.t_args("mail-waitlist-subject-offered", &args(None)),
                vec![tr.t_args("mail-waitlist-offered", &args(Some(("until", Arg::from(until)))))],
                (tr.t("mail-waitlist-link-offered"), change.status_url.to_string()),
            )
        }
        WaitlistChangeKind::Expired => (
            tr.t_args("mail-waitlist-subject-expired", &args(None)),
            vec![tr.t("mail-waitlist-expired")],
            (tr.t("mail-waitlist-link-expired"), change.status_url.to_string()),
        ),
        WaitlistChangeKind::Claimed | WaitlistChangeKind::Left => return None,
    };
    let body = Body {
        greeting: tr.t1("mail-hello", "name", &e.name),
        paragraphs,
        details: vec![
            (tr.t("mail-label-what"), change.event_type.title.clone()),
            (tr.t("mail-label-with"), change.coach.display_name.clone()),
            (tr.t("mail-label-when"), format!("{when} ({})", tz.name())),
        ],
        link: Some(link),
        signature: tr.t("mail-signature"),
    };
    Some(Draft { to, reply_to: None, subject, text: body.text(), html: body.html(), calendar: None })
}
