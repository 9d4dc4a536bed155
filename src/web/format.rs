//! How the pages write zones, durations, times, prices and booking states.
//! Pure: no request, no store, time passed in.
//!
//! The `_in` functions write them in a page's language ([`Tr`]); the
//! others are the English of the coach's dashboard.
//!
//! May import: `booking` (its types), `i18n`, `model`, chrono.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::booking::{Booking, BookingStatus};
use crate::i18n::{dates, Tr};
use crate::model::TimeRange;

/// [`human_duration`] in the page's language.
pub fn human_duration_in(tr: &Tr, d: Duration) -> String {
    tr.duration(d)
}

/// [`price`] in the page's language.
pub fn price_in(tr: &Tr, price: &str) -> String {
    if price.is_empty() {
        tr.t("price-free")
    } else {
        price.to_string()
    }
}

/// [`when`] in the page's language and date style.
pub fn when_in(tr: &Tr, range: TimeRange, tz: Tz) -> String {
    dates::span(tr.locale, &range.start.with_timezone(&tz), &range.end.with_timezone(&tz))
}

/// [`status_text`] in the page's language.
pub fn status_text_in(tr: &Tr, b: &Booking) -> String {
    tr.t(match b.status {
        BookingStatus::Confirmed => "status-confirmed",
        BookingStatus::Tentative => "status-tentative",
        BookingStatus::Cancelled => "status-cancelled",
    })
}

/// [`deadline_text`] in the page's language: `key` is
/// `deadline-moved` or `deadline-cancelled`.
pub fn deadline_text_in(tr: &Tr, key: &str, deadline: Option<DateTime<Utc>>, tz: Tz) -> String {
    match deadline {
        Some(d) => tr.t1(key, "until", dates::date_time(tr.locale, &d.with_timezone(&tz))),
        None => String::new(),
    }
}

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
    let s = range.start.with_timezone(&tz);
    let e = range.end.with_timezone(&tz);
    format!("{} – {}", s.format("%A %-d %B %Y, %H:%M"), e.format("%H:%M"))
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
pub fn deadline_text(what: &str, deadline: Option<DateTime<Utc>>, tz: Tz) -> String {
    match deadline {
        Some(d) => format!(
            "This booking can no longer be {what} online (that was possible until {}). Please contact your coach.",
            d.with_timezone(&tz).format("%-d %B %H:%M")
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
    fn the_page_language_writes_durations_prices_and_times() {
        use crate::i18n::Locale;
        let de = Tr::new(Locale::De);
        let en = Tr::new(Locale::En);
        for m in [30, 60, 90, 1440, 2880, 1500] {
            assert_eq!(human_duration_in(&en, Duration::minutes(m)), human_duration(Duration::minutes(m)), "English is the dashboard's English");
        }
        assert_eq!(human_duration_in(&de, Duration::minutes(90)), "1 Std. 30 Min.");
        assert_eq!(human_duration_in(&Tr::new(Locale::Fr), Duration::minutes(2880)), "2 jours");
        assert_eq!(price_in(&Tr::new(Locale::Es), ""), "gratis");
        assert_eq!(price_in(&de, "40 EUR"), "40 EUR");
        let start = Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap();
        let range = TimeRange::new(start, start + Duration::hours(1));
        assert_eq!(when_in(&en, range, BERLIN), when(range, BERLIN));
        assert_eq!(when_in(&de, range, BERLIN), "Dienstag, 5. Mai 2026, 09:00 – 10:00");
        assert_eq!(when_in(&Tr::new(Locale::EnUs), range, BERLIN), "Tuesday, May 5, 2026, 9:00 AM – 10:00 AM");
        let d = Utc.with_ymd_and_hms(2026, 5, 4, 7, 0, 0).unwrap();
        assert_eq!(deadline_text_in(&en, "deadline-cancelled", Some(d), BERLIN), deadline_text("cancelled", Some(d), BERLIN));
        assert!(deadline_text_in(&de, "deadline-cancelled", Some(d), BERLIN).contains("4. Mai, 09:00"));
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
        assert_eq!(deadline_text("moved", None, BERLIN), "");
        let d = Utc.with_ymd_and_hms(2026, 5, 4, 7, 0, 0).unwrap();
        let text = deadline_text("cancelled", Some(d), BERLIN);
        assert!(text.contains("no longer be cancelled online") && text.contains("4 May 09:00"), "{text}");
    }
}
