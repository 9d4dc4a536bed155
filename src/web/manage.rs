//! `GET /book/manage/{token}`: the student's booking, with what they may
//! still do online (move, cancel) or until when they could have.
//!
//! May import: `app`, `booking`, the page models, [`super::format`],
//! [`super::request`], [`super::respond`].

use hyper::Response;

use crate::app::App;
use crate::booking::service::BookingError;
use crate::booking::BookingStatus;
use crate::http::Body;

use super::errors::PageError;
use super::calendar_links::{google_link, outlook_link, EventLink};
use super::format::{date_and_time, deadline_text, human_duration, price, status_text, when_in};
use super::pages::BookingPage;
use super::request::PageRequest;
use super::respond::{enc, render, with_csrf};

/// The page; `message` (text, CSS class) is shown above the booking, else
/// the one the `done` query parameter asks for.
pub fn manage_page(app: &App, req: &PageRequest, token: &str, message: Option<(String, &str)>) -> Result<Response<Body>, PageError> {
    let svc = &app.booking;
    let booking = svc.booking(token)?;
    let coach = crate::booking::coach::by_user(svc.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = svc.event_type(coach, &booking.event_type)?;
    let zone = super::zones::student_zone(req.query.get("tz"), super::zones::remembered_zone(&req.headers), coach.policy.tz);
    let tz = zone.tz;
    let cycle = req.hour_cycle();
    let when = |r| when_in(r, tz, cycle);
    let now = svc.now();
    let message = message.or_else(|| match req.query.get("done").map(String::as_str) {
        Some("booked") if booking.status == BookingStatus::Tentative => {
            Some(("Your request is in. The coach will confirm it; you will get an email.".into(), "success"))
        }
        Some("booked") => Some(("You are booked. A confirmation is on its way to your inbox.".into(), "success")),
        Some("moved") => Some(("Your booking has been moved.".into(), "success")),
        Some("requested") => Some(("Your coach has been asked to move the session; you will get an email when they answer.".into(), "success")),
        _ => None,
    });
    // issue 11 §3 (C): a reschedule request waiting for the coach.
    let request = svc.reschedule_request(&booking)?.filter(|r| r.is_pending(now) && booking.is_active());
    let reschedule_request = request.as_ref().map(|r| {
        if r.approved {
            format!("Your coach approved moving this session to {}; the booking moves in a moment.", when(r.range))
        } else {
            format!(
                "You asked to move this session to {}. It waits for the coach; unanswered, the request lapses at {}.",
                when(r.range),
                date_and_time(r.expires_at, tz, cycle)
            )
        }
    });
    let can_withdraw = request.as_ref().is_some_and(|r| !r.approved);
    let cancel_ok = booking.can_cancel(now, et.cancel_notice);
    let resched_ok = crate::booking::can_reschedule(booking.range.start, now, et.reschedule_notice);
    let (csrf, fresh) = req.csrf();
    let token_enc = enc(token);
    let event_title = format!("{} with {}", et.title, coach.display_name);
    let event_details = format!("Booking {}. To change or cancel it: {}", booking.reference, svc.manage_url(&booking));
    let event = EventLink { title: &event_title, range: booking.range, details: &event_details, location: "" };
    let page = BookingPage {
        heading: match booking.status {
            BookingStatus::Cancelled => "Booking cancelled".into(),
            BookingStatus::Tentative => "Booking requested".into(),
            BookingStatus::Confirmed => "Your booking".into(),
        },
        message: message.as_ref().map(|(m, _)| m.clone()),
        message_class: message.map(|(_, c)| c.to_string()).unwrap_or_default(),
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        when: when(booking.range),
        tz: tz.name().to_string(),
        status: status_text(&booking).into(),
        reference: booking.reference.clone(),
        student_name: booking.student_name.clone(),
        price: price(&booking.price),
        duration: human_duration(booking.range.end - booking.range.start),
        location: None,
        google_link: google_link(&event),
        outlook_link: outlook_link(&event),
        active: booking.is_active(),
        ics_link: format!("/book/manage/{token_enc}/booking.ics"),
        feed_link: format!("/book/manage/{token_enc}/feed.ics"),
        can_reschedule: resched_ok.is_ok() && request.is_none(),
        reschedule_request,
        can_withdraw,
        withdraw_action: format!("/book/manage/{token_enc}/withdraw-request?tz={}", enc(tz.name())),
        reschedule_link: format!(
            "/book/{}/{}?tz={}&reschedule={token_enc}&week={}",
            enc(&coach.slug),
            enc(&et.slug),
            enc(tz.name()),
            booking.range.start.with_timezone(&tz).format("%Y-%m-%d")
        ),
        reschedule_closed: deadline_text("moved", resched_ok.err().map(|t| t.deadline), tz, cycle),
        can_cancel: cancel_ok.is_ok(),
        cancel_open: match cancel_ok {
            Ok(()) => format!(
                "This booking can be cancelled online until {}.",
                date_and_time(booking.cancel_deadline(et.cancel_notice), tz, cycle)
            ),
            Err(_) => String::new(),
        },
        cancel_action: format!("/book/manage/{token_enc}/cancel?tz={}", enc(tz.name())),
        cancel_closed: deadline_text("cancelled", cancel_ok.err().map(|t| t.deadline), tz, cycle),
        csrf: csrf.clone(),
        has_tz_param: zone.chosen,
        series_link: svc
            .series_occurrences(&booking)?
            .map(|_| format!("/book/manage/{token_enc}/series?tz={}", enc(tz.name()))),
    };
    Ok(with_csrf(render(page)?, &csrf, fresh))
}
