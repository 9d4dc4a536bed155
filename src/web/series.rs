//! `GET /book/manage/{token}/series`, `POST …/series/cancel` and
//! `POST …/series/move`: the dates of a recurring series (issue 11 §2),
//! each with its status, and a form per date to cancel it (under the
//! cancel notice), a link to move it, or to cancel every date still ahead
//! (those inside the notice stay, and the page names them). The page also
//! moves every date still ahead at once: the student picks the new time
//! of the next date from a week of open times (`?move_week=` pages through
//! the weeks), and every later date moves by as much on the coach's wall
//! clock, or nothing moves and the page names the new dates that are not
//! free. [`series_dates`] is the same list on the manage page. Works
//! without JavaScript; the outcome shows on this page.
//!
//! May import: `app`, `booking`, `i18n`, the page models,
//! [`super::format`], [`super::request`], [`super::respond`].

use askama::Template;
use chrono::{DateTime, Duration, NaiveDate};
use chrono_tz::Tz;
use hyper::{Response, StatusCode};

use crate::app::App;
use crate::booking::service::BookingError;
use crate::booking::Booking;
use crate::http::Body;
use crate::i18n::{dates, Arg, Tr};
use crate::model::TimeRange;

use super::errors::PageError;
use super::format::{local_midnight, status_text_in, week_start, when_in, zone};
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

/// One open time the remaining dates may move to.
pub struct MoveChoice {
    /// The form value (RFC 3339).
    pub value: String,
    pub label: String,
}

/// The form moving every remaining date, laid out by
/// `templates/series_move.html`.
pub struct MoveAll {
    /// The next date that would move, in words.
    pub first: String,
    pub week_label: String,
    pub choices: Vec<MoveChoice>,
    pub earlier_link: Option<String>,
    pub later_link: String,
    pub action: String,
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
    /// `None` when no date may be moved online (or the link is read-only).
    pub move_all: Option<MoveAll>,
    /// The coach approves every move of this type: dates move one by one.
    pub moves_need_approval: bool,
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
    let movable = role.may_change() && dates.rows.iter().any(|r| r.move_link.is_some());
    let move_all = match movable && !et.reschedule_requires_approval {
        true => Some(move_all_form(app, &tr, req, &booking, token, tz)?),
        false => None,
    };
    let (csrf, fresh) = req.csrf();
    let page = SeriesPage {
        tr,
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        message: message.as_ref().map(|(m, _)| m.clone()),
        message_class: message.map(|(_, c)| c.to_string()).unwrap_or_default(),
        dates,
        moves_need_approval: movable && et.reschedule_requires_approval,
        move_all,
        manage_link: format!("/book/manage/{}?tz={}", enc(token), enc(tz.name())),
        csrf: csrf.clone(),
    };
    Ok(with_csrf(render(page)?, &csrf, fresh))
}

/// A week of open times for the next date still ahead that may move:
/// the week `?move_week=` names, else that date's own week.
fn move_all_form(app: &App, tr: &Tr, req: &PageRequest, booking: &Booking, token: &str, tz: Tz) -> Result<MoveAll, PageError> {
    let svc = &app.booking;
    let now = svc.now();
    let coach = crate::booking::coach::by_user(svc.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
    let et = svc.event_type(coach, &booking.event_type)?;
    let next = svc
        .series_occurrences(booking)?
        .unwrap_or_default()
        .into_iter()
        .map(|o| o.booking)
        .find(|b| b.is_active() && b.range.start > now && crate::booking::can_reschedule(b.range.start, now, et.reschedule_notice).is_ok())
        .ok_or(BookingError::BookingCancelled)?;
    let own_week = next.range.start.with_timezone(&tz).format("%Y-%m-%d").to_string();
    let monday = week_start(Some(req.query.get("move_week").unwrap_or(&own_week)), tz, now);
    let range = TimeRange::new(local_midnight(tz, monday), local_midnight(tz, monday + Duration::days(7)));
    let loc = tr.locale;
    let choices = svc
        .slots(&coach.slug, &et.slug, range)?
        .into_iter()
        .map(|s| MoveChoice { value: s.range.start.to_rfc3339(), label: dates::day_time(loc, &s.range.start.with_timezone(&tz)) })
        .collect();
    let link = |d: NaiveDate| format!("/book/manage/{}/series?tz={}&move_week={}#move-all", enc(token), enc(tz.name()), d.format("%Y-%m-%d"));
    Ok(MoveAll {
        first: when_in(tr, next.range, tz),
        week_label: dates::week(loc, monday, monday + Duration::days(6)),
        choices,
        earlier_link: (monday > week_start(None, tz, now)).then(|| link(monday - Duration::days(7))),
        later_link: link(monday + Duration::days(7)),
        action: format!("/book/manage/{}/series/move?tz={}", enc(token), enc(tz.name())),
    })
}

/// Moves every date still ahead: the next one to the time the form names
/// (`start`), each later one by as much; those inside the reschedule
/// notice stay and are named. Nothing moves when a new date is not free.
pub fn move_remaining(app: &App, req: &PageRequest, token: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    req.check_csrf(&form)?;
    let tr = booking_tr(app, req, token);
    let start = match form.get("start").map(|s| DateTime::parse_from_rfc3339(s.trim())) {
        Some(Ok(t)) => t.to_utc(),
        _ => {
            let mut resp = series_page(app, req, token, Some((tr.t("series-move-invalid"), "error")))?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(resp);
        }
    };
    let booking = app.booking.booking(token)?;
    let tz = zone(req.query.get("tz"), crate::booking::coach::by_user(app.booking.coaches(), &booking.coach).map(|c| c.policy.tz).unwrap_or(chrono_tz::UTC));
    let (text, class, status) = match app.booking.reschedule_series(token, start) {
        Ok(done) if done.kept.is_empty() => (tr.t("series-all-moved"), "success", StatusCode::OK),
        Ok(done) => (kept_text(&tr, "series-some-moved", done.moved.len(), done.kept.iter().map(|k| k.booking.range), tz), "success", StatusCode::OK),
        Err(BookingError::SeriesConflicts { conflicts }) => {
            let coach = crate::booking::coach::by_user(app.booking.coaches(), &booking.coach).ok_or(BookingError::UnknownCoach)?;
            let et = app.booking.event_type(coach, &booking.event_type)?;
            let listed: Vec<String> = conflicts.iter().map(|t| when_in(&tr, TimeRange::new(*t, *t + et.duration), tz)).collect();
            (tr.t1("series-move-conflicts", "dates", listed.join("; ")), "error", StatusCode::CONFLICT)
        }
        Err(BookingError::TooLate { deadline }) => {
            (tr.t1("series-too-late-to-move", "deadline", dates::day_time(tr.locale, &deadline.with_timezone(&tz))), "error", StatusCode::CONFLICT)
        }
        Err(BookingError::InvalidInput { .. }) => (tr.t("series-move-invalid"), "error", StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    let mut resp = series_page(app, req, token, Some((text, class)))?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// "N dates are …. Too close to … online: A; B." in the page's language.
fn kept_text(tr: &Tr, key: &str, changed: usize, kept: impl Iterator<Item = TimeRange>, tz: Tz) -> String {
    let kept: Vec<String> = kept.map(|r| when_in(tr, r, tz)).collect();
    tr.t_args(key, &[("n", Arg::from(changed)), ("kept", Arg::from(kept.join("; ")))])
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
                (None, kept) => kept_text(&tr, "series-some-cancelled", done.cancelled.len(), kept.iter().map(|k| k.booking.range), tz),
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
