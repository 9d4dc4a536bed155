//! The repeat part of the hold page (issue 11 §2), without JavaScript:
//! when the held event type has `repeat`, the page offers "every N weeks,
//! K times" (from the type's `repeat` list and `repeat_max`), and
//! `POST /book/hold/{id}/repeat` turns the held date into a held series
//! (every date held at once, or none) and shows the new hold's page with
//! every held date. Dates that are not free are named on the page, each
//! with a ticked "leave this date out" box, so the student can try again
//! without them; "just this date" goes back to one held date.
//!
//! The page model ([`SeriesFields`]) is laid out by
//! `templates/series_fields.html`, included by `hold.html`.
//!
//! May import: `app`, `booking`, [`super::format`], [`super::request`],
//! [`super::respond`], [`super::hold`] (the page, shown again).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use hyper::{Response, StatusCode};

use crate::app::App;
use crate::booking::policy::EventType;
use crate::booking::series::{format_every, parse_every, SeriesRequest};
use crate::booking::service::{BookingError, HoldRecord};
use crate::http::Body;

use super::errors::PageError;
use crate::i18n::{Arg, Tr};

use super::format::when_in;
use super::hold::hold_page_with;
use super::request::PageRequest;
use super::respond::{enc, redirect};

/// At most this many dates may be left out in one request (a series has
/// at most `repeat_max` dates; this bounds what a form can make us parse).
const MAX_SKIPS: usize = 52;

