//! `GET /book/{coach}/{type}?day=&week=&month=&tz=&reschedule=&key=`: the
//! open times of an event type in the student's zone. The page shows a
//! month overview (each day with open times a link to it) beside the
//! times of one day (`day`) or one week (`week`, or this week), with links
//! to the days or weeks around; an empty month or week says when the next
//! open time is and links to it. With `reschedule`, the times a booking
//! may move to; `key` is a private event type's secret link token (a
//! wrong one: the same 404 as no such type).
//!
//! **Cost.** One slot computation covers the month and the shown week or
//! day together (at most about six weeks); "next available" looks further
//! in steps of [`NEXT_OPEN_STEP_DAYS`], stopping at the first open time,
//! at the event type's horizon and after [`NEXT_OPEN_SEARCH_DAYS`]. Dates
//! in the address further than [`super::format::MAX_PAGE_DATE_YEARS`] from
//! today are ignored. So an anonymous request costs a bounded amount
//! whatever it asks for.
//!
//! May import: `app`, `booking`, `model`, the page models,
//! [`super::format`], [`super::month`], [`super::zones`],
//! [`super::request`], [`super::respond`].

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use hyper::header::{HeaderValue, SET_COOKIE};
use hyper::Response;

use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::booking::policy::EventType;
use crate::booking::slots::Slot;
use crate::booking::Booking;
use crate::http::Body;
use crate::model::TimeRange;

use super::errors::PageError;
use super::format::{human_duration_in, local_midnight, monday_of, page_date, price_in, week_start};
use super::locale::page_tr;
use super::month::{first_of_month, month_grid, next_month, parse_month, previous_month};
use super::pages::{DayRow, FullSlot, MonthView, NextAvailable, SlotButton, SlotsPage};
use crate::i18n::dates;
use super::request::PageRequest;
use super::respond::{enc, render, with_csrf};
use super::zones::{offered_zones, remembered_zone, student_zone, zone_set_cookie, StudentZone};

/// How far past what the page shows "next available" looks at most.
pub const NEXT_OPEN_SEARCH_DAYS: i64 = 366;
/// The span of one slot computation while looking for the next open time.
pub const NEXT_OPEN_STEP_DAYS: i64 = 31;

/// The event type a slots page (or its live list) is about, as the
/// address names it: private types need their key, or a booking of the
/// type being moved (`reschedule`).
pub struct Offered<'a> {
    pub coach: &'a CoachConfig,
    pub et: &'a EventType,
    pub reschedule: Option<(String, Booking)>,
    /// The private type's key, carried by the page's links and forms.
    pub key: Option<String>,
}

pub fn offered<'a>(app: &'a App, req: &PageRequest, coach_slug: &str, type_slug: &str) -> Result<Offered<'a>, PageError> {
    let svc = &app.booking;
    let coach = svc.coach(coach_slug)?;
    let reschedule = match req.query.get("reschedule") {
        Some(token) => Some((token.clone(), svc.booking(token)?)),
        None => None,
    };
    let key = req.query.get("key").cloned();
    let et = match &reschedule {
        Some((_, b)) if b.coach == coach.user && b.event_type == type_slug => svc.event_type(coach, type_slug)?,
        _ => svc.visible_event_type(coach, type_slug, key.as_deref())?,
    };
    let key = key.filter(|_| et.private);
    Ok(Offered { coach, et, reschedule, key })
}

/// What the times part of the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Day(NaiveDate),
    /// The week starting on this Monday.
    Week(NaiveDate),
}

impl Span {
    fn first(self) -> NaiveDate {
        match self {
            Span::Day(d) | Span::Week(d) => d,
        }
    }
    fn days(self) -> i64 {
        match self {
            Span::Day(_) => 1,
            Span::Week(_) => 7,
        }
    }
}

