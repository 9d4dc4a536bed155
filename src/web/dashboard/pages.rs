//! The dashboard's askama models: plain strings prepared by the handlers,
//! so the templates (`templates/dashboard*.html`) only lay them out and
//! escape them.

use askama::Template;

/// What every signed-in page shows in its header.
pub struct Header {
    pub coach_name: String,
    pub user: String,
    /// The session's CSRF token, for the sign-out form and every other.
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "dashboard_login.html")]
pub struct LoginPage {
    pub site_name: String,
    /// The booking pages' double-submit token (there is no session yet).
    pub csrf: String,
    /// Why the form is shown again, or that the user signed out.
    pub message: Option<String>,
    /// `error` or `success`.
    pub message_class: String,
    /// The user name typed before, shown again.
    pub user: String,
}

/// One booking in a list.
pub struct BookingRow {
    /// `/coach/bookings/{reference}`.
    pub link: String,
    pub reference: String,
    /// In the coach's zone, e.g. "Wednesday 6 March 2030".
    pub date: String,
    /// e.g. "10:00–10:30".
    pub time: String,
    pub title: String,
    pub student_name: String,
    pub student_email: String,
    pub note: Option<String>,
    pub status: String,
    /// "Attended", "No-show" or empty.
    pub attendance: String,
}

/// The upcoming sessions of one local day.
pub struct DayGroup {
    pub label: String,
    pub rows: Vec<BookingRow>,
}

/// One recent cancellation.
pub struct CancellationRow {
    pub row: BookingRow,
    /// Who cancelled it, in the coach's words ("the student", "you, in
    /// your calendar app" …).
    pub by: String,
    /// When, in the coach's zone.
    pub at: String,
    pub late: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct HomePage {
    pub header: Header,
    pub tz: String,
    pub today: String,
    pub pending: Vec<BookingRow>,
    /// Full sessions people wait for (waitlists, part A).
    pub waitlists: Vec<WaitlistRow>,
    pub days: Vec<DayGroup>,
    /// More upcoming sessions than shown.
    pub more_upcoming: bool,
    /// Sessions of the last days (to mark attended or no-show).
    pub recent: Vec<BookingRow>,
    pub cancellations: Vec<CancellationRow>,
    /// issue 11 §3 (C): students' reschedule requests waiting for the coach.
    pub reschedule_requests: Vec<RescheduleRow>,
    /// (issue 12 §6) "Put this on your website": the booking page's URL,
    /// the self-sizing iframe snippet and the plain link button.
    pub booking_page: String,
    pub embed_frame: String,
    pub embed_link: String,
}

/// A reschedule request waiting for the coach (issue 11 §3): the booking
/// as it is, the time asked for, when it lapses, where to answer.
pub struct RescheduleRow {
    pub row: BookingRow,
    pub requested: String,
    pub lapses: String,
    /// `/coach/bookings/{reference}`: the actions are this plus
    /// `/approve-reschedule` and `/decline-reschedule`.
    pub action_base: String,
}

#[derive(Template)]
#[template(path = "dashboard_booking.html")]
pub struct BookingDetailPage {
    pub header: Header,
    pub message: Option<String>,
    pub row: BookingRow,
    /// The full time, e.g. "Wednesday 6 March 2030, 10:00 – 10:30".
    pub when: String,
    pub tz: String,
    pub price: String,
    pub booked_at: String,
    /// Who cancelled it, when, whether late; empty when active.
    pub cancelled: String,
    /// The student's manage link, to copy into a message.
    pub manage_url: String,
    /// `/coach/bookings/{reference}`, the base of the actions.
    pub action_base: String,
    pub can_confirm: bool,
    pub can_cancel: bool,
    pub can_mark: bool,
    /// Why attendance cannot be marked yet (empty when it can or never will).
    pub mark_later: String,
    /// The booking's audit trail, oldest first.
    pub history: Vec<HistoryRow>,
    /// (D) The student's answers to the form's questions, as (label, answer).
    pub answers: Vec<(String, String)>,
    /// (issue 11 §4) The parent or guardian who follows the booking: (name, email).
    pub guardian: Option<(String, String)>,
}

/// One entry of a booking's audit trail, as the coach reads it.
pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub what: String,
    /// "status: tentative → confirmed", one per changed field.
    pub changes: Vec<String>,
}

/// A full session and how many wait for a seat (waitlists, part A).
pub struct WaitlistRow {
    pub when: String,
    pub title: String,
    pub waiting: usize,
}