/// One choice of the "repeat" select.
pub struct EveryOption {
    /// The form value: `"once"` or `"1w"` … `"4w"`.
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A date of the series as a checkbox: ticked, it is left out.
pub struct SkipChoice {
    /// The form field (`skip_{n}`) and its value (RFC 3339).
    pub name: String,
    pub dom_id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The repeat form on the hold page.
pub struct SeriesFields {
    pub action: String,
    pub every: Vec<EveryOption>,
    pub count: u32,
    pub count_max: u32,
    /// The dates held now, when the hold is a series (in words, in order).
    pub held: Vec<String>,
    /// Dates of the last request that are not free, offered to leave out.
    pub conflicts: Vec<SkipChoice>,
    /// Dates the last request already left out (sent again, hidden).
    pub kept_skips: Vec<SkipChoice>,
    pub error: Option<String>,
}

/// The student's last repeat request, when the page is shown again
/// because it could not be held.
pub struct RepeatAttempt {
    pub every_weeks: u32,
    pub count: u32,
    pub skip: Vec<DateTime<Utc>>,
    pub conflicts: Vec<DateTime<Utc>>,
    pub error: Option<String>,
}

/// The repeat form for the hold `rec` of `et`; `None` when the type is not
/// repeatable or the hold moves a booking.
pub fn series_fields(app: &App, tr: &Tr, rec: &HoldRecord, et: &EventType, tz: Tz, attempt: Option<&RepeatAttempt>) -> Result<Option<SeriesFields>, PageError> {
    if et.repeat_weeks.is_empty() || rec.reschedule_of.is_some() {
        return Ok(None);
    }
    let held_series = app.booking.held_series(&rec.hold.id)?;
    let held: Vec<String> = match app.booking.held_occurrences(&rec.hold.id)? {
        Some(ranges) => ranges.iter().map(|r| when_in(tr, *r, tz)).collect(),
        None => Vec::new(),
    };
    let (every_now, count_now) = match (attempt, &held_series) {
        (Some(a), _) => (Some(a.every_weeks), a.count),
        (None, Some((every, count))) => (Some(*every), *count),
        (None, None) => (None, et.repeat_max.min(4).max(2)),
    };
    let mut every = vec![EveryOption { value: "once".into(), label: tr.t("repeat-once"), selected: every_now.is_none() }];
    every.extend(et.repeat_weeks.iter().map(|w| EveryOption {
        value: format_every(*w),
        label: tr.t_args("repeat-every", &[("n", Arg::from(*w))]),
        selected: every_now == Some(*w),
    }));
    let choice = |n: usize, t: &DateTime<Utc>| SkipChoice {
        name: format!("skip_{n}"),
        dom_id: format!("skip-{n}"),
        value: t.to_rfc3339(),
        label: when_in(tr, crate::model::TimeRange::new(*t, *t + et.duration), tz),
        checked: true,
    };
    let (conflicts, kept_skips) = match attempt {
        Some(a) => {
            let kept: Vec<SkipChoice> = a.skip.iter().enumerate().map(|(n, t)| choice(n, t)).collect();
            let offset = kept.len();
            (a.conflicts.iter().enumerate().map(|(n, t)| choice(offset + n, t)).collect(), kept)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Some(SeriesFields {
        action: format!("/book/hold/{}/repeat?tz={}", enc(&rec.hold.id), enc(tz.name())),
        every,
        count: count_now,
        count_max: et.repeat_max,
        held,
        conflicts,
        kept_skips,
        error: attempt.and_then(|a| a.error.clone()),
    }))
}

/// What the repeat form asks for: `None` for "just this date".
fn requested(tr: &Tr, form: &HashMap<String, String>) -> Result<Option<SeriesRequest>, String> {
    let every = form.get("every").map(|s| s.trim()).unwrap_or("once");
    if every.is_empty() || every == "once" {
        return Ok(None);
    }
    let every_weeks = parse_every(every).map_err(|_| tr.t("repeat-error-every"))?;
    let count = form
        .get("count")
        .and_then(|c| c.trim().parse::<u32>().ok())
        .ok_or_else(|| tr.t("repeat-error-count"))?;
    let mut skip: Vec<DateTime<Utc>> = Vec::new();
    let mut keys: Vec<&String> = form.keys().filter(|k| k.starts_with("skip_")).collect();
    if keys.len() > MAX_SKIPS {
        return Err(tr.t_args("repeat-error-skips", &[("n", Arg::from(MAX_SKIPS))]));
    }
    keys.sort();
    for k in keys {
        let t = DateTime::parse_from_rfc3339(&form[k]).map_err(|_| tr.t("repeat-error-skip"))?.to_utc();
        if !skip.contains(&t) {
            skip.push(t);
        }
    }
    skip.sort();
    Ok(Some(SeriesRequest { every_weeks, count, skip }))
}

/// `POST /book/hold/{id}/repeat`: holds the series the form asks for,
/// starting at the held date, and shows its hold page; or shows this page
/// again with the dates that are not free (409) or what is wrong (422).
pub fn repeat(app: &App, req: &PageRequest, hold_id: &str) -> Result<Response<Body>, PageError> {
    let form = req.form();
    req.check_post(app, &form)?;
    let (rec, coach, et) = app.booking.hold_info(hold_id)?;
    if rec.reschedule_of.is_some() || rec.hold.range.start <= app.booking.now() {
        return Err(PageError::BadRequest(super::locale::page_tr(req, Some(coach), None).t("repeat-cannot")));
    }
    if !rec.hold.is_active(app.booking.now()) {
        return Err(BookingError::HoldExpired.into());
    }
    let tz_param = req.query.get("tz").or_else(|| form.get("tz")).cloned();
    let location = |id: &str| match &tz_param {
        Some(tz) => format!("/book/hold/{}?tz={}", enc(id), enc(tz)),
        None => format!("/book/hold/{}", enc(id)),
    };
    let mut shown_again = HashMap::new();
    if let Some(tz) = &tz_param {
        shown_again.insert("tz".to_string(), tz.clone());
    }
    let start = rec.hold.range.start;
    let client = req.hold_client();
    let tr = super::locale::page_tr_at(req, &format!("/book/hold/{}", enc(hold_id)), Some(coach), None);
    let request = match requested(&tr, &form) {
        Ok(Some(r)) => r,
        Ok(None) => {
            let single = app.booking.hold(&coach.slug, &et.slug, start, None, &client)?;
            return Ok(redirect(&location(&single.hold.id)));
        }
        Err(reason) => {
            let attempt = RepeatAttempt { every_weeks: 0, count: 0, skip: Vec::new(), conflicts: Vec::new(), error: Some(reason) };
            return shown(app, req, hold_id, shown_again, attempt, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    match app.booking.hold_series(&coach.slug, &et.slug, start, &request, &client) {
        Ok((lead, _)) => Ok(redirect(&location(&lead.hold.id))),
        Err(BookingError::SeriesConflicts { conflicts }) => {
            let error = tr.t_args("repeat-conflicts", &[("n", Arg::from(conflicts.len()))]);
            let attempt = RepeatAttempt { every_weeks: request.every_weeks, count: request.count, skip: request.skip, conflicts, error: Some(error) };
            shown(app, req, hold_id, shown_again, attempt, StatusCode::CONFLICT)
        }
        Err(BookingError::InvalidInput { .. }) => {
            let error = tr.t_args("repeat-error-invalid", &[("max", Arg::from(et.repeat_max))]);
            let attempt = RepeatAttempt { every_weeks: request.every_weeks, count: request.count, skip: Vec::new(), conflicts: Vec::new(), error: Some(error) };
            shown(app, req, hold_id, shown_again, attempt, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

fn shown(app: &App, req: &PageRequest, hold_id: &str, params: HashMap<String, String>, attempt: RepeatAttempt, status: StatusCode) -> Result<Response<Body>, PageError> {
    let mut resp = hold_page_with(app, req, hold_id, None, Some(params), Some(&attempt))?;
    *resp.status_mut() = status;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn just_this_date_is_no_series() {
        assert_eq!(requested(&Tr::default(), &form(&[])), Ok(None));
        assert_eq!(requested(&Tr::default(), &form(&[("every", "once"), ("count", "4")])), Ok(None));
    }

    #[test]
    fn a_repeat_form_reads_every_count_and_the_dates_left_out() {
        let a = Utc.with_ymd_and_hms(2026, 5, 12, 7, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2026, 5, 19, 7, 0, 0).unwrap();
        let f = form(&[("every", "1w"), ("count", " 4 "), ("skip_1", "2026-05-19T09:00:00+02:00"), ("skip_0", "2026-05-12T07:00:00Z"), ("skip_2", "2026-05-12T07:00:00Z")]);
        assert_eq!(requested(&Tr::default(), &f), Ok(Some(SeriesRequest { every_weeks: 1, count: 4, skip: vec![a, b] })));
    }

    #[test]
    fn a_bad_repeat_form_says_what_is_wrong() {
        assert!(requested(&Tr::default(), &form(&[("every", "5w"), ("count", "4")])).is_err());
        assert!(requested(&Tr::default(), &form(&[("every", "1w"), ("count", "four")])).is_err());
        assert!(requested(&Tr::default(), &form(&[("every", "1w")])).is_err());
        assert!(requested(&Tr::default(), &form(&[("every", "1w"), ("count", "4"), ("skip_0", "tomorrow")])).is_err());
        let many: Vec<(String, String)> = (0..=MAX_SKIPS).map(|n| (format!("skip_{n}"), "2026-05-12T07:00:00Z".to_string())).collect();
        let mut f: HashMap<String, String> = many.into_iter().collect();
        f.insert("every".into(), "1w".into());
        f.insert("count".into(), "4".into());
        assert!(requested(&Tr::default(), &f).is_err());
    }
}
