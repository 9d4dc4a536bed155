//! How the pages write zones, durations, times, prices and booking states.
//! Pure: no request, no store, time passed in.
//!
//! May import: `booking` (its types), `model`, chrono.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::booking::{Booking, BookingStatus};
use crate::model::TimeRange;

/// The student's zone: `tz` if it names a zone, else the coach's.
pub fn zone(param: Option<&String>, fallback: Tz) -> Tz {
    param.and_then(|z| z.parse().ok()).unwrap_or(fallback)
}

/// "30 min", "1 h", "1 h 30 min", "2 days" for a page.
pub fn human_duration(d: Duration) -> String {
    let mins = d.num_minutes();
    match (mins / 1440, mins % 1440 / 60, mins % 60) {
        (days, 0, 0) if days > 0 => format!("{days} day{}", if days == 1 { "" } else { "s" }),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        _ => format!("{} h", mins / 60),
    }
}

/// A price as written in the configuration, or "free".
pub fn price(price: &str) -> String {
    if price.is_empty() {
        "free".into()
    } else {
        price.to_string()
    }
}

/// "Tuesday 5 May 2026, 09:00 – 10:00" in `tz`.
pub fn when(range: TimeRange, tz: Tz) -> String {
    when_in(range, tz, HourCycle::H23)
}

/// The Monday of the week `week` (a date) or of today, in `tz`.
pub fn week_start(param: Option<&String>, tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    let day = page_date(param, tz, now).unwrap_or_else(|| now.with_timezone(&tz).date_naive());
    monday_of(day)
}

/// The Monday of the week of `day`.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(day.weekday().num_days_from_monday() as i64)
}

/// How far from today a date in a page's address may be: farther ones
/// (a typo, or year 200000) read as no date, so date arithmetic never
/// nears chrono's limits and no page computes on the far future.
pub const MAX_PAGE_DATE_YEARS: i64 = 5;

/// A date parameter (`YYYY-MM-DD`) within [`MAX_PAGE_DATE_YEARS`] of
/// today in `tz`; `None` when absent, unreadable or too far.
pub fn page_date(param: Option<&String>, tz: Tz, now: DateTime<Utc>) -> Option<NaiveDate> {
    let today = now.with_timezone(&tz).date_naive();
    let day = NaiveDate::parse_from_str(param?, "%Y-%m-%d").ok()?;
    ((day - today).num_days().abs() <= MAX_PAGE_DATE_YEARS * 366).then_some(day)
}

/// The start of day `d` in `tz` (the first instant that exists on DST days).
pub fn local_midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    crate::booking::availability::local_day(tz, d).start
}

/// How the student reads a time of day: 24-hour (`14:30`, CLDR's `h23`)
/// or 12-hour (`2:30 PM`, `h12`). Every time of day on the booking pages
/// is written by [`clock_time`] with one of these, so switching to a
/// locale's own formatting is a change in this one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HourCycle {
    #[default]
    H23,
    H12,
}

/// The hour cycle of a browser's `Accept-Language`: 12-hour when its
/// preferred language (highest `q`, the first of equals) is `en` or
/// `en-US`, 24-hour otherwise and without the header.
pub fn hour_cycle(accept_language: Option<&str>) -> HourCycle {
    let preferred = accept_language.and_then(|header| {
        let mut best: Option<(&str, f32)> = None;
        // At most a few dozen entries are looked at: the header is the client's.
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            if !tag.is_empty() && tag != "*" && best.is_none_or(|(_, b)| q > b) {
                best = Some((tag, q));
            }
        }
        best.map(|(tag, _)| tag)
    });
    match preferred {
        Some(tag) if tag.eq_ignore_ascii_case("en") || tag.eq_ignore_ascii_case("en-US") => HourCycle::H12,
        _ => HourCycle::H23,
    }
}