pub fn slots_page(app: &App, req: &PageRequest, coach_slug: &str, type_slug: &str) -> Result<Response<Body>, PageError> {
    let svc = &app.booking;
    let Offered { coach, et, reschedule, key } = offered(app, req, coach_slug, type_slug)?;
    let zone: StudentZone = student_zone(req.query.get("tz"), remembered_zone(&req.headers), coach.policy.tz);
    let tz = zone.tz;
    let tr = page_tr(req, Some(coach), reschedule.as_ref().map(|(_, b)| crate::i18n::Locale::from_stored(&b.locale)));
    let loc = tr.locale;
    let now = svc.now();
    let today = now.with_timezone(&tz).date_naive();
    let this_monday = monday_of(today);

    // What is shown: a day, a week, or (with only `month`) the month's
    // first open day; by default this week.
    let asked = match (page_date(req.query.get("day"), tz, now), req.query.contains_key("week")) {
        (Some(d), _) => Some(Span::Day(d.max(today))),
        (None, true) => Some(Span::Week(week_start(req.query.get("week"), tz, now))),
        (None, false) => None,
    };
    let month_param = req.query.get("month").and_then(|m| parse_month(m)).and_then(|m| page_date(Some(&m.format("%Y-%m-%d").to_string()), tz, now));
    let month = month_param
        .unwrap_or_else(|| first_of_month(asked.map_or(today, |s| s.first().max(today))))
        .max(first_of_month(today));
    let month_end = next_month(month);
    // Without a day or week: this week, or the month's first week from today.
    let fallback = Span::Week(if month_param.is_some() { monday_of(month.max(today)) } else { this_monday });
    let outer = asked.unwrap_or(fallback);

    // One computation for the month and the span together.
    let loaded_from = month.min(outer.first());
    let loaded_to = month_end.max(outer.first() + Duration::days(outer.days()));
    let loaded = TimeRange::new(local_midnight(tz, loaded_from), local_midnight(tz, loaded_to));
    let mut slots = svc.slots(coach_slug, type_slug, loaded)?;
    slots.sort_by_key(|s| s.range.start);
    let local_date = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for s in &slots {
        *per_day.entry(local_date(s.range.start)).or_default() += 1;
    }
    let span = match asked {
        Some(span) => span,
        None if month_param.is_some() => per_day.range(month..month_end).next().map_or(fallback, |(d, _)| Span::Day(*d)),
        None => fallback,
    };
    let span_end = span.first() + Duration::days(span.days());

    // Links keep the zone, the booking being moved and the private key.
    let base = format!("/book/{}/{}", enc(&coach.slug), enc(&et.slug));
    let mut extra = format!("&tz={}", enc(tz.name()));
    if let Some((t, _)) = &reschedule {
        extra.push_str(&format!("&reschedule={}", enc(t)));
    }
    if let Some(k) = &key {
        extra.push_str(&format!("&key={}", enc(k)));
    }
    let day_link = |d: NaiveDate| format!("{base}?day={}{extra}", d.format("%Y-%m-%d"));
    let week_link = |d: NaiveDate| format!("{base}?week={}{extra}", d.format("%Y-%m-%d"));
    let month_link = |d: NaiveDate| format!("{base}?month={}{extra}", d.format("%Y-%m"));

    // The span's rows.
    let mut days: Vec<DayRow> = (0..span.days())
        .map(|i| DayRow { label: dates::day(loc, span.first() + Duration::days(i)), slots: Vec::new() })
        .collect();
    for slot in &slots {
        let local = slot.range.start.with_timezone(&tz);
        let idx = (local.date_naive() - span.first()).num_days();
        if let Some(day) = usize::try_from(idx).ok().and_then(|i| days.get_mut(i)) {
            day.slots.push(SlotButton {
                start: slot.range.start.to_rfc3339(),
                label: dates::time(loc, &local),
                seats_note: if et.seats > 1 { tr.t_args("slots-seats-left", &[("left", slot.seats_left.into()), ("seats", et.seats.into())]) } else { String::new() },
            });
        }
    }
    let span_empty = days.iter().all(|d| d.slots.is_empty());
    let span_from = local_midnight(tz, span.first());
    let span_to = local_midnight(tz, span_end);
    let span_starts: Vec<DateTime<Utc>> = slots.iter().map(|s| s.range.start).filter(|t| *t >= span_from && *t < span_to).collect();

    // "Next available": first from what is loaded, then further, once.
    let horizon_end = now + et.horizon;
    let mut searched: Option<Option<DateTime<Utc>>> = None;
    let mut next_open = |from: NaiveDate| -> Result<Option<DateTime<Utc>>, PageError> {
        let from_t = local_midnight(tz, from);
        if let Some(s) = slots.iter().find(|s| s.range.start >= from_t) {
            return Ok(Some(s.range.start));
        }
        if searched.is_none() {
            searched = Some(search_after(app, coach_slug, type_slug, tz, loaded_to, horizon_end)?);
        }
        Ok(searched.flatten())
    };
    let as_next = |t: DateTime<Utc>| NextAvailable { label: dates::day_time(loc, &t.with_timezone(&tz)), link: day_link(local_date(t)) };
    let next_available = if span_empty { next_open(span_end.max(today))?.map(as_next) } else { None };
    let grid = month_grid(&tr, month, &per_day, matches!(span, Span::Day(_)).then(|| span.first()), today, day_link);
    let month_next = if grid.open_days == 0 { next_open(month_end)?.map(as_next) } else { None };

    // Full sessions take a waitlist (not while rescheduling).
    let span_range = TimeRange::new(span_from, span_to);
    let full_slots: Vec<FullSlot> = if reschedule.is_some() {
        Vec::new()
    } else {
        svc.full_slots(coach_slug, type_slug, span_range)?
            .into_iter()
            .map(|r| FullSlot { start: r.start.to_rfc3339(), label: dates::day_time(loc, &r.start.with_timezone(&tz)) })
            .collect()
    };

    let last_month = first_of_month((horizon_end).with_timezone(&tz).date_naive());
    let (span_label, prev_link, next_link, span_kind) = match span {
        Span::Week(monday) => (
            dates::week(loc, monday, monday + Duration::days(6)),
            // No way back into weeks that are over.
            (monday > this_monday).then(|| week_link(monday - Duration::days(7))),
            week_link(monday + Duration::days(7)),
            "week",
        ),
        Span::Day(d) => (
            dates::long_date(loc, d),
            (d > today).then(|| day_link(d - Duration::days(1))),
            day_link(d + Duration::days(1)),
            "day",
        ),
    };
    let (csrf, fresh) = req.csrf();
    let page = SlotsPage {
        profile: super::profile::CoachProfile::of(app, coach),
        about: super::profile::EventAbout::of(&tr, et),
        tr: tr.clone(),
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        coach_link: format!("/book/{}", enc(&coach.slug)),
        duration: human_duration_in(&tr, et.duration),
        price: price_in(&tr, &et.price),
        tz: tz.name().to_string(),
        has_tz_param: zone.chosen,
        zone_names: offered_zones(),
        zone_unknown: zone.unknown.clone(),
        coach_tz: (coach.policy.tz != tz).then(|| coach.policy.tz.name().to_string()),
        week: match span {
            Span::Week(m) => m.format("%Y-%m-%d").to_string(),
            Span::Day(_) => String::new(),
        },
        day: match span {
            Span::Day(d) => d.format("%Y-%m-%d").to_string(),
            Span::Week(_) => String::new(),
        },
        span_kind,
        week_label: span_label,
        prev_link,
        next_link,
        whole_week_link: matches!(span, Span::Day(_)).then(|| week_link(monday_of(span.first()))),
        days,
        span_empty,
        next_available,
        month: MonthView {
            label: grid.label,
            weekdays: grid.weekdays,
            weeks: grid.weeks,
            prev_link: (month > first_of_month(today)).then(|| month_link(previous_month(month))),
            next_link: (month < last_month).then(|| month_link(next_month(month))),
            empty: grid.open_days == 0,
            next_available: month_next,
        },
        live_link: live_link(&base, span.first(), span.days(), &extra),
        live_etag: super::live::etag_of(&super::live::body_of(&span_starts)),
        hold_action: format!("{base}/hold"),
        full_slots,
        waitlist_action: format!("{base}/waitlist"),
        csrf: csrf.clone(),
        rescheduling: reschedule.is_some(),
        reschedule_reference: reschedule.as_ref().map(|(_, b)| b.reference.clone()).unwrap_or_default(),
        reschedule_token: reschedule.map(|(t, _)| t),
        private_key: key,
    };
    let mut resp = with_csrf(render(page)?, &csrf, fresh);
    if let Some(tz) = zone.remember {
        if let Ok(v) = HeaderValue::from_str(&zone_set_cookie(tz)) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// The address of the live list of the shown times ([`super::live`]).
fn live_link(base: &str, from: NaiveDate, days: i64, extra: &str) -> String {
    format!("{base}/times.json?from={}&days={days}{extra}", from.format("%Y-%m-%d"))
}

/// The first open time from local day `from` on, looked for in steps of
/// [`NEXT_OPEN_STEP_DAYS`] up to the horizon and at most
/// [`NEXT_OPEN_SEARCH_DAYS`] days.
fn search_after(app: &App, coach_slug: &str, type_slug: &str, tz: Tz, from: NaiveDate, horizon_end: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, PageError> {
    let last = from + Duration::days(NEXT_OPEN_SEARCH_DAYS);
    let mut start = from;
    while start < last && local_midnight(tz, start) <= horizon_end {
        let end = (start + Duration::days(NEXT_OPEN_STEP_DAYS)).min(last);
        let found: Option<Slot> =
            app.booking.slots(coach_slug, type_slug, TimeRange::new(local_midnight(tz, start), local_midnight(tz, end)))?.into_iter().min_by_key(|s| s.range.start);
        if let Some(s) = found {
            return Ok(Some(s.range.start));
        }
        start = end;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_link_names_the_shown_days() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
        assert_eq!(live_link("/book/a/b", d, 7, "&tz=UTC"), "/book/a/b/times.json?from=2026-05-04&days=7&tz=UTC");
    }
}
