//! The booking's VEVENT, as stored in the coach's bookings calendar and
//! sent in iMIP invitations, written through `ical::write`; for a series
//! (issue 11 §2) the one recurring VEVENT with its EXDATEs and overrides;
//! the event type's location as LOCATION and RFC 7986 CONFERENCE
//! (`booking::location`, issue 12 §3).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::super::coach::CoachConfig;
use super::super::policy::EventType;
use super::super::{Booking, BookingStatus};
use super::series::SeriesRecord;
use super::BookingService;
use crate::ical::write::{Component, Property};
use crate::model::TimeRange;

impl BookingService {

    /// The booking's VEVENT as stored in the coach's calendar (and sent in
    /// invitations): ORGANIZER the coach, ATTENDEE the student (and the
    /// guardian as a NON-PARTICIPANT, issue 11 §4).
    pub fn booking_ics(&self, coach: &CoachConfig, et: &EventType, b: &Booking) -> String {
        // (D) the answers to the form's questions go into DESCRIPTION.
        let answers = self.answers_of(&b.id).unwrap_or_else(|e| {
            tracing::warn!(error = %e, reference = %b.reference, "cannot read the booking's answers");
            Vec::new()
        });
        let answers = super::details::labelled(et, &answers);
        booking_vcalendar_with(coach, et, b, &self.coach_email(coach), &self.manage_url(b), None, self.clock.now(), &answers)
    }

    pub fn coach_email(&self, coach: &CoachConfig) -> String {
        self.storage
            .user(&coach.user)
            .ok()
            .flatten()
            .and_then(|u| u.email)
            .unwrap_or_else(|| format!("{}@localhost", coach.user))
    }
}

/// A VCALENDAR holding one booking's VEVENT. With `method`, an iMIP
/// message (RFC 6047) rather than a stored object.
pub fn booking_vcalendar(
    coach: &CoachConfig,
    et: &EventType,
    b: &Booking,
    coach_email: &str,
    manage_url: &str,
    method: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    booking_vcalendar_with(coach, et, b, coach_email, manage_url, method, now, &[])
}

/// [`booking_vcalendar`] with the (label, answer) pairs of the form's
/// questions in DESCRIPTION (issue 11 §5).
#[allow(clippy::too_many_arguments)]
pub fn booking_vcalendar_with(
    coach: &CoachConfig,
    et: &EventType,
    b: &Booking,
    coach_email: &str,
    manage_url: &str,
    method: Option<&str>,
    now: DateTime<Utc>,
    answers: &[(String, String)],
) -> String {
    let event = Component::new("VEVENT")
        .with(Property::new_text("UID", &b.uid))
        .with(Property::utc("DTSTAMP", now))
        .with(Property::utc("DTSTART", b.range.start))
        .with(Property::utc("DTEND", b.range.end));
    let event = described(event, coach, et, b, coach_email, manage_url, status_text(b.status), b.sequence, answers);
    Component::calendar(method).with_child(event).to_ics()
}

fn status_text(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Confirmed => "CONFIRMED",
        BookingStatus::Tentative => "TENTATIVE",
        BookingStatus::Cancelled => "CANCELLED",
    }
}

