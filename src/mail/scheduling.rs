//! Implicit scheduling for organizers (RFC 6638 §3.2), delivered by email
//! (iMIP, RFC 6047). slotdav advertises `calendar-auto-schedule`, so
//! clients leave invitations to the server: when a user stores an event
//! they organize, every attendee gets a REQUEST; when its time changes, an
//! update; when it is cancelled or deleted (or an attendee is removed), a
//! CANCEL. Messages go through the durable outbox, written in the same
//! batch as the object.
//!
//! Booking events are left to the booking mail (they have their own
//! messages), and nothing is sent for objects the user does not organize.

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;

use super::compose::{self, Draft, Method};
use super::outbox::{new_id, MessageKind, OutboxEntry};
use super::quota::SendQuota;
use crate::ical::write::{self as ical, Property};
use crate::ical::CalendarObject;
use crate::storage::RecordWrites;

/// The calendar user addresses of a user (RFC 6638 §2.4.1): their email
/// and their principal URL.
pub struct Organizer<'a> {
    /// The slotdav user name (also what the hourly mail cap counts by).
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub principal_href: &'a str,
    /// Attendee addresses not to mail: users of this server (delivered by
    /// `scheduling`) and attendees with `SCHEDULE-AGENT=CLIENT` or `NONE`.
    pub not_by_mail: &'a [String],
}

impl Organizer<'_> {
    fn is(&self, address: &str) -> bool {
        let a = address.trim();
        let mail = a.strip_prefix("mailto:").or_else(|| a.strip_prefix("MAILTO:"));
        match (mail, self.email) {
            (Some(m), Some(e)) => m.eq_ignore_ascii_case(e),
            _ => a.ends_with(self.principal_href),
        }
    }
}

fn email_of(address: &str) -> Option<String> {
    let a = address.trim();
    let m = a.strip_prefix("mailto:").or_else(|| a.strip_prefix("MAILTO:"))?;
    Some(m.to_string())
}

/// The attendees that get messages: every `mailto:` attendee except the
/// organizer themself.
fn attendees(obj: &CalendarObject, organizer: &Organizer) -> Vec<String> {
    let mut out: Vec<String> = obj
        .attendees()
        .iter()
        .filter(|a| !organizer.is(a))
        .filter(|a| !organizer.not_by_mail.iter().any(|n| n.trim().eq_ignore_ascii_case(a.trim())))
        .filter_map(|a| email_of(a))
        .collect();
    out.sort_by_key(|a| a.to_ascii_lowercase());
    out.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    out
}

/// Whether `obj` is organized by this user (a scheduling object resource
/// of theirs, RFC 6638 §3.1).
pub fn organized_by(obj: &CalendarObject, organizer: &Organizer) -> bool {
    obj.organizer().is_some_and(|o| organizer.is(&o))
}

/// A changed time, recurrence or sequence is worth an update to attendees;
/// a new description alone is not.
fn significant_change(before: &CalendarObject, after: &CalendarObject) -> bool {
    before.dtstart() != after.dtstart()
        || before.dtend() != after.dtend()
        || before.sequence() != after.sequence()
        || before.status() != after.status()
        || before.recurrence_props() != after.recurrence_props()
}

/// The stored object as an iMIP REQUEST: the same components, written
/// again by the iCalendar writer, with `METHOD:REQUEST` on the VCALENDAR.
fn request_ics(obj: &CalendarObject) -> String {
    let mut root = obj.root().clone();
    root.props.retain(|p| p.name != "METHOD");
    root.props.push(Property::new("METHOD", Method::Request.as_str()));
    root.to_ics()
}