/// A time of day as the student reads it: `09:30` or `9:30 AM`.
pub fn clock_time<Z: chrono::TimeZone>(t: &DateTime<Z>, cycle: HourCycle) -> String
where
    Z::Offset: std::fmt::Display,
{
    match cycle {
        HourCycle::H23 => t.format("%H:%M").to_string(),
        HourCycle::H12 => t.format("%-I:%M %p").to_string(),
    }
}

/// "Tue 5 May, 09:00" (or "…, 9:00 AM") in `tz`: a slot named in a list.
pub fn day_and_time(t: DateTime<Utc>, tz: Tz, cycle: HourCycle) -> String {
    let local = t.with_timezone(&tz);
    format!("{}, {}", local.format("%a %-d %b"), clock_time(&local, cycle))
}

/// "4 May 09:00" (or "4 May 9:00 AM") in `tz`: a deadline.
pub fn date_and_time(t: DateTime<Utc>, tz: Tz, cycle: HourCycle) -> String {
    let local = t.with_timezone(&tz);
    format!("{} {}", local.format("%-d %B"), clock_time(&local, cycle))
}

/// [`when`] with the student's hour cycle.
pub fn when_in(range: TimeRange, tz: Tz, cycle: HourCycle) -> String {
    let s = range.start.with_timezone(&tz);
    let e = range.end.with_timezone(&tz);
    format!("{}, {} – {}", s.format("%A %-d %B %Y"), clock_time(&s, cycle), clock_time(&e, cycle))
}

/// The booking's state for the student.
pub fn status_text(b: &Booking) -> &'static str {
    match b.status {
        BookingStatus::Confirmed => "Confirmed",
        BookingStatus::Tentative => "Waiting for the coach to confirm",
        BookingStatus::Cancelled => "Cancelled",
    }
}

