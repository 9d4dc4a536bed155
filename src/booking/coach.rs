//! A coach as slotdav runs them: the booking rules ([`Coach`]) plus where
//! their data lives (availability, busy and bookings calendars, external
//! busy calendars) and how they want to be told. Built from the `[[coach]]`
//! configuration blocks; plain data, no I/O.

use super::policy::Coach;

/// An external ICS calendar whose events block a coach's slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalBusy {
    pub url: String,
    /// The read-only calendar in the coach's home it is mirrored into.
    pub name: String,
    pub refresh: chrono::Duration,
}

/// Which of a coach's calendars count as busy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusyCalendars {
    /// Every calendar of the coach except the availability calendar.
    All,
    Only(Vec<String>),
}

/// A validated coach: the booking rules plus where their data lives.
#[derive(Debug, Clone)]
pub struct CoachConfig {
    /// The slotdav user.
    pub user: String,
    /// Public link: `/book/{slug}`.
    pub slug: String,
    /// Shown on the booking page.
    pub display_name: String,
    pub policy: Coach,
    pub availability_calendar: String,
    pub busy_calendars: BusyCalendars,
    pub bookings_calendar: String,
    /// Email the coach about bookings, cancellations and reschedules made by students.
    pub notify_coach: bool,
    /// External calendars (Google, Outlook …) whose busy time blocks slots.
    pub external_busy: Vec<ExternalBusy>,
    /// Shown on the front page (`/`) with a link to the booking page.
    pub listed: bool,
    // --- profile (issue 12 §3) ---
    /// A few paragraphs about the coach on their booking pages.
    pub bio: super::richtext::RichText,
    /// The coach's photo: a file path relative to the data directory,
    /// served at `/book/{slug}/photo.img` (`web::photo`).
    pub photo: Option<std::path::PathBuf>,
    // --- end profile ---
    /// (issue 12 §5) The language of the coach's booking pages and of the
    /// mails and calendar texts their students get, unless the student
    /// chooses another.
    pub language: crate::i18n::Locale,
    /// Whether the student's browser (`Accept-Language`) may choose the
    /// language instead of [`CoachConfig::language`].
    pub browser_language: bool,
}

/// The coach whose slotdav user is `user` (the owner of a booking, a hold
/// or a calendar), if that user is a coach.
pub fn by_user<'a>(coaches: &'a [CoachConfig], user: &str) -> Option<&'a CoachConfig> {
    coaches.iter().find(|c| c.user == user)
}
