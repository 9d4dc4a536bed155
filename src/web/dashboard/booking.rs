//! `GET /coach/bookings/{reference}`: one of the coach's bookings with its
//! details, the student's manage link to copy, and the actions that apply
//! (confirm or decline a request, cancel with a message, mark attended or
//! no-show once it has started). Another coach's booking is a 403 page.
//!
//! May import: `app`, `booking`, `audit` (the booking's history), the
//! dashboard's models and the helpers of `web`.

use hyper::Response;

use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::booking::BookingStatus;
use crate::http::Body;

use super::home::{actor_text, header, local, row};
use super::pages::{BookingDetailPage, HistoryRow};
use super::DashboardRequest;
use crate::web::errors::PageError;
use crate::web::format::{price, when};
use crate::web::respond::{enc, render};
use crate::web::session::SignedIn;

pub fn booking_page(app: &App, req: &DashboardRequest, who: &SignedIn, coach: &CoachConfig, reference: &str) -> Result<Response<Body>, PageError> {
    let b = app.booking.coach_booking(&coach.user, reference)?;
    let now = app.clock.now();
    let tz = coach.policy.tz;
    let message = req.page.query.get("done").and_then(|done| match done.as_str() {
        "confirm" => Some("Confirmed. The student gets the invitation by email."),
        "decline" => Some("Declined. The student is told by email."),
        "cancel" => Some("Cancelled. The student is told by email."),
        "attended" => Some("Marked as attended."),
        "no-show" => Some("Marked as a no-show."),
        _ => None,
    });
    let cancelled = match (&b.outcome.cancelled, b.status) {
        (Some(c), BookingStatus::Cancelled) => format!(
            "Cancelled by {} on {}{}.",
            actor_text(&c.by),
            local(c.at, tz),
            if c.late { ", late (after the cancellation deadline)" } else { "" }
        ),
        (None, BookingStatus::Cancelled) => "Cancelled.".into(),
        _ => String::new(),
    };
    let started = now >= b.range.start;
    let history = crate::audit::for_booking(&*app.storage, &b.id)
        .unwrap_or_else(|e| {
            tracing::warn!(reference = %b.reference, error = %e, "cannot read the booking's audit trail");
            Vec::new()
        })
        .into_iter()
        .map(|e| HistoryRow {
            when: local(e.at, tz),
            who: actor_text(&e.actor),
            what: e.action.clone(),
            changes: e
                .changes
                .iter()
                .map(|c| format!("{}: {} → {}", c.field, c.before.as_deref().unwrap_or("–"), c.after.as_deref().unwrap_or("–")))
                .collect(),
        })
        .collect();
    // (D) the answers to the form's questions
    let answers = match coach.policy.event_type(&b.event_type) {
        Some(et) => crate::booking::service::details::labelled(et, &app.booking.answers_of(&b.id)?),
        None => app.booking.answers_of(&b.id)?,
    };
    let page = BookingDetailPage {
        answers,
        guardian: b.guardian.as_ref().map(|g| (g.name.clone(), g.email.clone())),
        header: header(who, coach),
        message: message.map(str::to_string),
        row: row(&b, coach, tz),
        when: when(b.range, tz),
        tz: tz.name().to_string(),
        price: price(&b.price),
        booked_at: local(b.created_at, tz),
        cancelled,
        manage_url: app.booking.manage_url(&b),
        action_base: format!("/coach/bookings/{}", enc(&b.reference)),
        can_confirm: b.status == BookingStatus::Tentative,
        can_cancel: b.is_active(),
        can_mark: b.is_active() && started,
        mark_later: if b.is_active() && !started {
            format!("Attendance can be marked once the session has started ({}).", local(b.range.start, tz))
        } else {
            String::new()
        },
        history,
    };
    render(page)
}
