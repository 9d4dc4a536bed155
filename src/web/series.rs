//! `GET /book/manage/{token}/series` and `POST …/series/cancel`: the dates
//! of a recurring series (issue 11 §2), each with its status, and a form
//! per date to cancel it (under the cancel notice) or to cancel every date
//! still ahead. Works without JavaScript; the outcome shows on this page.
//!
//! May import: `app`, `booking`, the page models, [`super::format`],
//! [`super::request`], [`super::respond`].

use askama::Template;
use chrono::DateTime;
use hyper::{Response, StatusCode};

use crate::app::App;
use crate::booking::service::BookingError;
use crate::http::Body;

use super::errors::PageError;
use super::format::{status_text_in, when_in, zone};
use super::manage::booking_tr;
use super::request::PageRequest;
use super::respond::{enc, render, with_csrf};

/// One date of the series as the page lists it.
pub struct OccurrenceRow {
    pub when: String,
    pub status: String,
    /// The value the cancel form sends (RFC 3339); set while it may be cancelled.
    pub cancel_value: Option<String>,
}

#[derive(Template)]
#[template(path = "series.html")]
pub struct SeriesPage {
    /// The page's language (issue 12 §5).
    pub tr: crate::i18n::Tr,
    pub title: String,
    pub coach_name: String,
    pub tz: String,
    pub message: Option<String>,
    pub message_class: String,
    pub rows: Vec<OccurrenceRow>,
    pub any_cancellable: bool,
    pub cancel_action: String,
    pub manage_link: String,
    pub csrf: String,
}

pub fn series_page(app: &App, req: &PageRequest, token: &str, message: Option<(String, &str)>) -> Result<Response<Body>, PageError> {
    let svc = &app.booking;
    let booking = svc.booking(token)?;
    let coach = crate::booking::coach::by_user(svc.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = svc.event_type(coach, &booking.event_type)?;
    let occurrences = svc.series_occurrences(&booking)?.ok_or(PageError::NotFound)?;
    let tz = zone(req.query.get("tz"), coach.policy.tz);
    let tr = super::locale::page_tr_at(req, &format!("/book/manage/{}/series", enc(token)), Some(coach), Some(crate::i18n::Locale::from_stored(&booking.locale)));
    let now = svc.now();
    let rows: Vec<OccurrenceRow> = occurrences
        .iter()
        .map(|o| OccurrenceRow {
            when: when_in(&tr, o.booking.range, tz),
            status: status_text_in(&tr, &o.booking),
            cancel_value: (o.booking.is_active() && o.booking.can_cancel(now, et.cancel_notice).is_ok()).then(|| o.recurrence_id.to_rfc3339()),
        })
        .collect();
    let (csrf, fresh) = req.csrf();
    let token_enc = enc(token);
    let page = SeriesPage {
        tr,
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        tz: tz.name().to_string(),
        message: message.as_ref().map(|(m, _)| m.clone()),
        message_class: message.map(|(_, c)| c.to_string()).unwrap_or_default(),
        any_cancellable: rows.iter().any(|r| r.cancel_value.is_some()),
        rows,
        cancel_action: format!("/book/manage/{token_enc}/series/cancel?tz={}", enc(tz.name())),
        manage_link: format!("/book/manage/{token_enc}?tz={}", enc(tz.name())),
        csrf: csrf.clone(),
    };
    Ok(with_csrf(render(page)?, &csrf, fresh))
}

fn tr_invalid_date(app: &App, req: &PageRequest, token: &str) -> String {
    booking_tr(app, req, token).t("series-invalid-date")
}

/// Cancels the date the form names (`occurrence`), or every date still
/// ahead (`all`).
pub fn cancel_occurrence(app: &App, req: &PageRequest, token: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    req.check_csrf(&form)?;
    let occurrence = match form.get("occurrence").filter(|_| !form.contains_key("all")) {
        Some(s) => Some(DateTime::parse_from_rfc3339(s).map_err(|_| PageError::BadRequest(tr_invalid_date(app, req, token)))?.to_utc()),
        None => None,
    };
    let tr = booking_tr(app, req, token);
    match app.booking.cancel_series(token, occurrence) {
        Ok(_) => {
            let done = if occurrence.is_some() { tr.t("series-date-cancelled") } else { tr.t("series-all-cancelled") };
            series_page(app, req, token, Some((done, "success")))
        }
        Err(BookingError::TooLate { deadline }) => {
            let text = tr.t1("manage-too-late-to-cancel", "deadline", deadline.format("%Y-%m-%d %H:%M UTC").to_string());
            let mut resp = series_page(app, req, token, Some((text, "error")))?;
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}
