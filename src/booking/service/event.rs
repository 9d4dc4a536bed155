//! The booking's VEVENT, as stored in the coach's bookings calendar and
//! sent in iMIP invitations, written through `ical::write`.

use chrono::{DateTime, Utc};

use super::super::coach::CoachConfig;
use super::super::policy::EventType;
use super::super::{Booking, BookingStatus};
use super::BookingService;

impl BookingService {

    /// The booking's VEVENT as stored in the coach's calendar (and sent in
    /// invitations): ORGANIZER the coach, ATTENDEE the student.
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
    use crate::ical::write::{Component, Property};
    let status = match b.status {
        BookingStatus::Confirmed => "CONFIRMED",
        BookingStatus::Tentative => "TENTATIVE",
        BookingStatus::Cancelled => "CANCELLED",
    };
    let mut description = String::new();
    if let Some(note) = &b.student_note {
        description.push_str(&format!("Note from {}: {note}\n\n", b.student_name));
    }
    for (label, answer) in answers {
        description.push_str(&format!("{label}: {answer}\n"));
    }
    if !answers.is_empty() {
        description.push('\n');
    }
    description.push_str(&format!("Booking {} · {}\nManage: {manage_url}", b.reference, et.price));
    let event = Component::new("VEVENT")
        .with(Property::new_text("UID", &b.uid))
        .with(Property::utc("DTSTAMP", now))
        .with(Property::utc("DTSTART", b.range.start))
        .with(Property::utc("DTEND", b.range.end))
        .with(Property::new_text("SUMMARY", &format!("{}: {}", et.title, b.student_name)))
        .with(Property::new_text("DESCRIPTION", &description))
        .with(Property::new("STATUS", status))
        .with(Property::new("SEQUENCE", &b.sequence.to_string()))
        .with(Property::new("ORGANIZER", &format!("mailto:{coach_email}")).with_param("CN", &coach.display_name))
        .with(
            Property::new("ATTENDEE", &format!("mailto:{}", b.student_email))
                .with_param("CN", &b.student_name)
                .with_param("ROLE", "REQ-PARTICIPANT")
                .with_param("PARTSTAT", if b.status == BookingStatus::Cancelled { "DECLINED" } else { "ACCEPTED" }),
        )
        .with(Property::new_text("X-SLOTDAV-REFERENCE", &b.reference));
    Component::calendar(method).with_child(event).to_ics()
}
