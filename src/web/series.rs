//! `GET /book/manage/{token}/series` and `POST …/series/cancel`: the dates
//! of a recurring series (issue 11 §2), each with its status, and a form
//! per date to cancel it (under the cancel notice), a link to move it, or
//! to cancel every date still ahead (those inside the notice stay, and the
//! page names them). [`series_dates`] is the same list on the manage
//! page. Works without JavaScript; the outcome shows on this page.
//!
//! May import: `app`, `booking`, the page models, [`super::format`],
//! [`super::request`], [`super::respond`].

use askama::Template;
use chrono::DateTime;
use chrono_tz::Tz;
use hyper::{Response, StatusCode};

use crate::app::App;
use crate::booking::service::BookingError;
use crate::booking::Booking;
use crate::http::Body;

use super::errors::PageError;
use super::format::{status_text_in, when_in, zone};
use super::manage::booking_tr;
use super::request::PageRequest;
use super::respond::{enc, render, with_csrf};

/// One date of the series as the pages list it.
pub struct OccurrenceRow {
    pub when: String,
    pub status: String,
    /// The value the cancel form sends (RFC 3339); set while it may be cancelled.
    pub cancel_value: Option<String>,
    /// The slots page moving this date (its own booking's token); set
    /// while it may be moved.
    pub move_link: Option<String>,
}

/// A series' dates, laid out by `templates/series_dates.html` on this
/// page and on the manage page.
pub struct SeriesDates {
    pub tz: String,
    pub rows: Vec<OccurrenceRow>,
    pub any_cancellable: bool,
    pub cancel_action: String,
}

#[derive(Template)]
#[template(path = "series.html")]
pub struct SeriesPage {
    /// The page's language (issue 12 §5).
    pub tr: crate::i18n::Tr,
    pub title: String,
    pub coach_name: String,
    pub message: Option<String>,
    pub message_class: String,
    pub dates: SeriesDates,
    pub manage_link: String,
    pub csrf: String,
}

/// The dates of the series `booking` (its manage `token`) belongs to, as
/// seen in `tz`; `None` for a single booking.
pub fn series_dates(app: &App, tr: &crate::i18n::Tr, booking: &Booking, token: &str, tz: Tz) -> Result<Option<SeriesDates>, PageError> {
    let svc = &app.booking;
    let Some(occurrences) = svc.series_occurrences(booking)? else { return Ok(None) };
    let coach = crate::booking::coach::by_user(svc.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = svc.event_type(coach, &booking.event_type)?;
    let now = svc.now();
    let rows: Vec<OccurrenceRow> = occurrences
        .iter()
        .map(|o| {
            let b = &o.booking;
            let movable = b.is_active() && crate::booking::can_reschedule(b.range.start, now, et.reschedule_notice).is_ok();
            OccurrenceRow {
                when: when_in(tr, b.range, tz),
                status: status_text_in(tr, b),
                cancel_value: (b.is_active() && b.can_cancel(now, et.cancel_notice).is_ok()).then(|| o.recurrence_id.to_rfc3339()),
                move_link: movable.then(|| {
                    format!(
                        "/book/{}/{}?tz={}&reschedule={}&week={}",
                        enc(&coach.slug),
                        enc(&et.slug),
                        enc(tz.name()),
                        enc(&svc.manage_token(b)),
                        b.range.start.with_timezone(&tz).format("%Y-%m-%d")
                    )
                }),
            }
        })
        .collect();
    Ok(Some(SeriesDates {
        tz: tz.name().to_string(),
        any_cancellable: rows.iter().any(|r| r.cancel_value.is_some()),
        rows,
        cancel_action: format!("/book/manage/{}/series/cancel?tz={}", enc(token), enc(tz.name())),
    }))
}

pub fn series_page(app: &App, req: &PageRequest, token: &str, message: Option<(String, &str)>) -> Result<Response<Body>, PageError> {
    let svc = &app.booking;
    // (issue 11 §4) a guardian's read-only link lists the dates without forms
    let (booking, role) = svc.manage_access(token)?;
    let coach = crate::booking::coach::by_user(svc.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = svc.event_type(coach, &booking.event_type)?;
    let tz = zone(req.query.get("tz"), coach.policy.tz);
    let tr = super::locale::page_tr_at(req, &format!("/book/manage/{}/series", enc(token)), Some(coach), Some(crate::i18n::Locale::from_stored(&booking.locale)));
    let mut dates = series_dates(app, &tr, &booking, token, tz)?.ok_or(PageError::NotFound)?;
    if !role.may_change() {
        for row in &mut dates.rows {
            row.cancel_value = None;
            row.move_link = None;
        }
        dates.any_cancellable = false;
    }
    let (csrf, fresh) = req.csrf();
    let page = SeriesPage {
        tr,
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        message: message.as_ref().map(|(m, _)| m.clone()),
        message_class: message.map(|(_, c)| c.to_string()).unwrap_or_default(),
        dates,
        manage_link: format!("/book/manage/{}?tz={}", enc(token), enc(tz.name())),
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
    match app.booking.cancel_series_detailed(token, occurrence) {
        Ok(done) => {
            let tz = zone(req.query.get("tz"), crate::booking::coach::by_user(app.booking.coaches(), &done.booking.coach).map(|c| c.policy.tz).unwrap_or(chrono_tz::UTC));
            let text = match (occurrence, done.kept.as_slice()) {
                (Some(_), _) => tr.t("series-date-cancelled"),
                (None, []) => tr.t("series-all-cancelled"),
                (None, kept) => format!(
                    "{} cancelled. Too close to cancel online, still booked: {}.",
                    if done.cancelled.len() == 1 { "1 date is".to_string() } else { format!("{} dates are", done.cancelled.len()) },
                    kept.iter().map(|k| when_in(&tr, k.booking.range, tz)).collect::<Vec<_>>().join("; ")
                ),
            };
            series_page(app, req, token, Some((text, "success")))
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
