//! The student's booking as iCalendar: `GET /book/manage/{token}/booking.ics`
//! ("Add to calendar", a download) and `…/feed.ics` (a subscription that
//! follows moves and cancellation).
//!
//! May import: `app`, `booking`, `ical::export` (the feed envelope), hyper.

use bytes::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::Response;

use crate::app::App;
use crate::booking::service::BookingError;
use crate::http::Body;

use super::errors::PageError;

/// The booking of this manage token as a calendar subscription, so the
/// student's (or a parent's) calendar app follows moves and cancellation.
/// Only this booking: bookings are never looked up by email address,
/// which anyone can type into the form (issue 14, finding 1). A
/// cancelled booking leaves an empty feed, so subscribers drop it.
pub fn student_feed(app: &App, token: &str) -> Result<Response<Body>, PageError> {
    let booking = app.booking.booking(token)?;
    let coach = crate::booking::coach::by_user(app.booking.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let mut texts = Vec::new();
    if booking.is_active() {
        if let Ok(et) = app.booking.event_type(coach, &booking.event_type) {
            texts.push(app.booking.booking_ics(coach, et, &booking));
        }
    }
    let name = format!("{} – session with {}", booking.student_name, coach.display_name);
    let header = crate::ical::export::FeedHeader { name: &name, refresh_secs: app.config.feeds.refresh.num_seconds() };
    let ics = crate::ical::export::merge_feed(texts.iter().map(String::as_str), &header);
    let mut resp = Response::new(Body::new(Bytes::from(ics)));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, max-age=60"));
    Ok(resp)
}

/// The booking's event as a file to open in a calendar app.
pub fn booking_ics(app: &App, token: &str) -> Result<Response<Body>, PageError> {
    let booking = app.booking.booking(token)?;
    let coach = crate::booking::coach::by_user(app.booking.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = app.booking.event_type(coach, &booking.event_type)?;
    let ics = app.booking.booking_ics(coach, et, &booking);
    let mut resp = Response::new(Body::new(Bytes::from(ics)));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    resp.headers_mut().insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"booking.ics\""));
    Ok(resp)
}