/// The properties every booking VEVENT (and every override of a series)
/// carries after its times: what, status, sequence, who.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::too_many_arguments)]
fn described(
    event: Component,
    coach: &CoachConfig,
    et: &EventType,
    b: &Booking,
    coach_email: &str,
    manage_url: &str,
    status: &str,
    sequence: u32,
    answers: &[(String, String)],
) -> Component {
    // The texts in the language the student booked in (issue 12 §5).
    let tr = crate::i18n::Tr::new(crate::i18n::Locale::from_stored(&b.locale));
    let mut description = String::new();
    if let Some(note) = &b.student_note {
        description.push_str(&tr.t2("ics-note-from", "name", &b.student_name, "note", note));
        description.push_str("\n\n");
    }
    for (label, answer) in answers {
        description.push_str(&format!("{label}: {answer}\n"));
    }
    if !answers.is_empty() {
        description.push('\n');
    }
    // (issue 12 §3) where it takes place: LOCATION, CONFERENCE for video and phone.
    let place = et.location.as_ref().map(|l| l.place_for(&b.id));
    if let Some(link) = place.as_ref().and_then(|p| p.link()) {
        description.push_str(&format!("{}: {link}\n\n", place.as_ref().map_or(String::new(), |p| tr.t(p.label_key()))));
    }
    description.push_str(&tr.t2("ics-booking", "reference", &b.reference, "price", &et.price));
    description.push('\n');
    description.push_str(&tr.t1("ics-manage", "url", manage_url));
    let mut event = event;
    for p in place.map(|p| p.ical_properties(&tr.t(p.label_key()))).unwrap_or_default() {
        event = event.with(p);
    }
    let event = event
        .with(Property::new_text("SUMMARY", &format!("{}: {}", et.title, b.student_name)))
        .with(Property::new_text("DESCRIPTION", &description))
        .with(Property::new("STATUS", status))
        .with(Property::new("SEQUENCE", &sequence.to_string()))
        .with(Property::new("ORGANIZER", &format!("mailto:{coach_email}")).with_param("CN", &coach.display_name))
        .with(
            Property::new("ATTENDEE", &format!("mailto:{}", b.student_email))
                .with_param("CN", &b.student_name)
                .with_param("ROLE", "REQ-PARTICIPANT")
                .with_param("PARTSTAT", if status == "CANCELLED" { "DECLINED" } else { "ACCEPTED" }),
        );
    // (issue 11 §4) The guardian follows the session without taking part:
    // informed of every change, asked for no answer.
    let event = match &b.guardian {
        Some(g) => event.with(
            Property::new("ATTENDEE", &format!("mailto:{}", g.email))
                .with_param("CN", &g.name)
                .with_param("ROLE", "NON-PARTICIPANT")
                .with_param("PARTSTAT", if status == "CANCELLED" { "DECLINED" } else { "ACCEPTED" })
                .with_param("RSVP", "FALSE"),
        ),
        None => event,
    };
    event.with(Property::new_text("X-SLOTDAV-REFERENCE", &b.reference))
}

// ----- (B) recurring sessions, issue 11 §2 -----

/// A wall-clock DATE-TIME in the coach's zone (`DTSTART;TZID=…`), so the
/// series keeps its local time across daylight-saving changes.
fn local(name: &str, t: DateTime<Utc>, tz: Tz) -> Property {
    if tz == chrono_tz::UTC {
        return Property::utc(name, t);
    }
    Property::new(name, &t.with_timezone(&tz).format("%Y%m%dT%H%M%S").to_string()).with_param("TZID", tz.name())
}

/// The one recurring VEVENT of a series: the master with
/// `RRULE:FREQ=WEEKLY;INTERVAL=n;COUNT=c` on the coach's wall clock,
/// `EXDATE` for the dates the student left out and the occurrences that
/// are cancelled (while some are not), and a `RECURRENCE-ID` override for
/// each occurrence that moved or whose status differs from the series'.
/// `bookings` are the occurrences' records, in the series' order.
/// With `method`, an iMIP message for the whole series.
#[allow(clippy::too_many_arguments)]
pub fn series_vcalendar(
    coach: &CoachConfig,
    et: &EventType,
    series: &SeriesRecord,
    bookings: &[Booking],
    coach_email: &str,
    manage_url: &str,
    method: Option<&str>,
    now: DateTime<Utc>,
    answers: &[(String, String)],
) -> String {
    let tz = coach.policy.tz;
    let Some(lead) = bookings.first() else { return Component::calendar(method).to_ics() };
    let first = series.starts[0];
    let sequence = bookings.iter().map(|b| b.sequence).max().unwrap_or(0);
    let all_cancelled = bookings.iter().all(|b| !b.is_active());
    let series_status = if all_cancelled {
        BookingStatus::Cancelled
    } else if bookings.iter().any(|b| b.status == BookingStatus::Tentative) {
        BookingStatus::Tentative
    } else {
        BookingStatus::Confirmed
    };
    let mut master = Component::new("VEVENT")
        .with(Property::new_text("UID", &series.uid))
        .with(Property::utc("DTSTAMP", now))
        .with(local("DTSTART", first, tz))
        .with(local("DTEND", first + et_duration(series, bookings), tz))
        .with(Property::new("RRULE", &format!("FREQ=WEEKLY;INTERVAL={};COUNT={}", series.every_weeks, series.starts.len())));
    let mut excluded: Vec<DateTime<Utc>> = series.skipped.clone();
    if !all_cancelled {
        excluded.extend(series.occurrences.iter().zip(bookings).filter(|(_, b)| !b.is_active()).map(|(o, _)| o.recurrence_id));
    }
    excluded.sort();
    for t in &excluded {
        master = master.with(local("EXDATE", *t, tz));
    }
    let master = described(master, coach, et, lead, coach_email, manage_url, status_text(series_status), sequence, answers);
    let mut cal = Component::calendar(method).with_child(master);
    for (o, b) in series.occurrences.iter().zip(bookings) {
        if !b.is_active() || excluded.contains(&o.recurrence_id) {
            continue;
        }
        let moved = b.range != TimeRange::new(o.recurrence_id, o.recurrence_id + et_duration(series, bookings));
        if moved || b.status != series_status {
            let over = Component::new("VEVENT")
                .with(Property::new_text("UID", &series.uid))
                .with(Property::utc("DTSTAMP", now))
                .with(local("RECURRENCE-ID", o.recurrence_id, tz))
                .with(Property::utc("DTSTART", b.range.start))
                .with(Property::utc("DTEND", b.range.end));
            cal = cal.with_child(described(over, coach, et, b, coach_email, manage_url, status_text(b.status), sequence, &[]));
        }
    }
    cal.to_ics()
}