/// A CANCEL for the object (RFC 5546 §3.2.5), naming `to`.
fn cancel_ics(obj: &CalendarObject, organizer: &str, to: &[String], now: DateTime<Utc>) -> String {
    // UID is kept in the wire form it was stored in.
    let mut event = ical::Component::new("VEVENT")
        .with(Property::new("UID", obj.uid()))
        .with(Property::utc("DTSTAMP", now))
        .with(Property::new("SEQUENCE", &(obj.sequence() + 1).to_string()));
    if let Some(start) = obj.dtstart() {
        event = event.with(Property::utc("DTSTART", start));
    }
    if let Some(end) = obj.dtend() {
        event = event.with(Property::utc("DTEND", end));
    }
    event = event.with(Property::new("ORGANIZER", organizer));
    for a in to {
        event = event.with(Property::new("ATTENDEE", &format!("mailto:{a}")));
    }
    if let Some(summary) = obj.summary() {
        event = event.with(Property::new_text("SUMMARY", &summary));
    }
    event = event.with(Property::new("STATUS", "CANCELLED"));
    ical::Component::calendar(Some(Method::Cancel.as_str())).with_child(event).to_ics()
}

/// The most ATTENDEEs any one instance (master or override) of `obj` has:
/// what `mail.max_attendees` caps (RFC 4791 §5.2.9
/// `max-attendees-per-instance`).
pub fn attendees_per_instance(obj: &CalendarObject) -> usize {
    obj.components().map(|c| c.props_named("ATTENDEE").count()).max().unwrap_or(0)
}

fn when(obj: &CalendarObject) -> String {
    match obj.dtstart() {
        Some(t) => t.format("%A %-d %B %Y, %H:%M UTC").to_string(),
        None => "(no time given)".to_string(),
    }
}

/// The outbox records for an organizer's change from `before` to `after`
/// (`None` = did not exist / was deleted). At most what `quota` still
/// allows this user this hour is queued; the rest is not sent (logged),
/// and the new count is part of the records.
pub fn organizer_records(
    organizer: &Organizer,
    from: &Mailbox,
    quota: &SendQuota,
    before: Option<&CalendarObject>,
    after: Option<&CalendarObject>,
    now: DateTime<Utc>,
) -> RecordWrites {
    let mut records = RecordWrites::new();
    let before = before.filter(|o| organized_by(o, organizer));
    let after = after.filter(|o| organized_by(o, organizer));
    if before.is_none() && after.is_none() {
        return records;
    }
    let organizer_address = organizer.email.map(|e| format!("mailto:{e}")).unwrap_or_else(|| organizer.principal_href.to_string());
    let reply_to = organizer.email.and_then(|e| compose::mailbox(organizer.name, e));
    let old = before.map(|b| attendees(b, organizer)).unwrap_or_default();
    let cancelled = after.is_some_and(|a| a.status().as_deref() == Some("CANCELLED"));
    let mut drafts: Vec<(Option<Draft>, String)> = Vec::new();
    let title = |o: &CalendarObject| o.summary().unwrap_or_else(|| "Event".to_string());
    match after {
        Some(a) if !cancelled => {
            let new = attendees(a, organizer);
            let send_all = before.is_none_or(|b| significant_change(b, a));
            for to in &new {
                let is_new = !old.iter().any(|o| o.eq_ignore_ascii_case(to));
                if send_all || is_new {
                    let subject = if before.is_some() && !is_new {
                        format!("Updated invitation: {}", title(a))
                    } else {
                        format!("Invitation: {}", title(a))
                    };
                    let text = format!("{} invites you to \"{}\" on {}.\n\nThe invitation is attached; your calendar app can add it.\n", organizer.name, title(a), when(a));
                    drafts.push((draft(to, &reply_to, subject, text, Method::Request, request_ics(a)), to.clone()));
                }
            }
            let removed: Vec<String> = old.iter().filter(|o| !new.iter().any(|n| n.eq_ignore_ascii_case(o))).cloned().collect();
            for to in removed {
                let text = format!("{} has taken you off \"{}\" on {}.\n", organizer.name, title(a), when(a));
                let ics = cancel_ics(a, &organizer_address, std::slice::from_ref(&to), now);
                drafts.push((draft(&to, &reply_to, format!("Cancelled: {}", title(a)), text, Method::Cancel, ics), to));
            }
        }
        _ => {
            // Deleted or cancelled: everyone who was invited hears of it.
            let obj = after.or(before).expect("one of them exists");
            let to_all = if cancelled { attendees(obj, organizer) } else { old.clone() };
            let already_cancelled = before.is_some_and(|b| b.status().as_deref() == Some("CANCELLED"));
            if !already_cancelled {
                for to in &to_all {
                    let text = format!("{} has cancelled \"{}\" on {}.\n", organizer.name, title(obj), when(obj));
                    let ics = cancel_ics(obj, &organizer_address, &to_all, now);
                    drafts.push((draft(to, &reply_to, format!("Cancelled: {}", title(obj)), text, Method::Cancel, ics), to.clone()));
                }
            }
        }
    }
    let (allowed, count_record) = quota.reserve(organizer.name, drafts.len(), now);
    if allowed < drafts.len() {
        tracing::warn!(
            user = %organizer.name,
            wanted = drafts.len(),
            sent = allowed,
            limit = quota.limit(),
            "hourly limit of scheduling messages reached (mail.max_messages_per_user_hour); the rest are not sent"
        );
        drafts.truncate(allowed);
    }
    records.extend(count_record);
    for (d, to) in drafts {
        let Some(d) = d else {
            tracing::warn!(attendee = %to, "attendee address not usable; no invitation sent");
            continue;
        };
        let id = new_id(now);
        let bytes = match compose::format(&d, from, &id, now) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cannot format an invitation; not sent");
                continue;
            }
        };
        let entry = OutboxEntry {
            id,
            kind: MessageKind::Invitation,
            booking_id: String::new(),
            sequence: 0,
            session_start: after.or(before).and_then(|o| o.dtstart()).unwrap_or(now),
            created: now,
            due: now,
            envelope_from: from.email.to_string(),
            to: d.to.email.to_string(),
            subject: d.subject.clone(),
            attempts: 0,
            last_error: None,
            bytes,
        };
        records.push(super::outbox::OUTBOX.put(entry.key().key, &entry));
    }
    records
}

