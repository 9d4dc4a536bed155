//! `GET /coach/`: the coach's day at a glance, in the coach's zone: what
//! waits for them (bookings to confirm, reschedule requests to approve
//! or decline), upcoming sessions by day, the
//! sessions of the last two weeks (to mark attended or no-show), and the
//! cancellations of the last 30 days with who cancelled and whether late.
//! Read from the booking records, which a change in the calendar app
//! updates in the same write, so such a change shows at once.
//!
//! May import: `app`, `booking`, the dashboard's models and the helpers of `web`.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use hyper::Response;

use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::booking::{Actor, Attendance, Booking, BookingStatus};
use crate::http::Body;

use super::pages::{BookingRow, CancellationRow, DayGroup, Header, HomePage, RescheduleRow, WaitlistRow};
use super::DashboardRequest;
use crate::web::errors::PageError;
use crate::web::respond::{enc, render};
use crate::web::session::SignedIn;

/// Upcoming sessions shown at most.
const MAX_UPCOMING: usize = 200;
/// Past sessions listed for attendance: those that started this recently.
const RECENT_DAYS: i64 = 14;
/// Cancellations listed: those of this many days, at most [`MAX_CANCELLATIONS`].
const CANCELLED_DAYS: i64 = 30;
const MAX_CANCELLATIONS: usize = 20;

pub fn home_page(app: &App, _req: &DashboardRequest, who: &SignedIn, coach: &CoachConfig) -> Result<Response<Body>, PageError> {
    let now = app.clock.now();
    let tz = coach.policy.tz;
    let bookings = app.booking.bookings_of_coach(&coach.user)?;
    let pending = bookings.iter().filter(|b| b.status == BookingStatus::Tentative && b.range.end > now).map(|b| row(b, coach, tz)).collect();
    let waitlists = app
        .booking
        .waitlists_of_coach(&coach.user)?
        .into_iter()
        .filter(|(_, r, _)| r.end > now)
        .map(|(et, r, waiting)| WaitlistRow {
            when: local(r.start, tz),
            title: coach.policy.event_type(&et).map_or(et.clone(), |t| t.title.clone()),
            waiting,
        })
        .collect();
    let upcoming: Vec<&Booking> = bookings.iter().filter(|b| b.is_active() && b.range.end > now).collect();
    let mut days: Vec<DayGroup> = Vec::new();
    for b in upcoming.iter().take(MAX_UPCOMING) {
        let r = row(b, coach, tz);
        match days.last_mut() {
            Some(day) if day.label == r.date => day.rows.push(r),
            _ => days.push(DayGroup { label: r.date.clone(), rows: vec![r] }),
        }
    }
    let recent = bookings
        .iter()
        .rev()
        .filter(|b| b.is_active() && b.range.start <= now && b.range.start > now - Duration::days(RECENT_DAYS))
        .map(|b| row(b, coach, tz))
        .collect();
    let mut cancelled: Vec<(&Booking, &crate::booking::Cancellation)> = bookings
        .iter()
        .filter_map(|b| b.outcome.cancelled.as_ref().map(|c| (b, c)))
        .filter(|(b, c)| b.status == BookingStatus::Cancelled && c.at > now - Duration::days(CANCELLED_DAYS))
        .collect();
    cancelled.sort_by_key(|(_, c)| std::cmp::Reverse(c.at));
    let cancellations = cancelled
        .into_iter()
        .take(MAX_CANCELLATIONS)
        .map(|(b, c)| CancellationRow { row: row(b, coach, tz), by: actor_text(&c.by), at: local(c.at, tz), late: c.late })
        .collect();
    // issue 11 §3 (C): reschedule requests waiting for the coach.
    let mut reschedule_requests = Vec::new();
    for b in bookings.iter().filter(|b| b.is_active()) {
        let Some(r) = app.booking.reschedule_request(b)?.filter(|r| r.is_pending(now) && !r.approved) else { continue };
        let (start, end) = (r.range.start.with_timezone(&tz), r.range.end.with_timezone(&tz));
        reschedule_requests.push(RescheduleRow {
            row: row(b, coach, tz),
            requested: format!("{}, {}–{}", start.format("%A %-d %B %Y"), start.format("%H:%M"), end.format("%H:%M")),
            lapses: local(r.expires_at, tz),
            action_base: format!("/coach/bookings/{}", enc(&b.reference)),
        });
    }
    let base = crate::booking::links::base(&app.config.public_url);
    let booking_page = format!("{base}/book/{}", enc(&coach.slug));
    let (embed_frame, embed_link) = crate::web::embed::snippets(&crate::i18n::Tr::new(coach.language), &base, &booking_page, &coach.display_name);
    render(HomePage {
        booking_page,
        embed_frame,
        embed_link,
        reschedule_requests,
        header: header(who, coach),
        tz: tz.name().to_string(),
        today: now.with_timezone(&tz).format("%A %-d %B %Y").to_string(),
        pending,
        waitlists,
        days,
        more_upcoming: upcoming.len() > MAX_UPCOMING,
        recent,
        cancellations,
    })
}

/// The header of every signed-in page.
pub fn header(who: &SignedIn, coach: &CoachConfig) -> Header {
    Header { coach_name: coach.display_name.clone(), user: who.user.name.clone(), csrf: who.session.csrf.clone() }
}

/// One booking as a list row, in the coach's zone.
pub fn row(b: &Booking, coach: &CoachConfig, tz: Tz) -> BookingRow {
    let start = b.range.start.with_timezone(&tz);
    let end = b.range.end.with_timezone(&tz);
    BookingRow {
        link: format!("/coach/bookings/{}", enc(&b.reference)),
        reference: b.reference.clone(),
        date: start.format("%A %-d %B %Y").to_string(),
        time: format!("{}–{}", start.format("%H:%M"), end.format("%H:%M")),
        title: coach.policy.event_type(&b.event_type).map(|et| et.title.clone()).unwrap_or_else(|| b.event_type.clone()),
        student_name: b.student_name.clone(),
        student_email: b.student_email.clone(),
        note: b.student_note.clone(),
        status: status_text(b).into(),
        attendance: match b.outcome.attendance {
            Some(Attendance::Attended) => "Attended".into(),
            Some(Attendance::NoShow) => "No-show".into(),
            None => String::new(),
        },
    }
}

/// A booking's status, as the coach reads it.
pub fn status_text(b: &Booking) -> &'static str {
    match b.status {
        BookingStatus::Confirmed => "Confirmed",
        BookingStatus::Tentative => "Waiting for your confirmation",
        BookingStatus::Cancelled => "Cancelled",
    }
}

/// Who made a change, as the coach reads it.
pub fn actor_text(actor: &Actor) -> String {
    match actor {
        Actor::Student { .. } => "the student".into(),
        Actor::CoachCalendar { .. } => "you, in your calendar app".into(),
        Actor::CoachDashboard { .. } => "you, on the dashboard".into(),
        Actor::Admin => "an administrator".into(),
        Actor::System { cause } => format!("slotdav ({cause})"),
    }
}

/// An instant in the coach's zone, e.g. "Mon 4 Mar 2030 09:00".
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %-d %b %Y %H:%M").to_string()
}
