//! The waitlist's messages (issue 11 §1): "you are number N" with a leave
//! link when someone joins, "a seat is yours until …" with the claim link
//! when a seat is offered, and "the offer has lapsed". Queued by
//! [`waitlist_hook`] in the waitlist change's batch, like a booking's mail.
//! Imports the booking domain's waitlist types and this module's compose.

use std::sync::Arc;

use lettre::message::Mailbox;

use super::compose::{self, header_text, mailbox, Body, Draft};
use super::outbox::{new_id, MessageKind, Outbox, OutboxEntry, OUTBOX};
use crate::booking::service::WaitlistHook;
use crate::booking::waitlist::{WaitlistChange, WaitlistChangeKind};

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
    let coach = header_text(&change.coach.display_name);
    let title = header_text(&change.event_type.title);
    let tz = change.coach.policy.tz;
    let when = e.range.start.with_timezone(&tz).format("%a %-d %b %Y %H:%M").to_string();
    let (subject, paragraphs, link) = match change.kind {
        WaitlistChangeKind::Joined => (
            format!("Waitlist: {title} with {coach}, {when}"),
            vec![format!(
                "you are number {} on the waitlist for this session. If a seat frees up, we will email you and keep it for you for a while.",
                change.position.unwrap_or(1)
            )],
            ("Your place (or leave the waitlist)", change.status_url.to_string()),
        ),
        WaitlistChangeKind::Offered => {
            let until = match &e.status {
                crate::booking::waitlist::WaitlistStatus::Offered { expires_at, .. } => {
                    expires_at.with_timezone(&tz).format("%a %-d %b %Y %H:%M %Z").to_string()
                }
                _ => String::new(),
            };
            (
                format!("A seat is free: {title} with {coach}, {when}"),
                vec![format!("a seat has freed up and it is kept for you until {until}. Claim it with the link below; after that it goes to the next person waiting.")],
                ("Claim your seat", change.status_url.to_string()),
            )
        }
        WaitlistChangeKind::Expired => (
            format!("Waitlist ended: {title} with {coach}, {when}"),
            vec!["the seat kept for you was not claimed in time, or the session can no longer be booked, so you are off the waitlist. You are welcome to pick another time on the booking page.".to_string()],
            ("Your place", change.status_url.to_string()),
        ),
        WaitlistChangeKind::Claimed | WaitlistChangeKind::Left => return None,
    };
    let body = Body {
        greeting: format!("Hello {},", e.name),
        paragraphs,
        details: vec![("What", change.event_type.title.clone()), ("With", change.coach.display_name.clone()), ("When", format!("{when} ({})", tz.name()))],
        link: Some((link.0, link.1)),
    };
    Some(Draft { to, reply_to: None, subject, text: body.text(), html: body.html(), calendar: None })
}