/// An iMIP CANCEL of one occurrence of a series (RFC 5546 §3.2.5: the
/// RECURRENCE-ID names the instance), so the student's calendar keeps the
/// rest of the series.
pub fn occurrence_cancel(
    coach: &CoachConfig,
    et: &EventType,
    series: &SeriesRecord,
    b: &Booking,
    coach_email: &str,
    manage_url: &str,
    now: DateTime<Utc>,
) -> String {
    let rid = series.occurrences.iter().find(|o| o.booking_id == b.id).map(|o| o.recurrence_id).unwrap_or(b.range.start);
    let event = Component::new("VEVENT")
        .with(Property::new_text("UID", &series.uid))
        .with(Property::utc("DTSTAMP", now))
        .with(local("RECURRENCE-ID", rid, coach.policy.tz))
        .with(Property::utc("DTSTART", b.range.start))
        .with(Property::utc("DTEND", b.range.end));
    let event = described(event, coach, et, b, coach_email, manage_url, "CANCELLED", b.sequence, &[]);
    Component::calendar(Some("CANCEL")).with_child(event).to_ics()
}

/// The length of the series' sessions: what the lead occurrence was
/// booked as at its own date (the event type's duration then).
fn et_duration(series: &SeriesRecord, bookings: &[Booking]) -> chrono::Duration {
    series
        .occurrences
        .iter()
        .zip(bookings)
        .map(|(_, b)| b.range.end - b.range.start)
        .next()
        .unwrap_or_else(chrono::Duration::zero)
}

/// The coach's series object `object` with every instance of the dates
/// `cancelled` (RECURRENCE-IDs of occurrences that are cancelled) shown
/// as cancelled: an override of such a date says `STATUS:CANCELLED`, a
/// date the master still produces gets an `EXDATE`. The coach's other
/// edits stay as written. `None` when every such date already is.
pub(super) fn with_cancelled_dates(object: &crate::ical::CalendarObject, cancelled: &[DateTime<Utc>], tz: Tz) -> Option<String> {
    let (Some(first), Some(last)) = (cancelled.iter().min(), cancelled.iter().max()) else { return None };
    let window = TimeRange::new(*first - chrono::Duration::days(400), *last + chrono::Duration::days(400));
    let expansion = object.expand(window, Some(tz));
    let kind = object.kind().name();
    // Indexes into `root.children` of the object's components, in order.
    let slots: Vec<usize> = object.root().children.iter().enumerate().filter(|(_, c)| c.name == kind).map(|(i, _)| i).collect();
    let master_status = object.status();
    let mut root = object.root().clone();
    let mut changed = false;
    for rid in cancelled {
        let Some(instance) = expansion.instances.iter().find(|i| i.recurrence_id == *rid) else { continue };
        let Some(&slot) = slots.get(instance.component) else { continue };
        let component = &mut root.children[slot];
        let status = component.prop("STATUS").map(|p| p.value.trim().to_ascii_uppercase()).or_else(|| master_status.clone());
        if status.as_deref() == Some("CANCELLED") {
            continue;
        }
        if component.has("RECURRENCE-ID") {
            component.props.retain(|p| p.name != "STATUS");
            component.props.push(Property::new("STATUS", "CANCELLED"));
        } else {
            component.props.push(local("EXDATE", *rid, tz));
        }
        changed = true;
    }
    changed.then(|| root.to_ics())
}
