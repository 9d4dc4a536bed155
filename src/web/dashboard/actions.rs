//! `POST /coach/bookings/{reference}/{action}`: the coach's actions on one
//! of their bookings, each a booking-service method that writes the
//! booking and its VEVENT together and queues the student's mail
//! (`booking::service::coach_actions`). The form must carry the session's
//! CSRF token (else 403, nothing done); success redirects to the
//! booking's page, a refusal (not started yet, not waiting for
//! confirmation, another coach's booking) is a readable page.
//!
//! May import: `app`, `booking`, the helpers of `web`.

use hyper::Response;

use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::booking::Attendance;
use crate::http::Body;

use super::{check_csrf, DashboardRequest};
use crate::web::errors::{booking_answer, PageError};
use crate::web::respond::{enc, error_page, redirect};
use crate::web::session::SignedIn;

/// What the coach does to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Decline,
    Cancel,
    Attended,
    NoShow,
    /// issue 11 §3 (C): a student's reschedule request.
    ApproveReschedule,
    DeclineReschedule,
}

impl Action {
    /// The action a path segment names.
    pub fn parse(segment: &str) -> Option<Action> {
        Some(match segment {
            "confirm" => Action::Confirm,
            "decline" => Action::Decline,
            "cancel" => Action::Cancel,
            "attended" => Action::Attended,
            "no-show" => Action::NoShow,
            "approve-reschedule" => Action::ApproveReschedule,
            "decline-reschedule" => Action::DeclineReschedule,
            _ => return None,
        })
    }

    pub fn segment(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::Decline => "decline",
            Action::Cancel => "cancel",
            Action::Attended => "attended",
            Action::NoShow => "no-show",
            Action::ApproveReschedule => "approve-reschedule",
            Action::DeclineReschedule => "decline-reschedule",
        }
    }
}

pub fn act(app: &App, req: &DashboardRequest, who: &SignedIn, coach: &CoachConfig, reference: &str, action: Action) -> Result<Response<Body>, PageError> {
    let form = req.page.form();
    check_csrf(who, &form)?;
    let message = form.get("message").map(String::as_str);
    let svc = &app.booking;
    let done = match action {
        Action::Confirm => svc.confirm_by_coach(&coach.user, reference),
        Action::Decline => svc.decline_by_coach(&coach.user, reference, message),
        Action::Cancel => svc.cancel_by_coach(&coach.user, reference, message),
        Action::Attended => svc.mark_attendance(&coach.user, reference, Attendance::Attended),
        Action::NoShow => svc.mark_attendance(&coach.user, reference, Attendance::NoShow),
        Action::ApproveReschedule => svc.approve_reschedule(&coach.user, reference),
        Action::DeclineReschedule => svc.decline_reschedule(&coach.user, reference, message),
    };
    let page = format!("/coach/bookings/{}", enc(reference));
    match done {
        Ok(_) => Ok(redirect(&format!("{page}?done={}", action.segment()))),
        Err(e) => {
            let a = booking_answer(&e);
            let back = (!a.status.is_server_error()).then(|| (page, "Back to the booking".to_string()));
            Ok(error_page(a.status, a.heading, &a.message, back))
        }
    }
}