/// Why a booking can no longer be `what` ("moved", "cancelled") online, or
/// nothing while it still can.
pub fn deadline_text(what: &str, deadline: Option<DateTime<Utc>>, tz: Tz, cycle: HourCycle) -> String {
    match deadline {
        Some(d) => format!(
            "This booking can no longer be {what} online (that was possible until {}). Please contact your coach.",
            date_and_time(d, tz, cycle)
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn a_zone_parameter_that_names_no_zone_falls_back() {
        assert_eq!(zone(Some(&"America/New_York".to_string()), BERLIN), chrono_tz::America::New_York);
        assert_eq!(zone(Some(&"Mars/Olympus".to_string()), BERLIN), BERLIN);
        assert_eq!(zone(Some(&String::new()), BERLIN), BERLIN);
        assert_eq!(zone(None, BERLIN), BERLIN);
    }

    #[test]
    fn durations_read_like_a_person_writes_them() {
        let m = Duration::minutes;
        assert_eq!(human_duration(m(30)), "30 min");
        assert_eq!(human_duration(m(60)), "1 h");
        assert_eq!(human_duration(m(90)), "1 h 30 min");
        assert_eq!(human_duration(m(1440)), "1 day");
        assert_eq!(human_duration(m(2 * 1440)), "2 days");
        assert_eq!(human_duration(m(1440 + 60)), "25 h");
    }

    #[test]
    fn an_empty_price_is_free() {
        assert_eq!(price(""), "free");
        assert_eq!(price("40 EUR"), "40 EUR");
    }

    #[test]
    fn times_are_written_in_the_students_zone() {
        let start = Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap();
        let range = TimeRange::new(start, start + Duration::hours(1));
        assert_eq!(when(range, BERLIN), "Tuesday 5 May 2026, 09:00 – 10:00");
        assert_eq!(when(range, chrono_tz::UTC), "Tuesday 5 May 2026, 07:00 – 08:00");
    }

    #[test]
    fn weeks_start_on_the_local_monday() {
        let monday = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
        // Sunday 23:30 UTC is already Monday in Berlin.
        let now = Utc.with_ymd_and_hms(2026, 5, 3, 23, 30, 0).unwrap();
        assert_eq!(week_start(None, BERLIN, now), monday);
        assert_eq!(week_start(None, chrono_tz::UTC, now), monday - Duration::days(7));
        assert_eq!(week_start(Some(&"2026-05-07".to_string()), BERLIN, now), monday);
        assert_eq!(week_start(Some(&"next week".to_string()), BERLIN, now), monday, "a bad date means this week");
    }

    #[test]
    fn local_midnight_follows_dst() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(local_midnight(BERLIN, d), Utc.with_ymd_and_hms(2026, 3, 28, 23, 0, 0).unwrap());
        let d = NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
        assert_eq!(local_midnight(BERLIN, d), Utc.with_ymd_and_hms(2026, 3, 29, 22, 0, 0).unwrap());
    }

    #[test]
    fn the_hour_cycle_follows_the_preferred_language() {
        assert_eq!(hour_cycle(None), HourCycle::H23);
        assert_eq!(hour_cycle(Some("")), HourCycle::H23);
        assert_eq!(hour_cycle(Some("en-US,en;q=0.9")), HourCycle::H12);
        assert_eq!(hour_cycle(Some("EN")), HourCycle::H12);
        assert_eq!(hour_cycle(Some("en-GB,en;q=0.8")), HourCycle::H23);
        assert_eq!(hour_cycle(Some("de-DE,de;q=0.9,en-US;q=0.8")), HourCycle::H23);
        assert_eq!(hour_cycle(Some("de;q=0.5, en-US")), HourCycle::H12, "the highest q wins, not the first");
        assert_eq!(hour_cycle(Some("*, fr")), HourCycle::H23);
        assert_eq!(hour_cycle(Some(&"x,".repeat(10_000))), HourCycle::H23, "a long header is cut short");
    }

    #[test]
    fn times_of_day_in_both_cycles() {
        let t = |h, m| BERLIN.with_ymd_and_hms(2026, 5, 5, h, m, 0).unwrap();
        assert_eq!(clock_time(&t(9, 5), HourCycle::H23), "09:05");
        assert_eq!(clock_time(&t(9, 5), HourCycle::H12), "9:05 AM");
        assert_eq!(clock_time(&t(0, 30), HourCycle::H12), "12:30 AM");
        assert_eq!(clock_time(&t(12, 0), HourCycle::H12), "12:00 PM");
        assert_eq!(clock_time(&t(23, 59), HourCycle::H12), "11:59 PM");
        let start = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
        let range = TimeRange::new(start, start + Duration::minutes(90));
        assert_eq!(when_in(range, BERLIN, HourCycle::H12), "Tuesday 5 May 2026, 2:00 PM – 3:30 PM");
        assert_eq!(day_and_time(start, BERLIN, HourCycle::H23), "Tue 5 May, 14:00");
    }

    #[test]
    fn page_dates_far_from_today_are_no_dates() {
        let now = Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(page_date(s("2027-01-31").as_ref(), BERLIN, now), NaiveDate::from_ymd_opt(2027, 1, 31));
        assert_eq!(page_date(s("+262142-12-31").as_ref(), BERLIN, now), None);
        assert_eq!(page_date(s("0001-01-01").as_ref(), BERLIN, now), None);
        assert_eq!(page_date(s("2026-02-30").as_ref(), BERLIN, now), None);
        let monday = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
        assert_eq!(week_start(s("+262142-12-31").as_ref(), BERLIN, now), monday, "too far means this week");
    }

    #[test]
    fn deadline_text_is_empty_while_still_possible() {
        assert_eq!(deadline_text("moved", None, BERLIN, HourCycle::H23), "");
        let d = Utc.with_ymd_and_hms(2026, 5, 4, 7, 0, 0).unwrap();
        let text = deadline_text("cancelled", Some(d), BERLIN, HourCycle::H23);
        assert!(deadline_text("cancelled", Some(d), BERLIN, HourCycle::H12).contains("4 May 9:00 AM"));
        assert!(text.contains("no longer be cancelled online") && text.contains("4 May 09:00"), "{text}");
    }
}
