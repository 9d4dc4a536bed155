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
    let s = range.start.with_timezone(&tz);
    let e = range.end.with_timezone(&tz);
    format!("{} – {}", s.format("%A %-d %B %Y, %H:%M"), e.format("%H:%M"))
}

/// The Monday of the week `week` (a date) or of today, in `tz`.
pub fn week_start(param: Option<&String>, tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    let day = param
        .and_then(|w| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .unwrap_or_else(|| now.with_timezone(&tz).date_naive());
    day - Duration::days(day.weekday().num_days_from_monday() as i64)
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
    fn deadline_text_is_empty_while_still_possible() {
        assert_eq!(deadline_text("moved", None, BERLIN), "");
        let d = Utc.with_ymd_and_hms(2026, 5, 4, 7, 0, 0).unwrap();
        let text = deadline_text("cancelled", Some(d), BERLIN);
        assert!(text.contains("no longer be cancelled online") && text.contains("4 May 09:00"), "{text}");
    }
}
