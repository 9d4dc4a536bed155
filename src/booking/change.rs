//! What happens to a booking, and who made it happen. A change of a
//! booking is described once, as a [`BookingChange`], and handed to every
//! hook the upper layers register with the booking service (mail, audit,
//! webhooks): each returns the records it writes **in the same batch** as
//! the change, so nothing is announced that did not happen and nothing
//! happens unannounced.
//!
//! [`Actor`] names who made a change; [`Outcome`] is what a booking
//! remembers beyond its status (who cancelled it and when, whether the
//! student came). Pure data: imports only the booking record and model.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::coach::CoachConfig;
use super::Booking;

/// Who made a change, as the audit trail and the analytics tell it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// A student (or their guardian) on the booking pages or the JSON API.
    Student { email: String },
    /// The coach, by editing the booking's event in their calendar app.
    CoachCalendar { coach: String },
    /// The coach, on the dashboard.
    CoachDashboard { coach: String },
    /// An administrator, with a `slotdav` command.
    Admin,
    /// slotdav itself: an expiry, a reminder, a lapse.
    System { cause: String },
}

impl Actor {
    /// A short machine-readable name: `student`, `coach-calendar`,
    /// `coach-dashboard`, `admin`, `system`.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Student { .. } => "student",
            Actor::CoachCalendar { .. } => "coach-calendar",
            Actor::CoachDashboard { .. } => "coach-dashboard",
            Actor::Admin => "admin",
            Actor::System { .. } => "system",
        }
    }

    /// Whether the coach made the change (in their app or on the dashboard).
    pub fn is_coach(&self) -> bool {
        matches!(self, Actor::CoachCalendar { .. } | Actor::CoachDashboard { .. })
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Student { email } => write!(f, "student {email}"),
            Actor::CoachCalendar { coach } => write!(f, "coach {coach} (calendar app)"),
            Actor::CoachDashboard { coach } => write!(f, "coach {coach} (dashboard)"),
            Actor::Admin => f.write_str("admin (command line)"),
            Actor::System { cause } => write!(f, "system ({cause})"),
        }
    }
}

/// Whether the student came to a session, as the coach marked it after
/// its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Attendance {
    Attended,
    NoShow,
}

/// How a booking was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub at: DateTime<Utc>,
    pub by: Actor,
    /// Cancelled after the event type's cancel deadline had passed (a
    /// coach may always cancel; a student only before the deadline).
    pub late: bool,
}

/// What a booking remembers beyond its status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub cancelled: Option<Cancellation>,
    pub attendance: Option<Attendance>,
}

/// What kind of change a [`BookingChange`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Booked,
    Rescheduled,
    CancelledByStudent,
    CancelledByCoach,
    MovedByCoach,
    ConfirmedByCoach,
    /// The coach refused a booking that waited for their confirmation.
    DeclinedByCoach,
    /// The coach marked the student attended or absent (no mail).
    AttendanceMarked,
    // --- issue 11 §3 (C): reschedules the coach approves. For the four
    // request kinds ([`ChangeKind::is_reschedule_request`]) `booking` is
    // the booking as the request would make it (at the proposed time,
    // never stored) and `previous` the booking as it is and stays.
    /// A student asked to move the booking; the coach is asked.
    RescheduleRequested,
    /// The coach declined the request (deleted or cancelled its event, or
    /// on the dashboard); the booking stays.
    RescheduleDeclined,
    /// Nobody answered until the proposed start minus `min_notice`.
    RescheduleLapsed,
    /// The student withdrew the request.
    RescheduleWithdrawn,
    /// The coach approved: the booking moved to the requested time (a
    /// stored change like [`ChangeKind::Rescheduled`]).
    RescheduleApproved,
}

impl ChangeKind {
    /// A change of a reschedule request, not of the stored booking (see
    /// the variants): mail and webhooks tell of it, reminders stay.
    pub fn is_reschedule_request(self) -> bool {
        matches!(
            self,
            ChangeKind::RescheduleRequested | ChangeKind::RescheduleDeclined | ChangeKind::RescheduleLapsed | ChangeKind::RescheduleWithdrawn
        )
    }
}

/// One change of one booking, handed to every registered hook.
pub struct BookingChange<'a> {
    /// The booking as it is after the change.
    pub booking: &'a Booking,
    /// The booking as it was before (`None` for a new booking).
    pub previous: Option<&'a Booking>,
    pub kind: ChangeKind,
    pub actor: Actor,
    pub coach: &'a CoachConfig,
    pub now: DateTime<Utc>,
    /// What the coach wrote to the student with a cancellation or a
    /// decline on the dashboard (the mail carries it); `None` otherwise.
    pub coach_message: Option<&'a str>,
}

/// What happened to a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldChangeKind {
    /// A student's browser held a slot.
    Placed,
    /// The same browser held another slot of the event type, which
    /// released this one.
    Replaced,
    /// Its few minutes passed without a booking (removed by the sweep).
    Expired,
}

/// One change of one hold, handed to every hook registered with
/// `BookingService::add_hold_hook` (the audit trail), whose records go
/// into the same batch.
pub struct HoldChange<'a> {
    pub hold: &'a super::service::HoldRecord,
    pub kind: HoldChangeKind,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}