fn draft(to: &str, reply_to: &Option<Mailbox>, subject: String, text: String, method: Method, ics: String) -> Option<Draft> {
    let html = format!("<p>{}</p>", text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\n', "<br>"));
    Some(Draft { to: compose::mailbox("", to)?, reply_to: reply_to.clone(), subject, text, html, calendar: Some((method, ics)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(extra: &str) -> CalendarObject {
        let text = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T090000Z\r\nDTEND:20260601T100000Z\r\nSUMMARY:Planning\r\nORGANIZER:mailto:alice@example.org\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.org\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        CalendarObject::parse(text.as_bytes()).unwrap()
    }

    fn alice() -> Organizer<'static> {
        Organizer { name: "Alice", email: Some("alice@example.org"), principal_href: "/dav/principals/alice/", not_by_mail: &[] }
    }

    fn from() -> Mailbox {
        "slotdav <bookings@example.org>".parse().unwrap()
    }

    fn recipients(records: &RecordWrites) -> Vec<(String, String)> {
        records
            .iter()
            .filter(|(k, _)| k.table == super::super::outbox::T_OUTBOX)
            .map(|(_, v)| {
                let e: OutboxEntry = postcard::from_bytes(v.as_ref().unwrap()).unwrap();
                let text = String::from_utf8_lossy(&e.bytes).to_string();
                let method = if text.contains("METHOD:CANCEL") { "CANCEL" } else { "REQUEST" };
                (e.to, method.to_string())
            })
            .collect()
    }

    #[test]
    fn new_event_invites_every_attendee_but_the_organizer() {
        let a = obj("ATTENDEE:mailto:bob@example.org\r\nATTENDEE:mailto:carol@example.org\r\n");
        let r = recipients(&organizer_records(&alice(), &from(), &SendQuota::in_memory(1000), None, Some(&a), Utc::now()));
        assert_eq!(r, vec![("bob@example.org".into(), "REQUEST".into()), ("carol@example.org".into(), "REQUEST".into())]);
    }

    #[test]
    fn a_new_note_alone_sends_nothing_but_a_new_time_updates_everyone() {
        let a = obj("ATTENDEE:mailto:bob@example.org\r\n");
        let b = obj("ATTENDEE:mailto:bob@example.org\r\nDESCRIPTION:agenda\r\n");
        assert!(organizer_records(&alice(), &from(), &SendQuota::in_memory(1000), Some(&a), Some(&b), Utc::now()).is_empty());
        let moved = CalendarObject::parse(a.raw().replace("20260601T", "20260602T").as_bytes()).unwrap();
        let r = recipients(&organizer_records(&alice(), &from(), &SendQuota::in_memory(1000), Some(&a), Some(&moved), Utc::now()));
        assert_eq!(r, vec![("bob@example.org".into(), "REQUEST".into())]);
    }

    #[test]
    fn removal_and_deletion_cancel() {
        let both = obj("ATTENDEE:mailto:bob@example.org\r\nATTENDEE:mailto:carol@example.org\r\n");
        let only_bob = obj("ATTENDEE:mailto:bob@example.org\r\n");
        let r = recipients(&organizer_records(&alice(), &from(), &SendQuota::in_memory(1000), Some(&both), Some(&only_bob), Utc::now()));
        assert_eq!(r, vec![("carol@example.org".into(), "CANCEL".into())]);
        let r = recipients(&organizer_records(&alice(), &from(), &SendQuota::in_memory(1000), Some(&both), None, Utc::now()));
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|(_, m)| m == "CANCEL"));
    }

    #[test]
    fn the_hourly_quota_caps_what_is_queued_and_is_recorded() {
        let a = obj("ATTENDEE:mailto:bob@example.org\r\nATTENDEE:mailto:carol@example.org\r\nATTENDEE:mailto:dan@example.org\r\n");
        let quota = SendQuota::in_memory(2);
        let records = organizer_records(&alice(), &from(), &quota, None, Some(&a), Utc::now());
        assert_eq!(recipients(&records).len(), 2);
        assert!(records.iter().any(|(k, _)| k.table == super::super::quota::T_QUOTA && k.key == "Alice"));
        assert!(organizer_records(&alice(), &from(), &quota, None, Some(&a), Utc::now()).is_empty(), "nothing left this hour");
    }

    #[test]
    fn local_and_client_scheduled_attendees_are_not_mailed() {
        let a = obj("ATTENDEE:mailto:bob@example.org\r\nATTENDEE:mailto:carol@example.org\r\n");
        let skip = vec!["mailto:BOB@example.org".to_string()];
        let alice = Organizer { not_by_mail: &skip, ..alice() };
        let r = recipients(&organizer_records(&alice, &from(), &SendQuota::in_memory(1000), None, Some(&a), Utc::now()));
        assert_eq!(r, vec![("carol@example.org".into(), "REQUEST".into())]);
    }

    #[test]
    fn attendees_are_counted_per_instance() {
        let a = obj("ATTENDEE:mailto:bob@example.org\r\n");
        assert_eq!(attendees_per_instance(&a), 2);
    }

    #[test]
    fn events_organized_by_someone_else_send_nothing() {
        let theirs = CalendarObject::parse(obj("ATTENDEE:mailto:bob@example.org\r\n").raw().replace("ORGANIZER:mailto:alice@", "ORGANIZER:mailto:zed@").as_bytes()).unwrap();
        assert!(organizer_records(&alice(), &from(), &SendQuota::in_memory(1000), None, Some(&theirs), Utc::now()).is_empty());
    }
}
