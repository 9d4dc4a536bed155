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
use super::format::{deadline_text_in, price_in, status_text_in, when_in};
use super::locale::page_tr_at;
use crate::i18n::{dates, Arg, Locale, Tr};
use super::pages::BookingPage;
use super::request::PageRequest;
use super::respond::{enc, render, with_csrf};

/// The page's translator: the booking's own language unless the student
/// chose another.
pub fn booking_tr(app: &App, req: &PageRequest, token: &str) -> Tr {
    let booking = app.booking.booking(token).ok();
    let coach = booking.as_ref().and_then(|b| crate::booking::coach::by_user(app.booking.coaches(), &b.coach));
    page_tr_at(req, &format!("/book/manage/{}", enc(token)), coach, booking.as_ref().map(|b| Locale::from_stored(&b.locale)))
}

/// The page; `message` (a message key and arguments, CSS class) is shown
/// above the booking, else the one the `done` query parameter asks for.
pub fn manage_page(app: &App, req: &PageRequest, token: &str, message: Option<(String, &str)>) -> Result<Response<Body>, PageError> {
    let svc = &app.booking;
    let (booking, role) = svc.manage_access(token)?;
    // (issue 11 §4) a guardian's read-only link shows the booking, no forms
    let read_only = !role.may_change();
    let coach = crate::booking::coach::by_user(svc.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let tr = page_tr_at(req, &format!("/book/manage/{}", enc(token)), Some(coach), Some(Locale::from_stored(&booking.locale)));
    let et = svc.event_type(coach, &booking.event_type)?;
    let zone = super::zones::student_zone(req.query.get("tz"), super::zones::remembered_zone(&req.headers), coach.policy.tz);
    let tz = zone.tz;
    let now = svc.now();
    let message = message.or_else(|| match req.query.get("done").map(String::as_str) {
        Some("booked") if booking.status == BookingStatus::Tentative => Some((tr.t("manage-done-requested-booking"), "success")),
        Some("booked") => Some((tr.t("manage-done-booked"), "success")),
        Some("moved") => Some((tr.t("manage-done-moved"), "success")),
        Some("requested") => Some((tr.t("manage-done-requested-move"), "success")),
        _ if read_only => Some((tr.t1("manage-guardian-follows", "student", &booking.student_name), "")),
        _ => None,
    });
    // issue 11 §3 (C): a reschedule request waiting for the coach.
    let request = svc.reschedule_request(&booking)?.filter(|r| r.is_pending(now) && booking.is_active());
    let reschedule_request = request.as_ref().map(|r| {
        if r.approved {
            tr.t1("manage-request-approved", "when", when_in(&tr, r.range, tz))
        } else {
            tr.t2("manage-request-waiting", "when", when_in(&tr, r.range, tz), "lapses", dates::date_time(tr.locale, &r.expires_at.with_timezone(&tz)))
        }
    });
    let can_withdraw = request.as_ref().is_some_and(|r| !r.approved) && !read_only;
    let cancel_ok = booking.can_cancel(now, et.cancel_notice);
    let resched_ok = crate::booking::can_reschedule(booking.range.start, now, et.reschedule_notice);
    let (csrf, fresh) = req.csrf();
    let token_enc = enc(token);
    // issue 11 §2: a series is changed date by date (or all remaining) in
    // its list; the page stays open while any date is still on.
    let series_dates = super::series::series_dates(app, &tr, &booking, token, tz)?;
    let in_series = series_dates.is_some();
    let series_active = svc.series_occurrences(&booking)?.is_some_and(|all| all.iter().any(|o| o.booking.is_active()));
    let about = super::profile::EventAbout::of_booking(&tr, et, &booking.id);
    let event_title = tr.t2("session-with", "title", &et.title, "coach", &coach.display_name);
    let event_details = format!(
        "{}\n{}",
        tr.t_args("ics-booking", &[("reference", Arg::from(&booking.reference)), ("price", Arg::from(price_in(&tr, &booking.price)))]),
        tr.t1("ics-manage", "url", svc.manage_url(&booking))
    );
    let event_location = if about.location_label.is_empty() { "" } else { about.location_text.as_str() };
    let event = EventLink { title: &event_title, range: booking.range, details: &event_details, location: event_location };
    let google = google_link(&event);
    let outlook = outlook_link(&event);
    let page = BookingPage {
        about,
        heading: match booking.status {
            BookingStatus::Cancelled if series_active => tr.t("manage-heading-confirmed"),
            BookingStatus::Cancelled => tr.t("manage-heading-cancelled"),
            BookingStatus::Tentative => tr.t("manage-heading-requested"),
            BookingStatus::Confirmed => tr.t("manage-heading-confirmed"),
        },
        message: message.as_ref().map(|(m, _)| m.clone()),
        message_class: message.map(|(_, c)| c.to_string()).unwrap_or_default(),
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        when: when_in(&tr, booking.range, tz),
        tz: tz.name().to_string(),
        status: status_text_in(&tr, &booking),
        reference: booking.reference.clone(),
        student_name: booking.student_name.clone(),
        price: price_in(&tr, &booking.price),
        google_link: google,
        outlook_link: outlook,
        active: booking.is_active() || series_active,
        ics_link: format!("/book/manage/{token_enc}/booking.ics"),
        feed_link: format!("/book/manage/{token_enc}/feed.ics"),
        can_reschedule: resched_ok.is_ok() && request.is_none() && !read_only && !in_series,
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
        reschedule_closed: if read_only {
            tr.t("manage-guardian-read-only")
        } else if in_series {
            tr.t("manage-series-change-dates")
        } else {
            deadline_text_in(&tr, "deadline-moved", resched_ok.err().map(|t| t.deadline), tz)
        },
        can_cancel: cancel_ok.is_ok() && !read_only && !in_series,
        cancel_open: match cancel_ok {
            Ok(()) => tr.t1("manage-cancel-open", "until", dates::date_time(tr.locale, &booking.cancel_deadline(et.cancel_notice).with_timezone(&tz))),
            Err(_) => String::new(),
        },
        cancel_action: format!("/book/manage/{token_enc}/cancel?tz={}", enc(tz.name())),
        cancel_closed: if read_only || in_series { String::new() } else { deadline_text_in(&tr, "deadline-cancelled", cancel_ok.err().map(|t| t.deadline), tz) },
        csrf: csrf.clone(),
        has_tz_param: zone.chosen,
        series_link: svc
            .series_occurrences(&booking)?
            .map(|_| format!("/book/manage/{token_enc}/series?tz={}", enc(tz.name()))),
        series_dates,
        tr,
    };
    Ok(with_csrf(render(page)?, &csrf, fresh))
}
